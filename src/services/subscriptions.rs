//! A customer's subscriptions with their credentials.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::subscription_period::{state_at, SubscriptionState};
use crate::domain::Money;
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, stock_item};
use crate::services::users;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub id: i32,
    pub order_id: i32,
    pub plan_id: i32,
    pub plan_name: String,
    pub ends_at: DateTime<Utc>,
    pub state: SubscriptionState,
    pub credential: String,
    pub auto_renew: bool,
    /// The plan's current price when it is still on sale (it can be renewed), else None.
    pub renewal_price: Option<Money>,
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
    views(db, subs, now).await
}

/// The customer's subscription `id`, or None when it is not theirs.
pub async fn one_for(
    db: &DatabaseConnection,
    telegram_id: i64,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Option<SubscriptionView>, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    let Some(sub) = subscription::Entity::find_by_id(id).one(db).await?.filter(|s| s.user_id == user.id) else {
        return Ok(None);
    };
    Ok(views(db, vec![sub], now).await?.pop())
}

/// Auto-renew on or off for the customer's active subscription; None when it is not theirs or
/// was refunded.
pub async fn set_auto_renew(
    db: &DatabaseConnection,
    telegram_id: i64,
    id: i32,
    on: bool,
    now: DateTime<Utc>,
) -> Result<Option<SubscriptionView>, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    subscription::Entity::update_many()
        .col_expr(subscription::Column::AutoRenew, sea_orm::sea_query::Expr::value(on))
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::UserId.eq(user.id))
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .exec(db)
        .await?;
    one_for(db, telegram_id, id, now).await
}

async fn views(
    db: &DatabaseConnection,
    subs: Vec<subscription::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<SubscriptionView>, DbErr> {
    let plans: HashMap<i32, plan::Model> = plan::Entity::find()
        .filter(plan::Column::Id.is_in(subs.iter().map(|s| s.plan_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
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
        .map(|sub| {
            let plan = plans.get(&sub.plan_id);
            let cancelled = sub.status == SubscriptionStatus::Cancelled;
            SubscriptionView {
                id: sub.id,
                order_id: sub.order_id,
                plan_id: sub.plan_id,
                plan_name: plan.map(|p| p.name.clone()).unwrap_or_default(),
                ends_at: sub.ends_at,
                state: state_at(sub.ends_at, cancelled, now),
                credential: credentials.get(&sub.stock_item_id).cloned().unwrap_or_default(),
                auto_renew: sub.auto_renew && !cancelled,
                renewal_price: plan.filter(|p| p.is_active && !cancelled).map(|p| Money::from_paise(p.price)),
            }
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The login is on its way to the customer again.
    Resent {
        customer_telegram_id: i64,
    },
    /// Refunded, or expired: there is no login to send.
    NotActive,
    UnknownOrder,
}

/// Sends a customer the login of their active subscription again (they lost the message).
/// Support may do it; it is audit-logged.
pub async fn resend_login(
    db: &DatabaseConnection,
    actor: &crate::services::Actor,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<ResendOutcome, crate::services::ActError> {
    use sea_orm::TransactionTrait;
    actor.require(crate::domain::Permission::ResendLogin)?;
    let txn = db.begin().await?;
    let Some(order) = crate::entities::order::Entity::find_by_id(order_id).one(&txn).await? else {
        return Ok(ResendOutcome::UnknownOrder);
    };
    if order.status != crate::entities::order::OrderStatus::Paid {
        return Ok(ResendOutcome::NotActive);
    }
    let Some(sub) = crate::services::renewals::subscription_of_order(&txn, &order).await? else {
        return Ok(ResendOutcome::NotActive);
    };
    if !matches!(
        state_at(sub.ends_at, sub.status == SubscriptionStatus::Cancelled, now),
        SubscriptionState::Active { .. }
    ) {
        return Ok(ResendOutcome::NotActive);
    }
    let customer = crate::entities::user::Entity::find_by_id(sub.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", sub.user_id)))?;
    let plan_name = plan::Entity::find_by_id(sub.plan_id).one(&txn).await?.map(|p| p.name).unwrap_or_default();
    let credential =
        stock_item::Entity::find_by_id(sub.stock_item_id).one(&txn).await?.map(|s| s.credential).unwrap_or_default();
    let notice = crate::services::outbox::Notice::LoginDelivered {
        plan_name,
        credential,
        ends_at: sub.ends_at,
        balance: customer.balance,
    };
    crate::services::outbox::to_user(&txn, &customer, &notice, now).await?;
    crate::services::audit::record(
        &txn,
        actor,
        "order.resend_login",
        &format!("order:{order_id}"),
        serde_json::json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(ResendOutcome::Resent { customer_telegram_id: customer.telegram_id })
}
