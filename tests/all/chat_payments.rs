//! Paying in chat with Razorpay: top-ups and the rest of a purchase, completed by webhook.
use serde_json::json;

use ottsonly::bot::features::wallet::Action as WalletAction;
use ottsonly::bot::ui::{callback, Method};
use ottsonly::domain::Money;
use ottsonly::services::razorpay::signature;

use crate::support::bot_harness::RunningBot;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_razorpay::{FakeRazorpay, WEBHOOK_SECRET};
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, plan_with_stock};

async fn razorpay_paid(http: &str, link: &serde_json::Value, pay_id: &str) {
    let body = json!({
        "event": "payment_link.paid",
        "payload": {
            "payment_link": { "entity": { "id": link["id"], "reference_id": link["reference_id"], "status": "paid",
                                          "amount_paid": link["amount"], "notes": link["notes"] } },
            "payment": { "entity": { "id": pay_id, "amount": link["amount"], "status": "captured", "notes": [] } }
        }
    })
    .to_string();
    let status = reqwest::Client::new()
        .post(format!("{http}/webhooks/razorpay"))
        .header("X-Razorpay-Signature", signature::sign(WEBHOOK_SECRET, body.as_bytes()))
        .header("x-razorpay-event-id", format!("evt_{pay_id}"))
        .body(body)
        .send()
        .await
        .expect("webhook")
        .status();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_up_and_pay_the_rest_of_a_purchase_with_razorpay() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let razorpay = FakeRazorpay::start().await;
        plan_with_stock(conn, "Disney Hotstar", 250, 80, 2).await;
        let config = razorpay.config();
        let bot = RunningBot::start_with(&fake, conn.clone(), |c| c.payments.razorpay = Some(config)).await;
        let mut chat = Chat::new(&fake, 7101, "Arjun");
        chat.say("/start");
        let menu = chat.reply().await;

        // Wallet -> Top up -> ₹200 -> Razorpay: a link to pay.
        chat.press(&menu, "Wallet").await;
        let wallet = chat.reply().await;
        chat.press(&wallet, "Top up").await;
        let topup = chat.reply().await;
        assert_eq!(topup.buttons().iter().filter(|(t, _)| t.starts_with('₹')).count(), 3, "{:?}", topup.buttons());
        chat.press(&topup, "₹200").await;
        let methods = chat.reply().await;
        chat.press(&methods, "Razorpay").await;
        let link_message = chat.reply().await;
        assert!(
            link_message.text.contains("Pay <b>₹200</b>") && link_message.text.contains("PAY"),
            "{}",
            link_message.text
        );
        let (label, url) = &link_message.buttons()[0];
        assert!(label.contains("₹200") && url.starts_with("https://rzp.io/i/"), "{label} {url}");
        let link = razorpay.links()[0].clone();
        assert_eq!(link["amount"], 20_000);

        razorpay_paid(&bot.http, &link, "pay_topup_1").await;
        let received = chat.reply_containing("received").await;
        assert!(
            received.text.contains("<b>₹200</b> added") && received.text.contains("Balance: <b>₹200</b>"),
            "{}",
            received.text
        );
        assert_eq!(balance(conn, 7101).await, Money::from_rupees(200));

        // ₹250 plan with ₹200: pay the ₹50 difference, the login arrives by itself.
        let short = chat.open_buy_screen("Disney").await;
        assert!(short.text.contains("<b>₹50</b> short"), "{}", short.text);
        assert!(short.button("Pay full ₹250").is_some(), "{:?}", short.buttons());
        chat.press(&short, "Pay ₹50").await;
        let link_message = chat.reply().await;
        assert!(link_message.text.contains("your login for <b>Disney Hotstar</b>"), "{}", link_message.text);
        let link = razorpay.links()[1].clone();
        assert_eq!(link["amount"], 5_000);
        razorpay_paid(&bot.http, &link, "pay_rest_1").await;
        let delivered = chat.reply_containing("is yours").await;
        assert!(delivered.text.contains("Disney Hotstar-0@mail.test:pw0"), "{}", delivered.text);
        assert_eq!(balance(conn, 7101).await, Money::ZERO);
        // The same webhook again: nothing more.
        razorpay_paid(&bot.http, &link, "pay_rest_1").await;

        // A custom amount, with mistakes first; a forged out-of-bounds button is refused.
        chat.say("/wallet");
        let wallet = chat.reply().await;
        chat.press(&wallet, "Top up").await;
        let topup = chat.reply().await;
        chat.press(&topup, "Other amount").await;
        chat.reply_containing("How much").await;
        chat.say("lots");
        chat.reply_containing("not an amount").await;
        chat.say("20");
        chat.reply_containing("from ₹50 to ₹10,000").await;
        chat.say("75.50");
        let methods = chat.reply_containing("How would you like to pay <b>₹75.50</b>").await;
        // A forged button for ₹1, below the minimum.
        let one_rupee = WalletAction::PayTopUp { amount: 100, method: Method::Razorpay };
        chat.press_data(&methods, &callback::data(&one_rupee)).await;
        chat.reply_containing("from ₹50 to ₹10,000").await;
        assert_eq!(razorpay.links().len(), 2);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_eq!(balance(conn, 7101).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_gateway_top_up_explains_how_to_add_money() {
    let db = db::TestDb::sqlite().await;
    let fake = FakeTelegram::start().await;
    let bot = RunningBot::start(&fake, db.conn.clone()).await;
    let mut chat = Chat::new(&fake, 7201, "Sara");
    chat.say("/wallet");
    let wallet = chat.reply().await;
    chat.press(&wallet, "Top up").await;
    let none = chat.reply().await;
    assert!(none.text.contains("@shop_support") && none.text.contains("<code>7201</code>"), "{}", none.text);
    bot.stop().await;
    fake.assert_nothing_refused();
}
