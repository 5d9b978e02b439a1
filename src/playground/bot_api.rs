//! The playground's Bot API stand-in: the bot talks to it exactly as to Telegram (getUpdates,
//! sendMessage, …), and it keeps each chat as the person in it would see it, for the chat
//! page. What Telegram would refuse is refused here too (see `rules`), and shown in the chat
//! as an error bubble.
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::render;
use super::rules::{self, rendered};

pub const BOT_ID: i64 = 700_000_001;
pub const BOT_USERNAME: &str = "ottsonly_playground_bot";
/// Long polls are cut short so a stop does not wait long.
const MAX_POLL: Duration = Duration::from_secs(10);

/// A person who chats with the bot from the page.
#[derive(Debug, Clone, Serialize)]
pub struct Persona {
    pub id: i64,
    pub first_name: String,
    pub role: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Bot,
    Person,
    /// A send Telegram would have refused: the bot's attempt and Telegram's answer.
    Refused,
    /// Something the playground itself says (a simulated payment, a toast).
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct Button {
    pub text: String,
    pub data: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub title: String,
    pub description: String,
    pub stars: i64,
    pub payload: String,
    pub paid: bool,
}

/// One message as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Bubble {
    pub message_id: i64,
    pub from: Sender,
    /// Safe HTML for the page, converted from what Telegram would show.
    pub html: String,
    pub buttons: Vec<Vec<Button>>,
    pub photo: Option<String>,
    pub document: Option<(String, String)>,
    pub invoice: Option<Invoice>,
    pub edited: bool,
}

struct StoredFile {
    path: String,
    name: String,
    bytes: Vec<u8>,
}

/// What Telegram knows of a message the bot sent: for edits and button presses.
#[derive(Clone)]
struct Sent {
    text: String,
    markup: Option<Value>,
    has_text: bool,
}

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    chats: BTreeMap<i64, Vec<Bubble>>,
    sent: HashMap<(i64, i64), Sent>,
    files: HashMap<String, StoredFile>,
    /// Pre-checkout query id -> (chat, invoice message) being paid.
    paying: HashMap<String, (i64, i64)>,
    star_transactions: Vec<Value>,
    /// Bumped on every change a page could show.
    version: u64,
}

pub struct BotApi {
    inner: Mutex<Inner>,
    personas: Vec<Persona>,
    updates_arrived: Notify,
    page_changed: Notify,
}

type Reply = Result<Value, String>;

impl BotApi {
    pub fn new(personas: Vec<Persona>) -> Arc<BotApi> {
        let inner = Inner { next_message_id: 1, ..Default::default() };
        Arc::new(BotApi {
            inner: Mutex::new(inner),
            personas,
            updates_arrived: Notify::new(),
            page_changed: Notify::new(),
        })
    }

    pub fn personas(&self) -> &[Persona] {
        &self.personas
    }

