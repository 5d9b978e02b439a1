//! Promo codes and discounts on both databases: a code's discount is what the customer pays
//! less, the order keeps list price, discount and code, commission is on the price paid less
//! cost (none when that is not positive), a refund returns the price paid; total and
//! per-customer limits hold under concurrent checkouts; every refusal has its reason; the
//! referee discount comes by itself on a first order and the larger discount wins.
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};

use ottsonly::domain::promo::{self, Refusal};
use ottsonly::domain::Money;
use ottsonly::entities::order::{self, DiscountKind, OrderStatus};
use ottsonly::entities::promo_code;
use ottsonly::services::promos::{self, ApplyOutcome, CreateOutcome, DisableOutcome};
use ottsonly::services::purchase::{self, PurchaseError, WhenShort};
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::{settings, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock, referee, ADMIN};

async fn code(conn: &DatabaseConnection, line: &str) -> promo_code::Model {
    let draft = promo::parse_draft(line, Utc::now() - Duration::minutes(1)).unwrap();
    match promos::create(conn, &ADMIN, &draft, Utc::now()).await.unwrap() {
        CreateOutcome::Created(code) => code,
        CreateOutcome::CodeTaken => panic!("{line}: taken"),
    }
}

async fn order_row(conn: &DatabaseConnection, id: i32) -> order::Model {
    order::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

/// `who` opens a checkout for `plan` and applies `input`.
async fn applied(conn: &DatabaseConnection, who: i64, plan: i32, input: &str) -> Result<i32, Refusal> {
    let checkout = purchase::open_checkout(conn, who, plan, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
    match promos::apply(conn, who, checkout.order_id, input, Utc::now()).await.unwrap() {
        ApplyOutcome::Applied { checkout, .. } => Ok(checkout.order_id),
        ApplyOutcome::Refused(refusal) => Err(refusal),
    }
}

#[tokio::test]
async fn a_code_lowers_the_price_paid_and_the_commission_and_a_refund_returns_what_was_paid() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9601).await;
        referee(conn, 9602, 9601, now).await;
        let plan = plan_with_stock(conn, "Promo Netflix", 149, 40, 3).await;
        code(conn, "save20 20%").await;
        let order_id = applied(conn, 9602, plan.id, "  Save20 ").await.unwrap();
        let row = order_row(conn, order_id).await;
        assert_eq!((row.list_price, row.discount, row.price), (14_900, 2_980, 11_920));
        assert_eq!(row.discount_kind, Some(DiscountKind::Promo));
        let checkout = purchase::pending_checkout(conn, 9602, order_id, now).await.unwrap();
        let shown = checkout.discount.unwrap();
        assert_eq!((shown.amount, shown.code.as_deref()), (Money::from_paise(2_980), Some("SAVE20")));

        credit(conn, 9602, 200).await;
        let delivery = purchase::confirm(conn, 9602, order_id, now).await.unwrap();
        assert_eq!(delivery.price, Money::from_paise(11_920));
        // 30% of (119.20 - 40) = 23.76, rounded to ₹24.
        assert_eq!(delivery.commissions[0].amount, Money::from_rupees(24));
        assert_eq!(balance(conn, 9602).await, Money::from_paise(20_000 - 11_920));
        // The export shows the list price, the discount, the code and what was paid.
        let today = ottsonly::domain::report::ist_date(now);
        let range = ottsonly::domain::report::DateRange::new(today, today).unwrap();
        let mut csv = Vec::new();
        let export =
            ottsonly::services::exports::open(conn, &ADMIN, ottsonly::services::exports::ExportKind::Orders, range);
        export.unwrap().write_to(&mut csv).await.unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(
            csv.contains(&format!("{order_id},")) && csv.contains(",149.00,29.80,SAVE20,119.20,40.00,79.20,wallet"),
            "{csv}"
        );
        let refunded = refunds::refund(conn, &ADMIN, order_id, "", now).await.unwrap();
        assert!(matches!(refunded, RefundOutcome::Refunded { amount, .. } if amount == Money::from_paise(11_920)));
        assert_eq!(balance(conn, 9602).await, Money::from_rupees(200));

        // A discount that leaves no profit pays no commission.
        customer(conn, 9603).await;
        referee(conn, 9604, 9603, now).await;
        code(conn, "BIG 120").await;
        let big = applied(conn, 9604, plan.id, "big").await.unwrap();
        credit(conn, 9604, 100).await;
        let delivery = purchase::confirm(conn, 9604, big, now).await.unwrap();
        assert_eq!(delivery.price, Money::from_rupees(29));
        assert!(delivery.commissions.is_empty(), "{:?}", delivery.commissions);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_never_pass_the_total_limit() {
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Promo Hotstar", 299, 100, 10).await;
        let limited = code(conn, "TWO 50% uses=2").await;
        let mut orders = Vec::new();
        for who in 9610..9615 {
            customer(conn, who).await;
            credit(conn, who, 299).await;
            orders.push((who, applied(conn, who, plan.id, "TWO").await.unwrap()));
        }
        let tasks: Vec<_> = orders
            .iter()
            .map(|&(who, order_id)| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, who, order_id, Utc::now()).await })
            })
            .collect();
        let (mut discounted, mut gone) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(delivery) => {
                    assert_eq!(delivery.price, Money::from_paise(14_950));
                    discounted += 1;
                }
                Err(PurchaseError::DiscountGone(Refusal::UsedUp)) => gone += 1,
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!((discounted, gone), (2, 3), "{}", db.backend);
        assert_eq!(promo_code::Entity::find_by_id(limited.id).one(conn).await.unwrap().unwrap().uses, 2);
        // The others are back at the list price, still open, and can be bought at it.
        for (who, order_id) in orders {
            let row = order_row(conn, order_id).await;
            if row.status == OrderStatus::Pending {
                assert_eq!((row.price, row.discount, row.promo_code_id), (29_900, 0, None));
                purchase::confirm(conn, who, order_id, Utc::now()).await.unwrap();
            }
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_customer_racing_two_checkouts_uses_a_code_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9620).await;
        credit(conn, 9620, 1000).await;
        let (a, b) =
            (plan_with_stock(conn, "Promo A", 199, 50, 2).await, plan_with_stock(conn, "Promo B", 199, 50, 2).await);
        code(conn, "ONCE 10%").await;
        let first = applied(conn, 9620, a.id, "ONCE").await.unwrap();
        let second = applied(conn, 9620, b.id, "ONCE").await.unwrap();
        let tasks: Vec<_> = [first, second]
            .into_iter()
            .map(|order_id| {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, 9620, order_id, Utc::now()).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap().map(|d| d.price));
        }
        let paid = outcomes.iter().filter(|o| matches!(o, Ok(p) if *p == Money::from_paise(17_910))).count();
        let refused =
            outcomes.iter().filter(|o| matches!(o, Err(PurchaseError::DiscountGone(Refusal::UsedByYou)))).count();
        assert_eq!((paid, refused), (1, 1), "{}: {outcomes:?}", db.backend);
        assert_eq!(applied(conn, 9620, a.id, "ONCE").await, Err(Refusal::UsedByYou));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn each_refusal_says_why_and_only_admins_make_codes() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9630).await;
        let plan = plan_with_stock(conn, "Promo C", 99, 20, 3).await;
        let other = plan_with_stock(conn, "Promo D", 99, 20, 1).await;
        code(conn, &format!("ONLYD 10% plans={}", other.id)).await;
        code(conn, "RICH 10% min=500").await;
        code(conn, "LATER 10% from=2099-01-01").await;
        let gone = code(conn, "GONE 10%").await;
        promos::disable(conn, &ADMIN, gone.id, now).await.unwrap();
        assert!(matches!(promos::disable(conn, &ADMIN, gone.id, now).await.unwrap(), DisableOutcome::AlreadyOff(_)));
        let old = promo::parse_draft("OLD 10% until=2020-01-02", Utc::now() - Duration::days(3000)).unwrap();
        promos::create(conn, &ADMIN, &old, now).await.unwrap();
        code(conn, "NEWBIE 10% first").await;
        for (input, refusal) in [
            ("NOPE", Refusal::Unknown),
            ("x", Refusal::Unknown),
            ("ONLYD", Refusal::NotForPlan),
            ("RICH", Refusal::BelowMinimum),
            ("LATER", Refusal::NotYet),
            ("GONE", Refusal::Disabled),
            ("OLD", Refusal::Expired),
        ] {
            assert_eq!(applied(conn, 9630, plan.id, input).await, Err(refusal), "{input}");
        }
        assert!(applied(conn, 9630, plan.id, "NEWBIE").await.is_ok());
        credit(conn, 9630, 99).await;
        let checkout = purchase::open_checkout(conn, 9630, plan.id, WhenShort::Refuse, now).await.unwrap();
        purchase::confirm(conn, 9630, checkout.order_id, now).await.unwrap();
        assert_eq!(applied(conn, 9630, plan.id, "NEWBIE").await, Err(Refusal::FirstPurchaseOnly));

        let draft = promo::parse_draft("MINE 90%", now).unwrap();
        let support = Actor::new(5, ottsonly::entities::user::Role::Support, ottsonly::domain::Lang::En);
        assert!(matches!(promos::create(conn, &support, &draft, now).await, Err(ActError::Forbidden { .. })));
        assert!(matches!(
            promos::create(conn, &ADMIN, &promo::parse_draft("ONLYD 5%", now).unwrap(), now).await.unwrap(),
            CreateOutcome::CodeTaken
        ));
    }
}

