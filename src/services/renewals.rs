//! Renewing a subscription: a renewal is an order like any other (same checkout, same ways to
//! pay, same commissions), but paying it moves the subscription's period on instead of
//! starting a new subscription. Paid before the end, the new period starts at the end (no
//! day lost); after it, now. The plan decides whether the login is kept or replaced by a new
//! one from stock (the old one is retired when the old period is over).
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::domain::subscription_period;
use crate::entities::order;
use crate::entities::plan::{self, RenewalLogin};
use crate::entities::renewal;
use crate::entities::stock_item::{self, StockStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::user;
use crate::services::purchase::{self, Checkout, PurchaseError, RenewalTerms, WhenShort};
use crate::services::{catalog, users};

/// Opens (or reopens) the checkout that renews the customer's subscription `subscription_id`
/// at the plan's current price.
pub async fn open(
    db: &DatabaseConnection,
    telegram_id: i64,
    subscription_id: i32,
    when_short: WhenShort,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    let sub = subscription::Entity::find_by_id(subscription_id)
        .one(db)
        .await?
        .filter(|s| s.user_id == user.id && s.status == SubscriptionStatus::Active)
        .ok_or(PurchaseError::SubscriptionClosed)?;
    let listing = catalog::find_plan(db, sub.plan_id)
        .await?
        .filter(|l| l.plan.is_active)
        .ok_or(PurchaseError::PlanUnavailable)?;
    if listing.plan.renewal_login == RenewalLogin::Replace && !listing.in_stock() {
        purchase::alert_sold_out(db, listing.plan.id, &listing.plan.name, now).await?;
        return Err(PurchaseError::SoldOut { plan_id: listing.plan.id, plan_name: listing.plan.name });
    }
    purchase::open_order(db, &user, listing.plan, Some(sub.id), when_short, now).await
}

/// What paying `order` (a renewal of `sub`) at `now` would buy.
pub(crate) fn terms(sub: &subscription::Model, plan: &plan::Model, now: DateTime<Utc>) -> RenewalTerms {
    let (starts_at, ends_at) = subscription_period::renewed(sub.ends_at, plan.duration_days, now);
    RenewalTerms { subscription_id: sub.id, starts_at, ends_at }
}

/// The renewal terms of a pending order, when it is one.
pub(crate) async fn terms_of(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    plan: &plan::Model,
    now: DateTime<Utc>,
) -> Result<Option<RenewalTerms>, DbErr> {
    let Some(sub_id) = order.renews_subscription_id else { return Ok(None) };
    Ok(subscription::Entity::find_by_id(sub_id).one(conn).await?.map(|sub| terms(&sub, plan, now)))
}

/// A period paid for: the login valid for it and when it runs.
#[derive(Debug, Clone)]
pub(crate) struct Extended {
    pub stock: stock_item::Model,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub new_login: bool,
}

/// Moves the subscription that `order` renews on by one period, inside the caller's
/// transaction (`purchase::pay_order`, after it claimed the order). With a `replace` plan it
/// takes a new login first. The period moves by a conditional update on its number, so two
/// renewals of one period cannot both win; the renewal row's unique period key says so again.
pub(crate) async fn extend(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    order: &order::Model,
    plan: &plan::Model,
    auto: bool,
    now: DateTime<Utc>,
) -> Result<Extended, PurchaseError> {
    let sub_id = order.renews_subscription_id.ok_or(PurchaseError::SubscriptionClosed)?;
    let new_stock = match plan.renewal_login {
        RenewalLogin::Keep => None,
        RenewalLogin::Replace => match purchase::assign_stock(conn, plan.id, Some(order.id), now).await? {
            Some(stock) => Some(stock),
            None => return Err(PurchaseError::SoldOut { plan_id: plan.id, plan_name: plan.name.clone() }),
        },
    };
    // Another renewal of this subscription can only get in between on a path that skipped
    // the customer's row lock; then the next period is renewed instead.
    for _ in 0..3 {
        let sub = subscription::Entity::find_by_id(sub_id)
            .one(conn)
            .await?
            .filter(|s| s.user_id == user.id && s.status == SubscriptionStatus::Active)
            .ok_or(PurchaseError::SubscriptionClosed)?;
        let (starts_at, ends_at) = subscription_period::renewed(sub.ends_at, plan.duration_days, now);
        let stock_item_id = new_stock.as_ref().map_or(sub.stock_item_id, |s| s.id);
        let moved = subscription::Entity::update_many()
            .col_expr(subscription::Column::EndsAt, Expr::value(ends_at))
            .col_expr(subscription::Column::Period, Expr::value(sub.period + 1))
            .col_expr(subscription::Column::StockItemId, Expr::value(stock_item_id))
            .filter(subscription::Column::Id.eq(sub.id))
            .filter(subscription::Column::Period.eq(sub.period))
            .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
            .exec(conn)
            .await?;
        if moved.rows_affected == 0 {
            continue;
        }
        let replaced = new_stock.as_ref().map(|_| sub.stock_item_id);
        renewal::Entity::insert(renewal::ActiveModel {
            subscription_id: Set(sub.id),
            order_id: Set(order.id),
            period: Set(sub.period),
            period_key: Set(Some(renewal::Model::key(sub.id, sub.period))),
            from_ends_at: Set(sub.ends_at),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            stock_item_id: Set(stock_item_id),
            replaced_stock_item_id: Set(replaced),
            auto: Set(auto),
            refunded_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(conn)
        .await?;
        if let Some(old) = replaced.filter(|_| starts_at <= now) {
            // Renewed after the end: the old login has nothing left to serve.
            retire(conn, &[old]).await?;
        }
        let stock = match new_stock {
            Some(stock) => stock,
            None => stock_item::Entity::find_by_id(stock_item_id)
                .one(conn)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("stock item {stock_item_id}")))?,
        };
        return Ok(Extended { stock, starts_at, ends_at, new_login: replaced.is_some() });
    }
    Err(PurchaseError::OrderClosed)
}

async fn retire(conn: &impl ConnectionTrait, ids: &[i32]) -> Result<u64, DbErr> {
    let retired = stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Retired))
        .filter(stock_item::Column::Id.is_in(ids.iter().copied()))
        .filter(stock_item::Column::Status.eq(StockStatus::Assigned))
        .exec(conn)
        .await?;
    Ok(retired.rows_affected)
}

