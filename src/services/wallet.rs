//! The wallet: balances move only together with an append-only ledger row.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, TryInsertResult,
};

use crate::domain::approval::needs_second_approval;
use crate::domain::Money;
use crate::domain::Permission;
use crate::entities::approval_request;
use crate::entities::ledger_entry::{self, LedgerKind};
use crate::entities::user;
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::{approvals, audit, settings, users};

/// One movement to apply.
#[derive(Debug, Clone)]
pub struct Posting {
    pub user_id: i32,
    /// Signed: positive credits, negative debits.
    pub amount: Money,
    pub kind: LedgerKind,
    pub reference: String,
    /// Unique per external event; a second posting with the same key is refused.
    pub idempotency_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PostingError {
    #[error("insufficient balance: {balance}")]
    Insufficient { balance: Money },
    #[error("already applied")]
    Duplicate,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Applies `posting` inside the caller's transaction and returns the new balance. On any
/// error the caller must roll back: the balance may already have been changed.
pub(crate) async fn post(
    conn: &impl ConnectionTrait,
    posting: &Posting,
    now: DateTime<Utc>,
) -> Result<Money, PostingError> {
    post_if(conn, posting, None, now).await
}

/// `post`, only while `guard` holds too: a condition checked in the very statement that
/// changes the balance (e.g. a withdrawal's cover by commission), so nothing committed in
/// between can slip past it. When it does not hold: `Insufficient`, nothing changed.
pub(crate) async fn post_if(
    conn: &impl ConnectionTrait,
    posting: &Posting,
    guard: Option<Expr>,
    now: DateTime<Utc>,
) -> Result<Money, PostingError> {
    let already = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::IdempotencyKey.eq(posting.idempotency_key.as_str()))
        .one(conn)
        .await?;
    if already.is_some() {
        return Err(PostingError::Duplicate);
    }

    let amount = posting.amount.paise();
    // The WHERE clause is the money guard: it holds on both databases without row locks.
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::Balance, Expr::col(user::Column::Balance).add(amount))
        .filter(user::Column::Id.eq(posting.user_id))
        .filter(Expr::col(user::Column::Balance).add(amount).gte(0));
    if let Some(guard) = guard {
        update = update.filter(guard);
    }
    let updated = update.exec(conn).await?;
    let balance = current_balance(conn, posting.user_id).await?;
    if updated.rows_affected == 0 {
        return Err(PostingError::Insufficient { balance });
    }

    let inserted = ledger_entry::Entity::insert(ledger_entry::ActiveModel {
        user_id: Set(posting.user_id),
        amount: Set(amount),
        balance_after: Set(balance.paise()),
        kind: Set(posting.kind),
        reference: Set(posting.reference.clone()),
        idempotency_key: Set(posting.idempotency_key.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([ledger_entry::Column::IdempotencyKey])
    .exec_without_returning(conn)
    .await?;
    match inserted {
        TryInsertResult::Inserted(n) if n > 0 => Ok(balance),
        _ => Err(PostingError::Duplicate),
    }
}

async fn current_balance(conn: &impl ConnectionTrait, user_id: i32) -> Result<Money, DbErr> {
    let balance: Option<i64> =
        user::Entity::find_by_id(user_id).select_only().column(user::Column::Balance).into_tuple().one(conn).await?;
    balance.map(Money::from_paise).ok_or_else(|| DbErr::RecordNotFound(format!("user {user_id}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Credit,
    Debit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdjustOutcome {
    Applied {
        user: Box<user::Model>,
        amount: Money,
        balance: Money,
    },
    /// The same admin message was processed before (a replayed update): nothing changed.
    AlreadyApplied,
    UnknownUser,
    /// A debit larger than the balance: refused, nothing changed.
    Insufficient {
        balance: Money,
    },
    /// Above `admin.approval_threshold`: nothing moved. The request waits for a second owner
    /// or admin (`approvals::approve`), who have been alerted. `approvers` counts the people
    /// who could approve it: with none, it waits until someone is made admin.
    AwaitingApproval {
        request: approval_request::Model,
        user: Box<user::Model>,
        threshold: Money,
        approvers: u64,
    },
    /// This message already made `request` (a replayed update): nothing changed.
    AlreadyRequested {
        request: approval_request::Model,
    },
}

/// An admin's manual credit or debit, ledger-recorded and audit-logged in one transaction.
/// `event_key` identifies the admin's message so a replay of it is a no-op. Above
/// `admin.approval_threshold` it only opens an approval request (`services::approvals`): the
/// money moves when a second owner or admin approves it.
#[allow(clippy::too_many_arguments)]
pub async fn admin_adjust(
    db: &DatabaseConnection,
    actor: &Actor,
    target_telegram_id: i64,
    amount: Money,
    direction: Direction,
    reason: &str,
    event_key: &str,
    now: DateTime<Utc>,
) -> Result<AdjustOutcome, ActError> {
    actor.require(Permission::MoveMoney)?;
    let txn = db.begin().await?;
    let Some(target) = users::find_by_telegram_id(&txn, target_telegram_id).await? else {
        return Ok(AdjustOutcome::UnknownUser);
    };
    // One message is either one request or one direct adjustment, whatever the threshold
    // was when it was first seen.
    if let Some(request) = approvals::by_key(&txn, event_key).await? {
        return Ok(AdjustOutcome::AlreadyRequested { request });
    }
    let threshold = settings::admin_approval_threshold(&txn).await?;
    if needs_second_approval(amount, threshold) {
        return approvals::open(txn, actor, target, amount, direction, reason, event_key, threshold, now).await;
    }
    let (signed, kind, action) = match direction {
        Direction::Credit => (amount, LedgerKind::AdminCredit, "wallet.credit"),
        Direction::Debit => (Money::from_paise(-amount.paise()), LedgerKind::AdminDebit, "wallet.debit"),
    };
    let posting = Posting {
        user_id: target.id,
        amount: signed,
        kind,
        reference: if reason.is_empty() { format!("admin:{}", actor.telegram_id) } else { reason.to_owned() },
        idempotency_key: approval_request::ledger_key(event_key),
    };
    let balance = match post(&txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(AdjustOutcome::AlreadyApplied),
        Err(PostingError::Insufficient { balance }) => return Ok(AdjustOutcome::Insufficient { balance }),
        Err(PostingError::Db(err)) => return Err(err.into()),
    };
    audit::record(
        &txn,
        actor,
        action,
        &format!("user:{}", target.telegram_id),
        serde_json::json!({ "amount_paise": amount.paise(), "reason": reason, "balance_after_paise": balance.paise() }),
        now,
    )
    .await?;
    let (amount_paise, reason, balance_paise) = (amount.paise(), reason.to_owned(), balance.paise());
    let notice = match direction {
        Direction::Credit => Notice::WalletCredited { amount: amount_paise, reason, balance: balance_paise },
        Direction::Debit => Notice::WalletDebited { amount: amount_paise, reason, balance: balance_paise },
    };
    outbox::to_user(&txn, &target, &notice, now).await?;
    txn.commit().await?;
    Ok(AdjustOutcome::Applied { user: Box::new(target), amount, balance })
}

#[derive(Debug, Clone)]
pub struct WalletOverview {
    pub balance: Money,
    /// Newest first.
    pub recent: Vec<ledger_entry::Model>,
}

pub async fn overview(db: &DatabaseConnection, telegram_id: i64, limit: u64) -> Result<Option<WalletOverview>, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else {
        return Ok(None);
    };
    let recent = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::UserId.eq(user.id))
        .order_by_desc(ledger_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(Some(WalletOverview { balance: Money::from_paise(user.balance), recent }))
}