#[tokio::test]
async fn a_referred_customers_first_order_gets_the_referee_discount_and_the_larger_discount_wins() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        settings::set(conn, "referral.referee_discount", "10", now).await.unwrap();
        customer(conn, 9640).await;
        referee(conn, 9641, 9640, now).await;
        customer(conn, 9642).await;
        let plan = plan_with_stock(conn, "Promo E", 200, 50, 3).await;
        let welcome = purchase::open_checkout(conn, 9641, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let discount = welcome.discount.clone().unwrap();
        assert_eq!((discount.amount, discount.code), (Money::from_rupees(20), None));
        assert_eq!(welcome.price, Money::from_rupees(180));
        let unreferred = purchase::open_checkout(conn, 9642, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        assert_eq!((unreferred.price, unreferred.discount), (Money::from_rupees(200), None));

        code(conn, "FIVE 5%").await;
        code(conn, "FIFTEEN 15%").await;
        assert_eq!(applied(conn, 9641, plan.id, "FIVE").await, Err(Refusal::NotBetter));
        let order_id = applied(conn, 9641, plan.id, "FIFTEEN").await.unwrap();
        assert_eq!(order_id, welcome.order_id, "the same checkout");
        assert_eq!(order_row(conn, order_id).await.price, 17_000);
        // Taking the code off brings the welcome discount back.
        let back = promos::remove(conn, 9641, order_id, now).await.unwrap();
        assert_eq!(back.price, Money::from_rupees(180));
        credit(conn, 9641, 400).await;
        purchase::confirm(conn, 9641, order_id, now).await.unwrap();
        let next = purchase::open_checkout(conn, 9641, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        assert_eq!((next.price, next.discount), (Money::from_rupees(200), None), "only the first order");
        assert_ledger_consistent(conn).await;
    }
}
