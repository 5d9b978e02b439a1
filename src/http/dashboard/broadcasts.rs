//! `/admin/broadcasts`: recent broadcasts with their figures and Pause / Resume / Stop (Stop
//! asks first), and a new one: the form -> a preview with the recipient count -> Send. The
//! same `broadcasts` services as /broadcast in chat and the API (Permission::ManageOffers).
//! The dashboard sends text with an optional URL button; photos are sent from chat.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup, PreEscaped};
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, csrf, when};
use super::session::{redirect_with, Flash, PageResult, Posted, Staff};
use crate::domain::broadcast::{
    check_html, Audience, Button, ButtonError, Content, HtmlError, Progress, MAX_BUTTON_CHARS,
};
use crate::domain::{Lang, Permission};
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::http::HttpState;
use crate::services::broadcasts::{self, ControlOutcome, Draft, Overview, StartOutcome};
use crate::services::idempotency::{self, Claim};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/broadcasts", get(list).post(start))
        .route("/admin/broadcasts/new", get(new))
        .route("/admin/broadcasts/preview", post(preview))
        .route("/admin/broadcasts/{id}/pause", post(pause))
        .route("/admin/broadcasts/{id}/resume", post(resume))
        .route("/admin/broadcasts/{id}/stop", post(stop))
}

const LIST_LIMIT: u64 = 50;
const LIST: &str = "/admin/broadcasts";

/// The audiences the form offers, in order (the API takes any `expired:N`).
const AUDIENCES: [Audience; 8] = [
    Audience::Everyone,
    Audience::Active,
    Audience::Expired { days: 7 },
    Audience::Expired { days: 30 },
    Audience::Expired { days: 90 },
    Audience::NeverBought,
    Audience::Language(Lang::En),
    Audience::Language(Lang::Hi),
];

/// The idempotency rows of dashboard sends: API tokens' ids start at 1, and the key names
/// the staff member, so these never meet an API request's.
const DASHBOARD_KEYS: i32 = 0;

fn audience_name(audience: Audience, lang: &str) -> String {
    match audience {
        Audience::Everyone => t!("dashboard_broadcasts.audience_everyone", locale = lang),
        Audience::Active => t!("dashboard_broadcasts.audience_active", locale = lang),
        Audience::Expired { days } => t!("dashboard_broadcasts.audience_expired", locale = lang, days = days),
        Audience::NeverBought => t!("dashboard_broadcasts.audience_never_bought", locale = lang),
        Audience::Language(Lang::En) => t!("dashboard_broadcasts.audience_english", locale = lang),
        Audience::Language(Lang::Hi) => t!("dashboard_broadcasts.audience_hindi", locale = lang),
    }
    .into_owned()
}

fn audience_of(code: &str, lang: &str) -> String {
    Audience::parse(code).map(|a| audience_name(a, lang)).unwrap_or_else(|| code.to_owned())
}

fn status_name(status: BroadcastStatus, lang: &str) -> String {
    match status {
        BroadcastStatus::Queued => t!("dashboard_broadcasts.status_queued", locale = lang),
        BroadcastStatus::Running => t!("dashboard_broadcasts.status_running", locale = lang),
        BroadcastStatus::Paused => t!("dashboard_broadcasts.status_paused", locale = lang),
        BroadcastStatus::Cancelled => t!("dashboard_broadcasts.status_cancelled", locale = lang),
        BroadcastStatus::Done => t!("dashboard_broadcasts.status_done", locale = lang),
    }
    .into_owned()
}

