//! `GET /pay/upi/<reference>`: Telegram buttons accept only http(s) and tg:// URLs, so the
//! "Open UPI app" button points here and we redirect to the payment's `upi://pay` link.
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use rust_i18n::t;

use super::HttpState;
use crate::services::upi;

pub async fn upi_redirect(State(state): State<HttpState>, Path(reference): Path<String>) -> Response {
    let Some(config) = state.upi.as_ref() else {
        return (StatusCode::NOT_FOUND, Html(t!("http.upi_off").into_owned())).into_response();
    };
    match upi::link_for_reference(&state.db, config, &reference, Utc::now()).await {
        Ok(Some(link)) => (StatusCode::FOUND, [(header::LOCATION, link)]).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Html(t!("http.upi_gone").into_owned())).into_response(),
        Err(err) => {
            log::error!("UPI redirect for {reference}: {err}");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
