//! Wiring: database, HTTP server and Telegram dispatcher, run side by side.
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::Polling;

use crate::bot::{self, Ctx};
use crate::config::Config;
use crate::services::{db, users};
use crate::{http, jobs};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database (DATABASE_URL): {0}")]
    Database(sea_orm::DbErr),
    #[error("cannot listen on {addr} (HTTP_ADDR): {source}")]
    Http { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("cannot reach Telegram at {url} (TELEGRAM_API_URL / TELOXIDE_TOKEN): {source}")]
    Telegram { url: String, source: teloxide::RequestError },
}

/// Routes added to the HTTP server, made once the database is open (the playground's page).
pub type ExtraRoutes = Box<dyn FnOnce(sea_orm::DatabaseConnection) -> axum::Router + Send>;

pub async fn run(config: Config) -> Result<(), StartupError> {
    run_with(config, None).await
}

pub async fn run_with(config: Config, extra_routes: Option<ExtraRoutes>) -> Result<(), StartupError> {
    let config = Arc::new(config);
    let db = db::connect_and_migrate(&config.database_url).await.map_err(StartupError::Database)?;
    log::info!("database ready");
    users::sync_staff_from_config(&db, &config.admin_ids, config.admin_chat_id, chrono::Utc::now())
        .await
        .map_err(StartupError::Database)?;
    users::set_support_chat(&db, config.support_chat_id, chrono::Utc::now()).await.map_err(StartupError::Database)?;

    let listener = tokio::net::TcpListener::bind(config.http_addr)
        .await
        .map_err(|source| StartupError::Http { addr: config.http_addr, source })?;
    log::info!("HTTP listening on {}", config.http_addr);
    crate::metrics::install();
    let outbox_wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let bot = Bot::new(config.telegram_token.clone()).set_api_url(config.telegram_api_url.clone());
    let webhook_slot: Arc<std::sync::OnceLock<Arc<bot::webhook::Receiver>>> = Default::default();
    let router = http::router(http::HttpState {
        db: db.clone(),
        razorpay_webhook_secret: config.payments.razorpay.as_ref().map(|r| r.webhook_secret.clone()),
        outbox_wake: outbox_wake.clone(),
        upi: config.payments.upi.clone(),
        telegram: Some(bot.clone()),
        dashboard: http::DashboardSettings::of(&config),
        metrics_token: config.metrics_token.clone(),
        telegram_webhook: webhook_slot.clone(),
    });
    let router = match extra_routes {
        Some(routes) => router.merge(routes(db.clone())),
        None => router,
    };
    let http_server = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            log::error!("HTTP server stopped: {err}");
        }
    });

    let me = bot
        .get_me()
        .await
        .map_err(|source| StartupError::Telegram { url: config.telegram_api_url.to_string(), source })?;
    let bot_username = me.username.clone().unwrap_or_default();
    log::info!("bot @{bot_username} starting");
    if let Err(err) = bot::commands::register(&bot, &db).await {
        log::warn!("could not register the command list: {err}");
    }

    let ctx = Arc::new(Ctx::new(db.clone(), config.clone(), bot_username).with_outbox_wake(outbox_wake.clone()));
    let outbox_sender = tokio::spawn(bot::outbox::run(ctx.tg(bot.clone()), ctx.clone()));
    let (stop_broadcasts, broadcasts_stopped) = tokio::sync::watch::channel(false);
    let broadcast_sender = tokio::spawn(bot::broadcast::run(ctx.tg(bot.clone()), ctx.clone(), broadcasts_stopped));
    // On a stop, the broadcast message in hand is finished and the lease given up.
    let stop_broadcasts = move || async move {
        let _ = stop_broadcasts.send(true);
        if tokio::time::timeout(Duration::from_secs(5), broadcast_sender).await.is_err() {
            log::warn!("the broadcast sender did not stop in time");
        }
    };
    jobs::spawn_commission_maturity(db.clone(), outbox_wake.clone());
    jobs::spawn_reminders(db.clone(), config.reminder_days.clone(), outbox_wake.clone());
    jobs::spawn_renewals(db.clone(), outbox_wake.clone());
    jobs::spawn_report_escalation(db.clone(), outbox_wake.clone());
    if let Some(dir) = config.backup_dir.clone() {
        jobs::spawn_daily_backup(db.clone(), dir, config.backup_keep, outbox_wake.clone());
    }
    if config.payments.stars_per_rupee.is_some() {
        jobs::spawn_stars_reconciliation(db.clone(), bot.clone(), outbox_wake.clone());
    }
    let db_for_webhook = db.clone();
    if let Some(client) = ctx.razorpay.clone() {
        jobs::spawn_razorpay_reconciliation(db, client, config.payments.reconcile_after, outbox_wake);
    }
    if let Some(hook) = config.telegram_webhook.clone() {
        let receiver = Arc::new(bot::webhook::Receiver::new(ctx, hook.clone(), bot.clone(), me));
        jobs::spawn_update_log_cleanup(db_for_webhook);
        let _ = webhook_slot.set(receiver.clone());
        // Pending updates are kept; the update types are those our handlers take.
        bot.set_webhook(hook.url())
            .secret_token(hook.header_secret.clone())
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery, AllowedUpdate::PreCheckoutQuery])
            .await
            .map_err(|source| StartupError::Telegram { url: config.telegram_api_url.to_string(), source })?;
        log::info!("webhook mode: Telegram posts updates to {}/…", hook.base);
        stop_signal().await;
        log::info!("stopping: no new updates; finishing those in hand");
        receiver.stop();
        let grace = config.shutdown_grace;
        if tokio::time::timeout(grace, receiver.drained()).await.is_err() {
            log::warn!("updates still in hand after {grace:?}; Telegram will send them again");
        }
        stop_broadcasts().await;
        http_server.abort();
        outbox_sender.abort();
        log::info!("stopped");
        return Ok(());
    }
    // Pending updates are kept: a button pressed while we were down is still answered. A
    // webhook left from webhook mode is removed, or getUpdates would be refused.
    let listener = Polling::builder(bot.clone()).delete_webhook().await.build();
    let mut dispatcher =
        Dispatcher::builder(bot, bot::schema()).dependencies(bot::dependencies(ctx)).enable_ctrlc_handler().build();
    stop_on_sigterm(dispatcher.shutdown_token());
    dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("update listener error")).await;
    stop_broadcasts().await;
    http_server.abort();
    outbox_sender.abort();
    log::info!("stopped");
    Ok(())
}

/// SIGTERM (`docker stop`, systemd) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `docker stop` and systemd send SIGTERM: finish the updates in hand, then exit.
fn stop_on_sigterm(token: teloxide::dispatching::ShutdownToken) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else { return };
        terminate.recv().await;
        log::info!("SIGTERM received, shutting down");
        // Only start the shutdown: `dispatch` returns when it is done, and awaiting the
        // returned future can miss its wake-up.
        let _ = token.shutdown().map(drop);
    });
    #[cfg(not(unix))]
    drop(token);
}
