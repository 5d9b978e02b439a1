//! A customer in chat, against the real handler tree and a strict fake Bot API.
use sea_orm::EntityTrait;

use ottsonly::domain::Money;
use ottsonly::entities::user;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_buy_and_receive_credentials() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let plan = plan_with_stock(conn, "Netflix <Premium> & 4K", 135, 42, 2).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut chat = Chat::new(&fake, 5001, "Asha");

        chat.say("/start");
        let welcome = chat.reply().await;
        assert!(welcome.text.contains("Welcome to <b>Test &lt;Shop&gt; &amp; Co</b>, Asha"), "{}", welcome.text);
        credit(conn, 5001, 200).await;

        chat.press(&welcome, "Plans").await;
        let plans = chat.reply().await;
        assert!(plans.edit && plans.text.contains("Netflix &lt;Premium&gt; &amp; 4K"), "{}", plans.text);
        assert!(plans.text.contains("₹135 for 30 days"));

        chat.press(&plans, "Netflix").await;
        let detail = chat.reply().await;
        assert!(detail.text.contains("In stock"), "{}", detail.text);

        chat.press(&detail, "Buy").await;
        let confirm = chat.reply().await;
        assert!(confirm.text.contains("Balance after: <b>₹65</b>"), "{}", confirm.text);
        // Nothing is charged until Confirm.
        assert_eq!(balance(conn, 5001).await, Money::from_rupees(200));

        chat.press(&confirm, "Confirm").await;
        let paid = chat.reply().await;
        assert!(paid.edit && paid.text.contains("Paid ₹135"), "{}", paid.text);
        assert!(paid.buttons().is_empty(), "the confirm buttons are gone");
        let delivered = chat.reply().await;
        assert!(
            delivered.text.contains("<code>Netflix &lt;Premium&gt; &amp; 4K-0@mail.test:pw0</code>"),
            "{}",
            delivered.text
        );
        assert!(delivered.text.contains("Valid until"));
        assert_eq!(balance(conn, 5001).await, Money::from_rupees(65));
        assert_eq!(plan.price, 13_500);

        // The stale Confirm on the old screen, pressed again: the same login, no second charge.
        chat.press(&confirm, "Confirm").await;
        chat.reply_containing("already paid").await;
        let again = chat.reply().await;
        assert!(again.text.contains("pw0"));
        assert_eq!(balance(conn, 5001).await, Money::from_rupees(65));

        chat.say("/wallet");
        let wallet = chat.reply().await;
        assert!(wallet.text.contains("Balance: <b>₹65</b>"), "{}", wallet.text);
        assert!(wallet.text.contains("Customer ID: <code>5001</code>"), "{}", wallet.text);
        assert!(wallet.text.contains("-₹135  purchase"), "{}", wallet.text);
        assert!(wallet.text.contains("+₹200  credit by shop"), "{}", wallet.text);

        chat.say("/mysubs");
        let subs = chat.reply().await;
        assert!(subs.text.contains("Active until") && subs.text.contains("pw0"), "{}", subs.text);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_balance_sold_out_and_stale_buttons_are_explained() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let plan = plan_with_stock(conn, "Hotstar", 135, 42, 1).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Admin");
        let mut poor = Chat::new(&fake, 5002, "Ravi");
        let mut rich = Chat::new(&fake, 5003, "Meera");
        poor.say("/start");
        let menu = poor.reply().await;
        rich.say("/start");
        rich.reply().await;
        credit(conn, 5002, 100).await;
        credit(conn, 5003, 500).await;

        let short = poor.open_buy_screen("Hotstar").await;
        assert!(short.text.contains("You need <b>₹35</b> more"), "{}", short.text);
        assert!(short.text.contains("@shop_support") && short.text.contains("<code>5002</code>"), "{}", short.text);

        // Meera opens the confirm screen; the last credential goes to someone else first.
        let confirm = rich.open_buy_screen("Hotstar").await;
        customer(conn, 5004).await;
        credit(conn, 5004, 500).await;
        let other = ottsonly::services::purchase::open_checkout(
            conn,
            5004,
            plan.id,
            ottsonly::services::purchase::WhenShort::Refuse,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        ottsonly::services::purchase::confirm(conn, 5004, other.order_id, chrono::Utc::now()).await.unwrap();
        rich.press(&confirm, "Confirm").await;
        let sold_out = rich.reply().await;
        assert!(
            sold_out.text.contains("just sold out") && sold_out.text.contains("No money was taken"),
            "{}",
            sold_out.text
        );
        assert_eq!(balance(conn, 5003).await, Money::from_rupees(500));
        let alert = admin.reply_containing("Sold out").await;
        assert!(alert.text.contains(&format!("/addstock {}", plan.id)), "{}", alert.text);

        // A button from an older version, or one we never made.
        let answer = poor.press_data(&menu, "legacy:button").await;
        assert!(answer["text"].as_str().unwrap_or_default().contains("expired"));
        poor.reply_containing("What would you like to do?").await;

        // The plans screen pressed twice in a row changes nothing and must not error.
        poor.say("/start");
        let menu = poor.reply().await;
        poor.press(&menu, "Plans").await;
        let plans = poor.reply().await;
        poor.press(&plans, "Menu").await;
        let menu_again = poor.reply().await;
        poor.press(&menu_again, "Plans").await;
        poor.reply().await;
        poor.press(&menu_again, "Plans").await;
        poor.press(&menu_again, "Wallet").await;
        let wallet = poor.reply().await;
        assert!(wallet.text.contains("Your wallet"), "the bot goes on after an unchanged edit");

        bot.stop().await;
        // Telegram refuses the unchanged edit; the bot shrugs it off and nothing else is refused.
        let refusals = fake.refusals();
        assert_eq!(refusals.len(), 1, "{refusals:#?}");
        assert!(refusals[0].description.contains("message is not modified"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_unexpected_gets_a_helpful_reply() {
    for db in db::all().await {
        unexpected_input(&db).await;
    }
}

async fn unexpected_input(db: &db::TestDb) {
    let fake = FakeTelegram::start().await;
    let bot = RunningBot::start(&fake, db.conn.clone()).await;
    let mut chat = Chat::new(&fake, 5100, "<b>Bold</b> & \"quoted\"");
    chat.say("/start");
    let welcome = chat.reply().await;
    assert!(welcome.text.contains("&lt;b&gt;Bold&lt;/b&gt; &amp; \"quoted\""), "{}", welcome.text);

    let long_hindi = "नमस्ते ".repeat(1500);
    for text in ["hello", "😀😀😀", "/nonsense", long_hindi.as_str(), "   ", "<script>", "/start@other_bot"] {
        chat.say(text);
        let reply = chat.reply().await;
        assert!(reply.text.contains("didn't get that"), "{text:?} -> {}", reply.text);
        assert!(!reply.buttons().is_empty(), "the menu comes with it");
    }
    fake.send_sticker(&chat.user);
    chat.reply_containing("didn't get that").await;
    fake.send_photo(&chat.user);
    chat.reply_containing("didn't get that").await;
    chat.say("/help");
    let help = chat.reply().await;
    assert!(help.text.contains("@shop_support") && !help.text.contains("/addplan"), "{}", help.text);

    bot.stop().await;
    fake.assert_nothing_refused();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_link_records_the_referrer_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut referrer = Chat::new(&fake, 5200, "Ref");
        referrer.say("/start");
        let menu = referrer.reply().await;
        referrer.press(&menu, "Refer").await;
        let refer = referrer.reply().await;
        let link_start = refer.text.find("https://t.me/ottsonly_test_bot?start=ref_").expect("deep link");
        let code: String = refer.text[link_start..].split("ref_").nth(1).unwrap().chars().take(8).collect();

        let mut friend = Chat::new(&fake, 5201, "Friend");
        friend.say(&format!("/start ref_{code}"));
        friend.reply().await;
        friend.say("/start ref_ZZZZZZZZ");
        friend.reply_containing("Welcome back").await;

        let users = user::Entity::find().all(conn).await.unwrap();
        let referrer_row = users.iter().find(|u| u.telegram_id == 5200).unwrap();
        let friend_row = users.iter().find(|u| u.telegram_id == 5201).unwrap();
        assert_eq!(friend_row.referred_by, Some(referrer_row.id));
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_replayed_buttons() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        plan_with_stock(conn, "Sony", 99, 20, 3).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut chat = Chat::new(&fake, 5300, "Neha");
        chat.say("/start");
        chat.reply().await;
        credit(conn, 5300, 500).await;

        // Two confirm screens for the same plan; cancel one, the other is the same order.
        let first = chat.open_buy_screen("Sony").await;
        let second = chat.open_buy_screen("Sony").await;
        assert_eq!(first.button("Confirm"), second.button("Confirm"), "one order behind both screens");
        chat.press(&first, "Cancel").await;
        chat.reply_containing("Purchase cancelled. No money was taken.").await;
        chat.press(&second, "Confirm").await;
        chat.reply_containing("no longer open").await;
        assert_eq!(balance(conn, 5300).await, Money::from_rupees(500));

        // Buy again, pay, and the same Confirm update delivered twice by Telegram.
        let confirm = chat.open_buy_screen("Sony").await;
        chat.press(&confirm, "Confirm").await;
        chat.reply_containing("is yours").await;
        fake.replay_last_update();
        chat.reply_containing("already paid").await;
        assert_eq!(balance(conn, 5300).await, Money::from_rupees(401));
        // Cancel pressed after paying does not claim nothing was taken.
        chat.press(&confirm, "Cancel").await;
        chat.reply_containing("already paid, so it cannot be cancelled").await;

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_customers_confirm_at_once_for_three_logins() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let plan = plan_with_stock(conn, "Rush", 100, 30, 3).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Admin");
        let mut chats = Vec::new();
        let mut confirms = Vec::new();
        for n in 0..10 {
            let mut chat = Chat::new(&fake, 5400 + n, "Buyer");
            chat.say("/start");
            chat.reply().await;
            credit(conn, 5400 + n, 100).await;
            confirms.push(chat.open_buy_screen("Rush").await);
            chats.push(chat);
        }
        // All ten taps are queued before the bot sees any of them.
        let queries: Vec<_> = chats
            .iter()
            .zip(&confirms)
            .map(|(chat, confirm)| fake.press(&chat.user, confirm, &confirm.button("Confirm").unwrap()))
            .collect();
        for query in &queries {
            fake.wait_callback_answered(query).await;
        }
        let (mut delivered, mut sold_out) = (0, 0);
        for chat in &mut chats {
            let answer = chat.reply_containing("<b>").await;
            let outcome = if answer.text.contains("Paid ₹100") { chat.reply().await } else { answer };
            if outcome.text.contains("is yours") {
                delivered += 1;
                assert_eq!(balance(conn, chat.user.id).await, Money::ZERO);
            } else {
                assert!(outcome.text.contains("just sold out"), "{}", outcome.text);
                sold_out += 1;
                assert_eq!(balance(conn, chat.user.id).await, Money::from_rupees(100));
            }
        }
        assert_eq!((delivered, sold_out), (3, 7), "{}", db.backend);
        // Seven customers hit the empty plan; admins get one alert, not seven.
        admin.reply_containing(&format!("/addstock {}", plan.id)).await;
        bot.stop().await;
        let orders = fake.sent_to(ADMIN_ID).iter().filter(|m| m.text.contains("New order")).count();
        assert_eq!(orders, 3, "one alert per sale");
        let alerts = fake.sent_to(ADMIN_ID).iter().filter(|m| m.text.contains("Sold out")).count();
        assert_eq!(alerts, 1);
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_subscription_offers_buy_again() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        customer(conn, 5301).await;
        let old =
            crate::support::fixtures::buy(conn, 5301, 149, 40, chrono::Utc::now() - chrono::Duration::days(40)).await;
        let mut chat = Chat::new(&fake, 5301, "Neha");
        chat.say("/mysubs");
        let subs = chat.reply_containing("My subscriptions").await;
        assert!(subs.text.contains("Expired on"), "{}", subs.text);
        let label = format!("🔁 Buy {} again", old.plan_name);
        assert!(subs.button(&label).is_some(), "{:?}", subs.buttons());
        chat.press(&subs, &label).await;
        let plan = chat.reply().await;
        // The plan's page (its only login went to this customer, so it is sold out for now).
        assert!(plan.text.contains(&old.plan_name) && plan.text.contains("₹149"), "{}", plan.text);
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_turns_offers_off_and_on_in_me() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut chat = Chat::new(&fake, 5302, "Kiran");
        chat.say("/start");
        chat.reply_containing("Welcome").await;
        let wants = |conn: sea_orm::DatabaseConnection| async move {
            ottsonly::services::users::find_by_telegram_id(&conn, 5302).await.unwrap().unwrap().wants_offers
        };
        assert!(wants(conn.clone()).await, "offers are on for a new customer");
        chat.say("/me");
        let settings = chat.reply_containing("Your settings").await;
        assert!(
            settings.text.contains("Offers and announcements: on") && settings.text.contains("English"),
            "{}",
            settings.text
        );
        chat.press(&settings, "Turn offers off").await;
        let off = chat.reply_containing("Offers and announcements: off").await;
        assert!(!wants(conn.clone()).await);
        chat.press(&off, "Turn offers on").await;
        let on = chat.reply_containing("Offers and announcements: on").await;
        assert!(wants(conn.clone()).await);
        chat.press(&on, "Language").await;
        let choose = chat.reply_containing("Choose your language").await;
        assert!(choose.button("हिन्दी").is_some(), "{:?}", choose.buttons());
        // /settings is a customer's own settings too (staff get the shop's).
        chat.say("/settings");
        chat.reply_containing("Your settings").await;
        let mut owner = Chat::new(&fake, crate::support::bot_harness::ADMIN_ID, "Boss");
        owner.say("/settings");
        let shop = owner.reply().await;
        assert!(!shop.text.contains("Your settings") && shop.text.contains("referral.l1_rate"), "{}", shop.text);
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
