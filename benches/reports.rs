//! Reports over a shop with many orders: the figures of each period, the 90-day daily series,
//! the chart, and a CSV export of every order (page by page into a sink, with the largest
//! chunk it produced, which bounds its memory). SQLite, and PostgreSQL when
//! TEST_DATABASE_URL is set. Run with `cargo bench --bench reports`.
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, Set};

use ottsonly::charts;
use ottsonly::domain::report::{DateRange, Period};
use ottsonly::entities::order::{self, OrderStatus, PaymentMethod};
use ottsonly::entities::{plan, user};
use ottsonly::services::db::connect_and_migrate;
use ottsonly::services::exports::{self, ExportKind};
use ottsonly::services::{reports, Actor};

const ORDERS: usize = 100_000;
const CUSTOMERS: usize = 2_000;
/// Rows per INSERT, below SQLite's and PostgreSQL's parameter limits.
const BATCH: usize = 2_000;

/// Customers, one plan, and `ORDERS` paid orders spread over the last 120 days. Inserted
/// directly: the bench measures reading them, not selling them.
async fn seed(db: &DatabaseConnection, now: DateTime<Utc>) {
    let users = (0..CUSTOMERS).map(|n| user::ActiveModel {
        telegram_id: Set(50_000 + n as i64),
        username: Set(Some(format!("bench{n}"))),
        first_name: Set(format!("Bench, \"{n}\"")),
        last_name: Set(None),
        language_code: Set(None),
        referral_code: Set(format!("BENCH{n:05}")),
        referred_by: Set(None),
        role: Set(user::Role::User),
        is_blocked: Set(false),
        balance: Set(0),
        created_at: Set(now - chrono::Duration::days((n % 120) as i64)),
        language: Set("en".into()),
        unreachable_at: Set(None),
        ..Default::default()
    });
    for chunk in users.collect::<Vec<_>>().chunks(BATCH / 4) {
        user::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.expect("users");
    }
    let first_user = user::Entity::find().one(db).await.expect("users").expect("a user").id;
    let plan = plan::Entity::insert(plan::ActiveModel {
        name: Set("Bench plan".into()),
        description: Set(String::new()),
        price: Set(13_550),
        cost: Set(4_200),
        duration_days: Set(30),
        is_active: Set(true),
        sort_order: Set(0),
        source_key: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .expect("plan")
    .last_insert_id;
    let mut orders = Vec::with_capacity(BATCH);
    for n in 0..ORDERS {
        let at = now - chrono::Duration::minutes((n as i64 * 7919) % (120 * 24 * 60));
        orders.push(order::ActiveModel {
            user_id: Set(first_user + (n % CUSTOMERS) as i32),
            plan_id: Set(plan),
            price: Set(13_550),
            cost: Set(4_200),
            status: Set(if n % 50 == 0 { OrderStatus::Refunded } else { OrderStatus::Paid }),
            payment_method: Set(PaymentMethod::Wallet),
            checkout_key: Set(None),
            created_at: Set(at),
            paid_at: Set(Some(at)),
            updated_at: Set(at),
            ..Default::default()
        });
        if orders.len() == BATCH / 8 {
            order::Entity::insert_many(std::mem::take(&mut orders)).exec_without_returning(db).await.expect("orders");
        }
    }
    if !orders.is_empty() {
        order::Entity::insert_many(orders).exec_without_returning(db).await.expect("orders");
    }
}

async fn run(label: &str, db: DatabaseConnection) {
    let now = Utc::now();
    let started = Instant::now();
    seed(&db, now).await;
    println!("{label:>8}: seeded {ORDERS} orders in {:.2?}", started.elapsed());
    let owner = Actor::system();

    for period in Period::ALL {
        let rounds = 20;
        let started = Instant::now();
        for _ in 0..rounds {
            reports::stats(&db, &owner, period, now).await.expect("stats");
        }
        report(label, &format!("stats {}", period.code()), rounds, started.elapsed());
    }
    let rounds = 20;
    let started = Instant::now();
    let mut days = Vec::new();
    for _ in 0..rounds {
        days = reports::daily(&db, &owner, 90, now).await.expect("daily");
    }
    report(label, "daily series of 90 days", rounds, started.elapsed());
    let started = Instant::now();
    let png = charts::daily_png(&days).expect("chart");
    println!("{label:>8}: 90-day chart, {} bytes of PNG in {:.2?}", png.len(), started.elapsed());

    let today = ottsonly::domain::report::ist_date(now);
    let range = DateRange::new(today - chrono::Days::new(200), today).expect("range");
    let mut export = exports::open(&db, &owner, ExportKind::Orders, range).expect("export");
    let (mut bytes, mut largest) = (0usize, 0usize);
    let started = Instant::now();
    while let Some(chunk) = export.next_chunk().await.expect("chunk") {
        bytes += chunk.len();
        largest = largest.max(chunk.len());
    }
    let elapsed = started.elapsed();
    assert_eq!(export.rows(), ORDERS as u64);
    println!(
        "{label:>8}: exported {} orders ({:.1} MB) in {elapsed:.2?} ({:.0} rows/s), largest chunk {} KB",
        export.rows(),
        bytes as f64 / 1e6,
        export.rows() as f64 / elapsed.as_secs_f64(),
        largest / 1024
    );
}

fn report(label: &str, what: &str, count: u32, elapsed: Duration) {
    println!("{label:>8}: {count} × {what} in {elapsed:.2?} ({:.2?} each)", elapsed / count);
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    run("sqlite", connect_and_migrate(&url).await.expect("sqlite")).await;

    if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
        let admin = Database::connect(&admin_url).await.expect("postgres");
        admin.execute_unprepared("DROP DATABASE IF EXISTS ottsonly_bench_reports WITH (FORCE)").await.expect("drop");
        admin.execute_unprepared("CREATE DATABASE ottsonly_bench_reports").await.expect("create");
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path("/ottsonly_bench_reports");
        let db = connect_and_migrate(url.as_str()).await.expect("bench db");
        run("postgres", db.clone()).await;
        db.close().await.ok();
        admin.execute_unprepared("DROP DATABASE IF EXISTS ottsonly_bench_reports WITH (FORCE)").await.ok();
    }
}
