//! Reports in chat: an owner's /stats is the figures (as the service computes them) and a
//! PNG chart; /export sends a CSV document that parses, with helpful answers to what is not
//! a valid request; support and customers are refused both. In Hindi too.
use chrono::{Days, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::bot::features::staff::reports::stats_text;
use ottsonly::domain::report::{ist_date, Period};
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::user::{self, Role};
use ottsonly::services::exports::ExportKind;
use ottsonly::services::{reports, users};

use crate::services_exports::parse;
use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{buy, customer, ADMIN};

fn en(key: &str) -> String {
    rust_i18n_text("en", key)
}

/// A locale text without placeholders, from the file the bot reads.
fn rust_i18n_text(lang: &str, key: &str) -> String {
    let path = format!("{}/locales/{lang}.yml", env!("CARGO_MANIFEST_DIR"));
    let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut value = &yaml;
    for part in key.split('.') {
        value = &value[part];
    }
    value.as_str().unwrap_or_else(|| panic!("no text {key}")).to_owned()
}

/// The text after its first line (which carries the time the figures were taken).
fn after_first_line(text: &str) -> String {
    text.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_get_figures_a_chart_and_csv_files_support_and_customers_nothing() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 8801).await;
        customer(conn, 8802).await;
        buy(conn, 8801, 300, 100, Utc::now()).await;
        buy(conn, 8802, 135, 42, Utc::now()).await;
        customer(conn, 8803).await;
        user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::value(Role::Support))
            .filter(user::Column::TelegramId.eq(8803))
            .exec(conn)
            .await
            .unwrap();

        let fake = FakeTelegram::start().await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut support = Chat::new(&fake, 8803, "Sunita");
        let mut buyer = Chat::new(&fake, 8801, "Ravi");
        let bot = RunningBot::start(&fake, conn.clone()).await;

        // /stats 7d: the service's figures, then the chart.
        owner.say("/stats 7d");
        let figures = owner.reply().await;
        let stats = reports::stats(conn, &ADMIN, Period::Days7, Utc::now()).await.unwrap();
        assert_eq!((stats.orders, stats.revenue), (2, Money::from_rupees(435)));
        let (header, blocks) = stats_text(&stats, "en");
        assert!(figures.text.starts_with("📊 <b>Last 7 days</b>, "), "{}", figures.text);
        assert_eq!(after_first_line(&figures.text), after_first_line(&(header + &blocks.concat())));
        for part in ["🧾 Paid orders: <b>2</b>", "💰 Revenue: <b>₹435</b>", "📈 Profit: <b>₹293</b>"] {
            assert!(figures.text.contains(part), "{part} in {}", figures.text);
        }
        let chart = owner.reply().await;
        let png = chart.photo.clone().expect("a photo");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let info = decoder.read_info().expect("a PNG").info().clone();
        assert_eq!((info.width, info.height), (ottsonly::charts::WIDTH, ottsonly::charts::HEIGHT));
        assert!(chart.text.starts_with("📈 Revenue per day"), "{}", chart.text);

        // /stats alone is today; a period it does not know gets the usage.
        owner.say("/stats");
        assert!(owner.reply().await.text.starts_with("📊 <b>Today</b>, "));
        assert!(owner.reply().await.photo.is_some());
        owner.say("/stats yesterday");
        assert_eq!(owner.reply().await.text, en("reports.stats_usage"));

        // /export: a document that parses as the documented CSV.
        let today = ist_date(Utc::now());
        let (from, to) = (today.checked_sub_days(Days::new(1)).unwrap(), today.checked_add_days(Days::new(1)).unwrap());
        owner.say(&format!("/export orders {from} {to}"));
        let file = owner.reply().await;
        let (name, bytes) = file.document.clone().expect("a document");
        assert_eq!(name, format!("orders_{from}_{to}.csv"));
        let (columns, rows) = parse(&bytes);
        assert_eq!(columns, ExportKind::Orders.columns());
        assert_eq!(rows.len(), 2);
        let prices: Vec<&str> = rows.iter().map(|r| r[9].as_str()).collect();
        assert_eq!(prices, vec!["300.00", "135.00"]);
        assert!(file.text.contains(": 2 rows."), "{}", file.text);
        owner.say(&format!("/export LEDGER {from} {to}"));
        let (name, bytes) = owner.reply().await.document.expect("a document");
        assert!(name.starts_with("ledger_"));
        let (columns, rows) = parse(&bytes);
        assert_eq!(columns, ExportKind::Ledger.columns());
        assert_eq!(rows.len(), 4, "two credits and two purchases");

        // What is not a request gets its explanation.
        owner.say("/export");
        assert_eq!(owner.reply().await.text, en("reports.export_usage"));
        owner.say("/export orders 2026-12-01");
        assert_eq!(owner.reply().await.text, en("reports.export_usage"));
        owner.say("/export users 2026-12-01 2026-12-02");
        assert_eq!(owner.reply().await.text, en("reports.export_bad_kind").replace("%{kind}", "users"));
        owner.say("/export orders 2026-12-01 1/12/2026");
        assert_eq!(owner.reply().await.text, en("reports.export_bad_date").replace("%{date}", "1/12/2026"));
        owner.say("/export orders 2026-12-02 2026-12-01");
        assert_eq!(
            owner.reply().await.text,
            en("reports.export_reversed").replace("%{from}", "2026-12-02").replace("%{to}", "2026-12-01")
        );

        // Support and customers are refused both.
        for chat in [&mut support, &mut buyer] {
            for command in ["/stats", "/stats all", &format!("/export orders {from} {to}")] {
                chat.say(command);
                let answer = chat.reply().await;
                assert_eq!(answer.text, en("admin.not_allowed"), "{} sent {command}", chat.user.id);
                assert!(answer.document.is_none() && answer.photo.is_none());
            }
        }

        // In Hindi.
        users::set_language(conn, ADMIN_ID, Lang::Hi).await.unwrap();
        owner.say("/stats all");
        let hindi = owner.reply().await;
        assert!(hindi.text.starts_with("📊 <b>शुरू से अब तक</b>, "), "{}", hindi.text);
        assert!(hindi.text.contains("💰 आमदनी: <b>₹435</b>"), "{}", hindi.text);
        assert!(owner.reply().await.text.starts_with("📈 हर दिन की आमदनी"));
        owner.say(&format!("/export commissions {from} {to}"));
        let file = owner.reply().await;
        assert!(file.text.contains("0 पंक्तियाँ"), "{}", file.text);
        let (columns, rows) = parse(&file.document.expect("a document").1);
        assert_eq!(
            (columns, rows.len()),
            (ExportKind::Commissions.columns().iter().map(|c| c.to_string()).collect::<Vec<_>>(), 0)
        );
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
