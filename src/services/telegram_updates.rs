//! Webhook updates handled once across instances and Telegram's retries: an insert claims an
//! update (its primary key decides between two instances), a lease that ran out (the instance
//! died mid-update) is taken over by a conditional update, and a handled one is a no-op.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, TryInsertResult};

use crate::entities::telegram_update;

/// How long a claim holds before another instance may take the update over.
pub const LEASE: Duration = Duration::seconds(30);
/// How long handled update ids are kept (Telegram gives up retrying well before).
pub const KEEP: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours to handle now.
    Mine,
    /// Handled before: answer and do nothing.
    Done,
    /// Another instance is handling it right now: ask Telegram to retry.
    Busy,
}

pub async fn claim(db: &DatabaseConnection, update_id: i64, now: DateTime<Utc>) -> Result<Claim, DbErr> {
    let inserted = telegram_update::Entity::insert(telegram_update::ActiveModel {
        update_id: Set(update_id),
        lease_until: Set(now + LEASE),
        handled_at: Set(None),
        received_at: Set(now),
    })
    .on_conflict_do_nothing_on([telegram_update::Column::UpdateId])
    .exec_without_returning(db)
    .await?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Claim::Mine);
    }
    let taken_over = telegram_update::Entity::update_many()
        .col_expr(telegram_update::Column::LeaseUntil, Expr::value(now + LEASE))
        .filter(telegram_update::Column::UpdateId.eq(update_id))
        .filter(telegram_update::Column::HandledAt.is_null())
        .filter(telegram_update::Column::LeaseUntil.lt(now))
        .exec(db)
        .await?;
    if taken_over.rows_affected == 1 {
        return Ok(Claim::Mine);
    }
    let row = telegram_update::Entity::find_by_id(update_id).one(db).await?;
    Ok(match row {
        Some(row) if row.handled_at.is_some() => Claim::Done,
        _ => Claim::Busy,
    })
}

pub async fn finish(db: &DatabaseConnection, update_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    telegram_update::Entity::update_many()
        .col_expr(telegram_update::Column::HandledAt, Expr::value(now))
        .filter(telegram_update::Column::UpdateId.eq(update_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets update ids received before `KEEP` ago. Safe to run anywhere, any number of times.
pub async fn forget_old(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let gone = telegram_update::Entity::delete_many()
        .filter(telegram_update::Column::ReceivedAt.lt(now - KEEP))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}
