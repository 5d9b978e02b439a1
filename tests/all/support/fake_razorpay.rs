//! A fake Razorpay API: payment links are created and fetched here, never at Razorpay.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const KEY_ID: &str = "rzp_test_key";
pub const KEY_SECRET: &str = "rzp_test_secret";
pub const WEBHOOK_SECRET: &str = "rzp_webhook_secret";

#[derive(Clone, Default)]
pub struct FakeRazorpay {
    links: Arc<Mutex<BTreeMap<String, Value>>>,
    pub url: String,
}

impl FakeRazorpay {
    pub async fn start() -> FakeRazorpay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake razorpay");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let fake = FakeRazorpay { url, ..Default::default() };
        let app = Router::new()
            .route("/v1/payment_links", post(create))
            .route("/v1/payment_links/{id}", get(fetch))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake razorpay") });
        fake
    }

    pub fn config(&self) -> ottsonly::config::RazorpayConfig {
        ottsonly::config::RazorpayConfig {
            key_id: KEY_ID.into(),
            key_secret: KEY_SECRET.into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_url: url::Url::parse(&self.url).expect("url"),
        }
    }

    pub fn links(&self) -> Vec<Value> {
        self.links.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// The customer pays the link: Razorpay now reports it paid with one captured payment.
    pub fn pay(&self, link_id: &str, payment_id: &str) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(link) = links.get_mut(link_id) {
            let amount = link["amount"].clone();
            link["status"] = json!("paid");
            link["amount_paid"] = amount.clone();
            link["payments"] = json!([{ "payment_id": payment_id, "amount": amount, "status": "captured",
                                        "created_at": chrono::Utc::now().timestamp() }]);
        }
    }
}

/// `Authorization: Basic base64(key:secret)`.
fn basic_auth_ok(headers: &HeaderMap, key: &str, secret: &str) -> bool {
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": "Authentication failed" } })),
    )
        .into_response()
}

async fn create(State(fake): State<FakeRazorpay>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !basic_auth_ok(&headers, KEY_ID, KEY_SECRET) {
        return unauthorized();
    }
    let valid = body["amount"].as_i64().is_some_and(|a| a >= 100)
        && body["currency"] == "INR"
        && body["reference_id"].as_str().is_some_and(|r| !r.is_empty() && r.len() <= 40)
        && body["expire_by"].as_i64().is_some_and(|t| t > chrono::Utc::now().timestamp());
    if !valid {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": "invalid request" } })),
        )
            .into_response();
    }
    let mut links = fake.links.lock().unwrap_or_else(|p| p.into_inner());
    if links.values().any(|l| l["reference_id"] == body["reference_id"]) {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "description": "reference_id already exists" } })))
            .into_response();
    }
    let id = format!("plink_{}", links.len() + 1);
    let link = json!({
        "id": id, "short_url": format!("https://rzp.io/i/{}", links.len() + 1), "status": "created",
        "amount": body["amount"], "amount_paid": 0, "reference_id": body["reference_id"],
        "expire_by": body["expire_by"], "notes": body["notes"], "payments": null,
    });
    links.insert(id, link.clone());
    Json(link).into_response()
}

async fn fetch(State(fake): State<FakeRazorpay>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !basic_auth_ok(&headers, KEY_ID, KEY_SECRET) {
        return unauthorized();
    }
    match fake.links.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        Some(link) => Json(link.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": { "description": "not found" } }))).into_response(),
    }
}
