//! Hindi in chat. A customer whose Telegram app is in Hindi shops in Hindi from /start to the
//! login (dates in IST, the month in Devanagari); anyone can switch with /language, and the
//! menu, messages from others (through the outbox) and the command menu follow the choice.
//! Expected texts are rendered from locales/*.yml here, so they are the translator's words.

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use ottsonly::bot::commands;
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::ledger_entry::{self, LedgerKind};
use ottsonly::entities::subscription;
use ottsonly::entities::user::Role;
use ottsonly::services::outbox::Notice;
use ottsonly::services::users;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::{FakeTelegram, SentMessage};
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, outbox_notices, plan_with_stock};
use crate::support::locale_text::tr;

/// The main menu's button labels, as the locale has them.
fn menu_labels(lang: &str) -> Vec<String> {
    ["plans", "wallet", "subs", "refer", "withdraw", "help", "language"]
        .iter()
        .map(|key| tr(lang, &format!("menu.{key}"), &[]))
        .collect()
}

fn labels(message: &SentMessage) -> Vec<String> {
    message.buttons().into_iter().map(|(label, _)| label).collect()
}

/// The message carries the main menu in `lang`, and no label of the other language.
fn assert_menu_in(message: &SentMessage, lang: &str) {
    assert_eq!(labels(message), menu_labels(lang), "{}", message.text);
    let other = if lang == "hi" { "en" } else { "hi" };
    for label in menu_labels(other) {
        assert!(!labels(message).contains(&label), "a {other} label {label:?} on {:?}", labels(message));
    }
}

/// Month names of the hi_IN locale (glibc's abbreviations, and the full names).
const HINDI_MONTHS_SHORT: [&str; 12] =
    ["जन॰", "\u{92b}\u{93c}र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्तू॰", "नव॰", "दिस॰"];
const HINDI_MONTHS: [&str; 12] =
    ["जनवरी", "\u{92b}\u{93c}रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर"];
const ENGLISH_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `at` as a Hindi reader finds it in `text`: the day in India (IST), the month in
/// Devanagari, the year. Panics when `text` does not show that date.
fn hindi_date_in(text: &str, at: DateTime<Utc>) -> String {
    let ist = at.with_timezone(&FixedOffset::east_opt(5 * 3600 + 1800).unwrap());
    let month = ist.month0() as usize;
    [HINDI_MONTHS_SHORT[month], HINDI_MONTHS[month]]
        .iter()
        .map(|name| format!("{} {name} {}", ist.day(), ist.year()))
        .find(|date| text.contains(date.as_str()))
        .unwrap_or_else(|| panic!("no {ist} (IST) in Hindi in {text:?}"))
}

fn assert_no_english_month(text: &str) {
    for month in ENGLISH_MONTHS {
        assert!(!text.contains(month), "English month {month} in {text:?}");
    }
}

fn is_chat_scope(call: &Value, chat: i64) -> bool {
    call["scope"]["type"] == "chat" && call["scope"]["chat_id"] == chat
}

