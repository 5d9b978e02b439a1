//! The sender's side of broadcasts. Only the holder of the `broadcast.sender` lease sends, so
//! one broadcast runs at a time across instances and their pace is one pace. A recipient is
//! marked `sending` before its message goes to Telegram and `sent` after; a sender that stops
//! in between leaves it `sending`, and the next holder marks it `unknown` rather than send it
//! again: a possible miss of one message is better than a double.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::{progress, report_notice};
use crate::domain::broadcast::{self as rules, Progress};
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::entities::broadcast_recipient::{self, RecipientStatus};
use crate::entities::user;
use crate::services::{leases, outbox};

pub const LEASE: &str = "broadcast.sender";

/// Takes or renews the sender's lease. `Taken` on a new hold: what the last holder left in
/// flight is settled first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Taken,
    Renewed,
    HeldElsewhere,
}

pub async fn hold(
    db: &DatabaseConnection,
    holder: &str,
    held: bool,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Hold, DbErr> {
    if !leases::hold(db, LEASE, holder, ttl, now).await? {
        return Ok(Hold::HeldElsewhere);
    }
    if held {
        return Ok(Hold::Renewed);
    }
    broadcast_recipient::Entity::update_many()
        .col_expr(broadcast_recipient::Column::Status, Expr::value(RecipientStatus::Unknown.to_value()))
        .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Sending))
        .exec(db)
        .await?;
    Ok(Hold::Taken)
}

/// The broadcast to work on: the running or paused one, else the oldest queued, which starts.
pub async fn current(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Option<broadcast::Model>, DbErr> {
    let on = broadcast::Entity::find()
        .filter(broadcast::Column::Status.is_in([BroadcastStatus::Running, BroadcastStatus::Paused]))
        .order_by_asc(broadcast::Column::Id)
        .one(db)
        .await?;
    if on.is_some() {
        return Ok(on);
    }
    let Some(next) = broadcast::Entity::find()
        .filter(broadcast::Column::Status.eq(BroadcastStatus::Queued))
        .order_by_asc(broadcast::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    broadcast::Entity::update_many()
        .col_expr(broadcast::Column::Status, Expr::value(BroadcastStatus::Running.to_value()))
        .col_expr(broadcast::Column::StartedAt, Expr::col(broadcast::Column::StartedAt).if_null(Expr::value(now)))
        .filter(broadcast::Column::Id.eq(next.id))
        .filter(broadcast::Column::Status.eq(BroadcastStatus::Queued))
        .exec(db)
        .await?;
    broadcast::Entity::find_by_id(next.id).one(db).await
}

pub async fn reload(db: &DatabaseConnection, id: i32) -> Result<Option<broadcast::Model>, DbErr> {
    broadcast::Entity::find_by_id(id).one(db).await
}

/// The next recipients due, in order.
pub async fn due(
    db: &DatabaseConnection,
    broadcast_id: i32,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<broadcast_recipient::Model>, DbErr> {
    broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(broadcast_id))
        .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Pending))
        .filter(broadcast_recipient::Column::NextAttemptAt.lte(now))
        .order_by_asc(broadcast_recipient::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// When the earliest retry of a broadcast is due, if any is waiting.
pub async fn next_retry_at(db: &DatabaseConnection, broadcast_id: i32) -> Result<Option<DateTime<Utc>>, DbErr> {
    let row = broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(broadcast_id))
        .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Pending))
        .order_by_asc(broadcast_recipient::Column::NextAttemptAt)
        .one(db)
        .await?;
    Ok(row.map(|r| r.next_attempt_at))
}

/// What came of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// 403 and its kin: the user is marked unreachable too.
    Blocked(String),
    /// 429: again at `at`, not counted as an attempt.
    Later(DateTime<Utc>),
    /// Trouble that may pass: retried a few times, then failed.
    Retry(String),
    /// Refused for good.
    Failed(String),
}

/// One step of the sender, in one transaction: settles the recipient it last sent to, and
/// marks the next one as being sent (pending -> sending, only while the broadcast runs;
/// false when it is not to be sent). Called once the next send's slot is there, so a
/// recipient is `sending` only while its message may be on its way.
pub async fn advance(
    db: &DatabaseConnection,
    settled: Option<(&broadcast_recipient::Model, Outcome)>,
    next: Option<&broadcast_recipient::Model>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    if let Some((recipient, outcome)) = settled {
        settle(&txn, recipient, outcome, now).await?;
    }
    let began = match next {
        Some(next) => begin(&txn, next).await?,
        None => false,
    };
    txn.commit().await?;
    Ok(began)
}

