//! Plans: creating them and listing them with what is in stock.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, TransactionTrait, TryInsertResult,
};

use crate::domain::plan_draft::PlanDraft;
use crate::domain::Money;
use crate::domain::Permission;
use crate::entities::plan::{self, RenewalLogin};
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
    let query =
        query.order_by_asc(plan::Column::SortOrder).order_by_asc(plan::Column::Price).order_by_asc(plan::Column::Id);
    with_available(db, query).await
}

pub async fn find_plan(conn: &impl ConnectionTrait, plan_id: i32) -> Result<Option<PlanListing>, DbErr> {
    Ok(with_available(conn, plan::Entity::find_by_id(plan_id)).await?.pop())
}

/// The plans `query` selects, each with its available stock counted in the same statement
/// (the plans list and a plan's page are opened on most chat updates).
async fn with_available(conn: &impl ConnectionTrait, query: Select<plan::Entity>) -> Result<Vec<PlanListing>, DbErr> {
    use sea_orm::sea_query::ExprTrait;
    let available = stock_item::Entity::find()
        .select_only()
        .column_as(stock_item::Column::Id.count(), "n")
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .filter(Expr::col((stock_item::Entity, stock_item::Column::PlanId)).equals((plan::Entity, plan::Column::Id)))
        .into_query();
    let statement = query.column_as(Expr::from(available), AVAILABLE).build(conn.get_database_backend());
    conn.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| {
            let plan = plan::Model::from_query_result(row, "")?;
            let available = u64::try_from(row.try_get::<i64>("", AVAILABLE)?).unwrap_or(0);
            Ok(PlanListing { plan, available })
        })
        .collect()
}

const AVAILABLE: &str = "available_stock";

pub async fn available_stock(conn: &impl ConnectionTrait, plan_id: i32) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    stock_item::Entity::find()
        .filter(stock_item::Column::PlanId.eq(plan_id))
        .filter(stock_item::Column::Status.eq(StockStatus::Available))
        .count(conn)
        .await
}

/// A plan with its stock by state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStock {
    pub plan: plan::Model,
    pub available: u64,
    pub assigned: u64,
    pub retired: u64,
}

async fn stock_counts(conn: &impl ConnectionTrait, plan_ids: &[i32]) -> Result<HashMap<(i32, String), i64>, DbErr> {
    let rows: Vec<(i32, String, i64)> = stock_item::Entity::find()
        .select_only()
        .column(stock_item::Column::PlanId)
        .column(stock_item::Column::Status)
        .column_as(stock_item::Column::Id.count(), "n")
        .filter(stock_item::Column::PlanId.is_in(plan_ids.iter().copied()))
        .group_by(stock_item::Column::PlanId)
        .group_by(stock_item::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(plan, status, n)| ((plan, status), n)).collect())
}

fn with_counts(plans: Vec<plan::Model>, counts: &HashMap<(i32, String), i64>) -> Vec<PlanStock> {
    let count = |plan: i32, status: StockStatus| {
        counts.get(&(plan, sea_orm::ActiveEnum::to_value(&status))).copied().unwrap_or(0).max(0) as u64
    };
    plans
        .into_iter()
        .map(|plan| PlanStock {
            available: count(plan.id, StockStatus::Available),
            assigned: count(plan.id, StockStatus::Assigned),
            retired: count(plan.id, StockStatus::Retired),
            plan,
        })
        .collect()
}

/// Plans newest first with their stock, for staff (Permission::View).
pub async fn plans(
    db: &DatabaseConnection,
    actor: &Actor,
    active: Option<bool>,
    request: crate::services::page::PageRequest,
) -> Result<crate::services::page::Page<PlanStock>, ActError> {
    actor.require(Permission::View)?;
    let mut select = plan::Entity::find();
    if let Some(active) = active {
        select = select.filter(plan::Column::IsActive.eq(active));
    }
    let found = crate::services::page::fetch(db, select, plan::Column::Id, request, |p| p.id).await?;
    let ids: Vec<i32> = found.items.iter().map(|p| p.id).collect();
    let counts = stock_counts(db, &ids).await?;
    Ok(crate::services::page::Page { items: with_counts(found.items, &counts), next: found.next })
}

pub async fn plan(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<PlanStock>, ActError> {
    actor.require(Permission::View)?;
    let Some(found) = plan::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let counts = stock_counts(db, &[id]).await?;
    Ok(with_counts(vec![found], &counts).pop())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    Updated(plan::Model),
    UnknownPlan,
    /// The field at fault and why.
    Invalid(&'static str, crate::domain::plan_draft::PlanDraftError),
}

/// Changes a plan's name, description, price, cost, days, visibility, order or what renewing
/// does to logins; audited with
/// what changed. Orders already open keep the price they were opened at.
pub async fn update_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    changes: crate::domain::plan_draft::PlanChanges,
    now: DateTime<Utc>,
) -> Result<UpdateOutcome, ActError> {
    actor.require(Permission::ManageCatalog)?;
    let changes = match changes.validated() {
        Ok(changes) => changes,
        Err((field, err)) => return Ok(UpdateOutcome::Invalid(field, err)),
    };
    let txn = db.begin().await?;
    let Some(found) = plan::Entity::find_by_id(id).one(&txn).await? else { return Ok(UpdateOutcome::UnknownPlan) };
    let mut active: plan::ActiveModel = found.into();
    let mut changed = serde_json::Map::new();
    if let Some(name) = changes.name {
        changed.insert("name".into(), name.clone().into());
        active.name = Set(name);
    }
    if let Some(description) = changes.description {
        changed.insert("description".into(), description.clone().into());
        active.description = Set(description);
    }
    if let Some(price) = changes.price {
        changed.insert("price_paise".into(), price.paise().into());
        active.price = Set(price.paise());
    }
    if let Some(cost) = changes.cost {
        changed.insert("cost_paise".into(), cost.paise().into());
        active.cost = Set(cost.paise());
    }
    if let Some(days) = changes.duration_days {
        changed.insert("days".into(), days.into());
        active.duration_days = Set(days);
    }
    if let Some(is_active) = changes.active {
        changed.insert("active".into(), is_active.into());
        active.is_active = Set(is_active);
    }
    if let Some(order) = changes.sort_order {
        changed.insert("sort_order".into(), order.into());
        active.sort_order = Set(order);
    }
    if let Some(keeps) = changes.keeps_login {
        changed.insert("keeps_login".into(), keeps.into());
        active.renewal_login = Set(if keeps { RenewalLogin::Keep } else { RenewalLogin::Replace });
    }
    let updated = active.update(&txn).await?;
    audit::record(&txn, actor, "plan.update", &format!("plan:{id}"), serde_json::Value::Object(changed), now).await?;
    txn.commit().await?;
    Ok(UpdateOutcome::Updated(updated))
}
