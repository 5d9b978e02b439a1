use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::domain::subscription_period::SubscriptionState;
use ottsonly::domain::Money;
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::subscriptions;

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_happens_once_whoever_presses() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9601).await;
        credit(conn, 9601, 200).await;
        let plan = plan_with_stock(conn, "Zee5", 135, 42, 2).await;
        let checkout = purchase::open_checkout(conn, 9601, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        purchase::confirm(conn, 9601, checkout.order_id, Utc::now()).await.unwrap();
        assert_eq!(balance(conn, 9601).await, Money::from_rupees(65));

        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = conn.clone();
                let order = checkout.order_id;
                tokio::spawn(async move { refunds::refund(&conn, &ADMIN, order, "broken login", Utc::now()).await })
            })
            .collect();
        let mut refunded = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                RefundOutcome::Refunded { amount, .. } => {
                    assert_eq!(amount, Money::from_rupees(135));
                    refunded += 1;
                }
                RefundOutcome::AlreadyRefunded => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(refunded, 1, "{}", db.backend);
        assert_eq!(balance(conn, 9601).await, Money::from_rupees(200));
        let subs = subscriptions::list_for(conn, 9601, Utc::now()).await.unwrap();
        assert_eq!(subs[0].state, SubscriptionState::Cancelled);
        let retired = stock_item::Entity::find()
            .filter(stock_item::Column::OrderId.eq(checkout.order_id))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(retired.status, StockStatus::Retired, "a shown credential is never sold again");

        let pending = purchase::open_checkout(conn, 9601, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        assert_eq!(
            refunds::refund(conn, &ADMIN, pending.order_id, "", Utc::now()).await.unwrap(),
            RefundOutcome::NotPaid
        );
        assert_eq!(refunds::refund(conn, &ADMIN, 999_999, "", Utc::now()).await.unwrap(), RefundOutcome::UnknownOrder);
        assert_ledger_consistent(conn).await;
    }
}
