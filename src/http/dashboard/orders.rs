//! `/admin/orders`: every order by status, newest first; one order with its customer and
//! subscription; Refund with a reason (`refunds::refund`) and Resend login
//! (`subscriptions::resend_login`, support may). The same services as chat and the API.
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, money, when};
use super::session::{redirect_with, Failure, Flash, NoFields, PageResult, Posted, Staff};
use super::users::{customer_link, full_name};
use crate::bot::ui::format::MAX_REASON_CHARS;
use crate::domain::subscription_period::SubscriptionState;
use crate::domain::Permission;
use crate::entities::order::OrderStatus;
use crate::http::HttpState;
use crate::services::customers::{self, OrderFilter};
use crate::services::page::PageRequest;
use crate::services::refunds::{self, RefundOutcome};
use crate::services::subscriptions::{self, ResendOutcome};
use crate::services::users;

const PAGE: u64 = 25;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/orders", get(list))
        .route("/admin/orders/{id}", get(show))
        .route("/admin/orders/{id}/refund", post(refund))
        .route("/admin/orders/{id}/resend-login", post(resend_login))
}

/// An order's status in the staff member's language.
pub(super) fn order_status(status: &OrderStatus, lang: &str) -> String {
    let key = match status {
        OrderStatus::Pending => "dashboard_customers.orders.pending",
        OrderStatus::Paid => "dashboard_customers.orders.paid",
        OrderStatus::Cancelled => "dashboard_customers.orders.cancelled",
        OrderStatus::Refunded => "dashboard_customers.orders.refunded",
    };
    t!(key, locale = lang).into_owned()
}

/// A subscription's state in the staff member's language.
pub(super) fn subscription_state(state: &SubscriptionState, lang: &str) -> String {
    match state {
        SubscriptionState::Active { days_left } => {
            t!("dashboard_customers.orders.active", locale = lang, days = days_left).into_owned()
        }
        SubscriptionState::Expired => t!("dashboard_customers.orders.expired", locale = lang).into_owned(),
        SubscriptionState::Cancelled => t!("dashboard_customers.orders.sub_cancelled", locale = lang).into_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
    /// A customer's Telegram id.
    customer: Option<i64>,
    before: Option<i32>,
}

fn status_of(text: Option<&str>) -> Option<OrderStatus> {
    match text {
        Some("pending") => Some(OrderStatus::Pending),
        Some("paid") => Some(OrderStatus::Paid),
        Some("cancelled") => Some(OrderStatus::Cancelled),
        Some("refunded") => Some(OrderStatus::Refunded),
        _ => None,
    }
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(filter): Query<Filter>) -> PageResult {
    let (db, lang) = (&state.db, staff.lang());
    let status = status_of(filter.status.as_deref());
    let current = status.as_ref().map(crate::http::api::text).unwrap_or_else(|| "all".to_owned());
    let customer = match filter.customer {
        Some(telegram_id) => Some(users::find_by_telegram_id(db, telegram_id).await?.ok_or_else(|| {
            Failure::NotFound(t!("dashboard_customers.users.unknown", locale = lang, id = telegram_id).into_owned())
        })?),
        None => None,
    };
    let order_filter = OrderFilter { status, user_id: customer.as_ref().map(|c| c.id), ..Default::default() };
    let page = customers::orders(
        db,
        staff.actor(),
        &order_filter,
        PageRequest { limit: PAGE, before: filter.before },
        Utc::now(),
    )
    .await?;
    let rows = page
        .items
        .iter()
        .map(|(line, customer)| {
            let o = &line.order;
            html! { tr #(format!("order-{}", o.id)) {
                td { a href=(format!("/admin/orders/{}", o.id)) { "#" (o.id) } br; span.muted { (when(o.created_at)) } }
                td { @match customer { Some(c) => (customer_link(c)), None => span.muted { "—" } } }
                td { (line.plan_name) }
                td { (money(o.price)) }
                td { (order_status(&o.status, lang))
                    @if let Some((sub, _)) = &line.subscription { br; span.muted { (subscription_state(sub, lang)) } } }
            } }
        })
        .collect();
    let tabs = [
        ("all", "dashboard_customers.orders.all"),
        ("paid", "dashboard_customers.orders.paid"),
        ("pending", "dashboard_customers.orders.pending"),
        ("cancelled", "dashboard_customers.orders.cancelled"),
        ("refunded", "dashboard_customers.orders.refunded"),
    ];
    let mut base = format!("/admin/orders?status={current}");
    if let Some(c) = &customer {
        base.push_str(&format!("&customer={}", c.telegram_id));
    }
    let body = html! {
        @if let Some(c) = &customer {
            p { (t!("dashboard_customers.orders.of_customer", locale = lang)) " " (customer_link(c)) " · "
                a href="/admin/orders" { (t!("dashboard_customers.orders.everyone", locale = lang)) } }
        } @else {
            (layout::tabs(&staff, "/admin/orders", &current, &tabs))
        }
        (layout::table(&staff, &["dashboard_customers.col.order", "dashboard.col.customer", "dashboard_customers.col.plan", "dashboard_customers.col.price", "dashboard_customers.col.status"], rows))
        (layout::pager(&staff, &base, page.next))
    };
    Ok(layout::page(&staff, &t!("dashboard_customers.orders.title", locale = lang), body))
}

