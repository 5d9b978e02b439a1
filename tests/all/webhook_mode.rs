//! Telegram webhook mode with the real binary: setWebhook carries the secret and our update
//! types; a post without the secret (path or header) is refused with 401; on PostgreSQL two
//! instances behind a round-robin, each update also posted again to the other instance (as
//! Telegram retries), answer every update exactly once; two and then three instances given a
//! burst of updates and Razorpay payments (each to two instances) credit, deliver, pay
//! commission and tell everyone once. Update claims are tested on both databases: once,
//! concurrently, and taken over after a lease runs out; instances starting at once migrate once.
use chrono::{Duration, Utc};

use ottsonly::services::razorpay::signature;
use ottsonly::services::telegram_updates::{self, Claim, LEASE};

use crate::support::binary::{self, free_port};
use crate::support::db;
use crate::support::fake_telegram::{FakeTelegram, TestUser};

const OWNER: i64 = 4_343_001;
const RAZORPAY_SECRET: &str = "whsec_multi";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_is_claimed_once_and_a_dead_claim_is_taken_over() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { telegram_updates::claim(&conn, 77, now).await.unwrap() })
            })
            .collect();
        let mut mine = 0;
        for task in tasks {
            match task.await.unwrap() {
                Claim::Mine => mine += 1,
                Claim::Busy => {}
                Claim::Done => panic!("not handled yet"),
            }
        }
        assert_eq!(mine, 1, "{}", db.backend);
        // Its instance died: after the lease, a retry takes it over, once.
        let later = now + LEASE + Duration::seconds(1);
        assert_eq!(telegram_updates::claim(conn, 77, now + Duration::seconds(5)).await.unwrap(), Claim::Busy);
        assert_eq!(telegram_updates::claim(conn, 77, later).await.unwrap(), Claim::Mine);
        assert_eq!(telegram_updates::claim(conn, 77, later).await.unwrap(), Claim::Busy);
        telegram_updates::finish(conn, 77, later).await.unwrap();
        assert_eq!(telegram_updates::claim(conn, 77, later + LEASE * 3).await.unwrap(), Claim::Done);
        // Kept a day, then forgotten.
        assert_eq!(telegram_updates::forget_old(conn, now + Duration::hours(23)).await.unwrap(), 0);
        assert_eq!(telegram_updates::forget_old(conn, now + Duration::hours(25)).await.unwrap(), 1);
    }
}