/// The command menu in `call` is the customer's, described in `lang` as the locale has it.
fn assert_customer_commands_in(call: &Value, lang: Lang) {
    let sent: Vec<(String, String)> = call["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|c| (c["command"].as_str().unwrap().to_owned(), c["description"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> = commands::for_role(Role::User, lang)
        .into_iter()
        .map(|c| {
            let described = tr(lang.code(), &format!("commands.{}", c.command), &[]);
            assert_eq!(c.description, described, "{}", c.command);
            (c.command, c.description)
        })
        .collect();
    assert!(expected.iter().any(|(name, _)| name == "plans"), "{expected:?}");
    assert_eq!(sent, expected);
    assert!(call["language_code"].is_null(), "a chat's own menu is not per app language: {call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hindi_app_buys_in_hindi() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        plan_with_stock(conn, "Netflix <Premium> & 4K", 135, 42, 2).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut chat = Chat::new(&fake, 5101, "आशा");
        chat.user = chat.user.clone().with_language_code(Some("hi"));
        let name = "Netflix &lt;Premium&gt; &amp; 4K";
        let (price, days) = (Money::from_rupees(135), 30);

        chat.say("/start");
        let welcome = chat.reply().await;
        let greeting = tr("hi", "welcome", &[("shop", &"Test &lt;Shop&gt; &amp; Co"), ("name", &"आशा")]);
        assert_eq!(welcome.text, format!("{greeting}\n\n{}", tr("hi", "menu.title", &[])));
        assert_menu_in(&welcome, "hi");
        let user = users::find_by_telegram_id(conn, 5101).await.unwrap().unwrap();
        assert_eq!((user.language.as_str(), user.language_code.as_deref()), ("hi", Some("hi")));
        credit(conn, 5101, 200).await;

        chat.press(&welcome, &tr("hi", "menu.plans", &[])).await;
        let plans = chat.reply().await;
        let line = tr("hi", "plans.line", &[("name", &name), ("price", &price), ("days", &days), ("stock", &"")]);
        assert_eq!(plans.text, format!("{}\n{line}", tr("hi", "plans.title", &[])));
        assert!(plans.edit);
        assert!(labels(&plans).contains(&tr("hi", "menu.back", &[])), "{:?}", labels(&plans));

        chat.press(&plans, "Netflix").await;
        let detail = chat.reply().await;
        let in_stock = tr("hi", "plans.detail_in_stock", &[]);
        let expected = tr(
            "hi",
            "plans.detail",
            &[("name", &name), ("description", &""), ("price", &price), ("days", &days), ("stock", &in_stock)],
        );
        assert_eq!(detail.text, expected);
        let buy = tr("hi", "plans.buy", &[("price", &price)]);
        assert_eq!(labels(&detail), vec![buy.clone(), tr("hi", "menu.back_to_plans", &[])]);

        chat.press(&detail, &buy).await;
        let confirm = chat.reply().await;
        let (wallet, after) = (Money::from_rupees(200), Money::from_rupees(65));
        let expected = tr(
            "hi",
            "checkout.confirm",
            &[("name", &name), ("days", &days), ("price", &price), ("balance", &wallet), ("after", &after)],
        );
        assert_eq!(confirm.text, expected);
        let pay = tr("hi", "checkout.confirm_button", &[("price", &price)]);
        let code = tr("hi", "promo.have_code_button", &[]);
        let gift = tr("hi", "gift.as_gift_button", &[]);
        assert_eq!(labels(&confirm), vec![pay.clone(), code, gift, tr("hi", "checkout.cancel_button", &[])]);

        chat.press(&confirm, &pay).await;
        let paid = chat.reply().await;
        assert!(paid.edit);
        assert_eq!(paid.text, tr("hi", "checkout.paid_edit", &[("price", &price), ("name", &name)]));
        let delivered = chat.reply().await;
        let sub = subscription::Entity::find()
            .filter(subscription::Column::UserId.eq(user.id))
            .one(conn)
            .await
            .unwrap()
            .expect("a subscription");
        let ends = hindi_date_in(&delivered.text, sub.ends_at);
        let credential = "Netflix &lt;Premium&gt; &amp; 4K-0@mail.test:pw0";
        let expected = tr(
            "hi",
            "checkout.delivered",
            &[("name", &name), ("credential", &credential), ("ends", &ends), ("balance", &after)],
        );
        assert_eq!(delivered.text, expected);
        assert_no_english_month(&delivered.text);
        assert_menu_in(&delivered, "hi");
        assert_eq!(balance(conn, 5101).await, after);

        chat.say("/wallet");
        let wallet_screen = chat.reply().await;
        let rows = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::UserId.eq(user.id))
            .order_by_desc(ledger_entry::Column::Id)
            .all(conn)
            .await
            .unwrap();
        let kinds: Vec<LedgerKind> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec![LedgerKind::Purchase, LedgerKind::AdminCredit]);
        let mut expected = tr("hi", "wallet.title", &[("balance", &after), ("id", &5101)]);
        expected.push_str(&tr("hi", "wallet.history_title", &[]));
        for row in &rows {
            let amount = Money::from_paise(row.amount);
            let (amount, kind) = match row.kind {
                LedgerKind::Purchase => (amount.to_string(), tr("hi", "wallet.kind_purchase", &[])),
                _ => (
                    tr("hi", "wallet.credit_amount", &[("amount", &amount)]),
                    tr("hi", "wallet.kind_admin_credit", &[]),
                ),
            };
            let date = hindi_date_in(&wallet_screen.text, row.created_at);
            expected.push_str(&tr("hi", "wallet.entry", &[("date", &date), ("amount", &amount), ("kind", &kind)]));
        }
        assert_eq!(wallet_screen.text, expected);
        assert_no_english_month(&wallet_screen.text);
        assert_eq!(labels(&wallet_screen), vec![tr("hi", "wallet.topup_button", &[]), tr("hi", "menu.back", &[])]);

        chat.say("/mysubs");
        let subs = chat.reply().await;
        let ends = hindi_date_in(&subs.text, sub.ends_at);
        let state = tr("hi", "subs.active", &[("ends", &ends), ("days", &days)]);
        let login = tr("hi", "subs.login", &[("credential", &credential)]);
        let item =
            tr("hi", "subs.item", &[("name", &name), ("order", &sub.order_id), ("state", &state), ("login", &login)]);
        assert_eq!(subs.text, format!("{}{item}", tr("hi", "subs.title", &[])));
        assert_no_english_month(&subs.text);
        let open = tr("hi", "subs.open_button", &[("name", &"Netflix <Premium> & 4K"), ("order", &sub.order_id)]);
        assert_eq!(labels(&subs), vec![open, tr("hi", "menu.back", &[])]);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_language_is_used_for_the_menu_messages_from_others_and_the_command_menu() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut chat = Chat::new(&fake, 5201, "Ravi");
        chat.say("/start");
        let welcome = chat.reply().await;
        assert_menu_in(&welcome, "en");

        // The Language button, then हिन्दी.
        chat.press(&welcome, &tr("en", "menu.language", &[])).await;
        let choose = chat.reply().await;
        assert_eq!(choose.text, tr("en", "language.choose", &[]));
        let hindi = tr("en", "language.hindi_button", &[]);
        assert_eq!(
            labels(&choose),
            vec![tr("en", "language.english_button", &[]), hindi.clone(), tr("en", "menu.back", &[])]
        );
        chat.press(&choose, &hindi).await;
        let changed = chat.reply().await;
        assert!(changed.edit);
        assert_eq!(changed.text, format!("{}\n\n{}", tr("hi", "language.changed", &[]), tr("hi", "menu.title", &[])));
        assert_menu_in(&changed, "hi");
        assert_eq!(users::find_by_telegram_id(conn, 5201).await.unwrap().unwrap().language, "hi");
        let menu = fake.wait_call("setMyCommands", |c| is_chat_scope(c, 5201)).await;
        assert_customer_commands_in(&menu, Lang::Hi);

        // Someone else's act reaches them through the outbox, in Hindi.
        admin.say("/credit 5201 100 gift");
        let done = admin.reply().await;
        let who = tr("en", "admin.user_with_username", &[("username", &"user5201"), ("id", &5201)]);
        let hundred = Money::from_rupees(100);
        assert_eq!(
            done.text,
            tr("en", "admin.credited", &[("amount", &hundred), ("user", &who), ("balance", &hundred)])
        );
        let told = chat.reply().await;
        let reason = tr("hi", "wallet.reason", &[("reason", &"gift")]);
        assert_eq!(
            told.text,
            tr("hi", "wallet.credited", &[("amount", &hundred), ("reason", &reason), ("balance", &hundred)])
        );
        assert_menu_in(&told, "hi");
        assert_eq!(
            outbox_notices(conn, 5201).await,
            vec![Notice::WalletCredited { amount: hundred.paise(), reason: "gift".into(), balance: hundred.paise() }]
        );

        // And back to English, with /language this time.
        chat.say("/language");
        let choose = chat.reply().await;
        assert!(!choose.edit);
        assert_eq!(choose.text, tr("hi", "language.choose", &[]));
        chat.press(&choose, &tr("hi", "language.english_button", &[])).await;
        let changed = chat.reply().await;
        assert_eq!(changed.text, format!("{}\n\n{}", tr("en", "language.changed", &[]), tr("en", "menu.title", &[])));
        assert_menu_in(&changed, "en");
        assert_eq!(users::find_by_telegram_id(conn, 5201).await.unwrap().unwrap().language, "en");
        let english = tr("en", "commands.plans", &[]);
        let menu = fake
            .wait_call("setMyCommands", |c| {
                is_chat_scope(c, 5201)
                    && c["commands"].as_array().is_some_and(|l| l.iter().any(|d| d["description"] == english))
            })
            .await;
        assert_customer_commands_in(&menu, Lang::En);
        let chat_menus = fake.calls("setMyCommands").into_iter().filter(|c| is_chat_scope(c, 5201)).count();
        assert_eq!(chat_menus, 2, "one menu per change");

        admin.say("/credit 5201 50 bonus");
        admin.reply().await;
        let told = chat.reply().await;
        let (fifty, total) = (Money::from_rupees(50), Money::from_rupees(150));
        let reason = tr("en", "wallet.reason", &[("reason", &"bonus")]);
        assert_eq!(
            told.text,
            tr("en", "wallet.credited", &[("amount", &fifty), ("reason", &reason), ("balance", &total)])
        );
        assert_menu_in(&told, "en");

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
