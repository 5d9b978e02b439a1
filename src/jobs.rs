//! Background jobs: each tick calls one service and hands what it produced to the notifier.
//! Every job is safe to run twice or concurrently: the services it calls are idempotent.
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::services::notices::{Notice, NoticeSender};
use crate::services::razorpay::{self, RazorpayClient};
use crate::services::{referrals, settings};

pub const INTERVAL: Duration = Duration::from_secs(60);

/// Settles Razorpay links whose webhook never arrived.
pub fn spawn_razorpay_reconciliation(
    db: DatabaseConnection,
    client: RazorpayClient,
    after: Duration,
    notices: NoticeSender,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let after = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::minutes(10));
        let mut ticks = tokio::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            match razorpay::reconcile(&db, &client, after, Utc::now()).await {
                Ok(settled) => {
                    for notice in settled.iter().filter_map(Notice::of) {
                        let _ = notices.send(notice);
                    }
                }
                Err(err) => log::warn!("Razorpay reconciliation failed: {err}"),
            }
        }
    })
}

/// Credits referral commissions whose hold is over. The interval is the
/// `jobs.interval_seconds` setting, read again before each wait.
pub fn spawn_commission_maturity(db: DatabaseConnection, notices: NoticeSender) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match referrals::mature_due(&db, Utc::now()).await {
                Ok(matured) => {
                    for done in matured {
                        let _ = notices.send(Notice::CommissionAvailable(done));
                    }
                }
                Err(err) => log::warn!("commission maturity failed: {err}"),
            }
            let interval = settings::job_interval(&db).await.unwrap_or(INTERVAL);
            tokio::time::sleep(interval).await;
        }
    })
}
