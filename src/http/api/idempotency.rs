//! Running a POST once per `Idempotency-Key`.
use std::future::Future;
use std::time::Duration;

use axum::body::to_bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::extract::Caller;
use crate::http::problem::{self, Problem};
use crate::http::HttpState;
use crate::services::idempotency::{self, Claim};

pub const HEADER: &str = "idempotency-key";
/// How long a repeat waits for the first request with its key to finish.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
/// Answers are small JSON documents.
const MAX_KEPT_BODY: usize = 1 << 20;

/// Runs `act` unless a request with the same key already did; then answers what it answered.
/// `request` identifies the request (method, path, body) so a key reused for another one is
/// refused.
pub async fn once<F, Fut>(state: &HttpState, caller: &Caller, headers: &HeaderMap, request: String, act: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let Some(key) = headers.get(HEADER) else { return act().await };
    let key = match key.to_str().map(str::trim) {
        Ok(key) if (1..=255).contains(&key.len()) => key.to_owned(),
        _ => return Problem::invalid("Idempotency-Key", "1 to 255 visible characters").into_response(),
    };
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        match idempotency::claim(&state.db, caller.token_id(), &key, &request, Utc::now()).await {
            Err(err) => return Problem::from(err).into_response(),
            Ok(Claim::First(id)) => return run_first(state, id, act).await,
            Ok(Claim::Done { status, body }) => return replay(status, body),
            Ok(Claim::Mismatch) => {
                return Problem::invalid("Idempotency-Key", "this key was used for a different request").into_response()
            }
            Ok(Claim::Running) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Claim::Running) => {
                return Problem::conflict("idempotency-in-progress", "the first request with this key is still running")
                    .into_response()
            }
        }
    }
}

async fn run_first<F, Fut>(state: &HttpState, id: i32, act: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let response = act().await;
    let status = response.status();
    if status.is_server_error() {
        // Nothing was done: let a retry with the same key run.
        if let Err(err) = idempotency::release(&state.db, id).await {
            log::warn!("idempotency key {id}: {err}");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_KEPT_BODY).await else { return Problem::internal().into_response() };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(err) = idempotency::finish(&state.db, id, status.as_u16(), &text).await {
        log::warn!("idempotency key {id} not kept: {err}");
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { problem::CONTENT_TYPE };
    let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    response.headers_mut().insert("idempotent-replay", header::HeaderValue::from_static("true"));
    response
}
