//! `/admin/plans`: the catalogue with stock counts and a form for a new plan;
//! `/admin/plans/{id}`: edit the plan, add logins pasted as text or CSV, retire logins. The
//! same `catalog` and `stock` services (and credential parsing) as chat and the API.
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, money, when};
use super::session::{redirect_with, Failure, Flash, NoFields, PageResult, Posted, Staff};
use crate::bot::ui::format::draft_error;
use crate::domain::credentials;
use crate::domain::plan_draft::{self, PlanChanges, PlanDraft, PlanDraftError};
use crate::domain::{Money, Permission};
use crate::entities::plan::RenewalLogin;
use crate::entities::stock_item::StockStatus;
use crate::http::HttpState;
use crate::services::catalog::{self, UpdateOutcome};
use crate::services::page::PageRequest;
use crate::services::stock::{self, AddStockOutcome, RetireOutcome};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/plans", get(list).post(create))
        .route("/admin/plans/{id}", get(detail).post(update))
        .route("/admin/plans/{id}/stock", post(add_stock))
        .route("/admin/plans/{id}/stock/{stock_id}/retire", post(retire))
}

#[derive(Debug, Deserialize)]
pub struct Before {
    before: Option<i32>,
}

async fn list(State(state): State<HttpState>, staff: Staff, Query(q): Query<Before>) -> PageResult {
    let lang = staff.lang();
    let page = catalog::plans(&state.db, staff.actor(), None, PageRequest { limit: 50, before: q.before }).await?;
    let rows = page
        .items
        .iter()
        .map(|p| {
            html! { tr #(format!("plan-{}", p.plan.id)) {
                td { a href=(format!("/admin/plans/{}", p.plan.id)) { (p.plan.name) } br; span.muted { "#" (p.plan.id) } }
                td { (money(p.plan.price)) br; span.muted { (t!("dashboard_ops.plans.cost_is", locale = lang, cost = money(p.plan.cost))) } }
                td { (t!("dashboard_ops.plans.days_n", locale = lang, days = p.plan.duration_days)) }
                td { b { (p.available) } " / " (p.assigned) " / " (p.retired) }
                td { @if p.plan.is_active { (t!("dashboard_ops.plans.on_sale", locale = lang)) } @else { span.muted { (t!("dashboard_ops.plans.hidden", locale = lang)) } } }
            } }
        })
        .collect();
    let nonce = format!("{:032x}", rand::random::<u128>());
    let body = html! {
        (layout::table(&staff, &["dashboard_ops.plans.plan", "dashboard_ops.plans.price", "dashboard_ops.plans.days", "dashboard_ops.plans.stock", "dashboard_ops.plans.active"], rows))
        (layout::pager(&staff, "/admin/plans", page.next))
        @if staff.can(Permission::ManageCatalog) {
            h2 { (t!("dashboard_ops.plans.new", locale = lang)) }
            form.stack method="post" action="/admin/plans" {
                (csrf(&staff))
                input type="hidden" name="nonce" value=(nonce);
                label { (t!("dashboard_ops.plans.name", locale = lang)) input name="name" required maxlength="100"; }
                label { (t!("dashboard_ops.plans.price_rupees", locale = lang)) input name="price" required inputmode="decimal"; }
                label { (t!("dashboard_ops.plans.cost_rupees", locale = lang)) input name="cost" value="0" inputmode="decimal"; }
                label { (t!("dashboard_ops.plans.days", locale = lang)) input name="days" required value="30" inputmode="numeric"; }
                label { (t!("dashboard_ops.plans.description", locale = lang)) textarea name="description" maxlength="1000" rows="3" {} }
                button.primary type="submit" { (t!("dashboard_ops.plans.create", locale = lang)) }
            }
        }
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.plans.title", locale = lang), body))
}

#[derive(Debug, Deserialize)]
pub struct NewPlan {
    nonce: String,
    name: String,
    price: String,
    #[serde(default)]
    cost: String,
    days: String,
    #[serde(default)]
    description: String,
}

