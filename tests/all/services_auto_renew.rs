//! Auto-renew with a controlled clock, on both databases: once per period under concurrent job
//! runs, only inside `renewal.auto_hours_before` and before the end, never overdrawing (the
//! customer is told once what is missing), never a refunded subscription or a blocked
//! customer; it earns commission like any paid order.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use ottsonly::domain::plan_draft::PlanChanges;
use ottsonly::domain::Money;
use ottsonly::entities::ledger_entry::LedgerKind;
use ottsonly::entities::subscription;
use ottsonly::services::auto_renew::{self, AutoRenewal};
use ottsonly::services::outbox::Notice;
use ottsonly::services::purchase::{self, Delivery, WhenShort};
use ottsonly::services::{catalog, fraud, refunds, subscriptions};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, ledger_of, outbox_notices, plan_with_stock, referee, ADMIN,
};

async fn sub_of(conn: &DatabaseConnection, order_id: i32) -> subscription::Model {
    subscription::Entity::find().filter(subscription::Column::OrderId.eq(order_id)).one(conn).await.unwrap().unwrap()
}

/// `who` buys a 30-day plan at `price` rupees at `at` and turns auto-renew on.
async fn subscribed(conn: &DatabaseConnection, who: i64, name: &str, price: i64, at: DateTime<Utc>) -> Delivery {
    credit(conn, who, price).await;
    let plan = plan_with_stock(conn, name, price, 40, 2).await;
    let checkout = purchase::open_checkout(conn, who, plan.id, WhenShort::Refuse, at).await.unwrap();
    let delivery = purchase::confirm(conn, who, checkout.order_id, at).await.unwrap();
    let sub = sub_of(conn, delivery.order_id).await;
    assert!(subscriptions::set_auto_renew(conn, who, sub.id, true, at).await.unwrap().unwrap().auto_renew);
    delivery
}

