//! Dashboard sign-in: staff ask the bot for a one-time link (valid 10 minutes, single use);
//! opening it starts a browser session that lasts `admin.session_hours`. Links and sessions
//! store only a SHA-256 of their secret. A session acts for its staff member with the role
//! they have now: demoted staff lose the dashboard at their next click.
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::domain::Lang;
use crate::entities::{dashboard_link, dashboard_session};
use crate::services::actor::{ActError, Actor, Via};
use crate::services::{audit, users};

/// How long a sign-in link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(10);
pub const DEFAULT_SESSION_HOURS: u32 = 12;

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// 256 random bits, URL- and cookie-safe.
fn secret() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// A fresh sign-in link's secret, for staff only.
pub async fn create_link(db: &DatabaseConnection, actor: &Actor, now: DateTime<Utc>) -> Result<String, ActError> {
    actor.require(crate::domain::Permission::View)?;
    let token = secret();
    dashboard_link::ActiveModel {
        token_hash: Set(hash(&token)),
        telegram_id: Set(actor.telegram_id),
        created_at: Set(now),
        expires_at: Set(now + LINK_LIFETIME),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// What the browser keeps: the session secret (the cookie) and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    SignedIn(NewSession),
    /// Unknown, expired or already used; the same answer for each, so nothing is learnt.
    Invalid,
    /// The person is no longer staff.
    NotStaff,
}

/// Uses a link once: a conditional update decides, so two browsers opening it at the same
/// time get one session between them.
pub async fn redeem(
    db: &DatabaseConnection,
    token: &str,
    session_hours: u32,
    now: DateTime<Utc>,
) -> Result<Redeemed, DbErr> {
    let txn = db.begin().await?;
    let Some(link) = dashboard_link::Entity::find()
        .filter(dashboard_link::Column::TokenHash.eq(hash(token.trim())))
        .one(&txn)
        .await?
    else {
        return Ok(Redeemed::Invalid);
    };
    let used = dashboard_link::Entity::update_many()
        .col_expr(dashboard_link::Column::UsedAt, Expr::value(now))
        .filter(dashboard_link::Column::Id.eq(link.id))
        .filter(dashboard_link::Column::UsedAt.is_null())
        .filter(dashboard_link::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if used.rows_affected == 0 {
        return Ok(Redeemed::Invalid);
    }
    let Some(user) = users::find_by_telegram_id(&txn, link.telegram_id).await? else {
        txn.commit().await?;
        return Ok(Redeemed::NotStaff);
    };
    let actor = Actor::of(&user).via(Via::Dashboard);
    if !actor.is_staff() {
        txn.commit().await?;
        return Ok(Redeemed::NotStaff);
    }
    let session =
        NewSession { secret: secret(), csrf: secret(), expires_at: now + Duration::hours(session_hours.into()) };
    let row = dashboard_session::ActiveModel {
        token_hash: Set(hash(&session.secret)),
        csrf_token: Set(session.csrf.clone()),
        telegram_id: Set(user.telegram_id),
        created_at: Set(now),
        expires_at: Set(session.expires_at),
        ended_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, &actor, "dashboard.sign_in", &format!("session:{}", row.id), serde_json::json!({}), now)
        .await?;
    txn.commit().await?;
    Ok(Redeemed::SignedIn(session))
}

/// A live session: who it acts for and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i32,
    pub actor: Actor,
    pub csrf: String,
    pub name: String,
}

/// The session behind a cookie, while it is live and its person is still staff.
pub async fn session(db: &DatabaseConnection, secret: &str, now: DateTime<Utc>) -> Result<Option<Session>, DbErr> {
    let Some(row) = dashboard_session::Entity::find()
        .filter(dashboard_session::Column::TokenHash.eq(hash(secret.trim())))
        .filter(dashboard_session::Column::EndedAt.is_null())
        .filter(dashboard_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = users::find_by_telegram_id(db, row.telegram_id).await? else {
        return Ok(None);
    };
    let actor = Actor { lang: Lang::from_code(&user.language), ..Actor::of(&user).via(Via::Dashboard) };
    if !actor.is_staff() {
        return Ok(None);
    }
    let name = user.username.as_ref().map(|u| format!("@{u}")).unwrap_or_else(|| user.first_name.clone());
    Ok(Some(Session { id: row.id, actor, csrf: row.csrf_token, name }))
}

/// Signs a session out; later requests with its cookie are signed out too.
pub async fn end(db: &DatabaseConnection, session: &Session, now: DateTime<Utc>) -> Result<(), DbErr> {
    dashboard_session::Entity::update_many()
        .col_expr(dashboard_session::Column::EndedAt, Expr::value(now))
        .filter(dashboard_session::Column::Id.eq(session.id))
        .filter(dashboard_session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let (a, b) = (secret(), secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}
