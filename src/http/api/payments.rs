//! `/payments`: money from outside (UPI, Razorpay, Telegram Stars), newest first.
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Caller, Id, Params};
use super::types::{amount, Amount, Page, PageQuery};
use super::users::customer;
use super::{parse, text};
use crate::entities::{payment, user};
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::payments::{self, PaymentFilter};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    pub id: i32,
    /// What the customer quotes, e.g. `PAY7K3M9Q2X`.
    pub reference: String,
    pub customer_telegram_id: Option<i64>,
    pub order_id: Option<i32>,
    /// top_up or purchase
    pub purpose: String,
    /// upi, razorpay or stars
    pub method: String,
    pub amount: Amount,
    /// What arrived, once paid.
    pub paid: Option<Amount>,
    /// pending, paid, failed or expired
    pub status: String,
    pub gateway_payment_id: Option<String>,
    pub payer_vpa: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

fn to_json(p: payment::Model, customer: Option<user::Model>) -> Payment {
    Payment {
        id: p.id,
        reference: p.reference,
        customer_telegram_id: customer.map(|c| c.telegram_id),
        order_id: p.order_id,
        purpose: text(&p.purpose),
        method: text(&p.method),
        amount: amount(p.amount),
        paid: p.paid_amount.map(amount),
        status: text(&p.status),
        gateway_payment_id: p.gateway_payment_id,
        payer_vpa: p.payer_vpa,
        created_at: p.created_at,
        expires_at: p.expires_at,
        paid_at: p.paid_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// pending, paid, failed or expired
    pub status: Option<String>,
    /// upi, razorpay or stars
    pub method: Option<String>,
    /// The customer's Telegram id.
    pub customer: Option<i64>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Payments, newest first.
#[utoipa::path(get, path = "/payments", tag = "payments", params(Filter), responses((status = 200, body = Page<Payment>)))]
async fn list(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Params(f): Params<Filter>,
) -> Result<Json<Page<Payment>>, Problem> {
    let page = PageQuery { limit: f.limit, cursor: f.cursor }.request()?;
    let mut filter = PaymentFilter {
        status: f.status.as_deref().map(|s| parse("status", s)).transpose()?,
        method: f.method.as_deref().map(|m| parse("method", m)).transpose()?,
        user_id: None,
    };
    if let Some(telegram_id) = f.customer {
        filter.user_id = Some(customer(&state, telegram_id).await?.id);
    }
    let found = payments::list(&state.db, &actor, &filter, page).await?;
    Ok(Json(Page::of(found, |(p, c)| to_json(p, c))))
}

/// One payment.
#[utoipa::path(get, path = "/payments/{id}", tag = "payments", params(("id" = i32, Path)), responses((status = 200, body = Payment)))]
async fn get(State(state): State<HttpState>, Caller(actor): Caller, Id(id): Id<i32>) -> Result<Json<Payment>, Problem> {
    let (p, c) =
        payments::get(&state.db, &actor, id).await?.ok_or_else(|| Problem::not_found(format!("no payment {id}")))?;
    Ok(Json(to_json(p, c)))
}