fn figures(p: &Progress, lang: &str) -> Markup {
    html! {
        b { (t!("dashboard_broadcasts.percent_of", locale = lang, percent = p.percent(), total = p.total)) } br;
        (t!("dashboard_broadcasts.sent", locale = lang, count = p.sent)) br;
        (t!("dashboard_broadcasts.failed", locale = lang, count = p.failed)) br;
        (t!("dashboard_broadcasts.blocked", locale = lang, count = p.blocked)) br;
        @if p.unknown > 0 { (t!("dashboard_broadcasts.unknown_sends", locale = lang, count = p.unknown)) br; }
        @if p.skipped > 0 { (t!("dashboard_broadcasts.skipped", locale = lang, count = p.skipped)) br; }
        (t!("dashboard_broadcasts.remaining", locale = lang, count = p.remaining()))
    }
}

fn action(staff: &Staff, id: i32, verb: &str, label: String, class: &str) -> Markup {
    layout::button(staff, &format!("{LIST}/{id}/{verb}"), &label, class)
}

async fn list(State(state): State<HttpState>, staff: Staff) -> PageResult {
    let lang = staff.lang();
    let all = broadcasts::list(&state.db, staff.actor(), LIST_LIMIT).await?;
    let rows = all
        .iter()
        .map(|o| {
            let (b, id) = (&o.broadcast, o.broadcast.id);
            html! { tr #(format!("broadcast-{id}")) {
                td {
                    b { "#" (id) } " " span.muted { (when(b.created_at)) } br;
                    (excerpt(&b.text))
                    @if b.photo_file_id.is_some() { br; span.muted { (t!("dashboard_broadcasts.with_photo", locale = lang)) } }
                    @if let Some(label) = &b.button_text { br; span.muted { "[" (label) "]" } }
                }
                td { (audience_of(&b.audience, lang)) }
                td {
                    (status_name(b.status, lang))
                    @if let Some(at) = b.finished_at { br; span.muted { (t!("dashboard_broadcasts.ended", locale = lang, at = when(at))) } }
                }
                td { (figures(&o.progress, lang)) }
                td.row {
                    @if b.status == BroadcastStatus::Running {
                        (action(&staff, id, "pause", t!("dashboard_broadcasts.pause_button", locale = lang).into_owned(), ""))
                    }
                    @if b.status == BroadcastStatus::Paused {
                        (action(&staff, id, "resume", t!("dashboard_broadcasts.resume_button", locale = lang).into_owned(), "primary"))
                    }
                    @if !b.status.is_over() {
                        (action(&staff, id, "stop", t!("dashboard_broadcasts.stop_button", locale = lang).into_owned(), "danger"))
                    }
                }
            } }
        })
        .collect();
    let body = html! {
        p { a href="/admin/broadcasts/new" { b { (t!("dashboard_broadcasts.new_title", locale = lang)) } } }
        p.muted { (t!("dashboard_broadcasts.left_out", locale = lang)) }
        (layout::table(&staff, &["dashboard_broadcasts.col_broadcast", "dashboard_broadcasts.col_audience", "dashboard_broadcasts.col_status", "dashboard_broadcasts.col_progress", "dashboard.col.action"], rows))
    };
    Ok(layout::page(&staff, &t!("dashboard_broadcasts.title", locale = lang), body))
}

/// The compose form's fields (and the preview's hidden copies of them).
#[derive(Debug, Default, Deserialize)]
pub struct Compose {
    #[serde(default)]
    text: String,
    #[serde(default)]
    button_text: String,
    #[serde(default)]
    button_url: String,
    #[serde(default)]
    audience: String,
    /// `edit`: back to the form with these values.
    #[serde(default)]
    step: String,
    /// The preview's own key: sending the same preview twice starts one broadcast.
    #[serde(default)]
    key: String,
}

impl Compose {
    /// A textarea sends CRLF line breaks; Telegram wants \n.
    fn text(&self) -> String {
        self.text.replace("\r\n", "\n")
    }
}

