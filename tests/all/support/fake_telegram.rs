//! A fake Telegram Bot API server, as strict as the real one about what it refuses:
//! malformed HTML or MarkdownV2, empty or over-long text, callback data over 64 bytes,
//! button URLs that are not http(s)/tg://, and edits that change nothing. Every refusal is
//! recorded; tests assert there were none, because a refused message never reaches a customer.
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

use ottsonly::playground::rules::{self, rendered};

pub const BOT_ID: i64 = 777_000_001;
pub const BOT_USERNAME: &str = "ottsonly_test_bot";

#[derive(Debug, Clone)]
pub struct SentMessage {
    pub seq: u64,
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    pub parse_mode: Option<String>,
    pub reply_markup: Option<Value>,
    /// True when this record is an edit of an earlier message.
    pub edit: bool,
    /// The image of a photo message (its `text` is the caption).
    pub photo: Option<Vec<u8>>,
    /// (file name, bytes) of a document message (its `text` is the caption).
    pub document: Option<(String, Vec<u8>)>,
    /// When the fake accepted it.
    pub at: Instant,
}

impl SentMessage {
    /// Callback data of the first button whose label contains `label`.
    pub fn button(&self, label: &str) -> Option<String> {
        self.buttons().into_iter().find(|(text, _)| text.contains(label)).map(|(_, data)| data)
    }

    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows =
            self.reply_markup.as_ref().and_then(|m| m["inline_keyboard"].as_array().cloned()).unwrap_or_default();
        rows.iter()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|b| {
                (
                    b["text"].as_str().unwrap_or_default().to_owned(),
                    b["callback_data"].as_str().or(b["url"].as_str()).unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Refusal {
    pub method: String,
    pub description: String,
    pub params: Value,
}

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    seq: u64,
    sent: Vec<SentMessage>,
    /// Current content of each message: (chat, id) -> (text, markup).
    messages: HashMap<(i64, i64), (String, Option<Value>)>,
    refusals: Vec<Refusal>,
    files: HashMap<String, (String, Vec<u8>)>,
    calls: Vec<(String, Value)>,
    polls: u64,
    /// Answers to give sends to a chat instead of delivering them, in order.
    scripted: HashMap<i64, VecDeque<Failure>>,
    /// The bot's Stars transactions, oldest first (getStarTransactions answers newest first).
    star_transactions: Vec<Value>,
    /// Telegram's limits, when enforced.
    limits: Option<Limits>,
    /// Accepted sends within the last window, and the last one to each chat.
    recent: VecDeque<Instant>,
    last_to: HashMap<i64, Instant>,
    /// Every 429 given: (chat, when).
    too_many: Vec<(i64, Instant)>,
    /// The n-th accepted send hangs: it is delivered, but its answer never comes.
    stall_at: Option<usize>,
    accepted_sends: usize,
    stall_now: bool,
    stalled: bool,
}

/// Telegram's limits on sending: at most `overall` messages in any `window`, and one per
/// chat per `window` (a second, or less for a clock run faster by a declared factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub overall: usize,
    pub window: Duration,
}

impl Limits {
    /// 30 a second overall, 1 a second per chat, on a clock `scale` times faster.
    pub fn telegram(scale: u32) -> Limits {
        Limits { overall: 30, window: Duration::from_millis(1000 / u64::from(scale.max(1))) }
    }
}

/// What Telegram answers when it does not deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 with `retry_after` seconds.
    TooManyRequests(u32),
    /// 403: the user blocked the bot.
    Blocked,
    /// 500.
    ServerError,
}

impl Inner {
    /// Stores a sent or edited message as the chat now shows it; returns the API's Message.
    fn record(
        &mut self,
        chat_id: i64,
        message_id: i64,
        text: String,
        parse_mode: Option<String>,
        reply_markup: Option<Value>,
        edit: bool,
    ) -> Value {
        self.messages.insert((chat_id, message_id), (text.clone(), reply_markup.clone()));
        self.seq += 1;
        let reply = message_json(chat_id, message_id, &text, reply_markup.clone());
        self.sent.push(SentMessage {
            seq: self.seq,
            chat_id,
            message_id,
            text,
            parse_mode,
            reply_markup,
            edit,
            photo: None,
            document: None,
            at: Instant::now(),
        });
        reply
    }
}

#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    pub addr: SocketAddr,
}

type Reply = Result<Value, (u16, String)>;

