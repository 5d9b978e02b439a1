//! Help and FAQ: an admin writes questions and answers in each language with /faq; customers
//! see their language's questions as buttons in /help and tap one for the answer.
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait};

use ottsonly::domain::faq::parse;
use ottsonly::domain::Lang;
use ottsonly::entities::faq_entry;
use ottsonly::entities::user::Role;
use ottsonly::services::{faq, users, ActError, Actor};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{customer, ADMIN};

#[tokio::test]
async fn entries_keep_their_order_and_only_admins_change_them() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        let entry = |q: &str| parse(&format!("{q} | answer to {q}")).unwrap();
        let a = faq::add(conn, &ADMIN, Lang::En, &entry("A?"), now).await.unwrap();
        let b = faq::add(conn, &ADMIN, Lang::En, &entry("B?"), now).await.unwrap();
        let c = faq::add(conn, &ADMIN, Lang::En, &entry("C?"), now).await.unwrap();
        faq::add(conn, &ADMIN, Lang::Hi, &entry("क?"), now).await.unwrap();
        let order = |entries: Vec<faq_entry::Model>| entries.into_iter().map(|e| e.question).collect::<Vec<_>>();
        assert_eq!(order(faq::list(conn, Lang::En).await.unwrap()), ["A?", "B?", "C?"]);
        faq::move_to(conn, &ADMIN, c.id, 1, now).await.unwrap().unwrap();
        assert_eq!(order(faq::list(conn, Lang::En).await.unwrap()), ["C?", "A?", "B?"]);
        faq::move_to(conn, &ADMIN, c.id, 99, now).await.unwrap().unwrap();
        assert_eq!(order(faq::list(conn, Lang::En).await.unwrap()), ["A?", "B?", "C?"]);
        assert!(faq::remove(conn, &ADMIN, a.id, now).await.unwrap());
        assert!(!faq::remove(conn, &ADMIN, a.id, now).await.unwrap());
        let left = faq::list(conn, Lang::En).await.unwrap();
        assert_eq!(left.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 2]);
        faq::edit(conn, &ADMIN, b.id, &entry("B2?"), now).await.unwrap().unwrap();
        assert_eq!(order(faq::list(conn, Lang::En).await.unwrap()), ["B2?", "C?"]);
        assert_eq!(order(faq::list(conn, Lang::Hi).await.unwrap()), ["क?"]);

        let support = Actor::new(5, Role::Support, Lang::En);
        assert!(matches!(faq::add(conn, &support, Lang::En, &entry("X?"), now).await, Err(ActError::Forbidden { .. })));
        assert!(matches!(faq::remove(conn, &support, b.id, now).await, Err(ActError::Forbidden { .. })));
        assert_eq!(faq_entry::Entity::find().count(conn).await.unwrap(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_read_the_faq_in_help_in_their_language() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        owner.say("/faq");
        owner.reply_containing("no questions and answers yet").await;
        owner.say("/faq add en How do I pay?");
        owner.reply_containing("then | and the answer").await;
        owner.say("/faq add en How do I pay? | By UPI, Razorpay or from your wallet. <fast>");
        owner.reply_containing("Added as #1").await;
        owner.reply_containing("How do I pay?").await;
        owner.say("/faq add hi भुगतान कैसे करें? | UPI से या वॉलेट से।");
        owner.reply_containing("Added as #1").await;
        owner.reply().await;
        owner.say("/faq add en When do I get my login? | Right after paying, here in the chat.");
        owner.reply_containing("Added as #2").await;
        let listed = owner.reply().await;
        assert!(listed.text.contains("hi #1 <b>भुगतान कैसे करें?</b>"), "{}", listed.text);
        owner.say("/faq remove 999");
        owner.reply_containing("no entry with id 999").await;
        owner.reply().await;

        customer(conn, 6601).await;
        let mut ravi = Chat::new(&fake, 6601, "Ravi");
        ravi.say("/help");
        let help = ravi.reply_containing("Questions and answers").await;
        assert!(help.button("When do I get my login?").is_some(), "{:?}", help.buttons());
        assert!(help.button("भुगतान").is_none(), "only the reader's language");
        ravi.press(&help, "How do I pay?").await;
        let answer = ravi.reply().await;
        assert!(answer.text.contains("By UPI, Razorpay or from your wallet. &lt;fast&gt;"), "{}", answer.text);
        ravi.press(&answer, "Help").await;
        ravi.reply_containing("Questions and answers").await;

        customer(conn, 6602).await;
        users::set_language(conn, 6602, Lang::Hi).await.unwrap();
        let mut sita = Chat::new(&fake, 6602, "Sita");
        sita.say("/help");
        let help = sita.reply_containing("सवाल और जवाब").await;
        assert!(help.button("भुगतान कैसे करें?").is_some(), "{:?}", help.buttons());
        assert!(help.button("How do I pay?").is_none());
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
