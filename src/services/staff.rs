//! The shop's staff: owners (from `ADMIN_IDS`) grant and revoke the admin and support roles.
//! Roles live in `users.role`, the single source of truth; every change is audit-logged and
//! the person is told through the outbox.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

use crate::domain::permission;
use crate::domain::Permission;
use crate::entities::user::{self, Role};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::{audit, users};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Changed {
        user: Box<user::Model>,
        from: Role,
    },
    /// The person already has that role.
    Unchanged(Box<user::Model>),
    /// Owners come from `ADMIN_IDS`; /staff neither makes nor unmakes them.
    OwnerFixed(Box<user::Model>),
    /// Nobody with this Telegram id has written to the bot yet.
    UnknownUser,
}

/// Gives `target_telegram_id` the role `to` (admin, support, or user to revoke).
pub async fn set_role(
    db: &DatabaseConnection,
    actor: &Actor,
    target_telegram_id: i64,
    to: Role,
    now: DateTime<Utc>,
) -> Result<RoleChange, ActError> {
    actor.require(Permission::ManageStaff)?;
    if !permission::grantable(to) {
        return Err(ActError::Forbidden { role: actor.role, permission: Permission::ManageStaff });
    }
    let txn = db.begin().await?;
    let Some(target) = users::find_by_telegram_id(&txn, target_telegram_id).await? else {
        return Ok(RoleChange::UnknownUser);
    };
    if target.role == Role::Owner {
        return Ok(RoleChange::OwnerFixed(Box::new(target)));
    }
    if target.role == to {
        return Ok(RoleChange::Unchanged(Box::new(target)));
    }
    let from = target.role;
    // Two owners at once: the first changes it, the second finds the role moved and stops.
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(to.to_value()))
        .filter(user::Column::Id.eq(target.id))
        .filter(user::Column::Role.eq(from))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        drop(txn);
        let now_is = users::find_by_telegram_id(db, target_telegram_id).await?;
        return Ok(now_is.map_or(RoleChange::UnknownUser, |u| RoleChange::Unchanged(Box::new(u))));
    }
    let user = user::Model { role: to, ..target };
    let action = if permission::is_staff(to) { "staff.grant" } else { "staff.revoke" };
    let details = serde_json::json!({ "from": from.to_value(), "to": to.to_value() });
    audit::record(&txn, actor, action, &format!("user:{}", user.telegram_id), details, now).await?;
    outbox::to_user(&txn, &user, &Notice::RoleChanged { role: to.to_value() }, now).await?;
    txn.commit().await?;
    Ok(RoleChange::Changed { user: Box::new(user), from })
}

/// Everyone with a staff role, owners first.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<user::Model>, ActError> {
    actor.require(Permission::View)?;
    let staff = user::Entity::find()
        .filter(user::Column::Role.is_in([Role::Owner, Role::Admin, Role::Support]))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let rank = |role: Role| match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Support => 2,
        Role::User => 3,
    };
    let mut staff = staff;
    staff.sort_by_key(|u| (rank(u.role), u.id));
    Ok(staff)
}