fn bad(description: impl Into<String>) -> (u16, String) {
    (400, format!("Bad Request: {}", description.into()))
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake telegram");
        let addr = listener.local_addr().expect("local addr");
        let fake = FakeTelegram { inner: Arc::default(), changed: Arc::new(Notify::new()), addr };
        fake.lock().next_message_id = 1000;
        let app = Router::new()
            .route("/{token}/{method}", post(api).get(api))
            .route("/file/{token}/{*path}", get(file))
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake telegram server");
        });
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push_update(&self, kind: &str, payload: Value) -> i64 {
        let id = {
            let mut inner = self.lock();
            inner.next_update_id += 1;
            let id = inner.next_update_id;
            let mut update = json!({ "update_id": id });
            update[kind] = payload;
            inner.updates.push_back(update);
            id
        };
        self.changed.notify_waiters();
        id
    }

    fn next_message_id(&self) -> i64 {
        let mut inner = self.lock();
        inner.next_message_id += 1;
        inner.next_message_id
    }

    /// A text message from `user` in their private chat. Returns its message id.
    pub fn send_text(&self, user: &TestUser, text: &str) -> i64 {
        let (id, message) = self.text_message(user, text);
        self.push_update("message", message);
        id
    }

    fn text_message(&self, user: &TestUser, text: &str) -> (i64, Value) {
        let id = self.next_message_id();
        let mut message = user.message_base(id);
        message["text"] = json!(text);
        if text.starts_with('/') {
            let len = text.split_whitespace().next().map(|c| c.encode_utf16().count()).unwrap_or(0);
            message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        }
        (id, message)
    }

    /// The update Telegram would post to a webhook for a text message from `user` (not
    /// queued for getUpdates), with a new update id.
    pub fn text_update(&self, user: &TestUser, text: &str) -> Value {
        let (_, message) = self.text_message(user, text);
        let mut inner = self.lock();
        inner.next_update_id += 1;
        json!({ "update_id": inner.next_update_id, "message": message })
    }

    /// A sticker: something that is neither text nor a command.
    pub fn send_sticker(&self, user: &TestUser) -> i64 {
        let id = self.next_message_id();
        let mut message = user.message_base(id);
        message["sticker"] = json!({
            "file_id": "sticker1", "file_unique_id": "s1", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false
        });
        self.push_update("message", message);
        id
    }

    /// A photo without caption.
    pub fn send_photo(&self, user: &TestUser) -> i64 {
        let id = self.next_message_id();
        let mut message = user.message_base(id);
        message["photo"] = json!([{ "file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90 }]);
        self.push_update("message", message);
        id
    }

    /// A photo with a caption (e.g. a payment screenshot with the UTR).
    pub fn send_photo_with_caption(&self, user: &TestUser, caption: &str) -> i64 {
        let id = self.next_message_id();
        let mut message = user.message_base(id);
        message["photo"] = json!([
            { "file_id": "shot_small", "file_unique_id": "s1", "width": 90, "height": 90 },
            { "file_id": format!("shot_{id}"), "file_unique_id": format!("s{id}"), "width": 1080, "height": 1920 }
        ]);
        message["caption"] = json!(caption);
        self.push_update("message", message);
        id
    }

    /// A file Telegram keeps for us (a photo a customer sent), served through getFile and /file/.
    pub fn store_file(&self, file_id: &str, bytes: &[u8]) {
        self.lock().files.insert(file_id.to_owned(), (format!("photos/{file_id}.jpg"), bytes.to_vec()));
    }

    /// A document with a caption; its bytes are served through getFile and /file/.
    pub fn send_document(&self, user: &TestUser, caption: &str, file_name: &str, bytes: &[u8]) -> i64 {
        let id = self.next_message_id();
        let file_id = format!("doc{id}");
        self.lock().files.insert(file_id.clone(), (format!("documents/{file_name}"), bytes.to_vec()));
        let mut message = user.message_base(id);
        message["document"] = json!({
            "file_id": file_id, "file_unique_id": format!("u{id}"), "file_name": file_name,
            "mime_type": "text/plain", "file_size": bytes.len()
        });
        message["caption"] = json!(caption);
        let len = caption.split_whitespace().next().map(|c| c.encode_utf16().count()).unwrap_or(0);
        message["caption_entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        self.push_update("message", message);
        id
    }

    /// A tap on an inline button of `message` (sent by the bot to `user`).
    pub fn press(&self, user: &TestUser, message: &SentMessage, data: &str) -> String {
        let query_id = format!("q{}", self.next_message_id());
        let current_text = self
            .lock()
            .messages
            .get(&(message.chat_id, message.message_id))
            .map(|(t, _)| t.clone())
            .unwrap_or_default();
        let payload = json!({
            "id": query_id,
            "from": user.json(),
            "chat_instance": format!("ci{}", user.id),
            "data": data,
            "message": {
                "message_id": message.message_id,
                "date": 1_780_000_000,
                "chat": { "id": message.chat_id, "type": "private", "first_name": user.first_name },
                "from": bot_user(),
                "text": current_text,
            }
        });
        self.push_update("callback_query", payload);
        query_id
    }

    /// The same update delivered again (Telegram retries, a client double-sends).
    pub fn replay_last_update(&self) {
        let last = {
            let inner = self.lock();
            inner.calls.iter().rev().find_map(|(m, v)| (m == "__delivered").then(|| v.clone()))
        };
        if let Some(mut update) = last {
            let mut inner = self.lock();
            inner.next_update_id += 1;
            update["update_id"] = json!(inner.next_update_id);
            inner.updates.push_back(update);
            drop(inner);
            self.changed.notify_waiters();
        }
    }

    /// Waits until `check` holds on the server state, or panics after 20 s.
    async fn wait_until<T>(&self, what: &str, check: impl FnMut(&Inner) -> Option<T>) -> T {
        self.wait_until_within(what, Duration::from_secs(20), check).await
    }

    async fn wait_until_within<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Inner) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if let Some(found) = check(&self.lock()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let inner = self.lock();
                let sent: Vec<String> = inner.sent.iter().map(|m| format!("[{}] {}", m.chat_id, m.text)).collect();
                panic!(
                    "timed out waiting for {what}; refusals: {:?}; sent so far:\n{}",
                    inner.refusals,
                    sent.join("\n")
                );
            }
        }
    }

    /// Waits until the bot has asked for updates more than `before` times in all (it is running).
    pub async fn wait_for_polling_after(&self, before: u64) {
        self.wait_until("the bot to poll", |i| (i.polls > before).then_some(())).await
    }

    pub fn polls(&self) -> u64 {
        self.lock().polls
    }

    /// The next message (new or edited) to `chat` after `cursor.seq`, advancing the cursor.
    pub async fn next_to(&self, cursor: &mut Cursor) -> SentMessage {
        let chat = cursor.chat_id;
        let after = cursor.seq;
        let message = self
            .wait_until(&format!("a message to {chat} after #{after}"), |i| {
                i.sent.iter().find(|m| m.chat_id == chat && m.seq > after).cloned()
            })
            .await;
        cursor.seq = message.seq;
        message
    }

    /// Skips messages to `chat` until one contains `needle`.
    pub async fn next_containing(&self, cursor: &mut Cursor, needle: &str) -> SentMessage {
        let chat = cursor.chat_id;
        let after = cursor.seq;
        let message = self
            .wait_until(&format!("a message to {chat} containing {needle:?}"), |i| {
                i.sent.iter().find(|m| m.chat_id == chat && m.seq > after && m.text.contains(needle)).cloned()
            })
            .await;
        cursor.seq = message.seq;
        message
    }

    /// Waits until the bot answered the callback query `id`.
    pub async fn wait_callback_answered(&self, id: &str) -> Value {
        self.wait_until(&format!("answerCallbackQuery {id}"), |i| {
            i.calls
                .iter()
                .find(|(m, p)| m == "answercallbackquery" && p["callback_query_id"] == id)
                .map(|(_, p)| p.clone())
        })
        .await
    }

    /// Waits until the bot called `method` (any case) with parameters `matches` accepts;
    /// returns those parameters.
    pub async fn wait_call(&self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let method = method.to_ascii_lowercase();
        self.wait_until(&format!("a matching {method} call"), |i| {
            i.calls.iter().find(|(m, p)| *m == method && matches(p)).map(|(_, p)| p.clone())
        })
        .await
    }

    pub fn cursor(&self, chat_id: i64) -> Cursor {
        Cursor { chat_id, seq: self.lock().seq }
    }

    pub fn sent_to(&self, chat_id: i64) -> Vec<SentMessage> {
        self.lock().sent.iter().filter(|m| m.chat_id == chat_id).cloned().collect()
    }

    /// Every message sent (and edited), in order.
    pub fn sent_to_all(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    pub fn refusals(&self) -> Vec<Refusal> {
        self.lock().refusals.clone()
    }

    /// Waits until the bot has made `count` calls of `method`; returns their parameters.
    pub async fn wait_until_calls(&self, method: &str, count: usize) -> Vec<Value> {
        let name = method.to_ascii_lowercase();
        self.wait_until(&format!("{count} {method} call(s)"), |i| {
            let found: Vec<Value> = i.calls.iter().filter(|(m, _)| *m == name).map(|(_, p)| p.clone()).collect();
            (found.len() >= count).then_some(found)
        })
        .await
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        let method = method.to_ascii_lowercase();
        self.lock().calls.iter().filter(|(m, _)| *m == method).map(|(_, p)| p.clone()).collect()
    }

    /// Panics when the bot sent anything Telegram would have refused.
    pub fn assert_nothing_refused(&self) {
        let refusals = self.refusals();
        assert!(refusals.is_empty(), "Telegram would have refused: {refusals:#?}");
    }

    /// The next sends to `chat` fail with these answers, one each, before sends go through again.
    pub fn fail_sends_to(&self, chat: i64, failures: &[Failure]) {
        self.lock().scripted.entry(chat).or_default().extend(failures.iter().copied());
    }

    /// From now on, sends beyond Telegram's limits get 429 (and are recorded).
    pub fn enforce_limits(&self, limits: Limits) {
        self.lock().limits = Some(limits);
    }

    /// Every 429 the fake gave: (chat, when).
    pub fn too_many_requests(&self) -> Vec<(i64, Instant)> {
        self.lock().too_many.clone()
    }

    /// The `n`-th accepted send from now is delivered but never answered: the bot is left
    /// waiting, as when it dies with a request in flight.
    pub fn stall_send(&self, n: usize) {
        let mut inner = self.lock();
        inner.stall_at = Some(inner.accepted_sends + n);
    }

    /// Waits (up to `timeout`) until the stalled send has arrived.
    pub async fn wait_stalled(&self, timeout: Duration) {
        self.wait_until_within("the stalled send", timeout, |i| i.stalled.then_some(())).await
    }

    /// Waits (up to `timeout`) until `check` holds on the messages sent so far.
    pub async fn wait_sent(&self, what: &str, timeout: Duration, check: impl Fn(&[SentMessage]) -> bool) {
        self.wait_until_within(what, timeout, |i| check(&i.sent).then_some(())).await
    }

    /// The 429 Telegram would give this send, if any; a send that passes is counted.
    fn over_limits(inner: &mut Inner, chat: i64) -> bool {
        let Some(limits) = inner.limits else { return false };
        let now = Instant::now();
        while inner.recent.front().is_some_and(|at| now.duration_since(*at) >= limits.window) {
            inner.recent.pop_front();
        }
        let chat_busy = inner.last_to.get(&chat).is_some_and(|at| now.duration_since(*at) < limits.window);
        if inner.recent.len() >= limits.overall || chat_busy {
            inner.too_many.push((chat, now));
            return true;
        }
        inner.recent.push_back(now);
        inner.last_to.insert(chat, now);
        false
    }

    fn handle(&self, method: &str, params: Value) -> Reply {
        self.lock().calls.push((method.to_owned(), params.clone()));
        self.changed.notify_waiters();
        if matches!(method, "sendmessage" | "sendphoto" | "senddocument") {
            let chat = params["chat_id"].as_i64().unwrap_or_default();
            let failure = self.lock().scripted.get_mut(&chat).and_then(|q| q.pop_front());
            if matches!(failure, Some(Failure::TooManyRequests(_))) {
                self.lock().too_many.push((chat, Instant::now()));
            }
            if failure.is_none() && Self::over_limits(&mut self.lock(), chat) {
                self.changed.notify_waiters();
                return Err((429, "Too Many Requests: retry after 1".to_owned()));
            }
            if let Some(failure) = failure {
                self.changed.notify_waiters();
                return Err(match failure {
                    Failure::TooManyRequests(after) => (429, format!("Too Many Requests: retry after {after}")),
                    Failure::Blocked => (403, "Forbidden: bot was blocked by the user".to_owned()),
                    Failure::ServerError => (500, "Internal Server Error".to_owned()),
                });
            }
        }
        let result = match method {
            "getme" => Ok(bot_user()),
            "getupdates" => unreachable!("handled asynchronously"),
            "getwebhookinfo" => Ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })),
            "deletewebhook" | "setmycommands" | "setwebhook" => {
                if method == "setmycommands" {
                    rules::check_commands(&params).map_err(bad)?;
                }
                Ok(json!(true))
            }
            "sendmessage" => self.send_message(&params),
            "sendphoto" => self.bot_sends_photo(&params),
            "senddocument" => self.bot_sends_document(&params),
            "sendinvoice" => self.send_invoice(&params),
            "answerprecheckoutquery" => {
                rules::check_pre_checkout_answer(&params).map_err(bad)?;
                Ok(json!(true))
            }
            "getstartransactions" => self.get_star_transactions(&params),
            "editmessagetext" => self.edit_message_text(&params),
            "answercallbackquery" => {
                rules::check_callback_answer(&params).map_err(bad)?;
                Ok(json!(true))
            }
            "getfile" => {
                let id = params["file_id"].as_str().unwrap_or_default();
                let inner = self.lock();
                let (path, bytes) = inner.files.get(id).ok_or_else(|| bad("invalid file_id"))?;
                Ok(
                    json!({ "file_id": id, "file_unique_id": format!("u{id}"), "file_size": bytes.len(), "file_path": path }),
                )
            }
            _ => Err((404, "Not Found: method not found".to_owned())),
        };
        if let Err((_, description)) = &result {
            self.lock().refusals.push(Refusal { method: method.to_owned(), description: description.clone(), params });
        } else if matches!(method, "sendmessage" | "sendphoto" | "senddocument") {
            let mut inner = self.lock();
            inner.accepted_sends += 1;
            if inner.stall_at == Some(inner.accepted_sends) {
                inner.stall_now = true;
            }
        }
        self.changed.notify_waiters();
        result
    }

    /// True once, for the send `stall_send` picked: its answer is never given.
    fn take_stall(&self) -> bool {
        let mut inner = self.lock();
        let stall = std::mem::take(&mut inner.stall_now);
        if stall {
            inner.stalled = true;
        }
        drop(inner);
        self.changed.notify_waiters();
        stall
    }

    fn send_message(&self, params: &Value) -> Reply {
        let chat_id = chat_id(params)?;
        let text = params["text"].as_str().unwrap_or_default().to_owned();
        let parse_mode = params["parse_mode"].as_str().map(str::to_owned);
        rules::check_text(&text, parse_mode.as_deref(), "message is too long").map_err(bad)?;
        let markup = params.get("reply_markup").cloned().filter(|m| !m.is_null());
        rules::check_markup(markup.as_ref()).map_err(bad)?;
        let message_id = self.next_message_id();
        Ok(self.lock().record(chat_id, message_id, text, parse_mode, markup, false))
    }

    /// A photo: uploaded in the multipart body (`uploads`) or re-sent by file_id.
    fn bot_sends_photo(&self, params: &Value) -> Reply {
        let chat_id = chat_id(params)?;
        let caption = params["caption"].as_str().unwrap_or_default().to_owned();
        let parse_mode = params["parse_mode"].as_str().map(str::to_owned);
        rules::check_caption(&caption, parse_mode.as_deref()).map_err(bad)?;
        let markup = params.get("reply_markup").cloned().filter(|m| !m.is_null());
        rules::check_markup(markup.as_ref()).map_err(bad)?;
        let photo = match &params["photo"] {
            Value::String(id) if id.starts_with("attach://") => params["__uploads"][&id["attach://".len()..]].clone(),
            Value::String(id) => {
                let inner = self.lock();
                match inner.files.get(id) {
                    Some((_, bytes)) => json!(bytes),
                    None if id.starts_with("photo") || id.starts_with("shot") => json!([]),
                    None => return Err(bad("wrong file identifier/HTTP URL specified")),
                }
            }
            _ => return Err(bad("there is no photo in the request")),
        };
        let bytes: Vec<u8> = serde_json::from_value(photo).unwrap_or_default();
        let message_id = self.next_message_id();
        let file_id = format!("sent_photo_{message_id}");
        let mut inner = self.lock();
        inner.files.insert(file_id.clone(), (format!("photos/{file_id}.png"), bytes.clone()));
        let mut reply = inner.record(chat_id, message_id, caption.clone(), parse_mode, markup, false);
        if let Some(last) = inner.sent.last_mut() {
            last.photo = Some(bytes);
        }
        reply["photo"] =
            json!([{ "file_id": file_id, "file_unique_id": format!("u{file_id}"), "width": 320, "height": 320 }]);
        reply["caption"] = json!(rendered(&caption));
        if let Some(obj) = reply.as_object_mut() {
            obj.remove("text");
        }
        Ok(reply)
    }

    /// A document uploaded in the multipart body, with its file name; Telegram refuses an
    /// empty file and a caption over 1024 characters.
    fn bot_sends_document(&self, params: &Value) -> Reply {
        let chat_id = chat_id(params)?;
        let caption = params["caption"].as_str().unwrap_or_default().to_owned();
        let parse_mode = params["parse_mode"].as_str().map(str::to_owned);
        rules::check_caption(&caption, parse_mode.as_deref()).map_err(bad)?;
        let field = match &params["document"] {
            Value::String(id) if id.starts_with("attach://") => id["attach://".len()..].to_owned(),
            _ => return Err(bad("there is no document in the request")),
        };
        let bytes: Vec<u8> = serde_json::from_value(params["__uploads"][&field].clone()).unwrap_or_default();
        if bytes.is_empty() {
            return Err(bad("file must be non-empty"));
        }
        let file_name = params["__upload_names"][&field].as_str().unwrap_or_default().to_owned();
        let message_id = self.next_message_id();
        let file_id = format!("sent_doc_{message_id}");
        let mut inner = self.lock();
        inner.files.insert(file_id.clone(), (format!("documents/{file_name}"), bytes.clone()));
        let mut reply = inner.record(chat_id, message_id, caption.clone(), parse_mode, None, false);
        if let Some(last) = inner.sent.last_mut() {
            last.document = Some((file_name.clone(), bytes.clone()));
        }
        reply["document"] = json!({ "file_id": file_id, "file_unique_id": format!("u{file_id}"), "file_name": file_name, "file_size": bytes.len() });
        reply["caption"] = json!(rendered(&caption));
        if let Some(obj) = reply.as_object_mut() {
            obj.remove("text");
        }
        Ok(reply)
    }

    /// Invoices in Telegram Stars: one price in XTR, no provider token, Telegram's lengths.
    fn send_invoice(&self, params: &Value) -> Reply {
        let chat_id = chat_id(params)?;
        let total = rules::check_invoice(params).map_err(bad)?;
        let title = params["title"].as_str().unwrap_or_default();
        let description = params["description"].as_str().unwrap_or_default();
        let start_parameter = params["start_parameter"].as_str().unwrap_or_default();
        let message_id = self.next_message_id();
        let mut inner = self.lock();
        let mut reply = inner.record(chat_id, message_id, format!("[invoice] {title}: {total} XTR"), None, None, false);
        if let Some(obj) = reply.as_object_mut() {
            obj.remove("text");
        }
        reply["invoice"] = json!({ "title": title, "description": description, "start_parameter": start_parameter,
                                   "currency": "XTR", "total_amount": total });
        Ok(reply)
    }

    /// Telegram asks the bot before charging.
    pub fn pre_checkout(&self, user: &TestUser, payload: &str, total: i64) -> String {
        let id = format!("pcq{}", self.next_message_id());
        self.push_update(
            "pre_checkout_query",
            json!({ "id": id, "from": user.json(), "currency": "XTR", "total_amount": total, "invoice_payload": payload }),
        );
        id
    }

    /// The answer to a pre-checkout query: (ok, error_message).
    pub async fn pre_checkout_answer(&self, id: &str) -> (bool, String) {
        let answer = self
            .wait_until(&format!("answerPreCheckoutQuery {id}"), |i| {
                i.calls
                    .iter()
                    .find(|(m, p)| m == "answerprecheckoutquery" && p["pre_checkout_query_id"] == id)
                    .map(|(_, p)| p.clone())
            })
            .await;
        (answer["ok"].as_bool().unwrap_or(false), answer["error_message"].as_str().unwrap_or_default().to_owned())
    }

    /// The service message Telegram sends after charging.
    pub fn successful_payment(&self, user: &TestUser, payload: &str, total: i64, charge_id: &str) {
        self.successful_payment_in(None, user, payload, total, charge_id)
    }

    /// `successful_payment` as Telegram delivers it where the invoice was paid: in `group`, a
    /// group chat, when it is not None.
    pub fn successful_payment_in(
        &self,
        group: Option<i64>,
        user: &TestUser,
        payload: &str,
        total: i64,
        charge_id: &str,
    ) {
        let id = self.next_message_id();
        let mut message = user.message_base(id);
        if let Some(group) = group {
            message["chat"] = json!({ "id": group, "type": "supergroup", "title": "Family" });
        }
        message["successful_payment"] = json!({
            "currency": "XTR", "total_amount": total, "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": ""
        });
        self.push_update("message", message);
    }

    /// A Stars payment of `user` for the invoice `payload`, as it appears among the bot's
    /// transactions (its id is the charge id of the successful payment), made at `date`
    /// (Unix time). Only the transaction: no `successful_payment` update.
    pub fn star_payment_at(&self, user: &TestUser, payload: &str, stars: i64, charge_id: &str, date: i64) {
        let source = json!({
            "type": "user", "transaction_type": "invoice_payment", "user": user.json(), "invoice_payload": payload
        });
        self.lock().star_transactions.push(json!({ "id": charge_id, "amount": stars, "date": date, "source": source }));
    }

    /// `star_payment_at` now.
    pub fn star_payment(&self, user: &TestUser, payload: &str, stars: i64, charge_id: &str) {
        self.star_payment_at(user, payload, stars, charge_id, chrono::Utc::now().timestamp());
    }

    /// The bot refunded the Stars payment `charge_id` to `user`: an outgoing transaction with
    /// the id of the payment it refunds.
    pub fn star_refund(&self, user: &TestUser, charge_id: &str, stars: i64) {
        let receiver = json!({ "type": "user", "transaction_type": "invoice_payment", "user": user.json() });
        let date = chrono::Utc::now().timestamp();
        self.lock()
            .star_transactions
            .push(json!({ "id": charge_id, "amount": stars, "date": date, "receiver": receiver }));
    }

    /// getStarTransactions: newest first (the Bot API asks Telegram for descending order),
    /// `offset` skipped, at most `limit` (1 to 100, default 100).
    fn get_star_transactions(&self, params: &Value) -> Reply {
        let offset = params["offset"].as_i64().unwrap_or(0);
        let limit = params["limit"].as_i64().unwrap_or(100);
        if offset < 0 || !(1..=100).contains(&limit) {
            return Err(bad("invalid offset or limit"));
        }
        let inner = self.lock();
        let page: Vec<Value> =
            inner.star_transactions.iter().rev().skip(offset as usize).take(limit as usize).cloned().collect();
        Ok(json!({ "transactions": page }))
    }

    fn edit_message_text(&self, params: &Value) -> Reply {
        let chat_id = chat_id(params)?;
        let message_id = params["message_id"].as_i64().ok_or_else(|| bad("message_id required"))?;
        let text = params["text"].as_str().unwrap_or_default().to_owned();
        let parse_mode = params["parse_mode"].as_str().map(str::to_owned);
        rules::check_text(&text, parse_mode.as_deref(), "MESSAGE_TOO_LONG").map_err(bad)?;
        let markup = params.get("reply_markup").cloned().filter(|m| !m.is_null());
        rules::check_markup(markup.as_ref()).map_err(bad)?;
        let mut inner = self.lock();
        let Some(current) = inner.messages.get(&(chat_id, message_id)) else {
            return Err(bad("message to edit not found"));
        };
        // Telegram compares the rendered text, so compare what a customer would see.
        if rendered(&current.0) == rendered(&text) && current.1 == markup {
            return Err(bad(
                "message is not modified: specified new message content and reply markup are exactly the same as a \
                 current content and reply markup of the message",
            ));
        }
        Ok(inner.record(chat_id, message_id, text, parse_mode, markup, true))
    }

    async fn get_updates(&self, params: Value) -> Reply {
        let offset = params["offset"].as_i64().unwrap_or(0);
        // Long polling, capped so a test's dispatcher shuts down quickly.
        let timeout = params["timeout"].as_u64().unwrap_or(0).min(1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        self.lock().polls += 1;
        self.changed.notify_waiters();
        loop {
            let notified = self.changed.notified();
            {
                let mut inner = self.lock();
                inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                if !inner.updates.is_empty() {
                    let updates: Vec<Value> = inner.updates.iter().cloned().collect();
                    for update in &updates {
                        inner.calls.push(("__delivered".into(), update.clone()));
                    }
                    return Ok(json!(updates));
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(json!([]));
            }
        }
    }
}

/// Where a test has read up to in one chat.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub chat_id: i64,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    /// The IETF language tag of the person's Telegram app, sent with every update.
    pub language_code: Option<String>,
}

