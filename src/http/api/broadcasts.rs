//! `/broadcasts`: announcements to an audience of customers, over the same services as
//! /broadcast in chat: preview (how many it reaches; nothing is written), start (with
//! `confirm`), the list, one's progress, pause, resume and cancel. The API sends text with an
//! optional URL button; photos are chat-only.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id};
use super::idempotency;
use crate::domain::broadcast::{Audience, Button, ButtonError, Content, Progress, MAX_BUTTON_CHARS, MAX_EXPIRED_DAYS};
use crate::domain::Permission;
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::broadcasts::{self, ControlOutcome, Draft, Overview, StartOutcome};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(preview))
        .routes(routes!(get))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(cancel))
}

/// Broadcasts listed at most.
const LIST_LIMIT: u64 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct Broadcast {
    pub id: i32,
    /// queued, running, paused, cancelled or done
    pub status: String,
    /// everyone, active, expired:N, never_bought, lang:en or lang:hi
    pub audience: String,
    /// Telegram HTML (a photo's caption for a photo broadcast).
    pub text: String,
    pub button: Option<LinkButton>,
    /// Sent with a photo (composed in chat).
    pub photo: bool,
    /// The staff member's Telegram id (the token's creator through the API).
    pub created_by: i64,
    /// Recipients written when it was confirmed.
    pub total: u64,
    pub sent: u64,
    pub failed: u64,
    /// Had blocked the bot: left out of later broadcasts.
    pub blocked: u64,
    /// Being sent when the sender stopped: may have arrived, never sent again.
    pub unknown: u64,
    /// Not sent because it was cancelled.
    pub skipped: u64,
    pub remaining: u64,
    /// Whole percent done, 0 to 100.
    pub percent: u64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A URL button under the message.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkButton {
    pub text: String,
    pub url: String,
}

fn to_json(row: broadcast::Model, p: Progress) -> Broadcast {
    let content = broadcasts::content_of(&row);
    Broadcast {
        id: row.id,
        status: row.status.code().to_owned(),
        audience: row.audience,
        button: content.button.map(|b| LinkButton { text: b.text, url: b.url }),
        photo: content.photo_file_id.is_some(),
        text: content.text,
        created_by: row.created_by,
        total: p.total,
        sent: p.sent,
        failed: p.failed,
        blocked: p.blocked,
        unknown: p.unknown,
        skipped: p.skipped,
        remaining: p.remaining(),
        percent: p.percent(),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    }
}

fn overview_json(o: Overview) -> Broadcast {
    to_json(o.broadcast, o.progress)
}

/// What to send and to whom, as POST /broadcasts/preview takes it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct BroadcastDraft {
    /// Telegram HTML: `<b>`, `<i>`, `<u>`, `<s>`, `<a href="…">`, `<code>`, `<pre>`,
    /// `<blockquote>`, `<tg-spoiler>`; `<`, `>` and `&` elsewhere written as `&lt;` `&gt;`
    /// `&amp;`. At most 4096 characters as the reader sees them.
    pub text: String,
    /// The label of an optional URL button (with `button_url`), at most 64 characters.
    pub button_text: Option<String>,
    /// The button's link: `https://…`, `http://…` or `tg://…`.
    pub button_url: Option<String>,
    /// everyone, active, expired:N (ended in the last N days, 1 to 365, none running),
    /// never_bought, lang:en or lang:hi. Customers who turned offers off, blocked customers
    /// and those the bot cannot reach are always left out.
    pub audience: String,
}

/// POST /broadcasts: a draft, confirmed.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewBroadcast {
    /// As in the preview: Telegram HTML.
    pub text: String,
    pub button_text: Option<String>,
    pub button_url: Option<String>,
    pub audience: String,
    /// Must be `true`: sending cannot be undone (preview first to see how many it reaches).
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub audience: String,
    /// Customers the audience reaches now (the count at confirmation is what is sent).
    pub recipients: u64,
    /// The text as it will be sent.
    pub text: String,
    pub button: Option<LinkButton>,
}

