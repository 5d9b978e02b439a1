//! The two-person rule for money moved by hand. A manual credit or debit above
//! `admin.approval_threshold` becomes a request (`wallet::admin_adjust` opens it): nothing
//! moves until a second owner or admin approves it here, and the requester can never decide
//! their own. Approving moves the money in the same transaction as the decision, once,
//! whoever presses first. Every step is audit-logged; the other staff are alerted of a new
//! request, the requester is told of the decision, and the customer of the money.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, TryInsertResult,
};
use serde_json::json;

use crate::domain::permission::{self, Permission};
use crate::domain::Money;
use crate::entities::approval_request::{self, ApprovalKind, ApprovalStatus};
use crate::entities::ledger_entry::{self, LedgerKind};
use crate::entities::user::{self, Role};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice, Person};
use crate::services::wallet::{self, AdjustOutcome, Direction, Posting, PostingError};
use crate::services::{audit, users};

/// What became of an approve, reject or cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// pending -> approved: the money moved (ledger row `admin:<request_key>`), the customer
    /// and the requester were told.
    Approved {
        request: approval_request::Model,
        customer: Box<user::Model>,
        /// The customer's balance after it.
        balance: Money,
    },
    /// pending -> rejected: nothing moved; the requester was told.
    Rejected {
        request: approval_request::Model,
        customer: Box<user::Model>,
    },
    /// pending -> cancelled by the requester: nothing moved.
    Cancelled {
        request: approval_request::Model,
        customer: Box<user::Model>,
    },
    /// The actor made this request: someone else must approve or reject it (they may cancel it).
    OwnRequest(approval_request::Model),
    /// Only the requester may cancel a request; anyone else rejects it.
    NotRequester(approval_request::Model),
    /// A debit the customer's balance no longer covers: nothing moved and the request is
    /// still pending, to be rejected, or approved once the balance covers it.
    Insufficient {
        request: approval_request::Model,
        balance: Money,
    },
    /// The request's message already moved this money directly (it was replayed below the
    /// threshold): nothing moved again; reject the request.
    AlreadyApplied(approval_request::Model),
    /// Someone decided first (or it was cancelled): nothing changed. See its status and
    /// `decided_by`.
    AlreadyDecided(approval_request::Model),
    UnknownRequest,
}

/// A request waiting for a second approver, with the people it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    pub request: approval_request::Model,
    pub customer: user::Model,
    pub requested_by: Person,
}

/// The request made by `event_key` (a message or API event), if any.
pub async fn by_key(conn: &impl ConnectionTrait, event_key: &str) -> Result<Option<approval_request::Model>, DbErr> {
    approval_request::Entity::find().filter(approval_request::Column::RequestKey.eq(event_key)).one(conn).await
}

/// How many people other than `telegram_id` hold `permission` (who could give a second approval).
pub async fn other_approvers(
    conn: &impl ConnectionTrait,
    telegram_id: i64,
    permission: Permission,
) -> Result<u64, DbErr> {
    let roles: Vec<Role> =
        [Role::Owner, Role::Admin, Role::Support].into_iter().filter(|r| permission::allows(*r, permission)).collect();
    user::Entity::find()
        .filter(user::Column::Role.is_in(roles))
        .filter(user::Column::TelegramId.ne(telegram_id))
        .count(conn)
        .await
}

/// Opens the request for a credit or debit above the threshold, in `admin_adjust`'s
/// transaction (which it commits): no money moves. A replay of `event_key` finds its request
/// (or the direct adjustment it made before the threshold changed) and changes nothing.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open(
    txn: DatabaseTransaction,
    actor: &Actor,
    target: user::Model,
    amount: Money,
    direction: Direction,
    reason: &str,
    event_key: &str,
    threshold: Money,
    now: DateTime<Utc>,
) -> Result<AdjustOutcome, ActError> {
    let moved = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::IdempotencyKey.eq(approval_request::ledger_key(event_key)))
        .one(&txn)
        .await?;
    if moved.is_some() {
        return Ok(AdjustOutcome::AlreadyApplied);
    }
    let kind = match direction {
        Direction::Credit => ApprovalKind::Credit,
        Direction::Debit => ApprovalKind::Debit,
    };
    // A debit the balance does not cover now would only wait to be refused: say so at once.
    // The approval checks again, in the debit itself.
    if kind == ApprovalKind::Debit && target.balance < amount.paise() {
        return Ok(AdjustOutcome::Insufficient { balance: Money::from_paise(target.balance) });
    }
    // The unique request key decides between two deliveries of one message at once.
    let inserted = approval_request::Entity::insert(approval_request::ActiveModel {
        kind: Set(kind),
        user_id: Set(target.id),
        amount: Set(amount.paise()),
        reason: Set(reason.to_owned()),
        requested_by: Set(actor.telegram_id),
        request_key: Set(event_key.to_owned()),
        status: Set(ApprovalStatus::Pending),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([approval_request::Column::RequestKey])
    .exec_without_returning(&txn)
    .await?;
    let Some(request) = by_key(&txn, event_key).await? else {
        return Err(DbErr::Custom("approval request neither inserted nor found".into()).into());
    };
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(AdjustOutcome::AlreadyRequested { request });
    }
    audit::record(
        &txn,
        actor,
        "approval.request",
        &format!("approval:{}", request.id),
        json!({
            "kind": kind,
            "user": target.telegram_id,
            "amount_paise": amount.paise(),
            "reason": reason,
            "threshold_paise": threshold.paise(),
        }),
        now,
    )
    .await?;
    let alert = Notice::ApprovalRequestAlert {
        request_id: request.id,
        adjustment: kind,
        customer: (&target).into(),
        amount: amount.paise(),
        reason: reason.to_owned(),
        requested_by: outbox::person(&txn, actor.telegram_id).await?,
    };
    outbox::to_staff_except(&txn, &alert, actor.telegram_id, now).await?;
    let approvers = other_approvers(&txn, actor.telegram_id, Permission::MoveMoney).await?;
    txn.commit().await?;
    Ok(AdjustOutcome::AwaitingApproval { request, user: Box::new(target), threshold, approvers })
}

