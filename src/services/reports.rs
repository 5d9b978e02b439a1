//! The shop's figures for a period and the daily series behind the chart. Reading only, for
//! admins and owners (`Permission::ViewReports`); chat (/stats), the HTTP API and the
//! dashboard all call these. Sums and counts are computed by the database (a handful of
//! aggregate queries over indexed columns), so a report costs the same with ten orders or a
//! million.
//!
//! Definitions, all by IST day boundaries and up to `now`:
//! - orders, revenue, cost: orders whose status is still `paid`, by `paid_at` (a refunded
//!   order no longer counts; it is in `refunds`, by the time it was refunded);
//! - profit = revenue - cost;
//! - paying users: distinct buyers of those orders; new users: sign-ups by `created_at`;
//! - commissions and withdrawals: by their `created_at` (earned, requested), per status;
//! - stock: what is available now for each active plan (not period-dependent).
use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::domain::report::{ist_date, ist_midnight, DayPoint, Period, MAX_DAYS};
use crate::domain::{Money, Permission};
use crate::entities::commission::{self, CommissionStatus};
use crate::entities::order::{self, OrderStatus};
use crate::entities::user;
use crate::entities::withdrawal::{self, WithdrawalStatus};
use crate::services::actor::{ActError, Actor};
use crate::services::catalog;

/// How many, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub count: u64,
    pub amount: Money,
}

/// Stock of one active plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStock {
    pub plan_id: i32,
    pub name: String,
    pub available: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub period: Period,
    /// Midnight IST of the period's first day; None for all time.
    pub from: Option<DateTime<Utc>>,
    /// The `now` the figures were taken at (included).
    pub to: DateTime<Utc>,
    pub new_users: u64,
    pub paying_users: u64,
    /// Paid orders.
    pub orders: u64,
    pub revenue: Money,
    pub cost: Money,
    pub profit: Money,
    /// Orders refunded in the period (by refund time), at their price; not in `revenue`.
    pub refunds: Tally,
    /// Every status, in `CommissionStatus` order, zeros included.
    pub commissions: Vec<(CommissionStatus, Tally)>,
    /// Every status, in `WithdrawalStatus` order, zeros included.
    pub withdrawals: Vec<(WithdrawalStatus, Tally)>,
    /// Active plans in display order.
    pub stock: Vec<PlanStock>,
}

