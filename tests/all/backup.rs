//! Backups: the demo shop backed up on either database and restored into either gives the
//! same backup again, row for row (so SQLite to PostgreSQL and back lose nothing), with the
//! ledger agreeing and new ids continuing after the restored ones; a restore refuses a
//! database that has rows; a backup taken while purchases run restores consistent; the
//! binary's `backup` and `restore` move a shop from SQLite to PostgreSQL.
use chrono::Utc;

use ottsonly::services::backup::{self, BackupError};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::users;

use crate::support::db::{self, TestDb};
use crate::support::fixtures::{assert_ledger_consistent, credit, customer, plan_with_stock, profile};

async fn fresh(backend: &str) -> TestDb {
    match backend {
        "postgres" => TestDb::postgres(&db::postgres_url().expect("postgres")).await,
        _ => TestDb::sqlite().await,
    }
}

fn backends() -> Vec<&'static str> {
    if db::postgres_url().is_some() {
        vec!["sqlite", "postgres"]
    } else {
        vec!["sqlite"]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_either_database_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    for from in backends() {
        let source = fresh(from).await;
        ottsonly::demo::seed(&source.conn, Utc::now()).await.unwrap();
        let first = dir.path().join(format!("{from}.backup"));
        let taken = backup::backup(&source.conn, &first).await.unwrap();
        assert!(taken.rows > 50 && taken.tables > 20, "{taken:?}");
        for to in backends() {
            let target = fresh(to).await;
            let restored = backup::restore(&target.conn, &first).await.unwrap();
            assert_eq!(restored, taken, "{from} -> {to}");
            let again = dir.path().join(format!("{from}-{to}.backup"));
            backup::backup(&target.conn, &again).await.unwrap();
            let (a, b) = (std::fs::read_to_string(&first).unwrap(), std::fs::read_to_string(&again).unwrap());
            if a != b {
                let diff = a.lines().zip(b.lines()).find(|(x, y)| x != y);
                panic!("{from} -> {to}: the backups differ, first at {diff:?}");
            }
            assert_ledger_consistent(&target.conn).await;
            // The restored shop carries on: new rows get new ids.
            let signup = users::sign_up(&target.conn, &profile(7_777_001), None, Utc::now()).await.unwrap();
            assert!(signup.created);
            let plan = plan_with_stock(&target.conn, "After restore", 99, 10, 1).await;
            credit(&target.conn, 7_777_001, 99).await;
            let checkout =
                purchase::open_checkout(&target.conn, 7_777_001, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
            purchase::confirm(&target.conn, 7_777_001, checkout.order_id, Utc::now()).await.unwrap();
            assert_ledger_consistent(&target.conn).await;
            // Into a database with rows: refused, nothing changed.
            match backup::restore(&target.conn, &first).await {
                Err(BackupError::NotEmpty(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_purchases_run_restores_consistent() {
    let dir = tempfile::tempdir().unwrap();
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Busy", 10, 1, 40).await;
        for who in 7_800..7_840 {
            customer(conn, who).await;
            credit(conn, who, 10).await;
        }
        let buyers: Vec<_> = (7_800..7_840)
            .map(|who| {
                let conn = conn.clone();
                tokio::spawn(async move {
                    let checkout =
                        purchase::open_checkout(&conn, who, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
                    purchase::confirm(&conn, who, checkout.order_id, Utc::now()).await.unwrap();
                })
            })
            .collect();
        let file = dir.path().join(format!("busy-{}.backup", db.backend));
        backup::backup(conn, &file).await.unwrap();
        for buyer in buyers {
            buyer.await.unwrap();
        }
        let target = fresh(db.backend).await;
        backup::restore(&target.conn, &file).await.unwrap();
        assert_ledger_consistent(&target.conn).await;
        // Every paid order in the copy has its login and its subscription, and no more.
        use ottsonly::entities::{order, stock_item, subscription};
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let paid = order::Entity::find()
            .filter(order::Column::Status.eq(order::OrderStatus::Paid))
            .count(&target.conn)
            .await
            .unwrap();
        let subs = subscription::Entity::find().count(&target.conn).await.unwrap();
        let assigned = stock_item::Entity::find()
            .filter(stock_item::Column::Status.eq(stock_item::StockStatus::Assigned))
            .count(&target.conn)
            .await
            .unwrap();
        assert_eq!((subs, assigned), (paid, paid), "{}", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_moves_a_shop_from_sqlite_to_postgres() {
    let Some(_) = db::postgres_url() else { return };
    let (source, target) = (TestDb::sqlite().await, fresh("postgres").await);
    ottsonly::demo::seed(&source.conn, Utc::now()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.backup");
    let run = |url: &str, verb: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ottsonly"))
            .env_clear()
            .env("DATABASE_URL", url)
            .env("OTTSONLY_CONFIG", "/nonexistent/config.toml")
            .args([verb, file.to_str().unwrap()])
            .output()
            .expect("run ottsonly")
    };
    let backed = run(&source.url, "backup");
    assert!(backed.status.success(), "{}", String::from_utf8_lossy(&backed.stderr));
    let restored = run(&target.url, "restore");
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(String::from_utf8_lossy(&restored.stdout).contains("restored"));
    let owner = users::find_by_telegram_id(&target.conn, ottsonly::demo::OWNER).await.unwrap();
    assert!(owner.is_some(), "the shop's owner moved too");
    assert_ledger_consistent(&target.conn).await;
    let again = run(&target.url, "restore");
    assert!(!again.status.success(), "a second restore is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_backup_runs_once_a_day_keeps_the_last_ones_and_reaches_the_owner() {
    use crate::support::bot_harness::{RunningBot, ADMIN_ID};
    use crate::support::fake_telegram::FakeTelegram;
    use crate::support::fixtures::outbox_notices;
    use ottsonly::services::outbox::Notice;
    for db in db::all().await {
        let conn = &db.conn;
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let day = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 6, 0, 0).unwrap();
        // Two instances' jobs at once, and again later that day: one backup.
        let (a, b) = tokio::join!(backup::daily(conn, dir.path(), 2, day), backup::daily(conn, dir.path(), 2, day));
        let made: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(made.len(), 1, "{}: {made:?}", db.backend);
        assert!(backup::daily(conn, dir.path(), 2, day + chrono::Duration::hours(5)).await.unwrap().is_none());
        for n in 1..=2 {
            assert!(backup::daily(conn, dir.path(), 2, day + chrono::Duration::days(n)).await.unwrap().is_some());
        }
        let mut kept: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        kept.sort();
        assert_eq!(kept, ["ottsonly-2026-12-02.backup", "ottsonly-2026-12-03.backup"]);
        // The owner is told once a day, with the file.
        let told = outbox_notices(conn, ADMIN_ID).await;
        let days: Vec<&String> = told
            .iter()
            .filter_map(|n| if let Notice::BackupReady { day, .. } = n { Some(day) } else { None })
            .collect();
        assert_eq!(days, ["2026-12-01", "2026-12-02", "2026-12-03"]);
        let documents = fake.wait_until_calls("sendDocument", 2).await;
        assert!(documents.iter().all(|d| d["chat_id"].as_i64() == Some(ADMIN_ID)), "{documents:?}");
        bot.stop().await;
    }
}
