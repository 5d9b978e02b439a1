//! Referral commissions on both databases: amounts at both levels, one per order and level,
//! blocked earners, the hold and the maturity job, refunds before and after maturity, stats,
//! and the per-referrer tallies stats reads against a full recount (also under concurrency).
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use migration::{MigrationTrait, SchemaManager};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use ottsonly::domain::commission::Level;
use ottsonly::domain::Money;
use ottsonly::entities::commission::{self, CommissionStatus};
use ottsonly::entities::ledger_entry::{self, LedgerKind};
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::referral_tally;
use ottsonly::entities::user;
use ottsonly::services::fraud::{self, BlockOutcome};
use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, PurchaseError, WhenShort};
use ottsonly::services::referrals::{self, CommissionReversal, CommissionTotals};
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{settings, users};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, buy, credit, customer, ledger_of, plan_with_stock, referee, ADMIN,
};

/// A fixed clock, on a whole second.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 10, 0, 0).unwrap()
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

async fn user_id(conn: &DatabaseConnection, telegram_id: i64) -> i32 {
    users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap().id
}

async fn commissions_of_order(conn: &DatabaseConnection, order_id: i32) -> Vec<commission::Model> {
    commission::Entity::find()
        .filter(commission::Column::OrderId.eq(order_id))
        .order_by_asc(commission::Column::Level)
        .all(conn)
        .await
        .unwrap()
}

/// `grand` <- `parent` <- `buyer`: `grand` a plain customer, the others joined by referral at t0.
async fn chain(conn: &DatabaseConnection, grand: i64, parent: i64, buyer: i64) {
    customer(conn, grand).await;
    referee(conn, parent, grand, t0()).await;
    referee(conn, buyer, parent, t0()).await;
}

async fn totals(conn: &DatabaseConnection, telegram_id: i64) -> CommissionTotals {
    referrals::stats(conn, telegram_id).await.unwrap().unwrap().totals
}

/// Price and cost (rupees), L1 and L2 rates (percent), expected L1 and L2 rupees (None: no row).
type CommissionCase = (i64, i64, &'static str, &'static str, Option<i64>, Option<i64>);

