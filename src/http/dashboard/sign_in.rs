//! Signing in with the link from chat, and out. Opening the link shows a button; only the
//! POST it sends uses the link up, so a chat app's link preview cannot spend it.
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use maud::{html, DOCTYPE};
use rust_i18n::t;
use serde::Deserialize;

use super::layout;
use super::session::{session_cookie, Failure, NoFields, Posted};
use crate::http::HttpState;
use crate::services::sign_in::{self, Redeemed};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/login", get(confirm).post(redeem))
        .route("/admin/logout", post(logout))
        .route("/admin/signed-out", get(signed_out))
}

#[derive(Debug, Deserialize)]
pub struct Link {
    token: Option<String>,
}

async fn confirm(Query(link): Query<Link>) -> Response {
    let Some(token) = link.token.filter(|t| !t.trim().is_empty()) else {
        return layout::bare("dashboard.signed_out", None).into_response();
    };
    let title = t!("dashboard.sign_in_title", locale = "en");
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { (title) }
                    style { (maud::PreEscaped(include_str!("style.css"))) }
                }
                body.bare { main {
                    h1 { (title) }
                    p { (t!("dashboard.sign_in_text", locale = "en")) }
                    form method="post" action="/admin/login" {
                        input type="hidden" name="token" value=(token);
                        button.primary #sign-in type="submit" { (t!("dashboard.sign_in_button", locale = "en")) }
                    }
                } }
            }
        }
        .into_string(),
    )
    .into_response()
}

/// True when the browser says the form came from another site. The button is on our own page,
/// so another site posting a staff member's link would sign a victim in as that staff member.
fn cross_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    }
}

async fn redeem(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Form(link): Form<Link>,
) -> Result<Response, Failure> {
    if cross_site(&headers) {
        return Err(Failure::Csrf);
    }
    let token = link.token.unwrap_or_default();
    let hours = state.dashboard.session_hours;
    match sign_in::redeem(&state.db, &token, hours, Utc::now()).await? {
        Redeemed::SignedIn(session) => {
            let max_age = i64::from(hours) * 3600;
            let cookie = session_cookie(&session.secret, max_age, state.dashboard.secure_cookies);
            let mut response = Redirect::to("/admin").into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Redeemed::Invalid => Ok((StatusCode::GONE, layout::bare("dashboard.link_invalid", None)).into_response()),
        Redeemed::NotStaff => Err(Failure::Forbidden),
    }
}

async fn logout(State(state): State<HttpState>, posted: Posted<NoFields>) -> Result<Response, Failure> {
    sign_in::end(&state.db, &posted.staff.session, Utc::now()).await?;
    let mut response = Redirect::to("/admin/signed-out").into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie("", 0, state.dashboard.secure_cookies));
    Ok(response)
}

async fn signed_out() -> Html<String> {
    layout::bare("dashboard.signed_out", None)
}
