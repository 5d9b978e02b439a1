//! Renewals with a controlled clock, on both databases: paid before the end the new period
//! starts at the end (no day lost), after it now; a plan keeps or replaces logins; periods are
//! refunded newest first and a refund gives back what was paid; a renewal earns commission;
//! a refunded subscription cannot be renewed; concurrent confirmations renew once; a renewal
//! paid by a gateway payment renews and tells the customer.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use ottsonly::domain::plan_draft::PlanChanges;
use ottsonly::domain::Money;
use ottsonly::entities::ledger_entry::LedgerKind;
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::subscription;
use ottsonly::services::purchase::{self, Delivery, PurchaseError, WhenShort};
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::{catalog, reminders, renewals, subscriptions};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, ledger_of, outbox_notices, plan_with_stock, referee, ADMIN,
};

async fn subscription_of(conn: &DatabaseConnection, order_id: i32) -> subscription::Model {
    subscription::Entity::find().filter(subscription::Column::OrderId.eq(order_id)).one(conn).await.unwrap().unwrap()
}

async fn stock(conn: &DatabaseConnection, id: i32) -> stock_item::Model {
    stock_item::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

/// `who` buys `plan` at `now` with the price credited first.
async fn buy_at(conn: &DatabaseConnection, who: i64, plan: i32, rupees: i64, now: DateTime<Utc>) -> Delivery {
    credit(conn, who, rupees).await;
    let checkout = purchase::open_checkout(conn, who, plan, WhenShort::Refuse, now).await.unwrap();
    purchase::confirm(conn, who, checkout.order_id, now).await.unwrap()
}

/// `who` renews subscription `sub` at `now` from the wallet, with the price credited first.
async fn renew_at(conn: &DatabaseConnection, who: i64, sub: i32, rupees: i64, now: DateTime<Utc>) -> Delivery {
    credit(conn, who, rupees).await;
    let checkout = renewals::open(conn, who, sub, WhenShort::Refuse, now).await.unwrap();
    assert_eq!(checkout.renewal.as_ref().map(|r| r.subscription_id), Some(sub));
    purchase::confirm(conn, who, checkout.order_id, now).await.unwrap()
}

#[tokio::test]
async fn a_renewal_before_the_end_loses_no_day_and_after_it_starts_now() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9501).await;
        let plan = plan_with_stock(conn, "SonyLiv", 149, 50, 3).await;
        let bought = Utc::now() - Duration::days(25);
        let first = buy_at(conn, 9501, plan.id, 149, bought).await;
        let sub = subscription_of(conn, first.order_id).await;
        let end = sub.ends_at;

        // Five days before the end: the new period starts at the end.
        let early = end - Duration::days(5);
        let checkout = renewals::open(conn, 9501, sub.id, WhenShort::OpenForPayment, early).await.unwrap();
        let terms = checkout.renewal.clone().unwrap();
        assert_eq!((terms.starts_at, terms.ends_at), (end, end + Duration::days(30)));
        credit(conn, 9501, 149).await;
        let renewed = purchase::confirm(conn, 9501, checkout.order_id, early).await.unwrap();
        let info = renewed.renewal.clone().expect("a renewal");
        assert_eq!((info.subscription_id, info.starts_at, info.new_login), (sub.id, end, false));
        assert_eq!(renewed.ends_at, end + Duration::days(30));
        assert_eq!(renewed.credential, first.credential, "the plan keeps logins");
        let after = subscription_of(conn, first.order_id).await;
        assert_eq!(
            (after.ends_at, after.period, after.stock_item_id),
            (end + Duration::days(30), 2, sub.stock_item_id)
        );
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), 2, "keeping the login takes no stock");

        // Long after the new end: the next period starts now.
        let late = end + Duration::days(40);
        let again = renew_at(conn, 9501, sub.id, 149, late).await;
        assert_eq!(again.renewal.unwrap().starts_at, late);
        assert_eq!(again.ends_at, late + Duration::days(30));
        assert_eq!(subscription_of(conn, first.order_id).await.period, 3);

        let purchases = ledger_of(conn, 9501).await.into_iter().filter(|(k, _)| *k == LedgerKind::Purchase).count();
        assert_eq!(purchases, 3, "three periods, three debits");
        assert_eq!(balance(conn, 9501).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_replacing_plan_hands_out_a_new_login_and_retires_the_old_one_when_its_period_ends() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9502).await;
        let plan = plan_with_stock(conn, "Hotstar", 299, 100, 3).await;
        let changes = PlanChanges { keeps_login: Some(false), ..Default::default() };
        catalog::update_plan(conn, &ADMIN, plan.id, changes, Utc::now()).await.unwrap();
        let bought = Utc::now() - Duration::days(28);
        let first = buy_at(conn, 9502, plan.id, 299, bought).await;
        let sub = subscription_of(conn, first.order_id).await;
        let end = sub.ends_at;

        let renewed = renew_at(conn, 9502, sub.id, 299, end - Duration::days(1)).await;
        assert!(renewed.renewal.as_ref().unwrap().new_login);
        assert_ne!(renewed.credential, first.credential);
        let now_sub = subscription_of(conn, first.order_id).await;
        assert_ne!(now_sub.stock_item_id, sub.stock_item_id);
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), 1, "exactly one new login taken");
        // The old login still serves the old period.
        assert_eq!(renewals::retire_replaced(conn, end - Duration::hours(1)).await.unwrap(), 0);
        assert_eq!(stock(conn, sub.stock_item_id).await.status, StockStatus::Assigned);
        assert_eq!(renewals::retire_replaced(conn, end + Duration::minutes(1)).await.unwrap(), 1);
        assert_eq!(renewals::retire_replaced(conn, end + Duration::minutes(2)).await.unwrap(), 0);
        assert_eq!(stock(conn, sub.stock_item_id).await.status, StockStatus::Retired);
        assert_eq!(stock(conn, now_sub.stock_item_id).await.status, StockStatus::Assigned);

        // Renewing the last login with no stock left after it: one more works, then sold out.
        let checkout = renewals::open(conn, 9502, sub.id, WhenShort::OpenForPayment, end).await.unwrap();
        credit(conn, 9502, 299).await;
        purchase::confirm(conn, 9502, checkout.order_id, end).await.unwrap();
        let sold_out = renewals::open(conn, 9502, sub.id, WhenShort::OpenForPayment, end).await;
        assert!(matches!(sold_out, Err(PurchaseError::SoldOut { .. })), "{sold_out:?}");
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn periods_are_refunded_newest_first_and_each_refund_returns_what_was_paid() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9503).await;
        let plan = plan_with_stock(conn, "Zee5 Renew", 99, 30, 2).await;
        let now = Utc::now();
        let first = buy_at(conn, 9503, plan.id, 99, now).await;
        let sub = subscription_of(conn, first.order_id).await;
        // The price goes up before the renewal: the renewal costs the new price.
        let changes = PlanChanges { price: Some(Money::from_rupees(129)), ..Default::default() };
        catalog::update_plan(conn, &ADMIN, plan.id, changes, now).await.unwrap();
        let renewal = renew_at(conn, 9503, sub.id, 129, now).await;
        assert_eq!(renewal.price, Money::from_rupees(129));
        subscriptions::set_auto_renew(conn, 9503, sub.id, true, now).await.unwrap().unwrap();

        assert_eq!(
            refunds::refund(conn, &ADMIN, first.order_id, "", now).await.unwrap(),
            RefundOutcome::LaterPeriodFirst { order_id: renewal.order_id }
        );
        assert_eq!(balance(conn, 9503).await, Money::ZERO, "nothing moved");
        let refunded = refunds::refund(conn, &ADMIN, renewal.order_id, "wrong plan", now).await.unwrap();
        assert!(matches!(refunded, RefundOutcome::Refunded { amount, .. } if amount == Money::from_rupees(129)));
        let back = subscription_of(conn, first.order_id).await;
        assert_eq!((back.ends_at, back.period, back.auto_renew), (sub.ends_at, 1, false));
        assert_eq!(back.status, subscription::SubscriptionStatus::Active, "the first period stands");

        // The period can be renewed again after its renewal was refunded.
        let again = renew_at(conn, 9503, sub.id, 129, now).await;
        assert_eq!(subscription_of(conn, first.order_id).await.period, 2);
        refunds::refund(conn, &ADMIN, again.order_id, "", now).await.unwrap();
        let first_refund = refunds::refund(conn, &ADMIN, first.order_id, "", now).await.unwrap();
        assert!(matches!(first_refund, RefundOutcome::Refunded { amount, .. } if amount == Money::from_rupees(99)));
        assert_eq!(subscription_of(conn, first.order_id).await.status, subscription::SubscriptionStatus::Cancelled);
        let closed = renewals::open(conn, 9503, sub.id, WhenShort::OpenForPayment, now).await;
        assert!(matches!(closed, Err(PurchaseError::SubscriptionClosed)), "{closed:?}");
        assert_eq!(balance(conn, 9503).await, Money::from_rupees(99 + 129 + 129));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_renewal_earns_commission_and_moves_the_reminders_to_the_new_period() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now() - Duration::days(28);
        customer(conn, 9504).await;
        referee(conn, 9505, 9504, now).await;
        let plan = plan_with_stock(conn, "Voot", 135, 42, 1).await;
        let first = buy_at(conn, 9505, plan.id, 135, now).await;
        assert_eq!(first.commissions.len(), 1);
        let sub = subscription_of(conn, first.order_id).await;
        let days = [3, 1];
        assert_eq!(reminders::send_due(conn, &days, sub.ends_at - Duration::days(3)).await.unwrap(), 1);
        let renewal = renew_at(conn, 9505, sub.id, 135, sub.ends_at - Duration::days(2)).await;
        assert_eq!(renewal.commissions.len(), 1, "a renewal is a paid order like any other");
        assert_eq!(renewal.commissions[0].amount, Money::from_rupees(28));
        // The old period's 1-day and day-of reminders no longer come; the new period's do.
        assert_eq!(reminders::send_due(conn, &days, sub.ends_at - Duration::hours(20)).await.unwrap(), 0);
        assert_eq!(reminders::send_due(conn, &days, renewal.ends_at - Duration::hours(20)).await.unwrap(), 1);
        let earned = outbox_notices(conn, 9504)
            .await
            .into_iter()
            .filter(|n| matches!(n, ottsonly::services::outbox::Notice::CommissionEarned { .. }))
            .count();
        assert_eq!(earned, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirming_one_renewal_from_many_screens_at_once_renews_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9506).await;
        let plan = plan_with_stock(conn, "Aha", 199, 80, 1).await;
        let now = Utc::now();
        let first = buy_at(conn, 9506, plan.id, 199, now).await;
        let sub = subscription_of(conn, first.order_id).await;
        credit(conn, 9506, 199 * 3).await;
        let checkout = renewals::open(conn, 9506, sub.id, WhenShort::Refuse, now).await.unwrap();
        let reopened = renewals::open(conn, 9506, sub.id, WhenShort::Refuse, now).await.unwrap();
        assert_eq!(checkout.order_id, reopened.order_id, "one open renewal per subscription");
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, 9506, checkout.order_id, now).await })
            })
            .collect();
        let mut renewed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => renewed += 1,
                Err(PurchaseError::AlreadyPaid(delivery)) => assert!(delivery.renewal.is_some()),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(renewed, 1, "{}", db.backend);
        let after = subscription_of(conn, first.order_id).await;
        assert_eq!((after.period, after.ends_at), (2, sub.ends_at + Duration::days(30)));
        assert_eq!(balance(conn, 9506).await, Money::from_rupees(199 * 2));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn nobody_renews_someone_elses_subscription() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9507).await;
        customer(conn, 9508).await;
        let plan = plan_with_stock(conn, "Eros", 49, 10, 1).await;
        let first = buy_at(conn, 9507, plan.id, 49, Utc::now()).await;
        let sub = subscription_of(conn, first.order_id).await;
        credit(conn, 9508, 100).await;
        let foreign = renewals::open(conn, 9508, sub.id, WhenShort::Refuse, Utc::now()).await;
        assert!(matches!(foreign, Err(PurchaseError::SubscriptionClosed)), "{foreign:?}");
        let unknown = renewals::open(conn, 9508, 999_999, WhenShort::Refuse, Utc::now()).await;
        assert!(matches!(unknown, Err(PurchaseError::SubscriptionClosed)), "{unknown:?}");
        assert_eq!(balance(conn, 9508).await, Money::from_rupees(100));
    }
}

