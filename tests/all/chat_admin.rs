//! The shop admin in chat: plans, stock, wallet adjustments; and everyone else kept out.
use sea_orm::{EntityTrait, PaginatorTrait};

use ottsonly::domain::Money;
use ottsonly::entities::{audit_log, plan};
use ottsonly::services::catalog;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_runs_the_shop_from_chat() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut customer = Chat::new(&fake, 6001, "Kiran");
        customer.say("/start");
        customer.reply().await;

        admin.say("/addplan 135.50 42 30 Netflix Premium 4K");
        let created = admin.reply().await;
        assert!(
            created.text.contains("<b>Netflix Premium 4K</b> created: ₹135.50 (cost ₹42), 30 days"),
            "{}",
            created.text
        );
        let plans = catalog::list_plans(conn, false).await.unwrap();
        assert_eq!(plans.len(), 1);
        let id = plans[0].plan.id;
        assert_eq!((plans[0].plan.price, plans[0].plan.cost), (13_550, 4_200));

        fake.replay_last_update();
        admin.reply_containing("already created from this message").await;
        assert_eq!(catalog::list_plans(conn, false).await.unwrap().len(), 1);

        admin.say("/addplan 135 42");
        admin.reply_containing("Usage: /addplan").await;
        admin.say("/addplan abc 42 30 X");
        admin.reply_containing("Price: not an amount").await;

        admin.say(&format!("/addstock {id}\na@x.com:pw1\n b@x.com:pw2 \na@x.com:pw1\n\n"));
        let added = admin.reply().await;
        assert!(added.text.contains("added 2, skipped 1 duplicate(s)"), "{}", added.text);
        assert!(added.text.contains("In stock now: <b>2</b>"), "{}", added.text);

        fake.send_document(&admin.user, &format!("/addstock {id}"), "stock.txt", b"c@x.com:pw3\na@x.com:pw1\n");
        let from_file = admin.reply().await;
        assert!(from_file.text.contains("added 1, skipped 1"), "{}", from_file.text);
        fake.send_document(
            &admin.user,
            &format!("/addstock {id}"),
            "stock.csv",
            b"email,password\nd@x.com,pw4\ne@x.com,\"p,w\"\n",
        );
        let from_csv = admin.reply().await;
        assert!(
            from_csv.text.contains("added 2, skipped 0") && from_csv.text.contains("<b>5</b>"),
            "{}",
            from_csv.text
        );
        fake.send_document(&admin.user, &format!("/addstock {id}"), "stock.pdf", b"%PDF");
        admin.reply_containing(".txt or .csv").await;
        admin.say("/addstock 999\nx");
        admin.reply_containing("no plan #999").await;
        admin.say("/addstock");
        admin.reply_containing("Usage: /addstock").await;

        admin.say(&format!("/describe {id} Netflix <Premium>\n4 screens & 4K"));
        admin.reply_containing("Description of plan").await;
        admin.say("/describe x");
        admin.reply_containing("Usage: /describe").await;
        customer.say("/plans");
        let plans = customer.reply().await;
        customer.press(&plans, "Netflix").await;
        let detail = customer.reply().await;
        assert!(detail.text.contains("Netflix &lt;Premium&gt;\n4 screens &amp; 4K"), "{}", detail.text);

        admin.say("/plans");
        let listing = admin.reply().await;
        assert!(
            listing.text.contains(&format!("#{id} <b>Netflix Premium 4K</b>")) && listing.text.contains("stock 5"),
            "{}",
            listing.text
        );

        admin.say("/credit 6001 250 welcome bonus");
        let credited = admin.reply().await;
        assert!(credited.text.contains("Credited ₹250 to @user6001 (6001). New balance: ₹250"), "{}", credited.text);
        let told = customer.reply().await;
        assert!(
            told.text.contains("credited with <b>₹250</b>") && told.text.contains("welcome bonus"),
            "{}",
            told.text
        );

        admin.say("/debit 6001 1000");
        admin.reply_containing("balance is only ₹250").await;
        admin.say("/debit 6001 50.25 correction");
        admin.reply_containing("New balance: ₹199.75").await;
        customer.reply_containing("deducted").await;
        admin.say("/credit 6001 -5");
        admin.reply_containing("must not be negative").await;
        admin.say("/credit 6001 0");
        admin.reply_containing("more than zero").await;
        admin.say("/credit 999999 5");
        admin.reply_containing("No customer with Telegram id 999999").await;
        admin.say("/credit");
        admin.reply_containing("Usage: /credit").await;
        assert_eq!(balance(conn, 6001).await, Money::from_paise(19_975));

        // A replayed update of the credit command is applied once.
        admin.say("/credit 6001 10");
        admin.reply_containing("New balance: ₹209.75").await;
        fake.replay_last_update();
        admin.reply_containing("already applied").await;
        assert_eq!(balance(conn, 6001).await, Money::from_paise(20_975));

        // Sell one login to the customer, then refund it.
        customer.reply_containing("credited with <b>₹10</b>").await;
        let confirm = customer.open_buy_screen("Netflix").await;
        customer.press(&confirm, "Confirm").await;
        customer.reply_containing("is yours").await;
        let order: String = confirm.button("Confirm").unwrap().rsplit(':').next().unwrap().to_owned();
        admin.say(&format!("/refund {order} login stopped working"));
        admin.reply_containing(&format!("Order #{order} refunded: ₹135.50 back")).await;
        let told = customer.reply_containing("was refunded").await;
        assert!(told.text.contains("login stopped working") && told.text.contains("₹209.75"), "{}", told.text);
        admin.say(&format!("/refund {order}"));
        admin.reply_containing("already refunded").await;
        admin.say("/refund 999999");
        admin.reply_containing("no order #999999").await;
        admin.say("/refund");
        admin.reply_containing("Usage: /refund").await;
        customer.say("/mysubs");
        let subs = customer.reply().await;
        assert!(subs.text.contains("Cancelled") && !subs.text.contains("a@x.com"), "{}", subs.text);

        admin.say("/help");
        admin.reply_containing("/addstock").await;

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
        assert!(audit_log::Entity::find().count(conn).await.unwrap() >= 7);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addplan_step_by_step_with_mistakes() {
    for db in db::all().await {
        addplan_dialogue(&db).await;
    }
}

