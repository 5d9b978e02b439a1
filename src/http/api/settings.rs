//! `/settings`: the runtime settings (rates, hold, limits); a write is validated and audited.
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id};
use crate::domain::setting::SettingKey;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::settings;

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(write))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Setting {
    /// e.g. `referral.l1_rate`
    pub key: String,
    /// As stored: `30` (percent), `24` (hours), `500.00` (rupees).
    pub value: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SettingWrite {
    pub value: String,
}

/// Every setting with its current value.
#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = Vec<Setting>)))]
async fn list(State(state): State<HttpState>, Caller(actor): Caller) -> Result<Json<Vec<Setting>>, Problem> {
    let all = settings::list(&state.db, &actor).await?;
    Ok(Json(all.into_iter().map(|(key, value)| Setting { key: key.key().to_owned(), value }).collect()))
}

/// Changes one setting; the value is checked (a percentage, whole hours, rupees…).
#[utoipa::path(
    put,
    path = "/settings/{key}",
    tag = "settings",
    params(("key" = String, Path, description = "e.g. referral.l1_rate")),
    request_body = SettingWrite,
    responses((status = 200, body = Setting))
)]
async fn write(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(key): Id<String>,
    Body(body): Body<SettingWrite>,
) -> Result<Json<Setting>, Problem> {
    let key = key.parse::<SettingKey>().map_err(|_| Problem::not_found(format!("no setting {key:?}")))?;
    match settings::change(&state.db, &actor, key, &body.value, Utc::now()).await? {
        Ok(value) => Ok(Json(Setting { key: key.key().to_owned(), value })),
        Err(err) => Err(Problem::invalid("value", err.to_string())),
    }
}