fn html_error(err: &HtmlError, lang: &str) -> String {
    let why = match err {
        HtmlError::UnknownTag(tag) => {
            t!("dashboard_broadcasts.html_unknown_tag", locale = lang, tag = format!("<{tag}>"))
        }
        HtmlError::Unbalanced(tag) => {
            t!("dashboard_broadcasts.html_unbalanced", locale = lang, tag = format!("</{tag}>"))
        }
        HtmlError::Unclosed(tag) => t!("dashboard_broadcasts.html_unclosed", locale = lang, tag = format!("<{tag}>")),
        HtmlError::BareCharacter => t!("dashboard_broadcasts.html_bare", locale = lang),
        HtmlError::Empty => t!("dashboard_broadcasts.html_empty", locale = lang),
        HtmlError::TooLong { max } => t!("dashboard_broadcasts.html_too_long", locale = lang, max = max),
    };
    why.into_owned()
}

/// The draft, or why not, in the staff member's language.
fn checked(form: &Compose, lang: &str) -> Result<Draft, String> {
    let audience =
        Audience::parse(&form.audience).ok_or_else(|| t!("dashboard_broadcasts.bad_audience", locale = lang))?;
    let (label, url) = (form.button_text.trim(), form.button_url.trim());
    let button = if label.is_empty() && url.is_empty() {
        None
    } else {
        Some(Button::new(label, url).map_err(|err| match err {
            ButtonError::Shape => t!("dashboard_broadcasts.button_both", locale = lang),
            ButtonError::LabelTooLong => t!("dashboard_broadcasts.button_long", locale = lang, max = MAX_BUTTON_CHARS),
            ButtonError::Url => t!("dashboard_broadcasts.button_url", locale = lang),
        })?)
    };
    let content = Content { text: form.text(), photo_file_id: None, button };
    content.check().map_err(|err| html_error(&err, lang))?;
    Ok(Draft { content, audience })
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

/// The compose form, filled with `values`; with `error` above it (and 422).
async fn form_page(state: &HttpState, staff: &Staff, values: &Compose, error: Option<String>) -> PageResult {
    let lang = staff.lang();
    let now = Utc::now();
    let mut options = Vec::with_capacity(AUDIENCES.len());
    for audience in AUDIENCES {
        let count = broadcasts::audience_size(&state.db, staff.actor(), audience, now).await?;
        options.push((audience, count));
    }
    let chosen = values.audience.trim();
    let body = html! {
        @if let Some(error) = &error { p.flash.no role="alert" { (error) } }
        form.stack #compose method="post" action="/admin/broadcasts/preview" {
            (csrf(staff))
            label {
                (t!("dashboard_broadcasts.text_field", locale = lang))
                textarea name="text" required rows="8" maxlength="20000" { (values.text()) }
            }
            p.muted {
                (t!("dashboard_broadcasts.text_hint", locale = lang)) " "
                code { "<b>…</b> <i>…</i> <u>…</u> <s>…</s> <a href=\"https://…\">…</a> <code>…</code> <tg-spoiler>…</tg-spoiler>" }
                " " (t!("dashboard_broadcasts.text_escape", locale = lang)) " " code { "&lt; &gt; &amp;" }
            }
            label {
                (t!("dashboard_broadcasts.button_text_field", locale = lang))
                input name="button_text" maxlength=(MAX_BUTTON_CHARS) value=(values.button_text);
            }
            label {
                (t!("dashboard_broadcasts.button_url_field", locale = lang))
                input name="button_url" type="url" placeholder="https://" value=(values.button_url.trim());
            }
            label {
                (t!("dashboard_broadcasts.audience_field", locale = lang))
                select name="audience" required {
                    @for (audience, count) in &options {
                        @let code = audience.code();
                        option value=(code) selected[code == chosen] {
                            (t!("dashboard_broadcasts.audience_option", locale = lang, audience = audience_name(*audience, lang), count = count))
                        }
                    }
                }
            }
            p.muted { (t!("dashboard_broadcasts.left_out", locale = lang)) " " (t!("dashboard_broadcasts.photo_note", locale = lang)) }
            button.primary type="submit" { (t!("dashboard_broadcasts.preview_button", locale = lang)) }
        }
        p { a href=(LIST) { (t!("dashboard_broadcasts.back", locale = lang)) } }
    };
    let page = layout::page(staff, &t!("dashboard_broadcasts.new_title", locale = lang), body);
    Ok(if error.is_some() { with_status(page, StatusCode::UNPROCESSABLE_ENTITY) } else { page })
}

