//! Does the bot slow down as the shop grows? A big shop (100,000 customers, 1,000,000 ledger
//! rows, 10,000 referrals under one referrer, every customer with a paid order, its login and
//! subscription, a commission per referred sale) against a small one (100 customers, the
//! same shape), timing what `/wallet` and `/refer` call, a purchase (checkout + confirm by a
//! referred customer) and the commission maturity job, interleaved big/small so both see the
//! same machine. The big shop is seeded with bulk INSERT … SELECT (generate_series on
//! PostgreSQL, a recursive CTE on SQLite) into rows as the services write them. Then every
//! statement those services ran on the big shop is EXPLAINed (PostgreSQL: EXPLAIN, with
//! ANALYZE for SELECTs; SQLite: EXPLAIN QUERY PLAN), and full scans of big tables are flagged.
//! The bulk rows bypass the services that keep `referral_tallies`, so the seed recounts them
//! (`referrals::recount_tallies`) and checks what `/refer` shows against plain counts.
//! SQLite, and PostgreSQL when TEST_DATABASE_URL is set. Run with `cargo bench --bench
//! growth`; `OTTSONLY_BENCH_SMOKE=1` for a run of seconds.
mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use ottsonly::domain::commission::{self, Level};
use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::Money;
use ottsonly::services::purchase::WhenShort;
use ottsonly::services::users::{self, Profile};
use ottsonly::services::wallet::{self, Direction};
use ottsonly::services::{catalog, purchase, referrals, settings, stock, Actor};

const REFERRER: i64 = 1;
/// Customers are FIRST_CUSTOMER + 1 ..= FIRST_CUSTOMER + n.
const FIRST_CUSTOMER: i64 = 1_000_000;
/// Buyers in the timed purchases, signed up through the referrer's link.
const FIRST_BUYER: i64 = 900_000;
/// Admin credits of ₹100 per customer before their purchase: 10 ledger rows each.
const CREDITS_PER_CUSTOMER: i64 = 9;
const CREDIT: i64 = 10_000;
/// Commissions due for the maturity job (the same number in both shops).
const DUE: i64 = 40;

/// Statements the services ran while capturing (the first run of each operation).
static CAPTURE: Mutex<Option<Vec<Statement>>> = Mutex::new(None);

struct Shop {
    db: DatabaseConnection,
    customers: i64,
    plan_id: i32,
    buyers: std::ops::Range<i64>,
}

/// Runs `sql` with `{T}` (when the rows were written) and `{E}` (when their subscriptions end)
/// bound as timestamps.
async fn exec(db: &DatabaseConnection, sql: &str, t: DateTime<Utc>, e: DateTime<Utc>) {
    let backend = db.get_database_backend();
    let (out, values): (String, Vec<Value>) = match backend {
        DbBackend::Postgres => {
            let mut values: Vec<Value> = Vec::new();
            if sql.contains("{T}") || sql.contains("{E}") {
                values.push(t.into());
            }
            if sql.contains("{E}") {
                values.push(e.into());
            }
            (sql.replace("{T}", "$1::timestamptz").replace("{E}", "$2::timestamptz"), values)
        }
        _ => {
            // Positional: one value per placeholder, in order.
            let mut out = String::with_capacity(sql.len());
            let mut values: Vec<Value> = Vec::new();
            let mut rest = sql;
            while let Some(at) = rest.find('{') {
                out.push_str(&rest[..at]);
                let (token, after) = rest[at..].split_at(3);
                values.push(match token {
                    "{T}" => t.into(),
                    "{E}" => e.into(),
                    other => panic!("unknown token {other}"),
                });
                out.push('?');
                rest = after;
            }
            out.push_str(rest);
            (out, values)
        }
    };
    let started = Instant::now();
    db.execute_raw(Statement::from_sql_and_values(backend, &out, values))
        .await
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    let took = started.elapsed();
    if took > Duration::from_secs(1) {
        println!("    seed: {:.70}… {took:.1?}", sql.split_whitespace().collect::<Vec<_>>().join(" "));
    }
}

/// `WITH RECURSIVE` prefix and FROM source for the numbers 1..=n as `s.g`.
fn series(backend: DbBackend, n: i64) -> (String, String) {
    match backend {
        DbBackend::Postgres => (String::new(), format!("generate_series(1, {n}) AS s(g)")),
        _ => (format!("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) "), "s".into()),
    }
}

