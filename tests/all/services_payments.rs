//! Money arriving through payments lands exactly once and completes purchases by itself.
use chrono::{Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};

use ottsonly::domain::Money;
use ottsonly::entities::ledger_entry;
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::services::outbox::Notice;
use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, WhenShort};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, outbox_notices, plan_with_stock, ADMIN,
};

fn arrival(rupees: i64, id: &str) -> Arrival {
    Arrival { gateway_payment_id: Some(id.into()), amount: Money::from_rupees(rupees), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_top_up_lands_once_however_often_it_is_reported() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9001).await;
        let now = Utc::now();
        let topup = Purpose::TopUp { amount: Money::from_rupees(200) };
        let payment =
            payments::create(conn, 9001, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        assert!(payment.reference.starts_with("PAY"));

        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(
                    async move { payments::settle(&conn, payment.id, &arrival(200, "pay_A"), Utc::now()).await },
                )
            })
            .collect();
        let mut credited = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Settlement::Credited { credited: amount, purchase, .. } => {
                    assert_eq!((amount, purchase.is_none()), (Money::from_rupees(200), true));
                    credited += 1;
                }
                Settlement::AlreadySettled => {}
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(credited, 1, "{}", db.backend);
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival(200, "pay_A"), now).await.unwrap(),
            Settlement::AlreadySettled
        ));
        assert_eq!(balance(conn, 9001).await, Money::from_rupees(200));

        // The same gateway payment reported against another of our payments credits nothing.
        let other =
            payments::create(conn, 9001, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        assert!(matches!(
            payments::settle(conn, other.id, &arrival(200, "pay_A"), now).await.unwrap(),
            Settlement::AlreadySettled
        ));
        assert_eq!(balance(conn, 9001).await, Money::from_rupees(200));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 1);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_paid_purchase_completes_by_itself() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9002).await;
        credit(conn, 9002, 100).await;
        let plan = plan_with_stock(conn, "Netflix", 135, 42, 2).await;
        let now = Utc::now();
        assert!(purchase::open_checkout(conn, 9002, plan.id, WhenShort::Refuse, now).await.is_err());
        let checkout = purchase::open_checkout(conn, 9002, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        assert_eq!(checkout.shortfall(), Money::from_rupees(35));
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.shortfall() };
        let payment =
            payments::create(conn, 9002, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();

        match payments::settle(conn, payment.id, &arrival(35, "pay_B"), now).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), balance, .. } => {
                assert_eq!(delivery.credential, "Netflix-0@mail.test:pw0");
                assert_eq!(balance, Money::ZERO);
            }
            other => panic!("{other:?}"),
        }
        let order = order::Entity::find_by_id(checkout.order_id).one(conn).await.unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Paid);
        assert_eq!(balance(conn, 9002).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn late_money_and_sold_out_plans_leave_the_money_in_the_wallet() {
    for db in db::all().await {
        let conn = &db.conn;
        for id in [9003, 9004] {
            customer(conn, id).await;
        }
        let plan = plan_with_stock(conn, "Prime", 100, 30, 1).await;
        let now = Utc::now();

        // Paid after the payment expired: credited, purchase not completed.
        let late = purchase::open_checkout(conn, 9003, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: late.order_id, amount: Money::from_rupees(100) };
        let payment =
            payments::create(conn, 9003, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        let mut paid_late = arrival(100, "pay_late");
        paid_late.paid_at = Some(now + Duration::minutes(31));
        match payments::settle(conn, payment.id, &paid_late, now + Duration::minutes(32)).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Late), .. } => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9003).await, Money::from_rupees(100));

        // The last credential goes to 9003 from the wallet; 9004's payment then finds none.
        let pending = purchase::open_checkout(conn, 9004, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: pending.order_id, amount: Money::from_rupees(100) };
        let payment =
            payments::create(conn, 9004, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        purchase::confirm(conn, 9003, late.order_id, now).await.unwrap();
        match payments::settle(conn, payment.id, &arrival(100, "pay_sold"), now).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::SoldOut { .. }), balance, .. } => {
                assert_eq!(balance, Money::from_rupees(100))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9004).await, Money::from_rupees(100));
        let order = order::Entity::find_by_id(pending.order_id).one(conn).await.unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_failure_is_not_final() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9005).await;
        let now = Utc::now();
        let topup = Purpose::TopUp { amount: Money::from_rupees(500) };
        let payment =
            payments::create(conn, 9005, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        payments::mark_failed(conn, payment.id, now).await.unwrap();
        // Razorpay says what was paid: that is what is credited.
        let mut captured = arrival(0, "pay_C");
        captured.amount = Money::from_paise(49_950);
        assert!(matches!(
            payments::settle(conn, payment.id, &captured, now).await.unwrap(),
            Settlement::Credited { .. }
        ));
        payments::mark_failed(conn, payment.id, now).await.unwrap();
        assert_eq!(balance(conn, 9005).await, Money::from_paise(49_950));
        assert!(payments::create(
            conn,
            9005,
            Purpose::Purchase { order_id: 999, amount: Money::from_rupees(1) },
            PaymentChannel::Upi,
            Duration::minutes(1),
            now
        )
        .await
        .is_err());
    }
}

