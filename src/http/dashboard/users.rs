//! `/admin/users`: customers found by Telegram id, @username, referral code or name; one
//! customer's page with wallet, ledger, orders, subscriptions, referrals and open flags; Block
//! and Unblock (`fraud::set_blocked`), Credit and Debit (`wallet::admin_adjust`, with its
//! two-person rule). The same services as chat and the API; a form is shown only to a role
//! that may use it, and the service checks the permission again.
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, csrf, money, when};
use super::orders::{order_status, subscription_state};
use super::session::{redirect_with, Failure, Flash, PageResult, Posted, Staff};
use crate::bot::ui::format::{self, MAX_REASON_CHARS};
use crate::domain::{Money, Permission};
use crate::entities::{ledger_entry, user};
use crate::http::HttpState;
use crate::services::customers::{self, OrderFilter};
use crate::services::fraud::{self, BlockOutcome};
use crate::services::page::PageRequest;
use crate::services::users;
use crate::services::wallet::{self, AdjustOutcome, Direction};

/// Rows on a list page.
const PAGE: u64 = 25;
/// Orders, referees shown on a customer's page (the rest are a link away).
const SHORT: u64 = 10;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/users", get(list))
        .route("/admin/users/{telegram_id}", get(show))
        .route("/admin/users/{telegram_id}/block", post(block))
        .route("/admin/users/{telegram_id}/unblock", post(unblock))
        .route("/admin/users/{telegram_id}/credit", post(credit))
        .route("/admin/users/{telegram_id}/debit", post(debit))
}

/// First and last name.
pub(super) fn full_name(u: &user::Model) -> String {
    match &u.last_name {
        Some(last) if !last.is_empty() => format!("{} {last}", u.first_name),
        _ => u.first_name.clone(),
    }
}

/// A link to a customer's page: their name, @username and Telegram id.
pub(super) fn customer_link(u: &user::Model) -> Markup {
    html! {
        a href=(format!("/admin/users/{}", u.telegram_id)) { (full_name(u)) }
        @if let Some(username) = &u.username { " " span.muted { "@" (username) } }
        br; span.muted { (u.telegram_id) }
    }
}

