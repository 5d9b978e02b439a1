//! `/plans`: the catalogue with stock counts; create, update, add and retire stock.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id, Params};
use super::types::{amount, Amount, Page, PageQuery};
use super::{parse, text};
use crate::domain::credentials::{self, CredentialBatch};
use crate::domain::plan_draft::{PlanChanges, PlanDraft};
use crate::domain::Money;
use crate::entities::stock_item;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::catalog::{self, PlanStock, UpdateOutcome};
use crate::services::stock::{self, AddStockOutcome, RetireOutcome};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(stock_list, add_stock))
        .routes(routes!(upload_stock))
        .routes(routes!(retire))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub price: Amount,
    pub cost: Amount,
    pub profit: Amount,
    pub duration_days: i32,
    pub active: bool,
    pub sort_order: i32,
    /// Renewing keeps the customer's login (true) or takes a new one from stock (false).
    pub keeps_login: bool,
    pub stock: StockCounts,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockCounts {
    pub available: u64,
    pub assigned: u64,
    pub retired: u64,
}

impl From<PlanStock> for Plan {
    fn from(p: PlanStock) -> Plan {
        Plan {
            id: p.plan.id,
            name: p.plan.name,
            description: p.plan.description,
            price: amount(p.plan.price),
            cost: amount(p.plan.cost),
            profit: amount(p.plan.price - p.plan.cost),
            duration_days: p.plan.duration_days,
            active: p.plan.is_active,
            sort_order: p.plan.sort_order,
            keeps_login: p.plan.renewal_login == crate::entities::plan::RenewalLogin::Keep,
            stock: StockCounts { available: p.available, assigned: p.assigned, retired: p.retired },
            created_at: p.plan.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Only plans on sale (true) or hidden (false).
    pub active: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Plans, newest first, with their stock.
#[utoipa::path(get, path = "/plans", tag = "plans", params(Filter), responses((status = 200, body = Page<Plan>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Plan>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    Ok(Json(Page::of(catalog::plans(&state.db, &actor, f.active, page).await?, Plan::from)))
}

async fn found(state: &HttpState, actor: &crate::services::Actor, id: i32) -> Result<Plan, Problem> {
    catalog::plan(&state.db, actor, id)
        .await?
        .map(Plan::from)
        .ok_or_else(|| Problem::not_found(format!("no plan {id}")))
}

/// One plan.
#[utoipa::path(get, path = "/plans/{id}", tag = "plans", params(("id" = i32, Path)), responses((status = 200, body = Plan)))]
async fn get(State(state): State<HttpState>, Caller(actor): Caller, Id(id): Id<i32>) -> Result<Json<Plan>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewPlan {
    pub name: String,
    pub price_paise: i64,
    #[serde(default)]
    pub cost_paise: i64,
    pub duration_days: i32,
    #[serde(default)]
    pub description: String,
}

/// Creates a plan (on sale, no stock yet).
#[utoipa::path(post, path = "/plans", tag = "plans", request_body = NewPlan, responses((status = 201, body = Plan)))]
async fn create(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<NewPlan>,
) -> Result<(StatusCode, Json<Plan>), Problem> {
    let checked = PlanChanges {
        name: Some(body.name.clone()),
        description: Some(body.description.clone()),
        price: Some(Money::from_paise(body.price_paise)),
        cost: Some(Money::from_paise(body.cost_paise)),
        duration_days: Some(body.duration_days),
        ..Default::default()
    }
    .validated()
    .map_err(|(field, err)| Problem::invalid(field, err.to_string()))?;
    let draft = PlanDraft {
        price: checked.price.unwrap_or_default(),
        cost: checked.cost.unwrap_or_default(),
        duration_days: body.duration_days,
        name: checked.name.unwrap_or_default(),
    };
    // The Idempotency-Key makes a repeat return the plan it made; without one, each is new.
    let source = match headers.get(super::idempotency::HEADER).and_then(|k| k.to_str().ok()) {
        Some(key) => format!("api:{}:{key}", caller.token_id()),
        None => format!("api:{}:{}", caller.token_id(), rand::random::<u128>()),
    };
    let created = catalog::create_plan(&state.db, &caller.0, &draft, &source, Utc::now()).await?;
    let id = created.plan.id;
    if !checked.description.clone().unwrap_or_default().is_empty() {
        catalog::describe_plan(&state.db, &caller.0, id, &checked.description.unwrap_or_default(), Utc::now()).await?;
    }
    let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(found(&state, &caller.0, id).await?)))
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PlanUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_paise: Option<i64>,
    pub cost_paise: Option<i64>,
    pub duration_days: Option<i32>,
    /// On sale (true) or hidden from customers (false).
    pub active: Option<bool>,
    /// Lower first in the customers' list.
    pub sort_order: Option<i32>,
    /// Renewing keeps the customer's login (true) or takes a new one from stock (false).
    pub keeps_login: Option<bool>,
}

