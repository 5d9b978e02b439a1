//! Telegram Stars: an invoice in XTR per purchase payment, checked before Telegram charges
//! (pre-checkout) and credited once per `telegram_payment_charge_id`.
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::domain::stars::stars_for;
use crate::domain::Money;
use crate::entities::payment::{self, PaymentChannel, PaymentStatus};
use crate::entities::user;
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
    let Some(payment) = payments::find_by_reference(db, payload).await? else {
        return Ok(None);
    };
    if payment.method != PaymentChannel::Stars {
        return Ok(None);
    }
    let arrival = Arrival {
        gateway_payment_id: Some(format!("tg:{charge_id}")),
        amount: Money::from_paise(payment.amount),
        payer_vpa: None,
        // Telegram only charges after our pre-checkout approval, so the purchase completes.
        paid_at: Some(now.min(payment.expires_at)),
    };
    payments::settle(db, payment.id, &arrival, now).await.map(Some)
}

/// A charge we could not record (the database failed): Telegram will not send it again, so
/// the staff are asked to credit it by hand.
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
