//! Signed Razorpay webhooks (`payment_link.paid`, each for its own open top-up payment, plus
//! one repeat of an earlier event id in every ten requests) posted at a fixed rate (open loop:
//! a request goes out at its scheduled time whether or not earlier ones were answered, and its
//! latency counts from that time) to the real axum router served on 127.0.0.1. p50 and p99
//! at 200 and 1,000 requests a second, next to `GET /health/live` at the same rate through the
//! same client (the reference: what the HTTP stack and the load generator cost on this
//! machine). Afterwards every payment must have been credited exactly once. SQLite, and
//! PostgreSQL when TEST_DATABASE_URL is set. Run with `cargo bench --bench webhooks`;
//! `OTTSONLY_BENCH_SMOKE=1` for a run of seconds.
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;

use ottsonly::domain::Money;
use ottsonly::entities::gateway_event;
use ottsonly::entities::ledger_entry::{self, LedgerKind};
use ottsonly::entities::payment::{self, PaymentChannel, PaymentStatus};
use ottsonly::entities::user::{self, Role};
use ottsonly::http::{router, HttpState};
use ottsonly::services::payments::{self, Purpose};
use ottsonly::services::razorpay::signature;

const SECRET: &str = "whsec_bench";
const FIRST_TG: i64 = 7_000_000;
/// One request in this many repeats an earlier event (same event id, same body).
const REPEAT_EVERY: usize = 10;
/// How far back the repeated event was first sent, in requests.
const REPEAT_LAG: usize = 25;
/// The target: p99 under this at 1,000 a second.
const TARGET_P99: Duration = Duration::from_millis(20);
const PAISE: i64 = 19_900;

/// One delivery, signed beforehand so the load generator only sends.
#[derive(Clone)]
struct Delivery {
    body: String,
    signature: String,
    event_id: String,
}

/// `n` customers with one open Razorpay top-up each (with its link), and the
/// `payment_link.paid` event of each.
async fn seed(db: &DatabaseConnection, n: usize) -> Vec<Delivery> {
    let now = Utc::now();
    let rows: Vec<user::ActiveModel> = (0..n as i64)
        .map(|i| user::ActiveModel {
            telegram_id: Set(FIRST_TG + i),
            username: Set(None),
            first_name: Set(format!("Payer {i}")),
            last_name: Set(None),
            language_code: Set(Some("en".into())),
            referral_code: Set(format!("W{i:08}")),
            referred_by: Set(None),
            role: Set(Role::User),
            is_blocked: Set(false),
            balance: Set(0),
            created_at: Set(now),
            language: Set("en".into()),
            unreachable_at: Set(None),
            wants_offers: Set(true),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        user::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.expect("customers");
    }
    // Payments through the service, as the bot opens them (a few at a time on PostgreSQL).
    let parallel = if db.get_database_backend() == sea_orm::DbBackend::Postgres { 8 } else { 1 };
    futures::stream::iter(0..n as i64)
        .map(|i| async move {
            let purpose = Purpose::TopUp { amount: Money::from_paise(PAISE) };
            let tg = FIRST_TG + i;
            let payment =
                payments::create(db, tg, purpose, PaymentChannel::Razorpay, chrono::Duration::minutes(30), Utc::now())
                    .await
                    .expect("payment");
            let link_id = format!("plink_bench_{i}");
            payments::attach_link(db, payment.id, &link_id, "https://rzp.io/i/bench").await.expect("link");
            let body = json!({
                "entity": "event", "event": "payment_link.paid", "contains": ["payment_link", "payment"],
                "payload": {
                    "payment_link": { "entity": {
                        "id": link_id, "amount_paid": PAISE, "status": "paid", "notes": [] } },
                    "payment": { "entity": {
                        "id": format!("pay_bench_{i}"), "amount": PAISE, "currency": "INR",
                        "status": "captured", "method": "upi", "notes": null } }
                },
                "created_at": Utc::now().timestamp()
            })
            .to_string();
            Delivery { signature: signature::sign(SECRET, body.as_bytes()), body, event_id: format!("evt_bench_{i}") }
        })
        .buffered(parallel)
        .collect()
        .await
}

async fn serve(db: &DatabaseConnection) -> String {
    let mut state = HttpState::new(db.clone());
    state.razorpay_webhook_secret = Some(SECRET.to_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router(state)).await.expect("serve") });
    format!("http://{addr}")
}

/// What to send, in order: each delivery once, and after every `REPEAT_EVERY - 1` of them a
/// repeat of the one sent `REPEAT_LAG` requests before (or the first, early on).
fn schedule(deliveries: &[Delivery]) -> Vec<Delivery> {
    let mut out: Vec<Delivery> = Vec::with_capacity(deliveries.len() * REPEAT_EVERY / (REPEAT_EVERY - 1) + 1);
    for delivery in deliveries {
        out.push(delivery.clone());
        if out.len() % REPEAT_EVERY == REPEAT_EVERY - 1 {
            let earlier = out.len().saturating_sub(REPEAT_LAG);
            let repeat = out[earlier].clone();
            out.push(repeat);
        }
    }
    out
}

struct Latencies {
    sorted: Vec<Duration>,
    not_ok: usize,
}

impl Latencies {
    fn percentile(&self, p: f64) -> Duration {
        let rank = ((self.sorted.len() as f64 * p).ceil() as usize).clamp(1, self.sorted.len());
        self.sorted[rank - 1]
    }
}