#[tokio::test]
async fn commission_amounts_at_both_levels() {
    let cases: [CommissionCase; 10] = [
        (135, 42, "30", "10", Some(28), Some(9)), // 27.9 and 9.3: the business example
        (100, 50, "25", "5", Some(13), Some(3)),  // 12.5 and 2.5 round half up
        (101, 100, "50", "50", Some(1), Some(1)), // 0.5 rounds up to a whole rupee
        (100, 70, "30", "10", Some(9), Some(3)),  // 9.0 and 3.0
        (199, 0, "30", "10", Some(60), Some(20)), // 59.7 and 19.9
        (1000, 0, "12.5", "0", Some(125), None),  // a fractional rate; a zero rate pays nothing
        (103, 100, "50", "10", Some(2), None),    // 1.5 -> 2; 0.3 rounds to nothing: no row
        (101, 100, "30", "10", None, None),       // 0.3 and 0.1: nothing at either level
        (100, 100, "30", "10", None, None),       // no profit
        (100, 120, "30", "10", None, None),       // a loss
    ];
    for db in db::all().await {
        let conn = &db.conn;
        for (n, (price, cost, l1, l2, want1, want2)) in cases.into_iter().enumerate() {
            let (grand, parent, buyer) = (40_000 + 10 * n as i64, 40_001 + 10 * n as i64, 40_002 + 10 * n as i64);
            chain(conn, grand, parent, buyer).await;
            settings::set(conn, "referral.l1_rate", l1, t0()).await.unwrap();
            settings::set(conn, "referral.l2_rate", l2, t0()).await.unwrap();
            let delivery = buy(conn, buyer, price, cost, t0()).await;
            let case = format!("{}: case {n} ({price}/{cost} at {l1}%/{l2}%)", db.backend);

            let mut expected = Vec::new();
            if let Some(amount) = want1 {
                expected.push((parent, Level::One, rs(amount)));
            }
            if let Some(amount) = want2 {
                expected.push((grand, Level::Two, rs(amount)));
            }
            let told: Vec<_> = delivery.commissions.iter().map(|c| (c.earner_telegram_id, c.level, c.amount)).collect();
            assert_eq!(told, expected, "{case}");
            for earned in &delivery.commissions {
                assert_eq!(earned.buyer, "Us***", "{case}: the buyer's name is masked");
                assert_eq!(earned.available_at, t0() + Duration::hours(24), "{case}");
            }

            let rows = commissions_of_order(conn, delivery.order_id).await;
            let stored: Vec<_> = rows.iter().map(|r| (r.earner_id, r.level, r.amount)).collect();
            let mut wanted = Vec::new();
            if let Some(amount) = want1 {
                wanted.push((user_id(conn, parent).await, 1i16, amount * 100));
            }
            if let Some(amount) = want2 {
                wanted.push((user_id(conn, grand).await, 2i16, amount * 100));
            }
            assert_eq!(stored, wanted, "{case}");
            let buyer_id = user_id(conn, buyer).await;
            for row in &rows {
                assert_eq!(row.buyer_id, buyer_id, "{case}");
                assert_eq!(row.status, CommissionStatus::Pending, "{case}");
                assert_eq!((row.recovered, row.created_at, row.matured_at, row.closed_at), (0, t0(), None, None));
            }
            // Nothing reaches a wallet at the sale.
            assert_eq!((balance(conn, parent).await, balance(conn, grand).await), (Money::ZERO, Money::ZERO), "{case}");
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_commission_per_order_and_level_however_often_it_is_paid() {
    for db in db::all().await {
        let conn = &db.conn;
        chain(conn, 41_000, 41_001, 41_002).await;

        // Twenty taps on one confirm button.
        credit(conn, 41_002, 135).await;
        let plan = plan_with_stock(conn, "Taps", 135, 42, 3).await;
        let order_id = purchase::open_checkout(conn, 41_002, plan.id, WhenShort::Refuse, t0()).await.unwrap().order_id;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, 41_002, order_id, t0()).await })
            })
            .collect();
        let mut told = Vec::new();
        let (mut paid, mut repeats) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(delivery) => {
                    paid += 1;
                    told.extend(delivery.commissions.into_iter().map(|c| (c.earner_telegram_id, c.amount)));
                }
                Err(PurchaseError::AlreadyPaid(delivery)) => {
                    repeats += 1;
                    assert!(delivery.commissions.is_empty(), "a repeat tells no commission again");
                }
                Err(other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!((paid, repeats), (1, 19), "{}", db.backend);
        assert_eq!(told, vec![(41_001, rs(28)), (41_000, rs(9))], "{}", db.backend);
        let rows = commissions_of_order(conn, order_id).await;
        assert_eq!(rows.iter().map(|r| (r.level, r.amount)).collect::<Vec<_>>(), vec![(1, 2_800), (2, 900)]);

        // A purchase paid by a payment whose capture is reported ten times at once.
        referee(conn, 41_003, 41_001, t0()).await;
        let checkout = purchase::open_checkout(conn, 41_003, plan.id, WhenShort::OpenForPayment, t0()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: rs(135) };
        let payment = payments::create(conn, 41_003, purpose, PaymentChannel::Razorpay, Duration::minutes(30), t0())
            .await
            .unwrap();
        let arrival = Arrival { gateway_payment_id: Some("pay_ref_1".into()), amount: rs(135), ..Default::default() };
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = conn.clone();
                let arrival = arrival.clone();
                tokio::spawn(async move { payments::settle(&conn, payment.id, &arrival, t0()).await })
            })
            .collect();
        let mut delivered = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), .. } => {
                    delivered.push(delivery)
                }
                Settlement::AlreadySettled => {}
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(delivered.len(), 1, "{}", db.backend);
        let told: Vec<_> = delivered[0].commissions.iter().map(|c| (c.earner_telegram_id, c.level, c.amount)).collect();
        assert_eq!(told, vec![(41_001, Level::One, rs(28)), (41_000, Level::Two, rs(9))]);
        // The customer pays the same link again: credited to the wallet, no second sale, no commission.
        let again = Arrival { gateway_payment_id: Some("pay_ref_2".into()), amount: rs(135), ..Default::default() };
        match payments::settle(conn, payment.id, &again, t0()).await.unwrap() {
            Settlement::Credited { purchase: None, .. } => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(commissions_of_order(conn, checkout.order_id).await.len(), 2);
        assert_eq!(commission::Entity::find().count(conn).await.unwrap(), 4, "{}", db.backend);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn blocked_earners_get_nothing_and_chains_do_not_loop() {
    for db in db::all().await {
        let conn = &db.conn;
        chain(conn, 42_000, 42_001, 42_002).await;
        referee(conn, 42_003, 42_001, t0()).await;

        // A blocked level-1 referrer earns nothing; level 2 still does.
        assert!(matches!(
            fraud::set_blocked(conn, &ADMIN, 42_001, true, "test", t0()).await.unwrap(),
            BlockOutcome::Changed(_)
        ));
        let delivery = buy(conn, 42_002, 135, 42, t0()).await;
        let told: Vec<_> = delivery.commissions.iter().map(|c| (c.earner_telegram_id, c.level, c.amount)).collect();
        assert_eq!(told, vec![(42_000, Level::Two, rs(9))], "{}", db.backend);
        let rows = commissions_of_order(conn, delivery.order_id).await;
        assert_eq!(rows.iter().map(|r| (r.level, r.amount)).collect::<Vec<_>>(), vec![(2, 900)]);

        // And the other way round: a blocked level-2 referrer earns nothing.
        fraud::set_blocked(conn, &ADMIN, 42_001, false, "test", t0()).await.unwrap();
        fraud::set_blocked(conn, &ADMIN, 42_000, true, "test", t0()).await.unwrap();
        let delivery = buy(conn, 42_003, 135, 42, t0()).await;
        let told: Vec<_> = delivery.commissions.iter().map(|c| (c.earner_telegram_id, c.level, c.amount)).collect();
        assert_eq!(told, vec![(42_001, Level::One, rs(28))], "{}", db.backend);

        // Blocked after earning: the commission waits instead of maturing, and matures once unblocked.
        fraud::set_blocked(conn, &ADMIN, 42_000, false, "test", t0()).await.unwrap();
        let delivery = buy(conn, 42_002, 135, 42, t0()).await;
        assert_eq!(delivery.commissions.len(), 2);
        fraud::set_blocked(conn, &ADMIN, 42_001, true, "test", t0()).await.unwrap();
        let matured = referrals::mature_due(conn, t0() + Duration::hours(25)).await.unwrap();
        assert!(matured.iter().all(|m| m.earner_telegram_id != 42_001), "{matured:?}");
        assert_eq!(balance(conn, 42_001).await, Money::ZERO);
        assert_eq!(balance(conn, 42_000).await, rs(9 + 9));
        fraud::set_blocked(conn, &ADMIN, 42_001, false, "test", t0()).await.unwrap();
        let matured = referrals::mature_due(conn, t0() + Duration::hours(26)).await.unwrap();
        assert_eq!(
            matured.iter().map(|m| (m.earner_telegram_id, m.amount)).collect::<Vec<_>>(),
            vec![(42_001, rs(28)), (42_001, rs(28))]
        );
        assert_eq!(balance(conn, 42_001).await, rs(56));

        // A chain that leads back to the buyer (only possible through a bad row) stops there.
        customer(conn, 42_011).await;
        referee(conn, 42_012, 42_011, t0()).await;
        let (x, y) = (user_id(conn, 42_011).await, user_id(conn, 42_012).await);
        user::Entity::update_many()
            .col_expr(user::Column::ReferredBy, Expr::value(y))
            .filter(user::Column::Id.eq(x))
            .exec(conn)
            .await
            .unwrap();
        let delivery = buy(conn, 42_012, 135, 42, t0()).await;
        let told: Vec<_> = delivery.commissions.iter().map(|c| (c.earner_telegram_id, c.level)).collect();
        assert_eq!(told, vec![(42_011, Level::One)], "{}: never a commission to the buyer", db.backend);
        let delivery = buy(conn, 42_011, 135, 42, t0()).await;
        let told: Vec<_> = delivery.commissions.iter().map(|c| (c.earner_telegram_id, c.level)).collect();
        assert_eq!(told, vec![(42_012, Level::One)], "{}", db.backend);
        // Someone referred by themselves earns nothing from their own purchase.
        customer(conn, 42_013).await;
        let z = user_id(conn, 42_013).await;
        user::Entity::update_many()
            .col_expr(user::Column::ReferredBy, Expr::value(z))
            .filter(user::Column::Id.eq(z))
            .exec(conn)
            .await
            .unwrap();
        let delivery = buy(conn, 42_013, 135, 42, t0()).await;
        assert!(delivery.commissions.is_empty(), "{:?}", delivery.commissions);
        assert!(commissions_of_order(conn, delivery.order_id).await.is_empty());
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_commission_is_held_then_credited_once() {
    for db in db::all().await {
        let conn = &db.conn;
        chain(conn, 43_000, 43_001, 43_002).await;
        let delivery = buy(conn, 43_002, 135, 42, t0()).await;

        for early in [Duration::zero(), Duration::hours(23), Duration::hours(24) - Duration::seconds(1)] {
            assert_eq!(referrals::mature_due(conn, t0() + early).await.unwrap(), vec![], "{}: at +{early}", db.backend);
        }
        assert_eq!((balance(conn, 43_001).await, balance(conn, 43_000).await), (Money::ZERO, Money::ZERO));
        assert_eq!(totals(conn, 43_001).await.pending, rs(28));

        let at = t0() + Duration::hours(25);
        let matured = referrals::mature_due(conn, at).await.unwrap();
        let mut got: Vec<_> = matured.iter().map(|m| (m.earner_telegram_id, m.amount, m.balance)).collect();
        got.sort();
        assert_eq!(got, vec![(43_000, rs(9), rs(9)), (43_001, rs(28), rs(28))], "{}", db.backend);
        for later in [25, 26, 100] {
            assert_eq!(referrals::mature_due(conn, t0() + Duration::hours(later)).await.unwrap(), vec![]);
        }
        assert_eq!(ledger_of(conn, 43_001).await, vec![(LedgerKind::Commission, rs(28))]);
        assert_eq!(ledger_of(conn, 43_000).await, vec![(LedgerKind::Commission, rs(9))]);
        let references: Vec<_> = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Kind.eq(LedgerKind::Commission))
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.reference)
            .collect();
        assert_eq!(references, vec![format!("order:{}", delivery.order_id); 2]);
        for row in commissions_of_order(conn, delivery.order_id).await {
            assert_eq!((row.status, row.matured_at, row.closed_at), (CommissionStatus::Available, Some(at), None));
        }
        let t = totals(conn, 43_001).await;
        assert_eq!((t.pending, t.credited, t.total()), (Money::ZERO, rs(28), rs(28)));

        // The hold is a setting.
        settings::set(conn, "referral.hold_hours", "2", t0()).await.unwrap();
        let later = t0() + Duration::hours(200);
        buy(conn, 43_002, 135, 42, later).await;
        assert_eq!(referrals::mature_due(conn, later + Duration::minutes(119)).await.unwrap(), vec![]);
        assert_eq!(referrals::mature_due(conn, later + Duration::hours(2)).await.unwrap().len(), 2);
        assert_eq!(balance(conn, 43_001).await, rs(56));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_maturity_runs_credit_each_commission_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 44_000).await;
        referee(conn, 44_001, 44_000, t0()).await;
        for buyer in 44_010..44_016 {
            referee(conn, buyer, 44_001, t0()).await;
            buy(conn, buyer, 135, 42, t0()).await;
        }
        assert_eq!(commission::Entity::find().count(conn).await.unwrap(), 12);

        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { referrals::mature_due(&conn, t0() + Duration::hours(25)).await })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.extend(task.await.unwrap().unwrap().into_iter().map(|m| m.commission_id));
        }
        assert_eq!(ids.len(), 12, "{}: every commission credited exactly once", db.backend);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 12);
        assert_eq!(balance(conn, 44_001).await, rs(6 * 28), "{}", db.backend);
        assert_eq!(balance(conn, 44_000).await, rs(6 * 9), "{}", db.backend);
        let credited = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Kind.eq(LedgerKind::Commission))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(credited, 12);
        let still_pending = commission::Entity::find()
            .filter(commission::Column::Status.ne(CommissionStatus::Available))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(still_pending, 0);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_refund_during_the_hold_cancels_the_commission() {
    for db in db::all().await {
        let conn = &db.conn;
        chain(conn, 45_000, 45_001, 45_002).await;
        let delivery = buy(conn, 45_002, 135, 42, t0()).await;
        let refunded_at = t0() + Duration::hours(1);
        match refunds::refund(conn, &ADMIN, delivery.order_id, "not working", refunded_at).await.unwrap() {
            RefundOutcome::Refunded { commissions, amount, .. } => {
                assert_eq!(amount, rs(135));
                assert_eq!(
                    commissions,
                    vec![
                        CommissionReversal {
                            earner_telegram_id: 45_001,
                            amount: rs(28),
                            was_credited: false,
                            recovered: Money::ZERO,
                            flag: None,
                        },
                        CommissionReversal {
                            earner_telegram_id: 45_000,
                            amount: rs(9),
                            was_credited: false,
                            recovered: Money::ZERO,
                            flag: None,
                        },
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        for row in commissions_of_order(conn, delivery.order_id).await {
            assert_eq!((row.status, row.closed_at, row.recovered), (CommissionStatus::Cancelled, Some(refunded_at), 0));
        }
        assert_eq!(referrals::mature_due(conn, t0() + Duration::hours(48)).await.unwrap(), vec![], "{}", db.backend);
        assert_eq!((balance(conn, 45_001).await, balance(conn, 45_000).await), (Money::ZERO, Money::ZERO));
        assert_eq!(ledger_of(conn, 45_001).await, vec![]);
        assert_eq!(ledger_of(conn, 45_000).await, vec![]);
        assert_eq!(totals(conn, 45_001).await, CommissionTotals::default());
        assert_eq!(
            refunds::refund(conn, &ADMIN, delivery.order_id, "again", refunded_at).await.unwrap(),
            RefundOutcome::AlreadyRefunded
        );
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_refund_after_maturity_takes_the_commission_back() {
    for db in db::all().await {
        let conn = &db.conn;
        chain(conn, 46_000, 46_001, 46_002).await;
        let delivery = buy(conn, 46_002, 135, 42, t0()).await;
        assert_eq!(referrals::mature_due(conn, t0() + Duration::hours(25)).await.unwrap().len(), 2);
        assert_eq!((balance(conn, 46_001).await, balance(conn, 46_000).await), (rs(28), rs(9)));

        let refunded_at = t0() + Duration::hours(26);
        match refunds::refund(conn, &ADMIN, delivery.order_id, "", refunded_at).await.unwrap() {
            RefundOutcome::Refunded { commissions, .. } => assert_eq!(
                commissions,
                vec![
                    CommissionReversal {
                        earner_telegram_id: 46_001,
                        amount: rs(28),
                        was_credited: true,
                        recovered: rs(28),
                        flag: None,
                    },
                    CommissionReversal {
                        earner_telegram_id: 46_000,
                        amount: rs(9),
                        was_credited: true,
                        recovered: rs(9),
                        flag: None,
                    },
                ]
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!((balance(conn, 46_001).await, balance(conn, 46_000).await), (Money::ZERO, Money::ZERO));
        assert_eq!(
            ledger_of(conn, 46_001).await,
            vec![(LedgerKind::Commission, rs(28)), (LedgerKind::CommissionReversal, rs(-28))]
        );
        assert_eq!(
            ledger_of(conn, 46_000).await,
            vec![(LedgerKind::Commission, rs(9)), (LedgerKind::CommissionReversal, rs(-9))]
        );
        let rows = commissions_of_order(conn, delivery.order_id).await;
        assert_eq!(
            rows.iter().map(|r| (r.status, r.recovered, r.closed_at)).collect::<Vec<_>>(),
            vec![
                (CommissionStatus::Reversed, 2_800, Some(refunded_at)),
                (CommissionStatus::Reversed, 900, Some(refunded_at))
            ]
        );
        assert_eq!(
            refunds::refund(conn, &ADMIN, delivery.order_id, "", refunded_at).await.unwrap(),
            RefundOutcome::AlreadyRefunded
        );
        assert_eq!(referrals::mature_due(conn, t0() + Duration::hours(48)).await.unwrap(), vec![]);
        assert_eq!(ledger_of(conn, 46_001).await.len(), 2, "{}", db.backend);
        let t = totals(conn, 46_001).await;
        assert_eq!((t.pending, t.credited, t.total()), (Money::ZERO, Money::ZERO, Money::ZERO));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_reversal_takes_only_what_the_wallet_holds() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 47_000).await;
        referee(conn, 47_001, 47_000, t0()).await;
        referee(conn, 47_002, 47_000, t0()).await;
        let first = buy(conn, 47_001, 135, 42, t0()).await;
        let second = buy(conn, 47_002, 135, 42, t0()).await;
        referrals::mature_due(conn, t0() + Duration::hours(25)).await.unwrap();
        assert_eq!(balance(conn, 47_000).await, rs(56));

        // The earner spends ₹50 of the ₹56 on a plan.
        let plan = plan_with_stock(conn, "Spend", 50, 10, 1).await;
        let checkout = purchase::open_checkout(conn, 47_000, plan.id, WhenShort::Refuse, t0()).await.unwrap();
        purchase::confirm(conn, 47_000, checkout.order_id, t0() + Duration::hours(25)).await.unwrap();
        assert_eq!(balance(conn, 47_000).await, rs(6));
        assert_eq!(referrals::stats(conn, 47_000).await.unwrap().unwrap().withdrawable, rs(6));

        match refunds::refund(conn, &ADMIN, first.order_id, "", t0() + Duration::hours(26)).await.unwrap() {
            RefundOutcome::Refunded { commissions, .. } => {
                let [reversal] = commissions.as_slice() else { panic!("{commissions:?}") };
                assert_eq!(
                    (reversal.earner_telegram_id, reversal.amount, reversal.was_credited, reversal.recovered),
                    (47_000, rs(28), true, rs(6))
                );
                // ₹22 had been spent on a plan, which commission may be: no flag.
                assert_eq!(reversal.flag, None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 47_000).await, Money::ZERO, "{}: never negative", db.backend);
        assert_eq!(ledger_of(conn, 47_000).await.last(), Some(&(LedgerKind::CommissionReversal, rs(-6))));
        assert_eq!(commissions_of_order(conn, first.order_id).await[0].recovered, 600);
        let stats = referrals::stats(conn, 47_000).await.unwrap().unwrap();
        assert_eq!((stats.totals.credited, stats.withdrawable), (rs(28), Money::ZERO));

        // A top-up is spendable, never withdrawable: only the commission still standing is.
        credit(conn, 47_000, 100).await;
        let stats = referrals::stats(conn, 47_000).await.unwrap().unwrap();
        assert_eq!(stats.withdrawable, rs(28), "{}", db.backend);
        assert_eq!(withdrawals::screen(conn, 47_000).await.unwrap().unwrap().withdrawable, rs(28));

        // The second refund finds the full commission in the wallet.
        match refunds::refund(conn, &ADMIN, second.order_id, "", t0() + Duration::hours(27)).await.unwrap() {
            RefundOutcome::Refunded { commissions, .. } => assert_eq!(commissions[0].recovered, rs(28)),
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 47_000).await, rs(72));
        let stats = referrals::stats(conn, 47_000).await.unwrap().unwrap();
        assert_eq!((stats.totals.credited, stats.withdrawable), (Money::ZERO, Money::ZERO));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn stats_count_referrals_and_money() {
    for db in db::all().await {
        let conn = &db.conn;
        let me = customer(conn, 48_000).await;
        for (id, referrer) in
            [(48_001, 48_000), (48_002, 48_000), (48_003, 48_000), (48_011, 48_001), (48_012, 48_001), (48_021, 48_002)]
        {
            referee(conn, id, referrer, t0()).await;
        }
        referee(conn, 48_111, 48_011, t0()).await; // level 3: not counted
        customer(conn, 48_999).await; // nobody's referral
        buy(conn, 48_001, 135, 42, t0()).await; // L1 28
        let b = buy(conn, 48_002, 135, 42, t0()).await; // L1 28
        buy(conn, 48_011, 135, 42, t0()).await; // L2 9
        buy(conn, 48_111, 135, 42, t0()).await; // level 3: nothing for me
        buy(conn, 48_999, 135, 42, t0()).await;

        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!(stats.code, me.referral_code);
        assert_eq!(
            (stats.level1, stats.level1_paying, stats.level2, stats.level2_paying),
            (3, 2, 3, 1),
            "{}",
            db.backend
        );
        assert_eq!(
            stats.totals,
            CommissionTotals { pending: rs(65), credited: Money::ZERO, withdrawn: Money::ZERO, reserved: Money::ZERO }
        );
        assert_eq!((stats.totals.total(), stats.withdrawable, stats.blocked), (rs(65), Money::ZERO, false));

        referrals::mature_due(conn, t0() + Duration::hours(25)).await.unwrap();
        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!((stats.totals.pending, stats.totals.credited, stats.totals.total()), (Money::ZERO, rs(65), rs(65)));
        assert_eq!(stats.withdrawable, rs(65));

        // ₹20 withdrawn (minimum lowered for the test).
        settings::set(conn, "withdrawal.min_amount", "10", t0()).await.unwrap();
        let id =
            match withdrawals::request(conn, 48_000, rs(20), "me@okaxis", t0() + Duration::hours(25)).await.unwrap() {
                RequestOutcome::Requested { withdrawal, .. } => withdrawal.id,
                other => panic!("{other:?}"),
            };
        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!((stats.totals.reserved, stats.totals.withdrawn, stats.withdrawable), (rs(20), Money::ZERO, rs(45)));
        assert!(matches!(withdrawals::approve(conn, &ADMIN, id, t0()).await.unwrap(), Decision::Approved { .. }));
        assert!(matches!(
            withdrawals::mark_paid(conn, &ADMIN, id, "412345678901", t0()).await.unwrap(),
            Decision::Paid { .. }
        ));
        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!((stats.totals.reserved, stats.totals.withdrawn, stats.withdrawable), (Money::ZERO, rs(20), rs(45)));
        assert_eq!(stats.totals.total(), rs(65), "withdrawing does not change what was earned");

        // A refund after maturity: the buyer no longer counts as paying, the commission is gone.
        refunds::refund(conn, &ADMIN, b.order_id, "", t0() + Duration::hours(26)).await.unwrap();
        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!((stats.level1, stats.level1_paying), (3, 1));
        assert_eq!((stats.totals.credited, stats.totals.total()), (rs(37), rs(37)));
        assert_eq!((balance(conn, 48_000).await, stats.withdrawable), (rs(17), rs(17)));

        // A new sale is pending again.
        buy(conn, 48_003, 135, 42, t0() + Duration::hours(27)).await;
        let stats = referrals::stats(conn, 48_000).await.unwrap().unwrap();
        assert_eq!((stats.level1_paying, stats.totals.pending, stats.totals.total()), (2, rs(28), rs(65)));

        fraud::set_blocked(conn, &ADMIN, 48_000, true, "", t0()).await.unwrap();
        assert!(referrals::stats(conn, 48_000).await.unwrap().unwrap().blocked);
        assert_eq!(referrals::stats(conn, 48_500).await.unwrap(), None);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_racing_the_maturity_job_leaves_nothing_behind() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 49_000).await;
        let mut orders = Vec::new();
        for buyer in 49_001..49_009 {
            referee(conn, buyer, 49_000, t0()).await;
            orders.push(buy(conn, buyer, 135, 42, t0()).await.order_id);
        }
        let at = t0() + Duration::hours(25);
        let mut tasks: Vec<tokio::task::JoinHandle<Result<(), Box<dyn std::error::Error + Send + Sync>>>> = Vec::new();
        for order_id in orders.clone() {
            let refunding = conn.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = refunds::refund(&refunding, &ADMIN, order_id, "", at).await?;
                assert!(matches!(outcome, RefundOutcome::Refunded { .. }), "{outcome:?}");
                Ok(())
            }));
            let maturing = conn.clone();
            tasks.push(tokio::spawn(async move { Ok(referrals::mature_due(&maturing, at).await.map(|_| ())?) }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        referrals::mature_due(conn, at + Duration::hours(1)).await.unwrap();
        // Each commission was either cancelled in its hold or credited and taken back in full.
        let mut credits = 0;
        for order_id in orders {
            let row = &commissions_of_order(conn, order_id).await[0];
            match row.status {
                CommissionStatus::Cancelled => assert_eq!(row.recovered, 0),
                CommissionStatus::Reversed => {
                    assert_eq!(row.recovered, 2_800);
                    credits += 1;
                }
                other => panic!("{}: order {order_id} left {other:?}", db.backend),
            }
        }
        let ledger = ledger_of(conn, 49_000).await;
        assert_eq!(ledger.iter().filter(|(kind, _)| *kind == LedgerKind::Commission).count(), credits);
        assert_eq!(ledger.iter().filter(|(kind, _)| *kind == LedgerKind::CommissionReversal).count(), credits);
        assert_eq!(balance(conn, 49_000).await, Money::ZERO, "{}", db.backend);
        assert_eq!(totals(conn, 49_000).await, CommissionTotals::default());
        assert_ledger_consistent(conn).await;
    }
}

/// Every user's Refer & earn figures counted from scratch with plain queries: level-1
/// referrals, level-2, those with a paid order, pending and credited commission.
async fn recount(conn: &DatabaseConnection) -> BTreeMap<i64, [u64; 4]> {
    let users = user::Entity::find().all(conn).await.unwrap();
    let paid: HashSet<i32> = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.user_id)
        .collect();
    let mut counts = BTreeMap::new();
    for me in &users {
        let level1: Vec<&user::Model> = users.iter().filter(|u| u.referred_by == Some(me.id)).collect();
        let level2: Vec<&user::Model> =
            users.iter().filter(|u| level1.iter().any(|l1| u.referred_by == Some(l1.id))).collect();
        let paying = |list: &[&user::Model]| list.iter().filter(|u| paid.contains(&u.id)).count() as u64;
        counts.insert(me.telegram_id, [level1.len() as u64, paying(&level1), level2.len() as u64, paying(&level2)]);
    }
    counts
}

/// Every user's commission on hold and credited (paise), summed from the rows.
async fn recount_money(conn: &DatabaseConnection) -> BTreeMap<i64, (i64, i64)> {
    let users = user::Entity::find().all(conn).await.unwrap();
    let rows = commission::Entity::find().all(conn).await.unwrap();
    let sum = |id: i32, status: CommissionStatus| {
        rows.iter().filter(|c| c.earner_id == id && c.status == status).map(|c| c.amount).sum::<i64>()
    };
    users
        .iter()
        .map(|u| (u.telegram_id, (sum(u.id, CommissionStatus::Pending), sum(u.id, CommissionStatus::Available))))
        .collect()
}

/// What `stats` shows every user equals a full recount; returns the recount.
async fn assert_stats_match_recount(conn: &DatabaseConnection, step: &str) -> BTreeMap<i64, [u64; 4]> {
    let counts = recount(conn).await;
    let money = recount_money(conn).await;
    for (telegram_id, want) in &counts {
        let stats = referrals::stats(conn, *telegram_id).await.unwrap().unwrap();
        let shown = [stats.level1, stats.level1_paying, stats.level2, stats.level2_paying];
        assert_eq!(&shown, want, "{step}: the referral counts of {telegram_id}");
        let shown = (stats.totals.pending.paise(), stats.totals.credited.paise());
        assert_eq!(shown, money[telegram_id], "{step}: pending and credited commission of {telegram_id}");
    }
    counts
}

#[tokio::test]
async fn the_tallies_stats_shows_equal_a_full_recount() {
    for db in db::all().await {
        let conn = &db.conn;
        let step = |s: &str| format!("{}: {s}", db.backend);
        // 50_000 <- 50_001 <- {50_011, 50_012}; 50_000 <- 50_002 <- 50_021; 50_011 <- 50_111.
        customer(conn, 50_000).await;
        for (id, referrer) in [(50_001, 50_000), (50_002, 50_000), (50_011, 50_001), (50_012, 50_001), (50_021, 50_002)]
        {
            referee(conn, id, referrer, t0()).await;
        }
        referee(conn, 50_111, 50_011, t0()).await; // level 3 of 50_000, level 2 of 50_001
        customer(conn, 50_999).await; // nobody's referral
        assert_stats_match_recount(conn, &step("sign-ups")).await;

        let first = buy(conn, 50_011, 135, 42, t0()).await;
        buy(conn, 50_999, 135, 42, t0()).await;
        let counts = assert_stats_match_recount(conn, &step("first paid orders")).await;
        assert_eq!(counts[&50_001], [2, 1, 1, 0], "{}", db.backend);
        assert_eq!(counts[&50_000], [2, 0, 3, 1], "{}", db.backend);

        let second = buy(conn, 50_011, 135, 42, t0()).await;
        assert_stats_match_recount(conn, &step("a second paid order of the same customer")).await;

        // Refunding one of two paid orders: still paying. The other too: no longer paying.
        refunds::refund(conn, &ADMIN, first.order_id, "", t0() + Duration::hours(1)).await.unwrap();
        let counts = assert_stats_match_recount(conn, &step("one of two orders refunded")).await;
        assert_eq!(counts[&50_001][1], 1, "{}", db.backend);
        referrals::mature_due(conn, t0() + Duration::hours(25)).await.unwrap();
        assert_stats_match_recount(conn, &step("matured")).await;
        refunds::refund(conn, &ADMIN, second.order_id, "", t0() + Duration::hours(26)).await.unwrap();
        let counts = assert_stats_match_recount(conn, &step("the last paid order refunded after maturity")).await;
        assert_eq!(counts[&50_001], [2, 0, 1, 0], "{}", db.backend);
        // Refunding again changes nothing.
        refunds::refund(conn, &ADMIN, second.order_id, "", t0() + Duration::hours(26)).await.unwrap();
        assert_stats_match_recount(conn, &step("a repeated refund")).await;

        // Paying again after a refund counts again; a level-3 sale and a blocked earner.
        buy(conn, 50_011, 135, 42, t0() + Duration::hours(27)).await;
        buy(conn, 50_111, 135, 42, t0() + Duration::hours(27)).await;
        fraud::set_blocked(conn, &ADMIN, 50_002, true, "", t0()).await.unwrap();
        let blocked_sale = buy(conn, 50_021, 135, 42, t0() + Duration::hours(27)).await;
        assert!(blocked_sale.commissions.iter().all(|c| c.earner_telegram_id != 50_002));
        assert_stats_match_recount(conn, &step("paid again, level 3, a blocked earner")).await;

        // A sale paid through a payment link, and a refund during the hold.
        let plan = plan_with_stock(conn, "Linked", 135, 42, 1).await;
        let checkout = purchase::open_checkout(conn, 50_012, plan.id, WhenShort::OpenForPayment, t0()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: rs(135) };
        let payment = payments::create(conn, 50_012, purpose, PaymentChannel::Razorpay, Duration::minutes(30), t0())
            .await
            .unwrap();
        let arrival = Arrival { gateway_payment_id: Some("pay_tally_1".into()), amount: rs(135), ..Default::default() };
        match payments::settle(conn, payment.id, &arrival, t0()).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), .. } => {}
            other => panic!("{other:?}"),
        }
        assert_stats_match_recount(conn, &step("paid through a payment link")).await;
        refunds::refund(conn, &ADMIN, checkout.order_id, "", t0() + Duration::hours(1)).await.unwrap();
        let counts = assert_stats_match_recount(conn, &step("refunded in the hold")).await;
        assert_eq!(counts[&50_001], [2, 1, 1, 1], "{}", db.backend);
        assert_eq!(counts[&50_000], [2, 0, 3, 2], "{}", db.backend);
        referrals::mature_due(conn, t0() + Duration::hours(60)).await.unwrap();
        assert_stats_match_recount(conn, &step("matured again")).await;
        assert_ledger_consistent(conn).await;

        // The migration's backfill recounts the same figures from these rows: run it again
        // (down drops the table, up creates it and fills it from the data).
        let all = || referral_tally::Entity::find().order_by_asc(referral_tally::Column::UserId).all(conn);
        let before = all().await.unwrap();
        assert!(before.iter().any(|t| t.level2_paying > 0 && t.available > 0), "{}: {before:?}", db.backend);
        let schema = SchemaManager::new(conn);
        let tallies = migration::m20261208_000022_referral_tallies::Migration;
        tallies.down(&schema).await.unwrap();
        tallies.up(&schema).await.unwrap();
        assert_eq!(all().await.unwrap(), before, "{}: the backfill recounts what the services kept", db.backend);
        assert_stats_match_recount(conn, &step("after the backfill")).await;
        // And what a bulk load needs: the same recount from the app.
        referral_tally::Entity::delete_many().exec(conn).await.unwrap();
        referrals::recount_tallies(conn).await.unwrap();
        assert_stats_match_recount(conn, &step("after recount_tallies")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn customers_paying_at_once_are_each_counted_once() {
    const BUYERS: i64 = 8;
    for db in db::all().await {
        let conn = &db.conn;
        // 51_000 <- 51_001 <- 51_100 ..= 51_107, each with two open checkouts.
        customer(conn, 51_000).await;
        referee(conn, 51_001, 51_000, t0()).await;
        let plan = plan_with_stock(conn, "Rush", 135, 42, 2 * BUYERS as usize).await;
        let other = plan_with_stock(conn, "Rush too", 135, 42, 2 * BUYERS as usize).await;
        let mut checkouts = Vec::new();
        for buyer in 51_100..51_100 + BUYERS {
            referee(conn, buyer, 51_001, t0()).await;
            credit(conn, buyer, 270).await;
            for plan_id in [plan.id, other.id] {
                let order_id =
                    purchase::open_checkout(conn, buyer, plan_id, WhenShort::Refuse, t0()).await.unwrap().order_id;
                checkouts.push((buyer, order_id));
            }
        }
        // Every order of every buyer confirmed at once: a buyer's two first payments race.
        let tasks: Vec<_> = checkouts
            .iter()
            .map(|&(buyer, order_id)| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, buyer, order_id, t0()).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let stats = referrals::stats(conn, 51_001).await.unwrap().unwrap();
        let b = BUYERS as u64;
        assert_eq!((stats.level1, stats.level1_paying), (b, b), "{}", db.backend);
        assert_eq!(stats.totals.pending, rs(28 * 2 * BUYERS), "{}", db.backend);
        let stats = referrals::stats(conn, 51_000).await.unwrap().unwrap();
        assert_eq!((stats.level1, stats.level1_paying, stats.level2, stats.level2_paying), (1, 0, b, b));
        assert_eq!(stats.totals.pending, rs(9 * 2 * BUYERS), "{}", db.backend);

        // All refunded at once: a buyer's two refunds race for "was that the last paid order".
        let tasks: Vec<_> = checkouts
            .iter()
            .map(|&(_, order_id)| {
                let conn = conn.clone();
                tokio::spawn(async move { refunds::refund(&conn, &ADMIN, order_id, "", t0()).await })
            })
            .collect();
        for task in tasks {
            assert!(matches!(task.await.unwrap().unwrap(), RefundOutcome::Refunded { .. }));
        }
        let stats = referrals::stats(conn, 51_001).await.unwrap().unwrap();
        assert_eq!((stats.level1, stats.level1_paying, stats.totals.pending), (b, 0, Money::ZERO), "{}", db.backend);
        let stats = referrals::stats(conn, 51_000).await.unwrap().unwrap();
        assert_eq!((stats.level2, stats.level2_paying, stats.totals.pending), (b, 0, Money::ZERO), "{}", db.backend);
        assert_stats_match_recount(conn, &format!("{}: after the rush", db.backend)).await;
    }
}
