//! `/orders`: every order with its customer and subscription; refund.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id, Params};
use super::types::{amount, Amount, Page, PageQuery};
use super::users::{customer, Reason};
use super::{idempotency, parse, text};
use crate::domain::subscription_period::SubscriptionState;
use crate::entities::user;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::customers::{self, OrderFilter, OrderLine};
use crate::services::refunds::{self, RefundOutcome};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(refund))
        .routes(routes!(resend_login))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    /// active, expired or cancelled
    pub state: String,
    pub ends_at: DateTime<Utc>,
    /// While active.
    pub days_left: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    pub id: i32,
    pub customer_telegram_id: Option<i64>,
    pub plan_id: i32,
    pub plan_name: String,
    pub price: Amount,
    pub cost: Amount,
    /// pending, paid, cancelled or refunded
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub subscription: Option<Subscription>,
}

impl Order {
    pub fn from_line(line: OrderLine, customer: Option<&user::Model>) -> Order {
        let order = line.order;
        Order {
            id: order.id,
            customer_telegram_id: customer.map(|c| c.telegram_id),
            plan_id: order.plan_id,
            plan_name: line.plan_name,
            price: amount(order.price),
            cost: amount(order.cost),
            status: text(&order.status),
            created_at: order.created_at,
            paid_at: order.paid_at,
            subscription: line.subscription.map(|(state, ends_at)| {
                let (state, days_left) = match state {
                    SubscriptionState::Active { days_left } => ("active", Some(days_left)),
                    SubscriptionState::Expired => ("expired", None),
                    SubscriptionState::Cancelled => ("cancelled", None),
                };
                Subscription { state: state.into(), ends_at, days_left }
            }),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// pending, paid, cancelled or refunded
    pub status: Option<String>,
    /// The customer's Telegram id.
    pub customer: Option<i64>,
    pub plan: Option<i32>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Orders, newest first.
#[utoipa::path(get, path = "/orders", tag = "orders", params(Filter), responses((status = 200, body = Page<Order>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Order>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let mut filter = OrderFilter { plan_id: f.plan, ..Default::default() };
    if let Some(status) = &f.status {
        filter.status = Some(parse("status", status)?);
    }
    if let Some(telegram_id) = f.customer {
        filter.user_id = Some(customer(&state, telegram_id).await?.id);
    }
    let found = customers::orders(&state.db, &actor, &filter, page, Utc::now()).await?;
    Ok(Json(Page::of(found, |(line, customer)| Order::from_line(line, customer.as_ref()))))
}

/// One order.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = i32, Path)), responses((status = 200, body = Order)))]
async fn get(State(state): State<HttpState>, Caller(actor): Caller, Id(id): Id<i32>) -> Result<Json<Order>, Problem> {
    let (line, customer) = customers::order(&state.db, &actor, id, Utc::now())
        .await?
        .ok_or_else(|| Problem::not_found(format!("no order {id}")))?;
    Ok(Json(Order::from_line(line, Some(&customer))))
}

/// Refunds a paid order once: the price back to the wallet, the subscription cancelled, its
/// login retired, referral commissions undone; the customer is told.
#[utoipa::path(
    post,
    path = "/orders/{id}/refund",
    tag = "orders",
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header, description = "a repeat answers the first result and moves nothing")),
    request_body = Reason,
    responses((status = 200, body = Order))
)]
async fn refund(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Id(id): Id<i32>,
    Body(body): Body<Reason>,
) -> Response {
    let request = format!("POST /orders/{id}/refund {}", serde_json::to_string(&body).unwrap_or_default());
    idempotency::once(&state, &caller, &headers, request, || async {
        let result: Result<Json<Order>, Problem> = async {
            let reason = body.reason.trim();
            if reason.chars().count() > crate::bot::ui::format::MAX_REASON_CHARS {
                return Err(Problem::invalid("reason", "at most 200 characters"));
            }
            match refunds::refund(&state.db, &caller.0, id, reason, Utc::now()).await? {
                RefundOutcome::Refunded { .. } => {
                    state.outbox_wake.notify_one();
                    let (line, customer) = customers::order(&state.db, &caller.0, id, Utc::now())
                        .await?
                        .ok_or_else(|| Problem::not_found(format!("no order {id}")))?;
                    Ok(Json(Order::from_line(line, Some(&customer))))
                }
                RefundOutcome::AlreadyRefunded => {
                    Err(Problem::conflict("already-refunded", format!("order {id} was refunded before")))
                }
                RefundOutcome::NotPaid => Err(Problem::conflict("not-paid", format!("order {id} was never paid"))),
                RefundOutcome::UnknownOrder => Err(Problem::not_found(format!("no order {id}"))),
                RefundOutcome::LaterPeriodFirst { order_id } => Err(Problem::conflict(
                    "later-period-first",
                    format!("the subscription was renewed since by order {order_id}: refund that first"),
                )),
            }
        }
        .await;
        match result {
            Ok(json) => (StatusCode::OK, json).into_response(),
            Err(problem) => problem.into_response(),
        }
    })
    .await
}

/// Sends the customer their login again (support may); audited.
#[utoipa::path(
    post,
    path = "/orders/{id}/resend-login",
    tag = "orders",
    params(("id" = i32, Path)),
    responses((status = 200, body = Order))
)]
async fn resend_login(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<Order>, Problem> {
    use crate::services::subscriptions::{self, ResendOutcome};
    match subscriptions::resend_login(&state.db, &actor, id, Utc::now()).await? {
        ResendOutcome::Resent { .. } => {
            state.outbox_wake.notify_one();
            let (line, customer) = customers::order(&state.db, &actor, id, Utc::now())
                .await?
                .ok_or_else(|| Problem::not_found(format!("no order {id}")))?;
            Ok(Json(Order::from_line(line, Some(&customer))))
        }
        ResendOutcome::NotActive => {
            Err(Problem::conflict("not-active", format!("order {id} has no active subscription")))
        }
        ResendOutcome::UnknownOrder => Err(Problem::not_found(format!("no order {id}"))),
    }
}
