//! `/fraud-flags`: what the fraud rules found, with the evidence; resolve.
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Caller, Id, Params};
use super::types::{Page, PageQuery};
use super::{parse, text};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::fraud::{self, ResolveOutcome};
use crate::services::{queues, Actor};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get)).routes(routes!(resolve))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Flag {
    pub id: i32,
    pub customer_telegram_id: Option<i64>,
    /// shared_upi, rapid_signups, low_conversion, own_referee or clawback_shortfall
    pub rule: String,
    pub reason: String,
    /// The facts behind the finding.
    pub evidence: serde_json::Value,
    /// open or resolved
    pub status: String,
    pub resolved_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

fn to_json((flag, owner): queues::Flag) -> Flag {
    Flag {
        id: flag.id,
        customer_telegram_id: owner.map(|o| o.telegram_id),
        rule: text(&flag.rule),
        reason: flag.reason,
        evidence: serde_json::from_str(&flag.evidence).unwrap_or_default(),
        status: text(&flag.status),
        resolved_by: flag.resolved_by,
        created_at: flag.created_at,
        resolved_at: flag.resolved_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// open or resolved
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Fraud flags, newest first.
#[utoipa::path(get, path = "/fraud-flags", tag = "fraud-flags", params(Filter), responses((status = 200, body = Page<Flag>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Flag>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let status = f.status.as_deref().map(|s| parse("status", s)).transpose()?;
    Ok(Json(Page::of(queues::flags(&state.db, &actor, status, page).await?, to_json)))
}

async fn found(state: &HttpState, actor: &Actor, id: i32) -> Result<Flag, Problem> {
    queues::flag(&state.db, actor, id)
        .await?
        .map(to_json)
        .ok_or_else(|| Problem::not_found(format!("no fraud flag {id}")))
}

/// One fraud flag.
#[utoipa::path(get, path = "/fraud-flags/{id}", tag = "fraud-flags", params(("id" = i32, Path)), responses((status = 200, body = Flag)))]
async fn get(State(state): State<HttpState>, Caller(actor): Caller, Id(id): Id<i32>) -> Result<Json<Flag>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

/// Marks a flag harmless (or dealt with); withdrawals it held can be approved again.
#[utoipa::path(post, path = "/fraud-flags/{id}/resolve", tag = "fraud-flags", params(("id" = i32, Path)), responses((status = 200, body = Flag)))]
async fn resolve(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<Flag>, Problem> {
    match fraud::resolve(&state.db, &actor, id, Utc::now()).await? {
        ResolveOutcome::Resolved(_) => Ok(Json(found(&state, &actor, id).await?)),
        ResolveOutcome::AlreadyResolved => {
            Err(Problem::conflict("already-resolved", format!("flag {id} was resolved before")))
        }
        ResolveOutcome::UnknownFlag => Err(Problem::not_found(format!("no fraud flag {id}"))),
    }
}
