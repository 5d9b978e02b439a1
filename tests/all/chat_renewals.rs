//! Renewing in chat: the reminder's Renew button opens the same confirm screen as a purchase,
//! Confirm renews (the login stays), /mysubs opens a subscription's page with Renew and the
//! auto-renew switch; a wallet that does not cover it offers the ways to pay; Hindi too.
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::domain::Lang;
use ottsonly::entities::subscription;
use ottsonly::services::{reminders, users};

use crate::support::bot_harness::RunningBot;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, buy, credit, customer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminded_customer_renews_from_the_reminder_and_turns_auto_renew_on() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        customer(conn, 6801).await;
        let mut ravi = Chat::new(&fake, 6801, "Ravi");
        let bought = Utc::now() - Duration::days(28);
        let first = buy(conn, 6801, 149, 40, bought).await;
        let sub = subscription::Entity::find()
            .filter(subscription::Column::OrderId.eq(first.order_id))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reminders::send_due(conn, &[3, 1], sub.ends_at - Duration::days(2)).await.unwrap(), 1);
        let reminder = ravi.reply_containing("subscription ends in").await;

        // Short of money (this shop takes no online payments): what is missing, and whom to ask.
        ravi.press(&reminder, "Renew").await;
        let short = ravi.reply_containing("more. To add money").await;
        assert!(short.text.contains("You need <b>₹149</b> more"), "{}", short.text);

        credit(conn, 6801, 200).await;
        ravi.press(&reminder, "Renew").await;
        let confirm = ravi.reply_containing("Confirm your renewal").await;
        assert!(confirm.text.contains("the new period runs from"), "{}", confirm.text);
        ravi.press(&confirm, "Confirm").await;
        let renewed = ravi.reply_containing("is renewed until").await;
        assert!(renewed.text.contains(&first.credential), "the login stays: {}", renewed.text);
        assert!(renewed.text.contains("₹51"), "{}", renewed.text);

        ravi.say("/mysubs");
        let list = ravi.reply_containing("My subscriptions").await;
        let label = format!("#{}", first.order_id);
        ravi.press(&list, &label).await;
        let page = ravi.reply_containing("Auto-renew is off").await;
        assert!(page.button("Renew for ₹149").is_some(), "{:?}", page.buttons());
        ravi.press(&page, "Turn auto-renew on").await;
        let on = ravi.reply_containing("Auto-renew is <b>on</b>").await;
        assert!(on.edit, "the page is edited in place");
        assert!(subscription::Entity::find_by_id(sub.id).one(conn).await.unwrap().unwrap().auto_renew);
        ravi.press(&on, "Turn auto-renew off").await;
        ravi.reply_containing("Auto-renew is off").await;

        // Someone else's subscription button, forged: nothing is shown.
        customer(conn, 6802).await;
        let mut sita = Chat::new(&fake, 6802, "Sita");
        sita.say("/start");
        let menu = sita.reply().await;
        sita.press_data(&menu, &format!("s:s:{}", sub.id)).await;
        sita.reply_containing("not in your list").await;
        sita.say("/start");
        let menu = sita.reply().await;
        sita.press_data(&menu, &format!("s:a:{}:1", sub.id)).await;
        sita.reply_containing("not in your list").await;
        assert!(!subscription::Entity::find_by_id(sub.id).one(conn).await.unwrap().unwrap().auto_renew);
        assert_ledger_consistent(conn).await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hindi_customer_renews_in_hindi() {
    let db = db::TestDb::sqlite().await;
    let conn = &db.conn;
    let fake = FakeTelegram::start().await;
    let bot = RunningBot::start(&fake, conn.clone()).await;
    customer(conn, 6803).await;
    users::set_language(conn, 6803, Lang::Hi).await.unwrap();
    let mut sita = Chat::new(&fake, 6803, "Sita");
    let first = buy(conn, 6803, 99, 30, Utc::now() - Duration::days(10)).await;
    credit(conn, 6803, 99).await;
    sita.say("/mysubs");
    let list = sita.reply_containing("मेरे सब्सक्रिप्शन").await;
    sita.press(&list, &format!("#{}", first.order_id)).await;
    let page = sita.reply_containing("ऑटो-रिन्यू बंद है").await;
    sita.press(&page, "रिन्यू करें").await;
    let confirm = sita.reply_containing("अपना रिन्यूअल कन्फ़र्म करें").await;
    sita.press(&confirm, "कन्फ़र्म").await;
    sita.reply_containing("रिन्यू हो गया").await;
    bot.stop().await;
    fake.assert_nothing_refused();
}
