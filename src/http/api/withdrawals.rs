//! `/withdrawals`: referral earnings on their way to UPI: approve, reject, mark paid with the
//! payout UTR, payout failed.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::claims::{respond, Rejection};
use super::extract::{Body, Caller, Id, Params};
use super::types::{amount, Amount, Page, PageQuery};
use super::{idempotency, parse, text};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::withdrawals::{self, Decision};
use crate::services::{queues, Actor};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(mark_paid))
        .routes(routes!(payout_failed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawal {
    pub id: i32,
    pub customer_telegram_id: i64,
    pub amount: Amount,
    /// The UPI ID to pay.
    pub vpa: String,
    /// pending, approved, paid, rejected or payout_failed
    pub status: String,
    pub payout_utr: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub paid_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

fn to_json((w, customer): queues::Withdrawal) -> Withdrawal {
    Withdrawal {
        id: w.id,
        customer_telegram_id: customer.telegram_id,
        amount: amount(w.amount),
        vpa: w.vpa,
        status: text(&w.status),
        payout_utr: w.payout_utr,
        reason: w.reason,
        decided_by: w.decided_by,
        paid_by: w.paid_by,
        created_at: w.created_at,
        decided_at: w.decided_at,
        paid_at: w.paid_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// pending, approved, paid, rejected or payout_failed
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Withdrawal requests, newest first.
#[utoipa::path(get, path = "/withdrawals", tag = "withdrawals", params(Filter), responses((status = 200, body = Page<Withdrawal>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Withdrawal>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let status = f.status.as_deref().map(|s| parse("status", s)).transpose()?;
    Ok(Json(Page::of(queues::withdrawals(&state.db, &actor, status, page).await?, to_json)))
}

async fn found(state: &HttpState, actor: &Actor, id: i32) -> Result<Withdrawal, Problem> {
    queues::withdrawal(&state.db, actor, id)
        .await?
        .map(to_json)
        .ok_or_else(|| Problem::not_found(format!("no withdrawal {id}")))
}

/// One withdrawal request.
#[utoipa::path(get, path = "/withdrawals/{id}", tag = "withdrawals", params(("id" = i32, Path)), responses((status = 200, body = Withdrawal)))]
async fn get(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<Withdrawal>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

/// The decision as the API answers it: the request as it is now, or why nothing happened.
async fn answer(state: &HttpState, actor: &Actor, id: i32, decision: Decision) -> Result<Json<Withdrawal>, Problem> {
    match decision {
        Decision::Approved { .. } | Decision::Paid { .. } | Decision::Rejected { .. } => {
            state.outbox_wake.notify_one();
            Ok(Json(found(state, actor, id).await?))
        }
        // Above withdrawal.approval_threshold: one approval recorded, a second person must approve.
        Decision::FirstApproval { .. } => {
            state.outbox_wake.notify_one();
            Ok(Json(found(state, actor, id).await?))
        }
        Decision::SameApprover(_) => {
            Err(Problem::conflict("same-approver", "a second, different owner or admin must approve it"))
        }
        Decision::HeldByFlags(flags) => {
            let ids: Vec<String> = flags.iter().map(|f| format!("#{}", f.id)).collect();
            Err(Problem::conflict(
                "held-by-fraud-flags",
                format!("open fraud flags {} hold it: resolve them first", ids.join(", ")),
            ))
        }
        Decision::UserBlocked => Err(Problem::conflict("user-blocked", "the customer is blocked: reject it instead")),
        Decision::AlreadyDecided(status) => {
            Err(Problem::conflict("already-decided", format!("withdrawal {id} is already {}", text(&status))))
        }
        Decision::NotApproved => Err(Problem::conflict("not-approved", format!("withdrawal {id} is not approved yet"))),
        Decision::BadUtr => Err(Problem::invalid("utr", "a UTR is 12 digits")),
        Decision::UtrUsed => Err(Problem::conflict("utr-used", "this UTR pays another withdrawal")),
        Decision::UnknownWithdrawal => Err(Problem::not_found(format!("no withdrawal {id}"))),
    }
}

/// Approves a pending request (refused while the customer has open fraud flags).
#[utoipa::path(
    post,
    path = "/withdrawals/{id}/approve",
    tag = "withdrawals",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    responses((status = 200, body = Withdrawal))
)]
async fn approve(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    idempotency::once(&state, &caller, &headers, format!("POST /withdrawals/{id}/approve"), || async {
        let result = async {
            let decision = withdrawals::approve(&state.db, &caller.0, id, Utc::now()).await?;
            answer(&state, &caller.0, id, decision).await
        }
        .await;
        respond(result)
    })
    .await
}

/// Rejects a pending request with a reason; the amount goes back to the wallet.
#[utoipa::path(
    post,
    path = "/withdrawals/{id}/reject",
    tag = "withdrawals",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    request_body = Rejection,
    responses((status = 200, body = Withdrawal))
)]
async fn reject(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(id): Id<i32>,
    Body(body): Body<Rejection>,
) -> Response {
    let request = format!("POST /withdrawals/{id}/reject {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let reason = checked(&body.reason)?;
            let decision = withdrawals::reject(&state.db, &caller.0, id, reason, Utc::now()).await?;
            answer(&state, &caller.0, id, decision).await
        }
        .await;
        respond(result)
    })
    .await
}

fn checked(reason: &str) -> Result<&str, Problem> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
        return Err(Problem::invalid("reason", "1 to 200 characters"));
    }
    Ok(reason)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Payout {
    /// The bank's 12-digit UTR of the transfer.
    pub utr: String,
}

/// Records the payout of an approved request with its UTR; the customer is told.
#[utoipa::path(
    post,
    path = "/withdrawals/{id}/paid",
    tag = "withdrawals",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    request_body = Payout,
    responses((status = 200, body = Withdrawal))
)]
async fn mark_paid(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(id): Id<i32>,
    Body(body): Body<Payout>,
) -> Response {
    let request = format!("POST /withdrawals/{id}/paid {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let decision = withdrawals::mark_paid(&state.db, &caller.0, id, &body.utr, Utc::now()).await?;
            answer(&state, &caller.0, id, decision).await
        }
        .await;
        respond(result)
    })
    .await
}

/// An approved request's payout bounced or was never sent: the amount goes back to the wallet.
#[utoipa::path(
    post,
    path = "/withdrawals/{id}/payout-failed",
    tag = "withdrawals",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    request_body = Rejection,
    responses((status = 200, body = Withdrawal))
)]
async fn payout_failed(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(id): Id<i32>,
    Body(body): Body<Rejection>,
) -> Response {
    let request = format!("POST /withdrawals/{id}/payout-failed {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let reason = checked(&body.reason)?;
            let decision = withdrawals::payout_failed(&state.db, &caller.0, id, reason, Utc::now()).await?;
            answer(&state, &caller.0, id, decision).await
        }
        .await;
        respond(result)
    })
    .await
}
