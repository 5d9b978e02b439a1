//! Payment links through the (fake) Razorpay API, and reconciliation of lost webhooks.
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use ottsonly::domain::Money;
use ottsonly::entities::payment::{self, PaymentChannel, PaymentStatus};
use ottsonly::services::payments::{self, Arrival, Purpose, Settlement};
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

/// A pending Razorpay payment of `paise` created at `created_at`, with its link at the fake.
async fn open_link(
    conn: &DatabaseConnection,
    client: &RazorpayClient,
    telegram_id: i64,
    paise: i64,
    created_at: DateTime<Utc>,
    valid_for: Duration,
) -> payment::Model {
    let purpose = Purpose::TopUp { amount: Money::from_paise(paise) };
    let payment =
        payments::create(conn, telegram_id, purpose, PaymentChannel::Razorpay, valid_for, created_at).await.unwrap();
    let link = client.create_link(&payment, "Wallet top-up").await.unwrap();
    payments::attach_link(conn, payment.id, &link.id, &link.short_url).await.unwrap();
    reload(conn, &payment).await
}

async fn reload(conn: &DatabaseConnection, payment: &payment::Model) -> payment::Model {
    payments::find_by_reference(conn, &payment.reference).await.unwrap().expect("payment exists")
}

/// (payment id, amount) of every credit among `settled`.
fn credits(settled: &[Settlement]) -> Vec<(i32, Money)> {
    settled
        .iter()
        .filter_map(|s| match s {
            Settlement::Credited { payment, credited, .. } => Some((payment.id, *credited)),
            Settlement::AlreadySettled | Settlement::Refused => None,
        })
        .collect()
}

fn fetched(calls: &[String], payment: &payment::Model) -> usize {
    let call = format!("GET /v1/payment_links/{}", payment.gateway_link_id.as_deref().expect("a link"));
    calls.iter().filter(|c| **c == call).count()
}

/// Runs `reconcile` once at `now`; returns what it settled and the API calls it made, which
/// must stay within the bound whatever is pending.
async fn run(
    conn: &DatabaseConnection,
    client: &RazorpayClient,
    fake: &FakeRazorpay,
    now: DateTime<Utc>,
) -> (Vec<Settlement>, Vec<String>) {
    fake.take_calls();
    let settled = razorpay::reconcile(conn, client, Duration::minutes(10), now).await.unwrap();
    let calls = fake.take_calls();
    assert!(
        calls.len() as u64 <= razorpay::LIST_PAGES + razorpay::RECONCILE_BATCH,
        "{} API calls in one run: {calls:?}",
        calls.len()
    );
    (settled, calls)
}

