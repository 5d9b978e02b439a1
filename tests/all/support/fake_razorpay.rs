//! A fake Razorpay API: payment links are created and fetched here, and the orders of paid
//! links listed, never at Razorpay. Every request is recorded, so tests can count API calls.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
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
    /// Orders Razorpay made for paid links, in the order they were made.
    orders: Arc<Mutex<Vec<Value>>>,
    /// `GET /v1/orders?…`, `GET /v1/payment_links/plink_1`, … as they came in.
    calls: Arc<Mutex<Vec<String>>>,
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
            .route("/v1/orders", get(list_orders))
            .layer(middleware::from_fn_with_state(fake.clone(), record))
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

    /// The customer pays the link: Razorpay now reports it paid with one captured payment,
    /// and lists the order it made for the link (with the link's notes) among paid orders.
    pub fn pay(&self, link_id: &str, payment_id: &str) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        let Some(link) = links.get_mut(link_id) else { panic!("the fake has no link {link_id}") };
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let now = chrono::Utc::now().timestamp();
        let amount = link["amount"].clone();
        let order_id = format!("order_{}", orders.len() + 1);
        link["status"] = json!("paid");
        link["amount_paid"] = amount.clone();
        link["order_id"] = json!(order_id);
        link["payments"] = json!([{ "payment_id": payment_id, "amount": amount, "status": "captured",
                                    "created_at": now }]);
        orders.push(json!({
            "id": order_id, "entity": "order", "amount": amount, "amount_paid": amount, "amount_due": 0,
            "currency": "INR", "receipt": link["reference_id"], "status": "paid", "attempts": 1,
            "notes": link["notes"], "created_at": now,
        }));
    }

    /// The payer's bank authorised a payment on the link, not yet captured: no money yet.
    pub fn authorize(&self, link_id: &str, payment_id: &str) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        let Some(link) = links.get_mut(link_id) else { panic!("the fake has no link {link_id}") };
        link["payments"] = json!([{ "payment_id": payment_id, "amount": link["amount"], "status": "authorized",
                                    "created_at": chrono::Utc::now().timestamp() }]);
    }

    /// Requests received since the last call, e.g. `GET /v1/payment_links/plink_3`.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

async fn record(State(fake): State<FakeRazorpay>, request: Request, next: Next) -> Response {
    let call = format!("{} {}", request.method(), request.uri());
    fake.calls.lock().unwrap_or_else(|p| p.into_inner()).push(call);
    next.run(request).await
}

fn bad_request(description: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": description } })))
        .into_response()
}

/// `GET /v1/orders`: `authorized`, `from`, `to` (Unix seconds, inclusive), `count` (1 to 100,
/// default 10) and `skip`, newest first, as Razorpay answers. Only paid links make orders
/// here, so every order has an authorised payment.
async fn list_orders(
    State(fake): State<FakeRazorpay>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !basic_auth_ok(&headers, KEY_ID, KEY_SECRET) {
        return unauthorized();
    }
    let param = |key: &str, default: i64| match query.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().map_err(|_| format!("{key} must be an integer")),
    };
    let parsed = (|| {
        Ok::<_, String>((param("from", i64::MIN)?, param("to", i64::MAX)?, param("count", 10)?, param("skip", 0)?))
    })();
    let (from, to, count, skip) = match parsed {
        Ok(values) => values,
        Err(e) => return bad_request(&e),
    };
    if !(1..=100).contains(&count) || skip < 0 {
        return bad_request("count must be between 1 and 100, skip at least 0");
    }
    // Every order here has an authorised payment: without the filter all are listed too.
    let authorized = match query.get("authorized").map(String::as_str) {
        None | Some("1") => true,
        Some("0") => false,
        Some(_) => return bad_request("authorized must be 0 or 1"),
    };
    let orders = fake.orders.lock().unwrap_or_else(|p| p.into_inner());
    let mut matching: Vec<Value> = orders
        .iter()
        .rev()
        .filter(|o| authorized && (from..=to).contains(&o["created_at"].as_i64().unwrap_or_default()))
        .cloned()
        .collect();
    matching.sort_by_key(|o| std::cmp::Reverse(o["created_at"].as_i64()));
    let items: Vec<Value> = matching.into_iter().skip(skip as usize).take(count as usize).collect();
    Json(json!({ "entity": "collection", "count": items.len(), "items": items })).into_response()
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
