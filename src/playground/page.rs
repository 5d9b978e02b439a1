//! The chat page at `/playground` and what it calls: each persona's chat, typing, pressing
//! buttons, sending files, paying invoices, and the payments panel, whose simulated payments
//! go through the shop's real paths (a UTR typed in chat, a signed Razorpay webhook).
use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::json;

use super::bot_api::{BotApi, Persona};
use super::razorpay::Razorpay;
use crate::entities::payment::{PaymentChannel, PaymentStatus};
use crate::services::payments::{self, PaymentFilter};
use crate::services::razorpay::signature;
use crate::services::{page::PageRequest, upi, Actor};

#[derive(Clone)]
pub struct PageState {
    pub api: Arc<BotApi>,
    pub razorpay: Arc<Razorpay>,
    pub db: DatabaseConnection,
    /// Our own `POST /webhooks/razorpay`, and the secret it checks.
    pub webhook_url: String,
    pub webhook_secret: String,
    pub demo: bool,
    pub shop_name: String,
    pub upi_vpa: String,
    pub http: reqwest::Client,
}

pub fn router(state: PageState) -> Router {
    Router::new()
        .route("/playground", get(page))
        .route("/playground/api/setup", get(setup))
        .route("/playground/api/chats/{chat}", get(chat))
        .route("/playground/api/chats/{chat}/text", post(text))
        .route("/playground/api/chats/{chat}/press", post(press))
        .route("/playground/api/chats/{chat}/pay", post(pay))
        .route("/playground/api/chats/{chat}/upload", post(upload))
        .route("/playground/api/files/{id}", get(file))
        .route("/playground/api/payments", get(open_payments))
        .route("/playground/api/upi/{payment}/paid", post(upi_paid))
        .route("/playground/api/razorpay/{link}/paid", post(razorpay_paid))
        .route("/playground/razorpay/{link}", get(razorpay_checkout))
        .with_state(state)
}

fn refused(status: StatusCode, why: impl Into<String>) -> Response {
    (status, Json(json!({ "error": why.into() }))).into_response()
}

fn persona(state: &PageState, chat: i64) -> Option<Persona> {
    state.api.persona(chat).cloned()
}

fn not_a_persona() -> Response {
    refused(StatusCode::NOT_FOUND, "not one of the playground's people")
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

async fn setup(State(state): State<PageState>) -> Json<serde_json::Value> {
    Json(json!({
        "personas": state.api.personas(),
        "demo": state.demo,
        "own_database": std::env::var("DATABASE_URL").is_ok_and(|v| !v.trim().is_empty()),
        "shop_name": state.shop_name,
        "bot_username": super::bot_api::BOT_USERNAME,
    }))
}

#[derive(Deserialize)]
struct Seen {
    #[serde(default)]
    seen: u64,
}

async fn chat(State(state): State<PageState>, Path(chat): Path<i64>, Query(q): Query<Seen>) -> Response {
    let (version, bubbles) = state.api.chat_after(chat, q.seen).await;
    let chats: Vec<_> = state
        .api
        .chat_sizes()
        .into_iter()
        .map(|(id, messages)| {
            let name = state.api.persona(id).map(|p| p.first_name.clone());
            json!({ "id": id, "name": name, "messages": messages })
        })
        .collect();
    Json(json!({ "version": version, "bubbles": bubbles, "chats": chats })).into_response()
}

#[derive(Deserialize)]
struct Typed {
    text: String,
}

async fn text(State(state): State<PageState>, Path(chat): Path<i64>, Json(body): Json<Typed>) -> Response {
    let Some(who) = persona(&state, chat) else { return not_a_persona() };
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > 4096 {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, "a message is 1 to 4096 characters");
    }
    state.api.person_says(&who, text);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Press {
    message_id: i64,
    data: String,
}

async fn press(State(state): State<PageState>, Path(chat): Path<i64>, Json(body): Json<Press>) -> Response {
    let Some(who) = persona(&state, chat) else { return not_a_persona() };
    match state.api.person_presses(&who, body.message_id, &body.data) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => refused(StatusCode::CONFLICT, why),
    }
}

#[derive(Deserialize)]
struct Pay {
    message_id: i64,
}

async fn pay(State(state): State<PageState>, Path(chat): Path<i64>, Json(body): Json<Pay>) -> Response {
    let Some(who) = persona(&state, chat) else { return not_a_persona() };
    match state.api.person_pays(&who, body.message_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => refused(StatusCode::CONFLICT, why),
    }
}

/// A photo or a document from the page: fields `kind` (photo|document), `caption`, `file`.
async fn upload(State(state): State<PageState>, Path(chat): Path<i64>, mut form: Multipart) -> Response {
    let Some(who) = persona(&state, chat) else { return not_a_persona() };
    let (mut photo, mut caption, mut file) = (true, String::new(), None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return refused(StatusCode::BAD_REQUEST, err.to_string()),
        };
        match field.name().unwrap_or_default() {
            "kind" => photo = field.text().await.unwrap_or_default() != "document",
            "caption" => caption = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("file").to_owned();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(err) => return refused(StatusCode::BAD_REQUEST, err.to_string()),
                }
            }
            _ => {}
        }
    }
    match file {
        Some((name, bytes)) if !bytes.is_empty() => {
            state.api.person_sends_file(&who, photo, &name, bytes, caption.trim());
            StatusCode::NO_CONTENT.into_response()
        }
        _ => refused(StatusCode::UNPROCESSABLE_ENTITY, "choose a file to send"),
    }
}

