//! The real `ottsonly` binary, configured only through its environment.
use std::process::Stdio;

use tokio::process::{Child, Command};

use super::fake_telegram::FakeTelegram;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the binary against the fake Bot API with `owner` in ADMIN_IDS, plus `extra`
/// environment variables; returns once it polls for updates.
pub async fn start(
    fake: &FakeTelegram,
    database_url: &str,
    http_addr: &str,
    owner: i64,
    extra: &[(&str, String)],
) -> Child {
    let polls = fake.polls();
    let child = spawn(fake, database_url, http_addr, owner, extra);
    fake.wait_for_polling_after(polls).await;
    child
}

/// Starts the binary in webhook mode at `http://<http_addr>/telegram`; returns once it has
/// called setWebhook.
pub async fn start_webhook(
    fake: &FakeTelegram,
    database_url: &str,
    http_addr: &str,
    owner: i64,
    extra: &[(&str, String)],
) -> Child {
    let before = fake.calls("setwebhook").len();
    let mut env = extra.to_vec();
    env.push(("TELEGRAM_WEBHOOK_URL", format!("http://{http_addr}/telegram")));
    let child = spawn(fake, database_url, http_addr, owner, &env);
    fake.wait_until_calls("setwebhook", before + 1).await;
    child
}

fn spawn(fake: &FakeTelegram, database_url: &str, http_addr: &str, owner: i64, extra: &[(&str, String)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ottsonly"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", "4242:E2E")
        .env("TELEGRAM_API_URL", fake.url())
        .env("DATABASE_URL", database_url)
        .env("HTTP_ADDR", http_addr)
        .env("ADMIN_IDS", owner.to_string())
        .env("OTTSONLY_CONFIG", "/nonexistent/config.toml")
        .env("RUST_LOG", "warn");
    for (key, value) in extra {
        command.env(key, value);
    }
    command.stdout(Stdio::null()).stderr(Stdio::inherit()).kill_on_drop(true).spawn().expect("start ottsonly")
}