/// `CAST(COALESCE(SUM(column), 0) AS BIGINT)`: PostgreSQL sums BIGINT as NUMERIC.
fn sum_paise(column: &str) -> SimpleExpr {
    Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

fn count_all() -> SimpleExpr {
    Expr::cust("COUNT(*)")
}

fn count_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn tally_of<S: PartialEq>(rows: &[(S, Tally)], status: S) -> Tally {
    rows.iter().find(|(s, _)| *s == status).map(|(_, t)| *t).unwrap_or_default()
}

/// `column` in [start, now]; no lower bound for all time.
fn within<C: ColumnTrait>(column: C, start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> sea_orm::Condition {
    let mut condition = sea_orm::Condition::all().add(column.lte(now));
    if let Some(start) = start {
        condition = condition.add(column.gte(start));
    }
    condition
}

pub async fn stats(
    db: &DatabaseConnection,
    actor: &Actor,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Stats, ActError> {
    actor.require(Permission::ViewReports)?;
    let start = period.start(now);

    let new_users = user::Entity::find().filter(within(user::Column::CreatedAt, start, now)).count(db).await?;

    let (orders, paying_users, revenue, cost) = order::Entity::find()
        .select_only()
        .column_as(count_all(), "orders")
        .column_as(Expr::cust("COUNT(DISTINCT user_id)"), "buyers")
        .column_as(sum_paise("price"), "revenue")
        .column_as(sum_paise("cost"), "cost")
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .filter(within(order::Column::PaidAt, start, now))
        .into_tuple::<(i64, i64, i64, i64)>()
        .one(db)
        .await?
        .unwrap_or_default();

    let (refunded, refunded_paise) = order::Entity::find()
        .select_only()
        .column_as(count_all(), "refunds")
        .column_as(sum_paise("price"), "amount")
        .filter(order::Column::Status.eq(OrderStatus::Refunded))
        .filter(within(order::Column::UpdatedAt, start, now))
        .into_tuple::<(i64, i64)>()
        .one(db)
        .await?
        .unwrap_or_default();

    let commission_rows: Vec<(CommissionStatus, Tally)> = commission::Entity::find()
        .select_only()
        .column(commission::Column::Status)
        .column_as(count_all(), "n")
        .column_as(sum_paise("amount"), "amount")
        .filter(within(commission::Column::CreatedAt, start, now))
        .group_by(commission::Column::Status)
        .into_tuple::<(CommissionStatus, i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(status, n, paise)| (status, Tally { count: count_u64(n), amount: Money::from_paise(paise) }))
        .collect();
    let commissions = CommissionStatus::iter().map(|s| (s, tally_of(&commission_rows, s))).collect();

    let withdrawal_rows: Vec<(WithdrawalStatus, Tally)> = withdrawal::Entity::find()
        .select_only()
        .column(withdrawal::Column::Status)
        .column_as(count_all(), "n")
        .column_as(sum_paise("amount"), "amount")
        .filter(within(withdrawal::Column::CreatedAt, start, now))
        .group_by(withdrawal::Column::Status)
        .into_tuple::<(WithdrawalStatus, i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(status, n, paise)| (status, Tally { count: count_u64(n), amount: Money::from_paise(paise) }))
        .collect();
    let withdrawals = WithdrawalStatus::iter().map(|s| (s, tally_of(&withdrawal_rows, s))).collect();

    let stock = catalog::list_plans(db, true)
        .await?
        .into_iter()
        .map(|listing| PlanStock { plan_id: listing.plan.id, name: listing.plan.name, available: listing.available })
        .collect();

    let (revenue, cost) = (Money::from_paise(revenue), Money::from_paise(cost));
    Ok(Stats {
        period,
        from: start,
        to: now,
        new_users,
        paying_users: count_u64(paying_users),
        orders: count_u64(orders),
        revenue,
        cost,
        profit: Money::from_paise(revenue.paise() - cost.paise()),
        refunds: Tally { count: count_u64(refunded), amount: Money::from_paise(refunded_paise) },
        commissions,
        withdrawals,
        stock,
    })
}

/// The IST day of `paid_at` as `YYYY-MM-DD` text, in each backend's dialect.
fn paid_day(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(paid_at AT TIME ZONE 'UTC' + INTERVAL '330 minutes', 'YYYY-MM-DD')",
        // SQLite stores timestamps as RFC 3339 text, which its date functions read.
        _ => "date(paid_at, '+330 minutes')",
    }
}

/// Revenue and paid orders for each of the last `days` IST days, today included, oldest
/// first; days without sales are zeros. `days` is taken between 1 and `MAX_DAYS`.
pub async fn daily(
    db: &DatabaseConnection,
    actor: &Actor,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<DayPoint>, ActError> {
    actor.require(Permission::ViewReports)?;
    let days = days.clamp(1, MAX_DAYS);
    let today = ist_date(now);
    let first = today.checked_sub_days(Days::new(u64::from(days) - 1)).unwrap_or(today);
    let day = paid_day(db.get_database_backend());
    let rows: HashMap<NaiveDate, (i64, i64)> = order::Entity::find()
        .select_only()
        .column_as(Expr::cust(day), "day")
        .column_as(count_all(), "orders")
        .column_as(sum_paise("price"), "revenue")
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .filter(within(order::Column::PaidAt, Some(ist_midnight(first)), now))
        .group_by(Expr::cust(day))
        .into_tuple::<(String, i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(day, orders, paise)| Some((NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok()?, (orders, paise))))
        .collect();
    Ok(first
        .iter_days()
        .take(days as usize)
        .map(|date| {
            let (orders, paise) = rows.get(&date).copied().unwrap_or_default();
            DayPoint { date, revenue: Money::from_paise(paise), orders: count_u64(orders) }
        })
        .collect())
}