async fn file(State(state): State<PageState>, Path(id): Path<String>) -> Response {
    let Some((name, bytes)) = state.api.file(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let image = bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8");
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if image {
        "image/jpeg"
    } else {
        "application/octet-stream"
    };
    let disposition =
        if image { "inline".to_owned() } else { format!("attachment; filename=\"{}\"", name.replace('"', "")) };
    ([(header::CONTENT_TYPE, kind.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}

/// Payments waiting for money, newest first: what the panel can simulate.
async fn open_payments(State(state): State<PageState>) -> Response {
    let filter = PaymentFilter { status: Some(PaymentStatus::Pending), method: None, user_id: None };
    let request = PageRequest { limit: 20, before: None };
    let found = match payments::list(&state.db, &Actor::system(), &filter, request).await {
        Ok(found) => found,
        Err(err) => return refused(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    };
    // A UPI payment whose UTR the customer gave already waits for the shop, not for money.
    let claimed: Vec<i32> = match upi::open_claims(&state.db, &Actor::system(), 100).await {
        Ok(claims) => claims.into_iter().map(|(_, p, _)| p.id).collect(),
        Err(err) => return refused(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    };
    let now = chrono::Utc::now();
    let items: Vec<_> = found
        .items
        .into_iter()
        .filter(|(p, _)| p.expires_at > now && !claimed.contains(&p.id))
        .filter(|(p, _)| p.method == PaymentChannel::Upi || p.gateway_link_id.is_some())
        .map(|(p, customer)| {
            json!({
                "id": p.id,
                "method": if p.method == PaymentChannel::Upi { "upi" } else { "razorpay" },
                "amount": crate::domain::Money::from_paise(p.amount).to_string(),
                "customer": customer.as_ref().map(|c| c.first_name.clone()),
                "telegram_id": customer.as_ref().map(|c| c.telegram_id),
                "link_id": p.gateway_link_id,
                "reference": p.reference,
            })
        })
        .collect();
    Json(json!({ "payments": items })).into_response()
}

/// The customer paid in their UPI app: the app shows a 12-digit UTR, which the customer now
/// gives the bot in chat, as a real one would.
async fn upi_paid(State(state): State<PageState>, Path(payment): Path<i32>) -> Response {
    let found = match payments::get(&state.db, &Actor::system(), payment).await {
        Ok(Some(found)) => found,
        Ok(None) => return refused(StatusCode::NOT_FOUND, "no such payment"),
        Err(err) => return refused(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    };
    let (payment, customer) = found;
    if payment.method != PaymentChannel::Upi || payment.status != PaymentStatus::Pending {
        return refused(StatusCode::CONFLICT, "that is not a UPI payment waiting for money");
    }
    let Some(chat) = customer.map(|c| c.telegram_id) else { return refused(StatusCode::NOT_FOUND, "no customer") };
    let utr = format!("4{:011}", rand::rng().random_range(0..100_000_000_000u64));
    let amount = crate::domain::Money::from_paise(payment.amount);
    state.api.note(
        chat,
        &format!(
            "📱 Your UPI app (simulated): {amount} paid to {}. UTR {utr}. Tap “I've paid” and send this number.",
            state.upi_vpa
        ),
    );
    Json(json!({ "chat": chat, "utr": utr })).into_response()
}

/// Razorpay took the money: its signed `payment_link.paid` event goes to our own webhook.
async fn razorpay_paid(State(state): State<PageState>, Path(link): Path<String>) -> Response {
    let Some((event_id, body)) = state.razorpay.pay(&link) else {
        return refused(StatusCode::CONFLICT, "no unpaid payment link with that id");
    };
    let signed = signature::sign(&state.webhook_secret, body.as_bytes());
    let answer = state
        .http
        .post(&state.webhook_url)
        .header("content-type", "application/json")
        .header("x-razorpay-signature", signed)
        .header("x-razorpay-event-id", event_id)
        .body(body)
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            Json(json!({ "webhook_status": status })).into_response()
        }
        Err(err) => refused(StatusCode::BAD_GATEWAY, format!("our webhook did not answer: {err}")),
    }
}

/// What a payment link opens: Razorpay's checkout, simulated.
async fn razorpay_checkout(State(state): State<PageState>, Path(link): Path<String>) -> Response {
    let Some((amount, status)) = state.razorpay.link(&link) else {
        return (StatusCode::NOT_FOUND, Html("No such payment link.".to_owned())).into_response();
    };
    let amount = crate::domain::Money::from_paise(amount);
    let link = super::render::escape(&link);
    let action = if status == "created" {
        format!(
            "<button id=\"pay\" onclick=\"fetch('/playground/api/razorpay/{link}/paid',{{method:'POST'}})\
             .then(r=>r.json()).then(j=>{{document.getElementById('done').textContent=\
             'Paid. Razorpay told the shop (webhook answered '+j.webhook_status+'). You can close this tab.';\
             document.getElementById('pay').remove();}})\">Pay {amount}</button><p id=\"done\"></p>"
        )
    } else {
        "<p>This link is paid.</p>".to_owned()
    };
    Html(format!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>Razorpay checkout (playground)</title>\
         <body style=\"font-family:system-ui;max-width:28rem;margin:3rem auto;text-align:center\">\
         <p style=\"background:#fff3cd;padding:.5rem\">Playground: a simulated Razorpay checkout. No money moves.</p>\
         <h1>{amount}</h1><p>to {}</p>{action}</body>",
        super::render::escape(&state.shop_name)
    ))
    .into_response()
}
