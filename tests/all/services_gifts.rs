//! Gifts on both databases: a gift order takes its login but starts no subscription; the first
//! person other than the buyer to open the link claims it, once, even when many open it at
//! the same moment; the subscription starts at the claim and the buyer is told; expired,
//! taken, own and refunded links say so; refunding an unclaimed gift returns the price and
//! puts the login back on sale; a gift paid by a gateway payment brings the link.
use chrono::{Duration, SubsecRound, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::gift::ClaimRefusal;
use ottsonly::domain::Money;
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::subscription::{self, SubscriptionStatus};
use ottsonly::services::gifts::{self, ClaimOutcome, GiftStatus};
use ottsonly::services::outbox::Notice;
use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, Delivery, WhenShort};
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::{catalog, renewals};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, buy, credit, customer, outbox_notices, plan_with_stock, referee, ADMIN,
};

/// `buyer` buys `plan_id` as a gift from the wallet.
async fn buy_gift(conn: &DatabaseConnection, buyer: i64, plan_id: i32) -> Delivery {
    let now = Utc::now();
    let checkout = purchase::open_checkout(conn, buyer, plan_id, WhenShort::OpenForPayment, now).await.unwrap();
    assert!(!checkout.gift);
    let checkout = gifts::set_gift(conn, buyer, checkout.order_id, true, now).await.unwrap();
    assert!(checkout.gift);
    purchase::confirm(conn, buyer, checkout.order_id, now).await.unwrap()
}

async fn subscriptions_of_order(conn: &DatabaseConnection, order_id: i32) -> Vec<subscription::Model> {
    subscription::Entity::find().filter(subscription::Column::OrderId.eq(order_id)).all(conn).await.unwrap()
}

async fn stock_status(conn: &DatabaseConnection, id: i32) -> StockStatus {
    stock_item::Entity::find_by_id(id).one(conn).await.unwrap().unwrap().status
}

