//! Plans: creating them and listing them with what is in stock.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait, TryInsertResult,
};

use crate::domain::plan_draft::PlanDraft;
use crate::domain::Money;
use crate::domain::Permission;
use crate::entities::plan;
use crate::entities::stock_item::{self, StockStatus};
use crate::services::actor::{ActError, Actor};
use crate::services::audit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanListing {
    pub plan: plan::Model,
    pub available: u64,
}

impl PlanListing {
    pub fn price(&self) -> Money {
        Money::from_paise(self.plan.price)
    }
    pub fn in_stock(&self) -> bool {
        self.available > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPlan {
    pub plan: plan::Model,
    /// False when `source_key` had created it before (a replayed admin message).
    pub created: bool,
}

/// Creates a plan once per `source_key` (the admin's message), audit-logged.
pub async fn create_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    draft: &PlanDraft,
    source_key: &str,
    now: DateTime<Utc>,
) -> Result<CreatedPlan, ActError> {
    actor.require(Permission::ManageCatalog)?;
    let txn = db.begin().await?;
    let inserted = plan::Entity::insert(plan::ActiveModel {
        name: Set(draft.name.clone()),
        description: Set(String::new()),
        price: Set(draft.price.paise()),
        cost: Set(draft.cost.paise()),
        duration_days: Set(draft.duration_days),
        is_active: Set(true),
        sort_order: Set(0),
        source_key: Set(Some(source_key.to_owned())),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([plan::Column::SourceKey])
    .exec_without_returning(&txn)
    .await?;
    let created = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
    let plan = plan::Entity::find()
        .filter(plan::Column::SourceKey.eq(source_key))
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("plan from {source_key}")))?;
    if !created {
        return Ok(CreatedPlan { plan, created });
    }
    audit::record(
        &txn,
        actor,
        "plan.create",
        &format!("plan:{}", plan.id),
        serde_json::json!({
            "name": plan.name, "price_paise": plan.price, "cost_paise": plan.cost, "days": plan.duration_days,
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedPlan { plan, created })
}

/// Sets what the plan includes (platforms, screens, quality). None when there is no such plan.
pub async fn describe_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    plan_id: i32,
    description: &str,
    now: DateTime<Utc>,
) -> Result<Option<plan::Model>, ActError> {
    actor.require(Permission::ManageCatalog)?;
    let txn = db.begin().await?;
    let Some(plan) = plan::Entity::find_by_id(plan_id).one(&txn).await? else {
        return Ok(None);
    };
    let mut active: plan::ActiveModel = plan.into();
    active.description = Set(description.to_owned());
    let plan = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "plan.describe",
        &format!("plan:{plan_id}"),
        serde_json::json!({ "description": description }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(plan))
}

/// Plans in display order, with their available stock. `only_active` hides retired plans.
pub async fn list_plans(db: &DatabaseConnection, only_active: bool) -> Result<Vec<PlanListing>, DbErr> {
    let mut query = plan::Entity::find();
    if only_active {
        query = query.filter(plan::Column::IsActive.eq(true));
    }
    let plans = query
        .order_by_asc(plan::Column::SortOrder)
        .order_by_asc(plan::Column::Price)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?;
    let counts: HashMap<i32, i64> = stock_item::Entity::find()
        .select_only()
        .column(stock_item::Column::PlanId)
        .column_as(stock_item::Column::Id.count(), "available")
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .group_by(stock_item::Column::PlanId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(plans
        .into_iter()
        .map(|plan| {
            let available = counts.get(&plan.id).copied().unwrap_or(0).max(0) as u64;
            PlanListing { plan, available }
        })
        .collect())
}

pub async fn find_plan(conn: &impl ConnectionTrait, plan_id: i32) -> Result<Option<PlanListing>, DbErr> {
    let Some(plan) = plan::Entity::find_by_id(plan_id).one(conn).await? else {
        return Ok(None);
    };
    let available = available_stock(conn, plan_id).await?;
    Ok(Some(PlanListing { plan, available }))
}

pub async fn available_stock(conn: &impl ConnectionTrait, plan_id: i32) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    stock_item::Entity::find()
        .filter(stock_item::Column::PlanId.eq(plan_id))
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .count(conn)
        .await
}
