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
