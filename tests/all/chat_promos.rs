//! Promo codes in chat: an admin creates one with /promo add, a customer applies it on the
//! confirm screen ("Have a code?"), a wrong code gets its reason, Confirm pays the lower
//! price; the admin sees its use and switches it off; in Hindi the reasons come in Hindi.
use ottsonly::domain::{Lang, Money};
use ottsonly::services::users;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_with_a_code_the_admin_made() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let plan = plan_with_stock(conn, "Netflix", 149, 40, 2).await;
        owner.say("/promo add diwali 20%");
        owner.reply_containing("Promo code created").await;
        owner.say("/promo add BAD 0%");
        owner.reply_containing("how much comes off").await;
        owner.say(&format!("/promo add ONLYOTHER 50 plans={}", plan.id + 1));
        owner.reply_containing("Promo code created").await;

        customer(conn, 6701).await;
        credit(conn, 6701, 200).await;
        let mut ravi = Chat::new(&fake, 6701, "Ravi");
        let confirm = ravi.open_buy_screen("Netflix").await;
        ravi.press(&confirm, "Have a code?").await;
        ravi.reply_containing("Type your promo code").await;
        ravi.say("NOSUCH");
        ravi.reply_containing("there is no such code").await;
        ravi.say("onlyother");
        ravi.reply_containing("not for this plan").await;
        ravi.say("Diwali");
        ravi.reply_containing("Code DIWALI applied: you save ₹29.80").await;
        let screen = ravi.reply_containing("Confirm your purchase").await;
        assert!(screen.text.contains("Code <b>DIWALI</b>: −₹29.80 off ₹149"), "{}", screen.text);
        assert!(screen.button("Remove code DIWALI").is_some(), "{:?}", screen.buttons());
        ravi.press(&screen, "Confirm and pay ₹119.20").await;
        ravi.reply_containing("is yours").await;
        assert_eq!(balance(conn, 6701).await, Money::from_paise(20_000 - 11_920));

        owner.say("/promo DIWALI");
        owner.reply_containing("Used in 1 paid order(s) by 1 customer(s): ₹119.20 paid, ₹29.80 given").await;
        owner.say("/promo off diwali");
        owner.reply_containing("Code DIWALI is off").await;
        owner.say("/promo");
        let list = owner.reply_containing("Promo codes").await;
        assert!(list.text.contains("<b>DIWALI</b>: 20% off, off"), "{}", list.text);

        // In Hindi, a switched-off code says so in Hindi.
        customer(conn, 6702).await;
        users::set_language(conn, 6702, Lang::Hi).await.unwrap();
        credit(conn, 6702, 200).await;
        let mut sita = Chat::new(&fake, 6702, "Sita");
        sita.say("/plans");
        let plans = sita.reply().await;
        sita.press(&plans, "Netflix").await;
        let detail = sita.reply().await;
        sita.press(&detail, "🛒").await;
        let confirm = sita.reply_containing("कन्फ़र्म").await;
        sita.press(&confirm, "कोड है?").await;
        sita.reply_containing("प्रोमो कोड लिखें").await;
        sita.say("DIWALI");
        sita.reply_containing("यह कोड बंद कर दिया गया है").await;
        assert_ledger_consistent(conn).await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
