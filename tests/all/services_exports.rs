//! CSV exports on the shop of `services_reports` plus a customer whose name needs quoting:
//! the file's bytes (BOM, CRLF, header), rupees from paise, IST days included at both ends,
//! every row exactly once across page boundaries (rows sharing a timestamp included), and
//! the same bytes whether written, streamed or paged differently.
use futures::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::report::DateRange;
use ottsonly::domain::{credentials, Lang, Money};
use ottsonly::entities::user::Role;
use ottsonly::entities::{ledger_entry, order};
use ottsonly::services::exports::{self, ExportKind, BOM};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::users::{self, Profile};
use ottsonly::services::{catalog, stock, ActError, Actor};

use crate::services_reports::{ist, seed};
use crate::support::db;
use crate::support::fixtures::{credit, ADMIN};

pub const TRICKY_NAME: &str = "Ravi \"RK\", Kumar";
pub const TRICKY_PLAN: &str = "Netflix, \"4K\" =UHD";

/// Customer 300 with a name full of CSV syntax buys a plan at ₹135.50 (cost ₹42.25) on
/// 6 March 10:30 IST; 302 (named like a formula) buys at 23:59 on 10 March, 301 at midnight
/// starting 11 March.
pub async fn seed_with_tricky_names(conn: &DatabaseConnection) -> i32 {
    seed(conn).await;
    let draft = PlanDraft {
        price: Money::from_paise(13_550),
        cost: Money::from_paise(4_225),
        duration_days: 30,
        name: TRICKY_PLAN.into(),
    };
    let plan = catalog::create_plan(conn, &ADMIN, &draft, "tricky", ist(3, 1, 0, 0)).await.unwrap().plan;
    let lines = "a@x.test:1\nb@x.test:2\nc@x.test:3";
    stock::add_stock(conn, &ADMIN, plan.id, &credentials::from_lines(lines), ist(3, 1, 0, 0)).await.unwrap();
    let mut tricky = None;
    for (id, name, at) in [
        (300, TRICKY_NAME, ist(3, 6, 10, 30)),
        (302, "=cmd|' /C calc'!A0", ist(3, 10, 23, 59)),
        (301, "Early", ist(3, 11, 0, 0)),
    ] {
        let profile = Profile {
            telegram_id: id,
            username: Some(format!("buyer{id}")),
            first_name: name.into(),
            last_name: None,
            language_code: None,
        };
        users::sign_up(conn, &profile, None, at).await.unwrap();
        credit(conn, id, 200).await;
        let checkout = purchase::open_checkout(conn, id, plan.id, WhenShort::Refuse, at).await.unwrap();
        purchase::confirm(conn, id, checkout.order_id, at).await.unwrap();
        tricky.get_or_insert(checkout.order_id);
    }
    tricky.unwrap()
}

fn range(from: &str, to: &str) -> DateRange {
    DateRange::parse(from, to).unwrap()
}

async fn export(conn: &DatabaseConnection, kind: ExportKind, range: DateRange, page: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    exports::open(conn, &ADMIN, kind, range).unwrap().with_page_size(page).write_to(&mut bytes).await.unwrap();
    bytes
}

