//! Throughput of the purchase path (checkout + confirm, each buyer referred through a
//! two-level chain so every sale records commissions), of the commission maturity job and of
//! the plan listing, on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. On
//! PostgreSQL the purchases per second are set against `pgbench -b tpcb-like` on the same
//! server in the same run (before and after ours, on a scratch database), as a ratio. Run
//! with `cargo bench --bench purchase`; `OTTSONLY_BENCH_SMOKE=1` for a run of seconds.
mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::DatabaseConnection;

use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::Money;
use ottsonly::services::purchase::WhenShort;
use ottsonly::services::users::{self, Profile};
use ottsonly::services::wallet::{self, Direction};
use ottsonly::services::{catalog, purchase, referrals, settings, stock, Actor};

/// Buyers, each buying once; enough for a steady figure.
fn buyers() -> i64 {
    common::size(2_000, 40)
}
/// Buyers at the same time (the PostgreSQL pool has 10 connections; pgbench runs 8 clients).
const CONCURRENCY: usize = 16;

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
    let lines: Vec<String> = (0..buyers()).map(|n| format!("bench{n}@ott.test:pw")).collect();
    stock::add_stock(db, &Actor::system(), plan.id, &credentials::from_lines(&lines.join("\n")), Utc::now())
        .await
        .expect("stock");
    for id in 0..buyers() {
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

/// Returns the purchases per second.
async fn run(label: &str, db: DatabaseConnection) -> f64 {
    let plan_id = setup(&db).await;
    let buyers = buyers();

    // CONCURRENCY customers buying at once, each taking the next buyer when done.
    let next = Arc::new(AtomicI64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (db, next) = (db.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= buyers {
                        break;
                    }
                    let tg = 10_000 + id;
                    let checkout = purchase::open_checkout(&db, tg, plan_id, WhenShort::Refuse, Utc::now())
                        .await
                        .expect("checkout");
                    purchase::confirm(&db, tg, checkout.order_id, Utc::now()).await.expect("confirm");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = started.elapsed();
    report(label, &format!("purchases ({CONCURRENCY} at once)"), buyers as u32, elapsed);
    let per_second = common::rate(buyers as usize, elapsed);

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
    assert_eq!(matured, 2 * buyers as usize, "every commission matures once");
    report(label, "commissions matured", matured as u32, started.elapsed());

    let started = Instant::now();
    let rounds = 500;
    for _ in 0..rounds {
        catalog::list_plans(&db, true).await.expect("plans");
    }
    report(label, "plan listings", rounds, started.elapsed());
    per_second
}

fn report(label: &str, what: &str, count: u32, elapsed: Duration) {
    let per = elapsed / count;
    println!(
        "{label:>8}: {count} {what} in {elapsed:.2?} ({per:.2?} each, {:.0}/s)",
        f64::from(count) / elapsed.as_secs_f64()
    );
}

/// Where pgbench is: PGBENCH, else on PATH, else PostgreSQL's own bin directories.
fn pgbench_binary() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("PGBENCH") {
        return Some(path.into());
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("pgbench"));
    let bundled = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin/pgbench"));
    on_path.chain(bundled).find(|p| p.is_file())
}

/// `pgbench -b tpcb-like -c 8 -j 2 -T <seconds>` against `url` (initialised first): its tps.
async fn pgbench(binary: &std::path::Path, url: &str, seconds: u32) -> f64 {
    let init = tokio::process::Command::new(binary).args(["-i", "-q", url]).output().await.expect("pgbench -i");
    assert!(init.status.success(), "pgbench -i: {}", String::from_utf8_lossy(&init.stderr));
    let run = tokio::process::Command::new(binary)
        .args(["-b", "tpcb-like", "-c", "8", "-j", "2", "-T", &seconds.to_string(), url])
        .output()
        .await
        .expect("pgbench");
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "pgbench: {out}{}", String::from_utf8_lossy(&run.stderr));
    // "tps = 759.919815 (without initial connection time)"
    out.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output: {out}"))
}

#[tokio::main]
async fn main() {
    println!(
        "purchase bench: {} buyers, {CONCURRENCY} at once{}",
        buyers(),
        if common::smoke() { " (smoke)" } else { "" }
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = run("sqlite", common::sqlite(dir.path(), "bench").await).await;
    println!("  sqlite: {sqlite:.1} purchases/s");

    let Some(scratch) = common::Scratch::create("ottsonly_bench").await else {
        println!("TEST_DATABASE_URL is not set: the PostgreSQL run and pgbench are skipped");
        return;
    };
    let pgbench_binary = pgbench_binary();
    let seconds = common::size(5, 1);
    let reference = common::Scratch::create("ottsonly_bench_pgbench").await.expect("pgbench db");
    let before = match &pgbench_binary {
        Some(binary) => Some(pgbench(binary, &reference.url, seconds).await),
        None => None,
    };
    let db = scratch.migrated().await;
    let ours = run("postgres", db.clone()).await;
    db.close().await.ok();
    scratch.drop().await;
    match (&pgbench_binary, before) {
        (Some(binary), Some(before)) => {
            let after = pgbench(binary, &reference.url, seconds).await;
            let mean = (before + after) / 2.0;
            println!(
                "postgres: pgbench -b tpcb-like -c 8 -j 2 -T {seconds}: {before:.1} tps before, {after:.1} tps after"
            );
            common::ratio_line("postgres", "purchases", ours, "pgbench tpcb-like (mean)", mean, "/s");
        }
        _ => println!("postgres: {ours:.1} purchases/s; pgbench not found (set PGBENCH): no ratio"),
    }
    reference.drop().await;
}