/// Retires the logins that renewals replaced, once the period they served is over. One
/// statement, safe to run any number of times.
pub async fn retire_replaced(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let replaced = Query::select()
        .column(renewal::Column::ReplacedStockItemId)
        .from(renewal::Entity)
        .and_where(Expr::col(renewal::Column::ReplacedStockItemId).is_not_null())
        .and_where(Expr::col(renewal::Column::RefundedAt).is_null())
        .and_where(Expr::col(renewal::Column::StartsAt).lte(now))
        .to_owned();
    let retired = stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Retired))
        .filter(stock_item::Column::Status.eq(StockStatus::Assigned))
        .filter(stock_item::Column::Id.in_subquery(replaced))
        .exec(db)
        .await?;
    Ok(retired.rows_affected)
}

/// The subscription an order paid for: the one it started, or the one it renewed.
pub(crate) async fn subscription_of_order(
    conn: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<Option<subscription::Model>, DbErr> {
    match order.renews_subscription_id {
        Some(id) => subscription::Entity::find_by_id(id).one(conn).await,
        None => subscription::Entity::find().filter(subscription::Column::OrderId.eq(order.id)).one(conn).await,
    }
}

/// What refunding an order does to its subscription's periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PeriodRefund {
    /// The order's period is taken off (a renewal) or the subscription cancelled (the first order).
    Undone,
    /// A later period was paid by order `order_id`: refund that first.
    LaterFirst { order_id: i32 },
    /// The order paid for no period (a gift not yet claimed, an order without a subscription).
    Nothing,
}

/// Takes refunded `order`'s period off its subscription, inside the refund's transaction
/// (after the order moved to refunded). Periods come off newest first: a renewal is undone
/// only while it is the latest, and the first order only once no renewal stands. Undoing a
/// renewal puts the period end, number and login back and stops auto-renew (so the job does
/// not buy it again at once); undoing the first order cancels the subscription.
pub(crate) async fn undo_for_refund(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<PeriodRefund, DbErr> {
    let Some(sub) = subscription_of_order(conn, order).await? else { return Ok(PeriodRefund::Nothing) };
    let latest = renewal::Entity::find()
        .filter(renewal::Column::SubscriptionId.eq(sub.id))
        .filter(renewal::Column::RefundedAt.is_null())
        .filter(renewal::Column::Period.eq(sub.period - 1))
        .one(conn)
        .await?;
    if order.renews_subscription_id.is_none() {
        if let Some(latest) = latest {
            return Ok(PeriodRefund::LaterFirst { order_id: latest.order_id });
        }
        subscription::Entity::update_many()
            .col_expr(subscription::Column::Status, Expr::value(SubscriptionStatus::Cancelled))
            .col_expr(subscription::Column::AutoRenew, Expr::value(false))
            .filter(subscription::Column::Id.eq(sub.id))
            .exec(conn)
            .await?;
        return Ok(PeriodRefund::Undone);
    }
    let Some(this) = renewal::Entity::find().filter(renewal::Column::OrderId.eq(order.id)).one(conn).await? else {
        return Ok(PeriodRefund::Nothing);
    };
    match latest {
        Some(latest) if latest.id == this.id => {}
        Some(latest) => return Ok(PeriodRefund::LaterFirst { order_id: latest.order_id }),
        None => return Ok(PeriodRefund::Nothing),
    }
    subscription::Entity::update_many()
        .col_expr(subscription::Column::EndsAt, Expr::value(this.from_ends_at))
        .col_expr(subscription::Column::Period, Expr::value(this.period))
        .col_expr(
            subscription::Column::StockItemId,
            Expr::value(this.replaced_stock_item_id.unwrap_or(sub.stock_item_id)),
        )
        .col_expr(subscription::Column::AutoRenew, Expr::value(false))
        .filter(subscription::Column::Id.eq(sub.id))
        .filter(subscription::Column::Period.eq(this.period + 1))
        .exec(conn)
        .await?;
    renewal::Entity::update_many()
        .col_expr(renewal::Column::RefundedAt, Expr::value(now))
        .col_expr(renewal::Column::PeriodKey, Expr::value(Option::<String>::None))
        .filter(renewal::Column::Id.eq(this.id))
        .exec(conn)
        .await?;
    Ok(PeriodRefund::Undone)
}
