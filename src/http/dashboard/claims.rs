//! `/admin/claims`: "I've paid" UPI claims with their UTR and screenshot; Approve, and Reject
//! with a reason. The same `upi::approve` and `upi::reject` as chat and the API.
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, money, when};
use super::session::{redirect_with, Failure, Flash, NoFields, PageResult, Posted, Staff};
use crate::domain::Permission;
use crate::entities::upi_claim::ClaimStatus;
use crate::http::HttpState;
use crate::services::page::PageRequest;
use crate::services::queues;
use crate::services::upi::{self, Decision};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/claims", get(list))
        .route("/admin/claims/{id}/screenshot", get(screenshot))
        .route("/admin/claims/{id}/approve", post(approve))
        .route("/admin/claims/{id}/reject", post(reject))
}

#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
    before: Option<i32>,
}

fn status_of(text: Option<&str>) -> ClaimStatus {
    match text {
        Some("approved") => ClaimStatus::Approved,
        Some("rejected") => ClaimStatus::Rejected,
        _ => ClaimStatus::Pending,
    }
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(filter): Query<Filter>) -> PageResult {
    let lang = staff.lang();
    let status = status_of(filter.status.as_deref());
    let page = queues::claims(&state.db, staff.actor(), Some(status), PageRequest { limit: 25, before: filter.before })
        .await?;
    let decide = staff.can(Permission::DecidePayments) && status == ClaimStatus::Pending;
    let rows = page
        .items
        .iter()
        .map(|(claim, payment, customer)| {
            html! { tr #(format!("claim-{}", claim.id)) {
                td { "#" (claim.id) br; span.muted { (when(claim.created_at)) } }
                td { a href=(format!("/admin/users/{}", customer.telegram_id)) { (customer.first_name) } br; span.muted { (customer.telegram_id) } }
                td { (money(payment.amount)) br; span.muted { (payment.reference) } }
                td { code { (claim.utr) } }
                td { @if claim.screenshot_file_id.is_some() {
                    a href=(format!("/admin/claims/{}/screenshot", claim.id)) target="_blank" { (t!("dashboard.claims.screenshot", locale = lang)) }
                } @else { span.muted { "—" } } }
                td {
                    @if decide {
                        div.row {
                            (button(&staff, &format!("/admin/claims/{}/approve", claim.id), &t!("dashboard.claims.approve", locale = lang), "primary"))
                            form.inline method="post" action=(format!("/admin/claims/{}/reject", claim.id)) {
                                (csrf(&staff))
                                input name="reason" required maxlength="200" placeholder=(t!("dashboard.claims.reason", locale = lang));
                                button.danger type="submit" { (t!("dashboard.claims.reject", locale = lang)) }
                            }
                        }
                    } @else {
                        (crate::http::api::text(&claim.status))
                        @if let Some(reason) = &claim.reason { br; span.muted { (reason) } }
                    }
                }
            } }
        })
        .collect();
    let tabs = [
        ("pending", "dashboard.status.pending"),
        ("approved", "dashboard.status.approved"),
        ("rejected", "dashboard.status.rejected"),
    ];
    let body = html! {
        (layout::tabs(&staff, "/admin/claims", &crate::http::api::text(&status), &tabs))
        (layout::table(&staff, &["dashboard.claims.claim", "dashboard.col.customer", "dashboard.col.amount", "dashboard.claims.utr", "dashboard.claims.screenshot", "dashboard.col.action"], rows))
        (layout::pager(&staff, &format!("/admin/claims?status={}", crate::http::api::text(&status)), page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard.claims.title", locale = lang), body))
}

async fn screenshot(State(state): State<HttpState>, staff: Staff, Path(id): Path<i32>) -> PageResult {
    let not_found = || Failure::NotFound(t!("dashboard.claims.no_screenshot", locale = staff.lang()).into_owned());
    let (claim, _, _) = queues::claim(&state.db, staff.actor(), id).await?.ok_or_else(not_found)?;
    let (Some(file_id), Some(bot)) = (claim.screenshot_file_id, state.telegram.as_ref()) else {
        return Err(not_found());
    };
    crate::http::telegram_image(bot, file_id).await.map_err(|_| not_found())
}

fn outcome(lang: &str, id: i32, decision: Decision) -> Flash {
    match decision {
        Decision::Approved { .. } => Flash::Done(t!("dashboard.claims.approved", locale = lang, id = id).into_owned()),
        Decision::Rejected { .. } => Flash::Done(t!("dashboard.claims.rejected", locale = lang, id = id).into_owned()),
        Decision::AlreadyDecided { status } => Flash::Refused(
            t!("dashboard.claims.already", locale = lang, id = id, status = crate::http::api::text(&status))
                .into_owned(),
        ),
        Decision::UnknownClaim => Flash::Refused(t!("dashboard.claims.unknown", locale = lang, id = id).into_owned()),
    }
}

async fn approve(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let staff = posted.staff;
    let decision = upi::approve(&state.db, staff.actor(), id, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with("/admin/claims", outcome(staff.lang(), id, decision)))
}

#[derive(Debug, Deserialize)]
pub struct Reason {
    reason: String,
}

async fn reject(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Reason>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let reason = posted.form.reason.trim();
    if reason.is_empty() || reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
        return Ok(redirect_with(
            "/admin/claims",
            Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned()),
        ));
    }
    let decision = upi::reject(&state.db, staff.actor(), id, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    Ok(redirect_with("/admin/claims", outcome(lang, id, decision)))
}