fn boolean(backend: DbBackend, b: bool) -> &'static str {
    match (backend, b) {
        (DbBackend::Postgres, true) => "true",
        (DbBackend::Postgres, false) => "false",
        (_, true) => "1",
        (_, false) => "0",
    }
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql).expect(sql);
    row.try_get_by_index::<i64>(0).expect(sql)
}

/// A shop of `customers` customers (plus the referrer), `referrals` of them referred by the
/// referrer; see the module comment.
async fn seed(label: &'static str, db: DatabaseConnection, customers: i64, referrals: i64, buyers: i64) -> Shop {
    let started = Instant::now();
    let backend = db.get_database_backend();
    let now = Utc::now();
    let past = now - chrono::Duration::days(20);
    let ends = past + chrono::Duration::days(30);
    let draft = PlanDraft {
        price: Money::from_rupees(135),
        cost: Money::from_rupees(42),
        duration_days: 30,
        name: "Big".into(),
    };
    let plan = catalog::create_plan(&db, &Actor::system(), &draft, "growth", now).await.expect("plan").plan;
    // Many signups through one link are what the fraud check flags; the bench times the rest.
    settings::set(&db, "fraud.max_signups_per_hour", "1000000", now).await.expect("setting");
    let profile = |telegram_id: i64, name: &str| Profile {
        telegram_id,
        username: None,
        first_name: name.into(),
        last_name: None,
        language_code: None,
    };
    let referrer = users::sign_up(&db, &profile(REFERRER, "Referrer"), None, now).await.expect("referrer").user;
    let rid = referrer.id;
    let (price, cost) = (plan.price, plan.cost);
    let rules = settings::referral_rules(&db).await.expect("rules");
    let amount =
        commission::commission(Money::from_paise(price), Money::from_paise(cost), rules.rate(Level::One)).paise();
    let balance = CREDITS_PER_CUSTOMER * CREDIT - price;
    let (with, from) = series(backend, customers);
    let (yes, no) = (boolean(backend, true), boolean(backend, false));
    let c0 = FIRST_CUSTOMER;
    exec(
        &db,
        &format!(
            "{with}INSERT INTO users (telegram_id, username, first_name, last_name, language_code, referral_code, \
             referred_by, role, is_blocked, balance, created_at, language, unreachable_at, wants_offers) \
             SELECT {c0} + g, NULL, 'Customer ' || g, NULL, 'en', 'C' || g, \
             CASE WHEN g <= {referrals} THEN {rid} ELSE NULL END, 'user', \
             CASE WHEN g % 1000 = 500 THEN {yes} ELSE {no} END, {balance}, {{T}}, 'en', NULL, {yes} FROM {from}"
        ),
        past,
        ends,
    )
    .await;
    let pid = plan.id;
    exec(
        &db,
        &format!(
            "INSERT INTO orders (user_id, plan_id, price, cost, status, payment_method, checkout_key, created_at, \
             paid_at, updated_at, renews_subscription_id, list_price, discount, promo_code_id, discount_kind, is_gift) \
             SELECT id, {pid}, {price}, {cost}, 'paid', 'wallet', NULL, {{T}}, {{T}}, {{T}}, NULL, {price}, 0, NULL, \
             NULL, {no} FROM users WHERE telegram_id > {c0} ORDER BY id"
        ),
        past,
        ends,
    )
    .await;
    exec(
        &db,
        &format!(
            "INSERT INTO stock_items (plan_id, credential, status, order_id, created_at, assigned_at, faulty_at) \
             SELECT {pid}, 'login' || id || '@ott.test:pw', 'assigned', id, {{T}}, {{T}}, NULL FROM orders ORDER BY id"
        ),
        past,
        ends,
    )
    .await;
    exec(
        &db,
        &format!(
            "INSERT INTO subscriptions (user_id, plan_id, order_id, stock_item_id, starts_at, ends_at, status, period, \
             auto_renew) SELECT o.user_id, {pid}, o.id, s.id, {{T}}, {{E}}, 'active', 1, {no} \
             FROM orders o JOIN stock_items s ON s.order_id = o.id ORDER BY o.id"
        ),
        past,
        ends,
    )
    .await;
    let (with9, from9) = series(backend, CREDITS_PER_CUSTOMER);
    exec(
        &db,
        &format!(
            "{with9}INSERT INTO ledger_entries (user_id, amount, balance_after, kind, reference, idempotency_key, \
             created_at) SELECT u.id, {CREDIT}, {CREDIT} * g, 'admin_credit', 'seed', \
             'admin:seed:' || u.id || ':' || g, {{T}} FROM users u CROSS JOIN {from9} \
             WHERE u.telegram_id > {c0} ORDER BY u.id, g"
        ),
        past,
        ends,
    )
    .await;
    let before_purchase = CREDITS_PER_CUSTOMER * CREDIT;
    exec(
        &db,
        &format!(
            "INSERT INTO ledger_entries (user_id, amount, balance_after, kind, reference, idempotency_key, created_at) \
             SELECT user_id, -{price}, {before_purchase} - {price}, 'purchase', 'order:' || id, \
             'order:' || id || ':payment', {{T}} FROM orders ORDER BY id"
        ),
        past,
        ends,
    )
    .await;
    // A level-1 commission per referred sale: credited, but the last DUE still on hold (due).
    let matured_until = c0 + referrals - DUE;
    for (status, matured, which) in
        [("available", "{T}", format!("<= {matured_until}")), ("pending", "NULL", format!("> {matured_until}"))]
    {
        exec(
            &db,
            &format!(
                "INSERT INTO commissions (order_id, level, earner_id, buyer_id, amount, status, recovered, created_at, \
                 matured_at, closed_at) SELECT o.id, 1, {rid}, o.user_id, {amount}, '{status}', 0, {{T}}, {matured}, \
                 NULL FROM orders o JOIN users u ON u.id = o.user_id WHERE u.referred_by = {rid} \
                 AND u.telegram_id {which} ORDER BY o.id"
            ),
            past,
            ends,
        )
        .await;
    }
    exec(
        &db,
        &format!(
            "INSERT INTO ledger_entries (user_id, amount, balance_after, kind, reference, idempotency_key, created_at) \
             SELECT {rid}, {amount}, {amount} * n, 'commission', 'order:' || order_id, 'commission:' || id, {{T}} \
             FROM (SELECT id, order_id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM commissions \
             WHERE status = 'available') x ORDER BY id"
        ),
        past,
        ends,
    )
    .await;
    let credited = amount * (referrals - DUE);
    exec(&db, &format!("UPDATE users SET balance = {credited} WHERE id = {rid}"), past, ends).await;
    // The rows above bypassed the services that keep the referral tallies: recount them, as
    // after any bulk load.
    referrals::recount_tallies(&db).await.expect("recount the tallies");
    if backend == DbBackend::Postgres {
        // As autovacuum would after loads like these.
        db.execute_unprepared("ANALYZE").await.expect("analyze");
    }

    // The timed buyers: signed up through the referrer's link, money in the wallet, stock.
    let lines: Vec<String> = (0..buyers).map(|n| format!("buyer{n}@ott.test:pw")).collect();
    stock::add_stock(&db, &Actor::system(), plan.id, &credentials::from_lines(&lines.join("\n")), now)
        .await
        .expect("stock");
    for tg in FIRST_BUYER..FIRST_BUYER + buyers {
        users::sign_up(&db, &profile(tg, "Buyer"), Some(&referrer.referral_code), now).await.expect("buyer");
        wallet::admin_adjust(
            &db,
            &Actor::system(),
            tg,
            Money::from_rupees(500),
            Direction::Credit,
            "",
            &format!("g{tg}"),
            now,
        )
        .await
        .expect("credit");
    }
    let ledger = scalar(&db, "SELECT COUNT(*) FROM ledger_entries").await;
    let users = scalar(&db, "SELECT COUNT(*) FROM users").await;
    let referred = scalar(&db, &format!("SELECT COUNT(*) FROM users WHERE referred_by = {rid}")).await;
    let stats = referrals::stats(&db, REFERRER).await.expect("stats").expect("referrer");
    assert_eq!((stats.level1 as i64, stats.level1_paying as i64), (referred, referrals), "the referrer's tallies");
    assert_eq!(stats.totals.credited.paise(), credited, "the referrer's credited commission");
    println!(
        "{label:>14}: seeded {users} users, {ledger} ledger rows, {referred} referrals of one referrer in {:.1?}",
        started.elapsed()
    );
    Shop { db, customers, plan_id: plan.id, buyers: FIRST_BUYER..FIRST_BUYER + buyers }
}

