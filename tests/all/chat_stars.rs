//! Telegram Stars: the invoice, a strict pre-checkout, and one credit per charge.
use chrono::{Duration, Utc};
use rust_decimal::Decimal;

use teloxide::prelude::*;

use ottsonly::domain::Money;
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::jobs;
use ottsonly::services::outbox::Notice;
use ottsonly::services::payments::{self, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::stars::{self, PreCheckout, StarCharge};

use crate::support::bot_harness::RunningBot;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::{FakeTelegram, TestUser};
use crate::support::fixtures::{assert_ledger_consistent, balance, customer, outbox_notices, plan_with_stock};

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
        assert!(matches!(first, Some(Settlement::Credited { .. })));
        let again = stars::complete(conn, &payment.reference, "charge-1", now).await.unwrap();
        assert!(matches!(again, Some(Settlement::AlreadySettled)));
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

#[tokio::test]
async fn reconciliation_credits_a_charge_once_however_it_is_seen() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 7601).await;
        let plan = plan_with_stock(conn, "Zee5", 99, 30, 2).await;
        let checkout = purchase::open_checkout(conn, 7601, plan.id, WhenShort::OpenForPayment, now).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment = stars::start(conn, 7601, purpose, Duration::minutes(30), now).await.unwrap();
        // A payment of another method: its reference is not a Stars payload.
        let razorpay = payments::create(
            conn,
            7601,
            Purpose::TopUp { amount: Money::from_rupees(100) },
            PaymentChannel::Razorpay,
            Duration::minutes(30),
            now,
        )
        .await
        .unwrap();
        let charge = |id: &str, payload: &str| StarCharge {
            charge_id: id.into(),
            payload: payload.into(),
            stars: 99,
            date: now - Duration::minutes(1),
        };
        let listed = vec![
            charge("lost-1", &payment.reference),
            charge("lost-1", &payment.reference), // listed twice (a page boundary moved)
            charge("other-1", "PAYNOTOURS22"),
            charge("rzp-1", &razorpay.reference),
        ];
        let first = stars::reconcile(conn, &listed, now).await.unwrap();
        match first.as_slice() {
            [Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), credited, .. }] => {
                assert_eq!(*credited, Money::from_rupees(99))
            }
            other => panic!("{}: {other:?}", db.backend),
        }
        assert!(stars::reconcile(conn, &listed, now).await.unwrap().is_empty(), "a second run credits nothing");
        // The successful_payment update arrives after all: nothing more.
        let late = stars::complete(conn, &payment.reference, "lost-1", now).await.unwrap();
        assert!(matches!(late, Some(Settlement::AlreadySettled)), "{late:?}");
        assert!(stars::reconcile(conn, &listed, now).await.unwrap().is_empty());

        // A second charge for the paid payment (two accepted invoices) lands once, as the
        // update would have it; seen first by the update, reconciliation leaves it alone.
        let extra = vec![charge("extra-2", &payment.reference)];
        assert_eq!(stars::reconcile(conn, &extra, now).await.unwrap().len(), 1);
        assert!(stars::reconcile(conn, &extra, now).await.unwrap().is_empty());
        assert!(matches!(
            stars::complete(conn, &payment.reference, "extra-2", now).await.unwrap(),
            Some(Settlement::AlreadySettled)
        ));
        assert!(matches!(
            stars::complete(conn, &payment.reference, "seen-3", now).await.unwrap(),
            Some(Settlement::Credited { .. })
        ));
        assert!(stars::reconcile(conn, &[charge("seen-3", &payment.reference)], now).await.unwrap().is_empty());

        assert_eq!(balance(conn, 7601).await, Money::from_rupees(2 * 99), "{}", db.backend);
        let told = outbox_notices(conn, 7601).await;
        let received = told.iter().filter(|n| matches!(n, Notice::PaymentReceived { .. })).count();
        let delivered = told.iter().filter(|n| matches!(n, Notice::LoginDelivered { .. })).count();
        assert_eq!((received, delivered), (3, 1), "{}: one message per credit: {told:?}", db.backend);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_whose_update_was_lost_is_found_by_the_reconciliation_job() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        plan_with_stock(conn, "Netflix Mobile", 149, 50, 2).await;
        let bot =
            RunningBot::start_with(&fake, conn.clone(), |c| c.payments.stars_per_rupee = Some(Decimal::ONE)).await;
        let mut chat = Chat::new(&fake, 7701, "Meera");
        chat.say("/start");
        chat.reply().await;
        let short = chat.open_buy_screen("Netflix").await;
        chat.press(&short, "Telegram Stars").await;
        chat.reply_containing("[invoice]").await;
        let payload = fake.calls("sendInvoice")[0]["payload"].as_str().unwrap().to_owned();
        let query = fake.pre_checkout(&chat.user, &payload, 149);
        assert!(fake.pre_checkout_answer(&query).await.0);

        // Telegram charged, but the successful_payment update was lost in a crash: only the
        // bot's transactions show it. After it, 250 transactions that are not ours, an
        // outgoing refund among them.
        fake.star_payment(&chat.user, &payload, 149, "tg-lost-1");
        let stranger = TestUser::new(7799, "Stranger");
        for n in 0..250 {
            fake.star_payment(&stranger, &format!("ELSEWHERE{n}"), 5, &format!("noise-{n}"));
        }
        fake.star_refund(&stranger, "noise-3", 5);

        let api = Bot::new("123456:TEST").set_api_url(url::Url::parse(&fake.url()).unwrap());
        let credited = jobs::reconcile_stars(conn, &api, Utc::now()).await.unwrap();
        assert_eq!(credited.len(), 1, "{}", db.backend);
        let calls = fake.calls("getStarTransactions").len();
        assert_eq!(calls, 3, "three pages of 100 reach the lost charge");
        chat.reply_containing("is yours").await;
        assert!(jobs::reconcile_stars(conn, &api, Utc::now()).await.unwrap().is_empty(), "second run");

        // The lost update turns up after all.
        fake.successful_payment(&chat.user, &payload, 149, "tg-lost-1");
        chat.say("/wallet");
        let wallet = chat.reply_containing("Your wallet").await;
        assert!(wallet.text.contains("Balance: <b>₹0</b>"), "{}", wallet.text);
        let told = outbox_notices(conn, 7701).await;
        assert!(
            matches!(told.as_slice(), [Notice::PaymentReceived { menu: false, .. }, Notice::LoginDelivered { .. }]),
            "{}: told once: {told:?}",
            db.backend
        );

        // However many transactions there are, a run makes a bounded number of calls.
        for n in 0..1000 {
            fake.star_payment(&stranger, &format!("MORE{n}"), 5, &format!("more-{n}"));
        }
        let before = fake.calls("getStarTransactions").len();
        assert!(jobs::reconcile_stars(conn, &api, Utc::now()).await.unwrap().is_empty());
        assert_eq!(fake.calls("getStarTransactions").len() - before, jobs::STARS_PAGES as usize);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_eq!(balance(conn, 7701).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_reported_in_a_group_chat_is_credited_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let plan = plan_with_stock(conn, "Group Plan", 99, 30, 1).await;
        customer(conn, 7701).await;
        let checkout =
            purchase::open_checkout(conn, 7701, plan.id, WhenShort::OpenForPayment, Utc::now()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: checkout.price };
        let payment = stars::start(conn, 7701, purpose, Duration::minutes(30), Utc::now()).await.unwrap();
        let bot =
            RunningBot::start_with(&fake, conn.clone(), |c| c.payments.stars_per_rupee = Some(Decimal::ONE)).await;
        let mut chat = Chat::new(&fake, 7701, "Meera");
        // The invoice was paid in a group: the service message arrives there, not in our chat.
        fake.successful_payment_in(Some(-100_777), &chat.user, &payment.reference, 99, "tg-group-1");
        let delivered = chat.reply_containing("is yours").await;
        assert!(delivered.text.contains("Group Plan-0@mail.test:pw0"), "{}", delivered.text);
        fake.successful_payment_in(Some(-100_777), &chat.user, &payment.reference, 99, "tg-group-1");
        chat.say("/wallet");
        chat.reply_containing("Your wallet").await;
        bot.stop().await;
        assert_eq!(balance(conn, 7701).await, Money::ZERO, "one credit, spent on the plan");
        assert!(fake.sent_to(-100_777).is_empty(), "nothing is said in the group");
        let delivered: Vec<_> = outbox_notices(conn, 7701)
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::LoginDelivered { .. }))
            .collect();
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
