//! A customer's subscriptions with their credentials.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::subscription_period::{state_at, SubscriptionState};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, stock_item};
use crate::services::users;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub order_id: i32,
    pub plan_name: String,
    pub ends_at: DateTime<Utc>,
    pub state: SubscriptionState,
    pub credential: String,
}

/// Newest first.
pub async fn list_for(
    db: &DatabaseConnection,
    telegram_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SubscriptionView>, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else {
        return Ok(Vec::new());
    };
    let subs = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user.id))
        .order_by_desc(subscription::Column::Id)
        .all(db)
        .await?;
    let plan_names: HashMap<i32, String> = plan::Entity::find()
        .filter(plan::Column::Id.is_in(subs.iter().map(|s| s.plan_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let credentials: HashMap<i32, String> = stock_item::Entity::find()
        .filter(stock_item::Column::Id.is_in(subs.iter().map(|s| s.stock_item_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.credential))
        .collect();
    Ok(subs
        .into_iter()
        .map(|sub| SubscriptionView {
            order_id: sub.order_id,
            plan_name: plan_names.get(&sub.plan_id).cloned().unwrap_or_default(),
            ends_at: sub.ends_at,
            state: state_at(sub.ends_at, sub.status == SubscriptionStatus::Cancelled, now),
            credential: credentials.get(&sub.stock_item_id).cloned().unwrap_or_default(),
        })
        .collect())
}
