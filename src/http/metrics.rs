//! `GET /metrics`: Prometheus text format, behind `METRICS_TOKEN` when it is set.
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use subtle::ConstantTimeEq;

use super::HttpState;
use crate::metrics;
use crate::services::{leases, monitoring};

const STOCK_LEASE: &str = "metrics.stock";

pub async fn scrape(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "").into_response();
        }
    }
    let Some(handle) = metrics::handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder not installed").into_response();
    };
    let now = Utc::now();
    // One instance reports stock: the holder of this lease, renewed at each of its scrapes.
    let report_stock =
        leases::hold(&state.db, STOCK_LEASE, metrics::instance_id(), chrono::Duration::minutes(2), now).await;
    match monitoring::snapshot(&state.db, report_stock.unwrap_or(false), now).await {
        Ok(snapshot) => metrics::set_snapshot(&snapshot),
        Err(err) => log::warn!("metrics: reading the database failed: {err}"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}
