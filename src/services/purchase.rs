//! Buying a plan from the wallet: a checkout (the confirm screen) and its confirmation.
//!
//! A checkout is a pending order. There is at most one per user and plan (`checkout_key` is
//! unique), so two confirm screens for the same plan are the same order, and confirming it
//! is a conditional `pending -> paid` update that only one transaction can win.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::domain::subscription_period;
use crate::domain::Money;
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::order::{self, OrderStatus, PaymentMethod};
use crate::entities::stock_item::{self, StockStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, renewal, user};
use crate::services::gifts::{self, GiftLink};
use crate::services::outbox::{self, Notice};
use crate::services::referrals::{self, EarnedCommission};
use crate::services::wallet::{self, Posting, PostingError};
use crate::services::{catalog, promos, renewals, users};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub order_id: i32,
    pub plan: plan::Model,
    pub price: Money,
    pub balance: Money,
    /// For a renewal: the subscription, and the period paying now would buy.
    pub renewal: Option<RenewalTerms>,
    /// What comes off the list price, when anything does (`price` is after it).
    pub discount: Option<Discount>,
    /// Bought as a gift: paying it gives a link to pass on, not a subscription.
    pub gift: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discount {
    pub list_price: Money,
    pub amount: Money,
    /// The promo code; None for the referee discount.
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalTerms {
    pub subscription_id: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Checkout {
    /// What the wallet lacks to pay `price`; zero when it covers it.
    pub fn shortfall(&self) -> Money {
        self.balance.shortfall_for(self.price)
    }

    /// The balance after paying from the wallet, when it covers the price.
    pub fn balance_after(&self) -> Option<Money> {
        self.balance.checked_sub(self.price).filter(|b| b.paise() >= 0)
    }
}

/// What to do when the wallet does not cover the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenShort {
    /// No order: tell the customer what is missing (no payment method to offer).
    Refuse,
    /// Open the order anyway, so a payment can carry it and complete it.
    OpenForPayment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub order_id: i32,
    pub plan_id: i32,
    pub plan_name: String,
    pub price: Money,
    pub credential: String,
    pub ends_at: DateTime<Utc>,
    pub balance: Money,
    /// Credentials of this plan still available right after the sale.
    pub stock_left: u64,
    /// Referral commissions this sale earned (empty when shown again).
    pub commissions: Vec<EarnedCommission>,
    /// Set when the order renewed a subscription.
    pub renewal: Option<Renewed>,
    /// Set for a gift: the link to pass on (`credential` is for whoever claims it, not shown).
    pub gift: Option<GiftLink>,
}

/// A subscription's next period, paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    pub subscription_id: i32,
    pub starts_at: DateTime<Utc>,
    /// The plan replaces logins on renewal: `credential` is a new one, valid from `starts_at`.
    pub new_login: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PurchaseError {
    #[error("unknown user")]
    UnknownUser,
    #[error("plan not available")]
    PlanUnavailable,
    #[error("sold out")]
    SoldOut { plan_id: i32, plan_name: String },
    #[error("insufficient balance")]
    InsufficientBalance { plan_name: String, balance: Money, price: Money, missing: Money },
    #[error("order not found")]
    OrderNotFound,
    /// Not the customer's subscription, or refunded: it cannot be renewed.
    #[error("subscription closed")]
    SubscriptionClosed,
    /// The order's discount no longer holds (the code was used up meanwhile, …): nothing was
    /// charged, and the order is back at its price without it.
    #[error("discount no longer valid")]
    DiscountGone(crate::domain::promo::Refusal),
    /// The checkout was cancelled (by the customer, or because stock ran out).
    #[error("order no longer open")]
    OrderClosed,
    /// Confirmed before: the same delivery again, nothing charged twice.
    #[error("already paid")]
    AlreadyPaid(Delivery),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Opens (or reopens) the checkout for `plan_id`: the data of the confirm screen. When the
/// wallet does not cover the price, `when_short` decides between no order (the answer says
/// what is missing) and an order waiting for a payment.
pub async fn open_checkout(
    db: &DatabaseConnection,
    telegram_id: i64,
    plan_id: i32,
    when_short: WhenShort,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    let listing =
        catalog::find_plan(db, plan_id).await?.filter(|l| l.plan.is_active).ok_or(PurchaseError::PlanUnavailable)?;
    if !listing.in_stock() {
        alert_sold_out(db, plan_id, &listing.plan.name, now).await?;
        return Err(PurchaseError::SoldOut { plan_id, plan_name: listing.plan.name });
    }
    open_order(db, &user, listing.plan, None, when_short, now).await
}

/// The pending order of `user` for `plan` (renewing `renews`, when set), created unless it is
/// open already: the checkout behind a confirm screen.
pub(crate) async fn open_order(
    db: &DatabaseConnection,
    user: &user::Model,
    plan: plan::Model,
    renews: Option<i32>,
    when_short: WhenShort,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let (balance, price) = (Money::from_paise(user.balance), Money::from_paise(plan.price));
    if balance < price && when_short == WhenShort::Refuse {
        let missing = balance.shortfall_for(price);
        return Err(PurchaseError::InsufficientBalance { plan_name: plan.name, balance, price, missing });
    }
    let key = checkout_key(user.id, plan.id, renews);
    let referee = promos::referee_discount(db, user, price).await?;
    order::Entity::insert(order::ActiveModel {
        user_id: Set(user.id),
        plan_id: Set(plan.id),
        price: Set(plan.price - referee.paise()),
        list_price: Set(plan.price),
        discount: Set(referee.paise()),
        discount_kind: Set(referee.is_positive().then_some(order::DiscountKind::Referee)),
        cost: Set(plan.cost),
        status: Set(OrderStatus::Pending),
        payment_method: Set(PaymentMethod::Wallet),
        checkout_key: Set(Some(key.clone())),
        created_at: Set(now),
        paid_at: Set(None),
        updated_at: Set(now),
        renews_subscription_id: Set(renews),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([order::Column::CheckoutKey])
    .exec_without_returning(db)
    .await?;
    let order = order::Entity::find()
        .filter(order::Column::CheckoutKey.eq(key))
        .one(db)
        .await?
        .ok_or(PurchaseError::OrderClosed)?;
    let renewal = renewals::terms_of(db, &order, &plan, now).await?;
    let discount = discount_of(db, &order).await?;
    // The order may have been opened earlier (a reopened confirm screen): its price stands.
    Ok(Checkout {
        order_id: order.id,
        plan,
        price: Money::from_paise(order.price),
        balance,
        renewal,
        discount,
        gift: order.is_gift,
    })
}

async fn discount_of(conn: &impl ConnectionTrait, order: &order::Model) -> Result<Option<Discount>, DbErr> {
    if order.discount <= 0 {
        return Ok(None);
    }
    let code = match order.promo_code_id {
        Some(id) => crate::entities::promo_code::Entity::find_by_id(id).one(conn).await?.map(|c| c.code),
        None => None,
    };
    Ok(Some(Discount {
        list_price: Money::from_paise(order.list_price),
        amount: Money::from_paise(order.discount),
        code,
    }))
}

/// The customer's pending order `order_id` as a checkout (to pay it by another method).
pub async fn pending_checkout(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Checkout, PurchaseError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    let order = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .filter(|o| o.user_id == user.id)
        .ok_or(PurchaseError::OrderNotFound)?;
    if order.status != OrderStatus::Pending {
        return Err(closed_order_error(db, &order, &user).await);
    }
    let plan = plan::Entity::find_by_id(order.plan_id).one(db).await?.ok_or(PurchaseError::PlanUnavailable)?;
    let renewal = renewals::terms_of(db, &order, &plan, now).await?;
    let discount = discount_of(db, &order).await?;
    Ok(Checkout {
        order_id,
        plan,
        price: Money::from_paise(order.price),
        balance: Money::from_paise(user.balance),
        renewal,
        discount,
        gift: order.is_gift,
    })
}

/// One open checkout per user and plan, and per subscription renewed.
fn checkout_key(user_id: i32, plan_id: i32, renews: Option<i32>) -> String {
    match renews {
        None => format!("{user_id}:{plan_id}"),
        Some(sub) => format!("{user_id}:{plan_id}:r{sub}"),
    }
}

/// Pays the pending order from the wallet, assigns one credential and starts the
/// subscription, all in one transaction. Safe to call any number of times concurrently.
pub async fn confirm(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Delivery, PurchaseError> {
    let txn = db.begin().await?;
    let user = users::find_by_telegram_id(&txn, telegram_id).await?.ok_or(PurchaseError::UnknownUser)?;
    // The buyer's row first, as every transaction that moves their money does (a settlement
    // paying this order takes the same locks in the same order).
    users::lock(&txn, user.id).await?;
    let order = order::Entity::find_by_id(order_id)
        .one(&txn)
        .await?
        .filter(|o| o.user_id == user.id)
        .ok_or(PurchaseError::OrderNotFound)?;
    if order.status != OrderStatus::Pending {
        return Err(closed_order_error(&txn, &order, &user).await);
    }
    match pay_order(&txn, &user, &order, now).await {
        Ok(delivery) => {
            txn.commit().await?;
            Ok(delivery)
        }
        Err(err @ PurchaseError::DiscountGone(_)) => {
            // Nothing was charged; the order stays open at its price without the discount.
            drop(txn);
            promos::drop_promo(db, &user, &order).await?;
            Err(err)
        }
        Err(err @ (PurchaseError::SoldOut { .. } | PurchaseError::InsufficientBalance { .. })) => {
            // Nothing was charged; close this checkout so a replay cannot charge later.
            drop(txn);
            cancel_pending(db, order.id, now).await?;
            if let PurchaseError::SoldOut { plan_id, plan_name } = &err {
                alert_sold_out(db, *plan_id, plan_name, now).await?;
            }
            Err(err)
        }
        Err(PurchaseError::OrderClosed) => {
            // Another confirmation won the race; tell this one what happened.
            drop(txn);
            let order = order::Entity::find_by_id(order_id).one(db).await?.ok_or(PurchaseError::OrderNotFound)?;
            Err(closed_order_error(db, &order, &user).await)
        }
        Err(err) => Err(err),
    }
}

/// Pays a pending order from the wallet inside the caller's transaction: claims the order,
/// takes one credential, debits the price with a ledger row and starts the subscription.
/// Locks in the one order: the buyer's row (callers take it first thing; taken again here, a
/// no-op), then the order, then stock. On any error the caller must roll back (or roll back
/// to a savepoint).
pub(crate) async fn pay_order(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<Delivery, PurchaseError> {
    users::lock(conn, user.id).await?;
    // The conditional update is the one place where concurrent confirmations are decided.
    let claimed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Paid))
        .col_expr(order::Column::CheckoutKey, Expr::value(Option::<String>::None))
        .col_expr(order::Column::PaidAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::Status.eq(OrderStatus::Pending))
        .exec(conn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(PurchaseError::OrderClosed);
    }

    let plan = plan::Entity::find_by_id(order.plan_id).one(conn).await?.ok_or(PurchaseError::PlanUnavailable)?;
    promos::redeem(conn, user, order, now).await?;
    let mut gift = None;
    let (stock, ends_at, renewal) = if order.renews_subscription_id.is_some() {
        let auto = order.payment_method == PaymentMethod::AutoRenew;
        let extended = renewals::extend(conn, user, order, &plan, auto, now).await?;
        let renewed = Renewed {
            subscription_id: order.renews_subscription_id.unwrap_or_default(),
            starts_at: extended.starts_at,
            new_login: extended.new_login,
        };
        (extended.stock, extended.ends_at, Some(renewed))
    } else {
        let Some(stock) = assign_stock(conn, order.plan_id, Some(order.id), now).await? else {
            return Err(PurchaseError::SoldOut { plan_id: plan.id, plan_name: plan.name });
        };
        if order.is_gift {
            // Held for the link: the subscription starts when someone claims it.
            let link = gifts::create(conn, order, &plan, &stock, now).await?;
            let ends_at = subscription_period::ends_at(link.expires_at, plan.duration_days);
            gift = Some(link);
            (stock, ends_at, None)
        } else {
            let ends_at = subscription_period::ends_at(now, plan.duration_days);
            subscription::ActiveModel {
                user_id: Set(user.id),
                plan_id: Set(plan.id),
                order_id: Set(order.id),
                stock_item_id: Set(stock.id),
                starts_at: Set(now),
                ends_at: Set(ends_at),
                status: Set(SubscriptionStatus::Active),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            (stock, ends_at, None)
        }
    };

    let price = Money::from_paise(order.price);
    let posting = Posting {
        user_id: user.id,
        amount: Money::from_paise(-order.price),
        kind: LedgerKind::Purchase,
        reference: format!("order:{}", order.id),
        idempotency_key: format!("order:{}:payment", order.id),
    };
    let balance = match wallet::post(conn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Insufficient { balance }) => {
            return Err(PurchaseError::InsufficientBalance {
                plan_name: plan.name,
                balance,
                price,
                missing: balance.shortfall_for(price),
            });
        }
        Err(PostingError::Duplicate) => return Err(PurchaseError::OrderClosed),
        Err(PostingError::Db(err)) => return Err(err.into()),
    };

    let stock_left = catalog::available_stock(conn, plan.id).await?;
    let commissions = referrals::record_for_order(conn, user, order, now).await?;
    let alert = Notice::NewOrderAlert {
        order_id: order.id,
        plan_id: plan.id,
        plan_name: plan.name.clone(),
        price: order.price,
        customer: user.into(),
        stock_left,
        renewal: renewal.is_some(),
    };
    outbox::to_staff(conn, &alert, now).await?;

    Ok(Delivery {
        order_id: order.id,
        plan_id: plan.id,
        plan_name: plan.name,
        price,
        // A gift's login is for whoever claims it.
        credential: if gift.is_some() { String::new() } else { stock.credential },
        ends_at,
        balance,
        stock_left,
        commissions,
        renewal,
        gift,
    })
}

/// Takes one available credential of the plan for the order (None: a replacement, which
/// belongs to no order of its own), or None when there is none left.
pub(crate) async fn assign_stock(
    conn: &impl ConnectionTrait,
    plan_id: i32,
    order_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Option<stock_item::Model>, DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        // The first available row no other transaction holds, locked for this one: concurrent
        // buyers of one plan take different rows instead of each waiting for the commit of the
        // buyer ahead (whose row it then finds taken). With every row held, the loop below waits
        // for them as before (a holder may roll back and leave its row available).
        let free = stock_item::Entity::find()
            .filter(stock_item::Column::PlanId.eq(plan_id))
            .filter(stock_item::Column::Status.eq(StockStatus::Available))
            .order_by_asc(stock_item::Column::Id)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .one(conn)
            .await?;
        if let Some(candidate) = free {
            if take_stock(conn, candidate.id, order_id, now).await? {
                return Ok(Some(candidate));
            }
        }
    }
    loop {
        let candidates = stock_item::Entity::find()
            .filter(stock_item::Column::PlanId.eq(plan_id))
            .filter(stock_item::Column::Status.eq(StockStatus::Available))
            .order_by_asc(stock_item::Column::Id)
            .limit(8)
            .all(conn)
            .await?;
        if candidates.is_empty() {
            return Ok(None);
        }
        for candidate in candidates {
            if take_stock(conn, candidate.id, order_id, now).await? {
                return Ok(Some(candidate));
            }
        }
    }
}

/// Assigns stock row `id` to the order if it is still available.
async fn take_stock(
    conn: &impl ConnectionTrait,
    id: i32,
    order_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // On PostgreSQL a concurrent buyer may take this row first: the status check makes that a
    // miss (0 rows) rather than a double assignment.
    let taken = stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Assigned))
        .col_expr(stock_item::Column::OrderId, Expr::value(order_id))
        .col_expr(stock_item::Column::AssignedAt, Expr::value(now))
        .filter(stock_item::Column::Id.eq(id))
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .exec(conn)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// How long one sold-out alert per plan covers, however many customers hit it.
const SOLD_OUT_ALERT_WINDOW_SECONDS: i64 = 15 * 60;

/// Tells the staff a plan is sold out, once per plan per window.
pub(crate) async fn alert_sold_out(
    conn: &impl ConnectionTrait,
    plan_id: i32,
    plan_name: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let window = now.timestamp().div_euclid(SOLD_OUT_ALERT_WINDOW_SECONDS);
    let notice = Notice::SoldOutAlert { plan_id, plan_name: plan_name.to_owned() };
    outbox::to_staff_once(conn, &notice, &format!("sold_out:{plan_id}:{window}"), now).await
}

pub(crate) async fn cancel_pending(
    conn: &impl ConnectionTrait,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Cancelled))
        .col_expr(order::Column::CheckoutKey, Expr::value(Option::<String>::None))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::Pending))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    /// Too late: this order was paid (e.g. from a second confirm screen).
    AlreadyPaid,
    /// Not this customer's open order (cancelled before, sold out, unknown).
    NotOpen,
}

