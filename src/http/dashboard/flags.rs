//! `/admin/flags`: what the fraud rules found, open or resolved, each with its evidence and
//! the customer. Resolve a flag, or block the customer (`fraud::resolve`, `fraud::set_blocked`,
//! as in chat).
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, when};
use super::session::{redirect_with, Flash, NoFields, PageResult, Posted, Staff};
use crate::domain::Permission;
use crate::entities::fraud_flag::FlagStatus;
use crate::http::HttpState;
use crate::services::fraud::{self, BlockOutcome, ResolveOutcome};
use crate::services::page::PageRequest;
use crate::services::queues;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/flags", get(list))
        .route("/admin/flags/{id}/resolve", post(resolve))
        .route("/admin/flags/{id}/block", post(block))
}

#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
    before: Option<i32>,
}

/// The evidence as staff read it: `name: value` lines for an object, the JSON otherwise.
fn evidence(raw: &str) -> Markup {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(fields)) if !fields.is_empty() => html! {
            dl.evidence { @for (name, value) in &fields {
                dt { (name.replace('_', " ")) }
                dd { @match value {
                    serde_json::Value::String(s) => { (s) },
                    serde_json::Value::Array(items) => {
                        (items.iter().map(|i| match i { serde_json::Value::String(s) => s.clone(), other => other.to_string() }).collect::<Vec<_>>().join(", "))
                    },
                    other => { (other.to_string()) },
                } }
            } }
        },
        Ok(serde_json::Value::Object(_)) | Ok(serde_json::Value::Null) => html! { span.muted { "—" } },
        Ok(other) => html! { pre { (serde_json::to_string_pretty(&other).unwrap_or_default()) } },
        Err(_) => html! { pre { (raw) } },
    }
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(filter): Query<Filter>) -> PageResult {
    let lang = staff.lang();
    let status = if filter.status.as_deref() == Some("resolved") { FlagStatus::Resolved } else { FlagStatus::Open };
    let status_text = crate::http::api::text(&status);
    let page =
        queues::flags(&state.db, staff.actor(), Some(status), PageRequest { limit: 25, before: filter.before }).await?;
    let moderate = staff.can(Permission::Moderate);
    let rows = page
        .items
        .iter()
        .map(|(flag, owner)| {
            let id = flag.id;
            html! { tr #(format!("flag-{id}")) {
                td { "#" (id) br; span.muted { (when(flag.created_at)) } }
                td {
                    @if let Some(customer) = owner {
                        a href=(format!("/admin/users/{}", customer.telegram_id)) { (customer.first_name) } br;
                        span.muted { (customer.telegram_id) }
                        @if customer.is_blocked { br; b { (t!("dashboard_ops.flags.blocked", locale = lang)) } }
                    } @else { span.muted { "—" } }
                }
                td { code { (crate::http::api::text(&flag.rule)) } br; (flag.reason) }
                td { (evidence(&flag.evidence)) }
                td {
                    @if flag.status == FlagStatus::Open && moderate {
                        div.row {
                            (button(&staff, &format!("/admin/flags/{id}/resolve"), &t!("dashboard_ops.flags.resolve", locale = lang), "primary"))
                            @if owner.as_ref().is_some_and(|c| !c.is_blocked) {
                                form.inline method="post" action=(format!("/admin/flags/{id}/block")) {
                                    (csrf(&staff))
                                    input name="reason" maxlength="200" placeholder=(t!("dashboard_ops.reason", locale = lang));
                                    button.danger type="submit" { (t!("dashboard_ops.flags.block", locale = lang)) }
                                }
                            }
                        }
                    } @else if flag.status == FlagStatus::Resolved {
                        (t!("dashboard_ops.flags.resolved_by", locale = lang, by = flag.resolved_by.map(|b| b.to_string()).unwrap_or_default()))
                        @if let Some(at) = flag.resolved_at { br; span.muted { (when(at)) } }
                    } @else { span.muted { "—" } }
                }
            } }
        })
        .collect();
    let tabs = [("open", "dashboard_ops.flags.open"), ("resolved", "dashboard_ops.flags.resolved")];
    let body = html! {
        (layout::tabs(&staff, "/admin/flags", &status_text, &tabs))
        (layout::table(&staff, &["dashboard_ops.flags.flag", "dashboard.col.customer", "dashboard_ops.flags.rule", "dashboard_ops.flags.evidence", "dashboard.col.action"], rows))
        (layout::pager(&staff, &format!("/admin/flags?status={status_text}"), page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.flags.title", locale = lang), body))
}

async fn resolve(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let flash = match fraud::resolve(&state.db, staff.actor(), id, Utc::now()).await? {
        ResolveOutcome::Resolved(_) => {
            Flash::Done(t!("dashboard_ops.flags.resolved_done", locale = lang, id = id).into_owned())
        }
        ResolveOutcome::AlreadyResolved => {
            Flash::Refused(t!("dashboard_ops.flags.already", locale = lang, id = id).into_owned())
        }
        ResolveOutcome::UnknownFlag => {
            Flash::Refused(t!("dashboard_ops.flags.unknown", locale = lang, id = id).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with("/admin/flags", flash))
}

#[derive(Debug, Deserialize)]
pub struct Block {
    #[serde(default)]
    reason: String,
}

async fn block(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Block>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    // The flag is looked up first (a View); refuse a role that could not block before that.
    staff.actor().require(crate::domain::Permission::Moderate)?;
    let typed = posted.form.reason.trim();
    let reason = if typed.is_empty() {
        // Stored and shown to other staff: in the shop's language of record, as chat does.
        t!("flags.block_reason", locale = "en", id = id).into_owned()
    } else if let Some(reason) = super::withdrawals::reason_of(typed) {
        reason.to_owned()
    } else {
        return Ok(redirect_with(
            "/admin/flags",
            Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned()),
        ));
    };
    let unknown = || Flash::Refused(t!("dashboard_ops.flags.unknown", locale = lang, id = id).into_owned());
    let Some((_, Some(customer))) = queues::flag(&state.db, staff.actor(), id).await? else {
        return Ok(redirect_with("/admin/flags", unknown()));
    };
    let flash =
        match fraud::set_blocked(&state.db, staff.actor(), customer.telegram_id, true, &reason, Utc::now()).await? {
            BlockOutcome::Changed(user) => Flash::Done(
                t!("dashboard_ops.flags.blocked_done", locale = lang, name = user.first_name, id = user.telegram_id)
                    .into_owned(),
            ),
            BlockOutcome::Unchanged(user) => Flash::Refused(
                t!("dashboard_ops.flags.already_blocked", locale = lang, name = user.first_name, id = user.telegram_id)
                    .into_owned(),
            ),
            BlockOutcome::UnknownUser => unknown(),
        };
    state.outbox_wake.notify_one();
    Ok(redirect_with("/admin/flags", flash))
}