/// A customer to look at in round `n`, spread over the whole shop.
fn customer(shop: &Shop, n: i64) -> i64 {
    FIRST_CUSTOMER + 1 + (n * 7_919) % shop.customers
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Op {
    WalletCustomer,
    WalletReferrer,
    Refer,
    Purchase,
    Maturity,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::WalletCustomer => "/wallet (a customer)",
            Op::WalletReferrer => "/wallet (the referrer)",
            Op::Refer => "/refer (10k referrals)",
            Op::Purchase => "purchase",
            Op::Maturity => "maturity job (per commission)",
        }
    }
}

/// One round of `op` on `shop`: how long it took, and how many units it did.
async fn round(shop: &mut Shop, op: Op, n: i64) -> (Duration, u32) {
    let db = &shop.db;
    let started = Instant::now();
    let units = match op {
        Op::WalletCustomer => {
            wallet::overview(db, customer(shop, n), 10).await.expect("wallet").expect("customer");
            1
        }
        Op::WalletReferrer => {
            wallet::overview(db, REFERRER, 10).await.expect("wallet").expect("referrer");
            1
        }
        Op::Refer => {
            referrals::stats(db, REFERRER).await.expect("stats").expect("referrer");
            settings::withdrawal_min(db).await.expect("min");
            1
        }
        Op::Purchase => {
            let tg = shop.buyers.next().expect("a buyer left");
            let checkout =
                purchase::open_checkout(db, tg, shop.plan_id, WhenShort::Refuse, Utc::now()).await.expect("checkout");
            purchase::confirm(db, tg, checkout.order_id, Utc::now()).await.expect("confirm");
            1
        }
        Op::Maturity => {
            let matured = referrals::mature_due(db, Utc::now()).await.expect("mature");
            assert_eq!(matured.len() as i64, DUE, "every due commission matures");
            matured.len() as u32
        }
    };
    (started.elapsed(), units)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn explain(
    db: &DatabaseConnection,
    statement: &Statement,
    big: &BTreeMap<String, i64>,
) -> (Vec<String>, Vec<String>) {
    let backend = db.get_database_backend();
    let sql = statement.to_string();
    let select = sql.trim_start().to_ascii_uppercase().starts_with("SELECT");
    let query = match backend {
        DbBackend::Postgres if select => format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}"),
        DbBackend::Postgres => format!("EXPLAIN (COSTS OFF) {sql}"),
        _ => format!("EXPLAIN QUERY PLAN {sql}"),
    };
    let rows = match db.query_all_raw(Statement::from_string(backend, query)).await {
        Ok(rows) => rows,
        Err(err) => return (vec![format!("(not explained: {err})")], Vec::new()),
    };
    let lines: Vec<String> = rows
        .iter()
        .map(|row| match backend {
            DbBackend::Postgres => row.try_get::<String>("", "QUERY PLAN").unwrap_or_default(),
            _ => row.try_get::<String>("", "detail").unwrap_or_default(),
        })
        .collect();
    let mut flags = Vec::new();
    for line in &lines {
        let t = line.trim();
        let scanned = match backend {
            DbBackend::Postgres => {
                t.split("Seq Scan on ").nth(1).map(|rest| rest.split_whitespace().next().unwrap_or(""))
            }
            _ => t.strip_prefix("SCAN ").map(|rest| rest.split_whitespace().next().unwrap_or("")),
        };
        if let Some(table) = scanned {
            if let Some(rows) = big.get(table) {
                flags.push(format!("FULL SCAN of {table} ({rows} rows): {t}"));
            }
        }
    }
    (lines, flags)
}