#[tokio::test]
async fn a_lost_webhook_is_settled_within_two_runs_among_many_abandoned_links() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeRazorpay::start().await;
        let client = RazorpayClient::new(fake.config());
        customer(conn, 9511).await;
        let created_at = Utc::now() - Duration::minutes(20);
        let mut abandoned = Vec::new();
        for _ in 0..3 * razorpay::RECONCILE_BATCH {
            abandoned.push(open_link(conn, &client, 9511, 10_000, created_at, Duration::minutes(30)).await);
        }
        // The newest link is the one paid: its webhook never came.
        let paid = open_link(conn, &client, 9511, 13_550, created_at, Duration::minutes(30)).await;
        fake.pay(paid.gateway_link_id.as_deref().unwrap(), "pay_lost_among_many");

        let mut credited = Vec::new();
        for _ in 0..2 {
            let (settled, _) = run(conn, &client, &fake, Utc::now()).await;
            credited.extend(credits(&settled));
        }
        assert_eq!(credited, vec![(paid.id, Money::from_paise(13_550))], "settled exactly once");
        let (settled, _) = run(conn, &client, &fake, Utc::now()).await;
        assert!(credits(&settled).is_empty(), "{settled:?}");

        let paid = reload(conn, &paid).await;
        assert_eq!(paid.status, PaymentStatus::Paid);
        assert_eq!(paid.gateway_payment_id.as_deref(), Some("pay_lost_among_many"));
        for link in &abandoned {
            assert_eq!(reload(conn, link).await.status, PaymentStatus::Pending, "{}", link.reference);
        }
        assert_eq!(balance(conn, 9511).await, Money::from_paise(13_550));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_lost_webhook_behind_a_full_page_of_paid_orders_is_found() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeRazorpay::start().await;
        let client = RazorpayClient::new(fake.config());
        customer(conn, 9531).await;
        let created_at = Utc::now() - Duration::minutes(20);
        let lost = open_link(conn, &client, 9531, 20_000, created_at, Duration::minutes(30)).await;
        fake.pay(lost.gateway_link_id.as_deref().unwrap(), "pay_lost_first");
        // Paid after it, their webhooks arrived: the lost one's order is on the second page.
        let others = razorpay::ORDERS_PAGE + 10;
        for n in 0..others {
            let link = open_link(conn, &client, 9531, 100, created_at, Duration::minutes(30)).await;
            let gateway_id = format!("pay_webhook_{n}");
            fake.pay(link.gateway_link_id.as_deref().unwrap(), &gateway_id);
            let arrival = Arrival {
                gateway_payment_id: Some(gateway_id),
                amount: Money::from_paise(100),
                payer_vpa: None,
                paid_at: Some(Utc::now()),
            };
            assert!(matches!(
                payments::settle(conn, link.id, &arrival, Utc::now()).await.unwrap(),
                Settlement::Credited { .. }
            ));
        }

        let (settled, calls) = run(conn, &client, &fake, Utc::now()).await;
        assert_eq!(credits(&settled), vec![(lost.id, Money::from_paise(20_000))]);
        assert_eq!(calls.iter().filter(|c| c.starts_with("GET /v1/orders?")).count(), 2, "{calls:?}");
        assert_eq!(fetched(&calls, &lost), 1);
        assert_eq!(balance(conn, 9531).await, Money::from_paise(20_000 + 100 * others as i64));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn links_past_the_late_capture_window_are_closed_once_and_not_fetched_again() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeRazorpay::start().await;
        let client = RazorpayClient::new(fake.config());
        customer(conn, 9521).await;
        let now = Utc::now();
        let created_at = now - Duration::minutes(20);
        let abandoned = open_link(conn, &client, 9521, 10_000, created_at, Duration::minutes(30)).await;
        let failed = open_link(conn, &client, 9521, 11_000, created_at, Duration::minutes(30)).await;
        payments::mark_failed(conn, failed.id, now).await.unwrap();
        // Paid, its webhook lost, and somehow never seen by a sweep: the last look finds it.
        let paid = open_link(conn, &client, 9521, 12_000, created_at, Duration::minutes(30)).await;
        fake.pay(paid.gateway_link_id.as_deref().unwrap(), "pay_seen_at_last_look");
        // Its link could not be made: nothing to ask Razorpay.
        let purpose = Purpose::TopUp { amount: Money::from_paise(13_000) };
        let linkless =
            payments::create(conn, 9521, purpose, PaymentChannel::Razorpay, Duration::minutes(30), created_at)
                .await
                .unwrap();
        // Authorised at the bank, not captured yet: money may still come, so it stays open.
        let authorized = open_link(conn, &client, 9521, 15_000, created_at, Duration::minutes(30)).await;
        fake.authorize(authorized.gateway_link_id.as_deref().unwrap(), "pay_slow_bank");
        // Expired too, but still within the late-capture window at `later`.
        let late_but_open = open_link(conn, &client, 9521, 14_000, created_at, Duration::hours(2)).await;

        let later = now + razorpay::LATE_CAPTURE_WINDOW + Duration::hours(1);
        // Razorpay refuses us: nothing it could not confirm is closed.
        let mut refused = fake.config();
        refused.key_secret = "wrong".into();
        let refused = RazorpayClient::new(refused);
        assert!(credits(&run(conn, &refused, &fake, later).await.0).is_empty());
        for open in [&abandoned, &failed, &paid, &authorized, &late_but_open] {
            assert_ne!(reload(conn, open).await.status, PaymentStatus::Expired, "{}", open.reference);
        }

        let (settled, calls) = run(conn, &client, &fake, later).await;
        assert_eq!(credits(&settled), vec![(paid.id, Money::from_paise(12_000))]);
        assert_eq!((fetched(&calls, &abandoned), fetched(&calls, &failed), fetched(&calls, &paid)), (1, 1, 1));
        assert_eq!(fetched(&calls, &late_but_open), 0, "{calls:?}");
        assert_eq!(reload(conn, &abandoned).await.status, PaymentStatus::Expired);
        assert_eq!(reload(conn, &failed).await.status, PaymentStatus::Expired);
        assert_eq!(reload(conn, &linkless).await.status, PaymentStatus::Expired);
        assert_eq!(reload(conn, &paid).await.status, PaymentStatus::Paid);
        assert_eq!(reload(conn, &late_but_open).await.status, PaymentStatus::Pending);
        assert_eq!(reload(conn, &authorized).await.status, PaymentStatus::Pending);
        assert_eq!(fetched(&calls, &authorized), 1);
        let pending =
            payments::pending_links(conn, later, later - razorpay::LATE_CAPTURE_WINDOW, None, 100).await.unwrap();
        assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), vec![late_but_open.id]);

        // The bank captures it: the next last look settles it.
        fake.pay(authorized.gateway_link_id.as_deref().unwrap(), "pay_slow_bank");
        let (settled, _) = run(conn, &client, &fake, later).await;
        assert_eq!(credits(&settled), vec![(authorized.id, Money::from_paise(15_000))]);
        assert_eq!(reload(conn, &authorized).await.status, PaymentStatus::Paid);

        // Closed for good: later runs leave them alone.
        for _ in 0..2 {
            let (settled, calls) = run(conn, &client, &fake, later).await;
            assert!(settled.is_empty(), "{settled:?}");
            let again = [&abandoned, &failed, &paid, &authorized].map(|p| fetched(&calls, p));
            assert_eq!(again, [0; 4], "{calls:?}");
            assert_eq!(reload(conn, &abandoned).await.status, PaymentStatus::Expired);
        }
        assert_eq!(balance(conn, 9521).await, Money::from_paise(12_000 + 15_000));
        assert_ledger_consistent(conn).await;
    }
}