#[derive(Debug, Deserialize)]
pub struct Search {
    q: Option<String>,
    before: Option<i32>,
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(search): Query<Search>) -> PageResult {
    let lang = staff.lang();
    let q = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let page =
        customers::search(&state.db, staff.actor(), q, PageRequest { limit: PAGE, before: search.before }).await?;
    let rows = page
        .items
        .iter()
        .map(|u| {
            html! { tr #(format!("user-{}", u.telegram_id)) {
                td { (customer_link(u)) }
                td { code { (u.referral_code) } }
                td { (money(u.balance)) }
                td { (crate::http::api::text(&u.role))
                    @if u.is_blocked { br; b { (t!("dashboard_customers.users.blocked", locale = lang)) } } }
                td { (when(u.created_at)) }
            } }
        })
        .collect();
    let base = match q {
        Some(q) => format!("/admin/users?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()),
        None => "/admin/users".to_owned(),
    };
    let body = html! {
        form.row method="get" action="/admin/users" {
            input type="search" name="q" value=(q.unwrap_or_default())
                placeholder=(t!("dashboard_customers.users.search_hint", locale = lang));
            button.primary type="submit" { (t!("dashboard_customers.users.search", locale = lang)) }
        }
        (layout::table(&staff, &["dashboard.col.customer", "dashboard_customers.users.referral_code", "dashboard_customers.users.balance", "dashboard_customers.users.role", "dashboard_customers.users.joined"], rows))
        (layout::pager(&staff, &base, page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard_customers.users.title", locale = lang), body))
}

#[derive(Debug, Deserialize)]
pub struct LedgerPage {
    before: Option<i32>,
}

fn ledger_kind(kind: &ledger_entry::LedgerKind, lang: &str) -> String {
    use ledger_entry::LedgerKind;
    let key = match kind {
        LedgerKind::Purchase => "dashboard_customers.ledger.purchase",
        LedgerKind::AdminCredit => "dashboard_customers.ledger.admin_credit",
        LedgerKind::AdminDebit => "dashboard_customers.ledger.admin_debit",
        LedgerKind::Payment => "dashboard_customers.ledger.payment",
        LedgerKind::Refund => "dashboard_customers.ledger.refund",
        LedgerKind::Commission => "dashboard_customers.ledger.commission",
        LedgerKind::CommissionReversal => "dashboard_customers.ledger.commission_reversal",
        LedgerKind::Withdrawal => "dashboard_customers.ledger.withdrawal",
        LedgerKind::WithdrawalRelease => "dashboard_customers.ledger.withdrawal_release",
    };
    t!(key, locale = lang).into_owned()
}

/// A fresh key for a credit or debit form: sending the same form twice moves money once.
fn form_key() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

async fn show(
    State(state): State<HttpState>,
    staff: Staff,
    Path(telegram_id): Path<i64>,
    Query(ledger_page): Query<LedgerPage>,
) -> PageResult {
    let (db, actor, lang, now) = (&state.db, staff.actor(), staff.lang(), Utc::now());
    let not_found =
        || Failure::NotFound(t!("dashboard_customers.users.unknown", locale = lang, id = telegram_id).into_owned());
    let found = users::find_by_telegram_id(db, telegram_id).await?.ok_or_else(not_found)?;
    let card = customers::card(db, actor, found, now).await?;
    let u = &card.user;
    let ledger = customers::ledger(db, actor, u.id, PageRequest { limit: PAGE, before: ledger_page.before }).await?;
    let filter = OrderFilter { user_id: Some(u.id), ..Default::default() };
    let orders = customers::orders(db, actor, &filter, PageRequest { limit: SHORT, before: None }, now).await?;
    let referees = customers::referees(db, actor, u.id, PageRequest { limit: SHORT, before: None }).await?;
    // Reading only, after `card` checked the View permission.
    let flags = fraud::open_flags_of(db, u.id).await?;

    let profile = html! {
        div.cards {
            div.card { b { (card.balance) } span { (t!("dashboard_customers.users.balance", locale = lang)) } }
            div.card { b { (card.orders_paid) } span { (t!("dashboard_customers.users.paid_orders", locale = lang)) } }
            div.card { b { (card.active_subscriptions) } span { (t!("dashboard_customers.users.active_subscriptions", locale = lang)) } }
            div.card { b { (card.referrals) " / " (card.referrals_paying) } span { (t!("dashboard_customers.users.referrals_paying", locale = lang)) } }
            div.card { b { (card.commission_total) } span { (t!("dashboard_customers.users.commissions", locale = lang)) } }
        }
        div.scroll { table { tbody {
            tr { th { (t!("dashboard_customers.users.telegram_id", locale = lang)) } td { (u.telegram_id) } }
            tr { th { (t!("dashboard_customers.users.username", locale = lang)) } td {
                @if let Some(username) = &u.username { "@" (username) } @else { span.muted { "—" } } } }
            tr { th { (t!("dashboard_customers.users.referral_code", locale = lang)) } td { code { (u.referral_code) } } }
            tr { th { (t!("dashboard_customers.users.role", locale = lang)) } td { (crate::http::api::text(&u.role)) } }
            tr { th { (t!("dashboard_customers.users.language", locale = lang)) } td { (u.language) } }
            tr { th { (t!("dashboard_customers.users.joined", locale = lang)) } td { (when(u.created_at)) } }
            tr { th { (t!("dashboard_customers.users.state", locale = lang)) } td {
                @if u.is_blocked { b { (t!("dashboard_customers.users.blocked", locale = lang)) } }
                @else { (t!("dashboard_customers.users.not_blocked", locale = lang)) }
                @if u.unreachable_at.is_some() { br; span.muted { (t!("dashboard_customers.users.unreachable", locale = lang)) } }
            } }
        } } }
    };

    let path = format!("/admin/users/{}", u.telegram_id);
    let moderate = if staff.can(Permission::Moderate) {
        html! {
            h2 { (t!("dashboard_customers.users.moderation", locale = lang)) }
            @if u.is_blocked {
                form.row #unblock method="post" action=(format!("{path}/unblock")) {
                    (csrf(&staff))
                    input name="reason" maxlength="200" placeholder=(t!("dashboard_customers.users.reason_optional", locale = lang));
                    button.primary type="submit" { (t!("dashboard_customers.users.unblock", locale = lang)) }
                }
            } @else {
                form.row #block method="post" action=(format!("{path}/block")) {
                    (csrf(&staff))
                    input name="reason" required maxlength="200" placeholder=(t!("dashboard_customers.users.reason", locale = lang));
                    button.danger type="submit" { (t!("dashboard_customers.users.block", locale = lang)) }
                }
            }
        }
    } else {
        html! {}
    };
    let adjust = if staff.can(Permission::MoveMoney) {
        let form = |id: &str, action: String, label: String, class: &str| {
            html! {
                form.row id=(id) method="post" action=(action) {
                    (csrf(&staff))
                    input type="hidden" name="key" value=(form_key());
                    input name="amount" required inputmode="decimal" size="10"
                        placeholder=(t!("dashboard_customers.users.amount_hint", locale = lang));
                    input name="reason" required maxlength="200" placeholder=(t!("dashboard_customers.users.reason", locale = lang));
                    button class=(class) type="submit" { (label) }
                }
            }
        };
        html! {
            h2 { (t!("dashboard_customers.users.wallet", locale = lang)) }
            p.muted { (t!("dashboard_customers.users.adjust_note", locale = lang)) }
            (form("credit", format!("{path}/credit"), t!("dashboard_customers.users.credit", locale = lang).into_owned(), "primary"))
            (form("debit", format!("{path}/debit"), t!("dashboard_customers.users.debit", locale = lang).into_owned(), "danger"))
        }
    } else {
        html! {}
    };

    let ledger_rows = ledger
        .items
        .iter()
        .map(|e| {
            html! { tr #(format!("ledger-{}", e.id)) {
                td { (when(e.created_at)) }
                td { (ledger_kind(&e.kind, lang)) }
                td { (money(e.amount)) }
                td { (money(e.balance_after)) }
                td { span.muted { (e.reference) } }
            } }
        })
        .collect();
    let order_rows = orders
        .items
        .iter()
        .map(|(line, _)| {
            let o = &line.order;
            html! { tr {
                td { a href=(format!("/admin/orders/{}", o.id)) { "#" (o.id) } br; span.muted { (when(o.created_at)) } }
                td { (line.plan_name) }
                td { (money(o.price)) }
                td { (order_status(&o.status, lang)) }
            } }
        })
        .collect();
    let subscription_rows = orders
        .items
        .iter()
        .filter_map(|(line, _)| line.subscription.as_ref().map(|sub| (line, sub)))
        .map(|(line, (sub_state, ends_at))| {
            html! { tr {
                td { a href=(format!("/admin/orders/{}", line.order.id)) { "#" (line.order.id) } }
                td { (line.plan_name) }
                td { (subscription_state(sub_state, lang)) }
                td { (when(*ends_at)) }
            } }
        })
        .collect();
    let referee_rows =
        referees.items.iter().map(|r| html! { tr { td { (customer_link(r)) } td { (when(r.created_at)) } } }).collect();
    let flag_rows = flags
        .iter()
        .map(|f| {
            html! { tr {
                td { "#" (f.id) br; span.muted { (when(f.created_at)) } }
                td { (crate::http::api::text(&f.rule)) }
                td { (f.reason) }
            } }
        })
        .collect();

    let body = html! {
        (profile)
        (moderate)
        (adjust)
        h2 { (t!("dashboard_customers.users.ledger", locale = lang)) }
        (layout::table(&staff, &["dashboard_customers.col.when", "dashboard_customers.col.kind", "dashboard.col.amount", "dashboard_customers.col.balance_after", "dashboard_customers.col.reference"], ledger_rows))
        (layout::pager(&staff, &path, ledger.next))
        h2 { (t!("dashboard_customers.users.orders", locale = lang)) }
        (layout::table(&staff, &["dashboard_customers.col.order", "dashboard_customers.col.plan", "dashboard_customers.col.price", "dashboard_customers.col.status"], order_rows))
        @if orders.next.is_some() {
            p.pager { a href=(format!("/admin/orders?customer={}", u.telegram_id)) { (t!("dashboard_customers.users.all_orders", locale = lang)) } }
        }
        h2 { (t!("dashboard_customers.users.subscriptions", locale = lang)) }
        (layout::table(&staff, &["dashboard_customers.col.order", "dashboard_customers.col.plan", "dashboard_customers.col.status", "dashboard_customers.col.ends"], subscription_rows))
        h2 { (t!("dashboard_customers.users.referrals", locale = lang)) }
        p {
            (t!("dashboard_customers.users.referred_by", locale = lang)) " "
            @match &card.referrer {
                Some(referrer) => a href=(format!("/admin/users/{}", referrer.telegram_id)) { (full_name(referrer)) " (" (referrer.telegram_id) ")" },
                None => span.muted { (t!("dashboard_customers.users.nobody", locale = lang)) },
            }
        }
        p.muted { (t!("dashboard_customers.users.commission_totals", locale = lang,
            pending = card.commissions.pending, credited = card.commissions.credited,
            withdrawn = card.commissions.withdrawn, reserved = card.commissions.reserved)) }
        (layout::table(&staff, &["dashboard_customers.col.referee", "dashboard_customers.users.joined"], referee_rows))
        h2 { (t!("dashboard_customers.users.flags", locale = lang)) }
        (layout::table(&staff, &["dashboard_customers.col.flag", "dashboard_customers.col.rule", "dashboard_customers.col.reason"], flag_rows))
    };
    let title = t!("dashboard_customers.users.user_title", locale = lang, name = full_name(u));
    Ok(layout::page(&staff, &title, body))
}