    pub fn persona(&self, id: i64) -> Option<&Persona> {
        self.personas.iter().find(|p| p.id == id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The Bot API's routes: `/bot<token>/<method>` and `/file/bot<token>/<path>`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/{token}/{method}", post(api).get(api))
            .route("/file/{token}/{*path}", get(download))
            .with_state(self.clone())
    }

    /// The page's view of one chat, once it changed after `seen` (or after a while anyway).
    pub async fn chat_after(&self, chat: i64, seen: u64) -> (u64, Vec<Bubble>) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let changed = self.page_changed.notified();
            {
                let inner = self.lock();
                if inner.version != seen || tokio::time::Instant::now() >= deadline {
                    return (inner.version, inner.chats.get(&chat).cloned().unwrap_or_default());
                }
            }
            let _ = tokio::time::timeout_at(deadline, changed).await;
        }
    }

    /// Chats with messages, by id, with how many messages each has.
    pub fn chat_sizes(&self) -> Vec<(i64, usize)> {
        self.lock().chats.iter().map(|(id, bubbles)| (*id, bubbles.len())).collect()
    }

    pub fn file(&self, file_id: &str) -> Option<(String, Vec<u8>)> {
        self.lock().files.get(file_id).map(|f| (f.name.clone(), f.bytes.clone()))
    }

    fn changed(&self, inner: &mut Inner) {
        inner.version += 1;
        self.page_changed.notify_waiters();
    }

    fn push_update(&self, kind: &str, payload: Value) {
        let mut inner = self.lock();
        inner.next_update_id += 1;
        let mut update = json!({ "update_id": inner.next_update_id });
        update[kind] = payload;
        inner.updates.push_back(update);
        drop(inner);
        self.updates_arrived.notify_waiters();
    }

    fn add_bubble(inner: &mut Inner, chat: i64, bubble: Bubble) {
        inner.chats.entry(chat).or_default().push(bubble);
    }

    pub fn note(&self, chat: i64, text: &str) {
        let mut inner = self.lock();
        Self::add_bubble(&mut inner, chat, plain(Sender::Note, 0, text));
        self.changed(&mut inner);
    }

    fn person_json(persona: &Persona) -> Value {
        json!({ "id": persona.id, "is_bot": false, "first_name": persona.first_name,
                "username": persona.first_name.to_lowercase(), "language_code": "en" })
    }

    fn person_message(&self, inner: &mut Inner, persona: &Persona) -> (i64, Value) {
        let id = inner.next_message_id;
        inner.next_message_id += 1;
        let message = json!({
            "message_id": id,
            "date": chrono::Utc::now().timestamp(),
            "chat": { "id": persona.id, "type": "private", "first_name": persona.first_name },
            "from": Self::person_json(persona),
        });
        (id, message)
    }

    /// The person types a message.
    pub fn person_says(&self, persona: &Persona, text: &str) {
        let message = {
            let mut inner = self.lock();
            let (id, mut message) = self.person_message(&mut inner, persona);
            message["text"] = json!(text);
            if let Some(command) = text.split_whitespace().next().filter(|w| w.starts_with('/')) {
                message["entities"] = json!([{ "type": "bot_command", "offset": 0,
                                               "length": command.encode_utf16().count() }]);
            }
            Self::add_bubble(&mut inner, persona.id, plain(Sender::Person, id, text));
            self.changed(&mut inner);
            message
        };
        self.push_update("message", message);
    }

    /// The person sends a photo or a document (`photo` false) with an optional caption.
    pub fn person_sends_file(&self, persona: &Persona, photo: bool, name: &str, bytes: Vec<u8>, caption: &str) {
        let message = {
            let mut inner = self.lock();
            let (id, mut message) = self.person_message(&mut inner, persona);
            let file_id = format!("upload_{id}");
            let size = bytes.len();
            let path = format!("{}/{file_id}", if photo { "photos" } else { "documents" });
            inner.files.insert(file_id.clone(), StoredFile { path, name: name.to_owned(), bytes });
            let mut bubble = plain(Sender::Person, id, caption);
            if photo {
                message["photo"] = json!([{ "file_id": file_id, "file_unique_id": format!("u{file_id}"),
                                            "width": 800, "height": 800, "file_size": size }]);
                bubble.photo = Some(file_url(&file_id));
            } else {
                message["document"] = json!({ "file_id": file_id, "file_unique_id": format!("u{file_id}"),
                                              "file_name": name, "file_size": size });
                bubble.document = Some((name.to_owned(), file_url(&file_id)));
            }
            if !caption.is_empty() {
                message["caption"] = json!(caption);
            }
            Self::add_bubble(&mut inner, persona.id, bubble);
            self.changed(&mut inner);
            message
        };
        self.push_update("message", message);
    }

    /// The person presses an inline button under one of the bot's messages.
    pub fn person_presses(&self, persona: &Persona, message_id: i64, data: &str) -> Result<(), String> {
        let query = {
            let mut inner = self.lock();
            let sent = inner.sent.get(&(persona.id, message_id)).cloned().ok_or("that message is gone")?;
            let pressable = sent.markup.as_ref().and_then(|m| m["inline_keyboard"].as_array()).is_some_and(|rows| {
                rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()).any(|b| b["callback_data"] == data)
            });
            if !pressable {
                return Err("that button is no longer there".into());
            }
            let mut message = bot_message(persona.id, message_id, &sent.text, sent.markup.clone());
            if !sent.has_text {
                let text = message["text"].take();
                message["caption"] = text;
                message["photo"] = json!([{ "file_id": "shown", "file_unique_id": "ushown", "width": 1, "height": 1 }]);
            }
            let id = format!("cb{}_{message_id}_{}", persona.id, Self::next_message_id(&mut inner));
            json!({ "id": id, "from": Self::person_json(persona), "message": message,
                    "chat_instance": format!("ci{}", persona.id), "data": data })
        };
        self.push_update("callback_query", query);
        Ok(())
    }

    /// The person taps Pay on an invoice: Telegram asks the bot first (pre-checkout), and
    /// charges only when the bot says yes.
    pub fn person_pays(&self, persona: &Persona, message_id: i64) -> Result<(), String> {
        let query = {
            let mut inner = self.lock();
            let invoice = inner
                .chats
                .get(&persona.id)
                .and_then(|c| c.iter().find(|b| b.message_id == message_id && b.from == Sender::Bot))
                .and_then(|b| b.invoice.clone())
                .ok_or("there is no invoice to pay there")?;
            if invoice.paid {
                return Err("this invoice is paid already".into());
            }
            let id = format!("pcq{}_{message_id}", persona.id);
            inner.paying.insert(id.clone(), (persona.id, message_id));
            json!({ "id": id, "from": Self::person_json(persona), "currency": "XTR",
                    "total_amount": invoice.stars, "invoice_payload": invoice.payload })
        };
        self.push_update("pre_checkout_query", query);
        Ok(())
    }

    fn answer_pre_checkout(&self, params: &Value) -> Reply {
        let ok = rules::check_pre_checkout_answer(params)?;
        let id = params["pre_checkout_query_id"].as_str().unwrap_or_default();
        let mut inner = self.lock();
        let (chat, message_id) = inner.paying.remove(id).ok_or("QUERY_ID_INVALID")?;
        let persona = self.persona(chat).cloned().ok_or("QUERY_ID_INVALID")?;
        let Some(invoice) = inner
            .chats
            .get_mut(&chat)
            .and_then(|c| c.iter_mut().find(|b| b.message_id == message_id))
            .and_then(|b| b.invoice.as_mut())
        else {
            return Err("QUERY_ID_INVALID".into());
        };
        if !ok {
            let why = params["error_message"].as_str().unwrap_or_default().to_owned();
            Self::add_bubble(&mut inner, chat, plain(Sender::Note, 0, &format!("Telegram: payment declined: {why}")));
            self.changed(&mut inner);
            return Ok(json!(true));
        }
        invoice.paid = true;
        let (stars, payload) = (invoice.stars, invoice.payload.clone());
        let charge = format!("stxplayground{chat}{message_id}");
        let date = chrono::Utc::now().timestamp();
        let source = json!({ "type": "user", "transaction_type": "invoice_payment",
                             "user": Self::person_json(&persona), "invoice_payload": payload });
        inner.star_transactions.push(json!({ "id": charge, "amount": stars, "date": date, "source": source }));
        Self::add_bubble(&mut inner, chat, plain(Sender::Note, 0, &format!("You paid ⭐ {stars} (simulated).")));
        let (_, mut message) = self.person_message(&mut inner, &persona);
        message["successful_payment"] = json!({ "currency": "XTR", "total_amount": stars, "invoice_payload": payload,
                                                "telegram_payment_charge_id": charge,
                                                "provider_payment_charge_id": "" });
        self.changed(&mut inner);
        drop(inner);
        self.push_update("message", message);
        Ok(json!(true))
    }

    async fn get_updates(&self, params: &Value) -> Reply {
        let offset = params["offset"].as_i64().unwrap_or(0);
        let wait = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0)).min(MAX_POLL);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.updates_arrived.notified();
            {
                let mut inner = self.lock();
                inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                if !inner.updates.is_empty() {
                    return Ok(json!(inner.updates.iter().cloned().collect::<Vec<_>>()));
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return Ok(json!([]));
            }
        }
    }

    fn handle(&self, method: &str, params: &Value) -> Reply {
        match method {
            "getme" => Ok(json!({ "id": BOT_ID, "is_bot": true, "first_name": "OTT Shop (playground)",
                                  "username": BOT_USERNAME, "can_join_groups": false,
                                  "can_read_all_group_messages": false, "supports_inline_queries": false,
                                  "can_connect_to_business": false, "has_main_web_app": false })),
            "deletewebhook" => Ok(json!(true)),
            "getwebhookinfo" => Ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })),
            "setmycommands" => rules::check_commands(params).map(|()| json!(true)),
            "sendmessage" => self.send_message(params),
            "sendphoto" | "senddocument" => self.send_file(params, method == "sendphoto"),
            "sendinvoice" => self.send_invoice(params),
            "editmessagetext" => self.edit_message_text(params),
            "answercallbackquery" => self.answer_callback(params),
            "answerprecheckoutquery" => self.answer_pre_checkout(params),
            "getfile" => {
                let id = params["file_id"].as_str().unwrap_or_default();
                let inner = self.lock();
                let file = inner.files.get(id).ok_or("invalid file_id")?;
                Ok(json!({ "file_id": id, "file_unique_id": format!("u{id}"), "file_size": file.bytes.len(),
                           "file_path": file.path }))
            }
            "getstartransactions" => {
                let offset = params["offset"].as_u64().unwrap_or(0) as usize;
                let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
                let inner = self.lock();
                let page: Vec<Value> = inner.star_transactions.iter().rev().skip(offset).take(limit).cloned().collect();
                Ok(json!({ "transactions": page }))
            }
            _ => Err(format!("method {method} is not in the playground's Bot API")),
        }
    }

    /// A refused send: Telegram's answer goes back to the bot, and the chat shows it.
    fn refused(&self, method: &str, params: &Value, description: &str) {
        let chat = params["chat_id"].as_i64().or_else(|| params["chat_id"].as_str()?.parse().ok()).unwrap_or(0);
        let attempt = params["text"].as_str().or(params["caption"].as_str()).unwrap_or_default();
        let shown: String = attempt.chars().take(600).collect();
        let text = format!("Telegram would refuse this {method}: {description}\n\n{shown}");
        let mut inner = self.lock();
        Self::add_bubble(&mut inner, chat, plain(Sender::Refused, 0, &text));
        self.changed(&mut inner);
    }

    fn next_message_id(inner: &mut Inner) -> i64 {
        let id = inner.next_message_id;
        inner.next_message_id += 1;
        id
    }

    fn send_message(&self, params: &Value) -> Reply {
        let chat = chat_id(params)?;
        let text = params["text"].as_str().unwrap_or_default().to_owned();
        let mode = params["parse_mode"].as_str();
        rules::check_text(&text, mode, "message is too long")?;
        let markup = markup_of(params);
        rules::check_markup(markup.as_ref())?;
        let mut inner = self.lock();
        let id = Self::next_message_id(&mut inner);
        let mut bubble = plain(Sender::Bot, id, "");
        bubble.html = render::page_html(&text, mode);
        bubble.buttons = buttons(markup.as_ref());
        Self::add_bubble(&mut inner, chat, bubble);
        inner.sent.insert((chat, id), Sent { text: text.clone(), markup: markup.clone(), has_text: true });
        self.changed(&mut inner);
        Ok(bot_message(chat, id, &text, markup))
    }

    fn send_file(&self, params: &Value, photo: bool) -> Reply {
        let chat = chat_id(params)?;
        let caption = params["caption"].as_str().unwrap_or_default().to_owned();
        let mode = params["parse_mode"].as_str();
        rules::check_caption(&caption, mode)?;
        let markup = markup_of(params);
        rules::check_markup(markup.as_ref())?;
        let field = if photo { "photo" } else { "document" };
        let mut inner = self.lock();
        let (name, bytes) = match params[field].as_str() {
            Some(attach) if attach.starts_with("attach://") => {
                let key = &attach["attach://".len()..];
                let bytes: Vec<u8> = serde_json::from_value(params["__uploads"][key].clone()).unwrap_or_default();
                (params["__upload_names"][key].as_str().unwrap_or("file").to_owned(), bytes)
            }
            Some(id) => {
                let file = inner.files.get(id).ok_or("wrong file identifier/HTTP URL specified")?;
                (file.name.clone(), file.bytes.clone())
            }
            None => return Err(format!("there is no {field} in the request")),
        };
        if bytes.is_empty() {
            return Err("file must be non-empty".into());
        }
        let id = Self::next_message_id(&mut inner);
        let file_id = format!("sent_{field}_{id}");
        let size = bytes.len();
        let path = format!("{field}s/{file_id}");
        inner.files.insert(file_id.clone(), StoredFile { path, name: name.clone(), bytes });
        let mut bubble = plain(Sender::Bot, id, "");
        bubble.html = render::page_html(&caption, mode);
        bubble.buttons = buttons(markup.as_ref());
        let mut reply = bot_message(chat, id, &caption, markup.clone());
        let text = reply["text"].take();
        if let Some(obj) = reply.as_object_mut() {
            obj.remove("text");
        }
        if !caption.is_empty() {
            reply["caption"] = text;
        }
        let unique = format!("u{file_id}");
        if photo {
            bubble.photo = Some(file_url(&file_id));
            reply["photo"] = json!([{ "file_id": file_id, "file_unique_id": unique, "width": 512, "height": 512 }]);
        } else {
            bubble.document = Some((name.clone(), file_url(&file_id)));
            reply["document"] =
                json!({ "file_id": file_id, "file_unique_id": unique, "file_name": name, "file_size": size });
        }
        Self::add_bubble(&mut inner, chat, bubble);
        inner.sent.insert((chat, id), Sent { text: caption, markup, has_text: false });
        self.changed(&mut inner);
        Ok(reply)
    }

    fn send_invoice(&self, params: &Value) -> Reply {
        let chat = chat_id(params)?;
        let stars = rules::check_invoice(params)?;
        let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
        let mut inner = self.lock();
        let id = Self::next_message_id(&mut inner);
        let mut bubble = plain(Sender::Bot, id, "");
        bubble.invoice = Some(Invoice {
            title: text("title"),
            description: text("description"),
            stars,
            payload: text("payload"),
            paid: false,
        });
        Self::add_bubble(&mut inner, chat, bubble);
        self.changed(&mut inner);
        let mut reply = bot_message(chat, id, "", None);
        if let Some(obj) = reply.as_object_mut() {
            obj.remove("text");
        }
        reply["invoice"] = json!({ "title": text("title"), "description": text("description"),
                                   "start_parameter": text("start_parameter"), "currency": "XTR",
                                   "total_amount": stars });
        Ok(reply)
    }

    fn edit_message_text(&self, params: &Value) -> Reply {
        let chat = chat_id(params)?;
        let id = params["message_id"].as_i64().ok_or("message_id required")?;
        let text = params["text"].as_str().unwrap_or_default().to_owned();
        let mode = params["parse_mode"].as_str();
        rules::check_text(&text, mode, "MESSAGE_TOO_LONG")?;
        let markup = markup_of(params);
        rules::check_markup(markup.as_ref())?;
        let mut inner = self.lock();
        let current = inner.sent.get(&(chat, id)).ok_or("message to edit not found")?;
        if !current.has_text {
            return Err("there is no text in the message to edit".into());
        }
        // Telegram compares what the reader sees.
        if rendered(&current.text) == rendered(&text) && current.markup == markup {
            return Err("message is not modified: specified new message content and reply markup are exactly the \
                        same as a current content and reply markup of the message"
                .into());
        }
        inner.sent.insert((chat, id), Sent { text: text.clone(), markup: markup.clone(), has_text: true });
        if let Some(bubble) = inner.chats.get_mut(&chat).and_then(|c| c.iter_mut().find(|b| b.message_id == id)) {
            bubble.html = render::page_html(&text, mode);
            bubble.buttons = buttons(markup.as_ref());
            bubble.edited = true;
        }
        self.changed(&mut inner);
        Ok(bot_message(chat, id, &text, markup))
    }

    fn answer_callback(&self, params: &Value) -> Reply {
        rules::check_callback_answer(params)?;
        let text = params["text"].as_str().unwrap_or_default();
        let chat = params["callback_query_id"]
            .as_str()
            .and_then(|id| id.strip_prefix("cb")?.split('_').next()?.parse::<i64>().ok());
        if let (false, Some(chat)) = (text.is_empty(), chat) {
            self.note(chat, text);
        }
        Ok(json!(true))
    }
}

