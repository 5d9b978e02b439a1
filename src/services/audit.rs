//! The admin audit log: written inside the transaction of the act it records.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::entities::audit_log;
use crate::services::actor::Actor;

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        actor_telegram_id: Set(actor.telegram_id),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        details: Set(details.to_string()),
        created_at: Set(now),
        via: Set(Some(actor.via.label())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The audit log, newest first (Permission::View).
pub async fn list(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    request: crate::services::page::PageRequest,
) -> Result<crate::services::page::Page<audit_log::Model>, crate::services::ActError> {
    use sea_orm::EntityTrait;
    actor.require(crate::domain::Permission::View)?;
    let select = audit_log::Entity::find();
    Ok(crate::services::page::fetch(db, select, audit_log::Column::Id, request, |row| row.id).await?)
}