#[derive(Debug, Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

/// The reason, trimmed, if it is 1 to 200 characters (0 to 200 when `optional`).
fn checked_reason(reason: &str, optional: bool) -> Option<&str> {
    let reason = reason.trim();
    let count = reason.chars().count();
    ((optional || count > 0) && count <= MAX_REASON_CHARS).then_some(reason)
}

async fn set_blocked(state: &HttpState, staff: &Staff, telegram_id: i64, blocked: bool, reason: &str) -> PageResult {
    let lang = staff.lang();
    let back = format!("/admin/users/{telegram_id}");
    let Some(reason) = checked_reason(reason, !blocked) else {
        return Ok(redirect_with(&back, Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned())));
    };
    let outcome = fraud::set_blocked(&state.db, staff.actor(), telegram_id, blocked, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    let flash = match (outcome, blocked) {
        (BlockOutcome::Changed(u), true) => {
            Flash::Done(t!("dashboard_customers.users.blocked_done", locale = lang, name = full_name(&u)).into_owned())
        }
        (BlockOutcome::Changed(u), false) => Flash::Done(
            t!("dashboard_customers.users.unblocked_done", locale = lang, name = full_name(&u)).into_owned(),
        ),
        (BlockOutcome::Unchanged(u), true) => Flash::Refused(
            t!("dashboard_customers.users.already_blocked", locale = lang, name = full_name(&u)).into_owned(),
        ),
        (BlockOutcome::Unchanged(u), false) => Flash::Refused(
            t!("dashboard_customers.users.already_unblocked", locale = lang, name = full_name(&u)).into_owned(),
        ),
        (BlockOutcome::UnknownUser, _) => {
            Flash::Refused(t!("dashboard_customers.users.unknown", locale = lang, id = telegram_id).into_owned())
        }
    };
    Ok(redirect_with(&back, flash))
}

