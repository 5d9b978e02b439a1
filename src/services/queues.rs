//! What waits for staff, and its history: UPI claims, withdrawals and fraud flags, listed a
//! page at a time (newest first) or one by one. Reading only (Permission::View).
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::Permission;
use crate::entities::fraud_flag::{self, FlagStatus};
use crate::entities::upi_claim::{self, ClaimStatus};
use crate::entities::withdrawal::{self, WithdrawalStatus};
use crate::entities::{payment, user};
use crate::services::actor::{ActError, Actor};
use crate::services::page::{self, Page, PageRequest};

pub type Claim = (upi_claim::Model, payment::Model, user::Model);

async fn claim_row(db: &DatabaseConnection, claim: upi_claim::Model) -> Result<Option<Claim>, ActError> {
    let payment = payment::Entity::find_by_id(claim.payment_id).one(db).await?;
    let customer = user::Entity::find_by_id(claim.user_id).one(db).await?;
    Ok(payment.zip(customer).map(|(p, c)| (claim, p, c)))
}

pub async fn claims(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<ClaimStatus>,
    request: PageRequest,
) -> Result<Page<Claim>, ActError> {
    actor.require(Permission::View)?;
    let mut select = upi_claim::Entity::find();
    if let Some(status) = status {
        select = select.filter(upi_claim::Column::Status.eq(status));
    }
    let found = page::fetch(db, select, upi_claim::Column::Id, request, |c| c.id).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for claim in found.items {
        items.extend(claim_row(db, claim).await?);
    }
    Ok(Page { items, next: found.next })
}

pub async fn claim(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<Claim>, ActError> {
    actor.require(Permission::View)?;
    match upi_claim::Entity::find_by_id(id).one(db).await? {
        Some(claim) => claim_row(db, claim).await,
        None => Ok(None),
    }
}

pub type Withdrawal = (withdrawal::Model, user::Model);

pub async fn withdrawals(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<WithdrawalStatus>,
    request: PageRequest,
) -> Result<Page<Withdrawal>, ActError> {
    actor.require(Permission::View)?;
    let mut select = withdrawal::Entity::find();
    if let Some(status) = status {
        select = select.filter(withdrawal::Column::Status.eq(status));
    }
    let found = page::fetch(db, select, withdrawal::Column::Id, request, |w| w.id).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for w in found.items {
        if let Some(customer) = user::Entity::find_by_id(w.user_id).one(db).await? {
            items.push((w, customer));
        }
    }
    Ok(Page { items, next: found.next })
}

pub async fn withdrawal(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<Withdrawal>, ActError> {
    actor.require(Permission::View)?;
    let Some(w) = withdrawal::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    Ok(user::Entity::find_by_id(w.user_id).one(db).await?.map(|u| (w, u)))
}

pub type Flag = (fraud_flag::Model, Option<user::Model>);

pub async fn flags(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<FlagStatus>,
    request: PageRequest,
) -> Result<Page<Flag>, ActError> {
    actor.require(Permission::View)?;
    let mut select = fraud_flag::Entity::find();
    if let Some(status) = status {
        select = select.filter(fraud_flag::Column::Status.eq(status));
    }
    let found = page::fetch(db, select, fraud_flag::Column::Id, request, |f| f.id).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for flag in found.items {
        let owner = user::Entity::find_by_id(flag.user_id).one(db).await?;
        items.push((flag, owner));
    }
    Ok(Page { items, next: found.next })
}

pub async fn flag(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<Flag>, ActError> {
    actor.require(Permission::View)?;
    let Some(flag) = fraud_flag::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let owner = user::Entity::find_by_id(flag.user_id).one(db).await?;
    Ok(Some((flag, owner)))
}
