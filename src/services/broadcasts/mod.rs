//! Broadcasts, as staff run them (Permission::ManageOffers): how many an audience reaches,
//! starting one (the broadcast row and one row per recipient, written together), the list,
//! one's progress, and pause, resume and cancel. `delivery` is the sender's side.
mod audience;
pub mod delivery;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::domain::broadcast::{Audience, Button, Content, Progress};
use crate::domain::Permission;
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::entities::broadcast_recipient::{self, RecipientStatus};
use crate::entities::user;
use crate::services::actor::{ActError, Actor};
use crate::services::{audit, outbox};

/// What an admin composed, and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub content: Content,
    pub audience: Audience,
}

/// What a stored broadcast sends.
pub fn content_of(row: &broadcast::Model) -> Content {
    let button = match (&row.button_text, &row.button_url) {
        (Some(text), Some(url)) => Some(Button { text: text.clone(), url: url.clone() }),
        _ => None,
    };
    Content { text: row.text.clone(), photo_file_id: row.photo_file_id.clone(), button }
}

/// A broadcast with how far it has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub broadcast: broadcast::Model,
    pub progress: Progress,
}

impl Overview {
    pub fn audience(&self) -> Option<Audience> {
        Audience::parse(&self.broadcast.audience)
    }
}

/// How many customers `audience` reaches now.
pub async fn audience_size(
    db: &DatabaseConnection,
    actor: &Actor,
    audience: Audience,
    now: DateTime<Utc>,
) -> Result<u64, ActError> {
    actor.require(Permission::ManageOffers)?;
    Ok(user::Entity::find().filter(audience::condition(audience, now)).count(db).await?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// Queued behind `ahead` others (0: it starts now).
    Queued { broadcast: Box<broadcast::Model>, ahead: u64 },
    /// Nobody in the audience: nothing was written.
    NobodyToSend,
}

/// Confirms a broadcast: its row and one row per customer the audience reaches now, in one
/// transaction, audit-logged. The sender starts it when those before it are over.
pub async fn start(
    db: &DatabaseConnection,
    actor: &Actor,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<StartOutcome, ActError> {
    actor.require(Permission::ManageOffers)?;
    let txn = db.begin().await?;
    let created = broadcast::ActiveModel {
        created_by: Set(actor.telegram_id),
        text: Set(draft.content.text.clone()),
        photo_file_id: Set(draft.content.photo_file_id.clone()),
        button_text: Set(draft.content.button.as_ref().map(|b| b.text.clone())),
        button_url: Set(draft.content.button.as_ref().map(|b| b.url.clone())),
        audience: Set(draft.audience.code()),
        status: Set(BroadcastStatus::Queued),
        total: Set(0),
        progress_chat_id: Set(None),
        progress_message_id: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let recipients = Query::select()
        .expr(Expr::val(created.id))
        .column(user::Column::Id)
        .column(user::Column::TelegramId)
        .expr(Expr::val(RecipientStatus::Pending.to_value()))
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .from(user::Entity)
        .cond_where(audience::condition(draft.audience, now))
        .order_by(user::Column::Id, sea_orm::Order::Asc)
        .to_owned();
    let insert = Query::insert()
        .into_table(broadcast_recipient::Entity)
        .columns([
            broadcast_recipient::Column::BroadcastId,
            broadcast_recipient::Column::UserId,
            broadcast_recipient::Column::ChatId,
            broadcast_recipient::Column::Status,
            broadcast_recipient::Column::Attempts,
            broadcast_recipient::Column::NextAttemptAt,
        ])
        .select_from(recipients)
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .to_owned();
    let written = txn.execute(&insert).await?.rows_affected();
    if written == 0 {
        return Ok(StartOutcome::NobodyToSend);
    }
    let total = i32::try_from(written).unwrap_or(i32::MAX);
    let mut active: broadcast::ActiveModel = created.into();
    active.total = Set(total);
    let created = active.update(&txn).await?;
    let ahead = broadcast::Entity::find()
        .filter(broadcast::Column::Status.is_in([
            BroadcastStatus::Queued,
            BroadcastStatus::Running,
            BroadcastStatus::Paused,
        ]))
        .filter(broadcast::Column::Id.lt(created.id))
        .count(&txn)
        .await?;
    let details = serde_json::json!({ "audience": created.audience, "recipients": total, "photo": created.photo_file_id.is_some() });
    audit::record(&txn, actor, "broadcast.start", &format!("broadcast:{}", created.id), details, now).await?;
    txn.commit().await?;
    Ok(StartOutcome::Queued { broadcast: Box::new(created), ahead })
}

/// Newest first (Permission::ManageOffers).
pub async fn list(db: &DatabaseConnection, actor: &Actor, limit: u64) -> Result<Vec<Overview>, ActError> {
    actor.require(Permission::ManageOffers)?;
    let rows = broadcast::Entity::find().order_by_desc(broadcast::Column::Id).limit(limit).all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let progress = progress(db, &row).await?;
        out.push(Overview { broadcast: row, progress });
    }
    Ok(out)
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Option<Overview>, ActError> {
    actor.require(Permission::ManageOffers)?;
    let Some(row) = broadcast::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let progress = progress(db, &row).await?;
    Ok(Some(Overview { broadcast: row, progress }))
}

/// Counts of its recipients by state.
pub async fn progress(conn: &impl ConnectionTrait, row: &broadcast::Model) -> Result<Progress, DbErr> {
    let counts: Vec<(RecipientStatus, i64)> = broadcast_recipient::Entity::find()
        .select_only()
        .column(broadcast_recipient::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(broadcast_recipient::Column::BroadcastId.eq(row.id))
        .group_by(broadcast_recipient::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut p = Progress { total: u64::try_from(row.total).unwrap_or(0), ..Progress::default() };
    for (status, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        match status {
            RecipientStatus::Sent => p.sent += n,
            RecipientStatus::Failed => p.failed += n,
            RecipientStatus::Blocked => p.blocked += n,
            RecipientStatus::Unknown => p.unknown += n,
            RecipientStatus::Skipped => p.skipped += n,
            RecipientStatus::Pending | RecipientStatus::Sending => {}
        }
    }
    Ok(p)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlOutcome {
    Done(broadcast::Model),
    /// It was not in a state this applies to (already paused, over…): as it is now.
    NotNow(broadcast::Model),
    Unknown,
}

/// Stops a running broadcast until resumed; later broadcasts keep waiting behind it.
pub async fn pause(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ControlOutcome, ActError> {
    control(db, actor, id, &[BroadcastStatus::Running], BroadcastStatus::Paused, "broadcast.pause", now).await
}

/// Goes on where it stopped (it is the oldest waiting, so the sender takes it next).
pub async fn resume(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ControlOutcome, ActError> {
    control(db, actor, id, &[BroadcastStatus::Paused], BroadcastStatus::Queued, "broadcast.resume", now).await
}

/// Ends it: those not sent yet are skipped, and its creator gets the final report.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ControlOutcome, ActError> {
    control(
        db,
        actor,
        id,
        &[BroadcastStatus::Queued, BroadcastStatus::Running, BroadcastStatus::Paused],
        BroadcastStatus::Cancelled,
        "broadcast.cancel",
        now,
    )
    .await
}

async fn control(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    from: &[BroadcastStatus],
    to: BroadcastStatus,
    action: &str,
    now: DateTime<Utc>,
) -> Result<ControlOutcome, ActError> {
    actor.require(Permission::ManageOffers)?;
    let txn = db.begin().await?;
    let mut update = broadcast::Entity::update_many()
        .col_expr(broadcast::Column::Status, Expr::value(to.to_value()))
        .filter(broadcast::Column::Id.eq(id))
        .filter(broadcast::Column::Status.is_in(from.iter().copied()));
    if to == BroadcastStatus::Cancelled {
        update = update.col_expr(broadcast::Column::FinishedAt, Expr::value(now));
    }
    let changed = update.exec(&txn).await?.rows_affected == 1;
    let Some(row) = broadcast::Entity::find_by_id(id).one(&txn).await? else { return Ok(ControlOutcome::Unknown) };
    if !changed {
        return Ok(ControlOutcome::NotNow(row));
    }
    if to == BroadcastStatus::Cancelled {
        broadcast_recipient::Entity::update_many()
            .col_expr(broadcast_recipient::Column::Status, Expr::value(RecipientStatus::Skipped.to_value()))
            .filter(broadcast_recipient::Column::BroadcastId.eq(id))
            .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Pending))
            .exec(&txn)
            .await?;
        delivery::report(&txn, &row, now).await?;
    }
    audit::record(&txn, actor, action, &format!("broadcast:{id}"), serde_json::json!({}), now).await?;
    txn.commit().await?;
    Ok(ControlOutcome::Done(row))
}

/// The final report to whoever started it, once.
pub(crate) fn report_notice(row: &broadcast::Model, progress: Progress) -> outbox::Notice {
    outbox::Notice::BroadcastFinished {
        broadcast_id: row.id,
        cancelled: row.status == BroadcastStatus::Cancelled,
        total: progress.total,
        sent: progress.sent,
        failed: progress.failed,
        blocked: progress.blocked,
        unknown: progress.unknown,
        skipped: progress.skipped,
    }
}