async fn new(State(state): State<HttpState>, staff: Staff) -> PageResult {
    staff.actor().require(Permission::ManageOffers)?;
    form_page(&state, &staff, &Compose { audience: Audience::Everyone.code(), ..Compose::default() }, None).await
}

/// The form's fields again, hidden, for the next step.
fn hidden(draft: &Draft) -> Markup {
    let button = draft.content.button.as_ref();
    html! {
        input type="hidden" name="text" value=(draft.content.text);
        input type="hidden" name="button_text" value=(button.map(|b| b.text.as_str()).unwrap_or_default());
        input type="hidden" name="button_url" value=(button.map(|b| b.url.as_str()).unwrap_or_default());
        input type="hidden" name="audience" value=(draft.audience.code());
    }
}

/// A fresh key for a preview's Send button.
fn form_key() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

async fn preview(State(state): State<HttpState>, posted: Posted<Compose>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    staff.actor().require(Permission::ManageOffers)?;
    if form.step == "edit" {
        return form_page(&state, staff, form, None).await;
    }
    let draft = match checked(form, lang) {
        Ok(draft) => draft,
        Err(why) => return form_page(&state, staff, form, Some(why)).await,
    };
    let count = broadcasts::audience_size(&state.db, staff.actor(), draft.audience, Utc::now()).await?;
    let name = audience_name(draft.audience, lang);
    if count == 0 {
        let why = t!("dashboard_broadcasts.nobody", locale = lang, audience = name).into_owned();
        return form_page(&state, staff, form, Some(why)).await;
    }
    let body = html! {
        h2 { (t!("dashboard_broadcasts.as_seen", locale = lang)) }
        div #preview style="background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:.7rem .9rem;max-width:28rem;white-space:pre-wrap;overflow-wrap:anywhere" {
            (PreEscaped(telegram_html(&draft.content.text)))
        }
        @if let Some(b) = &draft.content.button {
            p { button type="button" disabled { (b.text) } " " span.muted { (b.url) } }
        }
        details {
            summary { (t!("dashboard_broadcasts.source", locale = lang)) }
            pre style="white-space:pre-wrap;overflow-wrap:anywhere" { (draft.content.text) }
        }
        p #recipients { b { (t!("dashboard_broadcasts.to", locale = lang, audience = name, count = count)) } }
        p.muted { (t!("dashboard_broadcasts.left_out", locale = lang)) }
        div.row {
            form.inline #send method="post" action=(LIST) {
                (csrf(staff))
                (hidden(&draft))
                input type="hidden" name="key" value=(form_key());
                button.primary type="submit" { (t!("dashboard_broadcasts.send_button", locale = lang, count = count)) }
            }
            form.inline #edit method="post" action="/admin/broadcasts/preview" {
                (csrf(staff))
                (hidden(&draft))
                input type="hidden" name="step" value="edit";
                button type="submit" { (t!("dashboard_broadcasts.change_button", locale = lang)) }
            }
        }
    };
    Ok(layout::page(staff, &t!("dashboard_broadcasts.preview_title", locale = lang), body))
}

/// The preview's key, or a new one when it is not one the page made.
fn key_of(form: &Compose) -> String {
    let key = form.key.trim();
    if (16..=64).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric()) {
        key.to_owned()
    } else {
        form_key()
    }
}

