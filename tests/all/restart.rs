//! A restart loses nothing: balances, orders, subscriptions and a dialogue in progress.
use ottsonly::domain::Money;
use ottsonly::services::catalog;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{balance, credit, plan_with_stock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing() {
    for db in db::all().await {
        let fake = FakeTelegram::start().await;
        plan_with_stock(&db.conn, "Prime", 100, 30, 2).await;
        let bot = RunningBot::start(&fake, db.conn.clone()).await;
        let mut customer = Chat::new(&fake, 7001, "Dev");
        customer.say("/start");
        customer.reply().await;
        credit(&db.conn, 7001, 300).await;
        let confirm = customer.open_buy_screen("Prime").await;
        customer.press(&confirm, "Confirm").await;
        customer.reply_containing("is yours").await;

        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        admin.say("/addplan");
        admin.reply_containing("price").await;
        admin.say("149");
        admin.reply_containing("cost").await;

        // Stop the bot and drop its database pool: a new process with a new connection.
        bot.stop().await;
        db.conn.clone().close().await.expect("close pool");
        let conn = db.reconnect().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;

        admin.say("49");
        admin.reply_containing("days").await;
        admin.say("30");
        admin.reply_containing("name").await;
        admin.say("Disney+ Hotstar");
        admin.reply_containing("created: ₹149 (cost ₹49), 30 days").await;
        assert!(catalog::list_plans(&conn, false).await.unwrap().iter().any(|l| l.plan.name == "Disney+ Hotstar"));

        assert_eq!(balance(&conn, 7001).await, Money::from_rupees(200));
        customer.say("/mysubs");
        let subs = customer.reply().await;
        assert!(subs.text.contains("Prime") && subs.text.contains("Prime-0@mail.test:pw0"), "{}", subs.text);
        customer.say("/wallet");
        customer.reply_containing("Balance: <b>₹200</b>").await;
        // The confirm button of before the restart still charges nothing twice.
        customer.press(&confirm, "Confirm").await;
        customer.reply_containing("already paid").await;
        assert_eq!(balance(&conn, 7001).await, Money::from_rupees(200));

        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
