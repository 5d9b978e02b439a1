//! `/audit-log`: every staff act, who did it and how it arrived, newest first.
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Caller, Params};
use super::types::{Page, PageQuery};
use crate::entities::audit_log;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::audit;

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i32,
    /// Telegram id of the person answerable (0: the shop itself).
    pub actor_telegram_id: i64,
    /// chat, token:<name>, dashboard or system
    pub via: Option<String>,
    /// e.g. wallet.credit, order.refund, withdrawal.approve
    pub action: String,
    /// e.g. user:123456789, order:42
    pub target: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(row: audit_log::Model) -> AuditEntry {
        AuditEntry {
            id: row.id,
            actor_telegram_id: row.actor_telegram_id,
            via: row.via,
            action: row.action,
            target: row.target,
            details: serde_json::from_str(&row.details).unwrap_or_default(),
            created_at: row.created_at,
        }
    }
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/audit-log", tag = "audit", params(PageQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(query): Params<PageQuery>,
) -> Result<Json<Page<AuditEntry>>, Problem> {
    let page = query.request()?;
    Ok(Json(Page::of(audit::list(&state.db, &actor, page).await?, AuditEntry::from)))
}
