//! `/staff`: the team and their roles; owners give and take admin and support.
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Body, Caller, Id};
use super::parse;
use super::users::User;
use crate::entities::user::Role;
use crate::http::problem::Problem;
use crate::http::HttpState;
use crate::services::staff::{self, RoleChange};

pub fn routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(set_role))
}

/// Everyone with a staff role, owners first.
#[utoipa::path(get, path = "/staff", tag = "staff", responses((status = 200, body = Vec<User>)))]
async fn list(State(state): State<HttpState>, Caller(actor): Caller) -> Result<Json<Vec<User>>, Problem> {
    Ok(Json(staff::list(&state.db, &actor).await?.iter().map(User::from).collect()))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RoleWrite {
    /// admin, support, or user to take the role away. Owners come from ADMIN_IDS.
    pub role: String,
}

/// Gives or takes a staff role (owners only); the person is told and it is audited.
#[utoipa::path(
    put,
    path = "/staff/{telegram_id}",
    tag = "staff",
    params(("telegram_id" = i64, Path)),
    request_body = RoleWrite,
    responses((status = 200, body = User))
)]
async fn set_role(
    State(state): State<HttpState>,
    Caller(actor): Caller,
    Id(telegram_id): Id<i64>,
    Body(body): Body<RoleWrite>,
) -> Result<Json<User>, Problem> {
    let role: Role = parse("role", &body.role)?;
    if role == Role::Owner {
        return Err(Problem::invalid("role", "owners are set by ADMIN_IDS"));
    }
    match staff::set_role(&state.db, &actor, telegram_id, role, Utc::now()).await? {
        RoleChange::Changed { user, .. } => {
            state.outbox_wake.notify_one();
            Ok(Json(User::from(user.as_ref())))
        }
        RoleChange::Unchanged(user) => Ok(Json(User::from(user.as_ref()))),
        RoleChange::OwnerFixed(_) => Err(Problem::conflict("owner-fixed", "owners are set by ADMIN_IDS")),
        RoleChange::UnknownUser => {
            Err(Problem::not_found(format!("nobody with Telegram id {telegram_id} has started the bot")))
        }
    }
}