async fn addplan_dialogue(db: &db::TestDb) {
    let fake = FakeTelegram::start().await;
    let bot = RunningBot::start(&fake, db.conn.clone()).await;
    let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
    admin.say("/addplan");
    admin.reply_containing("price").await;
    admin.say("free");
    admin.reply_containing("not an amount").await;
    admin.say("99");
    admin.reply_containing("cost").await;
    fake.send_sticker(&admin.user);
    admin.reply_containing("answer with text").await;
    admin.say("20");
    admin.reply_containing("days").await;
    admin.say("0");
    admin.reply_containing("1 to 3650").await;
    admin.say("28");
    admin.reply_containing("name").await;
    admin.say("  Sony   LIV  ");
    admin.reply_containing("<b>Sony LIV</b> created: ₹99 (cost ₹20), 28 days").await;
    admin.say("hello");
    admin.reply_containing("didn't get that").await;

    admin.say("/addplan");
    admin.reply_containing("price").await;
    admin.say("/cancel");
    admin.reply_containing("Cancelled").await;
    admin.say("/cancel");
    admin.reply_containing("nothing to cancel").await;

    bot.stop().await;
    fake.assert_nothing_refused();
    assert_eq!(plan::Entity::find().count(&db.conn).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_cannot_use_admin_commands() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut intruder = Chat::new(&fake, 6100, "Mallory");
        intruder.say("/start");
        intruder.reply().await;
        for command in [
            "/addplan 1 0 30 Free",
            "/addplan",
            "/addstock 1\nx",
            "/credit 6100 1000",
            "/debit 6100 1",
            "/describe 1 free",
            "/withdrawals",
            "/flags",
            "/block 6100",
            "/unblock 6100",
            "/set referral.l1_rate 90",
        ] {
            intruder.say(command);
            intruder.reply_containing("for shop admins only").await;
        }
        // /settings is the customer's own.
        intruder.say("/settings");
        let own = intruder.reply_containing("Your settings").await;
        assert!(!own.text.contains("referral."), "{}", own.text);
        intruder.say("5");
        intruder.reply_containing("didn't get that").await;
        assert_eq!(plan::Entity::find().count(conn).await.unwrap(), 0);
        assert_eq!(balance(conn, 6100).await, Money::ZERO);
        assert_eq!(audit_log::Entity::find().count(conn).await.unwrap(), 0);

        // Customers see the customer command list (in Hindi too); the admin gets the admin commands as well.
        let registered = fake.calls("setMyCommands");
        let names = |c: &serde_json::Value| -> Vec<String> {
            c["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap().to_owned()).collect()
        };
        let customers =
            ["plans", "mysubs", "wallet", "refer", "withdraw", "support", "start", "help", "language", "me"];
        let default_scope = |c: &&serde_json::Value| c.get("scope").is_none_or(|s| s.is_null());
        assert!(registered.iter().filter(default_scope).any(|c| names(c) == customers && c["language_code"].is_null()));
        assert!(registered.iter().filter(default_scope).any(|c| names(c) == customers && c["language_code"] == "hi"));
        assert!(registered
            .iter()
            .any(|c| c["scope"]["chat_id"] == ADMIN_ID && c["commands"].to_string().contains("addstock")));
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
