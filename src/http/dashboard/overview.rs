//! `/admin`: today and the last 30 days, what waits in the queues, low stock, and the chart of
//! daily revenue and orders. Figures need the reports permission; the queues and stock do not.
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use maud::{html, Markup, PreEscaped};
use rust_i18n::t;

use super::layout;
use super::session::{PageResult, Staff};
use crate::domain::report::Period;
use crate::domain::Permission;
use crate::entities::fraud_flag::FlagStatus;
use crate::entities::upi_claim::ClaimStatus;
use crate::entities::withdrawal::WithdrawalStatus;
use crate::http::HttpState;
use crate::services::page::PageRequest;
use crate::services::{catalog, queues, reports};

/// Plans with fewer logins than this left are listed as low on stock.
const LOW_STOCK: u64 = 5;
/// Queues are counted up to this many ("100+").
const QUEUE_CAP: u64 = 100;

pub fn routes() -> Router<HttpState> {
    Router::new().route("/admin", get(overview))
}

fn count(n: usize, more: bool) -> String {
    if more {
        format!("{n}+")
    } else {
        n.to_string()
    }
}

async fn overview(State(state): State<HttpState>, staff: Staff) -> PageResult {
    let (db, actor, lang, now) = (&state.db, staff.actor(), staff.lang(), Utc::now());
    let cap = PageRequest { limit: QUEUE_CAP, before: None };
    let claims = queues::claims(db, actor, Some(ClaimStatus::Pending), cap).await?;
    let pending = queues::withdrawals(db, actor, Some(WithdrawalStatus::Pending), cap).await?;
    let payouts = queues::withdrawals(db, actor, Some(WithdrawalStatus::Approved), cap).await?;
    let flags = queues::flags(db, actor, Some(FlagStatus::Open), cap).await?;
    let plans = catalog::plans(db, actor, Some(true), PageRequest { limit: 100, before: None }).await?;
    let low: Vec<_> = plans.items.iter().filter(|p| p.available < LOW_STOCK).collect();

    let figures = if staff.can(Permission::ViewReports) {
        let today = reports::stats(db, actor, Period::Today, now).await?;
        let month = reports::stats(db, actor, Period::Days30, now).await?;
        let days = reports::daily(db, actor, 30, now).await?;
        let chart = crate::charts::daily_svg(&days).unwrap_or_default();
        Some((today, month, chart))
    } else {
        None
    };

    let queue_card = |href: &str, label: std::borrow::Cow<str>, n: String| {
        html! { a.card href=(href) { b { (n) } span { (label) } } }
    };
    let body: Markup = html! {
        @if let Some((today, month, chart)) = &figures {
            @for (key, s) in [("dashboard.overview.today", today), ("dashboard.overview.days30", month)] {
                h2 { (t!(key, locale = lang)) }
                div.cards {
                    div.card { b { (s.revenue) } span { (t!("dashboard.overview.revenue", locale = lang)) } }
                    div.card { b { (s.profit) } span { (t!("dashboard.overview.profit", locale = lang)) } }
                    div.card { b { (s.orders) } span { (t!("dashboard.overview.orders", locale = lang)) } }
                    div.card { b { (s.new_users) } span { (t!("dashboard.overview.new_users", locale = lang)) } }
                    div.card { b { (s.paying_users) } span { (t!("dashboard.overview.paying_users", locale = lang)) } }
                }
            }
            h2 { (t!("dashboard.overview.chart", locale = lang)) }
            div.chart { (PreEscaped(chart)) }
        }
        h2 { (t!("dashboard.overview.queues", locale = lang)) }
        div.cards {
            (queue_card("/admin/claims", t!("dashboard.overview.claims", locale = lang), count(claims.items.len(), claims.next.is_some())))
            (queue_card("/admin/withdrawals", t!("dashboard.overview.withdrawals", locale = lang), count(pending.items.len(), pending.next.is_some())))
            (queue_card("/admin/withdrawals?status=approved", t!("dashboard.overview.payouts", locale = lang), count(payouts.items.len(), payouts.next.is_some())))
            (queue_card("/admin/flags", t!("dashboard.overview.flags", locale = lang), count(flags.items.len(), flags.next.is_some())))
        }
        h2 { (t!("dashboard.overview.low_stock", locale = lang)) }
        @if low.is_empty() {
            p.empty { (t!("dashboard.overview.stock_ok", locale = lang)) }
        } @else {
            ul { @for p in low {
                li { a href=(format!("/admin/plans/{}", p.plan.id)) { (p.plan.name) } ": " (t!("dashboard.overview.left", locale = lang, count = p.available)) }
            } }
        }
    };
    Ok(layout::page(&staff, &t!("dashboard.overview.title", locale = lang), body))
}
