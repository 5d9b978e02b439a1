//! Gifts in chat: a customer buys a plan as a gift from the confirm screen and gets a link to
//! share instead of a login; opening their own link says so; a newcomer opening it is welcomed
//! and gets the login, and the buyer is told; a third person is told it is taken (in Hindi
//! for a Hindi speaker); the buyer's list shows the gift; an admin refunds an unclaimed gift
//! and its link then says so.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use ottsonly::domain::{Lang, Money};
use ottsonly::entities::order;
use ottsonly::services::{catalog, users};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::{FakeTelegram, SentMessage, BOT_USERNAME};
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock};

/// The gift code in a "your gift is ready" message, checked against the share button.
fn gift_code(ready: &SentMessage) -> String {
    let prefix = format!("https://t.me/{BOT_USERNAME}?start=gift_");
    let start = ready.text.find(&prefix).unwrap_or_else(|| panic!("no gift link in {}", ready.text)) + prefix.len();
    let code: String = ready.text[start..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let share = ready.button("Share the gift link").unwrap_or_else(|| panic!("{:?}", ready.buttons()));
    assert!(share.starts_with("https://t.me/share/url?url=") && share.contains(&code), "{share}");
    code
}

async fn buy_as_gift(chat: &mut Chat, plan: &str) -> String {
    let confirm = chat.open_buy_screen(plan).await;
    chat.press(&confirm, "Buy as a gift").await;
    let screen = chat.reply_containing("As a gift").await;
    assert!(screen.button("Buy for myself instead").is_some(), "{:?}", screen.buttons());
    chat.press(&screen, "Confirm and pay").await;
    chat.reply_containing("as a gift. Your gift link is below").await;
    let ready = chat.reply_containing("Your gift is ready").await;
    gift_code(&ready)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_link_gives_the_login_to_the_first_person_who_opens_it() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let plan = plan_with_stock(conn, "Netflix", 149, 40, 3).await;
        customer(conn, 6801).await;
        credit(conn, 6801, 300).await;
        let mut asha = Chat::new(&fake, 6801, "Asha");
        let code = buy_as_gift(&mut asha, "Netflix").await;
        assert_eq!(balance(conn, 6801).await, Money::from_rupees(151));

        asha.say(&format!("/start gift_{code}"));
        asha.reply_containing("This is your own gift link").await;

        // Someone new to the shop opens it: welcomed, and the login is theirs.
        let mut meera = Chat::new(&fake, 6802, "Meera");
        meera.say(&format!("/start gift_{code}"));
        let gift = meera.reply_containing("A gift for you: Netflix").await;
        assert!(gift.text.contains("Welcome to"), "{}", gift.text);
        assert!(gift.text.contains("<code>"), "{}", gift.text);
        asha.reply_containing("was claimed by Meera").await;
        meera.say("/mysubs");
        meera.reply_containing("Netflix").await;

        meera.say(&format!("/start gift_{code}"));
        meera.reply_containing("You already claimed this gift").await;
        customer(conn, 6803).await;
        users::set_language(conn, 6803, Lang::Hi).await.unwrap();
        let mut sita = Chat::new(&fake, 6803, "Sita");
        sita.say(&format!("/start gift_{code}"));
        sita.reply_containing("कोई और पहले ही ले चुका है").await;
        sita.say("/start gift_NOPE");
        sita.reply_containing("यह उपहार लिंक मान्य नहीं है").await;

        asha.say("/mysubs");
        let list = asha.reply_containing("Gifts you bought").await;
        assert!(list.text.contains("Claimed by Meera"), "{}", list.text);

        // A second gift, never claimed: the admin refunds it and the login is back on sale.
        let second = buy_as_gift(&mut asha, "Netflix").await;
        let stock_before = catalog::available_stock(conn, plan.id).await.unwrap();
        let buyer = users::find_by_telegram_id(conn, 6801).await.unwrap().unwrap();
        let last = order::Entity::find()
            .filter(order::Column::UserId.eq(buyer.id))
            .order_by_desc(order::Column::Id)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert!(last.is_gift);
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        owner.say(&format!("/refund {} not needed", last.id));
        owner.reply_containing("It was an unclaimed gift").await;
        asha.reply_containing("was refunded").await;
        assert_eq!(catalog::available_stock(conn, plan.id).await.unwrap(), stock_before + 1);
        assert_eq!(balance(conn, 6801).await, Money::from_rupees(151));
        sita.say(&format!("/start gift_{second}"));
        sita.reply_containing("खरीदार को वापस कर दिया गया है").await;
        assert_ledger_consistent(conn).await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
