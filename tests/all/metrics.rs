//! `GET /metrics`: behind its bearer token when set, in Prometheus text format, with counters
//! that move when updates are handled, messages sent and webhooks refused, and the database's
//! figures (stock per plan, paid orders, the outbox) read at scrape time.
use ottsonly::domain::broadcast::{Audience, Content};
use ottsonly::domain::Lang;
use ottsonly::entities::user::Role;
use ottsonly::http::{router, HttpState};
use ottsonly::services::broadcasts::{self, Draft};
use ottsonly::services::payments::Purpose;
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::stars;
use ottsonly::services::Actor;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{buy, customer, plan_with_stock};

async fn serve(state: HttpState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    format!("http://{addr}")
}

async fn scrape(base: &str) -> String {
    let response = reqwest::Client::new().get(format!("{base}/metrics")).bearer_auth("scrape-me").send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample `series` (name and labels exactly as rendered), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_and_move_with_what_happens() {
    ottsonly::metrics::install();
    for db in db::all().await {
        let conn = &db.conn;
        let state = HttpState {
            razorpay_webhook_secret: Some("whsec".into()),
            metrics_token: Some("scrape-me".into()),
            ..HttpState::new(conn.clone())
        };
        let base = serve(state).await;
        let client = reqwest::Client::new();
        assert_eq!(client.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
        let wrong = client.get(format!("{base}/metrics")).bearer_auth("scrape-you").send().await.unwrap();
        assert_eq!(wrong.status(), 401);

        let before = scrape(&base).await;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut chat = Chat::new(&fake, 8801, "Mira");
        chat.say("/start");
        chat.reply_containing("Welcome").await;
        // A Telegram Stars payment for a plan arrives.
        let stars_plan = plan_with_stock(conn, "Stars Plan", 135, 40, 1).await;
        let checkout =
            purchase::open_checkout(conn, 8801, stars_plan.id, WhenShort::OpenForPayment, chrono::Utc::now())
                .await
                .unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment =
            stars::start(conn, 8801, purpose, chrono::Duration::minutes(30), chrono::Utc::now()).await.unwrap();
        fake.successful_payment(&chat.user, &payment.reference, 68, "tg-metrics-1");
        chat.reply_containing("is yours").await;
        // A broadcast goes out to everyone.
        let owner = Actor::new(ADMIN_ID, Role::Owner, Lang::En);
        let content = Content { text: "Metrics offer".into(), photo_file_id: None, button: None };
        let draft = Draft { content, audience: Audience::Everyone };
        broadcasts::start(conn, &owner, &draft, chrono::Utc::now()).await.unwrap();
        chat.reply_containing("Metrics offer").await;
        bot.stop().await;
        // And one more waits, with no sender running.
        broadcasts::start(conn, &owner, &draft, chrono::Utc::now()).await.unwrap();
        let refused = client
            .post(format!("{base}/webhooks/razorpay"))
            .header("x-razorpay-signature", "not-a-signature")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        customer(conn, 8802).await;
        buy(conn, 8802, 150, 50, chrono::Utc::now()).await;
        plan_with_stock(conn, "Metrics Plan", 99, 10, 3).await;

        let after = scrape(&base).await;
        for series in [
            r#"ottsonly_updates_total{kind="command"}"#,
            r#"ottsonly_telegram_calls_total{method="sendMessage",result="ok"}"#,
            r#"ottsonly_webhooks_total{gateway="razorpay",outcome="bad_signature"}"#,
            r#"ottsonly_payments_total{method="stars",outcome="credited"}"#,
            r#"ottsonly_broadcast_messages_total{result="sent"}"#,
            r#"ottsonly_telegram_calls_total{method="setMyCommands",result="ok"}"#,
        ] {
            assert!(value(&after, series) > value(&before, series), "{series} did not move:\n{after}");
        }
        assert!(after.contains("# TYPE ottsonly_update_handler_seconds histogram"), "{after}");
        // What the database holds, as of the scrape (this database's own figures).
        assert_eq!(value(&after, r#"ottsonly_stock_available{plan="Metrics Plan"}"#), 3.0, "{after}");
        assert_eq!(value(&after, "ottsonly_orders_paid"), 2.0, "{after}");
        assert_eq!(value(&after, "ottsonly_revenue_paise"), 28_500.0, "{after}");
        assert_eq!(value(&after, "ottsonly_profit_paise"), 19_500.0, "{after}");
        assert_eq!(value(&after, "ottsonly_broadcasts_queued"), 1.0, "{after}");
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_instance_holds_a_lease_until_it_runs_out() {
    use chrono::{Duration, Utc};
    use ottsonly::services::leases;
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        let ttl = Duration::minutes(2);
        let tries: Vec<_> = (0..5)
            .map(|n| {
                let conn = conn.clone();
                tokio::spawn(
                    async move { leases::hold(&conn, "metrics.stock", &format!("i{n}"), ttl, now).await.unwrap() },
                )
            })
            .collect();
        let mut holders = 0;
        for t in tries {
            holders += usize::from(t.await.unwrap());
        }
        assert_eq!(holders, 1, "{}", db.backend);
        // The holder renews; the others are refused until it runs out, then one takes over.
        let renewed_at = now + Duration::seconds(30);
        let mut renewers = Vec::new();
        for n in 0..5 {
            let name = format!("i{n}");
            if leases::hold(conn, "metrics.stock", &name, ttl, renewed_at).await.unwrap() {
                renewers.push(name);
            }
        }
        assert_eq!(renewers.len(), 1, "{renewers:?}");
        let runs_out = renewed_at + ttl;
        let other = "i-other";
        assert!(!leases::hold(conn, "metrics.stock", other, ttl, runs_out - Duration::seconds(1)).await.unwrap());
        assert!(leases::hold(conn, "metrics.stock", other, ttl, runs_out + Duration::seconds(1)).await.unwrap());
        assert!(!leases::hold(conn, "metrics.stock", &renewers[0], ttl, runs_out + Duration::seconds(2))
            .await
            .unwrap());
    }
}
