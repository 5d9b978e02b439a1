//! Gifts: a new purchase marked "as a gift" at checkout is paid as usual, but its login is held
//! for a link instead of starting a subscription. The first other person to open the link
//! before it expires claims it: the subscription starts then, theirs, and the buyer is told.
//! An unclaimed gift refunded by an admin puts its login back on sale.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::domain::gift::{self, ClaimRefusal, GiftState};
use crate::domain::subscription_period;
use crate::entities::order::{self, OrderStatus};
use crate::entities::stock_item::{self, StockStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{gift as gift_row, plan, user};
use crate::services::outbox::{self, Notice};
use crate::services::purchase::{self, Checkout, PurchaseError};
use crate::services::{settings, users};

/// Gifts a customer sees in their list at most.
const LISTED: u64 = 10;

/// The link's part a buyer passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLink {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Marks the customer's pending order as a gift, or back to a purchase for themselves. Only
/// a new purchase can be a gift (a renewal extends the customer's own subscription).
pub async fn set_gift(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    on: bool,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    order::Entity::update_many()
        .col_expr(order::Column::IsGift, Expr::value(on))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::UserId.eq(user.id))
        .filter(order::Column::Status.eq(OrderStatus::Pending))
        .filter(order::Column::RenewsSubscriptionId.is_null())
        .exec(db)
        .await?;
    purchase::pending_checkout(db, telegram_id, order_id, now).await
}