/// Pending -> sending, only while its broadcast is running; false when it is not to be sent.
async fn begin(conn: &impl ConnectionTrait, recipient: &broadcast_recipient::Model) -> Result<bool, DbErr> {
    let running = Expr::exists(
        sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(broadcast::Entity)
            .and_where(Expr::col((broadcast::Entity, broadcast::Column::Id)).eq(recipient.broadcast_id))
            .and_where(
                Expr::col((broadcast::Entity, broadcast::Column::Status)).eq(BroadcastStatus::Running.to_value()),
            )
            .to_owned(),
    );
    let changed = broadcast_recipient::Entity::update_many()
        .col_expr(broadcast_recipient::Column::Status, Expr::value(RecipientStatus::Sending.to_value()))
        .filter(broadcast_recipient::Column::Id.eq(recipient.id))
        .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Pending))
        .filter(running)
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Settles a recipient that was `sending`.
async fn settle(
    db: &impl ConnectionTrait,
    recipient: &broadcast_recipient::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use broadcast_recipient::Column as C;
    let update = broadcast_recipient::Entity::update_many()
        .filter(C::Id.eq(recipient.id))
        .filter(C::Status.eq(RecipientStatus::Sending));
    let status = |s: RecipientStatus| Expr::value(s.to_value());
    match outcome {
        Outcome::Sent => {
            update
                .col_expr(C::Status, status(RecipientStatus::Sent))
                .col_expr(C::SentAt, Expr::value(now))
                .exec(db)
                .await?;
        }
        Outcome::Blocked(error) => {
            update
                .col_expr(C::Status, status(RecipientStatus::Blocked))
                .col_expr(C::Error, Expr::value(error))
                .exec(db)
                .await?;
            user::Entity::update_many()
                .col_expr(user::Column::UnreachableAt, Expr::value(now))
                .filter(user::Column::Id.eq(recipient.user_id))
                .filter(user::Column::UnreachableAt.is_null())
                .exec(db)
                .await?;
        }
        Outcome::Later(at) => {
            update
                .col_expr(C::Status, status(RecipientStatus::Pending))
                .col_expr(C::NextAttemptAt, Expr::value(at))
                .exec(db)
                .await?;
        }
        Outcome::Retry(error) if recipient.attempts + 1 < rules::MAX_ATTEMPTS => {
            let delay = rules::retry_delay(recipient.attempts + 1);
            let at = now + Duration::from_std(delay).unwrap_or(Duration::seconds(2));
            update
                .col_expr(C::Status, status(RecipientStatus::Pending))
                .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                .col_expr(C::NextAttemptAt, Expr::value(at))
                .col_expr(C::Error, Expr::value(error))
                .exec(db)
                .await?;
        }
        Outcome::Retry(error) | Outcome::Failed(error) => {
            update
                .col_expr(C::Status, status(RecipientStatus::Failed))
                .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                .col_expr(C::Error, Expr::value(error))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Ends a running broadcast nobody is left in (none pending or sending): done, and its
/// creator is sent the final report in the same transaction. None while some are left.
pub async fn finish_if_complete(
    db: &DatabaseConnection,
    row: &broadcast::Model,
    now: DateTime<Utc>,
) -> Result<Option<(broadcast::Model, Progress)>, DbErr> {
    let left = broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(row.id))
        .filter(broadcast_recipient::Column::Status.is_in([RecipientStatus::Pending, RecipientStatus::Sending]))
        .one(db)
        .await?;
    if left.is_some() {
        return Ok(None);
    }
    let txn = db.begin().await?;
    let done = broadcast::Entity::update_many()
        .col_expr(broadcast::Column::Status, Expr::value(BroadcastStatus::Done.to_value()))
        .col_expr(broadcast::Column::FinishedAt, Expr::value(now))
        .filter(broadcast::Column::Id.eq(row.id))
        .filter(broadcast::Column::Status.eq(BroadcastStatus::Running))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Ok(None);
    }
    let finished =
        broadcast::Entity::find_by_id(row.id).one(&txn).await?.ok_or(DbErr::RecordNotFound("broadcast".into()))?;
    let progress = report(&txn, &finished, now).await?;
    txn.commit().await?;
    Ok(Some((finished, progress)))
}

/// Queues the final report to its creator (once per broadcast), inside the caller's transaction.
pub(super) async fn report(
    conn: &impl ConnectionTrait,
    row: &broadcast::Model,
    now: DateTime<Utc>,
) -> Result<Progress, DbErr> {
    let progress = progress(conn, row).await?;
    if let Some(creator) = user::Entity::find().filter(user::Column::TelegramId.eq(row.created_by)).one(conn).await? {
        let key = format!("broadcast:{}:report", row.id);
        outbox::to_user_once(conn, &creator, &report_notice(row, progress), &key, now).await?;
    }
    Ok(progress)
}

/// Where the progress message is, once the sender has sent it.
pub async fn set_progress_message(db: &DatabaseConnection, id: i32, chat: i64, message: i32) -> Result<(), DbErr> {
    broadcast::Entity::update_many()
        .col_expr(broadcast::Column::ProgressChatId, Expr::value(chat))
        .col_expr(broadcast::Column::ProgressMessageId, Expr::value(message))
        .filter(broadcast::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