impl TestUser {
    pub fn new(id: i64, first_name: &str) -> TestUser {
        TestUser {
            id,
            first_name: first_name.to_owned(),
            username: Some(format!("user{id}")),
            language_code: Some("en".to_owned()),
        }
    }

    /// The same person with their Telegram app in another language (`hi`, `hi-IN`), or none.
    pub fn with_language_code(mut self, code: Option<&str>) -> TestUser {
        self.language_code = code.map(str::to_owned);
        self
    }

    fn json(&self) -> Value {
        let mut user =
            json!({ "id": self.id, "is_bot": false, "first_name": self.first_name, "username": self.username });
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    fn message_base(&self, message_id: i64) -> Value {
        json!({
            "message_id": message_id,
            "date": 1_780_000_000,
            "chat": { "id": self.id, "type": "private", "first_name": self.first_name },
            "from": self.json(),
        })
    }
}

fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "OTT Shop", "username": BOT_USERNAME,
        "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
        "can_connect_to_business": false, "has_main_web_app": false
    })
}

fn message_json(chat_id: i64, message_id: i64, text: &str, markup: Option<Value>) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "date": 1_780_000_000,
        "chat": { "id": chat_id, "type": "private", "first_name": "Customer" },
        "from": bot_user(),
        "text": rendered(text),
    });
    if let Some(markup) = markup {
        message["reply_markup"] = markup;
    }
    message
}