/// Posts `update` to `url` until it is answered 200 (503 means: another instance is on it, or
/// this one is stopping; Telegram would retry).
async fn deliver(client: &reqwest::Client, url: &str, secret: &str, update: &serde_json::Value) {
    for _ in 0..200 {
        let status = client
            .post(url)
            .header("x-telegram-bot-api-secret-token", secret)
            .json(update)
            .send()
            .await
            .expect("post the update")
            .status();
        if status == 200 {
            return;
        }
        assert_eq!(status, 503, "{url}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("update {} never accepted", update["update_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_in_webhook_mode_answer_each_update_once() {
    for db in db::all().await {
        let fake = FakeTelegram::start().await;
        // SQLite is one instance's database; PostgreSQL takes two.
        let count = if db.backend == "postgres" { 2 } else { 1 };
        let mut children = Vec::new();
        let mut urls = Vec::new();
        let mut secret = String::new();
        for n in 0..count {
            let addr = format!("127.0.0.1:{}", free_port());
            children.push(binary::start_webhook(&fake, &db.url, &addr, OWNER, &[]).await);
            let set = fake.calls("setwebhook").pop().expect("setWebhook");
            let url = set["url"].as_str().unwrap().to_owned();
            assert!(url.starts_with(&format!("http://{addr}/telegram/")), "{url}");
            let allowed = set["allowed_updates"].to_string();
            assert!(allowed.contains("message") && allowed.contains("callback_query"), "{allowed}");
            secret = set["secret_token"].as_str().unwrap().to_owned();
            assert!(!secret.is_empty());
            if n > 0 {
                assert_eq!(fake.calls("setwebhook")[0]["secret_token"], set["secret_token"], "one secret for all");
            }
            urls.push(url);
        }
        let client = reqwest::Client::new();
        let probe = fake.text_update(&TestUser::new(8899, "Probe"), "/start");
        let no_header = client.post(&urls[0]).json(&probe).send().await.unwrap();
        assert_eq!(no_header.status(), 401);
        let wrong = client.post(&urls[0]).header("x-telegram-bot-api-secret-token", "nope").json(&probe).send();
        assert_eq!(wrong.await.unwrap().status(), 401);
        let wrong_path = format!("{}x", urls[0]);
        let guessed = client.post(&wrong_path).header("x-telegram-bot-api-secret-token", &secret).json(&probe);
        assert_eq!(guessed.send().await.unwrap().status(), 401);
        assert!(fake.sent_to(8899).is_empty(), "a refused post reaches no handler");

        // A burst: each update to one instance and, at the same time, again to the next.
        let users: Vec<TestUser> = (0..12).map(|i| TestUser::new(8900 + i, "Guest")).collect();
        let mut posts = Vec::new();
        for (i, user) in users.iter().enumerate() {
            let update = fake.text_update(user, "/start");
            for copy in 0..2 {
                let (client, url, secret, update) =
                    (client.clone(), urls[(i + copy) % urls.len()].clone(), secret.clone(), update.clone());
                posts.push(tokio::spawn(async move { deliver(&client, &url, &secret, &update).await }));
            }
        }
        for post in posts {
            post.await.unwrap();
        }
        // Every post was answered after its update was handled, so all replies are in.
        for user in &users {
            let welcomes = fake.sent_to(user.id).into_iter().filter(|m| m.text.contains("Welcome")).count();
            assert_eq!(welcomes, 1, "user {} on {}", user.id, db.backend);
        }
        fake.assert_nothing_refused();
        for mut child in children {
            let _ = child.kill().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_at_once_migrate_one_database_once() {
    use rand::Rng;
    use sea_orm::{ConnectionTrait, Database};
    let Some(admin_url) = db::postgres_url() else { return };
    let admin = Database::connect(&admin_url).await.unwrap();
    let name = format!("ottsonly_m_{:016x}", rand::rng().random::<u64>());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = url.to_string();
            tokio::spawn(async move { ottsonly::services::db::connect_and_migrate(&url).await })
        })
        .collect();
    for start in starts {
        let conn = start.await.unwrap().expect("every instance starts");
        assert_eq!(ottsonly::services::health::ready(&conn).await, ottsonly::services::health::Readiness::Ready);
        conn.close().await.unwrap();
    }
    admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
}

/// Posts a signed Razorpay event to `url`; 200 expected.
async fn razorpay_event(client: &reqwest::Client, url: &str, event_id: &str, body: &str) {
    let status = client
        .post(url)
        .header("X-Razorpay-Signature", signature::sign(RAZORPAY_SECRET, body.as_bytes()))
        .header("x-razorpay-event-id", event_id)
        .body(body.to_owned())
        .send()
        .await
        .expect("post the event")
        .status();
    assert_eq!(status, 200, "{url}");
}

/// Waits (bounded) until no outbox row waits to be sent.
async fn outbox_drained(conn: &sea_orm::DatabaseConnection) {
    use ottsonly::entities::outbox_message::{self, OutboxStatus};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    for _ in 0..400 {
        let waiting = outbox_message::Entity::find()
            .filter(outbox_message::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
            .count(conn)
            .await
            .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the outbox never drained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_and_three_instances_on_one_postgres_do_everything_once() {
    use ottsonly::entities::commission;
    use ottsonly::entities::payment::PaymentChannel;
    use ottsonly::services::payments::{self, Purpose};
    use ottsonly::services::purchase::{self, WhenShort};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use serde_json::json;

    use crate::support::fixtures::{assert_ledger_consistent, customer, plan_with_stock, referee};

    let Some(admin_url) = db::postgres_url() else { return };
    for count in [2, 3] {
        let db = db::TestDb::postgres(&admin_url).await;
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let referrer = 9_100;
        customer(conn, referrer).await;
        let plan = plan_with_stock(conn, "Multi", 149, 40, 12).await;
        let mut payments_made = Vec::new();
        for buyer in 9_101..9_111 {
            referee(conn, buyer, referrer, Utc::now()).await;
            let checkout =
                purchase::open_checkout(conn, buyer, plan.id, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
            let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
            let payment =
                payments::create(conn, buyer, purpose, PaymentChannel::Razorpay, Duration::minutes(30), Utc::now())
                    .await
                    .unwrap();
            payments_made.push((buyer, payment.reference, checkout.price.paise()));
        }
        let razorpay = [
            ("RAZORPAY_KEY_ID", "rzp_test_multi".to_owned()),
            ("RAZORPAY_KEY_SECRET", "secret".to_owned()),
            ("RAZORPAY_WEBHOOK_SECRET", RAZORPAY_SECRET.to_owned()),
            ("RAZORPAY_API_URL", format!("http://127.0.0.1:{}", free_port())),
        ];
        let mut children = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..count {
            let addr = format!("127.0.0.1:{}", free_port());
            children.push(binary::start_webhook(&fake, &db.url, &addr, OWNER, &razorpay).await);
            bases.push(format!("http://{addr}"));
        }
        let set = fake.calls("setwebhook");
        let secret = set[0]["secret_token"].as_str().unwrap().to_owned();
        let telegram: Vec<String> = set.iter().map(|s| s["url"].as_str().unwrap().to_owned()).collect();

        // The burst: every update and every payment event reaches two instances at once.
        let client = reqwest::Client::new();
        let mut posts = Vec::new();
        for (i, (buyer, reference, paise)) in payments_made.iter().enumerate() {
            let update = fake.text_update(&TestUser::new(*buyer, "Buyer"), "/start");
            let body = json!({
                "event": "payment.captured",
                "payload": { "payment": { "entity": {
                    "id": format!("pay_multi_{buyer}"), "amount": paise, "currency": "INR", "status": "captured",
                    "notes": { "payment_reference": reference }
                } } }
            })
            .to_string();
            for copy in 0..2 {
                let n = (i + copy) % count;
                let (c, url, secret, update) = (client.clone(), telegram[n].clone(), secret.clone(), update.clone());
                posts.push(tokio::spawn(async move { deliver(&c, &url, &secret, &update).await }));
                let (client, url, body) = (client.clone(), format!("{}/webhooks/razorpay", bases[n]), body.clone());
                let event_id = format!("evt_multi_{buyer}");
                posts.push(tokio::spawn(async move { razorpay_event(&client, &url, &event_id, &body).await }));
            }
        }
        for post in posts {
            post.await.unwrap();
        }
        outbox_drained(conn).await;

        for (buyer, _, _) in &payments_made {
            let sent = fake.sent_to(*buyer);
            let count_of = |needle: &str| sent.iter().filter(|m| m.text.contains(needle)).count();
            assert_eq!(count_of("Welcome"), 1, "{count} instances: buyer {buyer} greeted once");
            assert_eq!(count_of("is yours"), 1, "{count} instances: buyer {buyer} gets the login once");
        }
        let earned = commission::Entity::find().count(conn).await.unwrap();
        assert_eq!(earned, 10, "{count} instances: one commission per order");
        let told = fake.sent_to(referrer).into_iter().filter(|m| m.text.contains("You earned")).count();
        assert_eq!(told, 10, "{count} instances: the referrer is told once per sale");
        let credits = ottsonly::entities::ledger_entry::Entity::find()
            .filter(
                ottsonly::entities::ledger_entry::Column::Kind
                    .eq(ottsonly::entities::ledger_entry::LedgerKind::Payment),
            )
            .count(conn)
            .await
            .unwrap();
        assert_eq!(credits, 10, "{count} instances: each payment credited once");
        assert_ledger_consistent(conn).await;

        // A broadcast, with every instance's sender running: each customer gets it once.
        let owner =
            ottsonly::services::Actor::new(OWNER, ottsonly::entities::user::Role::Owner, ottsonly::domain::Lang::En);
        let content = ottsonly::domain::broadcast::Content {
            text: format!("Multi-instance offer {count}"),
            photo_file_id: None,
            button: None,
        };
        let draft = ottsonly::services::broadcasts::Draft {
            content,
            audience: ottsonly::domain::broadcast::Audience::Everyone,
        };
        ottsonly::services::broadcasts::start(conn, &owner, &draft, Utc::now()).await.unwrap();
        fake.wait_sent("the broadcast's report", std::time::Duration::from_secs(60), |sent| {
            sent.iter().any(|m| m.chat_id == OWNER && m.text.contains("Broadcast #1 finished"))
        })
        .await;
        for chat in std::iter::once(referrer).chain(9_101..9_111) {
            let got = fake.sent_to(chat).into_iter().filter(|m| m.text == draft.content.text).count();
            assert_eq!(got, 1, "{count} instances: {chat} gets the broadcast once");
        }
        fake.assert_nothing_refused();
        for mut child in children {
            let _ = child.kill().await;
        }
    }
}

/// Posts `update` to the first of `urls` that takes it, moving on after a 503 or a refused
/// connection, as Telegram's retries behind a load balancer would.
async fn deliver_any(client: &reqwest::Client, urls: &[String], secret: &str, update: &serde_json::Value) {
    for attempt in 0..400 {
        let url = &urls[attempt % urls.len()];
        let sent = client.post(url).header("x-telegram-bot-api-secret-token", secret).json(update).send().await;
        match sent.map(|r| r.status()) {
            Ok(status) if status == 200 => return,
            Ok(status) => assert_eq!(status, 503, "{url}"),
            Err(_) => {} // that instance is gone
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("update {} never accepted", update["update_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigterm_during_a_burst_loses_no_update_and_the_instance_exits_in_time() {
    let Some(admin_url) = db::postgres_url() else { return };
    let db = db::TestDb::postgres(&admin_url).await;
    let fake = FakeTelegram::start().await;
    let mut children = Vec::new();
    for _ in 0..2 {
        let addr = format!("127.0.0.1:{}", free_port());
        children.push(binary::start_webhook(&fake, &db.url, &addr, OWNER, &[]).await);
    }
    let set = fake.calls("setwebhook");
    let secret = set[0]["secret_token"].as_str().unwrap().to_owned();
    let urls: Vec<String> = set.iter().map(|s| s["url"].as_str().unwrap().to_owned()).collect();
    let client = reqwest::Client::new();
    let users: Vec<TestUser> = (0..30).map(|i| TestUser::new(9_300 + i, "Rush")).collect();
    let mut posts = Vec::new();
    for (i, user) in users.iter().enumerate() {
        if i == 15 {
            let pid = children[0].id().expect("running");
            let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
            assert!(killed.success());
        }
        let update = fake.text_update(user, "/start");
        // Half start at the instance being stopped.
        let mut order = urls.clone();
        order.rotate_left(i % 2);
        let (client, secret) = (client.clone(), secret.clone());
        posts.push(tokio::spawn(async move { deliver_any(&client, &order, &secret, &update).await }));
    }
    for post in posts {
        post.await.unwrap();
    }
    for user in &users {
        let welcomes = fake.sent_to(user.id).into_iter().filter(|m| m.text.contains("Welcome")).count();
        assert_eq!(welcomes, 1, "user {}", user.id);
    }
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(15), children[0].wait()).await;
    let status = stopped.expect("exits within the grace period").unwrap();
    assert!(status.success(), "{status}");
    let _ = children[1].kill().await;
    fake.assert_nothing_refused();
}
