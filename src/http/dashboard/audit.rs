//! `/admin/audit`: every staff act, newest first: when, who (Telegram id), how it arrived
//! (chat, token, dashboard, system), the action, its target and details. `audit::list`.
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, when};
use super::session::{PageResult, Staff};
use crate::http::HttpState;
use crate::services::audit;
use crate::services::page::PageRequest;

const PAGE: u64 = 50;

pub fn routes() -> Router<HttpState> {
    Router::new().route("/admin/audit", get(list))
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    before: Option<i32>,
}

/// `user:<telegram id>` and `order:<id>` link to their pages; other targets are plain text.
fn target(text: &str) -> Markup {
    let link = match text.split_once(':') {
        Some(("user", id)) if id.parse::<i64>().is_ok() => Some(format!("/admin/users/{id}")),
        Some(("order", id)) if id.parse::<i32>().is_ok() => Some(format!("/admin/orders/{id}")),
        _ => None,
    };
    html! {
        @match link { Some(href) => a href=(href) { (text) }, None => code { (text) } }
    }
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(paging): Query<Paging>) -> PageResult {
    let lang = staff.lang();
    let page = audit::list(&state.db, staff.actor(), PageRequest { limit: PAGE, before: paging.before }).await?;
    let rows = page
        .items
        .iter()
        .map(|row| {
            html! { tr #(format!("audit-{}", row.id)) {
                td { (when(row.created_at)) }
                td { @if row.actor_telegram_id == 0 {
                        span.muted { (t!("dashboard_customers.audit.system", locale = lang)) }
                    } @else {
                        a href=(format!("/admin/users/{}", row.actor_telegram_id)) { (row.actor_telegram_id) }
                    } }
                td { (row.via.as_deref().unwrap_or("—")) }
                td { code { (row.action) } }
                td { (target(&row.target)) }
                td { span.muted { (row.details) } }
            } }
        })
        .collect();
    let body = html! {
        (layout::table(&staff, &["dashboard_customers.col.when", "dashboard_customers.audit.who", "dashboard_customers.audit.via", "dashboard_customers.audit.action", "dashboard_customers.audit.target", "dashboard_customers.audit.details"], rows))
        (layout::pager(&staff, "/admin/audit", page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard_customers.audit.title", locale = lang), body))
}