/// pending -> approved by someone other than the requester, moving the money in the same
/// transaction. Two approvers at once: one conditional update wins, the other is told it
/// was decided.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ApprovalOutcome, ActError> {
    actor.require(Permission::MoveMoney)?;
    let txn = db.begin().await?;
    let Some(request) = approval_request::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(ApprovalOutcome::UnknownRequest);
    };
    if request.status != ApprovalStatus::Pending {
        return Ok(ApprovalOutcome::AlreadyDecided(request));
    }
    if request.requested_by == actor.telegram_id {
        return Ok(ApprovalOutcome::OwnRequest(request));
    }
    // The customer's row first (the one lock order), as every move of their money does.
    users::lock(&txn, request.user_id).await?;
    // Decides between two approvers (and a rejecter) at once; the requester never matches.
    let won = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value(ApprovalStatus::Approved))
        .col_expr(approval_request::Column::DecidedBy, Expr::value(actor.telegram_id))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(now))
        .filter(approval_request::Column::Id.eq(id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending))
        .filter(approval_request::Column::RequestedBy.ne(actor.telegram_id))
        .exec(&txn)
        .await?;
    if won.rows_affected == 0 {
        drop(txn);
        return Ok(decided_meanwhile(db, id).await?);
    }
    let customer = user::Entity::find_by_id(request.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", request.user_id)))?;
    let (signed, ledger_kind, action) = match request.kind {
        ApprovalKind::Credit => (request.amount, LedgerKind::AdminCredit, "wallet.credit"),
        ApprovalKind::Debit => (-request.amount, LedgerKind::AdminDebit, "wallet.debit"),
    };
    let posting = Posting {
        user_id: customer.id,
        amount: Money::from_paise(signed),
        kind: ledger_kind,
        reference: if request.reason.is_empty() { format!("approval:{id}") } else { request.reason.clone() },
        idempotency_key: request.ledger_key(),
    };
    let balance = match wallet::post(&txn, &posting, now).await {
        Ok(balance) => balance,
        // Rolled back with the decision: the request stays pending.
        Err(PostingError::Insufficient { balance }) => {
            return Ok(ApprovalOutcome::Insufficient { request, balance });
        }
        Err(PostingError::Duplicate) => return Ok(ApprovalOutcome::AlreadyApplied(request)),
        Err(PostingError::Db(err)) => return Err(err.into()),
    };
    let target = format!("approval:{id}");
    let details = json!({
        "kind": request.kind,
        "user": customer.telegram_id,
        "amount_paise": request.amount,
        "requested_by": request.requested_by,
    });
    audit::record(&txn, actor, "approval.approve", &target, details, now).await?;
    audit::record(
        &txn,
        actor,
        action,
        &format!("user:{}", customer.telegram_id),
        json!({
            "amount_paise": request.amount,
            "reason": request.reason,
            "balance_after_paise": balance.paise(),
            "approval": id,
            "requested_by": request.requested_by,
        }),
        now,
    )
    .await?;
    let (amount, reason) = (request.amount, request.reason.clone());
    let told = match request.kind {
        ApprovalKind::Credit => Notice::WalletCredited { amount, reason, balance: balance.paise() },
        ApprovalKind::Debit => Notice::WalletDebited { amount, reason, balance: balance.paise() },
    };
    outbox::to_user(&txn, &customer, &told, now).await?;
    if let Some(requester) = users::find_by_telegram_id(&txn, request.requested_by).await? {
        let notice = Notice::ApprovalRequestApproved {
            request_id: id,
            adjustment: request.kind,
            customer: (&customer).into(),
            amount,
            by: outbox::person(&txn, actor.telegram_id).await?,
            balance: balance.paise(),
        };
        outbox::to_user(&txn, &requester, &notice, now).await?;
    }
    let request = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(ApprovalOutcome::Approved { request, customer: Box::new(customer), balance })
}

