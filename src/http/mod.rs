//! The embedded HTTP server: health now; payment webhooks and the admin API later.
mod health;

use axum::routing::get;
use axum::Router;
use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub struct HttpState {
    pub db: DatabaseConnection,
}

pub fn router(state: HttpState) -> Router {
    Router::new().route("/health", get(health::health)).with_state(state)
}