#[tokio::test]
async fn paying_twice_credits_the_second_payment_too() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9006).await;
        let now = Utc::now();
        let topup = Purpose::TopUp { amount: Money::from_rupees(100) };
        let payment =
            payments::create(conn, 9006, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival(100, "pay_first"), now).await.unwrap(),
            Settlement::Credited { .. }
        ));
        // The customer paid the same link again: a different gateway payment, also credited.
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival(100, "pay_second"), now).await.unwrap(),
            Settlement::Credited { purchase: None, .. }
        ));
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival(100, "pay_second"), now).await.unwrap(),
            Settlement::AlreadySettled
        ));
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival(100, "pay_first"), now).await.unwrap(),
            Settlement::AlreadySettled
        ));
        assert_eq!(balance(conn, 9006).await, Money::from_rupees(200));
        assert_ledger_consistent(conn).await;
    }
}

/// The shop's owner, so staff alerts have someone to go to.
async fn with_owner(conn: &sea_orm::DatabaseConnection) {
    ottsonly::services::users::sync_staff_from_config(
        conn,
        &std::collections::BTreeSet::from([ADMIN.telegram_id]),
        None,
        Utc::now(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_different_amount_is_credited_as_it_arrived_and_the_staff_are_told_once() {
    for db in db::all().await {
        let conn = &db.conn;
        with_owner(conn).await;
        customer(conn, 9007).await;
        let now = Utc::now();
        let topup = Purpose::TopUp { amount: Money::from_rupees(500) };
        let payment =
            payments::create(conn, 9007, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        let mut short = arrival(0, "pay_short");
        short.amount = Money::from_paise(49_950);
        match payments::settle(conn, payment.id, &short, now).await.unwrap() {
            Settlement::Credited { credited, .. } => assert_eq!(credited, Money::from_paise(49_950)),
            other => panic!("{other:?}"),
        }
        // Reported again: nothing more is credited, and nobody is told again.
        assert!(matches!(payments::settle(conn, payment.id, &short, now).await.unwrap(), Settlement::AlreadySettled));
        assert_eq!(balance(conn, 9007).await, Money::from_paise(49_950), "{}", db.backend);
        let mismatches: Vec<Notice> = outbox_notices(conn, ADMIN.telegram_id)
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::AmountMismatchAlert { .. }))
            .collect();
        match mismatches.as_slice() {
            [Notice::AmountMismatchAlert { reference, expected, paid, customer }] => {
                assert_eq!(reference, &payment.reference);
                assert_eq!((*expected, *paid), (50_000, 49_950));
                assert_eq!(customer.telegram_id, 9007);
            }
            other => panic!("{}: one mismatch alert: {other:?}", db.backend),
        }

        // The exact amount alerts nobody about a mismatch.
        let exact =
            payments::create(conn, 9007, topup, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        payments::settle(conn, exact.id, &arrival(500, "pay_exact"), now).await.unwrap();
        let mismatches = outbox_notices(conn, ADMIN.telegram_id)
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::AmountMismatchAlert { .. }));
        assert_eq!(mismatches.count(), 1);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn settle_refuses_zero_and_negative_amounts() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9008).await;
        credit(conn, 9008, 100).await;
        let plan = plan_with_stock(conn, "Zee", 100, 30, 1).await;
        let now = Utc::now();
        let checkout = purchase::open_checkout(conn, 9008, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment =
            payments::create(conn, 9008, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        for (paise, id) in [(0, "pay_zero"), (-10_000, "pay_negative")] {
            let mut bogus = arrival(0, id);
            bogus.amount = Money::from_paise(paise);
            let settled = payments::settle(conn, payment.id, &bogus, now).await.unwrap();
            assert!(!matches!(settled, Settlement::Credited { .. }), "{}: {paise} credited: {settled:?}", db.backend);
        }
        // Nothing moved: no ledger row, the payment and the order still open.
        assert_eq!(balance(conn, 9008).await, Money::from_rupees(100));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 1, "the fixture credit only");
        let reloaded = payments::find_by_reference(conn, &payment.reference).await.unwrap().unwrap();
        assert_eq!(
            (reloaded.status, reloaded.paid_amount, reloaded.gateway_payment_id),
            (ottsonly::entities::payment::PaymentStatus::Pending, None, None)
        );
        let order = order::Entity::find_by_id(checkout.order_id).one(conn).await.unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Pending);
        assert!(outbox_notices(conn, 9008).await.is_empty(), "nobody is told of money that did not come");

        // The real payment still lands and completes the purchase.
        match payments::settle(conn, payment.id, &arrival(100, "pay_real"), now).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), .. } => {}
            other => panic!("{other:?}"),
        }
        assert_ledger_consistent(conn).await;
    }
}
