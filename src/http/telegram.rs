//! `POST /telegram/<secret>`: Telegram's updates in webhook mode (see `bot::webhook`).
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use super::HttpState;
use crate::bot::webhook::Answer;

pub async fn receive(
    State(state): State<HttpState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(receiver) = state.telegram_webhook.get() else {
        // Not in webhook mode (or not started yet): nobody here takes updates.
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let header = headers.get("x-telegram-bot-api-secret-token").and_then(|v| v.to_str().ok());
    match receiver.receive(&secret, header, &body).await {
        Answer::Done => StatusCode::OK,
        Answer::Unauthorized => StatusCode::UNAUTHORIZED,
        Answer::RetryLater => StatusCode::SERVICE_UNAVAILABLE,
    }
}
