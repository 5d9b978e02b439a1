//! Prometheus metrics: one recorder per process, rendered by `GET /metrics`. Counters and
//! histograms are recorded where things happen (the dispatcher, sends, webhooks, jobs);
//! figures that live in the database (outbox depth, stock, sales) are read when scraped.
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::services::monitoring::Snapshot;

/// Seconds: a handler or a webhook well under 5 ms is the norm, a second is trouble.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use. None when another recorder was installed
/// first (an embedding program's own).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// This process among the instances (for leases), random per start.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{:016x}", rand::random::<u64>()))
}

/// Installs the recorder, so that what happens before the first scrape is counted.
pub fn install() {
    if handle().is_none() {
        log::warn!("another metrics recorder is installed: /metrics shows nothing of ours");
    }
}

pub fn update_handled(kind: &'static str, took: Duration) {
    counter!("ottsonly_updates_total", "kind" => kind).increment(1);
    histogram!("ottsonly_update_handler_seconds", "kind" => kind).record(took.as_secs_f64());
}

/// `result`: ok, 429, 403 or other.
pub fn telegram_call(method: &'static str, result: &'static str) {
    counter!("ottsonly_telegram_calls_total", "method" => method, "result" => result).increment(1);
}

pub fn webhook(gateway: &'static str, outcome: &'static str, took: Duration) {
    counter!("ottsonly_webhooks_total", "gateway" => gateway, "outcome" => outcome).increment(1);
    histogram!("ottsonly_webhook_seconds", "gateway" => gateway).record(took.as_secs_f64());
}

/// A payment settled (credited) or refused, by how it came.
pub fn payment(method: &'static str, outcome: &'static str) {
    counter!("ottsonly_payments_total", "method" => method, "outcome" => outcome).increment(1);
}

pub fn broadcast_message(result: &'static str) {
    counter!("ottsonly_broadcast_messages_total", "result" => result).increment(1);
}

pub fn broadcast_finished() {
    counter!("ottsonly_broadcasts_finished_total").increment(1);
}

pub fn job_run(job: &'static str, ok: bool) {
    counter!("ottsonly_job_runs_total", "job" => job).increment(1);
    if !ok {
        counter!("ottsonly_job_failures_total", "job" => job).increment(1);
    }
}

pub fn set_snapshot(snapshot: &Snapshot) {
    gauge!("ottsonly_outbox_depth").set(snapshot.outbox_depth as f64);
    let p = snapshot.broadcast.unwrap_or_default();
    for (state, n) in [
        ("sent", p.sent),
        ("failed", p.failed),
        ("blocked", p.blocked),
        ("unknown", p.unknown),
        ("skipped", p.skipped),
        ("remaining", p.remaining()),
    ] {
        gauge!("ottsonly_broadcast_recipients", "state" => state).set(n as f64);
    }
    gauge!("ottsonly_broadcasts_queued").set(snapshot.broadcasts_queued as f64);
    let age = snapshot.outbox_oldest_age.map_or(0.0, |a| a.num_milliseconds().max(0) as f64 / 1000.0);
    gauge!("ottsonly_outbox_oldest_age_seconds").set(age);
    gauge!("ottsonly_orders_paid").set(snapshot.paid_orders as f64);
    // Paise, exact as f64 up to 2^53 (about ₹90 lakh crore).
    gauge!("ottsonly_revenue_paise").set(snapshot.revenue_paise as f64);
    gauge!("ottsonly_profit_paise").set(snapshot.profit_paise as f64);
    for (plan, left) in &snapshot.stock {
        gauge!("ottsonly_stock_available", "plan" => plan.clone()).set(*left as f64);
    }
}
