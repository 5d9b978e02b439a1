//! What an API handler takes from a request: the caller (from the bearer token), and JSON,
//! query and path values whose rejections are problems, never plain text.
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chrono::Utc;

use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::{tokens, Actor};

/// The actor an API token stands for. Without a valid token: 401.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl FromRequestParts<HttpState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Caller, Problem> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::unauthorized)?;
        match tokens::authenticate(&state.db, bearer, Utc::now()).await? {
            Some(actor) => Ok(Caller(actor)),
            None => Err(Problem::unauthorized()),
        }
    }
}

impl Caller {
    /// The token's id, which idempotency keys belong to.
    pub fn token_id(&self) -> i32 {
        match &self.0.via {
            crate::services::Via::Token { id, .. } => *id,
            _ => 0,
        }
    }
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct Body<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct Params<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct Id<T>(pub T);

/// The field serde names: `missing field `x``, `unknown field `x``, or `x: invalid …` after
/// axum's prefix.
fn field_of(message: &str) -> Option<String> {
    if let Some(start) = message.find("field `") {
        let rest = &message[start + 7..];
        return rest.find('`').map(|end| rest[..end].to_owned());
    }
    let rest = message.split_once("query string: ").or_else(|| message.split_once("target type: "))?.1;
    let (path, _) = rest.split_once(": ")?;
    let plain = |c: char| c.is_alphanumeric() || "_.[]".contains(c);
    (!path.is_empty() && path.chars().all(plain)).then(|| path.to_owned())
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Problem {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => {
                let field = field_of(&detail).unwrap_or_else(|| "body".to_owned());
                Problem::invalid(&field, detail)
            }
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send JSON with Content-Type: application/json",
            ),
            _ => Problem::bad_request(detail),
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Problem {
        let detail = rejection.body_text();
        let field = field_of(&detail).unwrap_or_else(|| "query".to_owned());
        Problem { field: Some(field), ..Problem::bad_request(detail) }
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Problem {
        Problem::not_found(format!("no such record ({})", rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_serde_names() {
        assert_eq!(
            field_of(
                "Failed to deserialize the JSON body into the target type: missing field `amount` at line 1 column 2"
            ),
            Some("amount".into())
        );
        assert_eq!(
            field_of("Failed to deserialize query string: limit: invalid digit found in string"),
            Some("limit".into())
        );
        assert_eq!(
            field_of(
                "Failed to deserialize the JSON body into the target type: amount: invalid type: string, expected i64"
            ),
            Some("amount".into())
        );
        assert_eq!(field_of("nothing here"), None);
    }
}