fn refused(lang: &str, err: &PlanDraftError) -> Flash {
    Flash::Refused(draft_error(err, lang).into_owned())
}

async fn create(State(state): State<HttpState>, posted: Posted<NewPlan>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    let cost = if form.cost.trim().is_empty() { "0" } else { form.cost.as_str() };
    let parsed = (|| {
        Ok::<_, PlanDraftError>((
            PlanDraft {
                price: plan_draft::parse_price(&form.price)?,
                cost: plan_draft::parse_cost(cost)?,
                duration_days: plan_draft::parse_days(&form.days)?,
                name: plan_draft::parse_name(&form.name)?,
            },
            plan_draft::parse_description(&form.description)?,
        ))
    })();
    let (draft, description) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => return Ok(redirect_with("/admin/plans", refused(lang, &err))),
    };
    // The same form sent twice (a double click, a reload) makes one plan.
    let nonce: String = form.nonce.chars().filter(char::is_ascii_alphanumeric).take(64).collect();
    let source = format!("dashboard:{}:{nonce}", staff.actor().telegram_id);
    let created = catalog::create_plan(&state.db, staff.actor(), &draft, &source, Utc::now()).await?;
    let id = created.plan.id;
    if created.created && !description.is_empty() {
        catalog::describe_plan(&state.db, staff.actor(), id, &description, Utc::now()).await?;
    }
    state.outbox_wake.notify_one();
    let flash = if created.created {
        Flash::Done(t!("dashboard_ops.plans.created", locale = lang, name = created.plan.name).into_owned())
    } else {
        Flash::Refused(t!("dashboard_ops.plans.created_before", locale = lang, name = created.plan.name).into_owned())
    };
    Ok(redirect_with(&format!("/admin/plans/{id}"), flash))
}

#[derive(Debug, Deserialize)]
pub struct StockFilter {
    status: Option<String>,
    before: Option<i32>,
}

/// A login as lists show it: the part before the first `:` (the account), the secret hidden.
fn masked(credential: &str) -> String {
    match credential.split_once(':') {
        Some((login, _)) => format!("{login}:••••••"),
        None => {
            let shown: String = credential.chars().take(3).collect();
            format!("{shown}••••••")
        }
    }
}

