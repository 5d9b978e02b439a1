//! `/admin/withdrawals`: referral earnings on their way to UPI, by status. Approve and Reject a
//! pending request; Mark paid with the payout UTR, or Payout failed, for an approved one. The
//! same `withdrawals::*` services as chat and the API.
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, money, when};
use super::session::{redirect_with, Flash, NoFields, PageResult, Posted, Staff};
use crate::domain::Permission;
use crate::entities::withdrawal::WithdrawalStatus;
use crate::http::HttpState;
use crate::services::page::PageRequest;
use crate::services::queues;
use crate::services::withdrawals::{self, Decision};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/withdrawals", get(list))
        .route("/admin/withdrawals/{id}/approve", post(approve))
        .route("/admin/withdrawals/{id}/reject", post(reject))
        .route("/admin/withdrawals/{id}/paid", post(mark_paid))
        .route("/admin/withdrawals/{id}/payout-failed", post(payout_failed))
}

#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
    before: Option<i32>,
}

fn status_of(text: Option<&str>) -> WithdrawalStatus {
    match text {
        Some("approved") => WithdrawalStatus::Approved,
        Some("paid") => WithdrawalStatus::Paid,
        Some("rejected") => WithdrawalStatus::Rejected,
        Some("payout_failed") => WithdrawalStatus::PayoutFailed,
        _ => WithdrawalStatus::Pending,
    }
}

/// A withdrawal's status as staff read it.
pub(super) fn status_label(lang: &str, status: WithdrawalStatus) -> String {
    match status {
        WithdrawalStatus::Pending => t!("dashboard.status.pending", locale = lang),
        WithdrawalStatus::Approved => t!("dashboard.status.approved", locale = lang),
        WithdrawalStatus::Paid => t!("dashboard_ops.status.paid", locale = lang),
        WithdrawalStatus::Rejected => t!("dashboard.status.rejected", locale = lang),
        WithdrawalStatus::PayoutFailed => t!("dashboard_ops.status.payout_failed", locale = lang),
    }
    .into_owned()
}

