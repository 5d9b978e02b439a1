//! Telegram Stars: the invoice, a strict pre-checkout, and one credit per charge.
use chrono::{Duration, Utc};
use rust_decimal::Decimal;

use ottsonly::domain::Money;
use ottsonly::services::payments::Purpose;
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::stars::{self, PreCheckout};

use crate::support::bot_harness::RunningBot;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, customer, plan_with_stock};

#[tokio::test]
async fn pre_checkout_accepts_only_a_live_payment_at_its_price() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        let rate = Decimal::new(5, 1);
        customer(conn, 7401).await;
        let plan = plan_with_stock(conn, "Prime", 135, 40, 1).await;
        let checkout = purchase::open_checkout(conn, 7401, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment = stars::start(conn, 7401, purpose, Duration::minutes(30), now).await.unwrap();
        customer(conn, 7402).await;
        let check_by = |payer: i64, payload: String, currency: &'static str, total: u32, at| {
            let conn = conn.clone();
            async move { stars::check_pre_checkout(&conn, &payload, payer, currency, total, rate, at).await.unwrap() }
        };
        let check =
            |payload: String, currency: &'static str, total: u32, at| check_by(7401, payload, currency, total, at);
        assert_eq!(check(payment.reference.clone(), "XTR", 68, now).await, PreCheckout::Accept);
        // A forwarded invoice paid by someone else (a customer or not): refused.
        for stranger in [7402, 7499] {
            assert_eq!(
                check_by(stranger, payment.reference.clone(), "XTR", 68, now).await,
                PreCheckout::NotTheCustomer,
                "{}",
                db.backend
            );
        }
        assert_eq!(check(payment.reference.clone(), "XTR", 67, now).await, PreCheckout::WrongAmount);
        assert_eq!(check(payment.reference.clone(), "INR", 68, now).await, PreCheckout::WrongAmount);
        assert_eq!(check("PAYUNKNOWN22".into(), "XTR", 68, now).await, PreCheckout::Unknown);
        assert_eq!(
            check(payment.reference.clone(), "XTR", 68, now + Duration::minutes(31)).await,
            PreCheckout::Expired
        );

        // The same successful_payment twice: one credit, one order.
        let first = stars::complete(conn, &payment.reference, "charge-1", now).await.unwrap();
        assert!(matches!(first, Some(ottsonly::services::payments::Settlement::Credited { .. })));
        let again = stars::complete(conn, &payment.reference, "charge-1", now).await.unwrap();
        assert!(matches!(again, Some(ottsonly::services::payments::Settlement::AlreadySettled)));
        assert_eq!(balance(conn, 7401).await, Money::ZERO);
        // Paid now: a new pre-checkout for it is refused.
        assert_eq!(check(payment.reference.clone(), "XTR", 68, now).await, PreCheckout::Unknown);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buy_a_plan_with_stars_in_chat() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        plan_with_stock(conn, "Netflix Mobile", 149, 50, 2).await;
        let bot =
            RunningBot::start_with(&fake, conn.clone(), |c| c.payments.stars_per_rupee = Some(Decimal::ONE)).await;
        let mut chat = Chat::new(&fake, 7501, "Isha");
        chat.say("/start");
        chat.reply().await;
        let short = chat.open_buy_screen("Netflix").await;
        chat.press(&short, "Telegram Stars").await;
        let invoice = chat.reply_containing("[invoice]").await;
        assert!(invoice.text.contains("149 XTR"), "{}", invoice.text);
        let sent = fake.calls("sendInvoice");
        let payload = sent[0]["payload"].as_str().unwrap().to_owned();
        // Forwarded copies get a deep link to the bot instead of a Pay button; the link is a
        // plain /start, never a referral.
        let start = sent[0]["start_parameter"].as_str().unwrap_or_default().to_owned();
        assert!(!start.is_empty() && !start.starts_with("ref_"), "start_parameter {start:?}");

        // Someone the invoice was forwarded to cannot pay it.
        let mut friend = Chat::new(&fake, 7502, "Kabir");
        let forwarded = fake.pre_checkout(&friend.user, &payload, 149);
        let (ok, message) = fake.pre_checkout_answer(&forwarded).await;
        assert!(!ok, "another user's payment of the invoice refused");
        assert!(message.contains("someone else"), "{message}");
        // Following the forwarded copy's deep link is a plain start for them.
        friend.say(&format!("/start {start}"));
        let welcome = friend.reply().await;
        assert!(welcome.text.contains("Kabir"), "{}", welcome.text);
        assert_eq!(
            ottsonly::services::users::find_by_telegram_id(conn, 7502).await.unwrap().unwrap().referred_by,
            None
        );

        let bogus = fake.pre_checkout(&chat.user, "PAYFORGED222", 149);
        let (ok, message) = fake.pre_checkout_answer(&bogus).await;
        assert!(!ok && !message.is_empty());
        let cheap = fake.pre_checkout(&chat.user, &payload, 1);
        assert!(!fake.pre_checkout_answer(&cheap).await.0, "wrong amount refused");
        let real = fake.pre_checkout(&chat.user, &payload, 149);
        assert!(fake.pre_checkout_answer(&real).await.0);

        fake.successful_payment(&chat.user, &payload, 149, "tg-charge-1");
        chat.reply_containing("is yours").await;
        fake.successful_payment(&chat.user, &payload, 149, "tg-charge-1");
        chat.say("/wallet");
        let wallet = chat.reply_containing("Your wallet").await;
        assert!(wallet.text.contains("Balance: <b>₹0</b>"), "{}", wallet.text);
        assert_eq!(balance(conn, 7501).await, Money::ZERO);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
