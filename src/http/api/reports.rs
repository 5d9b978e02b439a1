//! `/stats` (figures and the daily chart) and `/exports/<kind>.csv` (streamed CSV).
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Caller, Id, Params};
use super::text;
use super::types::Amount;
use crate::charts;
use crate::domain::report::{DateRange, Period, RangeError, MAX_DAYS};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::exports::{self, ExportKind};
use crate::services::reports::{self, Tally};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(stats)).routes(routes!(daily)).routes(routes!(chart)).routes(routes!(export))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    pub count: u64,
    pub amount: Amount,
}

impl From<Tally> for Count {
    fn from(t: Tally) -> Count {
        Count { count: t.count, amount: t.amount.into() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ByStatus {
    pub status: String,
    pub count: u64,
    pub amount: Amount,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanStock {
    pub plan_id: i32,
    pub name: String,
    pub available: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// today, 7d, 30d or all
    pub period: String,
    /// Midnight in India of the first day; null for all time.
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub new_users: u64,
    pub paying_users: u64,
    /// Paid orders (refunded ones are not counted).
    pub orders: u64,
    pub revenue: Amount,
    pub cost: Amount,
    pub profit: Amount,
    /// Orders refunded in the period, at their price.
    pub refunds: Count,
    pub commissions: Vec<ByStatus>,
    pub withdrawals: Vec<ByStatus>,
    /// Available logins of each active plan.
    pub stock: Vec<PlanStock>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// today (default), 7d, 30d or all; days in India.
    pub period: Option<String>,
}

/// The shop's figures for a period.
#[utoipa::path(get, path = "/stats", tag = "reports", params(PeriodQuery), responses((status = 200, body = Stats)))]
async fn stats(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(q): Params<PeriodQuery>,
) -> Result<Json<Stats>, Problem> {
    let period = match q.period.as_deref() {
        None => Period::Today,
        Some(p) => Period::parse(p).ok_or_else(|| Problem::invalid("period", "today, 7d, 30d or all"))?,
    };
    let s = reports::stats(&state.db, &actor, period, Utc::now()).await?;
    Ok(Json(Stats {
        period: s.period.code().to_owned(),
        from: s.from,
        to: s.to,
        new_users: s.new_users,
        paying_users: s.paying_users,
        orders: s.orders,
        revenue: s.revenue.into(),
        cost: s.cost.into(),
        profit: s.profit.into(),
        refunds: s.refunds.into(),
        commissions: s
            .commissions
            .into_iter()
            .map(|(status, t)| ByStatus { status: text(&status), count: t.count, amount: t.amount.into() })
            .collect(),
        withdrawals: s
            .withdrawals
            .into_iter()
            .map(|(status, t)| ByStatus { status: text(&status), count: t.count, amount: t.amount.into() })
            .collect(),
        stock: s
            .stock
            .into_iter()
            .map(|p| PlanStock { plan_id: p.plan_id, name: p.name, available: p.available })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    /// A day in India, YYYY-MM-DD.
    pub date: NaiveDate,
    pub revenue: Amount,
    pub orders: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// 1 to 366; 30 when absent.
    pub days: Option<u32>,
}

fn days(q: &DaysQuery) -> Result<u32, Problem> {
    let days = q.days.unwrap_or(30);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Problem::invalid("days", format!("from 1 to {MAX_DAYS}")));
    }
    Ok(days)
}

/// Revenue and paid orders per day (days in India, oldest first, empty days included).
#[utoipa::path(get, path = "/stats/daily", tag = "reports", params(DaysQuery), responses((status = 200, body = Vec<Day>)))]
async fn daily(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(q): Params<DaysQuery>,
) -> Result<Json<Vec<Day>>, Problem> {
    let points = reports::daily(&state.db, &actor, days(&q)?, Utc::now()).await?;
    Ok(Json(points.into_iter().map(|p| Day { date: p.date, revenue: p.revenue.into(), orders: p.orders }).collect()))
}

/// The same series as a chart: bars of revenue, a line of orders.
#[utoipa::path(
    get,
    path = "/stats/chart.png",
    tag = "reports",
    params(DaysQuery),
    responses((status = 200, description = "a PNG image", content_type = "image/png", body = Vec<u8>))
)]
async fn chart(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(q): Params<DaysQuery>,
) -> Result<Response, Problem> {
    let points = reports::daily(&state.db, &actor, days(&q)?, Utc::now()).await?;
    let png = tokio::task::spawn_blocking(move || charts::daily_png(&points))
        .await
        .map_err(|_| Problem::internal())?
        .map_err(|err| {
        log::error!("chart: {err}");
        Problem::internal()
    })?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, YYYY-MM-DD (in India).
    pub from: String,
    /// Last day, included.
    pub to: String,
}

/// A CSV export (UTF-8 with BOM, CRLF, rupees with two decimals), streamed page by page.
/// `file` is `orders.csv`, `ledger.csv`, `withdrawals.csv` or `commissions.csv`.
#[utoipa::path(
    get,
    path = "/exports/{file}",
    tag = "reports",
    params(("file" = String, Path, description = "orders.csv, ledger.csv, withdrawals.csv or commissions.csv"), RangeQuery),
    responses((status = 200, description = "the CSV file", content_type = "text/csv", body = String))
)]
async fn export(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(file): Id<String>,
    Params(q): Params<RangeQuery>,
) -> Result<Response, Problem> {
    let kind = ExportKind::parse(&file)
        .filter(|_| file.ends_with(".csv"))
        .ok_or_else(|| Problem::not_found("orders.csv, ledger.csv, withdrawals.csv or commissions.csv"))?;
    let range = DateRange::parse(&q.from, &q.to).map_err(|err| match err {
        RangeError::BadDate(date) => {
            let field = if date == q.from.trim() { "from" } else { "to" };
            Problem::invalid(field, "a day like 2026-12-01")
        }
        RangeError::Reversed => Problem::invalid("to", "the range ends before it starts"),
    })?;
    let export = exports::open(&state.db, &actor, kind, range)?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let body = Body::from_stream(export.into_stream());
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}
