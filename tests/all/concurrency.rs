//! Real parallel tasks against one database: the money and stock guards must hold.
use std::collections::HashSet;

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::domain::Money;
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, PurchaseError, WhenShort};

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_ten_credentials() {
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Hot", 135, 42, 10).await;
        let mut orders = Vec::new();
        for id in 0..50 {
            let tg = 20_000 + id;
            customer(conn, tg).await;
            credit(conn, tg, 200).await;
            orders.push((
                tg,
                purchase::open_checkout(conn, tg, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap().order_id,
            ));
        }
        let tasks: Vec<_> = orders
            .into_iter()
            .map(|(tg, order_id)| {
                let conn = conn.clone();
                tokio::spawn(async move { (tg, purchase::confirm(&conn, tg, order_id, Utc::now()).await) })
            })
            .collect();
        let (mut paid, mut sold_out) = (Vec::new(), Vec::new());
        for task in tasks {
            match task.await.unwrap() {
                (tg, Ok(delivery)) => paid.push((tg, delivery.credential)),
                (tg, Err(PurchaseError::SoldOut { .. })) => sold_out.push(tg),
                (_, Err(other)) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!((paid.len(), sold_out.len()), (10, 40), "{}", db.backend);
        let credentials: HashSet<_> = paid.iter().map(|(_, c)| c.clone()).collect();
        assert_eq!(credentials.len(), 10, "distinct credentials");
        for tg in sold_out {
            assert_eq!(balance(conn, tg).await, Money::from_rupees(200));
        }
        for (tg, _) in paid {
            assert_eq!(balance(conn, tg).await, Money::from_rupees(65));
        }
        let paid_orders =
            order::Entity::find().filter(order::Column::Status.eq(OrderStatus::Paid)).all(conn).await.unwrap();
        assert_eq!(paid_orders.len(), 10);
        let assigned = stock_item::Entity::find()
            .filter(stock_item::Column::Status.eq(StockStatus::Assigned))
            .all(conn)
            .await
            .unwrap();
        assert_eq!(assigned.iter().filter_map(|s| s.order_id).collect::<HashSet<_>>().len(), 10);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_buyer_with_money_for_three_fires_twenty() {
    for db in db::all().await {
        let conn = &db.conn;
        let tg = 30_000;
        customer(conn, tg).await;
        credit(conn, tg, 300).await;
        let mut orders = Vec::new();
        for n in 0..20 {
            let plan = plan_with_stock(conn, &format!("Plan{n}"), 100, 30, 1).await;
            orders.push(
                purchase::open_checkout(conn, tg, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap().order_id,
            );
        }
        let tasks: Vec<_> = orders
            .into_iter()
            .map(|order_id| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, tg, order_id, Utc::now()).await })
            })
            .collect();
        let (mut ok, mut short) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(PurchaseError::InsufficientBalance { .. }) => short += 1,
                Err(other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!((ok, short), (3, 17), "{}", db.backend);
        assert_eq!(balance(conn, tg).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_taps_on_one_confirm_make_one_order() {
    for db in db::all().await {
        let conn = &db.conn;
        let tg = 31_000;
        customer(conn, tg).await;
        credit(conn, tg, 1000).await;
        let plan = plan_with_stock(conn, "Tap", 100, 30, 5).await;
        let order_id =
            purchase::open_checkout(conn, tg, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap().order_id;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, tg, order_id, Utc::now()).await })
            })
            .collect();
        let (mut ok, mut repeats) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(PurchaseError::AlreadyPaid(_)) => repeats += 1,
                Err(other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!((ok, repeats), (1, 19), "{}", db.backend);
        assert_eq!(balance(conn, tg).await, Money::from_rupees(900));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_buy_taps_open_one_checkout() {
    for db in db::all().await {
        let conn = &db.conn;
        let tg = 32_000;
        customer(conn, tg).await;
        credit(conn, tg, 100).await;
        let plan = plan_with_stock(conn, "Dup", 100, 30, 5).await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move {
                    purchase::open_checkout(&conn, tg, plan.id, WhenShort::Refuse, Utc::now()).await.map(|c| c.order_id)
                })
            })
            .collect();
        let mut ids = HashSet::new();
        for task in tasks {
            ids.insert(task.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 1, "{}", db.backend);
    }
}

/// A Razorpay webhook settles a purchase payment for an order while its customer presses
/// Confirm on that order (the wallet covers it too). Both lock the customer's row and the
/// order: taken in one order, they never deadlock, and the order is paid once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_settlement_and_a_confirm_of_one_order_never_deadlock() {
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Lockstep", 100, 30, 40).await;
        for round in 0..30 {
            let tg = 33_000 + round;
            customer(conn, tg).await;
            credit(conn, tg, 100).await;
            let now = Utc::now();
            let order_id = purchase::open_checkout(conn, tg, plan.id, WhenShort::Refuse, now).await.unwrap().order_id;
            let purpose = Purpose::Purchase { order_id, amount: Money::from_rupees(100) };
            let payment = payments::create(conn, tg, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now)
                .await
                .unwrap();
            let settle = {
                let conn = conn.clone();
                let arrival = Arrival {
                    gateway_payment_id: Some(format!("pay_lockstep_{round}")),
                    amount: Money::from_rupees(100),
                    ..Default::default()
                };
                tokio::spawn(async move { payments::settle(&conn, payment.id, &arrival, now).await })
            };
            let confirm = {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, tg, order_id, now).await })
            };
            let (settled, confirmed) = (settle.await.unwrap(), confirm.await.unwrap());
            let settled =
                settled.unwrap_or_else(|err| panic!("{} round {round}: the settlement failed: {err}", db.backend));
            match (&settled, &confirmed) {
                // The webhook paid the order; Confirm finds it paid.
                (
                    Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), .. },
                    Err(PurchaseError::AlreadyPaid(_)),
                ) => {}
                // Confirm paid it from the wallet; the payment stays in the wallet.
                (Settlement::Credited { purchase: Some(PurchaseResult::OrderClosed), .. }, Ok(_)) => {}
                _ => panic!("{} round {round}: {settled:?} / {confirmed:?}", db.backend),
            }
            assert_eq!(balance(conn, tg).await, Money::from_rupees(100), "{} round {round}", db.backend);
            let order = order::Entity::find_by_id(order_id).one(conn).await.unwrap().unwrap();
            assert_eq!(order.status, OrderStatus::Paid);
        }
        assert_ledger_consistent(conn).await;
    }
}

