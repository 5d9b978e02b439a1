//! `POST /webhooks/razorpay` against a real database: signatures, replays, races, bad input.
use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use ottsonly::domain::Money;
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::{gateway_event, ledger_entry, order};
use ottsonly::http::{router, HttpState};
use ottsonly::services::outbox::{GatewayRefusal, NotBought, Notice};
use ottsonly::services::payments::{self, Purpose};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::razorpay::signature;

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, outbox_notices, plan_with_stock, ADMIN,
};

const SECRET: &str = "whsec_integration";

struct Server {
    base: String,
    http: reqwest::Client,
}

async fn serve(db: &sea_orm::DatabaseConnection, secret: Option<&str>) -> Server {
    let state = HttpState {
        db: db.clone(),
        razorpay_webhook_secret: secret.map(str::to_owned),
        outbox_wake: Default::default(),
        upi: None,
        telegram: None,
        dashboard: Default::default(),
        metrics_token: None,
        telegram_webhook: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    Server { base: format!("http://{addr}"), http: reqwest::Client::new() }
}

impl Server {
    async fn post(&self, body: &[u8], signature: Option<&str>, event_id: Option<&str>) -> u16 {
        let mut request = self.http.post(format!("{}/webhooks/razorpay", self.base)).body(body.to_vec());
        if let Some(sig) = signature {
            request = request.header("X-Razorpay-Signature", sig);
        }
        if let Some(id) = event_id {
            request = request.header("x-razorpay-event-id", id);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn deliver(&self, body: &str, event_id: &str) -> u16 {
        self.post(body.as_bytes(), Some(&signature::sign(SECRET, body.as_bytes())), Some(event_id)).await
    }

    /// The same signed body, once per event id, all at the same time.
    async fn deliver_concurrently(&self, body: &str, event_ids: Vec<String>) -> Vec<u16> {
        let tasks: Vec<_> = event_ids
            .into_iter()
            .map(|event_id| {
                let (http, base, body) = (self.http.clone(), self.base.clone(), body.to_owned());
                tokio::spawn(async move {
                    http.post(format!("{base}/webhooks/razorpay"))
                        .header("X-Razorpay-Signature", signature::sign(SECRET, body.as_bytes()))
                        .header("x-razorpay-event-id", event_id)
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        statuses
    }
}

fn captured(reference: &str, pay_id: &str, paise: i64) -> String {
    json!({
        "entity": "event", "event": "payment.captured", "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": pay_id, "entity": "payment", "amount": paise, "currency": "INR", "status": "captured",
            "method": "upi", "vpa": "payer@okhdfc", "created_at": Utc::now().timestamp(),
            "notes": { "payment_reference": reference }
        } } },
        "created_at": Utc::now().timestamp()
    })
    .to_string()
}

fn link_paid(link_id: &str, pay_id: &str, paise: i64) -> String {
    json!({
        "event": "payment_link.paid",
        "payload": {
            "payment_link": { "entity": { "id": link_id, "amount_paid": paise, "status": "paid", "notes": [] } },
            "payment": { "entity": { "id": pay_id, "amount": paise, "status": "captured", "notes": null } }
        }
    })
    .to_string()
}

async fn topup(
    conn: &sea_orm::DatabaseConnection,
    telegram_id: i64,
    rupees: i64,
) -> ottsonly::entities::payment::Model {
    customer(conn, telegram_id).await;
    let purpose = Purpose::TopUp { amount: Money::from_rupees(rupees) };
    payments::create(conn, telegram_id, purpose, PaymentChannel::Razorpay, Duration::minutes(30), Utc::now())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_signed_webhooks_move_money_and_replays_credit_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let server = serve(conn, Some(SECRET)).await;
        let payment = topup(conn, 9101, 250).await;
        let body = captured(&payment.reference, "pay_W1", 25_000);

        assert_eq!(server.post(body.as_bytes(), None, Some("evt_1")).await, 400, "missing signature");
        let forged = signature::sign("not-the-secret", body.as_bytes());
        assert_eq!(server.post(body.as_bytes(), Some(&forged), Some("evt_1")).await, 400, "wrong secret");
        let mut tampered = body.clone().into_bytes();
        tampered[10] ^= 1;
        let sig = signature::sign(SECRET, body.as_bytes());
        assert_eq!(server.post(&tampered, Some(&sig), Some("evt_1")).await, 400, "one byte changed");
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 0);

        for _ in 0..10 {
            assert_eq!(server.deliver(&body, "evt_1").await, 200);
        }
        let retries: Vec<String> = (0..10).map(|n| format!("evt_retry_{n}")).collect();
        for status in server.deliver_concurrently(&body, retries).await {
            assert_eq!(status, 200);
        }
        // The very same delivery (same event id) ten times at once.
        for status in server.deliver_concurrently(&body, vec!["evt_same".to_owned(); 10]).await {
            assert_eq!(status, 200);
        }
        // An event that names only the Razorpay payment id still finds our payment.
        let bare = json!({ "event": "payment.captured", "payload": { "payment": { "entity": {
            "id": "pay_W1", "amount": 25_000, "currency": "INR", "status": "captured", "notes": [] } } } })
        .to_string();
        assert_eq!(server.deliver(&bare, "evt_bare").await, 200);
        let recorded = gateway_event::Entity::find().all(conn).await.unwrap();
        assert!(recorded.iter().any(|e| e.event_key == "evt_bare" && e.payment_id == Some(payment.id)));
        // Each event id once, the ones that found the payment settled as well as the first:
        // a settlement that credits nothing is undone without undoing its event's record.
        let mut keys: Vec<_> = recorded.iter().map(|e| e.event_key.as_str()).collect();
        keys.sort_unstable();
        let mut expected: Vec<String> = ["evt_1", "evt_same", "evt_bare"].map(String::from).into();
        expected.extend((0..10).map(|n| format!("evt_retry_{n}")));
        expected.sort_unstable();
        assert_eq!(keys, expected, "{}", db.backend);
        assert_eq!(balance(conn, 9101).await, Money::from_rupees(250), "{}", db.backend);
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 1);
        match outbox_notices(conn, 9101).await.as_slice() {
            [Notice::PaymentReceived { amount, .. }] => assert_eq!(*amount, Money::from_rupees(250).paise()),
            other => panic!("one notice for one credit: {other:?}"),
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn captured_and_link_paid_in_either_order_make_one_order() {
    for db in db::all().await {
        let conn = &db.conn;
        let server = serve(conn, Some(SECRET)).await;
        let plan = plan_with_stock(conn, "Hotstar", 135, 42, 5).await;
        for (n, captured_first) in [(0, true), (1, false)] {
            let tg = 9200 + n;
            customer(conn, tg).await;
            credit(conn, tg, 100).await;
            let checkout =
                purchase::open_checkout(conn, tg, plan.id, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
            let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.shortfall() };
            let payment =
                payments::create(conn, tg, purpose, PaymentChannel::Razorpay, Duration::minutes(30), Utc::now())
                    .await
                    .unwrap();
            let link_id = format!("plink_{n}");
            payments::attach_link(conn, payment.id, &link_id, "https://rzp.io/i/x").await.unwrap();
            let pay_id = format!("pay_both_{n}");
            let a = captured(&payment.reference, &pay_id, 3_500);
            let b = link_paid(&link_id, &pay_id, 3_500);
            let (first, second) = if captured_first { (a, b) } else { (b, a) };
            assert_eq!(server.deliver(&first, &format!("evt_a{n}")).await, 200);
            assert_eq!(server.deliver(&second, &format!("evt_b{n}")).await, 200);
            assert_eq!(balance(conn, tg).await, Money::ZERO, "{}", db.backend);
            let order = order::Entity::find_by_id(checkout.order_id).one(conn).await.unwrap().unwrap();
            assert_eq!(order.status, order::OrderStatus::Paid);
        }
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 2 * 3, "credit, payment, purchase each");
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn order_paid_is_matched_by_the_receipt_and_other_currencies_are_refused() {
    for db in db::all().await {
        let conn = &db.conn;
        let server = serve(conn, Some(SECRET)).await;
        let payment = topup(conn, 9501, 120).await;
        let dollars = captured(&payment.reference, "pay_usd", 12_000).replace("\"INR\"", "\"USD\"");
        assert_eq!(server.deliver(&dollars, "o0").await, 200);
        assert_eq!(balance(conn, 9501).await, Money::ZERO, "not INR: recorded, not credited");
        let body = json!({ "event": "order.paid", "payload": {
            "order": { "entity": { "id": "order_1", "receipt": payment.reference, "notes": [] } },
            "payment": { "entity": { "id": "pay_order", "amount": 12_000, "currency": "INR", "status": "captured" } }
        } })
        .to_string();
        assert_eq!(server.deliver(&body, "o1").await, 200);
        assert_eq!(balance(conn, 9501).await, Money::from_rupees(120));
    }
}

#[tokio::test]
async fn bad_input_never_crashes_or_moves_money() {
    for db in db::all().await {
        let conn = &db.conn;
        let server = serve(conn, Some(SECRET)).await;
        let payment = topup(conn, 9301, 100).await;
        let signed = |body: &[u8]| signature::sign(SECRET, body);

        assert_eq!(server.post(b"", Some(&signed(b"")), Some("e1")).await, 400, "empty body");
        let huge = vec![b'x'; 2 * 1024 * 1024];
        assert_eq!(server.post(&huge, Some(&signed(&huge)), Some("e2")).await, 413, "huge body");
        assert_eq!(server.post(b"{not json", Some(&signed(b"{not json")), Some("e3")).await, 400);
        let wrong_shape = br#"{"event":"payment.captured","payload":{"payment":{"entity":{"id":5}}}}"#;
        assert_eq!(server.post(wrong_shape, Some(&signed(wrong_shape)), Some("e4")).await, 400);
        let unknown = r#"{"event":"subscription.charged","payload":{}}"#;
        assert_eq!(server.deliver(unknown, "e5").await, 200, "unknown events are acknowledged");
        let stranger = captured("PAYNOTOURS22", "pay_stranger", 100);
        assert_eq!(server.deliver(&stranger, "e6").await, 200, "a payment that is not ours is acknowledged");

        // A failure is recorded, a later capture still counts; a refund is recorded.
        let failed = captured(&payment.reference, "pay_F", 10_000).replace("payment.captured", "payment.failed");
        assert_eq!(server.deliver(&failed, "e7").await, 200);
        assert_eq!(balance(conn, 9301).await, Money::ZERO);
        assert_eq!(server.deliver(&captured(&payment.reference, "pay_F", 10_000), "e8").await, 200);
        assert_eq!(balance(conn, 9301).await, Money::from_rupees(100));
        let refund = r#"{"event":"refund.processed","payload":{"refund":{"entity":{"id":"rfnd_1","amount":100}}}}"#;
        assert_eq!(server.deliver(refund, "e9").await, 200);

        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), 1);
        assert_eq!(gateway_event::Entity::find().count(conn).await.unwrap(), 5, "e5..e9 recorded");
        let health = reqwest::get(format!("{}/health", server.base)).await.unwrap();
        assert_eq!(health.status(), 200, "still serving");

        let unconfigured = serve(conn, None).await;
        assert_eq!(unconfigured.deliver(unknown, "e10").await, 404);
    }
}

#[tokio::test]
async fn a_payment_for_a_sold_out_plan_stays_in_the_wallet() {
    for db in db::all().await {
        let conn = &db.conn;
        let server = serve(conn, Some(SECRET)).await;
        let plan = plan_with_stock(conn, "Last", 100, 30, 1).await;
        customer(conn, 9401).await;
        let checkout =
            purchase::open_checkout(conn, 9401, plan.id, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment =
            payments::create(conn, 9401, purpose, PaymentChannel::Razorpay, Duration::minutes(30), Utc::now())
                .await
                .unwrap();
        customer(conn, 9402).await;
        credit(conn, 9402, 100).await;
        let other = purchase::open_checkout(conn, 9402, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
        purchase::confirm(conn, 9402, other.order_id, Utc::now()).await.unwrap();

        assert_eq!(server.deliver(&captured(&payment.reference, "pay_S", 10_000), "s1").await, 200);
        assert_eq!(balance(conn, 9401).await, Money::from_rupees(100));
        match outbox_notices(conn, 9401).await.as_slice() {
            [Notice::PaymentReceived { menu: false, .. }, Notice::PurchaseNotCompleted { why: NotBought::SoldOut { .. }, .. }] =>
                {}
            other => panic!("{other:?}"),
        }
    }
}

/// Staff alerts about refused Razorpay events, oldest first.
async fn refused_alerts(conn: &sea_orm::DatabaseConnection) -> Vec<Notice> {
    outbox_notices(conn, ADMIN.telegram_id)
        .await
        .into_iter()
        .filter(|n| matches!(n, Notice::GatewayRefusedAlert { .. }))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_event_alerts_the_staff_once_however_often_it_comes() {
    for db in db::all().await {
        let conn = &db.conn;
        ottsonly::services::users::sync_staff_from_config(conn, &BTreeSet::from([ADMIN.telegram_id]), None, Utc::now())
            .await
            .unwrap();
        let server = serve(conn, Some(SECRET)).await;
        let payment = topup(conn, 9601, 120).await;

        // Another currency: refused, and Razorpay repeats it, one after the other and all at once.
        let dollars = captured(&payment.reference, "pay_usd", 12_000).replace("\"INR\"", "\"USD\"");
        for _ in 0..3 {
            assert_eq!(server.deliver(&dollars, "evt_usd").await, 200);
        }
        for status in server.deliver_concurrently(&dollars, vec!["evt_usd_2".to_owned(); 8]).await {
            assert_eq!(status, 200);
        }
        // The same payment in a second event (the link's): still one alert for that payment.
        let link_paid_usd = json!({ "event": "payment_link.paid", "payload": {
            "payment_link": { "entity": { "id": "plink_usd", "reference_id": payment.reference, "notes": [] } },
            "payment": { "entity": { "id": "pay_usd", "amount": 12_000, "currency": "USD", "status": "captured" } }
        } })
        .to_string();
        assert_eq!(server.deliver(&link_paid_usd, "evt_usd_link").await, 200);

        // No amount at all, and no payment entity at all: money may still have arrived.
        let amountless = json!({ "event": "payment.captured", "payload": { "payment": { "entity": {
            "id": "pay_blank", "currency": "INR", "status": "captured",
            "notes": { "payment_reference": payment.reference } } } } })
        .to_string();
        let no_payment = json!({ "event": "order.paid", "payload": {
            "order": { "entity": { "id": "order_np", "receipt": payment.reference, "notes": [] } } } })
        .to_string();
        let zero = captured(&payment.reference, "pay_zero", 0);
        for (body, key) in [(&amountless, "evt_blank"), (&no_payment, "evt_np"), (&zero, "evt_zero")] {
            for status in server.deliver_concurrently(body, vec![key.to_owned(); 4]).await {
                assert_eq!(status, 200, "{key}");
            }
            assert_eq!(server.deliver(body, key).await, 200, "{key}");
        }

        assert_eq!(balance(conn, 9601).await, Money::ZERO, "{}: nothing credited", db.backend);
        let reloaded = payments::find_by_reference(conn, &payment.reference).await.unwrap().unwrap();
        assert_eq!(reloaded.status, ottsonly::entities::payment::PaymentStatus::Pending, "still open");
        let alerts = refused_alerts(conn).await;
        let summary: Vec<_> = alerts
            .iter()
            .map(|n| match n {
                Notice::GatewayRefusedAlert {
                    gateway,
                    reference,
                    gateway_payment_id,
                    amount,
                    currency,
                    why,
                    customer,
                    ..
                } => {
                    assert_eq!(
                        (gateway.as_str(), reference.as_str(), customer.telegram_id),
                        ("razorpay", payment.reference.as_str(), 9601)
                    );
                    (gateway_payment_id.clone(), *amount, currency.clone(), *why)
                }
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some("pay_usd".into()), Some(12_000), Some("USD".into()), GatewayRefusal::Currency),
                (Some("pay_blank".into()), None, Some("INR".into()), GatewayRefusal::NoAmount),
                (None, None, None, GatewayRefusal::NoAmount),
                (Some("pay_zero".into()), Some(0), Some("INR".into()), GatewayRefusal::NotPositive),
            ],
            "{}: one alert per refused payment",
            db.backend
        );

        // The real payment still lands.
        assert_eq!(server.deliver(&captured(&payment.reference, "pay_inr", 12_000), "evt_inr").await, 200);
        assert_eq!(balance(conn, 9601).await, Money::from_rupees(120));
        assert_eq!(refused_alerts(conn).await.len(), 4);
        assert_ledger_consistent(conn).await;
    }
}
