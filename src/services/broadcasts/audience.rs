//! Who an audience is, as one condition on `users`, so counting it and writing its recipients
//! are the same query on both databases.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ActiveEnum, ColumnTrait};

use crate::domain::broadcast::Audience;
use crate::entities::order::{self, OrderStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::user;

/// Users this audience reaches: it, and wanting offers, not blocked, reachable.
pub fn condition(audience: Audience, now: DateTime<Utc>) -> Condition {
    let base = Condition::all()
        .add(user::Column::WantsOffers.eq(true))
        .add(user::Column::IsBlocked.eq(false))
        .add(user::Column::UnreachableAt.is_null());
    match audience {
        Audience::Everyone => base,
        Audience::Active => base.add(Expr::exists(subscriptions(|s| s.and_where(ends_after(now))))),
        Audience::Expired { days } => {
            let since = now - Duration::days(i64::from(days));
            base.add(Expr::exists(subscriptions(|s| {
                s.and_where(Expr::col((Alias::new("s"), subscription::Column::EndsAt)).lte(now))
                    .and_where(Expr::col((Alias::new("s"), subscription::Column::EndsAt)).gt(since))
            })))
            .add(Expr::exists(subscriptions(|s| s.and_where(ends_after(now)))).not())
        }
        Audience::NeverBought => base.add(Expr::exists(paid_orders()).not()),
        Audience::Language(lang) => base.add(user::Column::Language.eq(lang.code())),
    }
}

fn ends_after(now: DateTime<Utc>) -> Expr {
    Expr::col((Alias::new("s"), subscription::Column::EndsAt)).gt(now)
}

/// The user's subscriptions that were not cancelled, narrowed by `filter`.
fn subscriptions(filter: impl FnOnce(&mut SelectStatement) -> &mut SelectStatement) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from_as(subscription::Entity, Alias::new("s"))
        .and_where(Expr::col((Alias::new("s"), subscription::Column::UserId)).equals((user::Entity, user::Column::Id)))
        .and_where(
            Expr::col((Alias::new("s"), subscription::Column::Status)).eq(SubscriptionStatus::Active.to_value()),
        );
    filter(&mut select);
    select
}

fn paid_orders() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from_as(order::Entity, Alias::new("o"))
        .and_where(Expr::col((Alias::new("o"), order::Column::UserId)).equals((user::Entity, user::Column::Id)))
        .and_where(
            Expr::col((Alias::new("o"), order::Column::Status))
                .is_in([OrderStatus::Paid.to_value(), OrderStatus::Refunded.to_value()]),
        )
        .to_owned()
}