/// The same with an admin approving the customer's UPI claim for the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_upi_approval_and_a_confirm_of_one_order_never_deadlock() {
    use ottsonly::services::upi::{self, ClaimOutcome, Decision};
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Handshake", 100, 30, 40).await;
        for round in 0..30 {
            let tg = 34_000 + round;
            customer(conn, tg).await;
            credit(conn, tg, 100).await;
            let now = Utc::now();
            let order_id = purchase::open_checkout(conn, tg, plan.id, WhenShort::Refuse, now).await.unwrap().order_id;
            let purpose = Purpose::Purchase { order_id, amount: Money::from_rupees(100) };
            let payment = upi::start(conn, tg, purpose, Duration::hours(24), now).await.unwrap();
            let utr = format!("{:012}", 400_000_000_000 + round);
            let claim = match upi::claim(conn, tg, payment.id, &utr, None, now).await.unwrap() {
                ClaimOutcome::Created { claim, .. } => claim,
                other => panic!("{other:?}"),
            };
            let approve = {
                let conn = conn.clone();
                tokio::spawn(async move { upi::approve(&conn, &crate::support::fixtures::ADMIN, claim.id, now).await })
            };
            let confirm = {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, tg, order_id, now).await })
            };
            let (approved, confirmed) = (approve.await.unwrap(), confirm.await.unwrap());
            let approved =
                approved.unwrap_or_else(|err| panic!("{} round {round}: the approval failed: {err}", db.backend));
            match (&approved, &confirmed) {
                (
                    Decision::Approved {
                        settlement: Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), .. },
                        ..
                    },
                    Err(PurchaseError::AlreadyPaid(_)),
                ) => {}
                (
                    Decision::Approved {
                        settlement: Settlement::Credited { purchase: Some(PurchaseResult::OrderClosed), .. },
                        ..
                    },
                    Ok(_),
                ) => {}
                _ => panic!("{} round {round}: {approved:?} / {confirmed:?}", db.backend),
            }
            assert_eq!(balance(conn, tg).await, Money::from_rupees(100), "{} round {round}", db.backend);
        }
        assert_ledger_consistent(conn).await;
    }
}
