//! Background jobs: each tick calls one idempotent service, then wakes the outbox sender for
//! the messages the service wrote. Every job is safe to run twice or concurrently. The Stars
//! job reads Telegram's list of transactions here and hands the service plain `StarCharge`s.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use teloxide::payloads::GetStarTransactionsSetters;
use teloxide::prelude::*;
use teloxide::types::{StarTransaction, TransactionPartner, TransactionPartnerUserKind};
use tokio::sync::Notify;

use crate::services::payments::Settlement;
use crate::services::razorpay::{self, RazorpayClient};
use crate::services::stars::{self, StarCharge};
use crate::services::{auto_renew, login_reports, referrals, reminders, renewals, settings, telegram_updates};

/// Used when the `jobs.interval_seconds` setting cannot be read.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// Waits `jobs.interval_seconds`, read again each time so a change applies at once.
async fn pause(db: &DatabaseConnection) {
    tokio::time::sleep(settings::job_interval(db).await.unwrap_or(INTERVAL)).await;
}

/// Settles Razorpay links whose webhook never arrived.
pub fn spawn_razorpay_reconciliation(
    db: DatabaseConnection,
    client: RazorpayClient,
    after: Duration,
    outbox_wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let after = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::minutes(10));
        loop {
            let result = razorpay::reconcile(&db, &client, after, Utc::now()).await;
            crate::metrics::job_run("razorpay_reconciliation", result.is_ok());
            match result {
                Ok(settled) if !settled.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("Razorpay reconciliation failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Queues the expiry reminders that are due (each once per subscription period).
pub fn spawn_reminders(
    db: DatabaseConnection,
    days_before: Vec<u32>,
    outbox_wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = reminders::send_due(&db, &days_before, Utc::now()).await;
            crate::metrics::job_run("reminders", result.is_ok());
            match result {
                Ok(0) => {}
                Ok(_) => outbox_wake.notify_one(),
                Err(err) => log::warn!("expiry reminders failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Auto-renews the subscriptions due (each once per period) and retires the logins renewals
/// replaced once their period is over.
pub fn spawn_renewals(db: DatabaseConnection, outbox_wake: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = Utc::now();
            let result = auto_renew::run_due(&db, now).await;
            crate::metrics::job_run("auto_renew", result.is_ok());
            match result {
                Ok(done) if !done.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("auto-renew failed: {err}"),
            }
            if let Err(err) = renewals::retire_replaced(&db, now).await {
                log::warn!("retiring replaced logins failed: {err}");
            }
            pause(&db).await;
        }
    })
}

/// Raises login reports open past `support.report_sla_hours` to the admins again, once each.
pub fn spawn_report_escalation(db: DatabaseConnection, outbox_wake: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = login_reports::escalate_overdue(&db, Utc::now()).await;
            crate::metrics::job_run("report_escalation", result.is_ok());
            match result {
                Ok(0) => {}
                Ok(_) => outbox_wake.notify_one(),
                Err(err) => log::warn!("login report escalation failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// The daily backup into `dir` (once a day across instances), keeping the last `keep`.
pub fn spawn_daily_backup(
    db: DatabaseConnection,
    dir: std::path::PathBuf,
    keep: usize,
    outbox_wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = crate::services::backup::daily(&db, &dir, keep, Utc::now()).await;
            crate::metrics::job_run("daily_backup", result.is_ok());
            match result {
                Ok(Some(path)) => {
                    log::info!("daily backup written to {}", path.display());
                    outbox_wake.notify_one();
                }
                Ok(None) => {}
                Err(err) => log::warn!("daily backup failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Forgets the ids of webhook updates handled more than a day ago.
pub fn spawn_update_log_cleanup(db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = telegram_updates::forget_old(&db, Utc::now()).await;
            crate::metrics::job_run("update_log_cleanup", result.is_ok());
            if let Err(err) = result {
                log::warn!("forgetting old webhook updates failed: {err}");
            }
            pause(&db).await;
        }
    })
}

/// Credits referral commissions whose hold is over.
pub fn spawn_commission_maturity(db: DatabaseConnection, outbox_wake: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = referrals::mature_due(&db, Utc::now()).await;
            crate::metrics::job_run("commission_maturity", result.is_ok());
            match result {
                Ok(matured) if !matured.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("commission maturity failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Credits Telegram Stars charges whose `successful_payment` update never reached us.
pub fn spawn_stars_reconciliation(
    db: DatabaseConnection,
    bot: Bot,
    outbox_wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = reconcile_stars(&db, &bot, Utc::now()).await;
            crate::metrics::job_run("stars_reconciliation", result.is_ok());
            match result {
                Ok(credited) if !credited.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("Stars reconciliation failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Transactions per `getStarTransactions` call (Telegram's largest page).
pub const STARS_PAGE: u8 = 100;
/// At most this many pages are asked for per run, so a run makes at most this many API calls.
pub const STARS_PAGES: u32 = 5;
/// How far back a run looks. A charge needs our pre-checkout answer, so it happened while the
/// bot was up; this covers the bot being down for days after a crash.
pub const STARS_LOOKBACK: chrono::Duration = chrono::Duration::days(7);

/// One run of the Stars reconciliation: lists the bot's recent Stars transactions (newest
/// first, as the Bot API answers: it asks for them in descending order) page by page until a
/// page is short, reaches past [`STARS_LOOKBACK`], or [`STARS_PAGES`] pages were read, and
/// credits each incoming invoice payment with one of our payloads that was never recorded.
/// Outgoing transactions are skipped, and so is a payment that was refunded (a refund has the
/// id of the payment it refunds). An API error ends the listing with what it found so far.
pub async fn reconcile_stars(db: &DatabaseConnection, bot: &Bot, now: DateTime<Utc>) -> Result<Vec<Settlement>, DbErr> {
    let since = now - STARS_LOOKBACK;
    let mut transactions = Vec::new();
    for page in 0..STARS_PAGES {
        let offset = page * u32::from(STARS_PAGE);
        let listed = match bot.get_star_transactions().offset(offset).limit(STARS_PAGE).await {
            Ok(listed) => listed.transactions,
            Err(err) => {
                log::warn!("Stars reconciliation: listing transactions failed: {err}");
                break;
            }
        };
        let full = listed.len() >= usize::from(STARS_PAGE);
        let reached_since = listed.iter().any(|t| t.date < since);
        transactions.extend(listed);
        if !full || reached_since {
            break;
        }
    }
    let charges = star_charges(&transactions, since);
    if charges.is_empty() {
        return Ok(Vec::new());
    }
    stars::reconcile(db, &charges, now).await
}

/// Incoming invoice payments from users since `since`, less those refunded.
fn star_charges(transactions: &[StarTransaction], since: DateTime<Utc>) -> Vec<StarCharge> {
    let refunded: std::collections::HashSet<&str> =
        transactions.iter().filter(|t| t.receiver.is_some()).map(|t| t.id.0.as_str()).collect();
    transactions
        .iter()
        .filter(|t| t.receiver.is_none() && t.date >= since && !refunded.contains(t.id.0.as_str()))
        .filter_map(|t| {
            let Some(TransactionPartner::User(from)) = &t.source else { return None };
            let TransactionPartnerUserKind::InvoicePayment(invoice) = &from.kind else { return None };
            let payload = invoice.invoice_payload.clone().filter(|p| !p.is_empty())?;
            Some(StarCharge { charge_id: t.id.0.clone(), payload, stars: t.amount, date: t.date })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transaction(value: serde_json::Value) -> StarTransaction {
        serde_json::from_value(value).expect("a StarTransaction")
    }

    fn user(kind: serde_json::Value) -> serde_json::Value {
        let mut partner = json!({ "type": "user", "user": { "id": 42, "is_bot": false, "first_name": "Asha" } });
        partner.as_object_mut().unwrap().extend(kind.as_object().unwrap().clone());
        partner
    }

    #[test]
    fn only_unrefunded_recent_incoming_invoice_payments_are_charges() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let recent = now.timestamp() - 60;
        let invoice =
            |payload: &str| user(json!({ "transaction_type": "invoice_payment", "invoice_payload": payload }));
        let listed = [
            json!({ "id": "paid", "amount": 149, "date": recent, "source": invoice("PAYAAAAAAAA") }),
            json!({ "id": "refunded", "amount": 10, "date": recent, "source": invoice("PAYBBBBBBBB") }),
            json!({ "id": "refunded", "amount": 10, "date": recent + 5, "receiver": invoice("PAYBBBBBBBB") }),
            json!({ "id": "old", "amount": 10, "date": recent - STARS_LOOKBACK.num_seconds(), "source": invoice("PAYCCCCCCCC") }),
            json!({ "id": "blank", "amount": 10, "date": recent, "source": invoice("") }),
            json!({ "id": "media", "amount": 10, "date": recent,
                    "source": user(json!({ "transaction_type": "paid_media_payment", "paid_media_payload": "x" })) }),
            json!({ "id": "fragment", "amount": 10, "date": recent, "source": { "type": "fragment" } }),
            json!({ "id": "withdrawal", "amount": 500, "date": recent, "receiver": { "type": "fragment" } }),
        ]
        .map(transaction);
        let charges = star_charges(&listed, now - STARS_LOOKBACK);
        let expected = StarCharge {
            charge_id: "paid".into(),
            payload: "PAYAAAAAAAA".into(),
            stars: 149,
            date: DateTime::from_timestamp(recent, 0).unwrap(),
        };
        assert_eq!(charges, vec![expected]);
    }
}
