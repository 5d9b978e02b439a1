//! Payments: money arriving from outside (UPI, Razorpay, Telegram Stars).
//!
//! `settle` is the one way money lands: in one transaction it marks the payment paid, credits
//! the wallet with a ledger row keyed by the payment, and, for a purchase that is still
//! open and was paid before the payment expired, pays the order from the wallet. If the
//! plan sold out meanwhile only the purchase is rolled back (savepoint): the money stays.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::domain::{payment_reference, Money};
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::order::{self, OrderStatus};
use crate::entities::payment::{self, PaymentChannel, PaymentPurpose, PaymentStatus};
use crate::entities::{fraud_flag, user};
use crate::services::outbox::{self, NotBought, Notice};
use crate::services::purchase::{self, Delivery, PurchaseError};
use crate::services::wallet::{self, Posting, PostingError};
use crate::services::{fraud, is_unique_violation, users};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("unknown user")]
    UnknownUser,
    #[error("order not open")]
    OrderNotOpen,
    #[error("amount out of bounds")]
    AmountOutOfBounds,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What the customer wants to pay for.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    TopUp {
        amount: Money,
    },
    /// Pay `amount` (the difference, or the full price) towards a pending order.
    Purchase {
        order_id: i32,
        amount: Money,
    },
}

/// Opens a pending payment with a fresh reference, valid for `valid_for`.
pub async fn create(
    db: &DatabaseConnection,
    telegram_id: i64,
    purpose: Purpose,
    channel: PaymentChannel,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<payment::Model, PaymentError> {
    let user = users::find_by_telegram_id(db, telegram_id).await?.ok_or(PaymentError::UnknownUser)?;
    let (kind, order_id, amount) = match purpose {
        Purpose::TopUp { amount } => (PaymentPurpose::TopUp, None, amount),
        Purpose::Purchase { order_id, amount } => {
            let open = order::Entity::find_by_id(order_id)
                .one(db)
                .await?
                .is_some_and(|o| o.user_id == user.id && o.status == OrderStatus::Pending);
            if !open {
                return Err(PaymentError::OrderNotOpen);
            }
            (PaymentPurpose::Purchase, Some(order_id), amount)
        }
    };
    if !amount.is_positive() {
        return Err(PaymentError::AmountOutOfBounds);
    }
    for _ in 0..8 {
        // Generated in its own statement: the thread-local RNG must not live across an await.
        let reference = payment_reference::generate(&mut rand::rng());
        let inserted = payment::ActiveModel {
            reference: Set(reference),
            user_id: Set(user.id),
            order_id: Set(order_id),
            purpose: Set(kind),
            method: Set(channel),
            amount: Set(amount.paise()),
            paid_amount: Set(None),
            status: Set(PaymentStatus::Pending),
            gateway_link_id: Set(None),
            gateway_payment_id: Set(None),
            link_url: Set(None),
            payer_vpa: Set(None),
            expires_at: Set(now + valid_for),
            created_at: Set(now),
            paid_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await;
        match inserted {
            Ok(payment) => return Ok(payment),
            Err(err) if is_unique_violation(&err) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(DbErr::Custom("could not allocate a unique payment reference".into()).into())
}

/// Remembers the gateway's link for a payment (Razorpay payment link id and URL).
pub async fn attach_link(db: &DatabaseConnection, payment_id: i32, link_id: &str, url: &str) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::GatewayLinkId, Expr::value(link_id))
        .col_expr(payment::Column::LinkUrl, Expr::value(url))
        .filter(payment::Column::Id.eq(payment_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_by_reference(conn: &impl ConnectionTrait, reference: &str) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find().filter(payment::Column::Reference.eq(reference)).one(conn).await
}

pub async fn find_by_link_id(conn: &impl ConnectionTrait, link_id: &str) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find().filter(payment::Column::GatewayLinkId.eq(link_id)).one(conn).await
}

pub async fn find_by_gateway_payment_id(
    conn: &impl ConnectionTrait,
    gateway_payment_id: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find().filter(payment::Column::GatewayPaymentId.eq(gateway_payment_id)).one(conn).await
}

/// Pending (or failed) Razorpay payments with a link, created before `older_than` and not
/// expired before `expired_after`, oldest first, at most `limit`: for reconciliation. With
/// `references`, only those among them.
pub async fn pending_links(
    db: &DatabaseConnection,
    older_than: DateTime<Utc>,
    expired_after: DateTime<Utc>,
    references: Option<&[String]>,
    limit: u64,
) -> Result<Vec<payment::Model>, DbErr> {
    let mut query = payment::Entity::find()
        .filter(payment::Column::Method.eq(PaymentChannel::Razorpay))
        .filter(payment::Column::Status.is_in([PaymentStatus::Pending, PaymentStatus::Failed]))
        .filter(payment::Column::GatewayLinkId.is_not_null())
        .filter(payment::Column::CreatedAt.lt(older_than))
        .filter(payment::Column::ExpiresAt.gt(expired_after));
    if let Some(references) = references {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(payment::Column::Reference.is_in(references.iter().map(String::as_str)));
    }
    query.order_by_asc(payment::Column::CreatedAt).order_by_asc(payment::Column::Id).limit(limit).all(db).await
}

/// What a gateway says about money that arrived.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    /// The gateway's id for this payment (Razorpay `pay_…`, Telegram charge id, UTR).
    pub gateway_payment_id: Option<String>,
    /// Paise the gateway says were paid: this is what is credited.
    pub amount: Money,
    pub payer_vpa: Option<String>,
    /// When the payer paid, if the gateway says; decides whether the purchase still completes.
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum Settlement {
    Credited {
        payment: Box<payment::Model>,
        user: Box<user::Model>,
        credited: Money,
        balance: Money,
        /// For purchases: the delivered order, or why it was not completed.
        purchase: Option<PurchaseResult>,
        /// Fraud flags the payment raised (the payer's UPI ID is their referrer's).
        flags: Vec<fraud_flag::Model>,
    },
    /// Settled before (a replayed webhook, a second approval): nothing changed.
    AlreadySettled,
    /// Zero or a negative amount: not money that arrived. Nothing changed; the payment stays
    /// open for the real one.
    Refused,
}

#[derive(Debug, Clone)]
pub enum PurchaseResult {
    Delivered(Box<Delivery>),
    SoldOut {
        plan_name: String,
    },
    /// The money came after the payment expired: it stays in the wallet.
    Late,
    /// The order was paid or closed meanwhile (or the wallet could not cover it): money stays.
    OrderClosed,
    /// The order's discount no longer held (its code was used up): money stays.
    DiscountGone,
}

/// Lands the money of `payment_id` exactly once; see the module comment.
pub async fn settle(
    db: &DatabaseConnection,
    payment_id: i32,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> Result<Settlement, DbErr> {
    let txn = db.begin().await?;
    let settlement = settle_in(&txn, payment_id, arrival, now).await?;
    if let Settlement::Credited { .. } = settlement {
        txn.commit().await?;
    }
    Ok(settlement)
}

/// `settle` inside the caller's transaction, keeping only a credit: anything else it did is
/// rolled back to a savepoint, and the caller's other work stays (a webhook's event record).
pub(crate) async fn settle_within(
    txn: &DatabaseTransaction,
    payment_id: i32,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> Result<Settlement, DbErr> {
    let savepoint = txn.begin().await?;
    let settlement = settle_in(&savepoint, payment_id, arrival, now).await?;
    match settlement {
        Settlement::Credited { .. } => savepoint.commit().await?,
        _ => savepoint.rollback().await?,
    }
    Ok(settlement)
}

/// `settle` inside the caller's transaction (e.g. together with an admin's approval).
/// Unless it returns `Credited` the caller should roll back.
pub(crate) async fn settle_in(
    txn: &DatabaseTransaction,
    payment_id: i32,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> Result<Settlement, DbErr> {
    if !arrival.amount.is_positive() {
        log::warn!("payment {payment_id}: refusing to settle {} paise", arrival.amount.paise());
        return Ok(Settlement::Refused);
    }
    // Locks in the one order: the customer's row first, then the payment, then (paying the
    // order) the order and stock. A Confirm of the same order takes the customer's row first
    // too, so the two wait for each other instead of deadlocking.
    let Some(owner) = payment::Entity::find_by_id(payment_id).one(txn).await?.map(|p| p.user_id) else {
        return Ok(Settlement::AlreadySettled);
    };
    users::lock(txn, owner).await?;
    let mut claim = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Paid))
        .col_expr(payment::Column::PaidAmount, Expr::value(arrival.amount.paise()))
        .col_expr(payment::Column::PaidAt, Expr::value(now))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Status.is_in([PaymentStatus::Pending, PaymentStatus::Failed]));
    if let Some(id) = &arrival.gateway_payment_id {
        claim = claim.col_expr(payment::Column::GatewayPaymentId, Expr::value(id.as_str()));
    }
    if let Some(vpa) = &arrival.payer_vpa {
        claim = claim.col_expr(payment::Column::PayerVpa, Expr::value(vpa.as_str()));
    }
    match claim.exec(txn).await {
        Ok(result) if result.rows_affected == 1 => {}
        Ok(_) => return settle_extra(txn, payment_id, arrival, now).await,
        // This gateway payment id already settled another of our payments.
        Err(err) if is_unique_violation(&err) => return Ok(Settlement::AlreadySettled),
        Err(err) => return Err(err),
    }
    let payment = payment::Entity::find_by_id(payment_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("payment {payment_id}")))?;
    let user = user::Entity::find_by_id(payment.user_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", payment.user_id)))?;

    let posting = Posting {
        user_id: user.id,
        amount: arrival.amount,
        kind: LedgerKind::Payment,
        reference: payment.reference.clone(),
        idempotency_key: format!("payment:{}", payment.id),
    };
    let mut balance = match wallet::post(txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(Settlement::AlreadySettled),
        Err(PostingError::Insufficient { .. }) => return Err(DbErr::Custom("a credit cannot be insufficient".into())),
        Err(PostingError::Db(err)) => return Err(err),
    };

    let flags = fraud::check_payer_vpa(txn, &user, arrival.payer_vpa.as_deref(), &payment.reference, now)
        .await?
        .into_iter()
        .collect();
    let purchase = match payment.order_id {
        None => None,
        Some(order_id) => {
            let in_time = arrival.paid_at.unwrap_or(now) <= payment.expires_at;
            let order = order::Entity::find_by_id(order_id).one(txn).await?;
            match order.filter(|o| o.status == OrderStatus::Pending) {
                _ if !in_time => Some(PurchaseResult::Late),
                None => Some(PurchaseResult::OrderClosed),
                Some(order) => {
                    let savepoint = txn.begin().await?;
                    match purchase::pay_order(&savepoint, &user, &order, now).await {
                        Ok(delivery) => {
                            savepoint.commit().await?;
                            balance = delivery.balance;
                            Some(PurchaseResult::Delivered(Box::new(delivery)))
                        }
                        Err(err) => {
                            savepoint.rollback().await?;
                            match err {
                                PurchaseError::SoldOut { plan_name, plan_id } => {
                                    purchase::cancel_pending(txn, order.id, now).await?;
                                    purchase::alert_sold_out(txn, plan_id, &plan_name, now).await?;
                                    Some(PurchaseResult::SoldOut { plan_name })
                                }
                                PurchaseError::DiscountGone(_) => {
                                    purchase::cancel_pending(txn, order.id, now).await?;
                                    Some(PurchaseResult::DiscountGone)
                                }
                                PurchaseError::SubscriptionClosed => {
                                    purchase::cancel_pending(txn, order.id, now).await?;
                                    Some(PurchaseResult::OrderClosed)
                                }
                                PurchaseError::Db(err) => return Err(err),
                                _ => Some(PurchaseResult::OrderClosed),
                            }
                        }
                    }
                }
            }
        }
    };
    let settlement = Settlement::Credited {
        payment: Box::new(payment),
        user: Box::new(user),
        credited: arrival.amount,
        balance,
        purchase,
        flags,
    };
    tell_settled(txn, &settlement, now).await?;
    Ok(settlement)
}

/// What the customer and the staff hear of money that landed.
async fn tell_settled(txn: &DatabaseTransaction, settlement: &Settlement, now: DateTime<Utc>) -> Result<(), DbErr> {
    let Settlement::Credited { payment, user, credited, balance, purchase, .. } = settlement else { return Ok(()) };
    let received = Notice::PaymentReceived {
        reference: payment.reference.clone(),
        amount: credited.paise(),
        balance: balance.paise(),
        menu: purchase.is_none(),
    };
    outbox::to_user(txn, user, &received, now).await?;
    let alert = Notice::PaymentAlert {
        reference: payment.reference.clone(),
        amount: credited.paise(),
        customer: user.as_ref().into(),
    };
    outbox::to_staff(txn, &alert, now).await?;
    if credited.paise() != payment.amount {
        log::warn!("payment {}: asked for {} paise, {} arrived", payment.reference, payment.amount, credited.paise());
        let mismatch = Notice::AmountMismatchAlert {
            reference: payment.reference.clone(),
            expected: payment.amount,
            paid: credited.paise(),
            customer: user.as_ref().into(),
        };
        outbox::to_staff(txn, &mismatch, now).await?;
    }
    let balance = balance.paise();
    let then = match purchase {
        None => return Ok(()),
        Some(PurchaseResult::Delivered(delivery)) => match (&delivery.renewal, &delivery.gift) {
            (_, Some(link)) => Notice::GiftBought {
                plan_name: delivery.plan_name.clone(),
                code: link.code.clone(),
                expires_at: link.expires_at,
                balance: delivery.balance.paise(),
            },
            (None, None) => Notice::LoginDelivered {
                plan_name: delivery.plan_name.clone(),
                credential: delivery.credential.clone(),
                ends_at: delivery.ends_at,
                balance: delivery.balance.paise(),
            },
            (Some(renewed), None) => Notice::Renewed {
                plan_name: delivery.plan_name.clone(),
                credential: delivery.credential.clone(),
                starts_at: renewed.starts_at,
                ends_at: delivery.ends_at,
                new_login: renewed.new_login,
                balance: delivery.balance.paise(),
            },
        },
        Some(PurchaseResult::SoldOut { plan_name }) => {
            Notice::PurchaseNotCompleted { why: NotBought::SoldOut { plan_name: plan_name.clone() }, balance }
        }
        Some(PurchaseResult::Late) => Notice::PurchaseNotCompleted { why: NotBought::Late, balance },
        Some(PurchaseResult::OrderClosed) => Notice::PurchaseNotCompleted { why: NotBought::OrderClosed, balance },
        Some(PurchaseResult::DiscountGone) => Notice::PurchaseNotCompleted { why: NotBought::DiscountGone, balance },
    };
    outbox::to_user(txn, user, &then, now).await
}

/// Money for a payment that was already paid, under a different gateway payment id (the
/// customer paid twice, or Telegram charged two accepted invoices): credited once more, keyed
/// by that gateway id, never used for a purchase. The same gateway id again is a no-op.
async fn settle_extra(
    txn: &DatabaseTransaction,
    payment_id: i32,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> Result<Settlement, DbErr> {
    let Some(gateway_id) = arrival.gateway_payment_id.as_deref() else { return Ok(Settlement::AlreadySettled) };
    let Some(payment) = payment::Entity::find_by_id(payment_id).one(txn).await? else {
        return Ok(Settlement::AlreadySettled);
    };
    let is_new = payment.status == PaymentStatus::Paid
        && payment.gateway_payment_id.as_deref() != Some(gateway_id)
        && find_by_gateway_payment_id(txn, gateway_id).await?.is_none();
    if !is_new {
        return Ok(Settlement::AlreadySettled);
    }
    let Some(user) = user::Entity::find_by_id(payment.user_id).one(txn).await? else {
        return Ok(Settlement::AlreadySettled);
    };
    let posting = Posting {
        user_id: user.id,
        amount: arrival.amount,
        kind: LedgerKind::Payment,
        reference: payment.reference.clone(),
        idempotency_key: format!("payment-extra:{gateway_id}"),
    };
    let balance = match wallet::post(txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(Settlement::AlreadySettled),
        Err(PostingError::Insufficient { .. }) => return Err(DbErr::Custom("a credit cannot be insufficient".into())),
        Err(PostingError::Db(err)) => return Err(err),
    };
    log::warn!("payment {} paid again ({gateway_id}): credited to the wallet", payment.reference);
    let settlement = Settlement::Credited {
        payment: Box::new(payment),
        user: Box::new(user),
        credited: arrival.amount,
        balance,
        purchase: None,
        flags: Vec::new(),
    };
    tell_settled(txn, &settlement, now).await?;
    Ok(settlement)
}

/// A gateway reported a failed attempt. Not final: a later capture still settles.
pub async fn mark_failed(conn: &impl ConnectionTrait, payment_id: i32, now: DateTime<Utc>) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Failed))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub method: Option<PaymentChannel>,
    pub user_id: Option<i32>,
}

/// Payments newest first, with their customer (Permission::View).
pub async fn list(
    db: &DatabaseConnection,
    actor: &crate::services::Actor,
    filter: &PaymentFilter,
    request: crate::services::page::PageRequest,
) -> Result<crate::services::page::Page<(payment::Model, Option<user::Model>)>, crate::services::ActError> {
    actor.require(crate::domain::Permission::View)?;
    let mut select = payment::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(payment::Column::Status.eq(status));
    }
    if let Some(method) = filter.method {
        select = select.filter(payment::Column::Method.eq(method));
    }
    if let Some(user_id) = filter.user_id {
        select = select.filter(payment::Column::UserId.eq(user_id));
    }
    let found = crate::services::page::fetch(db, select, payment::Column::Id, request, |p| p.id).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for p in found.items {
        let customer = user::Entity::find_by_id(p.user_id).one(db).await?;
        items.push((p, customer));
    }
    Ok(crate::services::page::Page { items, next: found.next })
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &crate::services::Actor,
    id: i32,
) -> Result<Option<(payment::Model, Option<user::Model>)>, crate::services::ActError> {
    actor.require(crate::domain::Permission::View)?;
    let Some(p) = payment::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let customer = user::Entity::find_by_id(p.user_id).one(db).await?;
    Ok(Some((p, customer)))
}