async fn block(State(state): State<HttpState>, Path(telegram_id): Path<i64>, posted: Posted<Reason>) -> PageResult {
    set_blocked(&state, &posted.staff, telegram_id, true, &posted.form.reason).await
}

async fn unblock(State(state): State<HttpState>, Path(telegram_id): Path<i64>, posted: Posted<Reason>) -> PageResult {
    set_blocked(&state, &posted.staff, telegram_id, false, &posted.form.reason).await
}

#[derive(Debug, Deserialize)]
pub struct Adjustment {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    /// The form's own key (see `form_key`).
    #[serde(default)]
    key: String,
}

async fn adjust(state: &HttpState, posted: Posted<Adjustment>, telegram_id: i64, direction: Direction) -> PageResult {
    let (staff, form) = (&posted.staff, &posted.form);
    let lang = staff.lang();
    let back = format!("/admin/users/{telegram_id}");
    let refused = |text: String| Ok(redirect_with(&back, Flash::Refused(text)));
    let amount = match Money::parse_rupees(form.amount.trim()) {
        Ok(amount) if amount.is_positive() => amount,
        Ok(_) => return refused(t!("dashboard_customers.users.amount_zero", locale = lang).into_owned()),
        Err(err) => {
            let error = format::money_error(&err, lang);
            return refused(t!("dashboard_customers.users.bad_amount", locale = lang, error = error).into_owned());
        }
    };
    let Some(reason) = checked_reason(&form.reason, false) else {
        return refused(t!("dashboard.reason_length", locale = lang).into_owned());
    };
    // A key the page made: the same form sent twice is one act. Anything else is a new act.
    let key = form.key.trim();
    let key = if (16..=64).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric()) {
        key.to_owned()
    } else {
        form_key()
    };
    let event = format!("dashboard:{}:{key}", staff.actor().telegram_id);
    let outcome =
        wallet::admin_adjust(&state.db, staff.actor(), telegram_id, amount, direction, reason, &event, Utc::now())
            .await?;
    state.outbox_wake.notify_one();
    let flash = match outcome {
        AdjustOutcome::Applied { user, amount, balance } => {
            let name = full_name(&user);
            match direction {
                Direction::Credit => Flash::Done(
                    t!(
                        "dashboard_customers.users.credited",
                        locale = lang,
                        amount = amount,
                        name = name,
                        balance = balance
                    )
                    .into_owned(),
                ),
                Direction::Debit => Flash::Done(
                    t!(
                        "dashboard_customers.users.debited",
                        locale = lang,
                        amount = amount,
                        name = name,
                        balance = balance
                    )
                    .into_owned(),
                ),
            }
        }
        AdjustOutcome::AwaitingApproval { request, threshold, approvers, .. } => {
            let mut text =
                t!("dashboard_customers.users.awaiting", locale = lang, id = request.id, threshold = threshold)
                    .into_owned();
            if approvers == 0 {
                text.push(' ');
                text.push_str(&t!("dashboard_customers.users.no_approvers", locale = lang));
            }
            Flash::Done(text)
        }
        AdjustOutcome::AlreadyRequested { request } => Flash::Refused(
            t!(
                "dashboard_customers.users.already_requested",
                locale = lang,
                id = request.id,
                status = format::approval_status(request.status, lang)
            )
            .into_owned(),
        ),
        AdjustOutcome::AlreadyApplied => {
            Flash::Refused(t!("dashboard_customers.users.already_applied", locale = lang).into_owned())
        }
        AdjustOutcome::UnknownUser => {
            Flash::Refused(t!("dashboard_customers.users.unknown", locale = lang, id = telegram_id).into_owned())
        }
        AdjustOutcome::Insufficient { balance } => {
            Flash::Refused(t!("dashboard_customers.users.insufficient", locale = lang, balance = balance).into_owned())
        }
    };
    Ok(redirect_with(&back, flash))
}

async fn credit(
    State(state): State<HttpState>,
    Path(telegram_id): Path<i64>,
    posted: Posted<Adjustment>,
) -> PageResult {
    adjust(&state, posted, telegram_id, Direction::Credit).await
}

async fn debit(State(state): State<HttpState>, Path(telegram_id): Path<i64>, posted: Posted<Adjustment>) -> PageResult {
    adjust(&state, posted, telegram_id, Direction::Debit).await
}
