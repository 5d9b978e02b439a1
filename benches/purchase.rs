//! Throughput of the purchase path (checkout + confirm, each buyer referred through a
//! two-level chain so every sale records commissions), of the commission maturity job and of
//! the plan listing, on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. Run with
//! `cargo bench`.
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::Money;
use ottsonly::services::db::connect_and_migrate;
use ottsonly::services::purchase::WhenShort;
use ottsonly::services::users::{self, Profile};
use ottsonly::services::wallet::{self, Direction};
use ottsonly::services::{catalog, purchase, referrals, settings, stock, Actor};

const BUYERS: i64 = 200;

async fn setup(db: &DatabaseConnection) -> i32 {
    let draft = PlanDraft {
        price: Money::from_rupees(135),
        cost: Money::from_rupees(42),
        duration_days: 30,
        name: "Bench".into(),
    };
    let plan = catalog::create_plan(db, &Actor::system(), &draft, "bench", Utc::now()).await.expect("plan").plan;
    // A referrer of a referrer of everybody.
    let mut referral = None;
    for id in [1, 2] {
        let profile = Profile {
            telegram_id: id,
            username: None,
            first_name: "Referrer".into(),
            last_name: None,
            language_code: None,
        };
        let signup = users::sign_up(db, &profile, referral.as_deref(), Utc::now()).await.expect("referrer");
        referral = Some(signup.user.referral_code);
    }
    // Many signups through one link in a minute are exactly what the fraud check flags;
    // the bench measures the sale, not the flag.
    settings::set(db, "fraud.max_signups_per_hour", "1000000", Utc::now()).await.expect("setting");
    let lines: Vec<String> = (0..BUYERS).map(|n| format!("bench{n}@ott.test:pw")).collect();
    stock::add_stock(db, &Actor::system(), plan.id, &credentials::from_lines(&lines.join("\n")), Utc::now())
        .await
        .expect("stock");
    for id in 0..BUYERS {
        let profile = Profile {
            telegram_id: 10_000 + id,
            username: None,
            first_name: "Bench".into(),
            last_name: None,
            language_code: None,
        };
        users::sign_up(db, &profile, referral.as_deref(), Utc::now()).await.expect("user");
        wallet::admin_adjust(
            db,
            &Actor::system(),
            10_000 + id,
            Money::from_rupees(500),
            Direction::Credit,
            "",
            &format!("b{id}"),
            Utc::now(),
        )
        .await
        .expect("credit");
    }
    plan.id
}

async fn run(label: &str, db: DatabaseConnection) {
    let plan_id = setup(&db).await;

    let started = Instant::now();
    let tasks: Vec<_> = (0..BUYERS)
        .map(|id| {
            let db = db.clone();
            tokio::spawn(async move {
                let tg = 10_000 + id;
                let checkout =
                    purchase::open_checkout(&db, tg, plan_id, WhenShort::Refuse, Utc::now()).await.expect("checkout");
                purchase::confirm(&db, tg, checkout.order_id, Utc::now()).await.expect("confirm");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    report(label, "concurrent purchases", BUYERS as u32, started.elapsed());

    // Every sale left two commissions on hold; one job run a day later credits them all.
    let started = Instant::now();
    let mut matured = 0;
    loop {
        let batch = referrals::mature_due(&db, Utc::now() + chrono::Duration::days(1)).await.expect("mature");
        if batch.is_empty() {
            break;
        }
        matured += batch.len();
    }
    assert_eq!(matured, 2 * BUYERS as usize, "every commission matures once");
    report(label, "commissions matured", matured as u32, started.elapsed());

    let started = Instant::now();
    let rounds = 500;
    for _ in 0..rounds {
        catalog::list_plans(&db, true).await.expect("plans");
    }
    report(label, "plan listings", rounds, started.elapsed());
}

fn report(label: &str, what: &str, count: u32, elapsed: Duration) {
    let per = elapsed / count;
    println!(
        "{label:>8}: {count} {what} in {elapsed:.2?} ({per:.2?} each, {:.0}/s)",
        f64::from(count) / elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    run("sqlite", connect_and_migrate(&url).await.expect("sqlite")).await;

    if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
        let admin = Database::connect(&admin_url).await.expect("postgres");
        admin.execute_unprepared("DROP DATABASE IF EXISTS ottsonly_bench WITH (FORCE)").await.expect("drop");
        admin.execute_unprepared("CREATE DATABASE ottsonly_bench").await.expect("create");
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path("/ottsonly_bench");
        let db = connect_and_migrate(url.as_str()).await.expect("bench db");
        run("postgres", db.clone()).await;
        db.close().await.ok();
        admin.execute_unprepared("DROP DATABASE IF EXISTS ottsonly_bench WITH (FORCE)").await.ok();
    }
}
