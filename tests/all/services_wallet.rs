use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use ottsonly::domain::Money;
use ottsonly::entities::{audit_log, ledger_entry};
use ottsonly::services::wallet::{self, AdjustOutcome, Direction};

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, customer, ADMIN};

#[tokio::test]
async fn credit_and_debit_are_ledgered_audited_and_never_go_negative() {
    for db in db::all().await {
        let db = &db.conn;
        customer(db, 42).await;
        let now = Utc::now();
        let credit =
            wallet::admin_adjust(db, &ADMIN, 42, Money::from_paise(13_550), Direction::Credit, "promo", "c1", now)
                .await
                .unwrap();
        assert!(matches!(credit, AdjustOutcome::Applied { balance, .. } if balance == Money::from_paise(13_550)));

        let too_much = wallet::admin_adjust(db, &ADMIN, 42, Money::from_rupees(200), Direction::Debit, "", "d1", now)
            .await
            .unwrap();
        assert_eq!(too_much, AdjustOutcome::Insufficient { balance: Money::from_paise(13_550) });

        let debit = wallet::admin_adjust(db, &ADMIN, 42, Money::from_paise(13_550), Direction::Debit, "fix", "d2", now)
            .await
            .unwrap();
        assert!(matches!(debit, AdjustOutcome::Applied { balance, .. } if balance == Money::ZERO));

        let unknown = wallet::admin_adjust(db, &ADMIN, 4242, Money::from_rupees(1), Direction::Credit, "", "c2", now)
            .await
            .unwrap();
        assert_eq!(unknown, AdjustOutcome::UnknownUser);

        assert_eq!(balance(db, 42).await, Money::ZERO);
        assert_eq!(ledger_entry::Entity::find().count(db).await.unwrap(), 2);
        assert_eq!(audit_log::Entity::find().count(db).await.unwrap(), 2);
        assert_ledger_consistent(db).await;
    }
}

#[tokio::test]
async fn a_replayed_admin_message_credits_once_even_concurrently() {
    for db in db::all().await {
        customer(&db.conn, 43).await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = db.conn.clone();
                tokio::spawn(async move {
                    wallet::admin_adjust(
                        &conn,
                        &ADMIN,
                        43,
                        Money::from_rupees(100),
                        Direction::Credit,
                        "",
                        "chat:77",
                        Utc::now(),
                    )
                    .await
                })
            })
            .collect();
        let mut applied = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                AdjustOutcome::Applied { .. } => applied += 1,
                AdjustOutcome::AlreadyApplied => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(applied, 1, "{}", db.backend);
        assert_eq!(balance(&db.conn, 43).await, Money::from_rupees(100));
        assert_ledger_consistent(&db.conn).await;
    }
}

#[tokio::test]
async fn the_database_refuses_to_change_ledger_rows() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 44).await;
        wallet::admin_adjust(conn, &ADMIN, 44, Money::from_rupees(5), Direction::Credit, "", "k", Utc::now())
            .await
            .unwrap();
        assert!(conn.execute_unprepared("UPDATE ledger_entries SET amount = 999999").await.is_err(), "{}", db.backend);
        assert!(conn.execute_unprepared("DELETE FROM ledger_entries").await.is_err(), "{}", db.backend);
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 1);
        assert_ledger_consistent(conn).await;
    }
}
