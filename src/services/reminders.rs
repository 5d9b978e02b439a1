//! Expiry reminders: `reminders.days_before` (3 and 1 days) before a subscription ends, and
//! once on the day it ends. Each is an outbox row keyed by (subscription, period end,
//! reminder), so any number of job runs, on any number of instances, send it once; a renewed
//! subscription has a new period end, so the old period's reminders stop.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::domain::reminder::{self, Reminder, EXPIRED_GRACE};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, user};
use crate::services::outbox::{self, Notice};

/// Queues every reminder due at `now`; returns how many this run queued.
pub async fn send_due(db: &DatabaseConnection, days_before: &[u32], now: DateTime<Utc>) -> Result<u64, DbErr> {
    let horizon = Duration::days(i64::from(days_before.iter().copied().max().unwrap_or(0)));
    let due: Vec<(subscription::Model, Reminder)> = subscription::Entity::find()
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::EndsAt.gt(now - EXPIRED_GRACE))
        .filter(subscription::Column::EndsAt.lte(now + horizon))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|sub| reminder::due(sub.ends_at, days_before, now).map(|r| (sub, r)))
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let plans: HashMap<i32, String> = plan::Entity::find()
        .filter(plan::Column::Id.is_in(due.iter().map(|(s, _)| s.plan_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let users: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(due.iter().map(|(s, _)| s.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut queued = 0;
    for (sub, due) in due {
        let Some(customer) = users.get(&sub.user_id) else { continue };
        let notice = Notice::ExpiryReminder {
            plan_name: plans.get(&sub.plan_id).cloned().unwrap_or_default(),
            ends_at: sub.ends_at,
            days_left: match due {
                Reminder::DaysBefore(days) => Some(days),
                Reminder::Expired => None,
            },
            subscription_id: sub.id,
        };
        let key = format!("reminder:{}:{}:{}", sub.id, sub.ends_at.timestamp(), due.key());
        if outbox::to_user_once(db, customer, &notice, &key, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}