async fn detail(
    State(state): State<HttpState>,
    staff: Staff,
    Path(id): Path<i32>,
    Query(filter): Query<StockFilter>,
) -> PageResult {
    let lang = staff.lang();
    let Some(p) = catalog::plan(&state.db, staff.actor(), id).await? else {
        return Err(Failure::NotFound(t!("dashboard_ops.plans.unknown", locale = lang, id = id).into_owned()));
    };
    let manage = staff.can(Permission::ManageCatalog);
    let status = match filter.status.as_deref() {
        Some("assigned") => StockStatus::Assigned,
        Some("retired") => StockStatus::Retired,
        _ => StockStatus::Available,
    };
    let status_text = crate::http::api::text(&status);
    let stock_page = if manage {
        Some(
            stock::list(&state.db, staff.actor(), id, Some(status), PageRequest { limit: 50, before: filter.before })
                .await?,
        )
    } else {
        None
    };
    let plan = &p.plan;
    let body = html! {
        div.cards {
            div.card { b { (money(plan.price)) } span { (t!("dashboard_ops.plans.price", locale = lang)) } }
            div.card { b { (money(plan.cost)) } span { (t!("dashboard_ops.plans.cost", locale = lang)) } }
            div.card { b { (p.available) } span { (t!("dashboard_ops.plans.available", locale = lang)) } }
            div.card { b { (p.assigned) } span { (t!("dashboard_ops.plans.assigned", locale = lang)) } }
            div.card { b { (p.retired) } span { (t!("dashboard_ops.plans.retired", locale = lang)) } }
        }
        @if !plan.description.is_empty() { p { (plan.description) } }
        @if manage {
            h2 { (t!("dashboard_ops.plans.edit", locale = lang)) }
            form.stack method="post" action=(format!("/admin/plans/{id}")) {
                (csrf(&staff))
                label { (t!("dashboard_ops.plans.name", locale = lang)) input name="name" required maxlength="100" value=(plan.name); }
                label { (t!("dashboard_ops.plans.price_rupees", locale = lang)) input name="price" required inputmode="decimal" value=(Money::from_paise(plan.price).plain()); }
                label { (t!("dashboard_ops.plans.cost_rupees", locale = lang)) input name="cost" required inputmode="decimal" value=(Money::from_paise(plan.cost).plain()); }
                label { (t!("dashboard_ops.plans.days", locale = lang)) input name="days" required inputmode="numeric" value=(plan.duration_days); }
                label { (t!("dashboard_ops.plans.order", locale = lang)) input name="order" required inputmode="numeric" value=(plan.sort_order); }
                label { (t!("dashboard_ops.plans.description", locale = lang)) textarea name="description" maxlength="1000" rows="3" { (plan.description) } }
                label.check { input type="checkbox" name="active" value="on" checked[plan.is_active]; " " (t!("dashboard_ops.plans.on_sale", locale = lang)) }
                label.check { input type="checkbox" name="keeps_login" value="on" checked[plan.renewal_login == RenewalLogin::Keep]; " " (t!("dashboard_ops.plans.keeps_login", locale = lang)) }
                button.primary type="submit" { (t!("dashboard_ops.plans.save", locale = lang)) }
            }
            h2 { (t!("dashboard_ops.plans.add_stock", locale = lang)) }
            form.stack method="post" action=(format!("/admin/plans/{id}/stock")) {
                (csrf(&staff))
                label { (t!("dashboard_ops.plans.credentials", locale = lang)) textarea name="credentials" rows="8" required placeholder="mail@example.com:password" {} }
                label { (t!("dashboard_ops.plans.format", locale = lang))
                    select name="format" {
                        option value="lines" selected { (t!("dashboard_ops.plans.format_lines", locale = lang)) }
                        option value="csv" { (t!("dashboard_ops.plans.format_csv", locale = lang)) }
                    }
                }
                button.primary type="submit" { (t!("dashboard_ops.plans.upload", locale = lang)) }
            }
        }
        @if let Some(page) = &stock_page {
            h2 { (t!("dashboard_ops.plans.logins", locale = lang)) }
            (layout::tabs(&staff, &format!("/admin/plans/{id}"), &status_text, &[
                ("available", "dashboard_ops.plans.available"),
                ("assigned", "dashboard_ops.plans.assigned"),
                ("retired", "dashboard_ops.plans.retired"),
            ]))
            (layout::table(&staff, &["dashboard_ops.plans.login", "dashboard_ops.plans.added", "dashboard_ops.col.status", "dashboard.col.action"], page.items.iter().map(|item| html! {
                tr #(format!("stock-{}", item.id)) {
                    td { code { (masked(&item.credential)) } br; span.muted { "#" (item.id) } }
                    td { (when(item.created_at)) }
                    td {
                        (crate::http::api::text(&item.status))
                        @if let Some(order) = item.order_id { br; a href=(format!("/admin/orders/{order}")) { "#" (order) } }
                    }
                    td { @if item.status == StockStatus::Available {
                        (button(&staff, &format!("/admin/plans/{id}/stock/{}/retire", item.id), &t!("dashboard_ops.plans.retire", locale = lang), "danger"))
                    } @else { span.muted { "—" } } }
                }
            }).collect()))
            (layout::pager(&staff, &format!("/admin/plans/{id}?status={status_text}"), page.next))
        }
        p { a href="/admin/plans" { (t!("dashboard_ops.plans.back", locale = lang)) } }
    };
    Ok(layout::page(&staff, &plan.name, body))
}

