//! Runtime-editable settings (key/value), read with a typed default.
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::entities::setting;

/// The stored value parsed as `T`, or `default` when unset or unparsable.
pub async fn get_or<T: FromStr>(conn: &impl ConnectionTrait, key: &str, default: T) -> Result<T, DbErr> {
    let row = setting::Entity::find_by_id(key.to_owned()).one(conn).await?;
    Ok(row.and_then(|r| r.value.parse().ok()).unwrap_or(default))
}

pub async fn set(conn: &impl ConnectionTrait, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