#[tokio::test]
async fn the_first_other_person_claims_a_gift_and_the_buyer_is_told() {
    for db in db::all().await {
        let conn = &db.conn;
        // Whole microseconds, as PostgreSQL keeps them.
        let now = Utc::now().trunc_subsecs(6);
        customer(conn, 9700).await;
        referee(conn, 9701, 9700, now).await;
        let plan = plan_with_stock(conn, "Gift Netflix", 149, 40, 2).await;
        credit(conn, 9701, 149).await;
        let delivery = buy_gift(conn, 9701, plan.id).await;
        let link = delivery.gift.clone().expect("a gift link");
        assert!(delivery.credential.is_empty(), "the buyer is not shown the login");
        assert_eq!(balance(conn, 9701).await, Money::ZERO);
        // A gift earns commission like any paid order: 30% of (149 - 40) = 32.70, rounded to ₹33.
        assert_eq!(delivery.commissions.len(), 1);
        assert_eq!(delivery.commissions[0].amount, Money::from_rupees(33));
        // The login is taken from stock, but nobody has a subscription yet.
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), 1);
        assert!(subscriptions_of_order(conn, delivery.order_id).await.is_empty());
        let claim_days = ottsonly::services::settings::gift_claim_period(conn).await.unwrap();
        assert!((link.expires_at - (now + claim_days)).num_seconds().abs() < 60, "{link:?}");

        // Confirming again shows the link again, never the login.
        match purchase::confirm(conn, 9701, delivery.order_id, now).await {
            Err(purchase::PurchaseError::AlreadyPaid(again)) => {
                // PostgreSQL keeps microseconds.
                let shown = again.gift.expect("the link again");
                assert_eq!(shown.code, link.code);
                assert!((shown.expires_at - link.expires_at).num_milliseconds().abs() < 1, "{shown:?}");
                assert!(again.credential.is_empty());
            }
            other => panic!("{other:?}"),
        }

        assert_eq!(
            gifts::claim(conn, 9701, &link.code, now).await.unwrap(),
            ClaimOutcome::Refused(ClaimRefusal::OwnGift)
        );
        customer(conn, 9702).await;
        let claimed_at = now + Duration::days(2);
        match gifts::claim(conn, 9702, &link.code.to_lowercase(), claimed_at).await.unwrap() {
            ClaimOutcome::Claimed { plan_name, credential, ends_at } => {
                assert_eq!(plan_name, "Gift Netflix");
                assert!(!credential.is_empty());
                assert_eq!(ends_at, claimed_at + Duration::days(i64::from(plan.duration_days)));
            }
            other => panic!("{other:?}"),
        }
        let subs = subscriptions_of_order(conn, delivery.order_id).await;
        assert_eq!(subs.len(), 1);
        let claimer = ottsonly::services::users::find_by_telegram_id(conn, 9702).await.unwrap().unwrap();
        assert_eq!((subs[0].user_id, subs[0].starts_at), (claimer.id, claimed_at));
        assert_eq!(subs[0].status, SubscriptionStatus::Active);

        // The buyer is told who claimed it; the buyer's list says so.
        let told = outbox_notices(conn, 9701).await;
        assert!(
            told.iter().any(|n| matches!(n, Notice::GiftClaimed { order_id, by, .. }
                if *order_id == delivery.order_id && by.telegram_id == 9702)),
            "{told:?}"
        );
        let listed = gifts::bought_by(conn, 9701, claimed_at).await.unwrap();
        assert!(matches!(&listed[..], [g] if matches!(g.state, GiftStatus::Claimed { .. })), "{listed:?}");

        // Everyone after is told why not.
        assert_eq!(
            gifts::claim(conn, 9702, &link.code, claimed_at).await.unwrap(),
            ClaimOutcome::Refused(ClaimRefusal::AlreadyYours)
        );
        customer(conn, 9703).await;
        assert_eq!(
            gifts::claim(conn, 9703, &link.code, claimed_at).await.unwrap(),
            ClaimOutcome::Refused(ClaimRefusal::Taken)
        );
        assert_eq!(gifts::claim(conn, 9703, "NOTAGIFTCODE", claimed_at).await.unwrap(), ClaimOutcome::Unknown);
        assert_eq!(gifts::claim(conn, 9703, "x", claimed_at).await.unwrap(), ClaimOutcome::Unknown);
        // The claimer renews it like their own.
        let renewal =
            renewals::open(conn, 9702, subs[0].id, WhenShort::OpenForPayment, claimed_at).await.expect("renewable");
        assert!(!renewal.gift);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn an_expired_link_cannot_be_claimed_and_an_unclaimed_gift_refunds_into_stock() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9710).await;
        customer(conn, 9711).await;
        let plan = plan_with_stock(conn, "Gift Hotstar", 299, 100, 1).await;
        credit(conn, 9710, 299).await;
        let delivery = buy_gift(conn, 9710, plan.id).await;
        let link = delivery.gift.clone().unwrap();
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), 0);
        let expired = link.expires_at + Duration::seconds(1);
        assert_eq!(
            gifts::claim(conn, 9711, &link.code, expired).await.unwrap(),
            ClaimOutcome::Refused(ClaimRefusal::Expired)
        );
        let listed = gifts::bought_by(conn, 9710, expired).await.unwrap();
        assert!(matches!(&listed[..], [g] if g.state == GiftStatus::Expired), "{listed:?}");

        match refunds::refund(conn, &ADMIN, delivery.order_id, "never claimed", expired).await.unwrap() {
            RefundOutcome::Refunded { amount, restocked, .. } => {
                assert_eq!(amount, Money::from_rupees(299));
                assert!(restocked);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9710).await, Money::from_rupees(299));
        // Nobody saw the login: it is on sale again, and sells.
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), 1);
        assert_eq!(
            gifts::claim(conn, 9711, &link.code, now).await.unwrap(),
            ClaimOutcome::Refused(ClaimRefusal::Refunded)
        );
        credit(conn, 9711, 299).await;
        let checkout = purchase::open_checkout(conn, 9711, plan.id, WhenShort::Refuse, now).await.unwrap();
        let resold = purchase::confirm(conn, 9711, checkout.order_id, now).await.unwrap();
        assert!(!resold.credential.is_empty());
        assert!(subscriptions_of_order(conn, delivery.order_id).await.is_empty());
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_refund_after_the_claim_ends_the_claimers_subscription_and_retires_the_login() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9715).await;
        customer(conn, 9716).await;
        let plan = plan_with_stock(conn, "Gift Prime", 199, 50, 1).await;
        credit(conn, 9715, 199).await;
        let delivery = buy_gift(conn, 9715, plan.id).await;
        let code = delivery.gift.unwrap().code;
        assert!(matches!(gifts::claim(conn, 9716, &code, now).await.unwrap(), ClaimOutcome::Claimed { .. }));
        match refunds::refund(conn, &ADMIN, delivery.order_id, "", now).await.unwrap() {
            RefundOutcome::Refunded { restocked, .. } => assert!(!restocked),
            other => panic!("{other:?}"),
        }
        let sub = subscriptions_of_order(conn, delivery.order_id).await.remove(0);
        assert_eq!(sub.status, SubscriptionStatus::Cancelled);
        assert_eq!(stock_status(conn, sub.stock_item_id).await, StockStatus::Retired);
        assert_eq!(balance(conn, 9715).await, Money::from_rupees(199));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_people_opening_one_link_at_once_leave_one_owner() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9720).await;
        let plan = plan_with_stock(conn, "Gift Zee5", 99, 20, 1).await;
        credit(conn, 9720, 99).await;
        let delivery = buy_gift(conn, 9720, plan.id).await;
        let code = delivery.gift.unwrap().code;
        let people: Vec<i64> = (9721..9727).collect();
        for &who in &people {
            customer(conn, who).await;
        }
        let tasks: Vec<_> = people
            .iter()
            .map(|&who| {
                let (conn, code) = (conn.clone(), code.clone());
                tokio::spawn(async move { (who, gifts::claim(&conn, who, &code, Utc::now()).await.unwrap()) })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (who, outcome) = task.await.unwrap();
            match outcome {
                ClaimOutcome::Claimed { .. } => winners.push(who),
                ClaimOutcome::Refused(ClaimRefusal::Taken) => {}
                other => panic!("{who}: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "{}: {winners:?}", db.backend);
        let subs = subscriptions_of_order(conn, delivery.order_id).await;
        assert_eq!(subs.len(), 1);
        let owner = ottsonly::services::users::find_by_telegram_id(conn, winners[0]).await.unwrap().unwrap();
        assert_eq!(subs[0].user_id, owner.id);
        let told = outbox_notices(conn, 9720).await.into_iter().filter(|n| matches!(n, Notice::GiftClaimed { .. }));
        assert_eq!(told.count(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_and_a_refund_at_once_leave_one_consistent_outcome() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9730).await;
        customer(conn, 9731).await;
        let plan = plan_with_stock(conn, "Gift SonyLiv", 129, 30, 1).await;
        credit(conn, 9730, 129).await;
        let delivery = buy_gift(conn, 9730, plan.id).await;
        let code = delivery.gift.unwrap().code;
        let claim = {
            let conn = conn.clone();
            tokio::spawn(async move { gifts::claim(&conn, 9731, &code, Utc::now()).await.unwrap() })
        };
        let refund = {
            let conn = conn.clone();
            let order_id = delivery.order_id;
            tokio::spawn(async move { refunds::refund(&conn, &ADMIN, order_id, "", Utc::now()).await.unwrap() })
        };
        let (claimed, refunded) = (claim.await.unwrap(), refund.await.unwrap());
        let RefundOutcome::Refunded { restocked, .. } = refunded else { panic!("{refunded:?}") };
        let stock =
            stock_item::Entity::find().filter(stock_item::Column::PlanId.eq(plan.id)).one(conn).await.unwrap().unwrap();
        match claimed {
            // The claim came first: the refund undid the claimer's subscription.
            ClaimOutcome::Claimed { .. } => {
                assert!(!restocked);
                let sub = subscriptions_of_order(conn, delivery.order_id).await.remove(0);
                assert_eq!(sub.status, SubscriptionStatus::Cancelled);
                assert_eq!(stock.status, StockStatus::Retired);
            }
            ClaimOutcome::Refused(ClaimRefusal::Refunded) => {
                assert!(restocked);
                assert!(subscriptions_of_order(conn, delivery.order_id).await.is_empty());
                assert_eq!(stock.status, StockStatus::Available);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9730).await, Money::from_rupees(129));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_gift_paid_by_a_gateway_brings_the_link_and_renewals_cannot_be_gifts() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9740).await;
        let plan = plan_with_stock(conn, "Gift Jio", 89, 20, 2).await;
        let checkout = purchase::open_checkout(conn, 9740, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        gifts::set_gift(conn, 9740, checkout.order_id, true, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: Money::from_rupees(89) };
        let payment =
            payments::create(conn, 9740, purpose, PaymentChannel::Razorpay, Duration::minutes(30), now).await.unwrap();
        let arrival = Arrival {
            gateway_payment_id: Some("pay_gift".into()),
            amount: Money::from_rupees(89),
            ..Default::default()
        };
        match payments::settle(conn, payment.id, &arrival, now).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), .. } => {
                assert!(delivery.gift.is_some())
            }
            other => panic!("{other:?}"),
        }
        let told = outbox_notices(conn, 9740).await;
        assert!(told.iter().any(|n| matches!(n, Notice::GiftBought { .. })), "{told:?}");
        assert!(!told.iter().any(|n| matches!(n, Notice::LoginDelivered { .. })), "{told:?}");
        assert_eq!(
            subscription::Entity::find().filter(subscription::Column::PlanId.eq(plan.id)).count(conn).await.unwrap(),
            0
        );

        // A renewal extends the customer's own subscription: it cannot be made a gift.
        customer(conn, 9741).await;
        let own = buy(conn, 9741, 89, 20, now).await;
        let sub = subscriptions_of_order(conn, own.order_id).await.remove(0);
        credit(conn, 9741, 89).await;
        let renewal = renewals::open(conn, 9741, sub.id, WhenShort::OpenForPayment, now).await.unwrap();
        let after = gifts::set_gift(conn, 9741, renewal.order_id, true, now).await.unwrap();
        assert!(!after.gift);
        let paid = purchase::confirm(conn, 9741, renewal.order_id, now).await.unwrap();
        assert!(paid.gift.is_none() && paid.renewal.is_some());
        assert_ledger_consistent(conn).await;
    }
}
