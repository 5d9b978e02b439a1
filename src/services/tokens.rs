//! API tokens: made by owners (in chat or on the command line), shown once, stored as a
//! SHA-256, compared in constant time, revocable. A token acts as its role; what it does is
//! audited with its name.
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{Lang, Permission};
use crate::entities::api_token;
use crate::entities::user::Role;
use crate::services::actor::{ActError, Actor, Via};
use crate::services::{audit, is_unique_violation};

/// Every token starts with this, so a leaked one is easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "ott_";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_LEN: usize = 40;
/// `last_used_at` is written at most this often per token.
const USE_RESOLUTION: Duration = Duration::minutes(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// `secret` is shown once and never again.
    Created {
        token: api_token::Model,
        secret: String,
    },
    NameTaken,
    /// 1 to 40 letters, digits, `-`, `_` or `.`.
    BadName,
    /// Tokens act as support, admin or owner.
    BadRole,
}

pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate() -> String {
    let mut rng = rand::rng();
    let secret: String =
        (0..SECRET_LEN).map(|_| SECRET_CHARS[rng.random_range(0..SECRET_CHARS.len())] as char).collect();
    format!("{TOKEN_PREFIX}{secret}")
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<CreateOutcome, ActError> {
    actor.require(Permission::ManageTokens)?;
    if !valid_name(name) {
        return Ok(CreateOutcome::BadName);
    }
    if role == Role::User {
        return Ok(CreateOutcome::BadRole);
    }
    let secret = generate();
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let inserted = api_token::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role),
        token_hash: Set(hash(&secret)),
        prefix: Set(secret.chars().take(TOKEN_PREFIX.len() + 4).collect()),
        created_by: Set(actor.telegram_id),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let token = match inserted {
        Ok(token) => token,
        Err(err) if is_unique_violation(&err) => return Ok(CreateOutcome::NameTaken),
        Err(err) => return Err(err.into()),
    };
    let details = serde_json::json!({ "name": token.name, "role": sea_orm::ActiveEnum::to_value(&role) });
    audit::record(&txn, actor, "token.create", &format!("token:{}", token.id), details, now).await?;
    txn.commit().await?;
    Ok(CreateOutcome::Created { token, secret })
}

/// Newest first, revoked ones too (they say when).
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<api_token::Model>, ActError> {
    actor.require(Permission::ManageTokens)?;
    Ok(api_token::Entity::find().order_by_desc(api_token::Column::Id).all(db).await?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked(api_token::Model),
    AlreadyRevoked(api_token::Model),
    UnknownToken,
}

pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<RevokeOutcome, ActError> {
    actor.require(Permission::ManageTokens)?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let Some(token) = api_token::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(RevokeOutcome::UnknownToken);
    };
    let updated = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(RevokeOutcome::AlreadyRevoked(token));
    }
    audit::record(&txn, actor, "token.revoke", &format!("token:{id}"), serde_json::json!({ "name": token.name }), now)
        .await?;
    txn.commit().await?;
    Ok(RevokeOutcome::Revoked(api_token::Model { revoked_at: Some(now), ..token }))
}

/// The actor a bearer token stands for, or None for an unknown or revoked one.
pub async fn authenticate(db: &DatabaseConnection, bearer: &str, now: DateTime<Utc>) -> Result<Option<Actor>, DbErr> {
    let presented = hash(bearer.trim());
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(presented.as_str()))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !bool::from(token.token_hash.as_bytes().ct_eq(presented.as_bytes())) {
        return Ok(None);
    }
    if token.last_used_at.is_none_or(|at| now - at >= USE_RESOLUTION) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    let actor = Actor::new(token.created_by, token.role, Lang::En).via(Via::Token { id: token.id, name: token.name });
    Ok(Some(actor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert!(valid_name("ci-bot") && valid_name("zapier.prod_2"));
        assert!(!valid_name("") && !valid_name("has space") && !valid_name(&"x".repeat(41)) && !valid_name("ünï"));
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (generate(), generate());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + SECRET_LEN);
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }
}
