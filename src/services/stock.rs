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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The login now reads `credential`; `told` customers holding it get it.
    Rotated {
        plan_id: i32,
        plan_name: String,
        told: u64,
    },
    /// It reads that already (a repeated message): nobody is told again.
    Unchanged,
    /// Another login of the plan reads that.
    Duplicate,
    UnknownStock,
}

/// A shared account's password changed: the stock item's login becomes `credential`, and every
/// customer whose subscription holds it now gets the new login, once each. Audit-logged
/// (without the login itself).
pub async fn rotate(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    stock_id: i32,
    credential: &str,
    now: DateTime<Utc>,
) -> Result<RotateOutcome, ActError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};

    use crate::entities::subscription::{self, SubscriptionStatus};
    use crate::entities::{plan, user};
    use crate::services::outbox::{self, Notice};
    actor.require(Permission::ManageCatalog)?;
    let txn = db.begin().await?;
    let Some(item) = stock_item::Entity::find_by_id(stock_id).one(&txn).await? else {
        return Ok(RotateOutcome::UnknownStock);
    };
    if item.credential == credential {
        return Ok(RotateOutcome::Unchanged);
    }
    let updated = stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Credential, Expr::value(credential))
        .filter(stock_item::Column::Id.eq(stock_id))
        .filter(stock_item::Column::Credential.eq(item.credential.as_str()))
        .exec(&txn)
        .await;
    match updated {
        Ok(done) if done.rows_affected == 1 => {}
        Ok(_) => return Ok(RotateOutcome::Unchanged),
        Err(err) if crate::services::is_unique_violation(&err) => return Ok(RotateOutcome::Duplicate),
        Err(err) => return Err(err.into()),
    }
    let plan_name = plan::Entity::find_by_id(item.plan_id).one(&txn).await?.map(|p| p.name).unwrap_or_default();
    let holders = subscription::Entity::find()
        .filter(subscription::Column::StockItemId.eq(stock_id))
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::EndsAt.gt(now))
        .all(&txn)
        .await?;
    let mut told = 0;
    for sub in &holders {
        let Some(customer) = user::Entity::find_by_id(sub.user_id).one(&txn).await? else { continue };
        let notice = Notice::LoginChanged {
            plan_name: plan_name.clone(),
            credential: credential.to_owned(),
            ends_at: sub.ends_at,
        };
        outbox::to_user(&txn, &customer, &notice, now).await?;
        told += 1;
    }
    audit::record(
        &txn,
        actor,
        "stock.rotate",
        &format!("stock:{stock_id}"),
        serde_json::json!({ "plan": item.plan_id, "customers_told": told }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(RotateOutcome::Rotated { plan_id: item.plan_id, plan_name, told })
}