/// Changes a plan; absent fields stay. Open orders keep their price.
#[utoipa::path(patch, path = "/plans/{id}", tag = "plans", params(("id" = i32, Path)), request_body = PlanUpdate, responses((status = 200, body = Plan)))]
async fn update(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
    Body(body): Body<PlanUpdate>,
) -> Result<Json<Plan>, Problem> {
    let changes = PlanChanges {
        name: body.name,
        description: body.description,
        price: body.price_paise.map(Money::from_paise),
        cost: body.cost_paise.map(Money::from_paise),
        duration_days: body.duration_days,
        active: body.active,
        sort_order: body.sort_order,
        keeps_login: body.keeps_login,
    };
    match catalog::update_plan(&state.db, &actor, id, changes, Utc::now()).await? {
        UpdateOutcome::Updated(_) => Ok(Json(found(&state, &actor, id).await?)),
        UpdateOutcome::UnknownPlan => Err(Problem::not_found(format!("no plan {id}"))),
        UpdateOutcome::Invalid(field, err) => Err(Problem::invalid(field, err.to_string())),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockItem {
    pub id: i32,
    /// The login as the customer receives it.
    pub credential: String,
    /// available, assigned or retired
    pub status: String,
    pub order_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
}

impl From<stock_item::Model> for StockItem {
    fn from(s: stock_item::Model) -> StockItem {
        StockItem {
            id: s.id,
            credential: s.credential,
            status: text(&s.status),
            order_id: s.order_id,
            created_at: s.created_at,
            assigned_at: s.assigned_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockFilter {
    /// available, assigned or retired
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// A plan's logins, newest first (admins only: they are secrets).
#[utoipa::path(get, path = "/plans/{id}/stock", tag = "plans", params(("id" = i32, Path), StockFilter), responses((status = 200, body = Page<StockItem>)))]
async fn stock_list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
    Params(f): Params<StockFilter>,
) -> Result<Json<Page<StockItem>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let status = f.status.as_deref().map(|s| parse("status", s)).transpose()?;
    found(&state, &actor, id).await?;
    Ok(Json(Page::of(stock::list(&state.db, &actor, id, status, page).await?, StockItem::from)))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewStock {
    /// One login each, e.g. `mail@example.com:password`.
    pub credentials: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockAdded {
    pub added: u64,
    /// Repeated in the upload or already in stock: skipped.
    pub duplicates: u64,
    /// Over-long lines: refused.
    pub too_long: u64,
    pub available: u64,
}

async fn add(
    state: &HttpState,
    actor: &crate::services::Actor,
    id: i32,
    batch: CredentialBatch,
) -> Result<Json<StockAdded>, Problem> {
    if batch.credentials.is_empty() && batch.too_long == 0 {
        return Err(Problem::invalid("credentials", "no credentials found"));
    }
    match stock::add_stock(&state.db, actor, id, &batch, Utc::now()).await? {
        AddStockOutcome::Added { added, duplicates, too_long, available, .. } => {
            Ok(Json(StockAdded { added, duplicates, too_long, available }))
        }
        AddStockOutcome::UnknownPlan => Err(Problem::not_found(format!("no plan {id}"))),
    }
}

/// Adds logins from a JSON list; duplicates are skipped.
#[utoipa::path(post, path = "/plans/{id}/stock", tag = "plans", params(("id" = i32, Path)), request_body = NewStock, responses((status = 200, body = StockAdded)))]
async fn add_stock(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
    Body(body): Body<NewStock>,
) -> Result<Json<StockAdded>, Problem> {
    add(&state, &actor, id, credentials::from_lines(&body.credentials.join("\n"))).await
}

/// Adds logins from a text (one per line) or CSV (one per row) upload.
#[utoipa::path(
    post,
    path = "/plans/{id}/stock/upload",
    tag = "plans",
    params(("id" = i32, Path)),
    request_body(content = String, content_type = "text/plain", description = "one login per line, or CSV with Content-Type: text/csv"),
    responses((status = 200, body = StockAdded))
)]
async fn upload_stock(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StockAdded>, Problem> {
    let csv =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/csv"));
    let text = std::str::from_utf8(&body).map_err(|_| Problem::invalid("body", "UTF-8 text"))?;
    let batch = if csv { credentials::from_csv(text.as_bytes()) } else { credentials::from_lines(text) };
    add(&state, &actor, id, batch).await
}

/// Takes an available login out of sale.
#[utoipa::path(
    post,
    path = "/plans/{id}/stock/{stock_id}/retire",
    tag = "plans",
    params(("id" = i32, Path), ("stock_id" = i32, Path)),
    responses((status = 200, body = StockItem))
)]
async fn retire(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id((id, stock_id)): Id<(i32, i32)>,
) -> Result<Json<StockItem>, Problem> {
    match stock::retire(&state.db, &actor, id, stock_id, Utc::now()).await? {
        RetireOutcome::Retired(item) => Ok(Json(item.into())),
        RetireOutcome::NotAvailable(status) => {
            Err(Problem::conflict("not-available", format!("login {stock_id} is {}", text(&status))))
        }
        RetireOutcome::UnknownStock => Err(Problem::not_found(format!("no login {stock_id} in plan {id}"))),
    }
}