/// Holds `stock` for a gift of paid `order`, inside `purchase::pay_order`'s transaction.
pub(crate) async fn create(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    plan: &plan::Model,
    stock: &stock_item::Model,
    now: DateTime<Utc>,
) -> Result<GiftLink, DbErr> {
    let expires_at = now + settings::gift_claim_period(conn).await?;
    // 31^12 codes: a clash is next to impossible, but the unique key would refuse it.
    let code = gift::generate(&mut rand::rng());
    gift_row::ActiveModel {
        order_id: Set(order.id),
        code: Set(code.clone()),
        buyer_id: Set(order.user_id),
        plan_id: Set(plan.id),
        stock_item_id: Set(stock.id),
        duration_days: Set(plan.duration_days),
        expires_at: Set(expires_at),
        claimed_by: Set(None),
        claimed_at: Set(None),
        refunded_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(GiftLink { code, expires_at })
}

/// The gift link of a paid gift order.
pub(crate) async fn link_of_order(conn: &impl ConnectionTrait, order_id: i32) -> Result<Option<GiftLink>, DbErr> {
    let found = gift_row::Entity::find().filter(gift_row::Column::OrderId.eq(order_id)).one(conn).await?;
    Ok(found.map(|g| GiftLink { code: g.code, expires_at: g.expires_at }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The subscription is the claimer's from now.
    Claimed {
        plan_name: String,
        credential: String,
        ends_at: DateTime<Utc>,
    },
    Refused(ClaimRefusal),
    /// No gift has this code.
    Unknown,
}

/// `telegram_id` opened gift link `code`: the first person other than the buyer claims it,
/// once. Decided by a conditional update on the unclaimed, unrefunded gift, so two people
/// opening it at once (or a refund at the same moment) leave one winner.
pub async fn claim(
    db: &DatabaseConnection,
    telegram_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome, DbErr> {
    let Some(code) = gift::normalize(code) else { return Ok(ClaimOutcome::Unknown) };
    let txn = db.begin().await?;
    let Some(claimer) = users::find_by_telegram_id(&txn, telegram_id).await? else {
        return Ok(ClaimOutcome::Unknown);
    };
    // The one lock order: the person's row first, then the gift (as the order), then stock.
    users::lock(&txn, claimer.id).await?;
    let Some(found) = gift_row::Entity::find().filter(gift_row::Column::Code.eq(code.as_str())).one(&txn).await? else {
        return Ok(ClaimOutcome::Unknown);
    };
    if let Err(refusal) = gift::check(&state_of(&found), claimer.id, now) {
        return Ok(ClaimOutcome::Refused(refusal));
    }
    let won = gift_row::Entity::update_many()
        .col_expr(gift_row::Column::ClaimedBy, Expr::value(claimer.id))
        .col_expr(gift_row::Column::ClaimedAt, Expr::value(now))
        .filter(gift_row::Column::Id.eq(found.id))
        .filter(gift_row::Column::ClaimedBy.is_null())
        .filter(gift_row::Column::RefundedAt.is_null())
        .filter(gift_row::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if won.rows_affected == 0 {
        // Someone else got in first (or a refund did): say which.
        drop(txn);
        let again = gift_row::Entity::find_by_id(found.id).one(db).await?;
        let refusal =
            again.and_then(|g| gift::check(&state_of(&g), claimer.id, now).err()).unwrap_or(ClaimRefusal::Taken);
        return Ok(ClaimOutcome::Refused(refusal));
    }
    let ends_at = subscription_period::ends_at(now, found.duration_days);
    subscription::ActiveModel {
        user_id: Set(claimer.id),
        plan_id: Set(found.plan_id),
        order_id: Set(found.order_id),
        stock_item_id: Set(found.stock_item_id),
        starts_at: Set(now),
        ends_at: Set(ends_at),
        status: Set(SubscriptionStatus::Active),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let plan_name = plan::Entity::find_by_id(found.plan_id).one(&txn).await?.map(|p| p.name).unwrap_or_default();
    let credential =
        stock_item::Entity::find_by_id(found.stock_item_id).one(&txn).await?.map(|s| s.credential).unwrap_or_default();
    if let Some(buyer) = user::Entity::find_by_id(found.buyer_id).one(&txn).await? {
        let notice =
            Notice::GiftClaimed { order_id: found.order_id, plan_name: plan_name.clone(), by: (&claimer).into() };
        outbox::to_user(&txn, &buyer, &notice, now).await?;
    }
    txn.commit().await?;
    Ok(ClaimOutcome::Claimed { plan_name, credential, ends_at })
}

fn state_of(found: &gift_row::Model) -> GiftState {
    GiftState {
        buyer_id: found.buyer_id,
        claimed_by: found.claimed_by,
        refunded: found.refunded_at.is_some(),
        expires_at: found.expires_at,
    }
}

/// Inside a refund of `order_id` (after the order moved to refunded): an unclaimed gift is
/// withdrawn and its login goes back on sale, as nobody has seen it. True when it did; false
/// for an order that is no gift, or whose gift was claimed (then the claimer's subscription
/// is undone like any other).
pub(crate) async fn withdraw_for_refund(
    conn: &impl ConnectionTrait,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(found) = gift_row::Entity::find().filter(gift_row::Column::OrderId.eq(order_id)).one(conn).await? else {
        return Ok(false);
    };
    let withdrawn = gift_row::Entity::update_many()
        .col_expr(gift_row::Column::RefundedAt, Expr::value(now))
        .filter(gift_row::Column::Id.eq(found.id))
        .filter(gift_row::Column::ClaimedBy.is_null())
        .filter(gift_row::Column::RefundedAt.is_null())
        .exec(conn)
        .await?;
    if withdrawn.rows_affected == 0 {
        return Ok(false);
    }
    stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Available))
        .col_expr(stock_item::Column::OrderId, Expr::value(Option::<i32>::None))
        .col_expr(stock_item::Column::AssignedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(stock_item::Column::Id.eq(found.stock_item_id))
        .filter(stock_item::Column::Status.eq(StockStatus::Assigned))
        .exec(conn)
        .await?;
    Ok(true)
}

/// A gift as its buyer sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoughtGift {
    pub order_id: i32,
    pub plan_name: String,
    pub link: GiftLink,
    pub state: GiftStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiftStatus {
    Waiting,
    Claimed { by: String, at: DateTime<Utc> },
    Expired,
    Refunded,
}

/// The customer's latest gifts, newest first.
pub async fn bought_by(
    db: &DatabaseConnection,
    telegram_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<BoughtGift>, DbErr> {
    let Some(buyer) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(Vec::new()) };
    let rows = gift_row::Entity::find()
        .filter(gift_row::Column::BuyerId.eq(buyer.id))
        .order_by_desc(gift_row::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;
    let mut gifts = Vec::with_capacity(rows.len());
    for row in rows {
        let plan_name = plan::Entity::find_by_id(row.plan_id).one(db).await?.map(|p| p.name).unwrap_or_default();
        let state = match (row.claimed_by, row.claimed_at) {
            (Some(id), Some(at)) => {
                let by = user::Entity::find_by_id(id).one(db).await?.map(|u| u.first_name).unwrap_or_default();
                GiftStatus::Claimed { by, at }
            }
            _ if row.refunded_at.is_some() => GiftStatus::Refunded,
            _ if now >= row.expires_at => GiftStatus::Expired,
            _ => GiftStatus::Waiting,
        };
        gifts.push(BoughtGift {
            order_id: row.order_id,
            plan_name,
            link: GiftLink { code: row.code, expires_at: row.expires_at },
            state,
        });
    }
    Ok(gifts)
}