/// A reason typed into a form: trimmed, 1 to 200 characters.
pub(super) fn reason_of(input: &str) -> Option<&str> {
    let reason = input.trim();
    (!reason.is_empty() && reason.chars().count() <= crate::bot::ui::format::MAX_REASON_CHARS).then_some(reason)
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(filter): Query<Filter>) -> PageResult {
    let lang = staff.lang();
    let status = status_of(filter.status.as_deref());
    let status_text = crate::http::api::text(&status);
    let page =
        queues::withdrawals(&state.db, staff.actor(), Some(status), PageRequest { limit: 25, before: filter.before })
            .await?;
    let decide = staff.can(Permission::DecidePayments);
    let rows = page
        .items
        .iter()
        .map(|(w, customer)| {
            let id = w.id;
            html! { tr #(format!("withdrawal-{id}")) {
                td { "#" (id) br; span.muted { (when(w.created_at)) } }
                td { a href=(format!("/admin/users/{}", customer.telegram_id)) { (customer.first_name) } br; span.muted { (customer.telegram_id) } }
                td { (money(w.amount)) }
                td { code { (w.vpa) } }
                td {
                    (status_label(lang, w.status))
                    @if let Some(first) = w.first_approved_by.filter(|_| w.status == WithdrawalStatus::Pending) {
                        br; span.muted { (t!("dashboard_ops.withdrawals.first_approved", locale = lang, by = first)) }
                    }
                    @if let Some(utr) = &w.payout_utr { br; span.muted { (t!("dashboard_ops.withdrawals.utr", locale = lang)) ": " code { (utr) } } }
                    @if let Some(reason) = &w.reason { br; span.muted { (reason) } }
                    @if let Some(at) = w.paid_at.or(w.decided_at) { br; span.muted { (when(at)) } }
                }
                td {
                    @if decide && w.status == WithdrawalStatus::Pending {
                        div.row {
                            (button(&staff, &format!("/admin/withdrawals/{id}/approve"), &t!("dashboard_ops.withdrawals.approve", locale = lang), "primary"))
                            form.inline method="post" action=(format!("/admin/withdrawals/{id}/reject")) {
                                (csrf(&staff))
                                input name="reason" required maxlength="200" placeholder=(t!("dashboard_ops.reason", locale = lang));
                                button.danger type="submit" { (t!("dashboard_ops.withdrawals.reject", locale = lang)) }
                            }
                        }
                    } @else if decide && w.status == WithdrawalStatus::Approved {
                        div.row {
                            form.inline method="post" action=(format!("/admin/withdrawals/{id}/paid")) {
                                (csrf(&staff))
                                input name="utr" required inputmode="numeric" minlength="12" maxlength="12" placeholder=(t!("dashboard_ops.withdrawals.utr", locale = lang));
                                button.primary type="submit" { (t!("dashboard_ops.withdrawals.mark_paid", locale = lang)) }
                            }
                            form.inline method="post" action=(format!("/admin/withdrawals/{id}/payout-failed")) {
                                (csrf(&staff))
                                input name="reason" required maxlength="200" placeholder=(t!("dashboard_ops.reason", locale = lang));
                                button.danger type="submit" { (t!("dashboard_ops.withdrawals.payout_failed", locale = lang)) }
                            }
                        }
                    } @else {
                        span.muted { "—" }
                    }
                }
            } }
        })
        .collect();
    let tabs = [
        ("pending", "dashboard.status.pending"),
        ("approved", "dashboard.status.approved"),
        ("paid", "dashboard_ops.status.paid"),
        ("rejected", "dashboard.status.rejected"),
        ("payout_failed", "dashboard_ops.status.payout_failed"),
    ];
    let body = html! {
        (layout::tabs(&staff, "/admin/withdrawals", &status_text, &tabs))
        (layout::table(&staff, &["dashboard_ops.col.request", "dashboard.col.customer", "dashboard.col.amount", "dashboard_ops.withdrawals.vpa", "dashboard_ops.col.status", "dashboard.col.action"], rows))
        (layout::pager(&staff, &format!("/admin/withdrawals?status={status_text}"), page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.withdrawals.title", locale = lang), body))
}

fn outcome(lang: &str, id: i32, decision: Decision) -> Flash {
    let done = |text: std::borrow::Cow<'_, str>| Flash::Done(text.into_owned());
    let refused = |text: std::borrow::Cow<'_, str>| Flash::Refused(text.into_owned());
    match decision {
        Decision::Approved { withdrawal, .. } => done(t!(
            "dashboard_ops.withdrawals.approved",
            locale = lang,
            id = id,
            amount = money(withdrawal.amount),
            vpa = withdrawal.vpa
        )),
        Decision::FirstApproval { .. } => done(t!("dashboard_ops.withdrawals.first_approval", locale = lang, id = id)),
        Decision::SameApprover(_) => refused(t!("dashboard_ops.withdrawals.same_approver", locale = lang, id = id)),
        Decision::Paid { .. } => done(t!("dashboard_ops.withdrawals.paid", locale = lang, id = id)),
        Decision::Rejected { withdrawal, balance, .. } => {
            if withdrawal.status == WithdrawalStatus::PayoutFailed {
                done(t!("dashboard_ops.withdrawals.failed", locale = lang, id = id, balance = balance))
            } else {
                done(t!("dashboard_ops.withdrawals.rejected", locale = lang, id = id, balance = balance))
            }
        }
        Decision::HeldByFlags(flags) => {
            let ids: Vec<String> = flags.iter().map(|f| format!("#{}", f.id)).collect();
            refused(t!("dashboard_ops.withdrawals.held", locale = lang, id = id, flags = ids.join(", ")))
        }
        Decision::UserBlocked => refused(t!("dashboard_ops.withdrawals.blocked", locale = lang, id = id)),
        Decision::AlreadyDecided(status) => refused(t!(
            "dashboard_ops.withdrawals.already",
            locale = lang,
            id = id,
            status = status_label(lang, status)
        )),
        Decision::NotApproved => refused(t!("dashboard_ops.withdrawals.not_approved", locale = lang, id = id)),
        Decision::BadUtr => refused(t!("dashboard_ops.withdrawals.bad_utr", locale = lang)),
        Decision::UtrUsed => refused(t!("dashboard_ops.withdrawals.utr_used", locale = lang)),
        Decision::UnknownWithdrawal => refused(t!("dashboard_ops.withdrawals.unknown", locale = lang, id = id)),
    }
}

#[derive(Debug, Deserialize)]
pub struct Reason {
    reason: String,
}

#[derive(Debug, Deserialize)]
pub struct Payout {
    utr: String,
}

const PENDING: &str = "/admin/withdrawals?status=pending";
const APPROVED: &str = "/admin/withdrawals?status=approved";

async fn approve(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let staff = posted.staff;
    let decision = withdrawals::approve(&state.db, staff.actor(), id, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(PENDING, outcome(staff.lang(), id, decision)))
}

async fn reject(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Reason>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let Some(reason) = reason_of(&posted.form.reason) else {
        return Ok(redirect_with(PENDING, Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned())));
    };
    let decision = withdrawals::reject(&state.db, staff.actor(), id, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(PENDING, outcome(lang, id, decision)))
}

async fn mark_paid(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Payout>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let decision = withdrawals::mark_paid(&state.db, staff.actor(), id, &posted.form.utr, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(APPROVED, outcome(lang, id, decision)))
}

async fn payout_failed(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Reason>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let Some(reason) = reason_of(&posted.form.reason) else {
        return Ok(redirect_with(APPROVED, Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned())));
    };
    let decision = withdrawals::payout_failed(&state.db, staff.actor(), id, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(APPROVED, outcome(lang, id, decision)))
}
