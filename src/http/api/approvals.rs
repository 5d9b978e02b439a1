//! `/approvals`: manual credits and debits above `admin.approval_threshold`, waiting for a
//! second owner or admin. The requester cannot decide their own; they may cancel it.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::claims::{respond, Rejection};
use super::extract::{Body, Caller, Id};
use super::types::{amount, Amount};
use super::{idempotency, text};
use crate::entities::{approval_request, user};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::approvals::{self, ApprovalOutcome};
use crate::services::Actor;

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(cancel))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalRequest {
    pub id: i32,
    /// credit or debit
    pub kind: String,
    pub customer_telegram_id: i64,
    pub amount: Amount,
    /// What the customer reads once it is approved.
    pub reason: String,
    pub requested_by: i64,
    /// pending, approved, rejected or cancelled
    pub status: String,
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub fn to_json(request: approval_request::Model, customer: &user::Model) -> ApprovalRequest {
    ApprovalRequest {
        id: request.id,
        kind: text(&request.kind),
        customer_telegram_id: customer.telegram_id,
        amount: amount(request.amount),
        reason: request.reason,
        requested_by: request.requested_by,
        status: text(&request.status),
        decided_by: request.decided_by,
        decision_reason: request.decision_reason,
        created_at: request.created_at,
        decided_at: request.decided_at,
    }
}

/// Requests waiting for a second approval, oldest first.
#[utoipa::path(get, path = "/approvals", tag = "approvals", responses((status = 200, body = Vec<ApprovalRequest>)))]
async fn list(State(state): State<HttpState>, Caller(actor): Caller) -> Result<Json<Vec<ApprovalRequest>>, Problem> {
    let pending = approvals::pending(&state.db, &actor, 100).await?;
    Ok(Json(pending.into_iter().map(|p| to_json(p.request, &p.customer)).collect()))
}

async fn found(state: &HttpState, actor: &Actor, id: i32) -> Result<ApprovalRequest, Problem> {
    let (request, customer) = approvals::find(&state.db, actor, id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no approval request {id}")))?;
    Ok(to_json(request, &customer))
}

/// One request, whatever its status.
#[utoipa::path(get, path = "/approvals/{id}", tag = "approvals", params(("id" = i32, Path)), responses((status = 200, body = ApprovalRequest)))]
async fn get(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<ApprovalRequest>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

async fn answer(
    state: &HttpState,
    actor: &Actor,
    id: i32,
    outcome: ApprovalOutcome,
) -> Result<Json<ApprovalRequest>, Problem> {
    match outcome {
        ApprovalOutcome::Approved { .. } | ApprovalOutcome::Rejected { .. } | ApprovalOutcome::Cancelled { .. } => {
            state.outbox_wake.notify_one();
            Ok(Json(found(state, actor, id).await?))
        }
        ApprovalOutcome::OwnRequest(_) => {
            Err(Problem::conflict("own-request", "someone other than the requester must decide it"))
        }
        ApprovalOutcome::NotRequester(_) => {
            Err(Problem::conflict("not-requester", "only the requester may cancel it; reject it instead"))
        }
        ApprovalOutcome::Insufficient { balance, .. } => Err(Problem::conflict(
            "insufficient-balance",
            format!("the balance is only {balance}; the request stays pending"),
        )),
        ApprovalOutcome::AlreadyApplied(_) => {
            Err(Problem::conflict("already-applied", "this money moved directly before; reject the request"))
        }
        ApprovalOutcome::AlreadyDecided(request) => {
            Err(Problem::conflict("already-decided", format!("request {id} is already {}", text(&request.status))))
        }
        ApprovalOutcome::UnknownRequest => Err(Problem::not_found(format!("no approval request {id}"))),
    }
}

/// Approves someone else's request: the money moves now, once; the customer is told.
#[utoipa::path(
    post,
    path = "/approvals/{id}/approve",
    tag = "approvals",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    responses((status = 200, body = ApprovalRequest))
)]
async fn approve(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    idempotency::once(&state, &caller, &headers, format!("POST /approvals/{id}/approve"), || async {
        let result = async {
            let outcome = approvals::approve(&state.db, &caller.0, id, Utc::now()).await?;
            answer(&state, &caller.0, id, outcome).await
        }
        .await;
        respond(result)
    })
    .await
}

/// Rejects someone else's request with a reason; nothing moves, the requester is told.
#[utoipa::path(
    post,
    path = "/approvals/{id}/reject",
    tag = "approvals",
    params(("id" = i32, Path)),
    request_body = Rejection,
    responses((status = 200, body = ApprovalRequest))
)]
async fn reject(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
    Body(body): Body<Rejection>,
) -> Result<Json<ApprovalRequest>, Problem> {
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
        return Err(Problem::invalid("reason", "1 to 200 characters"));
    }
    let outcome = approvals::reject(&state.db, &actor, id, reason, Utc::now()).await?;
    answer(&state, &actor, id, outcome).await
}

/// The requester withdraws their own request; nothing moves.
#[utoipa::path(post, path = "/approvals/{id}/cancel", tag = "approvals", params(("id" = i32, Path)), responses((status = 200, body = ApprovalRequest)))]
async fn cancel(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<ApprovalRequest>, Problem> {
    let outcome = approvals::cancel(&state.db, &actor, id, Utc::now()).await?;
    answer(&state, &actor, id, outcome).await
}
