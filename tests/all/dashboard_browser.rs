//! The dashboard in a real headless browser (Debian's chromium through chromedriver): an
//! admin signs in through the link the bot sent, approves a customer's UPI payment, and the
//! customer gets the login in chat; support sees no credit form, and a forged POST from
//! support, or a POST without the CSRF token, is refused.
use fantoccini::Locator;
use sea_orm::EntityTrait;

use ottsonly::config::UpiConfig;
use ottsonly::domain::Money;
use ottsonly::entities::upi_claim;
use ottsonly::entities::user::Role;
use ottsonly::services::staff;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::browser::Browser;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{balance, customer, plan_with_stock, ADMIN};

const BUYER: i64 = 8201;
const SUPPORT: i64 = 8202;

/// The sign-in link in a /dashboard answer.
fn link_in(text: &str, http: &str) -> String {
    let start = text.find(&format!("{http}/admin/login?token=")).expect("a sign-in link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn wait_for_text(browser: &Browser, needle: &str) -> String {
    for _ in 0..100 {
        let text = browser.text().await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the page never showed {needle:?}: {}", browser.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_approves_a_upi_payment_in_the_browser_and_support_cannot_move_money() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start_with(&fake, conn.clone(), |c| {
            c.payments.upi = Some(UpiConfig { vpa: "ottshop@okicici".into(), payee_name: "OTT Shop".into() });
        })
        .await;
        plan_with_stock(conn, "Netflix", 199, 120, 1).await;

        // A customer buys by UPI and sends the UTR.
        let mut buyer = Chat::new(&fake, BUYER, "Kavya");
        let short = buyer.open_buy_screen("Netflix").await;
        let (_, pay) = short.buttons().into_iter().find(|(label, _)| label.contains("UPI")).expect("a UPI button");
        buyer.press_data(&short, &pay).await;
        let qr = buyer.reply_containing("Pay exactly").await;
        buyer.press(&qr, "I've paid").await;
        buyer.reply_containing("12-digit UTR").await;
        buyer.say("412345678901");
        buyer.reply_containing("is being checked").await;
        let claim = upi_claim::Entity::find().one(conn).await.unwrap().expect("a claim").id;

        // The owner asks the bot for a link and signs in with it.
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        owner.say("/dashboard");
        let link = link_in(&owner.reply_containing("Web dashboard").await.text, &bot.http);
        let browser = Browser::start().await;
        browser.client.goto(&link).await.unwrap();
        browser.click("#sign-in").await;
        wait_for_text(&browser, "Waiting for you").await;
        browser.client.find(Locator::LinkText("UPI claims")).await.unwrap().click().await.unwrap();
        let claims = wait_for_text(&browser, "412345678901").await;
        assert!(claims.contains("₹199"), "{claims}");
        browser.click(&format!("#claim-{claim} button.primary")).await;
        wait_for_text(&browser, &format!("Claim #{claim} approved")).await;
        // The customer gets the login in chat.
        let delivered = buyer.reply_containing("Netflix-0@mail.test").await;
        assert!(delivered.text.contains("pw0"), "{}", delivered.text);

        // Support signs in on the same browser after the owner signs out.
        browser.click("form[action='/admin/logout'] button").await;
        wait_for_text(&browser, "not signed in").await;
        customer(conn, SUPPORT).await;
        staff::set_role(conn, &ADMIN, SUPPORT, Role::Support, chrono::Utc::now()).await.unwrap();
        let mut support = Chat::new(&fake, SUPPORT, "Helper");
        support.say("/dashboard");
        let link = link_in(&support.reply_containing("Web dashboard").await.text, &bot.http);
        browser.client.goto(&link).await.unwrap();
        browser.click("#sign-in").await;
        wait_for_text(&browser, "Waiting for you").await;
        browser.client.goto(&format!("{}/admin/users/{BUYER}", bot.http)).await.unwrap();
        wait_for_text(&browser, "Kavya").await;
        assert!(!browser.has("form[action$='/credit']").await, "support sees no credit form");
        assert!(!browser.has("form[action$='/debit']").await, "support sees no debit form");
        let csrf = browser
            .client
            .execute("return document.querySelector('input[name=csrf]').value", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let before = balance(conn, BUYER).await;
        let forged = browser
            .post_from_page(
                &format!("/admin/users/{BUYER}/credit"),
                &[("csrf", &csrf), ("amount", "500"), ("reason", "gift")],
            )
            .await;
        assert_eq!(forged, 403, "a forged credit from support");
        let no_token = browser
            .post_from_page(&format!("/admin/users/{BUYER}/credit"), &[("amount", "500"), ("reason", "gift")])
            .await;
        assert_eq!(no_token, 403, "a POST without the CSRF token");
        assert_eq!(balance(conn, BUYER).await, before);
        assert_ne!(before, Money::from_rupees(500));
        browser.close().await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