fn chat_id(params: &Value) -> Result<i64, (u16, String)> {
    match &params["chat_id"] {
        Value::Number(n) => n.as_i64().ok_or_else(|| bad("chat not found")),
        Value::String(s) => s.parse().map_err(|_| bad("chat not found")),
        _ => Err(bad("chat_id is empty")),
    }
}

async fn api(
    State(fake): State<FakeTelegram>,
    Path((token, method)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Response {
    if !token.starts_with("bot") {
        return error_response(404, "Not Found".into());
    }
    let content_type =
        request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let params: Value = if content_type.starts_with("multipart/form-data") {
        match multipart_params(request, &fake).await {
            Ok(params) => params,
            Err(err) => return error_response(400, format!("Bad Request: {err}")),
        }
    } else {
        let body = match axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024).await {
            Ok(body) => body,
            Err(_) => return error_response(400, "Bad Request: unreadable body".into()),
        };
        if body.is_empty() {
            json!({})
        } else if content_type.starts_with("application/json") {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => return error_response(400, "Bad Request: invalid JSON".into()),
            }
        } else {
            return error_response(400, format!("Bad Request: unsupported content type {content_type}"));
        }
    };
    // Telegram matches method names case-insensitively (teloxide sends `SendMessage`).
    let method = method.to_ascii_lowercase();
    let result = if method == "getupdates" { fake.get_updates(params).await } else { fake.handle(&method, params) };
    if fake.take_stall() {
        std::future::pending::<()>().await;
    }
    match result {
        Ok(value) => Json(json!({ "ok": true, "result": value })).into_response(),
        Err((code, description)) => error_response(code, description),
    }
}