async fn show(State(state): State<HttpState>, staff: Staff, Path(id): Path<i32>) -> PageResult {
    let lang = staff.lang();
    let (line, customer) = customers::order(&state.db, staff.actor(), id, Utc::now()).await?.ok_or_else(|| {
        Failure::NotFound(t!("dashboard_customers.orders.unknown", locale = lang, id = id).into_owned())
    })?;
    let o = &line.order;
    let refundable = o.status == OrderStatus::Paid && staff.can(Permission::MoveMoney);
    let resendable =
        matches!(line.subscription, Some((SubscriptionState::Active { .. }, _))) && staff.can(Permission::ResendLogin);
    let body = html! {
        div.scroll { table { tbody {
            tr { th { (t!("dashboard_customers.col.status", locale = lang)) } td { (order_status(&o.status, lang)) } }
            tr { th { (t!("dashboard.col.customer", locale = lang)) } td { (customer_link(&customer)) } }
            tr { th { (t!("dashboard_customers.col.plan", locale = lang)) } td { (line.plan_name) } }
            tr { th { (t!("dashboard_customers.col.price", locale = lang)) } td { (money(o.price)) } }
            tr { th { (t!("dashboard_customers.orders.cost", locale = lang)) } td { (money(o.cost)) } }
            tr { th { (t!("dashboard_customers.orders.created", locale = lang)) } td { (when(o.created_at)) } }
            tr { th { (t!("dashboard_customers.orders.paid_at", locale = lang)) } td {
                @match o.paid_at { Some(at) => (when(at)), None => span.muted { "—" } } } }
            tr { th { (t!("dashboard_customers.orders.subscription", locale = lang)) } td {
                @match &line.subscription {
                    Some((sub, ends_at)) => { (subscription_state(sub, lang)) br; span.muted { (t!("dashboard_customers.orders.ends", locale = lang, at = when(*ends_at))) } },
                    None => span.muted { "—" },
                }
            } }
        } } }
        @if resendable {
            h2 { (t!("dashboard_customers.orders.resend_title", locale = lang)) }
            p.muted { (t!("dashboard_customers.orders.resend_note", locale = lang)) }
            (button(&staff, &format!("/admin/orders/{id}/resend-login"), &t!("dashboard_customers.orders.resend", locale = lang), "primary"))
        }
        @if refundable {
            h2 { (t!("dashboard_customers.orders.refund_title", locale = lang)) }
            p.muted { (t!("dashboard_customers.orders.refund_note", locale = lang)) }
            form.row #refund method="post" action=(format!("/admin/orders/{id}/refund")) {
                (csrf(&staff))
                input name="reason" required maxlength="200" placeholder=(t!("dashboard_customers.users.reason", locale = lang));
                button.danger type="submit" { (t!("dashboard_customers.orders.refund", locale = lang)) }
            }
        }
    };
    let title = t!("dashboard_customers.orders.order_title", locale = lang, id = id);
    Ok(layout::page(&staff, &title, body))
}

#[derive(Debug, Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

async fn refund(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Reason>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let back = format!("/admin/orders/{id}");
    let reason = posted.form.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Ok(redirect_with(&back, Flash::Refused(t!("dashboard.reason_length", locale = lang).into_owned())));
    }
    let outcome = refunds::refund(&state.db, staff.actor(), id, reason, Utc::now()).await?;
    state.outbox_wake.notify_one();
    let flash = match outcome {
        RefundOutcome::Refunded { customer, amount, balance, restocked, .. } => {
            let key = if restocked {
                "dashboard_customers.orders.refunded_gift_done"
            } else {
                "dashboard_customers.orders.refunded_done"
            };
            Flash::Done(
                t!(key, locale = lang, id = id, amount = amount, name = full_name(&customer), balance = balance)
                    .into_owned(),
            )
        }
        RefundOutcome::AlreadyRefunded => {
            Flash::Refused(t!("dashboard_customers.orders.already_refunded", locale = lang, id = id).into_owned())
        }
        RefundOutcome::NotPaid => {
            Flash::Refused(t!("dashboard_customers.orders.not_paid", locale = lang, id = id).into_owned())
        }
        RefundOutcome::UnknownOrder => {
            Flash::Refused(t!("dashboard_customers.orders.unknown", locale = lang, id = id).into_owned())
        }
        RefundOutcome::LaterPeriodFirst { order_id } => Flash::Refused(
            t!("dashboard_customers.orders.later_period_first", locale = lang, id = id, later = order_id).into_owned(),
        ),
    };
    Ok(redirect_with(&back, flash))
}

async fn resend_login(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let outcome = subscriptions::resend_login(&state.db, staff.actor(), id, Utc::now()).await?;
    state.outbox_wake.notify_one();
    let flash = match outcome {
        ResendOutcome::Resent { customer_telegram_id } => Flash::Done(
            t!("dashboard_customers.orders.resent", locale = lang, id = id, customer = customer_telegram_id)
                .into_owned(),
        ),
        ResendOutcome::NotActive => {
            Flash::Refused(t!("dashboard_customers.orders.not_active", locale = lang, id = id).into_owned())
        }
        ResendOutcome::UnknownOrder => {
            Flash::Refused(t!("dashboard_customers.orders.unknown", locale = lang, id = id).into_owned())
        }
    };
    Ok(redirect_with(&format!("/admin/orders/{id}"), flash))
}