/// pending -> rejected by someone other than the requester, with the reason they are told.
/// Nothing moves.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ApprovalOutcome, ActError> {
    actor.require(Permission::MoveMoney)?;
    let txn = db.begin().await?;
    let Some(request) = approval_request::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(ApprovalOutcome::UnknownRequest);
    };
    if request.status != ApprovalStatus::Pending {
        return Ok(ApprovalOutcome::AlreadyDecided(request));
    }
    if request.requested_by == actor.telegram_id {
        return Ok(ApprovalOutcome::OwnRequest(request));
    }
    let won = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value(ApprovalStatus::Rejected))
        .col_expr(approval_request::Column::DecidedBy, Expr::value(actor.telegram_id))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(now))
        .col_expr(approval_request::Column::DecisionReason, Expr::value(reason.to_owned()))
        .filter(approval_request::Column::Id.eq(id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending))
        .filter(approval_request::Column::RequestedBy.ne(actor.telegram_id))
        .exec(&txn)
        .await?;
    if won.rows_affected == 0 {
        drop(txn);
        return Ok(decided_meanwhile(db, id).await?);
    }
    let customer = customer_of(&txn, &request).await?;
    let details = json!({
        "kind": request.kind,
        "user": customer.telegram_id,
        "amount_paise": request.amount,
        "requested_by": request.requested_by,
        "reason": reason,
    });
    audit::record(&txn, actor, "approval.reject", &format!("approval:{id}"), details, now).await?;
    if let Some(requester) = users::find_by_telegram_id(&txn, request.requested_by).await? {
        let notice = Notice::ApprovalRequestRejected {
            request_id: id,
            adjustment: request.kind,
            customer: (&customer).into(),
            amount: request.amount,
            by: outbox::person(&txn, actor.telegram_id).await?,
            reason: reason.to_owned(),
        };
        outbox::to_user(&txn, &requester, &notice, now).await?;
    }
    let request = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(ApprovalOutcome::Rejected { request, customer: Box::new(customer) })
}

/// pending -> cancelled by the requester (a mistyped amount). Nothing moves.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ApprovalOutcome, ActError> {
    actor.require(Permission::MoveMoney)?;
    let txn = db.begin().await?;
    let Some(request) = approval_request::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(ApprovalOutcome::UnknownRequest);
    };
    if request.status != ApprovalStatus::Pending {
        return Ok(ApprovalOutcome::AlreadyDecided(request));
    }
    if request.requested_by != actor.telegram_id {
        return Ok(ApprovalOutcome::NotRequester(request));
    }
    let won = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value(ApprovalStatus::Cancelled))
        .col_expr(approval_request::Column::DecidedBy, Expr::value(actor.telegram_id))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(now))
        .filter(approval_request::Column::Id.eq(id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending))
        .filter(approval_request::Column::RequestedBy.eq(actor.telegram_id))
        .exec(&txn)
        .await?;
    if won.rows_affected == 0 {
        drop(txn);
        return Ok(decided_meanwhile(db, id).await?);
    }
    let customer = customer_of(&txn, &request).await?;
    let details = json!({ "kind": request.kind, "user": customer.telegram_id, "amount_paise": request.amount });
    audit::record(&txn, actor, "approval.cancel", &format!("approval:{id}"), details, now).await?;
    let request = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(ApprovalOutcome::Cancelled { request, customer: Box::new(customer) })
}

/// Requests waiting for a second approver, oldest first.
pub async fn pending(db: &DatabaseConnection, actor: &Actor, limit: u64) -> Result<Vec<PendingRequest>, ActError> {
    actor.require(Permission::View)?;
    let open = approval_request::Entity::find()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending))
        .order_by_asc(approval_request::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(open.len());
    for request in open {
        let customer = customer_of(db, &request).await?;
        let requested_by = outbox::person(db, request.requested_by).await?;
        rows.push(PendingRequest { request, customer, requested_by });
    }
    Ok(rows)
}

/// One request with its customer, whatever its status.
pub async fn find(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<Option<(approval_request::Model, user::Model)>, ActError> {
    actor.require(Permission::View)?;
    let Some(request) = approval_request::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let customer = customer_of(db, &request).await?;
    Ok(Some((request, customer)))
}

async fn customer_of(conn: &impl ConnectionTrait, request: &approval_request::Model) -> Result<user::Model, DbErr> {
    user::Entity::find_by_id(request.user_id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", request.user_id)))
}

async fn reload(conn: &impl ConnectionTrait, id: i32) -> Result<approval_request::Model, DbErr> {
    approval_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("approval request {id}")))
}

async fn decided_meanwhile(db: &DatabaseConnection, id: i32) -> Result<ApprovalOutcome, DbErr> {
    Ok(match approval_request::Entity::find_by_id(id).one(db).await? {
        Some(request) => ApprovalOutcome::AlreadyDecided(request),
        None => ApprovalOutcome::UnknownRequest,
    })
}
