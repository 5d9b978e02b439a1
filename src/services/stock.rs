//! Adding OTT credentials to a plan's stock.
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait, TryInsertResult};

use crate::domain::credentials::CredentialBatch;
use crate::domain::Permission;
use crate::entities::stock_item::{self, StockStatus};
use crate::services::actor::{ActError, Actor};
use crate::services::{audit, catalog};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddStockOutcome {
    Added {
        plan_name: String,
        added: u64,
        /// Repeated in the upload or already in this plan's stock.
        duplicates: u64,
        too_long: u64,
        available: u64,
    },
    UnknownPlan,
}

/// Rows per INSERT: far below SQLite's bound-parameter limit.
const CHUNK: usize = 200;

pub async fn add_stock(
    db: &DatabaseConnection,
    actor: &Actor,
    plan_id: i32,
    batch: &CredentialBatch,
    now: DateTime<Utc>,
) -> Result<AddStockOutcome, ActError> {
    actor.require(Permission::ManageCatalog)?;
    let txn = db.begin().await?;
    let Some(listing) = catalog::find_plan(&txn, plan_id).await? else {
        return Ok(AddStockOutcome::UnknownPlan);
    };
    let mut added = 0u64;
    for chunk in batch.credentials.chunks(CHUNK) {
        let rows = chunk.iter().map(|credential| stock_item::ActiveModel {
            plan_id: Set(plan_id),
            credential: Set(credential.clone()),
            status: Set(StockStatus::Available),
            order_id: Set(None),
            created_at: Set(now),
            assigned_at: Set(None),
            ..Default::default()
        });
        let result = stock_item::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([stock_item::Column::PlanId, stock_item::Column::Credential])
            .exec_without_returning(&txn)
            .await?;
        if let TryInsertResult::Inserted(n) = result {
            added += n;
        }
    }
    let duplicates = batch.duplicates_in_upload as u64 + (batch.credentials.len() as u64 - added);
    let available = catalog::available_stock(&txn, plan_id).await?;
    audit::record(
        &txn,
        actor,
        "stock.add",
        &format!("plan:{plan_id}"),
        serde_json::json!({ "added": added, "duplicates": duplicates, "too_long": batch.too_long }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(AddStockOutcome::Added {
        plan_name: listing.plan.name,
        added,
        duplicates,
        too_long: batch.too_long as u64,
        available,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetireOutcome {
    Retired(stock_item::Model),
    /// Sold or retired already: a sold login belongs to its subscription.
    NotAvailable(StockStatus),
    UnknownStock,
}

/// Takes an available login out of sale (it stopped working, it was entered wrongly). Once.
pub async fn retire(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    plan_id: i32,
    stock_id: i32,
    now: DateTime<Utc>,
) -> Result<RetireOutcome, ActError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    actor.require(Permission::ManageCatalog)?;
    let txn = db.begin().await?;
    let Some(item) = stock_item::Entity::find_by_id(stock_id).one(&txn).await?.filter(|s| s.plan_id == plan_id) else {
        return Ok(RetireOutcome::UnknownStock);
    };
    let updated = stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Retired))
        .filter(stock_item::Column::Id.eq(stock_id))
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(RetireOutcome::NotAvailable(item.status));
    }
    audit::record(
        &txn,
        actor,
        "stock.retire",
        &format!("stock:{stock_id}"),
        serde_json::json!({ "plan": plan_id }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(RetireOutcome::Retired(stock_item::Model { status: StockStatus::Retired, ..item }))
}

/// A plan's logins, newest first, with the credential (Permission::ManageCatalog: they are secrets).
pub async fn list(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    plan_id: i32,
    status: Option<StockStatus>,
    request: crate::services::page::PageRequest,
) -> Result<crate::services::page::Page<stock_item::Model>, ActError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    actor.require(Permission::ManageCatalog)?;
    let mut select = stock_item::Entity::find().filter(stock_item::Column::PlanId.eq(plan_id));
    if let Some(status) = status {
        select = select.filter(stock_item::Column::Status.eq(status));
    }
    Ok(crate::services::page::fetch(db, select, stock_item::Column::Id, request, |s| s.id).await?)
}
