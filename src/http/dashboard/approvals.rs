//! `/admin/approvals`: manual credits and debits above `admin.approval_threshold`, waiting for
//! a second owner or admin. Approve or Reject someone else's request; Cancel your own. The same
//! `approvals::*` services as chat and the API.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, money, when};
use super::session::{redirect_with, Flash, NoFields, PageResult, Posted, Staff};
use crate::bot::ui::format::approval_status;
use crate::domain::Permission;
use crate::entities::approval_request::ApprovalKind;
use crate::http::HttpState;
use crate::services::approvals::{self, ApprovalOutcome};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/approvals", get(list))
        .route("/admin/approvals/{id}/approve", post(approve))
        .route("/admin/approvals/{id}/reject", post(reject))
        .route("/admin/approvals/{id}/cancel", post(cancel))
}

const BACK: &str = "/admin/approvals";

async fn list(State(state): State<HttpState>, staff: Staff) -> PageResult {
    let lang = staff.lang();
    let pending = approvals::pending(&state.db, staff.actor(), 100).await?;
    let decide = staff.can(Permission::MoveMoney);
    let me = staff.actor().telegram_id;
    let rows = pending
        .iter()
        .map(|p| {
            let (r, id) = (&p.request, p.request.id);
            html! { tr #(format!("approval-{id}")) {
                td { "#" (id) br; span.muted { (when(r.created_at)) } }
                td { @match r.kind {
                    ApprovalKind::Credit => { (t!("dashboard_ops.approvals.credit", locale = lang)) },
                    ApprovalKind::Debit => { (t!("dashboard_ops.approvals.debit", locale = lang)) },
                } }
                td { a href=(format!("/admin/users/{}", p.customer.telegram_id)) { (p.customer.first_name) } br; span.muted { (p.customer.telegram_id) } }
                td { (money(r.amount)) }
                td { (r.reason) }
                td { (p.requested_by.first_name) br; span.muted { (p.requested_by.telegram_id) } }
                td {
                    @if decide && r.requested_by == me {
                        (button(&staff, &format!("/admin/approvals/{id}/cancel"), &t!("dashboard_ops.approvals.cancel", locale = lang), "danger"))
                    } @else if decide {
                        div.row {
                            (button(&staff, &format!("/admin/approvals/{id}/approve"), &t!("dashboard_ops.approvals.approve", locale = lang), "primary"))
                            form.inline method="post" action=(format!("/admin/approvals/{id}/reject")) {
                                (csrf(&staff))
                                input name="reason" required maxlength="200" placeholder=(t!("dashboard_ops.reason", locale = lang));
                                button.danger type="submit" { (t!("dashboard_ops.approvals.reject", locale = lang)) }
                            }
                        }
                    } @else { span.muted { (approval_status(r.status, lang)) } }
                }
            } }
        })
        .collect();
    let body = html! {
        p.muted { (t!("dashboard_ops.approvals.intro", locale = lang)) }
        (layout::table(&staff, &["dashboard_ops.col.request", "dashboard_ops.approvals.kind", "dashboard.col.customer", "dashboard.col.amount", "dashboard_ops.approvals.reason_col", "dashboard_ops.approvals.requested_by", "dashboard.col.action"], rows))
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.approvals.title", locale = lang), body))
}

fn outcome(lang: &str, id: i32, outcome: ApprovalOutcome) -> Flash {
    let done = |text: std::borrow::Cow<'_, str>| Flash::Done(text.into_owned());
    let refused = |text: std::borrow::Cow<'_, str>| Flash::Refused(text.into_owned());
    match outcome {
        ApprovalOutcome::Approved { balance, .. } => {
            done(t!("dashboard_ops.approvals.approved", locale = lang, id = id, balance = balance))
        }
        ApprovalOutcome::Rejected { .. } => done(t!("dashboard_ops.approvals.rejected", locale = lang, id = id)),
        ApprovalOutcome::Cancelled { .. } => done(t!("dashboard_ops.approvals.cancelled", locale = lang, id = id)),
        ApprovalOutcome::OwnRequest(_) => refused(t!("dashboard_ops.approvals.own", locale = lang, id = id)),
        ApprovalOutcome::NotRequester(_) => {
            refused(t!("dashboard_ops.approvals.not_requester", locale = lang, id = id))
        }
        ApprovalOutcome::Insufficient { balance, .. } => {
            refused(t!("dashboard_ops.approvals.insufficient", locale = lang, id = id, balance = balance))
        }
        ApprovalOutcome::AlreadyApplied(_) => {
            refused(t!("dashboard_ops.approvals.already_applied", locale = lang, id = id))
        }
        ApprovalOutcome::AlreadyDecided(request) => refused(t!(
            "dashboard_ops.approvals.already",
            locale = lang,
            id = id,
            status = approval_status(request.status, lang)
        )),
        ApprovalOutcome::UnknownRequest => refused(t!("dashboard_ops.approvals.unknown", locale = lang, id = id)),
    }
}

#[derive(Debug, Deserialize)]
pub struct Reason {
    reason: String,
}

async fn approve(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let staff = posted.staff;
    let decided = approvals::approve(&state.db, staff.actor(), id, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(BACK, outcome(staff.lang(), id, decided)))
}

async fn reject(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Reason>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let Some(reason) = super::withdrawals::reason_of(&posted.form.reason) else {
        return Ok(redirect_with(BACK, Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned())));
    };
    let decided = approvals::reject(&state.db, staff.actor(), id, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(BACK, outcome(lang, id, decided)))
}

async fn cancel(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let staff = posted.staff;
    let decided = approvals::cancel(&state.db, staff.actor(), id, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with(BACK, outcome(staff.lang(), id, decided)))
}