async fn start(State(state): State<HttpState>, posted: Posted<Compose>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    staff.actor().require(Permission::ManageOffers)?;
    let draft = match checked(form, lang) {
        Ok(draft) => draft,
        Err(why) => return form_page(&state, staff, form, Some(why)).await,
    };
    // The same Send pressed twice (a double click, a reload) starts one broadcast.
    let key = format!("dashboard:{}:broadcast:{}", staff.actor().telegram_id, key_of(form));
    let button = draft.content.button.as_ref().map(|b| (&b.text, &b.url));
    let fingerprint = serde_json::json!(["broadcast", draft.audience.code(), draft.content.text, button]).to_string();
    let now = Utc::now();
    let claim = match idempotency::claim(&state.db, DASHBOARD_KEYS, &key, &fingerprint, now).await? {
        Claim::First(claim) => claim,
        Claim::Done { body, .. } => {
            let text = t!("dashboard_broadcasts.already_started", locale = lang, id = body);
            return Ok(redirect_with(LIST, Flash::Done(text.into_owned())));
        }
        Claim::Running => {
            let text = t!("dashboard_broadcasts.being_started", locale = lang);
            return Ok(redirect_with(LIST, Flash::Refused(text.into_owned())));
        }
        Claim::Mismatch => {
            let why = t!("dashboard_broadcasts.stale", locale = lang).into_owned();
            return form_page(&state, staff, form, Some(why)).await;
        }
    };
    let outcome = match broadcasts::start(&state.db, staff.actor(), &draft, now).await {
        Ok(outcome) => outcome,
        Err(err) => {
            // Nothing was written: the same Send may be pressed again.
            let _ = idempotency::release(&state.db, claim).await;
            return Err(err.into());
        }
    };
    let (started, ahead) = match outcome {
        StartOutcome::Queued { broadcast, ahead } => (broadcast, ahead),
        StartOutcome::NobodyToSend => {
            let _ = idempotency::release(&state.db, claim).await;
            let name = audience_name(draft.audience, lang);
            let why = t!("dashboard_broadcasts.nobody", locale = lang, audience = name).into_owned();
            return form_page(&state, staff, form, Some(why)).await;
        }
    };
    if let Err(err) = idempotency::finish(&state.db, claim, 303, &started.id.to_string()).await {
        log::warn!("dashboard broadcast {}: key not kept: {err}", started.id);
    }
    let text = if ahead == 0 {
        t!("dashboard_broadcasts.started", locale = lang, id = started.id, total = started.total)
    } else {
        t!("dashboard_broadcasts.queued", locale = lang, id = started.id, total = started.total, ahead = ahead)
    };
    Ok(redirect_with(LIST, Flash::Done(text.into_owned())))
}

