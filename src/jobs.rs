//! Background jobs: each tick calls one service and hands what it produced to the notifier.
//! Every job is safe to run twice or concurrently: the services it calls are idempotent.
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::services::notices::{Notice, NoticeSender};
use crate::services::razorpay::{self, RazorpayClient};

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
