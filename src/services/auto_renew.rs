//! Auto-renew: `renewal.auto_hours_before` (24) the end of a subscription that opted in, the
//! next period is bought from the wallet in one transaction (the order, the debit with its
//! ledger row, the moved period, the renewal row, the commissions, the customer's notice). A
//! wallet that does not cover it is never overdrawn: the customer is told once per period how
//! much is missing, and the job tries again each run until the end. Refunded subscriptions
//! and blocked customers are never charged.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::domain::Money;
use crate::entities::order::{self, OrderStatus, PaymentMethod};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, user};
use crate::services::outbox::{self, AutoRenewProblem, Notice};
use crate::services::purchase::{self, PurchaseError};
use crate::services::{settings, users};

/// What one subscription's turn came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoRenewal {
    Renewed {
        subscription_id: i32,
        order_id: i32,
    },
    /// The wallet lacks `missing`; nothing was charged.
    Short {
        subscription_id: i32,
        missing: Money,
    },
    /// The plan is off sale, or (replacing logins) out of stock: nothing was charged.
    NotPossible {
        subscription_id: i32,
    },
    /// Renewed meanwhile, turned off, refunded, or the customer is blocked.
    Skipped,
}

/// Subscriptions looked at per run; the rest wait for the next.
const BATCH: u64 = 200;

/// Renews every opted-in subscription whose end is within `renewal.auto_hours_before` and not
/// yet past. Safe to run any number of times, concurrently, on any number of instances.
pub async fn run_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<AutoRenewal>, DbErr> {
    let horizon = Duration::hours(settings::auto_renew_hours(db).await?);
    let due = subscription::Entity::find()
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::AutoRenew.eq(true))
        .filter(subscription::Column::EndsAt.gt(now))
        .filter(subscription::Column::EndsAt.lte(now + horizon))
        .order_by_asc(subscription::Column::EndsAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut outcomes = Vec::new();
    for sub in due {
        // One subscription that fails must not hold back the others.
        match renew_one(db, &sub, now).await {
            Ok(AutoRenewal::Skipped) => {}
            Ok(outcome) => outcomes.push(outcome),
            Err(err) => log::error!("auto-renew of subscription {} failed: {err}", sub.id),
        }
    }
    Ok(outcomes)
}

async fn renew_one(
    db: &DatabaseConnection,
    seen: &subscription::Model,
    now: DateTime<Utc>,
) -> Result<AutoRenewal, DbErr> {
    let txn = db.begin().await?;
    // The customer's row first, as every transaction that moves their money does; a second
    // run waits here, then finds the period moved on.
    users::lock(&txn, seen.user_id).await?;
    let Some(sub) = subscription::Entity::find_by_id(seen.id).one(&txn).await? else { return Ok(AutoRenewal::Skipped) };
    let still_due = sub.status == SubscriptionStatus::Active && sub.auto_renew && sub.period == seen.period;
    let Some(customer) = user::Entity::find_by_id(sub.user_id).one(&txn).await? else {
        return Ok(AutoRenewal::Skipped);
    };
    if !still_due || sub.ends_at <= now || customer.is_blocked {
        return Ok(AutoRenewal::Skipped);
    }
    let Some(plan) = plan::Entity::find_by_id(sub.plan_id).one(&txn).await? else { return Ok(AutoRenewal::Skipped) };
    let period_key = format!("{}:{}", sub.id, sub.period);
    if !plan.is_active {
        let notice = problem(&sub, &plan, AutoRenewProblem::OffSale);
        outbox::to_user_once(&txn, &customer, &notice, &format!("autorenew_problem:{period_key}"), now).await?;
        txn.commit().await?;
        return Ok(AutoRenewal::NotPossible { subscription_id: sub.id });
    }
    let (balance, price) = (Money::from_paise(customer.balance), Money::from_paise(plan.price));
    if balance < price {
        let missing = balance.shortfall_for(price);
        tell_short(&txn, &customer, &sub, &plan, &period_key, now).await?;
        txn.commit().await?;
        return Ok(AutoRenewal::Short { subscription_id: sub.id, missing });
    }
    let order = order::ActiveModel {
        user_id: Set(customer.id),
        plan_id: Set(plan.id),
        price: Set(plan.price),
        list_price: Set(plan.price),
        cost: Set(plan.cost),
        status: Set(OrderStatus::Pending),
        payment_method: Set(PaymentMethod::AutoRenew),
        checkout_key: Set(Some(format!("auto:{period_key}"))),
        created_at: Set(now),
        paid_at: Set(None),
        updated_at: Set(now),
        renews_subscription_id: Set(Some(sub.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let savepoint = txn.begin().await?;
    match purchase::pay_order(&savepoint, &customer, &order, now).await {
        Ok(delivery) => {
            savepoint.commit().await?;
            let renewed = delivery.renewal.as_ref();
            let notice = Notice::AutoRenewed {
                plan_name: delivery.plan_name.clone(),
                credential: delivery.credential.clone(),
                starts_at: renewed.map_or(sub.ends_at, |r| r.starts_at),
                ends_at: delivery.ends_at,
                new_login: renewed.is_some_and(|r| r.new_login),
                price: delivery.price.paise(),
                balance: delivery.balance.paise(),
            };
            outbox::to_user(&txn, &customer, &notice, now).await?;
            txn.commit().await?;
            Ok(AutoRenewal::Renewed { subscription_id: sub.id, order_id: order.id })
        }
        Err(err) => {
            savepoint.rollback().await?;
            // Nothing was charged; the order never existed.
            drop(txn);
            let txn = db.begin().await?;
            let outcome = match err {
                PurchaseError::SoldOut { plan_id, plan_name } => {
                    purchase::alert_sold_out(&txn, plan_id, &plan_name, now).await?;
                    let notice = problem(&sub, &plan, AutoRenewProblem::SoldOut);
                    outbox::to_user_once(&txn, &customer, &notice, &format!("autorenew_problem:{period_key}"), now)
                        .await?;
                    AutoRenewal::NotPossible { subscription_id: sub.id }
                }
                PurchaseError::InsufficientBalance { missing, .. } => {
                    tell_short(&txn, &customer, &sub, &plan, &period_key, now).await?;
                    AutoRenewal::Short { subscription_id: sub.id, missing }
                }
                PurchaseError::Db(err) => return Err(err),
                _ => AutoRenewal::Skipped,
            };
            txn.commit().await?;
            Ok(outcome)
        }
    }
}

fn problem(sub: &subscription::Model, plan: &plan::Model, why: AutoRenewProblem) -> Notice {
    Notice::AutoRenewFailed { subscription_id: sub.id, plan_name: plan.name.clone(), ends_at: sub.ends_at, why }
}

/// Once per period: what is missing, with ways to top up.
async fn tell_short(
    conn: &impl sea_orm::ConnectionTrait,
    customer: &user::Model,
    sub: &subscription::Model,
    plan: &plan::Model,
    period_key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let balance = Money::from_paise(customer.balance);
    let notice = Notice::AutoRenewShort {
        subscription_id: sub.id,
        plan_name: plan.name.clone(),
        ends_at: sub.ends_at,
        price: plan.price,
        balance: balance.paise(),
        missing: balance.shortfall_for(Money::from_paise(plan.price)).paise(),
    };
    outbox::to_user_once(conn, customer, &notice, &format!("autorenew_short:{period_key}"), now).await.map(drop)
}