/// What Pause, Resume or Stop came to, as the notice on the list.
fn control_flash(outcome: ControlOutcome, id: i32, lang: &str, done_key: Act) -> Flash {
    match outcome {
        ControlOutcome::Done(_) => Flash::Done(
            match done_key {
                Act::Paused => t!("dashboard_broadcasts.paused", locale = lang, id = id),
                Act::Resumed => t!("dashboard_broadcasts.resumed", locale = lang, id = id),
                Act::Stopped => t!("dashboard_broadcasts.stopped", locale = lang, id = id),
            }
            .into_owned(),
        ),
        ControlOutcome::NotNow(row) => Flash::Refused(not_now(&row, id, lang, done_key)),
        ControlOutcome::Unknown => {
            Flash::Refused(t!("dashboard_broadcasts.unknown", locale = lang, id = id).into_owned())
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Act {
    Paused,
    Resumed,
    Stopped,
}

fn not_now(row: &broadcast::Model, id: i32, lang: &str, wanted: Act) -> String {
    if row.status.is_over() {
        return t!("dashboard_broadcasts.already_over", locale = lang, id = id).into_owned();
    }
    match wanted {
        Act::Paused => t!("dashboard_broadcasts.not_running", locale = lang, id = id),
        Act::Resumed | Act::Stopped => t!("dashboard_broadcasts.not_paused", locale = lang, id = id),
    }
    .into_owned()
}

async fn pause(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoForm>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let outcome = broadcasts::pause(&state.db, staff.actor(), id, Utc::now()).await?;
    Ok(redirect_with(LIST, control_flash(outcome, id, lang, Act::Paused)))
}

async fn resume(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoForm>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let outcome = broadcasts::resume(&state.db, staff.actor(), id, Utc::now()).await?;
    Ok(redirect_with(LIST, control_flash(outcome, id, lang, Act::Resumed)))
}

/// Any fields besides the CSRF token are ignored; Stop reads `confirm`.
#[derive(Debug, Default, Deserialize)]
pub struct NoForm {
    #[serde(default)]
    confirm: String,
}

/// Stop asks first: without `confirm=yes` this is the question, with it the broadcast ends.
async fn stop(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoForm>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    if posted.form.confirm == "yes" {
        let outcome = broadcasts::cancel(&state.db, staff.actor(), id, Utc::now()).await?;
        // Its creator's final report is in the outbox.
        state.outbox_wake.notify_one();
        return Ok(redirect_with(LIST, control_flash(outcome, id, lang, Act::Stopped)));
    }
    let Some(found) = broadcasts::get(&state.db, staff.actor(), id).await? else {
        let text = t!("dashboard_broadcasts.unknown", locale = lang, id = id).into_owned();
        return Ok(redirect_with(LIST, Flash::Refused(text)));
    };
    if found.broadcast.status.is_over() {
        let text = t!("dashboard_broadcasts.already_over", locale = lang, id = id).into_owned();
        return Ok(redirect_with(LIST, Flash::Refused(text)));
    }
    Ok(stop_page(staff, &found))
}

fn stop_page(staff: &Staff, found: &Overview) -> Response {
    let lang = staff.lang();
    let id = found.broadcast.id;
    let body = html! {
        p { (t!("dashboard_broadcasts.stop_ask", locale = lang, id = id, remaining = found.progress.remaining())) }
        p.muted { (excerpt(&found.broadcast.text)) }
        div.row {
            form.inline #stop method="post" action=(format!("{LIST}/{id}/stop")) {
                (csrf(staff))
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" { (t!("dashboard_broadcasts.stop_confirm_button", locale = lang)) }
            }
            a href=(LIST) { (t!("dashboard_broadcasts.keep", locale = lang)) }
        }
    };
    layout::page(staff, &t!("dashboard_broadcasts.stop_title", locale = lang, id = id), body).into_response()
}

/// The first words of a broadcast as the reader sees them (tags left out, entities read).
fn excerpt(text: &str) -> String {
    const MAX: usize = 90;
    let visible = visible_text(text);
    let line = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX {
        return line;
    }
    let cut: String = line.chars().take(MAX).collect();
    format!("{}…", cut.trim_end())
}

/// The four entities Telegram names, and numeric ones.
fn entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => {
            let code = name.strip_prefix('#')?;
            let number = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => code.parse().ok()?,
            };
            char::from_u32(number)
        }
    }
}

