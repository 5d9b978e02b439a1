//! Promo codes and the discounts of a checkout. Staff create, list and disable codes and see
//! their use. At checkout a customer applies a code to their pending order (its price becomes
//! the list price less the discount) or gets the reason it does not apply; a referred
//! customer's first order carries the referee discount from the start, and the larger of the
//! two wins. A code is spent only when the order is paid (`redeem`, inside the payment's
//! transaction): the total by a conditional update that stops at the limit, the customer's
//! uses by a unique (code, customer, use number), so concurrent checkouts never pass a limit.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, TryInsertResult,
};

use crate::domain::promo::{self, Draft, Off, Refusal, Terms, Use};
use crate::domain::{Money, Permission};
use crate::entities::order::{self, DiscountKind, OrderStatus};
use crate::entities::promo_code::{self, PromoKind};
use crate::entities::promo_redemption;
use crate::entities::user;
use crate::services::actor::{ActError, Actor};
use crate::services::purchase::{self, Checkout, PurchaseError};
use crate::services::{audit, is_unique_violation, settings, users};

pub fn terms_of(code: &promo_code::Model) -> Terms {
    let plans: Vec<i32> = code.plan_ids.split(',').filter_map(|id| id.trim().parse().ok()).collect();
    Terms {
        off: match code.kind {
            PromoKind::Percent => Off::Percent(u32::try_from(code.value).unwrap_or(0)),
            PromoKind::Fixed => Off::Fixed(Money::from_paise(code.value)),
        },
        plans: (!plans.is_empty()).then_some(plans),
        valid_from: code.valid_from,
        valid_until: code.valid_until,
        max_uses: code.max_uses.map(|n| n.max(0) as u32),
        per_user: code.per_user.max(0) as u32,
        first_purchase_only: code.first_purchase_only,
        min_price: Money::from_paise(code.min_price),
        active: code.is_active,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(promo_code::Model),
    CodeTaken,
}

/// Creates a code (Permission::ManageOffers), audit-logged.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<CreateOutcome, ActError> {
    actor.require(Permission::ManageOffers)?;
    let t = &draft.terms;
    let (kind, value) = match t.off {
        Off::Percent(pct) => (PromoKind::Percent, i64::from(pct)),
        Off::Fixed(amount) => (PromoKind::Fixed, amount.paise()),
    };
    let plan_ids = match &t.plans {
        Some(ids) => format!(",{},", ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")),
        None => String::new(),
    };
    let txn = db.begin().await?;
    let inserted = promo_code::Entity::insert(promo_code::ActiveModel {
        code: Set(draft.code.clone()),
        kind: Set(kind),
        value: Set(value),
        plan_ids: Set(plan_ids),
        valid_from: Set(t.valid_from),
        valid_until: Set(t.valid_until),
        max_uses: Set(t.max_uses.map(|n| n.min(i32::MAX as u32) as i32)),
        per_user: Set(t.per_user.min(i32::MAX as u32) as i32),
        first_purchase_only: Set(t.first_purchase_only),
        min_price: Set(t.min_price.paise()),
        is_active: Set(true),
        uses: Set(0),
        created_by: Set(actor.telegram_id),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([promo_code::Column::Code])
    .exec_without_returning(&txn)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(CreateOutcome::CodeTaken);
    }
    let created = by_code(&txn, &draft.code).await?.ok_or_else(|| DbErr::RecordNotFound(draft.code.clone()))?;
    let details = serde_json::json!({ "code": created.code, "kind": sea_orm::ActiveEnum::to_value(&created.kind), "value": created.value });
    audit::record(&txn, actor, "promo.create", &format!("promo:{}", created.id), details, now).await?;
    txn.commit().await?;
    Ok(CreateOutcome::Created(created))
}

async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<promo_code::Model>, DbErr> {
    promo_code::Entity::find().filter(promo_code::Column::Code.eq(code)).one(conn).await
}

/// Every code, newest first (Permission::View).
pub async fn list(db: &DatabaseConnection, actor: &Actor, limit: u64) -> Result<Vec<promo_code::Model>, ActError> {
    actor.require(Permission::View)?;
    Ok(promo_code::Entity::find().order_by_desc(promo_code::Column::Id).limit(limit).all(db).await?)
}

/// A code by id, or by its text (any case).
pub async fn find(db: &DatabaseConnection, actor: &Actor, key: &str) -> Result<Option<promo_code::Model>, ActError> {
    actor.require(Permission::View)?;
    if let Ok(id) = key.trim().trim_start_matches('#').parse::<i32>() {
        if let Some(found) = promo_code::Entity::find_by_id(id).one(db).await? {
            return Ok(Some(found));
        }
    }
    match promo::normalize(key) {
        Some(code) => Ok(by_code(db, &code).await?),
        None => Ok(None),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisableOutcome {
    Disabled(promo_code::Model),
    AlreadyOff(promo_code::Model),
    Unknown,
}

/// No new checkout can use the code; orders already paid keep their discount. Audited.
pub async fn disable(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<DisableOutcome, ActError> {
    actor.require(Permission::ManageOffers)?;
    let txn = db.begin().await?;
    let Some(found) = promo_code::Entity::find_by_id(id).one(&txn).await? else { return Ok(DisableOutcome::Unknown) };
    let changed = promo_code::Entity::update_many()
        .col_expr(promo_code::Column::IsActive, Expr::value(false))
        .filter(promo_code::Column::Id.eq(id))
        .filter(promo_code::Column::IsActive.eq(true))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(DisableOutcome::AlreadyOff(found));
    }
    audit::record(&txn, actor, "promo.disable", &format!("promo:{id}"), serde_json::json!({ "code": found.code }), now)
        .await?;
    txn.commit().await?;
    Ok(DisableOutcome::Disabled(promo_code::Model { is_active: false, ..found }))
}

/// A code's use: paid orders, customers, what they paid and what they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub code: promo_code::Model,
    pub orders: u64,
    pub customers: u64,
    pub paid: Money,
    pub discount: Money,
}

pub async fn usage(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<Usage>, ActError> {
    actor.require(Permission::View)?;
    let Some(code) = promo_code::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let redemptions =
        promo_redemption::Entity::find().filter(promo_redemption::Column::PromoCodeId.eq(id)).all(db).await?;
    let mut customers: Vec<i32> = redemptions.iter().map(|r| r.user_id).collect();
    customers.sort_unstable();
    customers.dedup();
    let order_ids: Vec<i32> = redemptions.iter().map(|r| r.order_id).collect();
    let paid: i64 =
        order::Entity::find().filter(order::Column::Id.is_in(order_ids)).all(db).await?.iter().map(|o| o.price).sum();
    Ok(Some(Usage {
        orders: redemptions.len() as u64,
        customers: customers.len() as u64,
        paid: Money::from_paise(paid),
        discount: Money::from_paise(redemptions.iter().map(|r| r.discount).sum()),
        code,
    }))
}

/// The customer has a paid (or since refunded) order other than `except`.
async fn has_bought(conn: &impl ConnectionTrait, user_id: i32, except: Option<i32>) -> Result<bool, DbErr> {
    let mut query =
        order::Entity::find().filter(order::Column::UserId.eq(user_id)).filter(order::Column::PaidAt.is_not_null());
    if let Some(id) = except {
        query = query.filter(order::Column::Id.ne(id));
    }
    Ok(query.count(conn).await? > 0)
}

/// The referee discount a new order of `user` at `list_price` gets: on a referred customer's
/// first purchase only.
pub(crate) async fn referee_discount(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    list_price: Money,
) -> Result<Money, DbErr> {
    if user.referred_by.is_none() {
        return Ok(Money::ZERO);
    }
    let rate = settings::referee_discount(conn).await?;
    if rate.is_zero() || has_bought(conn, user.id, None).await? {
        return Ok(Money::ZERO);
    }
    Ok(promo::referee_discount(rate, list_price))
}

async fn usage_of(
    conn: &impl ConnectionTrait,
    code: &promo_code::Model,
    user: &user::Model,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<Use, DbErr> {
    let uses_by_customer = promo_redemption::Entity::find()
        .filter(promo_redemption::Column::PromoCodeId.eq(code.id))
        .filter(promo_redemption::Column::UserId.eq(user.id))
        .count(conn)
        .await?;
    Ok(Use {
        plan_id: order.plan_id,
        list_price: Money::from_paise(order.list_price),
        now,
        uses: code.uses.max(0) as u32,
        uses_by_customer: uses_by_customer as u32,
        first_purchase: !has_bought(conn, user.id, Some(order.id)).await?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied { checkout: Box<Checkout>, code: String },
    Refused(Refusal),
}

/// The customer types `input` on the confirm screen of pending order `order_id`.
pub async fn apply(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    input: &str,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, PurchaseError> {
    let (user, order) = open_order_of(db, telegram_id, order_id).await?;
    let Some(code) = promo::normalize(input) else { return Ok(ApplyOutcome::Refused(Refusal::Unknown)) };
    let Some(found) = by_code(db, &code).await? else { return Ok(ApplyOutcome::Refused(Refusal::Unknown)) };
    let terms = terms_of(&found);
    if let Err(refusal) = promo::check(&terms, &usage_of(db, &found, &user, &order, now).await?) {
        return Ok(ApplyOutcome::Refused(refusal));
    }
    let list = Money::from_paise(order.list_price);
    let off = promo::discount(terms.off, list);
    if off <= referee_discount(db, &user, list).await? {
        return Ok(ApplyOutcome::Refused(Refusal::NotBetter));
    }
    set_discount(db, order_id, list, off, Some(found.id), Some(DiscountKind::Promo)).await?;
    let checkout = purchase::pending_checkout(db, telegram_id, order_id, now).await?;
    Ok(ApplyOutcome::Applied { checkout: Box::new(checkout), code: found.code })
}

/// Takes the code off the pending order (the referee discount applies again where due).
pub async fn remove(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let (user, order) = open_order_of(db, telegram_id, order_id).await?;
    drop_promo(db, &user, &order).await?;
    purchase::pending_checkout(db, telegram_id, order_id, now).await
}

/// The pending order back to its list price, less the referee discount when due.
pub(crate) async fn drop_promo(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    order: &order::Model,
) -> Result<(), DbErr> {
    let list = Money::from_paise(order.list_price);
    let referee = referee_discount(conn, user, list).await?;
    let kind = referee.is_positive().then_some(DiscountKind::Referee);
    set_discount(conn, order.id, list, referee, None, kind).await
}

async fn set_discount(
    conn: &impl ConnectionTrait,
    order_id: i32,
    list: Money,
    off: Money,
    code: Option<i32>,
    kind: Option<DiscountKind>,
) -> Result<(), DbErr> {
    order::Entity::update_many()
        .col_expr(order::Column::Price, Expr::value(list.paise() - off.paise()))
        .col_expr(order::Column::Discount, Expr::value(off.paise()))
        .col_expr(order::Column::PromoCodeId, Expr::value(code))
        .col_expr(order::Column::DiscountKind, Expr::value(kind))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::Pending))
        .exec(conn)
        .await?;
    Ok(())
}

async fn open_order_of(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
) -> Result<(user::Model, order::Model), PurchaseError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    let order = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .filter(|o| o.user_id == user.id && o.status == OrderStatus::Pending)
        .ok_or(PurchaseError::OrderClosed)?;
    Ok((user, order))
}

/// Inside the payment's transaction (`purchase::pay_order`, the buyer's row locked): spends
/// the order's code, or checks the referee discount still is a first purchase. When the
/// discount no longer holds: `DiscountGone`, and the caller rolls back.
pub(crate) async fn redeem(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<(), PurchaseError> {
    match order.discount_kind {
        None => Ok(()),
        Some(DiscountKind::Referee) => match has_bought(conn, user.id, Some(order.id)).await? {
            true => Err(PurchaseError::DiscountGone(Refusal::FirstPurchaseOnly)),
            false => Ok(()),
        },
        Some(DiscountKind::Promo) => {
            use sea_orm::sea_query::ExprTrait;
            let code = match order.promo_code_id {
                Some(id) => promo_code::Entity::find_by_id(id).one(conn).await?,
                None => None,
            };
            let Some(code) = code else { return Err(PurchaseError::DiscountGone(Refusal::Unknown)) };
            let usage = usage_of(conn, &code, user, order, now).await?;
            promo::check(&terms_of(&code), &usage).map_err(PurchaseError::DiscountGone)?;
            let counted = promo_code::Entity::update_many()
                .col_expr(promo_code::Column::Uses, Expr::col(promo_code::Column::Uses).add(1))
                .filter(promo_code::Column::Id.eq(code.id))
                .filter(promo_code::Column::IsActive.eq(true))
                .filter(
                    Condition::any()
                        .add(promo_code::Column::MaxUses.is_null())
                        .add(Expr::col(promo_code::Column::Uses).lt(Expr::col(promo_code::Column::MaxUses))),
                )
                .exec(conn)
                .await?;
            if counted.rows_affected == 0 {
                return Err(PurchaseError::DiscountGone(Refusal::UsedUp));
            }
            let inserted = promo_redemption::Entity::insert(promo_redemption::ActiveModel {
                promo_code_id: Set(code.id),
                user_id: Set(user.id),
                seq: Set(usage.uses_by_customer as i32 + 1),
                order_id: Set(order.id),
                discount: Set(order.discount),
                created_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(conn)
            .await;
            match inserted {
                Ok(_) => Ok(()),
                Err(err) if is_unique_violation(&err) => Err(PurchaseError::DiscountGone(Refusal::UsedByYou)),
                Err(err) => Err(err.into()),
            }
        }
    }
}