/// An optional form value: absent, empty and blank are all "none".
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The draft, or a problem naming the field at fault.
fn draft(
    text: &str,
    button_text: &Option<String>,
    button_url: &Option<String>,
    audience: &str,
) -> Result<Draft, Problem> {
    let audience = Audience::parse(audience).ok_or_else(|| {
        Problem::invalid(
            "audience",
            format!(
                "one of: everyone, active, expired:N (N from 1 to {MAX_EXPIRED_DAYS} days), never_bought, lang:en, lang:hi"
            ),
        )
    })?;
    let button = match (given(button_text), given(button_url)) {
        (None, None) => None,
        (Some(_), None) => return Err(Problem::invalid("button_url", "a button needs a link as well as its label")),
        (None, Some(_)) => return Err(Problem::invalid("button_text", "a button needs a label as well as its link")),
        (Some(label), Some(url)) => Some(Button::new(label, url).map_err(|err| match err {
            ButtonError::Shape => Problem::invalid("button_text", "a button needs a label and a link"),
            ButtonError::LabelTooLong => {
                Problem::invalid("button_text", format!("at most {MAX_BUTTON_CHARS} characters"))
            }
            ButtonError::Url => Problem::invalid("button_url", "an https://, http:// or tg:// link"),
        })?),
    };
    let content = Content { text: text.to_owned(), photo_file_id: None, button };
    content.check().map_err(|err| Problem::invalid("text", format!("not valid Telegram HTML: {err}")))?;
    Ok(Draft { content, audience })
}

fn button_json(draft: &Draft) -> Option<LinkButton> {
    draft.content.button.as_ref().map(|b| LinkButton { text: b.text.clone(), url: b.url.clone() })
}

/// Broadcasts, newest first (at most 50), with their progress.
#[utoipa::path(get, path = "/broadcasts", tag = "broadcasts", responses((status = 200, body = Vec<Broadcast>)))]
async fn list(State(state): State<HttpState>, Caller(actor): Caller) -> Result<Json<Vec<Broadcast>>, Problem> {
    let all = broadcasts::list(&state.db, &actor, LIST_LIMIT).await?;
    Ok(Json(all.into_iter().map(overview_json).collect()))
}

/// Checks a draft and counts who it reaches now; nothing is written or sent.
#[utoipa::path(post, path = "/broadcasts/preview", tag = "broadcasts", request_body = BroadcastDraft, responses((status = 200, body = Preview)))]
async fn preview(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Body(body): Body<BroadcastDraft>,
) -> Result<Json<Preview>, Problem> {
    actor.require(Permission::ManageOffers)?;
    let draft = draft(&body.text, &body.button_text, &body.button_url, &body.audience)?;
    let recipients = broadcasts::audience_size(&state.db, &actor, draft.audience, Utc::now()).await?;
    Ok(Json(Preview {
        audience: draft.audience.code(),
        recipients,
        button: button_json(&draft),
        text: draft.content.text,
    }))
}

fn nobody(audience: Audience) -> Problem {
    Problem {
        field: Some("audience".into()),
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nobody-to-send",
            "Nobody to send to",
            format!(
                "the audience {audience} reaches nobody now (customers who turned offers off, blocked \
                 customers and those the bot cannot reach are left out); nothing was written"
            ),
        )
    }
}

/// Sends a broadcast: its recipients are the customers the audience reaches now, written
/// together; the bot sends it when those before it are over, at broadcast.rate_per_sec.
///
/// `confirm` must be `true` (preview first). The API and the dashboard send text with an
/// optional URL button; photos are chat-only (/broadcast). The answer's `status` is `queued`.
#[utoipa::path(
    post,
    path = "/broadcasts",
    tag = "broadcasts",
    params(("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and starts nothing")),
    request_body = NewBroadcast,
    responses((status = 201, body = Broadcast), (status = 422, description = "a field is not accepted, `confirm` is not true, or the audience reaches nobody (`/problems/nobody-to-send`)", body = Problem, content_type = "application/problem+json"))
)]
async fn create(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<NewBroadcast>,
) -> Response {
    let request = format!("POST /broadcasts {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let actor = &caller.0;
            actor.require(Permission::ManageOffers)?;
            if !body.confirm {
                return Err(Problem::invalid(
                    "confirm",
                    "set \"confirm\": true to send it; POST /api/v1/broadcasts/preview first to see how many customers it reaches",
                ));
            }
            let draft = draft(&body.text, &body.button_text, &body.button_url, &body.audience)?;
            match broadcasts::start(&state.db, actor, &draft, Utc::now()).await? {
                StartOutcome::Queued { broadcast, .. } => {
                    let progress = broadcasts::progress(&state.db, &broadcast).await?;
                    Ok((StatusCode::CREATED, Json(to_json(*broadcast, progress))))
                }
                StartOutcome::NobodyToSend => Err(nobody(draft.audience)),
            }
        }
        .await;
        match result {
            Ok(created) => created.into_response(),
            Err(problem) => problem.into_response(),
        }
    })
    .await
}