/// Checks the file's framing and returns (header, rows) as parsed by a CSV reader.
pub fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let body = bytes.strip_prefix(BOM).expect("starts with a UTF-8 BOM");
    let text = std::str::from_utf8(body).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "the last line ends with CRLF");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "every line ends with CRLF");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let index = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    &row[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_export_whole_ist_days_each_row_once_with_quoting_and_rupees() {
    for db in db::all().await {
        let conn = &db.conn;
        let tricky = seed_with_tricky_names(conn).await;
        let week = range("2031-03-04", "2031-03-10");
        let bytes = export(conn, ExportKind::Orders, week, 2).await;
        let (header, rows) = parse(&bytes);
        assert_eq!(header, ExportKind::Orders.columns());
        assert!(rows.iter().all(|r| r.len() == header.len()));

        // Exactly the orders opened from 00:00 IST on the 4th to 23:59 IST on the 10th, oldest
        // first, each once (two of them share a timestamp across a page boundary).
        let (from, until) = week.bounds();
        let expected: Vec<String> = order::Entity::find()
            .filter(order::Column::CreatedAt.gte(from))
            .filter(order::Column::CreatedAt.lt(until))
            .order_by_asc(order::Column::CreatedAt)
            .order_by_asc(order::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .iter()
            .map(|o| o.id.to_string())
            .collect();
        let ids: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(ids, expected, "{}", db.backend);
        assert_eq!(ids.len(), 8, "107, 103, 104, 300, 102, 101, 109, 302");
        let times: Vec<&str> = rows.iter().map(|r| column(&header, r, "created_at_ist")).collect();
        assert_eq!(times.first(), Some(&"2031-03-04 00:00:00"));
        assert_eq!(times.last(), Some(&"2031-03-10 23:59:00"));
        assert_eq!(times.iter().filter(|t| **t == "2031-03-05 10:00:00").count(), 2);

        let row = rows.iter().find(|r| r[0] == tricky.to_string()).expect("the tricky order");
        let expected_row = [
            tricky.to_string(),
            "2031-03-06 10:30:00".into(),
            "2031-03-06 10:30:00".into(),
            "paid".into(),
            "300".into(),
            "buyer300".into(),
            TRICKY_NAME.into(),
            column(&header, row, "plan_id").to_owned(),
            TRICKY_PLAN.into(),
            "135.50".into(),
            "0.00".into(),
            "".into(),
            "135.50".into(),
            "42.25".into(),
            "93.25".into(),
            "wallet".into(),
        ];
        assert_eq!(row.as_slice(), expected_row.as_slice());
        let raw = String::from_utf8(bytes.clone()).unwrap();
        assert!(raw.contains(",\"Ravi \"\"RK\"\", Kumar\","), "quoted as CSV quotes: {raw}");
        let late = rows.last().unwrap();
        assert_eq!(column(&header, late, "customer_name"), "'=cmd|' /C calc'!A0", "a formula is shown, not run");
        let refunded: Vec<_> = rows.iter().filter(|r| column(&header, r, "status") == "refunded").collect();
        assert_eq!(refunded.len(), 1, "104, refunded on the 5th");

        // Other page sizes and the stream give the same bytes.
        for page in [1, 3, 8, 500] {
            assert_eq!(export(conn, ExportKind::Orders, week, page).await, bytes, "page size {page}");
        }
        let streamed: Vec<u8> = exports::open(conn, &ADMIN, ExportKind::Orders, week)
            .unwrap()
            .with_page_size(3)
            .into_stream()
            .map(|chunk| chunk.unwrap())
            .concat()
            .await;
        assert_eq!(streamed, bytes);
        let mut chunked = exports::open(conn, &ADMIN, ExportKind::Orders, week).unwrap().with_page_size(3);
        let mut chunks = 0;
        while chunked.next_chunk().await.unwrap().is_some() {
            chunks += 1;
        }
        assert_eq!((chunks, chunked.rows()), (4, 8), "the header, then pages of 3, 3 and 2");
        assert!(chunked.next_chunk().await.unwrap().is_none(), "and it stays finished");

        // The 3rd alone is one order (108 at 23:59); nothing on a day without orders.
        let (_, day) = parse(&export(conn, ExportKind::Orders, range("2031-03-03", "2031-03-03"), 2).await);
        assert_eq!(day.len(), 1);
        assert_eq!(column(&header, &day[0], "customer_telegram_id"), "108");
        let empty = export(conn, ExportKind::Orders, range("2031-03-07", "2031-03-08"), 2).await;
        let (header_only, none) = parse(&empty);
        assert_eq!((header_only, none.len()), (header.clone(), 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_withdrawals_and_commissions_export_their_documented_columns() {
    for db in db::all().await {
        let conn = &db.conn;
        seed_with_tricky_names(conn).await;

        // The ledger of the 5th: two purchases at the same instant and a refund.
        let day = range("2031-03-05", "2031-03-05");
        let (header, rows) = parse(&export(conn, ExportKind::Ledger, day, 1).await);
        assert_eq!(header, ExportKind::Ledger.columns());
        let (from, until) = day.bounds();
        let expected: Vec<ledger_entry::Model> = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::CreatedAt.gte(from))
            .filter(ledger_entry::Column::CreatedAt.lt(until))
            .order_by_asc(ledger_entry::Column::CreatedAt)
            .order_by_asc(ledger_entry::Column::Id)
            .all(conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 3, "{rows:?}");
        for (row, entry) in rows.iter().zip(&expected) {
            assert_eq!(row[0], entry.id.to_string());
            assert_eq!(column(&header, row, "amount_inr"), Money::from_paise(entry.amount).plain());
            assert_eq!(column(&header, row, "balance_after_inr"), Money::from_paise(entry.balance_after).plain());
        }
        let kinds: Vec<(&str, &str)> =
            rows.iter().map(|r| (column(&header, r, "kind"), column(&header, r, "amount_inr"))).collect();
        assert_eq!(kinds, vec![("purchase", "-300.00"), ("purchase", "-300.00"), ("refund", "300.00")]);
        assert_eq!(column(&header, &rows[0], "customer_name"), "User 103");

        // Withdrawals in March: one in each state.
        let march = range("2031-03-01", "2031-03-31");
        let (header, rows) = parse(&export(conn, ExportKind::Withdrawals, march, 2).await);
        assert_eq!(header, ExportKind::Withdrawals.columns());
        let states: Vec<(&str, &str)> =
            rows.iter().map(|r| (column(&header, r, "status"), column(&header, r, "amount_inr"))).collect();
        assert_eq!(
            states,
            vec![
                ("rejected", "10.00"),
                ("paid", "20.00"),
                ("payout_failed", "30.00"),
                ("approved", "15.00"),
                ("pending", "40.00")
            ]
        );
        let paid = &rows[1];
        assert_eq!(column(&header, paid, "payout_utr"), "123456789012");
        assert_eq!(column(&header, paid, "decided_by_telegram_id"), ADMIN.telegram_id.to_string());
        assert_eq!(column(&header, paid, "paid_at_ist"), "2031-03-08 12:00:00");
        assert_eq!(column(&header, paid, "upi_id"), "earner@ybl");
        assert_eq!(column(&header, &rows[0], "reason"), "test");

        // Commissions since February: each state, the reversed one recovered in full.
        let (header, rows) = parse(&export(conn, ExportKind::Commissions, range("2031-02-01", "2031-03-31"), 2).await);
        assert_eq!(header, ExportKind::Commissions.columns());
        let states: Vec<(&str, &str, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    column(&header, r, "buyer_telegram_id"),
                    column(&header, r, "status"),
                    column(&header, r, "amount_inr"),
                    column(&header, r, "recovered_inr"),
                )
            })
            .collect();
        assert_eq!(
            states,
            vec![
                ("106", "available", "300.00", "0.00"),
                ("105", "reversed", "60.00", "60.00"),
                ("103", "available", "60.00", "0.00"),
                ("104", "cancelled", "60.00", "0.00"),
                ("101", "pending", "60.00", "0.00"),
            ]
        );
        assert!(rows.iter().all(|r| column(&header, r, "level") == "1"));
        assert_eq!(column(&header, &rows[0], "earner_telegram_id"), "200");
        assert_eq!(column(&header, &rows[0], "earner_username"), "u200");
        assert_eq!(column(&header, &rows[2], "matured_at_ist"), "2031-03-06 11:00:00");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_and_owners_export() {
    for db in db::all().await {
        let conn = &db.conn;
        let march = range("2031-03-01", "2031-03-31");
        for role in [Role::Support, Role::User] {
            let refused = exports::open(conn, &Actor::new(5, role, Lang::En), ExportKind::Orders, march);
            assert!(matches!(refused, Err(ActError::Forbidden { .. })), "{role:?}");
        }
        let admin = Actor::new(7, Role::Admin, Lang::En);
        let export = exports::open(conn, &admin, ExportKind::Ledger, march).unwrap();
        assert_eq!(export.file_name(), "ledger_2031-03-01_2031-03-31.csv");
    }
}
