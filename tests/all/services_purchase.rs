use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::subscription_period::SubscriptionState;
use ottsonly::domain::Money;
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::{ledger_entry, subscription};
use ottsonly::services::purchase::{self, CancelOutcome, PurchaseError, WhenShort};
use ottsonly::services::subscriptions;

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock};

#[tokio::test]
async fn a_paid_order_takes_one_credential_and_starts_a_subscription() {
    for db in db::all().await {
        let db = &db.conn;
        customer(db, 1001).await;
        credit(db, 1001, 200).await;
        let plan = plan_with_stock(db, "Netflix", 135, 42, 2).await;
        let now = Utc::now();

        let checkout = purchase::open_checkout(db, 1001, plan.id, WhenShort::Refuse, now).await.unwrap();
        assert_eq!(checkout.price, Money::from_rupees(135));
        assert_eq!(checkout.balance_after(), Some(Money::from_rupees(65)));

        let delivery = purchase::confirm(db, 1001, checkout.order_id, now).await.unwrap();
        assert_eq!(delivery.credential, "Netflix-0@mail.test:pw0");
        assert_eq!(delivery.balance, Money::from_rupees(65));
        assert_eq!(delivery.ends_at, now + Duration::days(30));

        let order = order::Entity::find_by_id(checkout.order_id).one(db).await.unwrap().unwrap();
        assert_eq!((order.status, order.price, order.cost), (OrderStatus::Paid, 13_500, 4_200));
        assert_eq!(order.checkout_key, None);
        let stock = stock_item::Entity::find().filter(stock_item::Column::OrderId.eq(order.id)).all(db).await.unwrap();
        assert_eq!(stock.len(), 1);
        assert_eq!(stock[0].status, StockStatus::Assigned);

        let subs = subscriptions::list_for(db, 1001, now).await.unwrap();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].credential, delivery.credential);
        assert_eq!(subs[0].state, SubscriptionState::Active { days_left: 30 });
        let later = subscriptions::list_for(db, 1001, now + Duration::days(30)).await.unwrap();
        assert_eq!(later[0].state, SubscriptionState::Expired);

        // Pressing Confirm again delivers the same credential and charges nothing.
        match purchase::confirm(db, 1001, checkout.order_id, now).await {
            Err(PurchaseError::AlreadyPaid(again)) => assert_eq!(again.credential, delivery.credential),
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(db, 1001).await, Money::from_rupees(65));
        assert_ledger_consistent(db).await;
    }
}

