//! Leases by name: one instance holds a piece of work at a time. Taking one is an insert (the
//! name is the key) or a conditional update that only the holder, or anyone once it has run
//! out, can make; so two instances never both hold it.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, TryInsertResult};

use crate::entities::lease;

/// Takes or renews `name` for `holder` until `now + ttl`; false when another holds it.
pub async fn hold(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        until: Set(now + ttl),
    })
    .on_conflict_do_nothing_on([lease::Column::Name])
    .exec_without_returning(db)
    .await?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(true);
    }
    let taken = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder.to_owned()))
        .col_expr(lease::Column::Until, Expr::value(now + ttl))
        .filter(lease::Column::Name.eq(name))
        .filter(Condition::any().add(lease::Column::Holder.eq(holder)).add(lease::Column::Until.lt(now)))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Gives `name` up at once, if `holder` has it (a clean stop: another instance takes over
/// without waiting for it to run out).
pub async fn release(db: &DatabaseConnection, name: &str, holder: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    lease::Entity::update_many()
        .col_expr(lease::Column::Until, Expr::value(now - Duration::seconds(1)))
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}
