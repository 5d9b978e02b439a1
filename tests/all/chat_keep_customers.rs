//! Keeping a customer, end to end in chat, in English and in Hindi: the customer is reminded,
//! renews from the reminder with a promo code the owner made, reports that the login stopped
//! working and gets a replacement from a helper, then asks support a question and reads the
//! answer. Wallet, ledger and commissions agree throughout. The customer's labels and texts
//! are taken from locales/<lang>.yml, so the Hindi run follows the translator's words.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::domain::{Lang, Money};
use ottsonly::entities::commission;
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::subscription;
use ottsonly::entities::user::Role;
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::{reminders, staff, users};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock, referee, ADMIN};
use crate::support::locale_text::{text, tr};

/// The longest stretch of `key`'s text without a placeholder, a tag or a line break: enough to
/// recognise the message or the button in that language.
fn piece(lang: &str, key: &str) -> String {
    let text = text(lang, key);
    let mut best = String::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let cut = match c {
            '%' if chars.peek() == Some(&'{') => {
                chars.by_ref().take_while(|&c| c != '}').for_each(drop);
                true
            }
            '<' => {
                chars.by_ref().take_while(|&c| c != '>').for_each(drop);
                true
            }
            '\n' => true,
            _ => {
                current.push(c);
                false
            }
        };
        if cut {
            if current.trim().chars().count() > best.trim().chars().count() {
                best = current.clone();
            }
            current.clear();
        }
    }
    if current.trim().chars().count() > best.trim().chars().count() {
        best = current;
    }
    best.trim().to_owned()
}

