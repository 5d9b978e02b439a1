//! Background jobs: each tick calls one idempotent service, then wakes the outbox sender for
//! the messages the service wrote. Every job is safe to run twice or concurrently.
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::services::razorpay::{self, RazorpayClient};
use crate::services::{referrals, settings};

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
            match razorpay::reconcile(&db, &client, after, Utc::now()).await {
                Ok(settled) if !settled.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("Razorpay reconciliation failed: {err}"),
            }
            pause(&db).await;
        }
    })
}

/// Credits referral commissions whose hold is over.
pub fn spawn_commission_maturity(db: DatabaseConnection, outbox_wake: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match referrals::mature_due(&db, Utc::now()).await {
                Ok(matured) if !matured.is_empty() => outbox_wake.notify_one(),
                Ok(_) => {}
                Err(err) => log::warn!("commission maturity failed: {err}"),
            }
            pause(&db).await;
        }
    })
}