fn plain(from: Sender, message_id: i64, text: &str) -> Bubble {
    Bubble {
        message_id,
        from,
        html: render::page_html(text, None),
        buttons: Vec::new(),
        photo: None,
        document: None,
        invoice: None,
        edited: false,
    }
}

fn file_url(file_id: &str) -> String {
    format!("/playground/api/files/{file_id}")
}

fn markup_of(params: &Value) -> Option<Value> {
    params.get("reply_markup").cloned().filter(|m| !m.is_null())
}

fn buttons(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let rows = markup.and_then(|m| m["inline_keyboard"].as_array()).cloned().unwrap_or_default();
    rows.iter()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|b| Button {
                    text: b["text"].as_str().unwrap_or_default().to_owned(),
                    data: b["callback_data"].as_str().map(str::to_owned),
                    url: b["url"].as_str().map(str::to_owned),
                })
                .collect()
        })
        .collect()
}

fn bot_message(chat: i64, message_id: i64, text: &str, markup: Option<Value>) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "date": chrono::Utc::now().timestamp(),
        "chat": { "id": chat, "type": "private", "first_name": "Customer" },
        "from": { "id": BOT_ID, "is_bot": true, "first_name": "OTT Shop (playground)", "username": BOT_USERNAME },
        "text": rendered(text),
    });
    if let Some(markup) = markup {
        message["reply_markup"] = markup;
    }
    message
}

