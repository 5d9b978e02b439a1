//! UPI by UTR: claims, the one-open-claim and one-use-per-UTR rules, and approvals racing.
use chrono::{Duration, Utc};

use ottsonly::config::UpiConfig;
use ottsonly::domain::Money;
use ottsonly::entities::upi_claim::ClaimStatus;
use ottsonly::services::payments::{PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::upi::{self, ClaimOutcome, Decision};

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, balance, customer, plan_with_stock, ADMIN};

fn config() -> UpiConfig {
    UpiConfig { vpa: "shop@okicici".into(), payee_name: "OTT Shop".into() }
}

fn created(outcome: ClaimOutcome) -> i32 {
    match outcome {
        ClaimOutcome::Created { claim, .. } => claim.id,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_utr_claim_is_approved_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9701).await;
        customer(conn, 9702).await;
        let window = Duration::hours(24);
        let topup = Purpose::TopUp { amount: Money::from_rupees(300) };
        let payment = upi::start(conn, 9701, topup, window, now).await.unwrap();

        let link = upi::link_for_reference(conn, &config(), &payment.reference, now).await.unwrap().unwrap();
        assert_eq!(
            link,
            format!("upi://pay?pa=shop@okicici&pn=OTT%20Shop&am=300.00&cu=INR&tn={0}&tr={0}", payment.reference)
        );
        assert!(upi::link_for_reference(conn, &config(), "PAYNOSUCH234", now).await.unwrap().is_none());

        for bad in ["12345", "12345678901a", "1234567890123", ""] {
            assert_eq!(upi::claim(conn, 9701, payment.id, bad, None, now).await.unwrap(), ClaimOutcome::BadUtr);
        }
        assert_eq!(
            upi::claim(conn, 9702, payment.id, "123456789012", None, now).await.unwrap(),
            ClaimOutcome::PaymentNotOpen,
            "not their payment"
        );
        let claim_id =
            created(upi::claim(conn, 9701, payment.id, "1234 5678 9012", Some("file1".into()), now).await.unwrap());

        // One open claim per customer; one use per UTR across everyone.
        let second = upi::start(conn, 9701, topup, window, now).await.unwrap();
        assert_eq!(
            upi::claim(conn, 9701, second.id, "999999999999", None, now).await.unwrap(),
            ClaimOutcome::OpenClaimExists
        );
        let theirs = upi::start(conn, 9702, topup, window, now).await.unwrap();
        assert_eq!(upi::claim(conn, 9702, theirs.id, "123456789012", None, now).await.unwrap(), ClaimOutcome::UtrUsed);

        // Two admins (and a replayed callback) approve at once: one credit.
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { upi::approve(&conn, &ADMIN, claim_id, Utc::now()).await })
            })
            .collect();
        let mut approved = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Decision::Approved { settlement: Settlement::Credited { credited, .. }, .. } => {
                    assert_eq!(credited, Money::from_rupees(300));
                    approved += 1;
                }
                Decision::AlreadyDecided { status: ClaimStatus::Approved } => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(approved, 1, "{}", db.backend);
        assert_eq!(balance(conn, 9701).await, Money::from_rupees(300));
        assert!(matches!(
            upi::reject(conn, &ADMIN, claim_id, "late", now).await.unwrap(),
            Decision::AlreadyDecided { status: ClaimStatus::Approved }
        ));
        // The claim is closed: the customer may claim their second payment now.
        created(upi::claim(conn, 9701, second.id, "999999999999", None, now).await.unwrap());
        assert!(upi::link_for_reference(conn, &config(), &payment.reference, now).await.unwrap().is_none(), "paid");
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn rejection_keeps_the_payment_open_and_approval_completes_a_purchase() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9801).await;
        let plan = plan_with_stock(conn, "SonyLIV", 99, 20, 1).await;
        let checkout = purchase::open_checkout(conn, 9801, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment = upi::start(conn, 9801, purpose, Duration::hours(24), now).await.unwrap();

        let wrong = created(upi::claim(conn, 9801, payment.id, "111111111111", None, now).await.unwrap());
        match upi::reject(conn, &ADMIN, wrong, "UTR not in our statement", now).await.unwrap() {
            Decision::Rejected { claim, customer_telegram_id } => {
                assert_eq!(claim.reason.as_deref(), Some("UTR not in our statement"));
                assert_eq!(customer_telegram_id, 9801);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9801).await, Money::ZERO);

        // A wrongly rejected UTR can be sent again (the bank statement was late).
        let right = created(upi::claim(conn, 9801, payment.id, "111111111111", None, now).await.unwrap());
        match upi::approve(conn, &ADMIN, right, now).await.unwrap() {
            Decision::Approved {
                settlement: Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), .. },
                ..
            } => assert_eq!(delivery.credential, "SonyLIV-0@mail.test:pw0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 9801).await, Money::ZERO);
        // Past the claim window a payment can no longer be claimed.
        let late = upi::start(conn, 9801, Purpose::TopUp { amount: Money::from_rupees(50) }, Duration::hours(24), now)
            .await
            .unwrap();
        assert_eq!(
            upi::claim(conn, 9801, late.id, "333333333333", None, now + Duration::hours(25)).await.unwrap(),
            ClaimOutcome::PaymentNotOpen
        );
        assert!(matches!(upi::approve(conn, &ADMIN, 999_999, now).await.unwrap(), Decision::UnknownClaim));
        assert_ledger_consistent(conn).await;
    }
}
