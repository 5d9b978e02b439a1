//! The playground: the real binary with no token, its chat page in headless Chromium, and
//! the Bot API stand-in refusing what Telegram refuses.
use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use ottsonly::playground::bot_api::{BotApi, Sender};
use ottsonly::playground::personas;

use crate::support::binary::free_port;
use crate::support::browser::Browser;

/// `ottsonly playground --demo` on a free port, with nothing else configured.
async fn start_playground() -> (Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_ottsonly"))
        .args(["playground", "--demo"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HTTP_ADDR", &addr)
        .env("OTTSONLY_CONFIG", "/nonexistent/config.toml")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the playground");
    let base = format!("http://{addr}");
    let ready = format!("{base}/health/live");
    for _ in 0..400 {
        if reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the playground did not come up at {base}");
}

async fn wait_for_text(browser: &Browser, needle: &str) -> String {
    for _ in 0..300 {
        let text = browser.text().await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}; it shows:\n{}", browser.text().await);
}

/// Clicks what `xpath` finds (the page redraws as messages come, so an element found just
/// before a redraw is looked up again).
async fn click(browser: &Browser, xpath: &str) {
    for _ in 0..300 {
        if let Ok(element) = browser.client.find(Locator::XPath(xpath)).await {
            if element.click().await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing to click at {xpath}; the page shows:\n{}", browser.text().await);
}

/// Taps the inline button under a message whose label contains `label`.
async fn tap(browser: &Browser, label: &str) {
    click(browser, &format!("//div[@id='messages']//button[contains(., '{label}')]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_by_tapping_and_the_owner_sees_the_sale() {
    let (_playground, base) = start_playground().await;
    let browser = Browser::start().await;
    browser.client.goto(&format!("{base}/playground")).await.expect("open the page");
    let banner = wait_for_text(&browser, "This is not Telegram").await;
    assert!(banner.contains("demo shop"), "the page says it is the demo shop:\n{banner}");

    click(&browser, "//button[@id='start']").await;
    wait_for_text(&browser, "Welcome to").await;
    tap(&browser, "Plans").await;
    wait_for_text(&browser, "Tap a plan").await;
    tap(&browser, "Netflix Premium").await;
    tap(&browser, "Buy for").await;
    tap(&browser, "Telegram Stars").await;
    click(&browser, "//div[contains(@class,'invoice')]//button[contains(., 'Pay')]").await;
    let chat = wait_for_text(&browser, "is yours").await;
    let login = chat
        .split_whitespace()
        .find(|w| w.starts_with("netflix.premium") && w.contains("@demo.ottsonly:Pass"))
        .unwrap_or_else(|| panic!("the login is in the chat:\n{chat}"));
    assert!(!browser.has(".bubble.refused").await, "nothing was refused:\n{chat}");

    click(&browser, "//button[contains(@class,'persona') and @data-id='1000001']").await;
    let owner = wait_for_text(&browser, "by @riya").await;
    let alert = owner.lines().find(|l| l.contains("New order") && l.contains("by @riya"));
    assert!(alert.is_some_and(|l| l.contains("Netflix Premium")), "the owner's sale alert:\n{owner}");
    assert!(!owner.contains(login), "the owner's chat is the owner's, not Riya's:\n{owner}");
    assert!(!browser.has(".bubble.refused").await, "nothing was refused:\n{owner}");
    browser.close().await;
}

async fn call(base: &str, method: &str, params: Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{base}/botplayground:token/{method}"))
        .json(&params)
        .send()
        .await
        .expect("the stand-in answers");
    (answer.status().as_u16(), answer.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_stand_in_refuses_what_telegram_refuses_and_shows_it() {
    let api = BotApi::new(personas());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let routes = api.router();
    tokio::spawn(async move { axum::serve(listener, routes).await.expect("serve") });
    let riya = personas()[0].id;

    let (status, sent) =
        call(&base, "SendMessage", json!({ "chat_id": riya, "text": "<b>Hi</b>", "parse_mode": "HTML" })).await;
    assert_eq!(status, 200, "{sent}");
    let id = sent["result"]["message_id"].as_i64().expect("a message id");

    let refusals = [
        (json!({ "chat_id": riya, "text": "<b>Hi", "parse_mode": "HTML" }), "can't parse entities"),
        (json!({ "chat_id": riya, "text": "x".repeat(4097) }), "message is too long"),
        (
            json!({ "chat_id": riya, "text": "x", "reply_markup":
                    { "inline_keyboard": [[{ "text": "b", "callback_data": "d".repeat(65) }]] } }),
            "BUTTON_DATA_INVALID",
        ),
        (
            json!({ "chat_id": riya, "text": "x", "reply_markup":
                    { "inline_keyboard": [[{ "text": "b", "url": "ftp://x" }]] } }),
            "BUTTON_URL_INVALID",
        ),
    ];
    for (params, why) in refusals {
        let (status, answer) = call(&base, "sendMessage", params).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["description"].as_str().unwrap_or_default().contains(why), "{answer}");
    }
    let (status, answer) = call(
        &base,
        "editMessageText",
        json!({ "chat_id": riya, "message_id": id, "text": "<b>Hi</b>", "parse_mode": "HTML" }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer["description"].as_str().unwrap_or_default().contains("message is not modified"), "{answer}");

    let (_, chat) = api.chat_after(riya, 0).await;
    let refused: Vec<_> = chat.iter().filter(|b| b.from == Sender::Refused).collect();
    assert_eq!(refused.len(), 5, "each refusal is an error bubble in the chat: {chat:?}");
    assert!(refused[0].html.contains("can&#39;t parse entities") || refused[0].html.contains("can't parse entities"));
    assert_eq!(chat.iter().filter(|b| b.from == Sender::Bot).count(), 1, "only the valid message was delivered");
    assert_eq!(chat[0].html, "<b>Hi</b>");
}

/// The page's API, as the page calls it.
struct Page {
    base: String,
    http: reqwest::Client,
}

impl Page {
    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.post(format!("{}/playground/api{path}", self.base)).json(&body).send().await.expect("the page API")
    }

    async fn chat(&self, chat: i64) -> Vec<Value> {
        let url = format!("{}/playground/api/chats/{chat}", self.base);
        let state: Value = self.http.get(url).send().await.expect("chat").json().await.expect("JSON");
        state["bubbles"].as_array().cloned().unwrap_or_default()
    }

    /// Waits for a message from the bot in `chat` that contains `needle`, after `after`.
    async fn bot_says(&self, chat: i64, after: usize, needle: &str) -> (usize, Value) {
        for _ in 0..300 {
            let bubbles = self.chat(chat).await;
            if let Some(n) = (after..bubbles.len()).find(|n| {
                bubbles[*n]["from"] != "person" && bubbles[*n]["html"].as_str().unwrap_or("").contains(needle)
            }) {
                return (n, bubbles[n].clone());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chat {chat} never showed {needle:?}: {:#?}", self.chat(chat).await);
    }

    /// Presses the button labelled with `label` under the bubble.
    async fn press(&self, chat: i64, bubble: &Value, label: &str) {
        let data = bubble["buttons"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .find(|b| b["text"].as_str().unwrap_or("").contains(label))
            .and_then(|b| b["data"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no button {label:?} under {bubble}"));
        let answer = self
            .post(&format!("/chats/{chat}/press"), json!({ "message_id": bubble["message_id"], "data": data }))
            .await;
        assert_eq!(answer.status(), 204, "{:?}", answer.text().await);
    }

    async fn open_payment(&self, method: &str, customer: i64) -> Value {
        for _ in 0..300 {
            let url = format!("{}/playground/api/payments", self.base);
            let open: Value = self.http.get(url).send().await.expect("payments").json().await.expect("JSON");
            if let Some(p) = open["payments"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["method"] == method && p["telegram_id"] == customer)
            {
                return p.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no open {method} payment of {customer} in the panel");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payments_panel_pays_through_the_real_paths_and_files_reach_the_bot() {
    let (_playground, base) = start_playground().await;
    let page = Page { base, http: reqwest::Client::new() };
    let (riya, owner) = (personas()[0].id, personas()[2].id);
    assert_eq!(page.post("/chats/424242/text", json!({ "text": "hi" })).await.status(), 404, "only the personas type");

    // Razorpay: a top-up link, paid from the panel; our webhook credits the wallet once.
    assert_eq!(page.post(&format!("/chats/{riya}/text"), json!({ "text": "/wallet" })).await.status(), 204);
    let (at, wallet) = page.bot_says(riya, 0, "Your wallet").await;
    page.press(riya, &wallet, "Top up").await;
    let (_, amounts) = page.bot_says(riya, at, "Choose an amount").await;
    page.press(riya, &amounts, "₹200").await;
    let (_, methods) = page.bot_says(riya, at, "How would you like to pay").await;
    page.press(riya, &methods, "Razorpay").await;
    let (at, _) = page.bot_says(riya, at, "with the button below").await;
    let link = page.open_payment("razorpay", riya).await;
    let paid = page.post(&format!("/razorpay/{}/paid", link["link_id"].as_str().expect("a link")), json!({})).await;
    let paid: Value = paid.json().await.expect("JSON");
    assert_eq!(paid["webhook_status"], 200, "the signed webhook was accepted");
    let (at, credited) = page.bot_says(riya, at, "added to your wallet").await;
    assert!(credited["html"].as_str().unwrap_or("").contains("₹200"), "{credited}");
    let again = page.post(&format!("/razorpay/{}/paid", link["link_id"].as_str().unwrap_or("")), json!({})).await;
    assert_eq!(again.status(), 409, "a paid link cannot be paid twice");

    // UPI: the panel plays the customer's UPI app; the UTR goes to the bot in chat.
    assert_eq!(page.post(&format!("/chats/{riya}/text"), json!({ "text": "/wallet" })).await.status(), 204);
    let (at, wallet) = page.bot_says(riya, at, "Your wallet").await;
    page.press(riya, &wallet, "Top up").await;
    let (_, amounts) = page.bot_says(riya, at, "Choose an amount").await;
    page.press(riya, &amounts, "₹100").await;
    let (_, methods) = page.bot_says(riya, at, "How would you like to pay").await;
    page.press(riya, &methods, "UPI").await;
    let (at, qr) = page.bot_says(riya, at, "Pay exactly").await;
    assert!(qr["photo"].as_str().is_some(), "the QR is a photo: {qr}");
    let upi = page.open_payment("upi", riya).await;
    let made: Value = page.post(&format!("/upi/{}/paid", upi["id"]), json!({})).await.json().await.expect("JSON");
    let utr = made["utr"].as_str().expect("a UTR").to_owned();
    assert!(utr.len() == 12 && utr.bytes().all(|b| b.is_ascii_digit()), "{utr}");
    let (at, _) = page.bot_says(riya, at + 1, &utr).await;
    page.press(riya, &qr, "I've paid").await;
    page.bot_says(riya, at + 1, "UTR").await;
    assert_eq!(page.post(&format!("/chats/{riya}/text"), json!({ "text": utr })).await.status(), 204);
    page.bot_says(owner, 0, &utr).await;

    // A photo and a document from the page arrive as Telegram would deliver them.
    let form = reqwest::multipart::Form::new()
        .text("kind", "document")
        .part("file", reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("notes.txt"));
    let url = format!("{}/playground/api/chats/{riya}/upload", page.base);
    assert_eq!(page.http.post(&url).multipart(form).send().await.expect("upload").status(), 204);
    let bubbles = page.chat(riya).await;
    let document = bubbles.iter().rev().find(|b| b["document"].is_array()).expect("the document bubble");
    let file_url = format!("{}{}", page.base, document["document"][1].as_str().unwrap_or(""));
    let bytes = page.http.get(file_url).send().await.expect("file").bytes().await.expect("bytes");
    assert_eq!(&bytes[..], b"hello");
    let refused: Vec<_> = page.chat(riya).await.into_iter().filter(|b| b["from"] == "refused").collect();
    assert!(refused.is_empty(), "nothing was refused: {refused:?}");
}