/// One broadcast with its progress.
#[utoipa::path(get, path = "/broadcasts/{id}", tag = "broadcasts", params(("id" = i32, Path)), responses((status = 200, body = Broadcast)))]
async fn get(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<Broadcast>, Problem> {
    let found = broadcasts::get(&state.db, &actor, id).await?;
    Ok(Json(overview_json(found.ok_or_else(|| unknown(id))?)))
}

fn unknown(id: i32) -> Problem {
    Problem::not_found(format!("no broadcast {id}"))
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Pause,
    Resume,
    Cancel,
}

impl Control {
    fn path(self) -> &'static str {
        match self {
            Control::Pause => "pause",
            Control::Resume => "resume",
            Control::Cancel => "cancel",
        }
    }

    /// Why it did not apply to a broadcast now `status`.
    fn refusal(self, id: i32, status: BroadcastStatus) -> Problem {
        let state = status.code();
        if status.is_over() {
            return Problem::conflict("broadcast-over", format!("broadcast {id} is {state}: it has ended"));
        }
        match self {
            Control::Pause => Problem::conflict(
                "broadcast-not-running",
                format!("broadcast {id} is {state}; only a running broadcast can be paused"),
            ),
            Control::Resume => Problem::conflict(
                "broadcast-not-paused",
                format!("broadcast {id} is {state}; only a paused broadcast can be resumed"),
            ),
            Control::Cancel => Problem::conflict("broadcast-over", format!("broadcast {id} is {state}")),
        }
    }
}

async fn control(state: HttpState, caller: Caller, headers: HeaderMap, id: i32, what: Control) -> Response {
    let request = format!("POST /broadcasts/{id}/{}", what.path());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let (actor, now) = (&caller.0, Utc::now());
            let outcome = match what {
                Control::Pause => broadcasts::pause(&state.db, actor, id, now).await?,
                Control::Resume => broadcasts::resume(&state.db, actor, id, now).await?,
                Control::Cancel => broadcasts::cancel(&state.db, actor, id, now).await?,
            };
            match outcome {
                ControlOutcome::Done(row) => {
                    // A cancel writes its creator's final report.
                    state.outbox_wake.notify_one();
                    let progress = broadcasts::progress(&state.db, &row).await?;
                    Ok(Json(to_json(row, progress)))
                }
                ControlOutcome::NotNow(row) => Err(what.refusal(id, row.status)),
                ControlOutcome::Unknown => Err(unknown(id)),
            }
        }
        .await;
        match result {
            Ok(done) => (StatusCode::OK, done).into_response(),
            Err(problem) => problem.into_response(),
        }
    })
    .await
}

/// Pauses a running broadcast; later broadcasts keep waiting behind it.
#[utoipa::path(
    post,
    path = "/broadcasts/{id}/pause",
    tag = "broadcasts",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    responses((status = 200, body = Broadcast), (status = 409, description = "it is not running (`/problems/broadcast-not-running`, `/problems/broadcast-over`)", body = Problem, content_type = "application/problem+json"))
)]
async fn pause(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    control(state, caller, headers, id, Control::Pause).await
}

/// Resumes a paused broadcast where it stopped (`status` becomes `queued`, then `running`).
#[utoipa::path(
    post,
    path = "/broadcasts/{id}/resume",
    tag = "broadcasts",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    responses((status = 200, body = Broadcast), (status = 409, description = "it is not paused (`/problems/broadcast-not-paused`, `/problems/broadcast-over`)", body = Problem, content_type = "application/problem+json"))
)]
async fn resume(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    control(state, caller, headers, id, Control::Resume).await
}

/// Cancels a broadcast for good: customers it has not reached yet are skipped, and its
/// creator gets the final report in chat.
#[utoipa::path(
    post,
    path = "/broadcasts/{id}/cancel",
    tag = "broadcasts",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result")),
    responses((status = 200, body = Broadcast), (status = 409, description = "it has already ended (`/problems/broadcast-over`)", body = Problem, content_type = "application/problem+json"))
)]
async fn cancel(State(state): State<HttpState>, caller: Caller, headers: HeaderMap, Id(id): Id<i32>) -> Response {
    control(state, caller, headers, id, Control::Cancel).await
}
