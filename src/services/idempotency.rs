//! `Idempotency-Key` for API POSTs: the first request with a key runs and its answer is kept;
//! a repeat (even one arriving while the first still runs) gets that answer and moves nothing.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::idempotency_key;
use crate::services::is_unique_violation;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request is the first: run it, then `finish(id, …)`.
    First(i32),
    /// Answered before.
    Done { status: u16, body: String },
    /// The first request with this key is still running.
    Running,
    /// The key was used for a different request.
    Mismatch,
}

pub async fn claim(
    db: &DatabaseConnection,
    token_id: i32,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let inserted = idempotency_key::ActiveModel {
        token_id: Set(token_id),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status: Set(None),
        body: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => return Ok(Claim::First(row.id)),
        Err(err) if is_unique_violation(&err) => {}
        Err(err) => return Err(err),
    }
    let existing = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::TokenId.eq(token_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(match existing {
        None => Claim::Running,
        Some(row) if row.fingerprint != fingerprint => Claim::Mismatch,
        Some(idempotency_key::Model { status: Some(status), body, .. }) => {
            Claim::Done { status: u16::try_from(status).unwrap_or(500), body: body.unwrap_or_default() }
        }
        Some(_) => Claim::Running,
    })
}

/// Keeps the answer of the first request.
pub async fn finish(db: &DatabaseConnection, id: i32, status: u16, body: &str) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Status, Expr::value(i32::from(status)))
        .col_expr(idempotency_key::Column::Body, Expr::value(body.to_owned()))
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The first request failed on our side: the key is free for a retry.
pub async fn release(db: &DatabaseConnection, id: i32) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