fn count<F: Fn(&Notice) -> bool>(notices: &[Notice], f: F) -> usize {
    notices.iter().filter(|n| f(n)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_renew_once_per_period_inside_the_window_only() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9701).await;
        let bought = Utc::now() - Duration::days(29);
        let first = subscribed(conn, 9701, "Netflix Auto", 149, bought).await;
        let sub = sub_of(conn, first.order_id).await;
        let end = sub.ends_at;
        credit(conn, 9701, 149 * 3).await;

        assert_eq!(auto_renew::run_due(conn, end - Duration::hours(25)).await.unwrap(), vec![]);
        let at = end - Duration::hours(23);
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { auto_renew::run_due(&conn, at).await })
            })
            .collect();
        let mut renewed = 0;
        for run in runs {
            for outcome in run.await.unwrap().unwrap() {
                assert!(matches!(outcome, AutoRenewal::Renewed { subscription_id, .. } if subscription_id == sub.id));
                renewed += 1;
            }
        }
        assert_eq!(renewed, 1, "{}", db.backend);
        let after = sub_of(conn, first.order_id).await;
        assert_eq!((after.period, after.ends_at), (2, end + Duration::days(30)));
        // The new period is not due yet, however often the job runs now.
        assert_eq!(auto_renew::run_due(conn, at + Duration::minutes(1)).await.unwrap(), vec![]);
        let debits = ledger_of(conn, 9701).await.into_iter().filter(|(k, _)| *k == LedgerKind::Purchase).count();
        assert_eq!(debits, 2);
        assert_eq!(balance(conn, 9701).await, Money::from_rupees(149 * 2));
        let told = count(&outbox_notices(conn, 9701).await, |n| matches!(n, Notice::AutoRenewed { .. }));
        assert_eq!(told, 1);

        // The next period renews in its own window.
        let next = auto_renew::run_due(conn, after.ends_at - Duration::hours(1)).await.unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(sub_of(conn, first.order_id).await.period, 3);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_wallet_is_never_overdrawn_and_hears_once_what_is_missing() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9702).await;
        let bought = Utc::now() - Duration::days(29);
        let first = subscribed(conn, 9702, "Prime Auto", 199, bought).await;
        let sub = sub_of(conn, first.order_id).await;
        credit(conn, 9702, 150).await;
        let at = sub.ends_at - Duration::hours(20);
        let runs: Vec<_> = (0..3)
            .map(|i| {
                let conn = conn.clone();
                tokio::spawn(async move { auto_renew::run_due(&conn, at + Duration::minutes(i)).await })
            })
            .collect();
        for run in runs {
            for outcome in run.await.unwrap().unwrap() {
                assert_eq!(outcome, AutoRenewal::Short { subscription_id: sub.id, missing: Money::from_rupees(49) });
            }
        }
        assert_eq!(balance(conn, 9702).await, Money::from_rupees(150), "nothing charged");
        let notices = outbox_notices(conn, 9702).await;
        assert_eq!(count(&notices, |n| matches!(n, Notice::AutoRenewShort { missing: 4900, .. })), 1);

        // Topped up later the same day: the next run renews.
        credit(conn, 9702, 49).await;
        let renewed = auto_renew::run_due(conn, at + Duration::hours(5)).await.unwrap();
        assert!(matches!(renewed.as_slice(), [AutoRenewal::Renewed { .. }]), "{renewed:?}");
        assert_eq!(balance(conn, 9702).await, Money::ZERO);
        // Past the end, an unrenewed subscription is not charged any more.
        credit(conn, 9702, 500).await;
        let later = sub_of(conn, first.order_id).await.ends_at + Duration::minutes(1);
        assert_eq!(auto_renew::run_due(conn, later).await.unwrap(), vec![]);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn refunded_subscriptions_and_blocked_customers_are_never_charged() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9703).await;
        customer(conn, 9704).await;
        let bought = Utc::now() - Duration::days(29);
        let refunded = subscribed(conn, 9703, "Zee Auto", 99, bought).await;
        let blocked = subscribed(conn, 9704, "Sony Auto", 99, bought).await;
        credit(conn, 9703, 500).await;
        credit(conn, 9704, 500).await;
        refunds::refund(conn, &ADMIN, refunded.order_id, "", Utc::now()).await.unwrap();
        let sub = sub_of(conn, refunded.order_id).await;
        assert!(!sub.auto_renew, "a refund turns auto-renew off");
        // Even with the flag forced back on, a cancelled subscription is not renewed.
        subscription::Entity::update_many()
            .col_expr(subscription::Column::AutoRenew, Expr::value(true))
            .filter(subscription::Column::Id.eq(sub.id))
            .exec(conn)
            .await
            .unwrap();
        fraud::set_blocked(conn, &ADMIN, 9704, true, "chargebacks", Utc::now()).await.unwrap();
        let at = sub.ends_at - Duration::hours(2);
        assert_eq!(auto_renew::run_due(conn, at).await.unwrap(), vec![]);
        assert_eq!(balance(conn, 9703).await, Money::from_rupees(500 + 99));
        assert_eq!(balance(conn, 9704).await, Money::from_rupees(500));
        assert_eq!(sub_of(conn, blocked.order_id).await.period, 1);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn auto_renew_earns_commission_and_says_so_when_the_plan_is_off_sale() {
    for db in db::all().await {
        let conn = &db.conn;
        let bought = Utc::now() - Duration::days(29);
        customer(conn, 9705).await;
        referee(conn, 9706, 9705, bought).await;
        let first = subscribed(conn, 9706, "Hotstar Auto", 135, bought).await;
        let sub = sub_of(conn, first.order_id).await;
        credit(conn, 9706, 135).await;
        let renewed = auto_renew::run_due(conn, sub.ends_at - Duration::hours(3)).await.unwrap();
        let [AutoRenewal::Renewed { order_id, .. }] = renewed.as_slice() else { panic!("{renewed:?}") };
        let earned: Vec<i64> = outbox_notices(conn, 9705)
            .await
            .into_iter()
            .filter_map(|n| match n {
                Notice::CommissionEarned { amount, .. } => Some(amount),
                _ => None,
            })
            .collect();
        // 30% of (135 - 40) = 28.50, rounded half up.
        assert_eq!(earned, vec![2900, 2900], "the purchase and the renewal (order {order_id})");

        let plan_id = sub.plan_id;
        let hide = PlanChanges { active: Some(false), ..Default::default() };
        catalog::update_plan(conn, &ADMIN, plan_id, hide, Utc::now()).await.unwrap();
        let next_end = sub_of(conn, first.order_id).await.ends_at;
        for minutes in [0, 10] {
            let at = next_end - Duration::hours(3) + Duration::minutes(minutes);
            assert_eq!(
                auto_renew::run_due(conn, at).await.unwrap(),
                vec![AutoRenewal::NotPossible { subscription_id: sub.id }]
            );
        }
        let failed = count(&outbox_notices(conn, 9706).await, |n| matches!(n, Notice::AutoRenewFailed { .. }));
        assert_eq!(failed, 1, "told once per period");
        assert_eq!(balance(conn, 9706).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}