/// Telegram HTML without its tags, entities read: what the reader sees.
fn visible_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' if rest.contains('>') => {
                let end = rest.find('>').unwrap_or(0);
                rest = &rest[end + 1..];
            }
            '&' => {
                match rest.find(';').filter(|end| *end <= 10).and_then(|end| entity(&rest[1..end]).map(|c| (end, c))) {
                    Some((end, c)) => {
                        out.push(c);
                        rest = &rest[end + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                }
            }
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// The browser's tag for one of Telegram's (spoilers and custom emoji as plain spans).
fn browser_tag(name: &str) -> &'static str {
    match name {
        "b" | "strong" => "b",
        "i" | "em" => "i",
        "u" | "ins" => "u",
        "s" | "strike" | "del" => "s",
        "code" => "code",
        "pre" => "pre",
        "blockquote" => "blockquote",
        "a" => "a",
        _ => "span",
    }
}

/// A link's `href` from the inside of its tag, entities read.
fn href_of(tag: &str) -> Option<String> {
    let at = tag.find("href=")? + "href=".len();
    let rest = &tag[at..];
    let raw = match rest.chars().next()? {
        quote @ ('"' | '\'') => rest[1..].split(quote).next()?,
        _ => rest.split(char::is_whitespace).next()?,
    };
    Some(visible_text(raw))
}

/// Telegram HTML (checked by `check_html`) as HTML for the preview: Telegram's tags only,
/// without their attributes except a link's http(s) or tg:// `href`; everything else is
/// escaped. A text that does not pass the check is shown escaped, tags and all.
fn telegram_html(text: &str) -> String {
    if check_html(text, usize::MAX).is_err() {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                // check_html: every `<` opens a tag that ends at the next `>`.
                let end = rest.find('>').unwrap_or(rest.len() - 1);
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                let (closing, inside) = match tag.strip_prefix('/') {
                    Some(inside) => (true, inside),
                    None => (false, tag),
                };
                let name = inside.split(char::is_whitespace).next().unwrap_or_default().trim().to_ascii_lowercase();
                let html_tag = browser_tag(&name);
                if closing {
                    out.push_str(&format!("</{html_tag}>"));
                } else if html_tag == "a" {
                    let link = href_of(inside).filter(|href| {
                        url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tg"))
                    });
                    match link {
                        Some(href) => out.push_str(&format!(
                            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">",
                            escape(&href)
                        )),
                        None => out.push_str("<a>"),
                    }
                } else {
                    out.push_str(&format!("<{html_tag}>"));
                }
            }
            '&' => {
                // check_html: every `&` starts an entity Telegram knows, ended by `;`.
                let end = rest.find(';').unwrap_or(0);
                match entity(&rest[1..end.max(1)]) {
                    Some(c) => push_escaped(&mut out, c),
                    None => out.push_str("&amp;"),
                }
                rest = &rest[end + 1..];
            }
            c => {
                push_escaped(&mut out, c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_keeps_telegrams_tags_and_nothing_else() {
        assert_eq!(
            telegram_html("<b>Diwali</b> <i>sale</i> &amp; <a href=\"https://x.example/?a=1&amp;b=2\">plans</a>\n&lt;3"),
            "<b>Diwali</b> <i>sale</i> &amp; <a href=\"https://x.example/?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">plans</a>\n&lt;3"
        );
        // Attributes other than a link's href are dropped; script links lose their href.
        assert_eq!(telegram_html("<b onclick=\"alert(1)\">x</b>"), "<b>x</b>");
        assert_eq!(telegram_html("<a href=\"javascript:alert(1)\">x</a>"), "<a>x</a>");
        assert_eq!(
            telegram_html("<a href='tg://resolve?domain=shop' x=y>x</a>"),
            "<a href=\"tg://resolve?domain=shop\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">x</a>"
        );
        assert_eq!(
            telegram_html("<tg-spoiler>s</tg-spoiler> <span class=\"tg-spoiler\">t</span>"),
            "<span>s</span> <span>t</span>"
        );
        assert_eq!(telegram_html("&#128512; &quot;q&quot;"), "😀 &quot;q&quot;");
        // Not Telegram HTML: shown as typed.
        assert_eq!(telegram_html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(telegram_html("<b>open"), "&lt;b&gt;open");
    }

    #[test]
    fn an_excerpt_is_what_the_reader_sees() {
        assert_eq!(excerpt("<b>Diwali</b>\n\nsale &amp; more &#128512;"), "Diwali sale & more 😀");
        let long = format!("<i>{}</i>", "word ".repeat(40));
        assert!(excerpt(&long).ends_with('…') && excerpt(&long).chars().count() <= 91, "{}", excerpt(&long));
    }
}