/// Sends `requests` at `rate` a second, each at its scheduled time, and returns the latencies
/// counted from those times. `None`: GET /health/live instead (the reference).
async fn open_loop(http: &reqwest::Client, base: &str, requests: &[Option<Delivery>], rate: f64) -> Latencies {
    let start = Instant::now() + Duration::from_millis(20);
    let mut pending = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at.into()).await;
        let send = match request {
            Some(d) => http
                .post(format!("{base}/webhooks/razorpay"))
                .header("X-Razorpay-Signature", &d.signature)
                .header("x-razorpay-event-id", &d.event_id)
                .header("content-type", "application/json")
                .body(d.body.clone())
                .send(),
            None => http.get(format!("{base}/health/live")).send(),
        };
        pending.push(tokio::spawn(async move {
            let ok = match send.await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    let _ = response.bytes().await;
                    ok
                }
                Err(_) => false,
            };
            (at.elapsed(), ok)
        }));
    }
    let late = start.elapsed().saturating_sub(Duration::from_secs_f64(requests.len() as f64 / rate));
    if late > Duration::from_millis(50) {
        println!("    (the load generator finished {late:.0?} behind schedule)");
    }
    let mut sorted = Vec::with_capacity(pending.len());
    let mut not_ok = 0;
    for task in pending {
        let (latency, ok) = task.await.expect("request task");
        not_ok += usize::from(!ok);
        sorted.push(latency);
    }
    sorted.sort_unstable();
    Latencies { sorted, not_ok }
}

async fn run(label: &str, db: DatabaseConnection) {
    let seconds = common::size(8.0, 0.2);
    let rates = [200.0_f64, 1_000.0];
    let warm_up = common::size(200, 20);
    let per_rate: Vec<usize> = rates.iter().map(|r| (r * seconds) as usize).collect();
    let total = warm_up + per_rate.iter().sum::<usize>();
    let started = Instant::now();
    let deliveries = seed(&db, total).await;
    println!("{label:>8}: {total} open payments made in {:.1?}", started.elapsed());
    let base = serve(&db).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("client");

    let (first, mut rest) = deliveries.split_at(warm_up);
    let warm: Vec<Option<Delivery>> = schedule(first).into_iter().map(Some).collect();
    open_loop(&http, &base, &warm, 200.0).await;
    let mut sent = warm.len();
    for (rate, n) in rates.iter().zip(&per_rate) {
        let (these, later) = rest.split_at(*n);
        rest = later;
        let requests: Vec<Option<Delivery>> = schedule(these).into_iter().map(Some).collect();
        let reference: Vec<Option<Delivery>> = vec![None; requests.len()];
        let health = open_loop(&http, &base, &reference, *rate).await;
        let ours = open_loop(&http, &base, &requests, *rate).await;
        sent += requests.len();
        let repeats = requests.len() - n;
        println!(
            "{label:>8}: webhooks at {rate:.0}/s ({} requests, {repeats} repeats): p50 {:.2?} p99 {:.2?} max {:.2?}; \
             /health/live at {rate:.0}/s: p50 {:.2?} p99 {:.2?}; p99 ratio {:.1}x",
            requests.len(),
            ours.percentile(0.50),
            ours.percentile(0.99),
            ours.percentile(1.0),
            health.percentile(0.50),
            health.percentile(0.99),
            ours.percentile(0.99).as_secs_f64() / health.percentile(0.99).as_secs_f64()
        );
        if *rate >= 1_000.0 {
            let p99 = ours.percentile(0.99);
            println!(
                "{label:>8}: p99 at 1000/s {p99:.2?} vs target {TARGET_P99:?}: {:.2}x of target ({})",
                p99.as_secs_f64() / TARGET_P99.as_secs_f64(),
                if p99 < TARGET_P99 { "met" } else { "MISSED" }
            );
        }
        assert_eq!(ours.not_ok, 0, "every webhook answered 200");
        assert_eq!(health.not_ok, 0);
    }

    // Exactly once: one payment ledger row per payment, every payment paid, each event once.
    let credits = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Kind.eq(LedgerKind::Payment))
        .count(&db)
        .await
        .expect("ledger");
    let paid = payment::Entity::find()
        .filter(payment::Column::Status.eq(PaymentStatus::Paid))
        .filter(payment::Column::PaidAmount.eq(PAISE))
        .count(&db)
        .await
        .expect("payments");
    let events = gateway_event::Entity::find().count(&db).await.expect("events");
    let over = user::Entity::find().filter(user::Column::Balance.ne(PAISE)).count(&db).await.expect("balances");
    assert_eq!(credits as usize, total, "one credit per payment");
    assert_eq!(paid as usize, total, "every payment paid once");
    assert_eq!(events as usize, total, "each event id recorded once");
    assert_eq!(over, 0, "every wallet holds exactly one payment");
    println!(
        "{label:>8}: {sent} requests for {total} payments: {credits} credits, {paid} payments paid, \
         {events} events recorded, every balance one payment: exactly once"
    );
}

#[tokio::main]
async fn main() {
    println!("webhooks bench{}", if common::smoke() { " (smoke)" } else { "" });
    let dir = tempfile::tempdir().expect("tempdir");
    run("sqlite", common::sqlite(dir.path(), "webhooks").await).await;
    let normal = format!("sqlite://{}?mode=rwc&synchronous=normal", dir.path().join("normal.db").display());
    let db = ottsonly::services::db::connect_and_migrate(&normal).await.expect("sqlite");
    run("sqlite synchronous=normal", db).await;
    let Some(scratch) = common::Scratch::create("ottsonly_bench_webhooks").await else {
        println!("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped");
        return;
    };
    let db = scratch.migrated().await;
    run("postgres", db.clone()).await;
    db.close().await.ok();
    scratch.drop().await;
}
