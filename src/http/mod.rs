//! The embedded HTTP server: health, payment webhooks, the admin API (`/api/v1`, docs at
//! `/api/docs`) and the web dashboard (`/admin`).
pub mod api;
pub mod dashboard;
mod health;
mod metrics;
mod pay;
pub mod problem;
mod telegram;
mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use sea_orm::DatabaseConnection;

use crate::config::UpiConfig;

pub use dashboard::DashboardSettings;

/// Webhook bodies are a few KB; anything far larger is refused before it is read.
const MAX_WEBHOOK_BODY: usize = 64 * 1024;
/// An update is a few KB; a long message with entities stays well under this.
const MAX_TELEGRAM_BODY: usize = 1024 * 1024;
/// Stock uploads are the largest API bodies.
const MAX_API_BODY: usize = 2 * 1024 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub db: DatabaseConnection,
    /// None when Razorpay is not configured: its webhook answers 404.
    pub razorpay_webhook_secret: Option<String>,
    /// Woken after a webhook wrote outbox rows (payment received, login delivered).
    pub outbox_wake: std::sync::Arc<tokio::sync::Notify>,
    /// None when direct UPI is not configured: `/pay/upi/…` answers 404.
    pub upi: Option<UpiConfig>,
    /// For files customers sent the bot (UPI screenshots); None where there is no bot.
    pub telegram: Option<teloxide::Bot>,
    pub dashboard: DashboardSettings,
    /// The bearer token `/metrics` asks for; None: anyone may scrape.
    pub metrics_token: Option<String>,
    /// Webhook mode: set once the bot is ready; until then (and in polling mode) 503.
    pub telegram_webhook: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<crate::bot::webhook::Receiver>>>,
}

impl HttpState {
    /// Only the database: no gateways, no bot.
    pub fn new(db: DatabaseConnection) -> HttpState {
        HttpState {
            db,
            razorpay_webhook_secret: None,
            outbox_wake: Default::default(),
            upi: None,
            telegram: None,
            dashboard: Default::default(),
            metrics_token: None,
            telegram_webhook: Default::default(),
        }
    }
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::scrape))
        .route("/telegram/{secret}", post(telegram::receive).layer(DefaultBodyLimit::max(MAX_TELEGRAM_BODY)))
        .route("/pay/upi/{reference}", get(pay::upi_redirect))
        .route("/webhooks/razorpay", post(webhooks::razorpay::receive).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)))
        .merge(api::router().layer(DefaultBodyLimit::max(MAX_API_BODY)))
        .merge(dashboard::router().layer(DefaultBodyLimit::max(MAX_API_BODY)))
        .with_state(state)
}

/// Why a file a customer sent the bot could not be served.
#[derive(Debug)]
pub(crate) enum TelegramFileError {
    /// Telegram no longer has it (or never had this id).
    Gone,
    /// It exists but could not be downloaded.
    Download,
}

/// A photo a customer sent the bot (a UPI screenshot), fetched from Telegram, as an image
/// response for the API and the dashboard alike.
pub(crate) async fn telegram_image(
    bot: &teloxide::Bot,
    file_id: String,
) -> Result<axum::response::Response, TelegramFileError> {
    use axum::response::IntoResponse;
    use teloxide::net::Download;
    use teloxide::prelude::Requester;
    let file = bot.get_file(teloxide::types::FileId(file_id)).await.map_err(|err| {
        log::warn!("getting a file from Telegram: {err}");
        TelegramFileError::Gone
    })?;
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.map_err(|err| {
        log::warn!("downloading a file from Telegram: {err}");
        TelegramFileError::Download
    })?;
    let content_type = if bytes.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}
