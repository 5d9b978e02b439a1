//! A broadcast to 100,000 customers, sent by the real sender (`bot::broadcast::run`, in
//! process, with a `Ctx` as app.rs builds it and TELEGRAM_RATE_SCALE set) to a minimal fake
//! Bot API that enforces Telegram's limits on a clock run SCALE times faster: at most 30
//! messages in any window of 1/SCALE s overall and one per chat per window (sliding), else
//! 429 with retry_after. Reports the messages per second achieved against the configured
//! broadcast rate (broadcast.rate_per_sec, 25, times SCALE) and the 429s received. SQLite,
//! and PostgreSQL when TEST_DATABASE_URL is set. Run with `cargo bench --bench broadcast`;
//! `OTTSONLY_BENCH_SMOKE=1` for a run of seconds.
mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde_json::{json, Value};
use teloxide::prelude::*;

use ottsonly::bot::{self, Ctx};
use ottsonly::config::Config;
use ottsonly::domain::broadcast::{Audience, Content};
use ottsonly::domain::Lang;
use ottsonly::entities::broadcast::{self as broadcast_row, BroadcastStatus};
use ottsonly::entities::user::{self, Role};
use ottsonly::services::broadcasts::{self, Draft, StartOutcome};
use ottsonly::services::{users, Actor};

/// The fake's clock and our rates, both this many times faster (TELEGRAM_RATE_SCALE, 1-100):
/// 100 unless OTTSONLY_BENCH_SCALE says otherwise.
fn scale() -> u32 {
    std::env::var("OTTSONLY_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| (1..=100).contains(s))
        .unwrap_or(100)
}
const OWNER: i64 = 4_999_999;
const FIRST_ID: i64 = 5_000_000;
const TOKEN: &str = "123456:BENCH";
const TEXT: &str = "<b>Diwali sale</b>: 20% off every plan";

/// Telegram's limits on the fake's clock.
const OVERALL: usize = 30;
fn window() -> Duration {
    Duration::from_secs(1) / scale()
}

#[derive(Default)]
struct Fake {
    /// Accepted sends within the last window; the last accepted send to each chat.
    recent: VecDeque<Instant>,
    last_to: HashMap<i64, Instant>,
    /// Accepted broadcast messages (not to the owner): when, and how many each chat got.
    delivered: Vec<Instant>,
    per_chat: HashMap<i64, u32>,
    /// Every 429 given.
    too_many: Vec<Instant>,
    edits: usize,
    next_id: i64,
}

type Shared = Arc<Mutex<Fake>>;

fn message(chat: i64, id: i64, text: &str) -> Value {
    json!({
        "message_id": id, "date": 1_780_000_000,
        "chat": { "id": chat, "type": "private", "first_name": "Customer" },
        "from": { "id": 42, "is_bot": true, "first_name": "Bench", "username": "bench_bot" },
        "text": text,
    })
}

async fn api(State(fake): State<Shared>, Path((_token, method)): Path<(String, String)>, body: String) -> Response {
    let params: Value = serde_json::from_str(&body).unwrap_or_else(|_| json!({}));
    let chat = params["chat_id"].as_i64().unwrap_or_default();
    let text = params["text"].as_str().unwrap_or_default().to_owned();
    let now = Instant::now();
    let mut fake = fake.lock().unwrap_or_else(|p| p.into_inner());
    match method.to_ascii_lowercase().as_str() {
        "sendmessage" => {
            let window = window();
            while fake.recent.front().is_some_and(|at| now.duration_since(*at) >= window) {
                fake.recent.pop_front();
            }
            let chat_busy = fake.last_to.get(&chat).is_some_and(|at| now.duration_since(*at) < window);
            if fake.recent.len() >= OVERALL || chat_busy {
                fake.too_many.push(now);
                let answer = json!({
                    "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": { "retry_after": 1 }
                });
                return (StatusCode::TOO_MANY_REQUESTS, Json(answer)).into_response();
            }
            fake.recent.push_back(now);
            fake.last_to.insert(chat, now);
            if chat != OWNER {
                fake.delivered.push(now);
                *fake.per_chat.entry(chat).or_default() += 1;
            }
            fake.next_id += 1;
            let id = fake.next_id;
            Json(json!({ "ok": true, "result": message(chat, id, &text) })).into_response()
        }
        "editmessagetext" => {
            fake.edits += 1;
            let id = params["message_id"].as_i64().unwrap_or_default();
            Json(json!({ "ok": true, "result": message(chat, id, &text) })).into_response()
        }
        _ => Json(json!({ "ok": true, "result": true })).into_response(),
    }
}

async fn start_fake() -> (Shared, String) {
    let fake = Shared::default();
    let app = Router::new().route("/{token}/{method}", post(api)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("fake") });
    (fake, format!("http://{addr}"))
}