/// Tables with more than 10,000 rows, with their counts.
async fn big_tables(db: &DatabaseConnection) -> BTreeMap<String, i64> {
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let names: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .expect("tables")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name"))
        .collect();
    let mut big = BTreeMap::new();
    for name in names {
        let rows = scalar(db, &format!("SELECT COUNT(*) FROM \"{name}\"")).await;
        if rows > 10_000 {
            big.insert(name, rows);
        }
    }
    big
}

async fn run(label: &str, big: DatabaseConnection, small: DatabaseConnection) {
    let rounds = common::size(31_i64, 3);
    let purchases = common::size(15_i64, 3);
    let customers = common::size(100_000, 2_000);
    let referrals = common::size(10_000, 500);
    let mut big = seed("big", big, customers, referrals, purchases).await;
    let mut small = seed("small", small, 100, 50, purchases).await;
    println!(
        "{label:>8}: big shop {customers} customers, {referrals} referrals; small shop 100 customers, 50 referrals"
    );

    // Capture what the services run on the big shop in the first round of each operation.
    big.db.set_metric_callback(|info| {
        if let Some(captured) = CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            captured.push(info.statement.clone());
        }
    });
    let mut statements: BTreeMap<Op, Vec<Statement>> = BTreeMap::new();
    let ops = [Op::WalletCustomer, Op::WalletReferrer, Op::Refer, Op::Purchase, Op::Maturity];
    for op in ops {
        let n = match op {
            Op::Purchase => purchases,
            Op::Maturity => 1,
            _ => rounds,
        };
        let (mut on_big, mut on_small) = (Vec::new(), Vec::new());
        for i in 0..n {
            *CAPTURE.lock().unwrap_or_else(|p| p.into_inner()) = (i == 0).then(Vec::new);
            let (took, units) = round(&mut big, op, i).await;
            if let Some(captured) = CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).take() {
                statements.insert(op, captured);
            }
            on_big.push(took / units);
            let (took, units) = round(&mut small, op, i).await;
            on_small.push(took / units);
        }
        let (b, s) = (median(on_big), median(on_small));
        let ratio = b.as_secs_f64() / s.as_secs_f64();
        println!(
            "{label:>8}: {:<30} big {b:>10.2?}  small {s:>10.2?}  ratio big/small {ratio:>5.2}x  {}",
            op.name(),
            if ratio < 1.5 { "about the same" } else { "GROWS WITH THE SHOP" }
        );
    }

    let tables = big_tables(&big.db).await;
    println!("{label:>8}: tables over 10,000 rows: {tables:?}");
    let mut seen = std::collections::HashSet::new();
    let mut flagged = Vec::new();
    for (op, captured) in &statements {
        println!("{label:>8}: --- {} ran {} statements; the distinct ones explained:", op.name(), captured.len());
        for statement in captured {
            let sql = statement.sql.trim();
            let upper = sql.to_ascii_uppercase();
            if ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"].iter().any(|k| upper.starts_with(k)) {
                continue;
            }
            if !seen.insert(statement.sql.clone()) {
                continue;
            }
            if upper.starts_with("INSERT") && !upper.contains("SELECT") {
                println!("    {sql:.160}\n      (a plain INSERT: no plan)");
                continue;
            }
            let (plan, flags) = explain(&big.db, statement, &tables).await;
            println!("    {}", statement);
            for line in &plan {
                println!("      | {line}");
            }
            for flag in flags {
                println!("      !! {flag}");
                flagged.push(format!("{}: {flag}\n        in: {}", op.name(), statement.sql));
            }
        }
    }
    if flagged.is_empty() {
        println!("{label:>8}: no hot query scans a big table");
    } else {
        println!("{label:>8}: {} hot queries scan a big table:", flagged.len());
        for f in flagged {
            println!("  - {f}");
        }
    }
}

#[tokio::main]
async fn main() {
    println!("growth bench{}", if common::smoke() { " (smoke)" } else { "" });
    let dir = tempfile::tempdir().expect("tempdir");
    run("sqlite", common::sqlite(dir.path(), "big").await, common::sqlite(dir.path(), "small").await).await;
    let Some(big) = common::Scratch::create("ottsonly_bench_growth_big").await else {
        println!("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped");
        return;
    };
    let small = common::Scratch::create("ottsonly_bench_growth_small").await.expect("small");
    let (big_db, small_db) = (big.migrated().await, small.migrated().await);
    run("postgres", big_db.clone(), small_db.clone()).await;
    big_db.close().await.ok();
    small_db.close().await.ok();
    big.drop().await;
    small.drop().await;
}