/// The customer pressed Cancel on the confirm screen.
pub async fn cancel_checkout(
    db: &DatabaseConnection,
    telegram_id: i64,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<CancelOutcome, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else {
        return Ok(CancelOutcome::NotOpen);
    };
    let result = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Cancelled))
        .col_expr(order::Column::CheckoutKey, Expr::value(Option::<String>::None))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::UserId.eq(user.id))
        .filter(order::Column::Status.eq(OrderStatus::Pending))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        return Ok(CancelOutcome::Cancelled);
    }
    let paid = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .is_some_and(|o| o.user_id == user.id && o.status == OrderStatus::Paid);
    Ok(if paid { CancelOutcome::AlreadyPaid } else { CancelOutcome::NotOpen })
}

async fn closed_order_error(conn: &impl ConnectionTrait, order: &order::Model, user: &user::Model) -> PurchaseError {
    if order.status != OrderStatus::Paid {
        return PurchaseError::OrderClosed;
    }
    match delivery_of(conn, order, user).await {
        Ok(Some(delivery)) => PurchaseError::AlreadyPaid(delivery),
        Ok(None) => PurchaseError::OrderClosed,
        Err(err) => err.into(),
    }
}

async fn delivery_of(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    user: &user::Model,
) -> Result<Option<Delivery>, DbErr> {
    if order.is_gift {
        return gift_delivery_of(conn, order, user).await;
    }
    let Some(sub) = renewals::subscription_of_order(conn, order).await? else {
        return Ok(None);
    };
    let renewal = match order.renews_subscription_id {
        None => None,
        Some(_) => renewal::Entity::find().filter(renewal::Column::OrderId.eq(order.id)).one(conn).await?.map(|r| {
            Renewed { subscription_id: sub.id, starts_at: r.starts_at, new_login: r.replaced_stock_item_id.is_some() }
        }),
    };
    let plan_name = plan::Entity::find_by_id(sub.plan_id).one(conn).await?.map(|p| p.name).unwrap_or_default();
    let credential =
        stock_item::Entity::find_by_id(sub.stock_item_id).one(conn).await?.map(|s| s.credential).unwrap_or_default();
    let balance = users::find_by_telegram_id(conn, user.telegram_id)
        .await?
        .map(|u| Money::from_paise(u.balance))
        .unwrap_or_default();
    let stock_left = catalog::available_stock(conn, sub.plan_id).await?;
    Ok(Some(Delivery {
        order_id: order.id,
        plan_id: sub.plan_id,
        plan_name,
        price: Money::from_paise(order.price),
        credential,
        ends_at: sub.ends_at,
        balance,
        stock_left,
        commissions: Vec::new(),
        renewal,
        gift: None,
    }))
}

/// A paid gift order shown again to its buyer: the link, never the login.
async fn gift_delivery_of(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    user: &user::Model,
) -> Result<Option<Delivery>, DbErr> {
    let Some(link) = gifts::link_of_order(conn, order.id).await? else { return Ok(None) };
    let plan = plan::Entity::find_by_id(order.plan_id).one(conn).await?;
    let (plan_name, days) = plan.map(|p| (p.name, p.duration_days)).unwrap_or_default();
    let balance = users::find_by_telegram_id(conn, user.telegram_id)
        .await?
        .map(|u| Money::from_paise(u.balance))
        .unwrap_or_default();
    Ok(Some(Delivery {
        order_id: order.id,
        plan_id: order.plan_id,
        plan_name,
        price: Money::from_paise(order.price),
        credential: String::new(),
        ends_at: subscription_period::ends_at(link.expires_at, days),
        balance,
        stock_left: catalog::available_stock(conn, order.plan_id).await?,
        commissions: Vec::new(),
        renewal: None,
        gift: Some(link),
    }))
}
