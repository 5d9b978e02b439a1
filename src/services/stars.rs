//! Telegram Stars: an invoice in XTR per purchase payment, checked before Telegram charges
//! (pre-checkout) and credited once per `telegram_payment_charge_id`.
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::stars::stars_for;
use crate::domain::Money;
use crate::entities::payment::{self, PaymentChannel, PaymentStatus};
use crate::entities::{ledger_entry, user};
use crate::services::outbox::{self, Notice};
use crate::services::payments::{self, Arrival, PaymentError, Purpose, Settlement};

pub const CURRENCY: &str = "XTR";

pub async fn start(
    db: &DatabaseConnection,
    telegram_id: i64,
    purpose: Purpose,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<payment::Model, PaymentError> {
    payments::create(db, telegram_id, purpose, PaymentChannel::Stars, valid_for, now).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreCheckout {
    Accept,
    /// No live Stars payment with this payload.
    Unknown,
    Expired,
    /// The currency or the number of stars is not what we asked for.
    WrongAmount,
    /// The payer is not the payment's customer (someone paying a forwarded invoice).
    NotTheCustomer,
}

/// Telegram asks before charging: only the customer's own live pending payment at the exact
/// price passes. `payer` is the Telegram id of who is paying.
#[allow(clippy::too_many_arguments)]
pub async fn check_pre_checkout(
    db: &DatabaseConnection,
    payload: &str,
    payer: i64,
    currency: &str,
    total: u32,
    stars_per_rupee: Decimal,
    now: DateTime<Utc>,
) -> Result<PreCheckout, DbErr> {
    let Some(payment) = payments::find_by_reference(db, payload).await? else {
        return Ok(PreCheckout::Unknown);
    };
    if payment.method != PaymentChannel::Stars || payment.status != PaymentStatus::Pending {
        return Ok(PreCheckout::Unknown);
    }
    let customer = user::Entity::find_by_id(payment.user_id).one(db).await?;
    if customer.is_none_or(|c| c.telegram_id != payer) {
        return Ok(PreCheckout::NotTheCustomer);
    }
    if now > payment.expires_at {
        return Ok(PreCheckout::Expired);
    }
    let expected = stars_for(Money::from_paise(payment.amount), stars_per_rupee);
    if currency != CURRENCY || expected != Some(total) {
        return Ok(PreCheckout::WrongAmount);
    }
    Ok(PreCheckout::Accept)
}

/// `successful_payment`: credits the payment's rupee amount once per charge id.
pub async fn complete(
    db: &DatabaseConnection,
    payload: &str,
    charge_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Settlement>, DbErr> {
    settle_charge(db, payload, charge_id, now, now).await
}

/// The one way a Stars charge lands, whether Telegram told us (`complete`) or reconciliation
/// found it: keyed by the charge id (`tg:<charge>`), so a charge seen both ways lands once.
async fn settle_charge(
    db: &DatabaseConnection,
    payload: &str,
    charge_id: &str,
    charged_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Settlement>, DbErr> {
    let Some(payment) = payments::find_by_reference(db, payload).await? else {
        return Ok(None);
    };
    if payment.method != PaymentChannel::Stars {
        return Ok(None);
    }
    let arrival = Arrival {
        gateway_payment_id: Some(gateway_id(charge_id)),
        amount: Money::from_paise(payment.amount),
        payer_vpa: None,
        // Telegram only charges after our pre-checkout approval, so the purchase completes.
        paid_at: Some(charged_at.min(payment.expires_at)),
    };
    payments::settle(db, payment.id, &arrival, now).await.map(Some)
}

/// Our gateway payment id for a Telegram charge.
fn gateway_id(charge_id: &str) -> String {
    format!("tg:{charge_id}")
}

/// A Stars charge as Telegram lists it among the bot's transactions: an incoming invoice
/// payment from a user (the transaction id is the `telegram_payment_charge_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarCharge {
    pub charge_id: String,
    /// The invoice payload: our payment reference.
    pub payload: String,
    pub stars: u32,
    pub date: DateTime<Utc>,
}

/// Credits the charges among `charges` that were never recorded, e.g. because the
/// `successful_payment` update was lost in a crash. Each goes the way of `complete`, so a
/// charge is credited once however often it is listed and whichever way came first; charges
/// not for our Stars payments are skipped. One failing charge does not hold back the others
/// (the next run tries it again). Returns what was credited.
pub async fn reconcile(
    db: &DatabaseConnection,
    charges: &[StarCharge],
    now: DateTime<Utc>,
) -> Result<Vec<Settlement>, DbErr> {
    let recorded = recorded_charges(db, charges).await?;
    let mut done = std::collections::HashSet::new();
    let mut credited = Vec::new();
    for charge in charges {
        if recorded.contains(&charge.charge_id) || !done.insert(charge.charge_id.as_str()) {
            continue;
        }
        match settle_charge(db, &charge.payload, &charge.charge_id, charge.date, now).await {
            Ok(Some(settlement @ Settlement::Credited { .. })) => {
                log::warn!("Stars charge {} ({}) found by reconciliation: credited", charge.charge_id, charge.payload);
                credited.push(settlement);
            }
            Ok(Some(_)) => {}
            Ok(None) => log::debug!("Stars charge {} is not for a payment of ours", charge.charge_id),
            Err(err) => log::error!("Stars charge {} ({}) not reconciled: {err}", charge.charge_id, charge.payload),
        }
    }
    Ok(credited)
}

/// The charge ids among `charges` already credited: as a payment's gateway id, or as a second
/// payment of a paid one (`payments::settle_extra`).
async fn recorded_charges(
    db: &DatabaseConnection,
    charges: &[StarCharge],
) -> Result<std::collections::HashSet<String>, DbErr> {
    let mut recorded = std::collections::HashSet::new();
    for batch in charges.chunks(200) {
        let ids: Vec<String> = batch.iter().map(|c| gateway_id(&c.charge_id)).collect();
        let paid: Vec<Option<String>> = payment::Entity::find()
            .select_only()
            .column(payment::Column::GatewayPaymentId)
            .filter(payment::Column::GatewayPaymentId.is_in(ids.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        let keys: Vec<String> = ids.iter().map(|id| format!("payment-extra:{id}")).collect();
        let extra: Vec<String> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::IdempotencyKey)
            .filter(ledger_entry::Column::IdempotencyKey.is_in(keys.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        let ids = paid.into_iter().flatten().chain(extra.iter().map(|k| k["payment-extra:".len()..].to_owned()));
        recorded.extend(ids.filter_map(|id| id.strip_prefix("tg:").map(str::to_owned)));
    }
    Ok(recorded)
}

/// A charge we could not record (the database failed): Telegram will not send the update
/// again, so the staff are told; the reconciliation job credits it once the database answers.
pub async fn alert_unrecorded(
    db: &DatabaseConnection,
    charge: &str,
    reference: &str,
    stars: u32,
    customer_chat: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let notice = Notice::StarsUnrecordedAlert {
        charge: charge.to_owned(),
        reference: reference.to_owned(),
        stars,
        customer_chat,
    };
    outbox::to_staff(db, &notice, now).await
}