fn chat_id(params: &Value) -> Result<i64, String> {
    match &params["chat_id"] {
        Value::Number(n) => n.as_i64().ok_or_else(|| "chat not found".to_owned()),
        Value::String(s) => s.parse().map_err(|_| "chat not found".to_owned()),
        _ => Err("chat_id is empty".to_owned()),
    }
}

async fn api(
    State(api): State<Arc<BotApi>>,
    Path((token, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    if !token.starts_with("bot") {
        return error(404, "Not Found");
    }
    let params = match params_of(request).await {
        Ok(params) => params,
        Err(why) => return error(400, &format!("Bad Request: {why}")),
    };
    // Telegram matches method names case-insensitively (teloxide sends `SendMessage`).
    let method = method.to_ascii_lowercase();
    let result = if method == "getupdates" { api.get_updates(&params).await } else { api.handle(&method, &params) };
    match result {
        Ok(value) => Json(json!({ "ok": true, "result": value })).into_response(),
        Err(description) => {
            if method.starts_with("send") || method.starts_with("edit") {
                api.refused(&method, &params, &description);
            } else {
                log::warn!("playground: Telegram would refuse {method}: {description}");
            }
            error(400, &format!("Bad Request: {description}"))
        }
    }
}

/// JSON, form or multipart parameters as one JSON object; uploaded files go under
/// `__uploads` (bytes) and `__upload_names` by field name, the field itself `attach://name`.
async fn params_of(request: Request) -> Result<Value, String> {
    let content_type =
        request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| e.to_string())?;
        let mut params = json!({ "__uploads": {}, "__upload_names": {} });
        while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                params["__upload_names"][&name] = json!(file_name);
                params["__uploads"][&name] = json!(field.bytes().await.map_err(|e| e.to_string())?.to_vec());
                params[&name] = json!(format!("attach://{name}"));
            } else {
                let text = field.text().await.map_err(|e| e.to_string())?;
                params[&name] = match serde_json::from_str::<Value>(&text) {
                    Ok(v) if name == "reply_markup" || v.is_number() => v,
                    _ => Value::String(text),
                };
            }
        }
        return Ok(params);
    }
    let json_body = content_type.starts_with("application/json");
    let body = axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024).await.map_err(|e| e.to_string())?;
    if body.is_empty() {
        return Ok(json!({}));
    }
    if !json_body {
        return Err(format!("unsupported content type {content_type}"));
    }
    serde_json::from_slice(&body).map_err(|_| "invalid JSON".to_owned())
}

fn error(code: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(json!({ "ok": false, "error_code": code, "description": description }))).into_response()
}

async fn download(State(api): State<Arc<BotApi>>, Path((_token, path)): Path<(String, String)>) -> Response {
    let inner = api.lock();
    match inner.files.values().find(|f| f.path == path) {
        Some(file) => file.bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
