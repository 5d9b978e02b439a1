//! Payment links through the (fake) Razorpay API, and reconciliation of lost webhooks.
use chrono::{Duration, Utc};

use ottsonly::domain::Money;
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::services::payments::{self, Purpose, Settlement};
use ottsonly::services::razorpay::{self, RazorpayClient, RazorpayError};

use crate::support::db;
use crate::support::fake_razorpay::FakeRazorpay;
use crate::support::fixtures::{assert_ledger_consistent, balance, customer};

#[tokio::test]
async fn links_are_created_and_a_lost_webhook_is_reconciled() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeRazorpay::start().await;
        let client = RazorpayClient::new(fake.config());
        customer(conn, 9501).await;
        let created_at = Utc::now() - Duration::minutes(20);
        let purpose = Purpose::TopUp { amount: Money::from_paise(13_550) };
        let payment =
            payments::create(conn, 9501, purpose, PaymentChannel::Razorpay, Duration::minutes(30), created_at)
                .await
                .unwrap();
        let link = client.create_link(&payment, "Wallet top-up").await.unwrap();
        payments::attach_link(conn, payment.id, &link.id, &link.short_url).await.unwrap();
        let sent = &fake.links()[0];
        assert_eq!(sent["amount"], 13_550, "paise on the wire");
        assert_eq!(sent["reference_id"], payment.reference.as_str());
        assert_eq!(sent["notes"]["payment_reference"], payment.reference.as_str());
        assert_eq!(sent["expire_by"], payment.expires_at.timestamp());

        // Not paid yet: reconciliation changes nothing.
        let now = Utc::now();
        assert!(razorpay::reconcile(conn, &client, Duration::minutes(10), now).await.unwrap().is_empty());
        fake.pay(&link.id, "pay_lost_webhook");
        // Too recent for the job's threshold: left for the webhook.
        assert!(razorpay::reconcile(conn, &client, Duration::minutes(30), now).await.unwrap().is_empty());
        let settled = razorpay::reconcile(conn, &client, Duration::minutes(10), now).await.unwrap();
        assert!(matches!(settled.as_slice(), [Settlement::Credited { .. }]), "{settled:?}");
        // Running it again (or concurrently with a late webhook) credits nothing more.
        assert!(razorpay::reconcile(conn, &client, Duration::minutes(10), now).await.unwrap().is_empty());
        assert_eq!(balance(conn, 9501).await, Money::from_paise(13_550));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn wrong_credentials_are_an_error_not_a_panic() {
    let fake = FakeRazorpay::start().await;
    let mut config = fake.config();
    config.key_secret = "wrong".into();
    let client = RazorpayClient::new(config);
    let db = db::TestDb::sqlite().await;
    customer(&db.conn, 9502).await;
    let purpose = Purpose::TopUp { amount: Money::from_rupees(100) };
    let payment =
        payments::create(&db.conn, 9502, purpose, PaymentChannel::Razorpay, Duration::minutes(30), Utc::now())
            .await
            .unwrap();
    match client.create_link(&payment, "x").await {
        Err(RazorpayError::Api { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
}
