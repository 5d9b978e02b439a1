//! `/promo-codes`: create, list, see one's use, disable; the same service as /promo in chat.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id};
use super::text;
use super::types::{amount, Amount};
use crate::domain::promo::{self, Draft, Off, Terms};
use crate::domain::Money;
use crate::entities::promo_code;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::promos::{self, CreateOutcome, DisableOutcome};
use crate::services::Actor;

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get)).routes(routes!(disable))
}

/// Codes listed at most.
const LIST_LIMIT: u64 = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoCode {
    pub id: i32,
    pub code: String,
    /// percent or fixed
    pub kind: String,
    /// Whole percent off, for `percent`.
    pub percent_off: Option<u32>,
    /// Off the price, for `fixed`.
    pub amount_off: Option<Amount>,
    /// Empty: every plan.
    pub plan_ids: Vec<i32>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<u32>,
    pub per_user: u32,
    pub first_purchase_only: bool,
    pub min_price: Amount,
    pub active: bool,
    /// Paid orders that used it.
    pub uses: i32,
    pub created_at: DateTime<Utc>,
    /// With GET /promo-codes/{id}: its use.
    pub usage: Option<Usage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub orders: u64,
    pub customers: u64,
    pub paid: Amount,
    pub discount: Amount,
}

fn to_json(code: promo_code::Model, usage: Option<promos::Usage>) -> PromoCode {
    let terms = promos::terms_of(&code);
    let (percent_off, amount_off) = match terms.off {
        Off::Percent(pct) => (Some(pct), None),
        Off::Fixed(off) => (None, Some(off.into())),
    };
    PromoCode {
        id: code.id,
        kind: text(&code.kind),
        code: code.code,
        percent_off,
        amount_off,
        plan_ids: terms.plans.unwrap_or_default(),
        valid_from: terms.valid_from,
        valid_until: terms.valid_until,
        max_uses: terms.max_uses,
        per_user: terms.per_user,
        first_purchase_only: terms.first_purchase_only,
        min_price: terms.min_price.into(),
        active: terms.active,
        uses: code.uses,
        created_at: code.created_at,
        usage: usage.map(|u| Usage {
            orders: u.orders,
            customers: u.customers,
            paid: u.paid.into(),
            discount: amount(u.discount.paise()),
        }),
    }
}

/// Promo codes, newest first.
#[utoipa::path(get, path = "/promo-codes", tag = "promo-codes", responses((status = 200, body = Vec<PromoCode>)))]
async fn list(State(state): State<HttpState>, Caller(actor): Caller) -> Result<Json<Vec<PromoCode>>, Problem> {
    let codes = promos::list(&state.db, &actor, LIST_LIMIT).await?;
    Ok(Json(codes.into_iter().map(|c| to_json(c, None)).collect()))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewPromoCode {
    /// 3 to 20 letters, digits, - or _ (stored upper case).
    pub code: String,
    /// Whole percent off, 1 to 100; or `amount_off_paise`.
    pub percent_off: Option<u32>,
    pub amount_off_paise: Option<i64>,
    /// Only these plans (absent or empty: every plan).
    #[serde(default)]
    pub plan_ids: Vec<i32>,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Paid orders in all (absent: no limit).
    pub max_uses: Option<u32>,
    /// Paid orders per customer (default 1).
    pub per_user: Option<u32>,
    #[serde(default)]
    pub first_purchase_only: bool,
    /// Plans priced at least this.
    #[serde(default)]
    pub min_price_paise: i64,
}

fn draft(body: NewPromoCode) -> Result<Draft, Problem> {
    let code =
        promo::normalize(&body.code).ok_or_else(|| Problem::invalid("code", "3 to 20 letters, digits, - or _"))?;
    let off = match (body.percent_off, body.amount_off_paise) {
        (Some(pct), None) if (1..=100).contains(&pct) => Off::Percent(pct),
        (None, Some(paise)) if paise > 0 && Money::from_paise(paise) <= crate::domain::money::MAX_INPUT => {
            Off::Fixed(Money::from_paise(paise))
        }
        _ => return Err(Problem::invalid("percent_off", "either percent_off (1 to 100) or amount_off_paise (> 0)")),
    };
    let per_user = body.per_user.unwrap_or(1);
    if per_user == 0 {
        return Err(Problem::invalid("per_user", "at least 1"));
    }
    if body.max_uses == Some(0) {
        return Err(Problem::invalid("max_uses", "at least 1, or absent for no limit"));
    }
    if body.min_price_paise < 0 {
        return Err(Problem::invalid("min_price_paise", "0 or more"));
    }
    let valid_from = body.valid_from.unwrap_or_else(Utc::now);
    if body.valid_until.is_some_and(|until| until <= valid_from) {
        return Err(Problem::invalid("valid_until", "after valid_from"));
    }
    let plans = (!body.plan_ids.is_empty()).then_some(body.plan_ids);
    Ok(Draft {
        code,
        terms: Terms {
            off,
            plans,
            valid_from,
            valid_until: body.valid_until,
            max_uses: body.max_uses,
            per_user,
            first_purchase_only: body.first_purchase_only,
            min_price: Money::from_paise(body.min_price_paise),
            active: true,
        },
    })
}

/// Creates a promo code.
#[utoipa::path(post, path = "/promo-codes", tag = "promo-codes", request_body = NewPromoCode, responses((status = 201, body = PromoCode)))]
async fn create(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Body(body): Body<NewPromoCode>,
) -> Result<(StatusCode, Json<PromoCode>), Problem> {
    let draft = draft(body)?;
    match promos::create(&state.db, &actor, &draft, Utc::now()).await? {
        CreateOutcome::Created(code) => Ok((StatusCode::CREATED, Json(to_json(code, None)))),
        CreateOutcome::CodeTaken => Err(Problem::conflict("code-taken", format!("the code {} exists", draft.code))),
    }
}

async fn found(state: &HttpState, actor: &Actor, id: i32) -> Result<PromoCode, Problem> {
    let usage =
        promos::usage(&state.db, actor, id).await?.ok_or_else(|| Problem::not_found(format!("no promo code {id}")))?;
    Ok(to_json(usage.code.clone(), Some(usage)))
}

/// One promo code with its use.
#[utoipa::path(get, path = "/promo-codes/{id}", tag = "promo-codes", params(("id" = i32, Path)), responses((status = 200, body = PromoCode)))]
async fn get(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<PromoCode>, Problem> {
    Ok(Json(found(&state, &actor, id).await?))
}

/// Switches a code off: no new checkout can use it.
#[utoipa::path(post, path = "/promo-codes/{id}/disable", tag = "promo-codes", params(("id" = i32, Path)), responses((status = 200, body = PromoCode)))]
async fn disable(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(id): Id<i32>,
) -> Result<Json<PromoCode>, Problem> {
    match promos::disable(&state.db, &actor, id, Utc::now()).await? {
        DisableOutcome::Disabled(_) => Ok(Json(found(&state, &actor, id).await?)),
        DisableOutcome::AlreadyOff(_) => {
            Err(Problem::conflict("already-off", format!("promo code {id} is off already")))
        }
        DisableOutcome::Unknown => Err(Problem::not_found(format!("no promo code {id}"))),
    }
}
