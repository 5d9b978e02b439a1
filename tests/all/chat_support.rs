//! Support in chat, against the fake Bot API: a customer reports a login that stopped working
//! (reason, note), a helper replaces it (refused while no stock is left), replies and closes
//! a second report; a customer asks a question under /support, a helper answers from the
//! alert's Reply button, the customer answers back and closes the ticket; /rotate reaches the
//! login's holder; a customer's forged desk buttons are refused.
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::domain::credentials;
use ottsonly::entities::subscription;
use ottsonly::entities::user::Role;
use ottsonly::services::{staff, stock};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{buy, customer, ADMIN};

const HELPER: i64 = 6902;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_report_is_answered_and_a_question_is_asked_and_answered() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        customer(conn, HELPER).await;
        staff::set_role(conn, &ADMIN, HELPER, Role::Support, Utc::now()).await.unwrap();
        customer(conn, 6901).await;
        let mut ravi = Chat::new(&fake, 6901, "Ravi");
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut helper = Chat::new(&fake, HELPER, "Help");
        let bought = buy(conn, 6901, 149, 40, Utc::now()).await;
        let sub = subscription::Entity::find()
            .filter(subscription::Column::OrderId.eq(bought.order_id))
            .one(conn)
            .await
            .unwrap()
            .unwrap();

        // The report: from the subscription's page, a reason, a note.
        ravi.say("/mysubs");
        let list = ravi.reply_containing("My subscriptions").await;
        ravi.press(&list, &format!("#{}", bought.order_id)).await;
        let page = ravi.reply_containing("Auto-renew").await;
        ravi.press(&page, "Login not working").await;
        let reasons = ravi.reply_containing("what is wrong with the login?").await;
        ravi.press(&reasons, "Wrong password").await;
        ravi.reply_containing("Add a short note").await;
        ravi.say("It says <incorrect> password");
        ravi.reply_containing("Report #1 sent").await;

        let alert = helper.reply_containing("Login report #1").await;
        assert!(alert.text.contains(&bought.credential), "{}", alert.text);
        assert!(alert.text.contains("It says &lt;incorrect&gt; password"), "{}", alert.text);
        assert!(alert.text.contains("1 paid order(s)"), "{}", alert.text);
        let owner_alert = owner.reply_containing("Login report #1").await;
        helper.press(&alert, "Replace login").await;
        helper.reply_containing("no login of").await;
        let lines = "fresh@mail.test:new1";
        stock::add_stock(conn, &ADMIN, sub.plan_id, &credentials::from_lines(lines), Utc::now()).await.unwrap();
        helper.press(&alert, "Replace login").await;
        helper.reply_containing("a new login (stock #").await;
        let replaced = ravi.reply_containing("here is your new login").await;
        assert!(replaced.text.contains("fresh@mail.test:new1"), "{}", replaced.text);
        // Pressed again by the owner: answered already.
        owner.press(&owner_alert, "Replace login").await;
        owner.reply_containing("answered already").await;

        // A second report, sent without a note; a reply, then closed.
        ravi.say("/mysubs");
        let list = ravi.reply_containing("My subscriptions").await;
        ravi.press(&list, &format!("#{}", bought.order_id)).await;
        let page = ravi.reply_containing("Auto-renew").await;
        ravi.press(&page, "Login not working").await;
        let reasons = ravi.reply_containing("what is wrong").await;
        ravi.press(&reasons, "Screen limit reached").await;
        let ask = ravi.reply_containing("Add a short note").await;
        ravi.press(&ask, "Send now").await;
        ravi.reply_containing("Report #2 sent").await;
        let second = owner.reply_containing("Login report #2").await;
        owner.press(&second, "Reply").await;
        owner.reply_containing("Type your reply to report #2").await;
        owner.say("Please sign out of the TV first.");
        owner.reply_containing("Sent to customer 6901").await;
        ravi.reply_containing("Please sign out of the TV first.").await;
        let second_for_helper = helper.reply_containing("Login report #2").await;
        helper.press(&second_for_helper, "Close").await;
        helper.reply_containing("Report #2 closed").await;
        ravi.reply_containing("closed as resolved").await;

        // A question under /support, answered from the alert.
        ravi.say("/support");
        ravi.reply_containing("Write your question below").await;
        ravi.say("How do I change the language?");
        ravi.reply_containing("Ticket #1 opened").await;
        let question = helper.reply_containing("New ticket #1").await;
        assert!(question.text.contains("How do I change the language?"), "{}", question.text);
        helper.press(&question, "Reply").await;
        helper.reply_containing("Type your reply to ticket #1").await;
        helper.say("Tap Language in the menu.");
        helper.reply_containing("Sent to customer 6901").await;
        let answer = ravi.reply_containing("Tap Language in the menu.").await;
        ravi.press(&answer, "Reply").await;
        ravi.reply_containing("Write your message").await;
        ravi.say("Thanks, found it!");
        ravi.reply_containing("Added to ticket #1").await;
        helper.reply_containing("Thanks, found it!").await;
        owner.say("/tickets");
        let open = owner.reply_containing("Open tickets").await;
        owner.press(&open, "#1 Show").await;
        let history = owner.reply_containing("Ticket #1</b> with").await;
        assert!(history.text.contains("Tap Language in the menu.") && history.text.contains("Thanks, found it!"));
        ravi.say("/support");
        let intro = ravi.reply_containing("Your open ticket: #1").await;
        ravi.press(&intro, "Close ticket #1").await;
        ravi.reply_containing("Ticket #1 closed").await;
        helper.reply_containing("closed ticket #1").await;

        // The shared login's password changes.
        let current = subscription::Entity::find_by_id(sub.id).one(conn).await.unwrap().unwrap().stock_item_id;
        owner.say(&format!("/rotate {current}\nfresh@mail.test:new2"));
        owner.reply_containing("Customers told: 1").await;
        ravi.reply_containing("fresh@mail.test:new2").await;

        // A customer's forged desk buttons change nothing.
        ravi.say("/start");
        let menu = ravi.reply().await;
        ravi.press_data(&menu, "sd:rx:1").await;
        ravi.reply_containing("for shop admins only").await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
