//! `/upi-claims`: "I've paid" claims with their UTR (and screenshot), approve and reject.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id, Params};
use super::types::{amount, Amount, Page, PageQuery};
use super::{idempotency, parse, text};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::queues;
use crate::services::upi::{self, Decision};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(screenshot))
        .routes(routes!(approve))
        .routes(routes!(reject))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Claim {
    pub id: i32,
    pub payment_id: i32,
    pub payment_reference: String,
    pub amount: Amount,
    pub customer_telegram_id: i64,
    /// The 12-digit UPI reference the customer sent.
    pub utr: String,
    /// Telegram's file id of the payment screenshot, when one was sent.
    pub screenshot_file_id: Option<String>,
    /// pending, approved or rejected
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn to_json((claim, payment, customer): queues::Claim) -> Claim {
    Claim {
        id: claim.id,
        payment_id: payment.id,
        payment_reference: payment.reference,
        amount: amount(payment.amount),
        customer_telegram_id: customer.telegram_id,
        utr: claim.utr,
        screenshot_file_id: claim.screenshot_file_id,
        status: text(&claim.status),
        reason: claim.reason,
        decided_by: claim.decided_by,
        created_at: claim.created_at,
        decided_at: claim.decided_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// pending, approved or rejected
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// UPI claims, newest first.
#[utoipa::path(get, path = "/upi-claims", tag = "upi-claims", params(Filter), responses((status = 200, body = Page<Claim>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Claim>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let status = f.status.as_deref().map(|s| parse("status", s)).transpose()?;
    Ok(Json(Page::of(queues::claims(&state.db, &actor, status, page).await?, to_json)))
}

async fn found(state: &HttpState, actor: &crate::services::Actor, id: i32) -> Result<Claim, Problem> {
    queues::claim(&state.db, actor, id)
        .await?
        .map(to_json)
        .ok_or_else(|| Problem::not_found(format!("no UPI claim {id}")))
}

/// One UPI claim.
#[utoipa::path(get, path = "/upi-claims/{id}", tag = "upi-claims", params(("id" = i32, Path)), responses((status = 200, body = Claim)))]
async fn get(State(state): State<HttpState>, Caller(actor): Caller, Id(id): Id<i32>) -> Result<Json<Claim>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

/// The payment screenshot the customer sent with the claim, fetched from Telegram.
#[utoipa::path(
    get,
    path = "/upi-claims/{id}/screenshot",
    tag = "upi-claims",
    params(("id" = i32, Path)),
    responses((status = 200, description = "the image as Telegram keeps it", content_type = "image/jpeg", body = Vec<u8>))
)]
async fn screenshot(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Response, Problem> {
    let claim = found(&state, &actor, id).await?;
    let (Some(file_id), Some(bot)) = (claim.screenshot_file_id, state.telegram.as_ref()) else {
        return Err(Problem::not_found(format!("claim {id} has no screenshot")));
    };
    crate::http::telegram_image(bot, file_id).await.map_err(|err| match err {
        crate::http::TelegramFileError::Gone => {
            Problem::not_found(format!("Telegram no longer has the screenshot of claim {id}"))
        }
        crate::http::TelegramFileError::Download => Problem::internal(),
    })
}

fn decided(decision: Decision, id: i32) -> Result<(), Problem> {
    match decision {
        Decision::Approved { .. } | Decision::Rejected { .. } => Ok(()),
        Decision::AlreadyDecided { status } => {
            Err(Problem::conflict("already-decided", format!("claim {id} is already {}", text(&status))))
        }
        Decision::UnknownClaim => Err(Problem::not_found(format!("no open UPI claim {id}"))),
    }
}

/// Approves a claim: the payment lands (once) and the customer is told.
#[utoipa::path(
    post,
    path = "/upi-claims/{id}/approve",
    tag = "upi-claims",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    responses((status = 200, body = Claim))
)]
async fn approve(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    idempotency::once(&state, &caller, &headers, format!("POST /upi-claims/{id}/approve"), || async {
        let result: Result<Json<Claim>, Problem> = async {
            decided(upi::approve(&state.db, &caller.0, id, Utc::now()).await?, id)?;
            state.outbox_wake.notify_one();
            Ok(Json(found(&state, &caller.0, id).await?))
        }
        .await;
        respond(result)
    })
    .await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Rejection {
    /// Shown to the customer; 1 to 200 characters.
    pub reason: String,
}

/// Rejects a claim with a reason for the customer.
#[utoipa::path(
    post,
    path = "/upi-claims/{id}/reject",
    tag = "upi-claims",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    request_body = Rejection,
    responses((status = 200, body = Claim))
)]
async fn reject(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(id): Id<i32>,
    Body(body): Body<Rejection>,
) -> Response {
    let request = format!("POST /upi-claims/{id}/reject {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result: Result<Json<Claim>, Problem> = async {
            let reason = body.reason.trim();
            if reason.is_empty() || reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
                return Err(Problem::invalid("reason", "1 to 200 characters"));
            }
            decided(upi::reject(&state.db, &caller.0, id, reason, Utc::now()).await?, id)?;
            state.outbox_wake.notify_one();
            Ok(Json(found(&state, &caller.0, id).await?))
        }
        .await;
        respond(result)
    })
    .await
}

pub(super) fn respond<T: IntoResponse>(result: Result<T, Problem>) -> Response {
    match result {
        Ok(ok) => (StatusCode::OK, ok).into_response(),
        Err(problem) => problem.into_response(),
    }
}