async fn journey(lang: Lang, base: i64) {
    let code = lang.code();
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let helper_id = base + 10;
        customer(conn, helper_id).await;
        staff::set_role(conn, &ADMIN, helper_id, Role::Support, Utc::now()).await.unwrap();
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut helper = Chat::new(&fake, helper_id, "Help");

        // Meena was invited by Ravi, and bought a plan 28 days ago.
        customer(conn, base).await;
        referee(conn, base + 1, base, Utc::now() - Duration::days(29)).await;
        users::set_language(conn, base + 1, lang).await.unwrap();
        let mut meena = Chat::new(&fake, base + 1, "Meena");
        let plan = plan_with_stock(conn, "Netflix", 200, 50, 2).await;
        credit(conn, base + 1, 200).await;
        let bought = Utc::now() - Duration::days(28);
        let checkout = purchase::open_checkout(conn, base + 1, plan.id, WhenShort::Refuse, bought).await.unwrap();
        let first = purchase::confirm(conn, base + 1, checkout.order_id, bought).await.unwrap();
        let sub = subscription::Entity::find()
            .filter(subscription::Column::OrderId.eq(first.order_id))
            .one(conn)
            .await
            .unwrap()
            .unwrap();

        owner.say("/promo add STAY10 10%");
        owner.reply_containing("Promo code created").await;

        // Reminded two days before the end; Renew from the reminder, with the code.
        credit(conn, base + 1, 180).await;
        assert_eq!(reminders::send_due(conn, &[3, 1], sub.ends_at - Duration::days(2)).await.unwrap(), 1);
        let reminder = meena.reply_containing(&piece(code, "reminders.ends_in")).await;
        meena.press(&reminder, &piece(code, "renewals.renew_button")).await;
        // ₹180 in the wallet, ₹200 the price, and no online payments here: what is missing, and
        // the code can still be typed.
        let short = meena.reply_containing(&piece(code, "checkout.insufficient")).await;
        meena.press(&short, &piece(code, "promo.have_code_button")).await;
        meena.reply_containing(&piece(code, "promo.ask")).await;
        meena.say("stay10");
        let applied = tr(code, "promo.applied", &[("code", &"STAY10"), ("amount", &Money::from_rupees(20))]);
        meena.reply_containing(&applied).await;
        let confirm = meena.reply_containing(&piece(code, "checkout.renew_confirm")).await;
        let pay = tr(code, "checkout.confirm_button", &[("price", &Money::from_rupees(180))]);
        meena.press(&confirm, &pay).await;
        let renewed = meena.reply_containing(&piece(code, "renewals.renewed")).await;
        assert!(renewed.text.contains(&first.credential), "the login stays: {}", renewed.text);
        assert_eq!(balance(conn, base + 1).await, Money::ZERO);
        let after = subscription::Entity::find_by_id(sub.id).one(conn).await.unwrap().unwrap();
        assert_eq!((after.period, after.ends_at), (2, sub.ends_at + Duration::days(30)));
        // Ravi earns on what was paid: 30% of (200 - 50) and of (180 - 50).
        let ravi = users::find_by_telegram_id(conn, base).await.unwrap().unwrap();
        let mut earned: Vec<i64> = commission::Entity::find()
            .filter(commission::Column::EarnerId.eq(ravi.id))
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.amount)
            .collect();
        earned.sort_unstable();
        assert_eq!(earned, vec![3_900, 4_500]);

        // The login stops working: a report from the subscription's page.
        meena.say("/mysubs");
        let list = meena.reply_containing(&piece(code, "subs.title")).await;
        meena.press(&list, &format!("#{}", first.order_id)).await;
        let page = meena.reply_containing(&piece(code, "subs.page_title")).await;
        meena.press(&page, &piece(code, "subs.not_working")).await;
        let reasons = meena.reply_containing(&piece(code, "report.choose_reason")).await;
        meena.press(&reasons, &piece(code, "report.reason_wrong_password")).await;
        meena.reply_containing(&piece(code, "report.ask_note")).await;
        meena.say("It says the password is wrong");
        meena.reply_containing(&piece(code, "report.sent")).await;
        let alert = helper.reply_containing("Login report #1").await;
        assert!(alert.text.contains(&first.credential), "{}", alert.text);
        helper.press(&alert, "Replace login").await;
        helper.reply_containing("a new login (stock #").await;
        let replaced = meena.reply_containing(&piece(code, "report.replaced")).await;
        let now_holds = subscription::Entity::find_by_id(sub.id).one(conn).await.unwrap().unwrap().stock_item_id;
        assert_ne!(now_holds, sub.stock_item_id);
        let new_login = stock_item::Entity::find_by_id(now_holds).one(conn).await.unwrap().unwrap();
        assert!(replaced.text.contains(&new_login.credential), "{}", replaced.text);
        let old = stock_item::Entity::find_by_id(sub.stock_item_id).one(conn).await.unwrap().unwrap();
        assert_eq!(old.status, StockStatus::Retired);
        assert!(old.faulty_at.is_some());

        // A question for support, and the answer.
        meena.say("/support");
        meena.reply_containing(&piece(code, "support.intro")).await;
        meena.say("Can I watch on two phones?");
        meena.reply_containing(&piece(code, "support.opened")).await;
        let question = helper.reply_containing("New ticket #1").await;
        assert!(question.text.contains("Can I watch on two phones?"), "{}", question.text);
        helper.press(&question, "Reply").await;
        helper.reply_containing("Type your reply to ticket #1").await;
        helper.say("Yes, two screens at a time.");
        helper.reply_containing(&format!("Sent to customer {}", base + 1)).await;
        let answer = meena.reply_containing("Yes, two screens at a time.").await;
        assert!(answer.text.contains(&piece(code, "support.reply")), "{}", answer.text);

        // Nothing moved that should not have: one debit per period, the code used once.
        assert_eq!(balance(conn, base + 1).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
        owner.say("/promo STAY10");
        owner.reply_containing("Used in 1 paid order(s) by 1 customer(s): ₹180 paid, ₹20 given").await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_is_reminded_renews_with_a_code_gets_a_new_login_and_an_answer() {
    journey(Lang::En, 7101).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_in_hindi() {
    journey(Lang::Hi, 7201).await;
}