/// Multipart fields as JSON params: text fields as strings (JSON ones parsed), files under
/// `__uploads` by field name, and the field itself as `attach://<name>`.
async fn multipart_params(request: axum::extract::Request, fake: &FakeTelegram) -> Result<Value, String> {
    use axum::extract::FromRequest;
    let mut multipart = axum::extract::Multipart::from_request(request, fake).await.map_err(|e| e.to_string())?;
    let mut params = json!({ "__uploads": {}, "__upload_names": {} });
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            params["__upload_names"][&name] = json!(file_name);
            let bytes = field.bytes().await.map_err(|e| e.to_string())?;
            params["__uploads"][&name] = json!(bytes.to_vec());
            params[&name] = json!(format!("attach://{name}"));
        } else {
            let text = field.text().await.map_err(|e| e.to_string())?;
            let value = match name.as_str() {
                "reply_markup" => serde_json::from_str(&text).map_err(|e| format!("reply_markup: {e}"))?,
                _ => serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(|v| v.is_string() || v.is_number())
                    .unwrap_or(Value::String(text)),
            };
            params[&name] = value;
        }
    }
    Ok(params)
}

fn error_response(code: u16, description: String) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = json!({ "ok": false, "error_code": code, "description": description });
    if code == 429 {
        let after: u64 = description.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(1);
        body["parameters"] = json!({ "retry_after": after });
    }
    (status, Json(body)).into_response()
}

async fn file(State(fake): State<FakeTelegram>, Path((_token, path)): Path<(String, String)>) -> Response {
    let inner = fake.lock();
    match inner.files.values().find(|(p, _)| *p == path) {
        Some((_, bytes)) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
