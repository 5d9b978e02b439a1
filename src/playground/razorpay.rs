//! The playground's Razorpay stand-in: the bot creates and fetches payment links here, and
//! "paying" one here makes the event Razorpay would post, signed with the webhook secret.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const KEY_ID: &str = "rzp_playground_key";
pub const KEY_SECRET: &str = "rzp_playground_secret";
pub const WEBHOOK_SECRET: &str = "rzp_playground_webhook_secret";

pub struct Razorpay {
    links: Mutex<BTreeMap<String, Value>>,
    /// Where a payment link's checkout page is: the playground's own page.
    checkout_base: String,
}

impl Razorpay {
    pub fn new(checkout_base: String) -> Arc<Razorpay> {
        Arc::new(Razorpay { links: Mutex::default(), checkout_base })
    }

    fn links(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/v1/payment_links", post(create))
            .route("/v1/payment_links/{id}", get(fetch))
            .route("/v1/orders", get(orders))
            .with_state(self.clone())
    }

    /// The link, when the bot made it: (amount in paise, status).
    pub fn link(&self, id: &str) -> Option<(i64, String)> {
        self.links().get(id).map(|l| (l["amount"].as_i64().unwrap_or(0), l["status"].as_str().unwrap_or("").into()))
    }

    /// The customer pays the link: it is paid from now on, and the answer is the webhook body
    /// Razorpay would post (`payment_link.paid`), with its event id.
    pub fn pay(&self, id: &str) -> Option<(String, String)> {
        let mut links = self.links();
        let link = links.get_mut(id).filter(|l| l["status"] == "created")?;
        let amount = link["amount"].clone();
        let payment_id = format!("pay_{}", id.trim_start_matches("plink_"));
        let now = chrono::Utc::now().timestamp();
        link["status"] = json!("paid");
        link["amount_paid"] = amount.clone();
        link["payments"] =
            json!([{ "payment_id": payment_id, "amount": amount, "status": "captured", "created_at": now }]);
        let body = json!({
            "entity": "event",
            "event": "payment_link.paid",
            "created_at": now,
            "payload": {
                "payment_link": { "entity": { "id": id, "amount": amount, "amount_paid": amount, "status": "paid",
                                              "reference_id": link["reference_id"], "notes": link["notes"] } },
                "payment": { "entity": { "id": payment_id, "amount": amount, "currency": "INR",
                                         "status": "captured", "notes": link["notes"], "created_at": now } }
            }
        });
        Some((format!("evt_{payment_id}"), body.to_string()))
    }
}

async fn create(State(rzp): State<Arc<Razorpay>>, Json(body): Json<Value>) -> Response {
    let mut links = rzp.links();
    let id = format!("plink_playground{}", links.len() + 1);
    let link = json!({
        "id": id, "amount": body["amount"], "currency": "INR", "reference_id": body["reference_id"],
        "description": body["description"], "notes": body["notes"], "status": "created", "amount_paid": 0,
        "short_url": format!("{}/{id}", rzp.checkout_base),
    });
    links.insert(id, link.clone());
    Json(link).into_response()
}

async fn fetch(State(rzp): State<Arc<Razorpay>>, Path(id): Path<String>) -> Response {
    match rzp.links().get(&id) {
        Some(link) => Json(link.clone()).into_response(),
        None => (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist" } })),
        )
            .into_response(),
    }
}

/// Reconciliation asks for paid orders: every paid link here got its webhook already.
async fn orders() -> Response {
    Json(json!({ "entity": "collection", "count": 0, "items": [] })).into_response()
}
