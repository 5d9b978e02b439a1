//! Staff looking customers up: who they are, their wallet, orders, subscriptions, referrals
//! and flags; and one order with its customer. Reading only: support may do all of it.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::subscription_period::{state_at, SubscriptionState};
use crate::domain::{referral_code, Money, Permission};
use crate::entities::order::{self, OrderStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{ledger_entry, plan, user};
use crate::services::actor::{ActError, Actor};
use crate::services::page::{self, Page, PageRequest};
use crate::services::{fraud, referrals, users};

/// Orders shown on a customer's card.
const RECENT_ORDERS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub order: order::Model,
    pub plan_name: String,
    /// Of its subscription, when it has one.
    pub subscription: Option<(SubscriptionState, DateTime<Utc>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCard {
    pub user: user::Model,
    pub balance: Money,
    pub orders_paid: u64,
    pub recent_orders: Vec<OrderLine>,
    pub active_subscriptions: u64,
    pub referrer: Option<user::Model>,
    pub referrals: u64,
    pub referrals_paying: u64,
    pub commission_total: Money,
    pub commissions: referrals::CommissionTotals,
    pub open_flags: u64,
}

/// A customer by Telegram id, `@username` or referral code.
pub async fn find(db: &DatabaseConnection, actor: &Actor, query: &str) -> Result<Option<user::Model>, ActError> {
    actor.require(Permission::View)?;
    let query = query.trim();
    if let Ok(telegram_id) = query.parse::<i64>() {
        if let Some(found) = users::find_by_telegram_id(db, telegram_id).await? {
            return Ok(Some(found));
        }
        // A referral code may be all digits too.
    }
    if let Some(username) = query.strip_prefix('@') {
        let lowered = Expr::expr(Func::lower(Expr::col(user::Column::Username)));
        let found = user::Entity::find().filter(lowered.eq(username.to_lowercase())).one(db).await?;
        return Ok(found);
    }
    match referral_code::normalize(query) {
        Some(code) => Ok(user::Entity::find().filter(user::Column::ReferralCode.eq(code)).one(db).await?),
        None => Ok(None),
    }
}

pub async fn card(
    db: &DatabaseConnection,
    actor: &Actor,
    user: user::Model,
    now: DateTime<Utc>,
) -> Result<CustomerCard, ActError> {
    actor.require(Permission::View)?;
    let orders_paid = order::Entity::find()
        .filter(order::Column::UserId.eq(user.id))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .count(db)
        .await?;
    let recent = order::Entity::find()
        .filter(order::Column::UserId.eq(user.id))
        .order_by_desc(order::Column::Id)
        .limit(RECENT_ORDERS)
        .all(db)
        .await?;
    let mut recent_orders = Vec::with_capacity(recent.len());
    for order in recent {
        recent_orders.push(order_line(db, order, now).await?);
    }
    let active_subscriptions = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user.id))
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::EndsAt.gt(now))
        .count(db)
        .await?;
    let referrer = match user.referred_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let (referrals, referrals_paying) = fraud::conversion(db, user.id).await?;
    let totals = referrals::totals(db, user.id).await?;
    let open_flags = fraud::open_flags_of(db, user.id).await?.len() as u64;
    Ok(CustomerCard {
        balance: Money::from_paise(user.balance),
        user,
        orders_paid,
        recent_orders,
        active_subscriptions,
        referrer,
        referrals,
        referrals_paying,
        commission_total: totals.total(),
        commissions: totals,
        open_flags,
    })
}

async fn order_line(db: &DatabaseConnection, order: order::Model, now: DateTime<Utc>) -> Result<OrderLine, ActError> {
    let plan_name = plan::Entity::find_by_id(order.plan_id).one(db).await?.map(|p| p.name).unwrap_or_default();
    let subscription = subscription::Entity::find()
        .filter(subscription::Column::OrderId.eq(order.id))
        .one(db)
        .await?
        .map(|s| (state_at(s.ends_at, s.status == SubscriptionStatus::Cancelled, now), s.ends_at));
    Ok(OrderLine { order, plan_name, subscription })
}

/// One order, with its customer.
pub async fn order(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<(OrderLine, user::Model)>, ActError> {
    actor.require(Permission::View)?;
    let Some(order) = order::Entity::find_by_id(order_id).one(db).await? else { return Ok(None) };
    let Some(customer) = user::Entity::find_by_id(order.user_id).one(db).await? else { return Ok(None) };
    Ok(Some((order_line(db, order, now).await?, customer)))
}

/// Customers newest first; with `query`, the one it names exactly (Telegram id, @username,
/// referral code), else those whose name or username contains it.
pub async fn search(
    db: &DatabaseConnection,
    actor: &Actor,
    query: Option<&str>,
    page: PageRequest,
) -> Result<Page<user::Model>, ActError> {
    actor.require(Permission::View)?;
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = query {
        if page.before.is_none() {
            if let Some(exact) = find(db, actor, q).await? {
                return Ok(Page { items: vec![exact], next: None });
            }
        }
    }
    let mut select = user::Entity::find();
    if let Some(q) = query {
        let needle = format!("%{}%", q.trim_start_matches('@').to_lowercase().replace(['%', '_'], ""));
        let lower = |col: user::Column| Expr::expr(Func::lower(Expr::col(col)));
        select = select.filter(
            sea_orm::Condition::any()
                .add(lower(user::Column::FirstName).like(needle.clone()))
                .add(lower(user::Column::LastName).like(needle.clone()))
                .add(lower(user::Column::Username).like(needle)),
        );
    }
    Ok(page::fetch(db, select, user::Column::Id, page, |u| u.id).await?)
}

/// A customer's wallet movements, newest first.
pub async fn ledger(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<ledger_entry::Model>, ActError> {
    actor.require(Permission::View)?;
    let select = ledger_entry::Entity::find().filter(ledger_entry::Column::UserId.eq(user_id));
    Ok(page::fetch(db, select, ledger_entry::Column::Id, page, |e| e.id).await?)
}

/// Whom a customer referred (level 1), newest first.
pub async fn referees(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<user::Model>, ActError> {
    actor.require(Permission::View)?;
    let select = user::Entity::find().filter(user::Column::ReferredBy.eq(user_id));
    Ok(page::fetch(db, select, user::Column::Id, page, |u| u.id).await?)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub user_id: Option<i32>,
    pub plan_id: Option<i32>,
}

/// Orders newest first.
pub async fn orders(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &OrderFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<(OrderLine, Option<user::Model>)>, ActError> {
    actor.require(Permission::View)?;
    let mut select = order::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(order::Column::Status.eq(status));
    }
    if let Some(user_id) = filter.user_id {
        select = select.filter(order::Column::UserId.eq(user_id));
    }
    if let Some(plan_id) = filter.plan_id {
        select = select.filter(order::Column::PlanId.eq(plan_id));
    }
    let found = page::fetch(db, select, order::Column::Id, page, |o| o.id).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for order in found.items {
        let customer = user::Entity::find_by_id(order.user_id).one(db).await?;
        items.push((order_line(db, order, now).await?, customer));
    }
    Ok(Page { items, next: found.next })
}
