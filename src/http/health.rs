use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::HttpState;
use crate::services::health;

/// 200 `{"status":"ok"}` when the database answers, 503 otherwise.
pub async fn health(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    if health::database_ok(&state.db).await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "down" })))
    }
}