async fn add_customers(db: &DatabaseConnection, n: i64) {
    let now = Utc::now();
    let rows: Vec<user::ActiveModel> = (0..n)
        .map(|i| user::ActiveModel {
            telegram_id: Set(FIRST_ID + i),
            username: Set(None),
            first_name: Set(format!("Customer {i}")),
            last_name: Set(None),
            language_code: Set(Some("en".into())),
            referral_code: Set(format!("B{i:08}")),
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
    for chunk in rows.chunks(1_000) {
        user::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.expect("customers");
    }
}

async fn run(label: &str, db: DatabaseConnection, url: &str) {
    // OTTSONLY_BENCH_RECIPIENTS: fewer, for a quick look at another scale.
    let recipients = std::env::var("OTTSONLY_BENCH_RECIPIENTS").ok().and_then(|n| n.parse().ok());
    let customers = recipients.unwrap_or(common::size(100_000, 300));
    let (fake, fake_url) = start_fake().await;
    let env: HashMap<&str, String> = HashMap::from([
        ("TELOXIDE_TOKEN", TOKEN.to_owned()),
        ("TELEGRAM_API_URL", fake_url.clone()),
        ("DATABASE_URL", url.to_owned()),
        ("ADMIN_IDS", OWNER.to_string()),
        ("TELEGRAM_RATE_SCALE", scale().to_string()),
    ]);
    let config = Config::load(std::path::Path::new("/nonexistent/ottsonly-bench.toml"), |key| env.get(key).cloned())
        .expect("config");
    let configured = f64::from(config.send_limits.broadcast_per_second);
    let config = Arc::new(config);

    let started = Instant::now();
    add_customers(&db, customers).await;
    users::sync_staff_from_config(&db, &config.admin_ids, None, Utc::now()).await.expect("owner");
    users::set_wants_offers(&db, OWNER, false).await.expect("owner opts out");
    let owner = Actor::new(OWNER, Role::Owner, Lang::En);
    let draft = Draft {
        content: Content { text: TEXT.into(), photo_file_id: None, button: None },
        audience: Audience::Everyone,
    };
    let StartOutcome::Queued { broadcast, .. } =
        broadcasts::start(&db, &owner, &draft, Utc::now()).await.expect("start")
    else {
        panic!("nobody to send to");
    };
    assert_eq!(broadcast.total as i64, customers);
    println!("{label:>8}: {customers} customers and the queued broadcast in {:.1?}", started.elapsed());

    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(&fake_url).expect("fake url"));
    let ctx = Arc::new(Ctx::new(db.clone(), config.clone(), "bench_bot".into()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let sender = tokio::spawn(bot::broadcast::run(ctx.tg(bot), ctx.clone(), stopped));
    let expected = Duration::from_secs_f64(customers as f64 / configured);
    let deadline = started + expected * 5 + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let row = broadcast_row::Entity::find_by_id(broadcast.id).one(&db).await.expect("row").expect("broadcast");
        if row.status == BroadcastStatus::Done {
            break;
        }
        assert!(Instant::now() < deadline, "the broadcast did not finish in {:?}", deadline - started);
    }
    let done = started.elapsed();
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), sender).await;

    let fake = fake.lock().unwrap_or_else(|p| p.into_inner());
    let sent = fake.delivered.len();
    assert_eq!(sent as i64, customers, "every customer got it");
    assert!(fake.per_chat.values().all(|n| *n == 1), "nobody got it twice");
    let (first, last) = (fake.delivered[0], fake.delivered[sent - 1]);
    let steady = (sent - 1) as f64 / last.duration_since(first).as_secs_f64();
    let too_many = fake.too_many.len();
    println!(
        "{label:>8}: {sent} messages in {:.1?} (first to last; {done:.1?} from start to done), {} progress edits",
        last.duration_since(first),
        fake.edits
    );
    common::ratio_line(label, "broadcast rate", steady, "configured (25/s x scale)", configured, "msg/s");
    println!(
        "{label:>8}: fake's limit {} msg/s overall (30/s x scale {}); 429s received: {too_many} ({})",
        OVERALL as u32 * scale(),
        scale(),
        if too_many <= 1 { "none after the first" } else { "MORE THAN ONE" }
    );
    println!(
        "{label:>8}: target >= 0.95x of configured: {}",
        if steady >= 0.95 * configured { "met" } else { "MISSED" }
    );
}

#[tokio::main]
async fn main() {
    println!(
        "broadcast bench: scale {} (the fake's clock and our rates {}x Telegram's){}",
        scale(),
        scale(),
        if common::smoke() { " (smoke)" } else { "" }
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("broadcast.db").display());
    let db = ottsonly::services::db::connect_and_migrate(&url).await.expect("sqlite");
    run("sqlite", db, &url).await;
    let Some(scratch) = common::Scratch::create("ottsonly_bench_broadcast").await else {
        println!("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped");
        return;
    };
    let db = scratch.migrated().await;
    run("postgres", db.clone(), &scratch.url).await;
    db.close().await.ok();
    scratch.drop().await;
}