#[derive(Debug, Deserialize)]
pub struct Edit {
    name: String,
    price: String,
    cost: String,
    days: String,
    order: String,
    #[serde(default)]
    description: String,
    /// A checkbox: present when ticked.
    active: Option<String>,
    /// A checkbox: renewing keeps the login.
    keeps_login: Option<String>,
}

async fn update(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Edit>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    let back = format!("/admin/plans/{id}");
    let parsed = (|| {
        Ok::<_, PlanDraftError>(PlanChanges {
            name: Some(form.name.clone()),
            description: Some(form.description.clone()),
            price: Some(plan_draft::parse_price(&form.price)?),
            cost: Some(plan_draft::parse_cost(&form.cost)?),
            duration_days: Some(plan_draft::parse_days(&form.days)?),
            active: Some(form.active.is_some()),
            sort_order: None,
            keeps_login: Some(form.keeps_login.is_some()),
        })
    })();
    let mut changes = match parsed {
        Ok(changes) => changes,
        Err(err) => return Ok(redirect_with(&back, refused(lang, &err))),
    };
    match form.order.trim().parse::<i32>() {
        Ok(order) => changes.sort_order = Some(order),
        Err(_) => {
            return Ok(redirect_with(
                &back,
                Flash::Refused(t!("dashboard_ops.plans.bad_order", locale = lang).into_owned()),
            ))
        }
    }
    let flash = match catalog::update_plan(&state.db, staff.actor(), id, changes, Utc::now()).await? {
        UpdateOutcome::Updated(plan) => {
            Flash::Done(t!("dashboard_ops.plans.saved", locale = lang, name = plan.name).into_owned())
        }
        UpdateOutcome::UnknownPlan => {
            Flash::Refused(t!("dashboard_ops.plans.unknown", locale = lang, id = id).into_owned())
        }
        UpdateOutcome::Invalid(_, err) => refused(lang, &err),
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with(&back, flash))
}

#[derive(Debug, Deserialize)]
pub struct Upload {
    credentials: String,
    #[serde(default)]
    format: String,
}

async fn add_stock(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<Upload>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    let back = format!("/admin/plans/{id}");
    let batch = if form.format == "csv" {
        credentials::from_csv(form.credentials.as_bytes())
    } else {
        credentials::from_lines(&form.credentials)
    };
    if batch.credentials.is_empty() && batch.too_long == 0 {
        return Ok(redirect_with(
            &back,
            Flash::Refused(t!("dashboard_ops.plans.no_credentials", locale = lang).into_owned()),
        ));
    }
    let flash = match stock::add_stock(&state.db, staff.actor(), id, &batch, Utc::now()).await? {
        AddStockOutcome::Added { plan_name, added, duplicates, too_long, available } => Flash::Done(
            t!(
                "dashboard_ops.plans.stock_added",
                locale = lang,
                added = added,
                name = plan_name,
                duplicates = duplicates,
                too_long = too_long,
                available = available
            )
            .into_owned(),
        ),
        AddStockOutcome::UnknownPlan => {
            Flash::Refused(t!("dashboard_ops.plans.unknown", locale = lang, id = id).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with(&back, flash))
}

async fn retire(
    State(state): State<HttpState>,
    Path((id, stock_id)): Path<(i32, i32)>,
    posted: Posted<NoFields>,
) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let flash = match stock::retire(&state.db, staff.actor(), id, stock_id, Utc::now()).await? {
        RetireOutcome::Retired(_) => {
            Flash::Done(t!("dashboard_ops.plans.retired_done", locale = lang, id = stock_id).into_owned())
        }
        RetireOutcome::NotAvailable(status) => Flash::Refused(
            t!(
                "dashboard_ops.plans.not_available",
                locale = lang,
                id = stock_id,
                status = crate::http::api::text(&status)
            )
            .into_owned(),
        ),
        RetireOutcome::UnknownStock => {
            Flash::Refused(t!("dashboard_ops.plans.unknown_login", locale = lang, id = stock_id).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with(&format!("/admin/plans/{id}"), flash))
}
