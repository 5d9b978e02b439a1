//! The real handler tree, notifier and HTTP server, running in-process against the fake
//! Bot API (and, when configured, the fake Razorpay).
use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use teloxide::dispatching::ShutdownToken;
use teloxide::prelude::*;

use ottsonly::bot::{self, Ctx};
use ottsonly::config::Config;
use ottsonly::http::{router, HttpState};

use super::fake_telegram::{FakeTelegram, BOT_USERNAME};

pub const ADMIN_ID: i64 = 9_000_001;

pub fn test_config(api_url: &str, database_url: &str) -> Config {
    Config {
        telegram_token: "123456:TEST".into(),
        telegram_api_url: url::Url::parse(api_url).expect("fake url"),
        database_url: database_url.into(),
        http_addr: "127.0.0.1:0".parse().expect("addr"),
        admin_ids: BTreeSet::from([ADMIN_ID]),
        admin_chat_id: None,
        support_contact: Some("@shop_support".into()),
        support_chat_id: None,
        shop_name: "Test <Shop> & Co".into(),
        session_hours: 12,
        reminder_days: vec![3, 1],
        payments: ottsonly::config::PaymentsConfig::without_gateways(),
        send_limits: ottsonly::config::SendLimits::unlimited(),
        metrics_token: None,
        telegram_webhook: None,
        backup_dir: None,
        backup_keep: 7,
        shutdown_grace: std::time::Duration::from_secs(10),
    }
}

pub struct RunningBot {
    shutdown: ShutdownToken,
    task: tokio::task::JoinHandle<()>,
    http_task: tokio::task::JoinHandle<()>,
    maturity: tokio::task::JoinHandle<()>,
    outbox: tokio::task::JoinHandle<()>,
    broadcasts: tokio::task::JoinHandle<()>,
    stop_broadcasts: tokio::sync::watch::Sender<bool>,
    /// Base URL of our HTTP server (webhooks, health).
    pub http: String,
}

impl RunningBot {
    pub async fn start(fake: &FakeTelegram, db: sea_orm::DatabaseConnection) -> RunningBot {
        Self::start_with(fake, db, |_| {}).await
    }

    /// Starts polling the fake with `db` and a config adjusted by `configure`; returns once
    /// the bot has asked for updates.
    pub async fn start_with(
        fake: &FakeTelegram,
        db: sea_orm::DatabaseConnection,
        configure: impl FnOnce(&mut Config),
    ) -> RunningBot {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let http = format!("http://{}", listener.local_addr().expect("addr"));
        let mut config = test_config(&fake.url(), "unused://");
        // Dashboard links point at this server unless a test says otherwise.
        config.payments.public_url = Some(url::Url::parse(&http).expect("http url"));
        configure(&mut config);
        let config = Arc::new(config);
        let bot = Bot::new(config.telegram_token.clone()).set_api_url(config.telegram_api_url.clone());
        ottsonly::services::users::sync_staff_from_config(&db, &config.admin_ids, config.admin_chat_id, Utc::now())
            .await
            .expect("staff");
        ottsonly::services::users::set_support_chat(&db, config.support_chat_id, Utc::now())
            .await
            .expect("support chat");
        bot::commands::register(&bot, &db).await.expect("register commands");
        let ctx = Arc::new(Ctx::new(db.clone(), config.clone(), BOT_USERNAME.into()));

        let outbox = tokio::spawn(bot::outbox::run(ctx.tg(bot.clone()), ctx.clone()));
        let (stop_broadcasts, stopped) = tokio::sync::watch::channel(false);
        let broadcasts = tokio::spawn(bot::broadcast::run(ctx.tg(bot.clone()), ctx.clone(), stopped));
        let maturity = ottsonly::jobs::spawn_commission_maturity(db.clone(), ctx.outbox_wake.clone());
        let state = HttpState {
            db,
            razorpay_webhook_secret: config.payments.razorpay.as_ref().map(|r| r.webhook_secret.clone()),
            outbox_wake: ctx.outbox_wake.clone(),
            upi: config.payments.upi.clone(),
            telegram: Some(bot.clone()),
            dashboard: ottsonly::http::DashboardSettings::of(&config),
            metrics_token: None,
            telegram_webhook: Default::default(),
        };
        let http_task = tokio::spawn(async move {
            let _ = axum::serve(listener, router(state)).await;
        });

        let mut dispatcher = Dispatcher::builder(bot, bot::schema()).dependencies(bot::dependencies(ctx)).build();
        let shutdown = dispatcher.shutdown_token();
        let polls_before = fake.polls();
        let task = tokio::spawn(async move { dispatcher.dispatch().await });
        fake.wait_for_polling_after(polls_before).await;
        RunningBot { shutdown, task, http_task, maturity, outbox, broadcasts, stop_broadcasts, http }
    }

    /// Stops polling and waits for the handlers in flight. The future `shutdown()` returns
    /// can miss its wake-up (it subscribes only when first polled), so we wait for the
    /// dispatcher task itself to end instead.
    pub async fn stop(mut self) {
        let _ = self.shutdown.shutdown().map(drop);
        if tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.task).await.is_err() {
            eprintln!("dispatcher did not stop within 10 s; aborting it");
            self.task.abort();
        }
        self.http_task.abort();
        self.maturity.abort();
        self.outbox.abort();
        let _ = self.stop_broadcasts.send(true);
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.broadcasts).await.is_err() {
            self.broadcasts.abort();
        }
    }
}
