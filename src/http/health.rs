use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::HttpState;
use crate::services::health::{self, Readiness};

/// 200 `{"status":"ok"}` when the database answers, 503 otherwise.
pub async fn health(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    if health::database_ok(&state.db).await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "down" })))
    }
}

/// The process answers: 200 whatever the database does (a restart would not help it).
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// 200 when this instance can take traffic: the database answers and migrations are done.
pub async fn ready(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    match health::ready(&state.db).await {
        Readiness::Ready => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Readiness::DatabaseDown => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "down" })))
        }
        Readiness::Migrating { pending } => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "pending_migrations": pending })))
        }
    }
}
