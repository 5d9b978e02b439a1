//! `POST /webhooks/razorpay`: verify the signature over the raw body before anything is
//! parsed, handle the event in one service call, answer; the customer's messages are outbox
//! rows written with the settlement (Razorpay wants an answer within 5 seconds).
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use crate::http::HttpState;
use crate::metrics;
use crate::services::payments::Settlement;
use crate::services::razorpay::{self, event, signature, EventOutcome};

pub async fn receive(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    let started = std::time::Instant::now();
    let (answer, outcome) = handle(&state, &headers, &body).await;
    metrics::webhook("razorpay", outcome, started.elapsed());
    answer
}

async fn handle(state: &HttpState, headers: &HeaderMap, body: &Bytes) -> ((StatusCode, Json<Value>), &'static str) {
    let Some(secret) = state.razorpay_webhook_secret.as_deref() else {
        return ((StatusCode::NOT_FOUND, Json(json!({ "error": "Razorpay is not configured" }))), "not_configured");
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(sig) = header("x-razorpay-signature").filter(|s| signature::verify(secret, body, s)) else {
        return ((StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid signature" }))), "bad_signature");
    };
    let event = match event::parse(body) {
        Ok(event) => event,
        Err(err) => return ((StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() }))), "bad_body"),
    };
    // Razorpay's event id; the signature stands in (it is unique per body) if a proxy drops it.
    let event_key = header("x-razorpay-event-id").filter(|id| !id.is_empty()).unwrap_or(sig).to_owned();
    match razorpay::handle_event(&state.db, &event_key, &event, Utc::now()).await {
        Ok(outcome) => {
            // A settlement, or a refused event's staff alert, wrote outbox rows.
            if !matches!(outcome, EventOutcome::Duplicate) {
                state.outbox_wake.notify_one();
            }
            let label = match &outcome {
                EventOutcome::Duplicate => "duplicate",
                EventOutcome::Settled(Settlement::Credited { .. }) => {
                    metrics::payment("razorpay", "credited");
                    "credited"
                }
                EventOutcome::Settled(Settlement::Refused) => {
                    metrics::payment("razorpay", "refused");
                    "refused"
                }
                EventOutcome::Settled(Settlement::AlreadySettled) => "already_settled",
                EventOutcome::Recorded => "recorded",
            };
            ((StatusCode::OK, Json(json!({ "status": "ok" }))), label)
        }
        Err(err) => {
            // 5xx: Razorpay retries, and the retry is idempotent.
            log::error!("Razorpay event {event_key} failed: {err}");
            ((StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "temporary failure" }))), "error")
        }
    }
}
