//! Who is at the browser: the session cookie, the CSRF token every form carries, and the
//! one-line notice ("flash") shown after an act. Pages take `Staff`; form handlers take
//! `Posted<T>`, which refuses a POST whose CSRF token is missing or wrong.
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::layout;
use crate::http::HttpState;
use crate::services::sign_in::{self, Session};
use crate::services::{ActError, Actor, DbErr};

pub const SESSION_COOKIE: &str = "ottsonly_session";
const FLASH_COOKIE: &str = "ottsonly_flash";

/// A signed-in staff member, and the notice left for this page by the last act.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: Session,
    pub flash: Option<Flash>,
}

impl Staff {
    pub fn actor(&self) -> &Actor {
        &self.session.actor
    }

    pub fn lang(&self) -> &'static str {
        self.session.actor.lang.code()
    }

    pub fn can(&self, permission: crate::domain::Permission) -> bool {
        self.session.actor.can(permission)
    }
}

/// What the last act said: done, or refused with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    Done(String),
    Refused(String),
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let decoded: String = url::form_urlencoded::parse(format!("m={raw}").as_bytes()).next()?.1.into_owned();
    match decoded.split_once(':') {
        Some(("ok", text)) => Some(Flash::Done(text.to_owned())),
        Some(("no", text)) => Some(Flash::Refused(text.to_owned())),
        _ => None,
    }
}

impl FromRequestParts<HttpState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Staff, Response> {
        let signed_out = || Redirect::to("/admin/signed-out").into_response();
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(signed_out());
        };
        match sign_in::session(&state.db, secret, Utc::now()).await {
            Ok(Some(session)) => Ok(Staff { session, flash: read_flash(&parts.headers) }),
            Ok(None) => Err(signed_out()),
            Err(err) => Err(Failure::from(err).into_response()),
        }
    }
}

/// The fields of a form that is only a button: none besides the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// A form POST from a signed-in staff member, its CSRF token checked, and its fields.
pub struct Posted<T> {
    pub staff: Staff,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<HttpState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &HttpState) -> Result<Posted<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let staff = Staff::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| Failure::BadRequest("the form could not be read".into()).into_response())?;
        let presented = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        let expected = staff.session.csrf.as_bytes();
        if !presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected))) {
            return Err(Failure::Csrf.into_response());
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|err| Failure::BadRequest(format!("the form is incomplete: {err}")).into_response())?;
        Ok(Posted { staff, form })
    }
}

/// Back to `to` with a notice for the next page.
pub fn redirect_with(to: &str, flash: Flash) -> Response {
    let text = match &flash {
        Flash::Done(text) => format!("ok:{text}"),
        Flash::Refused(text) => format!("no:{text}"),
    };
    let value: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let cookie = format!("{FLASH_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=60");
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Removes a notice once a page has shown it.
pub fn clear_flash(response: &mut Response) {
    let cookie = format!("{FLASH_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

pub fn session_cookie(secret: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={secret}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&cookie).expect("a hex secret is a valid header value")
}

/// Why a page could not be shown or an act was not done, as an HTML page.
#[derive(Debug)]
pub enum Failure {
    Forbidden,
    Csrf,
    NotFound(String),
    BadRequest(String),
    Internal,
}

impl From<ActError> for Failure {
    fn from(err: ActError) -> Failure {
        match err {
            ActError::Forbidden { .. } => Failure::Forbidden,
            ActError::Db(err) => err.into(),
        }
    }
}

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Failure {
        log::error!("dashboard: {err}");
        Failure::Internal
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, key, detail) = match self {
            Failure::Forbidden => (StatusCode::FORBIDDEN, "dashboard.errors.forbidden", None),
            Failure::Csrf => (StatusCode::FORBIDDEN, "dashboard.errors.csrf", None),
            Failure::NotFound(what) => (StatusCode::NOT_FOUND, "dashboard.errors.not_found", Some(what)),
            Failure::BadRequest(what) => (StatusCode::BAD_REQUEST, "dashboard.errors.bad_request", Some(what)),
            Failure::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "dashboard.errors.internal", None),
        };
        (status, layout::bare(key, detail.as_deref())).into_response()
    }
}

pub type PageResult = Result<Response, Failure>;
