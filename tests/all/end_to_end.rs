//! The real `ottsonly` binary, configured only through its environment, talking HTTP to the
//! fake Bot API: admin sets up the shop, a customer buys.
use crate::support::binary::{self, free_port};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;

const ADMIN: i64 = 4_242_001;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_sells_a_plan_end_to_end() {
    for db in db::all().await {
        let fake = FakeTelegram::start().await;
        let http_addr = format!("127.0.0.1:{}", free_port());
        let mut child = binary::start(&fake, &db.url, &http_addr, ADMIN, &[]).await;

        let health = reqwest::get(format!("http://{http_addr}/health")).await.expect("health endpoint");
        assert_eq!(health.status(), 200);

        let mut admin = Chat::new(&fake, ADMIN, "Owner");
        let mut customer = Chat::new(&fake, 8001, "Priya");
        admin.say("/start");
        admin.reply().await;
        customer.say("/start");
        customer.reply_containing("Welcome to <b>OTTsOnly</b>, Priya").await;

        admin.say("/addplan 135 42 30 Netflix Premium");
        let created = admin.reply_containing("created").await;
        let id: String = created.text.split('#').nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
        admin.say(&format!("/addstock {id}\nprimo@ott.test:Secret1\nsecondo@ott.test:Secret2"));
        admin.reply_containing("added 2").await;
        admin.say("/credit 8001 200 launch offer");
        admin.reply_containing("New balance: ₹200").await;
        customer.reply_containing("credited").await;

        let confirm = customer.open_buy_screen("Netflix Premium").await;
        customer.press(&confirm, "Confirm").await;
        let delivered = customer.reply_containing("is yours").await;
        assert!(delivered.text.contains("<code>primo@ott.test:Secret1</code>"), "{}", delivered.text);

        customer.say("/wallet");
        let wallet = customer.reply().await;
        assert!(wallet.text.contains("Balance: <b>₹65</b>"), "{}", wallet.text);

        let commands = fake.calls("setMyCommands");
        assert!(!commands.is_empty(), "command list registered at startup");
        fake.assert_nothing_refused();

        // SIGTERM (docker stop) ends the process cleanly.
        let pid = child.id().expect("running").to_string();
        let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(killed.success());
        let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
            .await
            .expect("exits after SIGTERM")
            .expect("wait");
        assert!(status.success(), "{status:?}");
    }
}

#[tokio::test]
async fn the_binary_refuses_bad_configuration_with_a_clear_line() {
    let run = |vars: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ottsonly"));
        command.env_clear().env("OTTSONLY_CONFIG", "/nonexistent/config.toml");
        for (k, v) in vars {
            command.env(k, v);
        }
        command.output().expect("run ottsonly")
    };
    let missing = run(&[]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("TELOXIDE_TOKEN") && !stderr.contains("panicked"), "{stderr}");

    let bad_admins = run(&[("TELOXIDE_TOKEN", "1:x"), ("ADMIN_IDS", "12,abc")]);
    assert_eq!(bad_admins.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_admins.stderr).contains("ADMIN_IDS"));

    let bad_url = run(&[("TELOXIDE_TOKEN", "1:x"), ("TELEGRAM_API_URL", "not a url")]);
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("TELEGRAM_API_URL"));

    let dir = tempfile::tempdir().unwrap();
    let unwritable = format!("sqlite://{}/missing/dir/x.db?mode=rwc", dir.path().display());
    let bad_db = run(&[("TELOXIDE_TOKEN", "1:x"), ("DATABASE_URL", &unwritable)]);
    assert_eq!(bad_db.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad_db.stderr);
    assert!(stderr.contains("DATABASE_URL") && !stderr.contains("panicked"), "{stderr}");
}
