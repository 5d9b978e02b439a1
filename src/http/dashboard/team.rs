//! (being written)
use axum::Router;

use crate::http::HttpState;

pub fn routes() -> Router<HttpState> {
    Router::new()
}