#[tokio::test]
async fn a_renewal_paid_by_a_gateway_payment_renews_and_the_customer_is_told() {
    use ottsonly::entities::payment::PaymentChannel;
    use ottsonly::services::outbox::Notice;
    use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9560).await;
        let plan = plan_with_stock(conn, "Zee5", 99, 30, 2).await;
        let bought = Utc::now() - Duration::days(27);
        let first = buy_at(conn, 9560, plan.id, 99, bought).await;
        let sub = subscription_of(conn, first.order_id).await;
        let now = Utc::now();
        let checkout = renewals::open(conn, 9560, sub.id, WhenShort::OpenForPayment, now).await.unwrap();
        assert_eq!(checkout.shortfall(), Money::from_rupees(99));
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: Money::from_rupees(99) };
        let payment =
            payments::create(conn, 9560, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        let arrival = Arrival {
            gateway_payment_id: Some("pay_renew".into()),
            amount: Money::from_rupees(99),
            ..Default::default()
        };
        match payments::settle(conn, payment.id, &arrival, now).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), .. } => {
                let renewed = delivery.renewal.as_ref().expect("a renewal");
                assert_eq!((renewed.subscription_id, renewed.starts_at), (sub.id, sub.ends_at));
            }
            other => panic!("{other:?}"),
        }
        let after = subscription_of(conn, first.order_id).await;
        assert_eq!((after.period, after.ends_at), (2, sub.ends_at + Duration::days(30)));
        let told = outbox_notices(conn, 9560).await;
        assert!(
            told.iter().any(|n| matches!(n, Notice::Renewed { credential, .. } if *credential == first.credential)),
            "{told:?}"
        );
        // The same payment reported again renews nothing more.
        assert!(matches!(payments::settle(conn, payment.id, &arrival, now).await.unwrap(), Settlement::AlreadySettled));
        assert_eq!(subscription_of(conn, first.order_id).await.period, 2);
        assert_eq!(balance(conn, 9560).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}
