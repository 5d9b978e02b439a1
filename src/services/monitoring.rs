//! What the metrics endpoint reads from the database when scraped: the outbox's backlog,
//! the stock of each plan on sale, sales so far, and the broadcast under way.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::domain::broadcast::Progress;
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::entities::order::{self, OrderStatus};
use crate::services::{broadcasts, catalog, outbox};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub outbox_depth: u64,
    pub outbox_oldest_age: Option<Duration>,
    /// Orders paid and not refunded, their prices and their profit (price less cost), paise.
    pub paid_orders: u64,
    pub revenue_paise: i64,
    pub profit_paise: i64,
    /// (plan name, logins available) of each plan on sale.
    pub stock: Vec<(String, u64)>,
    /// How far the broadcast running (or paused) now has got.
    pub broadcast: Option<Progress>,
    /// Broadcasts waiting for their turn.
    pub broadcasts_queued: u64,
}

#[derive(FromQueryResult)]
struct Sums {
    revenue: Option<i64>,
    cost: Option<i64>,
}

/// `report_stock`: this instance holds the stock-reporting lease (every instance sees the
/// same stock, and one series per plan is what a dashboard sums).
pub async fn snapshot(db: &DatabaseConnection, report_stock: bool, now: DateTime<Utc>) -> Result<Snapshot, DbErr> {
    let (outbox_depth, oldest) = outbox::depth(db).await?;
    let paid = order::Entity::find().filter(order::Column::Status.eq(OrderStatus::Paid));
    let paid_orders = paid.clone().count(db).await?;
    // PostgreSQL sums BIGINT as NUMERIC: cast back.
    let sums = paid
        .select_only()
        .column_as(Expr::cust("CAST(COALESCE(SUM(price), 0) AS BIGINT)"), "revenue")
        .column_as(Expr::cust("CAST(COALESCE(SUM(cost), 0) AS BIGINT)"), "cost")
        .into_model::<Sums>()
        .one(db)
        .await?;
    let (revenue, cost) = sums.map_or((0, 0), |s| (s.revenue.unwrap_or(0), s.cost.unwrap_or(0)));
    let stock = if report_stock {
        catalog::list_plans(db, true).await?.into_iter().map(|l| (l.plan.name, l.available)).collect()
    } else {
        Vec::new()
    };
    let on = broadcast::Entity::find()
        .filter(broadcast::Column::Status.is_in([BroadcastStatus::Running, BroadcastStatus::Paused]))
        .one(db)
        .await?;
    let broadcast = match on {
        Some(row) => Some(broadcasts::progress(db, &row).await?),
        None => None,
    };
    let broadcasts_queued =
        broadcast::Entity::find().filter(broadcast::Column::Status.eq(BroadcastStatus::Queued)).count(db).await?;
    Ok(Snapshot {
        broadcast,
        broadcasts_queued,
        outbox_depth,
        outbox_oldest_age: oldest.map(|at| now - at),
        paid_orders,
        revenue_paise: revenue,
        profit_paise: revenue - cost,
        stock,
    })
}