#[tokio::test]
async fn two_confirm_screens_for_one_plan_are_one_order() {
    for db in db::all().await {
        let db = &db.conn;
        customer(db, 1002).await;
        credit(db, 1002, 1000).await;
        let plan = plan_with_stock(db, "Prime", 100, 30, 5).await;
        let first = purchase::open_checkout(db, 1002, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        let second = purchase::open_checkout(db, 1002, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        assert_eq!(first.order_id, second.order_id);
        purchase::confirm(db, 1002, first.order_id, Utc::now()).await.unwrap();
        assert!(matches!(
            purchase::confirm(db, 1002, second.order_id, Utc::now()).await,
            Err(PurchaseError::AlreadyPaid(_))
        ));
        // After paying, buying the same plan again is a new order.
        let third = purchase::open_checkout(db, 1002, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        assert_ne!(third.order_id, first.order_id);
        assert_eq!(balance(db, 1002).await, Money::from_rupees(900));
    }
}

#[tokio::test]
async fn too_low_a_balance_moves_nothing_and_says_what_is_missing() {
    for db in db::all().await {
        let db = &db.conn;
        customer(db, 1003).await;
        credit(db, 1003, 100).await;
        let plan = plan_with_stock(db, "Hotstar", 135, 42, 1).await;
        match purchase::open_checkout(db, 1003, plan.id, WhenShort::Refuse, Utc::now()).await {
            Err(PurchaseError::InsufficientBalance { missing, balance, .. }) => {
                assert_eq!((missing, balance), (Money::from_rupees(35), Money::from_rupees(100)))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(order::Entity::find().count(db).await.unwrap(), 0, "no order at all");

        // The balance drops between the confirm screen and Confirm: the checkout closes.
        credit(db, 1003, 100).await;
        let checkout = purchase::open_checkout(db, 1003, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        ottsonly::services::wallet::admin_adjust(
            db,
            &crate::support::fixtures::ADMIN,
            1003,
            Money::from_rupees(100),
            ottsonly::services::wallet::Direction::Debit,
            "",
            "drop",
            Utc::now(),
        )
        .await
        .unwrap();
        match purchase::confirm(db, 1003, checkout.order_id, Utc::now()).await {
            Err(PurchaseError::InsufficientBalance { missing, .. }) => assert_eq!(missing, Money::from_rupees(35)),
            other => panic!("{other:?}"),
        }
        let closed = order::Entity::find_by_id(checkout.order_id).one(db).await.unwrap().unwrap();
        assert_eq!(closed.status, OrderStatus::Cancelled);
        assert_eq!(balance(db, 1003).await, Money::from_rupees(100));
        let paid = order::Entity::find().filter(order::Column::Status.eq(OrderStatus::Paid)).count(db).await.unwrap();
        assert_eq!(paid, 0);
        assert_eq!(ledger_entry::Entity::find().count(db).await.unwrap(), 3, "credit, credit, debit");
        assert_eq!(
            stock_item::Entity::find()
                .filter(stock_item::Column::Status.eq(StockStatus::Available))
                .count(db)
                .await
                .unwrap(),
            1
        );
        assert_eq!(subscription::Entity::find().count(db).await.unwrap(), 0);
        assert_ledger_consistent(db).await;
    }
}

#[tokio::test]
async fn sold_out_is_told_and_moves_no_money() {
    for db in db::all().await {
        let db = &db.conn;
        for id in [1004, 1005] {
            customer(db, id).await;
            credit(db, id, 500).await;
        }
        let empty = plan_with_stock(db, "Empty", 50, 10, 0).await;
        assert!(matches!(
            purchase::open_checkout(db, 1004, empty.id, WhenShort::Refuse, Utc::now()).await,
            Err(PurchaseError::SoldOut { plan_id, .. }) if plan_id == empty.id
        ));

        // Both open a confirm screen for the last credential; the second confirmation finds none.
        let plan = plan_with_stock(db, "Last", 50, 10, 1).await;
        let a = purchase::open_checkout(db, 1004, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        let b = purchase::open_checkout(db, 1005, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        purchase::confirm(db, 1004, a.order_id, Utc::now()).await.unwrap();
        assert!(matches!(
            purchase::confirm(db, 1005, b.order_id, Utc::now()).await,
            Err(PurchaseError::SoldOut { .. })
        ));
        assert_eq!(balance(db, 1005).await, Money::from_rupees(500));
        let cancelled = order::Entity::find_by_id(b.order_id).one(db).await.unwrap().unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        // A replay of that Confirm still charges nothing.
        assert!(matches!(purchase::confirm(db, 1005, b.order_id, Utc::now()).await, Err(PurchaseError::OrderClosed)));
        assert_eq!(balance(db, 1005).await, Money::from_rupees(500));
        assert_ledger_consistent(db).await;
    }
}

#[tokio::test]
async fn orders_belong_to_their_customer_and_cancel_closes_them() {
    for db in db::all().await {
        let db = &db.conn;
        for id in [1006, 1007] {
            customer(db, id).await;
            credit(db, id, 500).await;
        }
        let plan = plan_with_stock(db, "Zee", 99, 20, 3).await;
        let mine = purchase::open_checkout(db, 1006, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        assert!(matches!(
            purchase::confirm(db, 1007, mine.order_id, Utc::now()).await,
            Err(PurchaseError::OrderNotFound)
        ));
        assert_eq!(
            purchase::cancel_checkout(db, 1007, mine.order_id, Utc::now()).await.unwrap(),
            CancelOutcome::NotOpen
        );
        assert_eq!(
            purchase::cancel_checkout(db, 1006, mine.order_id, Utc::now()).await.unwrap(),
            CancelOutcome::Cancelled
        );
        assert_eq!(
            purchase::cancel_checkout(db, 1006, mine.order_id, Utc::now()).await.unwrap(),
            CancelOutcome::NotOpen
        );
        let paid = purchase::open_checkout(db, 1006, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        purchase::confirm(db, 1006, paid.order_id, Utc::now()).await.unwrap();
        assert_eq!(
            purchase::cancel_checkout(db, 1006, paid.order_id, Utc::now()).await.unwrap(),
            CancelOutcome::AlreadyPaid
        );
        assert!(matches!(
            purchase::confirm(db, 1006, mine.order_id, Utc::now()).await,
            Err(PurchaseError::OrderClosed)
        ));
        assert!(matches!(purchase::confirm(db, 1006, 999_999, Utc::now()).await, Err(PurchaseError::OrderNotFound)));
        assert!(matches!(
            purchase::open_checkout(db, 1006, 999_999, WhenShort::Refuse, Utc::now()).await,
            Err(PurchaseError::PlanUnavailable)
        ));
        assert_eq!(balance(db, 1006).await, Money::from_rupees(401));
    }
}
