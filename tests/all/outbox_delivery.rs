//! What others are told survives a crash and is the same whoever acts: a webhook settles, the
//! binary is killed before the customer hears of it, and after a restart they hear exactly
//! once; and an admin act done through the service alone leaves the rows the same act done
//! in chat leaves.
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use ottsonly::bot::features::staff::queues::Action as QueueAction;
use ottsonly::bot::ui::callback;
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::outbox_message::{self, OutboxStatus};
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::user::Role;
use ottsonly::services::payments::{self, Purpose};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::razorpay::signature;
use ottsonly::services::wallet::{self, Direction};
use ottsonly::services::withdrawals;
use ottsonly::services::{fraud, refunds, Actor};

use crate::support::binary::{self, free_port};
use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::{Failure, FakeTelegram};
use crate::support::fixtures::{customer, plan_with_stock};
use crate::support::trace::{pairs, shop, trace};

const OWNER: i64 = 4_343_001;
const WEBHOOK_SECRET: &str = "whsec_crash";

async fn outbox_of(conn: &DatabaseConnection, chat: i64) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::ChatId.eq(chat))
        .order_by_asc(outbox_message::Column::Id)
        .all(conn)
        .await
        .unwrap()
}

/// Waits (bounded) until `check` holds for `chat`'s outbox rows.
async fn wait_for_outbox(
    conn: &DatabaseConnection,
    chat: i64,
    what: &str,
    check: impl Fn(&[outbox_message::Model]) -> bool,
) {
    for _ in 0..400 {
        if check(&outbox_of(conn, chat).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: {:?}", outbox_of(conn, chat).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_notice_loses_nothing_and_sends_it_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        // A customer with a checkout the wallet does not cover, paying it by Razorpay.
        let buyer = 8801;
        customer(conn, buyer).await;
        let plan = plan_with_stock(conn, "Crash Plan", 149, 40, 1).await;
        let checkout =
            purchase::open_checkout(conn, buyer, plan.id, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment =
            payments::create(conn, buyer, purpose, PaymentChannel::Razorpay, chrono::Duration::minutes(30), Utc::now())
                .await
                .unwrap();
        // Telegram answers the first send to the customer with a 429: the notice is not sent.
        fake.fail_sends_to(buyer, &[Failure::TooManyRequests(2)]);

        let razorpay = [
            ("RAZORPAY_KEY_ID", "rzp_test_crash".to_owned()),
            ("RAZORPAY_KEY_SECRET", "secret".to_owned()),
            ("RAZORPAY_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("RAZORPAY_API_URL", format!("http://127.0.0.1:{}", free_port())),
        ];
        let http_addr = format!("127.0.0.1:{}", free_port());
        let mut first = binary::start(&fake, &db.url, &http_addr, OWNER, &razorpay).await;
        let body = json!({
            "event": "payment.captured",
            "payload": { "payment": { "entity": {
                "id": "pay_crash1", "amount": checkout.price.paise(), "currency": "INR", "status": "captured",
                "notes": { "payment_reference": payment.reference }
            } } }
        })
        .to_string();
        let status = reqwest::Client::new()
            .post(format!("http://{http_addr}/webhooks/razorpay"))
            .header("X-Razorpay-Signature", signature::sign(WEBHOOK_SECRET, body.as_bytes()))
            .header("x-razorpay-event-id", "evt_crash1")
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        // The sender tried once, was told to wait, and put the row back: now the process dies.
        wait_for_outbox(conn, buyer, "one attempt, back in the queue", |rows| {
            rows.iter().any(|r| r.attempts == 1 && r.status == OutboxStatus::Pending)
        })
        .await;
        first.kill().await.expect("SIGKILL");
        assert!(fake.sent_to(buyer).is_empty(), "nothing reached the customer before the crash");
        let waiting = outbox_of(conn, buyer).await;
        assert_eq!(waiting.len(), 2, "payment received and login delivered: {waiting:?}");
        assert!(waiting.iter().all(|r| r.status != OutboxStatus::Sent));

        let mut second = binary::start(&fake, &db.url, &http_addr, OWNER, &razorpay).await;
        let mut chat = Chat::new(&fake, buyer, "Crash");
        chat.reply_containing("received").await;
        let delivered = chat.reply_containing("is yours").await;
        assert!(delivered.text.contains("Crash Plan-0@mail.test:pw0"), "{}", delivered.text);
        wait_for_outbox(conn, buyer, "both sent", |rows| rows.iter().all(|r| r.status == OutboxStatus::Sent)).await;
        let sent = fake.sent_to(buyer);
        assert_eq!(sent.len(), 2, "exactly once each: {:?}", sent.iter().map(|m| &m.text).collect::<Vec<_>>());
        second.kill().await.expect("stop");
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_act_tells_the_same_people_from_chat_or_the_service() {
    for (in_chat, direct) in pairs().await {
        let (order, withdrawal) = shop(&in_chat.conn).await;
        assert_eq!(shop(&direct.conn).await, (order, withdrawal), "the two shops line up");
        // The setup differs in random names and times; the acts are compared from here on.
        let before = trace(&in_chat.conn).await;

        // In chat: the owner credits, refunds, approves with the alert's button, blocks.
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, in_chat.conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Owner");
        owner.say("/credit 8901 150 festival gift");
        owner.reply_containing("Credited ₹150").await;
        owner.say(&format!("/refund {order} login stopped working"));
        owner.reply_containing("refunded").await;
        owner.say("/withdrawals");
        let queue = owner.reply_containing("Withdrawal").await;
        owner.press_data(&queue, &callback::data(&QueueAction::WithdrawalApprove(withdrawal))).await;
        owner.reply_containing("approved").await;
        owner.say("/block 8901 chargebacks");
        owner.reply_containing("blocked").await;
        bot.stop().await;
        fake.assert_nothing_refused();

        // Directly: the same acts by the same owner through the services, no update at all.
        let conn = &direct.conn;
        let actor = Actor::new(ADMIN_ID, Role::Owner, Lang::En);
        let now = Utc::now();
        wallet::admin_adjust(
            conn,
            &actor,
            8901,
            Money::from_rupees(150),
            Direction::Credit,
            "festival gift",
            "k1",
            now,
        )
        .await
        .unwrap();
        refunds::refund(conn, &actor, order, "login stopped working", now).await.unwrap();
        withdrawals::approve(conn, &actor, withdrawal, now).await.unwrap();
        fraud::set_blocked(conn, &actor, 8901, true, "chargebacks", now).await.unwrap();

        let (chat_trace, direct_trace) = (trace(&in_chat.conn).await.since(&before), trace(conn).await.since(&before));
        assert!(chat_trace.outbox.len() >= 5, "the acts told people: {chat_trace:#?}");
        assert_eq!(chat_trace, direct_trace, "{}", in_chat.backend);
    }
}
