//! `/users`: customers (search, profile with wallet, orders, subscriptions, referrals and
//! flags, ledger), block and unblock, credit and debit with a reason.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id, Params};
use super::idempotency;
use super::orders::Order;
use super::text;
use super::types::{amount, Amount, Page, PageQuery};
use crate::domain::Money;
use crate::entities::{ledger_entry, user};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::customers;
use crate::services::fraud::{self, BlockOutcome};
use crate::services::wallet::{self, AdjustOutcome, Direction};
use crate::services::{users, Actor};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(ledger))
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(credit))
        .routes(routes!(debit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub telegram_id: i64,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    /// user, support, admin or owner
    pub role: String,
    /// en or hi
    pub language: String,
    pub referral_code: String,
    pub blocked: bool,
    pub balance: Amount,
    pub joined_at: DateTime<Utc>,
}

impl From<&user::Model> for User {
    fn from(u: &user::Model) -> User {
        User {
            telegram_id: u.telegram_id,
            username: u.username.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            role: text(&u.role),
            language: u.language.clone(),
            referral_code: u.referral_code.clone(),
            blocked: u.is_blocked,
            balance: amount(u.balance),
            joined_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Commissions {
    pub pending: Amount,
    pub credited: Amount,
    pub withdrawn: Amount,
    pub reserved: Amount,
    pub total: Amount,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub user: User,
    pub paid_orders: u64,
    pub active_subscriptions: u64,
    /// The last five orders, with their subscriptions.
    pub recent_orders: Vec<Order>,
    pub referred_by: Option<User>,
    pub referrals: u64,
    pub referrals_paying: u64,
    pub commissions: Commissions,
    pub open_flags: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub id: i32,
    /// Signed: credits positive, debits negative.
    pub amount: Amount,
    pub balance_after: Amount,
    /// purchase, admin_credit, admin_debit, payment, refund, commission, commission_reversal,
    /// withdrawal, withdrawal_release
    pub kind: String,
    pub reference: String,
    pub created_at: DateTime<Utc>,
}

impl From<ledger_entry::Model> for LedgerEntry {
    fn from(e: ledger_entry::Model) -> LedgerEntry {
        LedgerEntry {
            id: e.id,
            amount: amount(e.amount),
            balance_after: amount(e.balance_after),
            kind: text(&e.kind),
            reference: e.reference,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Search {
    /// A Telegram id, @username or referral code (that customer), or part of a name.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Customers, newest first, or those matching `q`.
#[utoipa::path(get, path = "/users", tag = "users", params(Search), responses((status = 200, body = Page<User>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(search): Params<Search>,
) -> Result<Json<Page<User>>, Problem> {
    let page = PageQuery { limit: search.limit, cursor: search.cursor }.request()?;
    let found = customers::search(&state.db, &actor, search.q.as_deref(), page).await?;
    Ok(Json(Page::of(found, |u| User::from(&u))))
}

pub(super) async fn customer(state: &HttpState, telegram_id: i64) -> Result<user::Model, Problem> {
    users::find_by_telegram_id(&state.db, telegram_id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no customer with Telegram id {telegram_id}")))
}

/// One customer: wallet, orders, subscriptions, referrals, flags.
#[utoipa::path(
    get,
    path = "/users/{telegram_id}",
    tag = "users",
    params(("telegram_id" = i64, Path)),
    responses((status = 200, body = Profile))
)]
async fn get(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(telegram_id): Id<i64>,
) -> Result<Json<Profile>, Problem> {
    let found = customer(&state, telegram_id).await?;
    let card = customers::card(&state.db, &actor, found, Utc::now()).await?;
    let totals = &card.commissions;
    Ok(Json(Profile {
        user: User::from(&card.user),
        paid_orders: card.orders_paid,
        active_subscriptions: card.active_subscriptions,
        recent_orders: card.recent_orders.into_iter().map(|line| Order::from_line(line, Some(&card.user))).collect(),
        referred_by: card.referrer.as_ref().map(User::from),
        referrals: card.referrals,
        referrals_paying: card.referrals_paying,
        commissions: Commissions {
            pending: totals.pending.into(),
            credited: totals.credited.into(),
            withdrawn: totals.withdrawn.into(),
            reserved: totals.reserved.into(),
            total: totals.total().into(),
        },
        open_flags: card.open_flags,
    }))
}

/// A customer's wallet movements, newest first.
#[utoipa::path(
    get,
    path = "/users/{telegram_id}/ledger",
    tag = "users",
    params(("telegram_id" = i64, Path), PageQuery),
    responses((status = 200, body = Page<LedgerEntry>))
)]
async fn ledger(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(telegram_id): Id<i64>,
    Params(query): Params<PageQuery>,
) -> Result<Json<Page<LedgerEntry>>, Problem> {
    let page = query.request()?;
    let found = customer(&state, telegram_id).await?;
    Ok(Json(Page::of(customers::ledger(&state.db, &actor, found.id, page).await?, LedgerEntry::from)))
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Reason {
    /// Shown to the customer; at most 200 characters.
    #[serde(default)]
    pub reason: String,
}

fn checked_reason(reason: &str) -> Result<&str, Problem> {
    let reason = reason.trim();
    if reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
        return Err(Problem::invalid("reason", "at most 200 characters"));
    }
    Ok(reason)
}

async fn set_blocked(
    state: &HttpState,
    actor: &Actor,
    telegram_id: i64,
    blocked: bool,
    reason: &str,
) -> Result<Json<User>, Problem> {
    let reason = checked_reason(reason)?;
    match fraud::set_blocked(&state.db, actor, telegram_id, blocked, reason, Utc::now()).await? {
        BlockOutcome::Changed(user) => {
            state.outbox_wake.notify_one();
            Ok(Json(User::from(&user)))
        }
        BlockOutcome::Unchanged(user) => Ok(Json(User::from(&user))),
        BlockOutcome::UnknownUser => Err(Problem::not_found(format!("no customer with Telegram id {telegram_id}"))),
    }
}

/// Blocks a customer: no commissions, no withdrawals (they can still buy). They are told.
#[utoipa::path(
    post,
    path = "/users/{telegram_id}/block",
    tag = "users",
    params(("telegram_id" = i64, Path)),
    request_body = Reason,
    responses((status = 200, body = User))
)]
async fn block(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(telegram_id): Id<i64>,
    Body(body): Body<Reason>,
) -> Result<Json<User>, Problem> {
    set_blocked(&state, &actor, telegram_id, true, &body.reason).await
}

/// Unblocks a customer. They are told.
#[utoipa::path(
    post,
    path = "/users/{telegram_id}/unblock",
    tag = "users",
    params(("telegram_id" = i64, Path)),
    responses((status = 200, body = User))
)]
async fn unblock(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(telegram_id): Id<i64>,
) -> Result<Json<User>, Problem> {
    set_blocked(&state, &actor, telegram_id, false, "").await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Adjustment {
    /// More than zero.
    pub amount_paise: i64,
    /// Shown to the customer; at most 200 characters.
    #[serde(default)]
    pub reason: String,
}

/// 200: the money moved. 202: above the approval threshold, it waits for a second approval.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Adjustment202 {
    Done(Adjusted),
    Awaiting(super::approvals::ApprovalRequest),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Adjusted {
    pub user: User,
    pub amount: Amount,
    pub balance: Amount,
}

async fn adjust(
    state: HttpState,
    caller: Caller,
    headers: HeaderMap,
    telegram_id: i64,
    body: Adjustment,
    direction: Direction,
) -> Response {
    let path = match direction {
        Direction::Credit => "credit",
        Direction::Debit => "debit",
    };
    let request = format!("POST /users/{telegram_id}/{path} {}", serde_json::to_string(&body).unwrap_or_default());
    let key = headers.get(idempotency::HEADER).and_then(|k| k.to_str().ok()).map(str::to_owned);
    idempotency::once(&state, &caller, &headers, request, || async {
        let result = async {
            let reason = checked_reason(&body.reason)?;
            if body.amount_paise <= 0 || body.amount_paise > crate::domain::money::MAX_INPUT.paise() {
                return Err(Problem::invalid("amount_paise", "more than zero, at most ₹1,00,00,000"));
            }
            // The key makes a repeat a no-op in the ledger too; without one, each call is new.
            let event = match key.as_ref() {
                Some(key) => format!("api:{}:{key}", caller.token_id()),
                None => format!("api:{}:{}", caller.token_id(), uuid_like()),
            };
            let outcome = wallet::admin_adjust(
                &state.db,
                &caller.0,
                telegram_id,
                Money::from_paise(body.amount_paise),
                direction,
                reason,
                &event,
                Utc::now(),
            )
            .await?;
            match outcome {
                AdjustOutcome::Applied { user, amount, balance } => {
                    state.outbox_wake.notify_one();
                    let done =
                        Adjusted { user: User::from(user.as_ref()), amount: amount.into(), balance: balance.into() };
                    Ok((StatusCode::OK, Json(Adjustment202::Done(done))))
                }
                // Above admin.approval_threshold: a request for a second owner or admin.
                AdjustOutcome::AwaitingApproval { request, user, .. } => {
                    state.outbox_wake.notify_one();
                    Ok((StatusCode::ACCEPTED, Json(Adjustment202::Awaiting(super::approvals::to_json(request, &user)))))
                }
                AdjustOutcome::AlreadyRequested { request } => {
                    let customer = customer(&state, telegram_id).await?;
                    Ok((
                        StatusCode::ACCEPTED,
                        Json(Adjustment202::Awaiting(super::approvals::to_json(request, &customer))),
                    ))
                }
                AdjustOutcome::AlreadyApplied => {
                    Err(Problem::conflict("already-applied", "this adjustment was applied before"))
                }
                AdjustOutcome::UnknownUser => {
                    Err(Problem::not_found(format!("no customer with Telegram id {telegram_id}")))
                }
                AdjustOutcome::Insufficient { balance } => Err(Problem::conflict(
                    "insufficient-balance",
                    format!("the balance is only {balance}; a debit never takes it below zero"),
                )),
            }
        }
        .await;
        match result {
            Ok(ok) => ok.into_response(),
            Err(problem) => problem.into_response(),
        }
    })
    .await
}

/// Random enough to tell two calls without an `Idempotency-Key` apart.
fn uuid_like() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

/// Credits a wallet (a ledger row); the customer is told with the reason.
#[utoipa::path(
    post,
    path = "/users/{telegram_id}/credit",
    tag = "users",
    params(("telegram_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    request_body = Adjustment,
    responses((status = 200, body = Adjusted), (status = 202, description = "above admin.approval_threshold: waits for a second owner or admin", body = super::approvals::ApprovalRequest))
)]
async fn credit(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(telegram_id): Id<i64>,
    Body(body): Body<Adjustment>,
) -> Response {
    adjust(state, caller, headers, telegram_id, body, Direction::Credit).await
}

/// Debits a wallet, never below zero; the customer is told with the reason.
#[utoipa::path(
    post,
    path = "/users/{telegram_id}/debit",
    tag = "users",
    params(("telegram_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    request_body = Adjustment,
    responses((status = 200, body = Adjusted), (status = 202, description = "above admin.approval_threshold: waits for a second owner or admin", body = super::approvals::ApprovalRequest))
)]
async fn debit(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(telegram_id): Id<i64>,
    Body(body): Body<Adjustment>,
) -> Response {
    adjust(state, caller, headers, telegram_id, body, Direction::Debit).await
}
