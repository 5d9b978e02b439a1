//! Withdrawals: commission paid out to a UPI ID. A request reserves the amount at once (a
//! ledger debit), so the same money can be neither spent nor withdrawn twice; an admin
//! approves and marks it paid with the payout UTR, or rejects it, which releases the money.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, TransactionTrait, TryInsertResult,
};
use serde_json::json;

use crate::domain::approval::needs_second_approval;
use crate::domain::withdrawal::{self as rules, AmountError};
use crate::domain::Permission;
use crate::domain::{upi, Money};
use crate::entities::commission::{self, CommissionStatus};
use crate::entities::fraud_flag::{self, FlagStatus};
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::user;
use crate::entities::withdrawal::{self, WithdrawalStatus};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::wallet::{self, Posting, PostingError};
use crate::services::{approvals, audit, fraud, is_unique_violation, referrals, settings, users};

/// What the /withdraw screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawScreen {
    pub balance: Money,
    pub withdrawable: Money,
    pub min: Money,
    /// The UPI ID of the user's last request, offered again.
    pub last_vpa: Option<String>,
    pub open: Option<withdrawal::Model>,
    pub blocked: bool,
}

pub async fn screen(db: &DatabaseConnection, telegram_id: i64) -> Result<Option<WithdrawScreen>, DbErr> {
    let Some(user) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    let balance = Money::from_paise(user.balance);
    let totals = referrals::totals(db, user.id).await?;
    Ok(Some(WithdrawScreen {
        balance,
        withdrawable: totals.withdrawable(balance),
        min: settings::withdrawal_min(db).await?,
        last_vpa: last_vpa(db, user.id).await?,
        open: open_request(db, user.id).await?,
        blocked: user.is_blocked,
    }))
}

async fn last_vpa(conn: &impl ConnectionTrait, user_id: i32) -> Result<Option<String>, DbErr> {
    withdrawal::Entity::find()
        .select_only()
        .column(withdrawal::Column::Vpa)
        .filter(withdrawal::Column::UserId.eq(user_id))
        .order_by_desc(withdrawal::Column::Id)
        .into_tuple()
        .one(conn)
        .await
}

async fn open_request(conn: &impl ConnectionTrait, user_id: i32) -> Result<Option<withdrawal::Model>, DbErr> {
    withdrawal::Entity::find().filter(withdrawal::Column::OpenKey.eq(user_id)).one(conn).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    Requested {
        withdrawal: withdrawal::Model,
        user: Box<user::Model>,
        balance: Money,
        /// Flags raised by this request (e.g. a shared UPI ID).
        raised: Vec<fraud_flag::Model>,
        /// All the user's open flags: while there are any, an admin cannot approve it.
        held_by: Vec<fraud_flag::Model>,
    },
    Blocked,
    /// One open request per user: this is it.
    OpenRequest(withdrawal::Model),
    Amount(AmountError),
    BadVpa,
    UnknownUser,
}

/// Requests a withdrawal of `amount` to `vpa_input`, reserving the amount in one transaction.
pub async fn request(
    db: &DatabaseConnection,
    telegram_id: i64,
    amount: Money,
    vpa_input: &str,
    now: DateTime<Utc>,
) -> Result<RequestOutcome, DbErr> {
    let Some(vpa) = rules::normalise_vpa(vpa_input) else { return Ok(RequestOutcome::BadVpa) };
    let txn = db.begin().await?;
    let Some(found) = users::find_by_telegram_id(&txn, telegram_id).await? else {
        return Ok(RequestOutcome::UnknownUser);
    };
    // The user's row first (the one lock order): from here on a refund taking commission
    // back from this wallet waits for us, or has committed and is seen below.
    users::lock(&txn, found.id).await?;
    let Some(user) = user::Entity::find_by_id(found.id).one(&txn).await? else {
        return Ok(RequestOutcome::UnknownUser);
    };
    if user.is_blocked {
        return Ok(RequestOutcome::Blocked);
    }
    if let Some(open) = open_request(&txn, user.id).await? {
        return Ok(RequestOutcome::OpenRequest(open));
    }
    let totals = referrals::totals(&txn, user.id).await?;
    let withdrawable = totals.withdrawable(Money::from_paise(user.balance));
    let min = settings::withdrawal_min(&txn).await?;
    if let Err(err) = rules::check_amount(amount, min, withdrawable) {
        return Ok(RequestOutcome::Amount(err));
    }
    // The unique open key decides between two requests at once: the second inserts nothing.
    let inserted = withdrawal::Entity::insert(withdrawal::ActiveModel {
        user_id: Set(user.id),
        amount: Set(amount.paise()),
        vpa: Set(vpa.clone()),
        status: Set(WithdrawalStatus::Pending),
        open_key: Set(Some(user.id)),
        payout_utr: Set(None),
        reason: Set(None),
        first_approved_by: Set(None),
        first_approved_at: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        paid_by: Set(None),
        paid_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([withdrawal::Column::OpenKey])
    .exec_without_returning(&txn)
    .await?;
    // Inserted or not, the open request is the one that now holds the key.
    let open = open_request(&txn, user.id).await?;
    let created = match (inserted, open) {
        (TryInsertResult::Inserted(n), Some(open)) if n > 0 => open,
        (_, Some(open)) => return Ok(RequestOutcome::OpenRequest(open)),
        (_, None) => return Err(DbErr::Custom("withdrawal request neither inserted nor found".into())),
    };
    let posting = Posting {
        user_id: user.id,
        amount: Money::from_paise(-amount.paise()),
        kind: LedgerKind::Withdrawal,
        reference: format!("withdrawal:{}", created.id),
        idempotency_key: format!("withdrawal:{}:reserve", created.id),
    };
    // The check above, again in the reserving statement itself: commission credited covers
    // everything withdrawn or reserved, this request included. A refund that reversed
    // commission after the check cannot let other money (top-ups, refunds) out.
    let balance = match wallet::post_if(&txn, &posting, Some(covered_by_commission(user.id)), now).await {
        Ok(balance) => balance,
        // Spent meanwhile (a purchase won the race) or commission reversed: nothing is reserved.
        Err(PostingError::Insufficient { .. }) => {
            drop(txn);
            let balance = users::balance_of(db, user.id).await?;
            let withdrawable = referrals::totals(db, user.id).await?.withdrawable(balance);
            return Ok(RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable }));
        }
        Err(PostingError::Duplicate) => return Err(DbErr::Custom("withdrawal reserved twice".into())),
        Err(PostingError::Db(err)) => return Err(err),
    };
    let mut raised = Vec::new();
    raised.extend(fraud::check_shared_upi(&txn, &user, &vpa, now).await?);
    raised.extend(fraud::check_referee_payments(&txn, &user, &vpa, now).await?);
    raised.extend(fraud::check_low_conversion(&txn, &user, now).await?);
    let held_by = fraud::open_flags_of(&txn, user.id).await?;
    audit::record(
        &txn,
        &Actor::of(&user),
        "withdrawal.request",
        &format!("withdrawal:{}", created.id),
        json!({ "amount_paise": amount.paise(), "vpa": vpa, "open_flags": held_by.len() }),
        now,
    )
    .await?;
    let threshold = settings::withdrawal_approval_threshold(&txn).await?;
    let alert = Notice::WithdrawalAlert {
        withdrawal_id: created.id,
        customer: (&user).into(),
        amount: created.amount,
        vpa: created.vpa.clone(),
        held_by: held_by.iter().map(|f| f.id).collect(),
        two_approvals: needs_second_approval(amount, threshold),
    };
    outbox::to_staff(&txn, &alert, now).await?;
    txn.commit().await?;
    Ok(RequestOutcome::Requested { withdrawal: created, user: Box::new(user), balance, raised, held_by })
}

/// As SQL: the user's commission credited (available) >= everything withdrawn or reserved
/// (pending, approved, paid). `referrals::totals` computes the same sums.
fn covered_by_commission(user_id: i32) -> Expr {
    let sum = |column: Expr| Func::coalesce([Func::sum(column).into(), Expr::val(0i64)]);
    let credited = commission::Entity::find()
        .select_only()
        .expr(sum(Expr::col((commission::Entity, commission::Column::Amount))))
        .filter(commission::Column::EarnerId.eq(user_id))
        .filter(commission::Column::Status.eq(CommissionStatus::Available))
        .into_query();
    let taken = withdrawal::Entity::find()
        .select_only()
        .expr(sum(Expr::col((withdrawal::Entity, withdrawal::Column::Amount))))
        .filter(withdrawal::Column::UserId.eq(user_id))
        .filter(withdrawal::Column::Status.is_in([
            WithdrawalStatus::Pending,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Paid,
        ]))
        .into_query();
    Expr::from(credited).gte(Expr::from(taken))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approved {
        withdrawal: withdrawal::Model,
        user: Box<user::Model>,
    },
    /// Above `withdrawal.approval_threshold`: the first of two approvals, recorded in
    /// `first_approved_by`; the request stays pending and the other staff were alerted to give
    /// the second. `approvers` counts who could (0: nobody else yet).
    FirstApproval {
        withdrawal: withdrawal::Model,
        user: Box<user::Model>,
        approvers: u64,
    },
    /// This approver gave the first approval already: someone else must give the second.
    SameApprover(withdrawal::Model),
    Paid {
        withdrawal: withdrawal::Model,
        user: Box<user::Model>,
    },
    /// Rejected, or its payout failed (see the status): the amount is back in the wallet, less
    /// what repaid commissions reversed meanwhile.
    Rejected {
        withdrawal: withdrawal::Model,
        user: Box<user::Model>,
        balance: Money,
        repaid: Money,
    },
    /// The user has open fraud flags: resolve them (or reject) first.
    HeldByFlags(Vec<fraud_flag::Model>),
    /// The user is blocked: reject it instead.
    UserBlocked,
    /// Another admin (or a second press) decided first; nothing changed.
    AlreadyDecided(WithdrawalStatus),
    /// Mark paid before approval.
    NotApproved,
    BadUtr,
    /// This payout UTR is already recorded for another withdrawal.
    UtrUsed,
    UnknownWithdrawal,
}

/// pending -> approved, once. Above `withdrawal.approval_threshold` it takes two different
/// approvers: the first press records `first_approved_by` (`FirstApproval`), the second, by
/// someone else, approves it. Each step is one conditional update on the withdrawal (still
/// pending, no open fraud flag, and for the second a first approver who is not this one), so
/// two people pressing at once never both count as the same step.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    let txn = db.begin().await?;
    let Some((found, user)) = find_with_user(&txn, id).await? else { return Ok(Decision::UnknownWithdrawal) };
    if found.status != WithdrawalStatus::Pending {
        return Ok(Decision::AlreadyDecided(found.status));
    }
    if user.is_blocked {
        return Ok(Decision::UserBlocked);
    }
    let flags = fraud::open_flags_of(&txn, user.id).await?;
    if !flags.is_empty() {
        return Ok(Decision::HeldByFlags(flags));
    }
    let threshold = settings::withdrawal_approval_threshold(&txn).await?;
    let two = needs_second_approval(Money::from_paise(found.amount), threshold);
    if two && found.first_approved_by.is_none() {
        // The first approval, if nobody gave it meanwhile.
        let first = withdrawal::Entity::update_many()
            .col_expr(withdrawal::Column::FirstApprovedBy, Expr::value(actor.telegram_id))
            .col_expr(withdrawal::Column::FirstApprovedAt, Expr::value(now))
            .filter(withdrawal::Column::Id.eq(id))
            .filter(withdrawal::Column::Status.eq(WithdrawalStatus::Pending))
            .filter(withdrawal::Column::FirstApprovedBy.is_null())
            .filter(Expr::not_exists(open_flags_of(user.id)))
            .exec(&txn)
            .await?;
        if first.rows_affected == 1 {
            return first_approval(txn, actor, id, user, threshold, now).await;
        }
        // Someone gave the first approval just before us: this press may be the second.
    }
    if two {
        let current = reload(&txn, id).await?;
        if current.first_approved_by == Some(actor.telegram_id) {
            return Ok(Decision::SameApprover(current));
        }
    }
    // The flag check again, in the approving statement itself: a flag raised (and committed)
    // since the check above holds the request instead of being approved past.
    let mut update = withdrawal::Entity::update_many()
        .col_expr(withdrawal::Column::Status, Expr::value(WithdrawalStatus::Approved))
        .col_expr(withdrawal::Column::DecidedBy, Expr::value(actor.telegram_id))
        .col_expr(withdrawal::Column::DecidedAt, Expr::value(now))
        .filter(withdrawal::Column::Id.eq(id))
        .filter(withdrawal::Column::Status.eq(WithdrawalStatus::Pending))
        .filter(Expr::not_exists(open_flags_of(user.id)));
    if two {
        // The second approval: a first one was given, by someone else.
        update = update
            .filter(withdrawal::Column::FirstApprovedBy.is_not_null())
            .filter(withdrawal::Column::FirstApprovedBy.ne(actor.telegram_id));
    }
    let updated = update.exec(&txn).await?;
    if updated.rows_affected == 0 {
        drop(txn);
        let still_pending = status_of(db, id).await? == Some(WithdrawalStatus::Pending);
        let flags = fraud::open_flags_of(db, user.id).await?;
        if still_pending && !flags.is_empty() {
            return Ok(Decision::HeldByFlags(flags));
        }
        return Ok(decided_meanwhile(db, id).await?);
    }
    let withdrawal = reload(&txn, id).await?;
    let details = match withdrawal.first_approved_by.filter(|_| two) {
        Some(first) => json!({ "first_approved_by": first }),
        None => json!({}),
    };
    audit::record(&txn, actor, "withdrawal.approve", &format!("withdrawal:{id}"), details, now).await?;
    let (amount, vpa) = (withdrawal.amount, withdrawal.vpa.clone());
    outbox::to_user(&txn, &user, &Notice::WithdrawalApproved { amount, vpa: vpa.clone() }, now).await?;
    let by = outbox::person(&txn, actor.telegram_id).await?;
    outbox::to_staff(&txn, &Notice::WithdrawalApprovedAlert { withdrawal_id: id, by, amount, vpa }, now).await?;
    txn.commit().await?;
    Ok(Decision::Approved { withdrawal, user: Box::new(user) })
}

/// The first of two approvals was recorded in `txn`: audit it, ask the others for the second.
async fn first_approval(
    txn: DatabaseTransaction,
    actor: &Actor,
    id: i32,
    user: user::Model,
    threshold: Money,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    let withdrawal = reload(&txn, id).await?;
    let details = json!({ "amount_paise": withdrawal.amount, "threshold_paise": threshold.paise() });
    audit::record(&txn, actor, "withdrawal.first_approval", &format!("withdrawal:{id}"), details, now).await?;
    let alert = Notice::WithdrawalFirstApprovalAlert {
        withdrawal_id: id,
        customer: (&user).into(),
        amount: withdrawal.amount,
        vpa: withdrawal.vpa.clone(),
        by: outbox::person(&txn, actor.telegram_id).await?,
    };
    outbox::to_staff_except(&txn, &alert, actor.telegram_id, now).await?;
    let approvers = approvals::other_approvers(&txn, actor.telegram_id, Permission::DecidePayments).await?;
    txn.commit().await?;
    Ok(Decision::FirstApproval { withdrawal, user: Box::new(user), approvers })
}

/// As SQL: the ids of `user_id`'s open fraud flags.
fn open_flags_of(user_id: i32) -> sea_orm::sea_query::SelectStatement {
    fraud_flag::Entity::find()
        .select_only()
        .column(fraud_flag::Column::Id)
        .filter(fraud_flag::Column::UserId.eq(user_id))
        .filter(fraud_flag::Column::Status.eq(FlagStatus::Open))
        .into_query()
}

/// approved -> paid with the payout's UTR, once. The money left at the request.
pub async fn mark_paid(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    utr_input: &str,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    let Some(utr) = upi::parse_utr(utr_input) else { return Ok(Decision::BadUtr) };
    let txn = db.begin().await?;
    let Some((found, user)) = find_with_user(&txn, id).await? else { return Ok(Decision::UnknownWithdrawal) };
    match found.status {
        WithdrawalStatus::Approved => {}
        WithdrawalStatus::Pending => return Ok(Decision::NotApproved),
        other => return Ok(Decision::AlreadyDecided(other)),
    }
    let updated = withdrawal::Entity::update_many()
        .col_expr(withdrawal::Column::Status, Expr::value(WithdrawalStatus::Paid))
        .col_expr(withdrawal::Column::OpenKey, Expr::value(Option::<i32>::None))
        .col_expr(withdrawal::Column::PayoutUtr, Expr::value(utr.clone()))
        .col_expr(withdrawal::Column::PaidBy, Expr::value(actor.telegram_id))
        .col_expr(withdrawal::Column::PaidAt, Expr::value(now))
        .filter(withdrawal::Column::Id.eq(id))
        .filter(withdrawal::Column::Status.eq(WithdrawalStatus::Approved))
        .exec(&txn)
        .await;
    let updated = match updated {
        Ok(updated) => updated,
        Err(err) if is_unique_violation(&err) => return Ok(Decision::UtrUsed),
        Err(err) => return Err(err.into()),
    };
    if updated.rows_affected == 0 {
        drop(txn);
        return Ok(decided_meanwhile(db, id).await?);
    }
    audit::record(&txn, actor, "withdrawal.paid", &format!("withdrawal:{id}"), json!({ "utr": utr }), now).await?;
    let withdrawal = reload(&txn, id).await?;
    let notice = Notice::WithdrawalPaid { amount: withdrawal.amount, vpa: withdrawal.vpa.clone(), utr };
    outbox::to_user(&txn, &user, &notice, now).await?;
    txn.commit().await?;
    Ok(Decision::Paid { withdrawal, user: Box::new(user) })
}

/// pending -> rejected with a reason, releasing the reserved money. Once; an approved
/// request is not rejected (its payout may be on its way): see `payout_failed`.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    close_and_release(db, actor, id, WithdrawalStatus::Pending, WithdrawalStatus::Rejected, reason, now).await
}

/// approved -> payout failed (it bounced or was never sent), releasing the reserved money. Once.
pub async fn payout_failed(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    close_and_release(db, actor, id, WithdrawalStatus::Approved, WithdrawalStatus::PayoutFailed, reason, now).await
}

#[allow(clippy::too_many_arguments)]
async fn close_and_release(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    from: WithdrawalStatus,
    to: WithdrawalStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    let txn = db.begin().await?;
    let Some((found, user)) = find_with_user(&txn, id).await? else { return Ok(Decision::UnknownWithdrawal) };
    // The user's row first (the one lock order), as a request of theirs does.
    users::lock(&txn, user.id).await?;
    let mut update = withdrawal::Entity::update_many()
        .col_expr(withdrawal::Column::Status, Expr::value(to))
        .col_expr(withdrawal::Column::OpenKey, Expr::value(Option::<i32>::None))
        .col_expr(withdrawal::Column::Reason, Expr::value(reason.to_owned()));
    if from == WithdrawalStatus::Pending {
        // A failed payout keeps who approved it; the audit log says who closed it.
        update = update
            .col_expr(withdrawal::Column::DecidedBy, Expr::value(actor.telegram_id))
            .col_expr(withdrawal::Column::DecidedAt, Expr::value(now));
    }
    let updated =
        update.filter(withdrawal::Column::Id.eq(id)).filter(withdrawal::Column::Status.eq(from)).exec(&txn).await?;
    if updated.rows_affected == 0 {
        drop(txn);
        return Ok(decided_meanwhile(db, id).await?);
    }
    let posting = Posting {
        user_id: user.id,
        amount: Money::from_paise(found.amount),
        kind: LedgerKind::WithdrawalRelease,
        reference: format!("withdrawal:{id}"),
        idempotency_key: format!("withdrawal:{id}:release"),
    };
    let mut balance = match wallet::post(&txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(Decision::AlreadyDecided(to)),
        Err(PostingError::Insufficient { .. }) => return Err(DbErr::Custom("a release cannot be short".into()).into()),
        Err(PostingError::Db(err)) => return Err(err.into()),
    };
    // Released money first repays commissions reversed while it was reserved: the part of it
    // that was covering more than the commission credited.
    let released = Money::from_paise(found.amount);
    let left = referrals::totals(&txn, user.id).await?;
    let with_release =
        referrals::CommissionTotals { reserved: left.reserved.checked_add(released).unwrap_or(left.reserved), ..left };
    let covering = Money::from_paise(with_release.uncovered().paise() - left.uncovered().paise());
    let repaid = referrals::recover_from_release(&txn, user.id, id, covering, now).await?;
    if repaid.is_positive() {
        balance = users::balance_of(&txn, user.id).await?;
    }
    let action = if to == WithdrawalStatus::PayoutFailed { "withdrawal.payout_failed" } else { "withdrawal.reject" };
    audit::record(
        &txn,
        actor,
        action,
        &format!("withdrawal:{id}"),
        json!({ "reason": reason, "repaid_commission_paise": repaid.paise() }),
        now,
    )
    .await?;
    let withdrawal = reload(&txn, id).await?;
    let notice = Notice::WithdrawalRejected {
        amount: withdrawal.amount,
        reason: reason.to_owned(),
        balance: balance.paise(),
        repaid: repaid.paise(),
        payout_failed: to == WithdrawalStatus::PayoutFailed,
    };
    outbox::to_user(&txn, &user, &notice, now).await?;
    txn.commit().await?;
    Ok(Decision::Rejected { withdrawal, user: Box::new(user), balance, repaid })
}

/// Requests waiting for an admin (pending) or for the payout (approved), oldest first.
pub async fn queue(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<(withdrawal::Model, user::Model)>, ActError> {
    actor.require(Permission::View)?;
    let open = withdrawal::Entity::find()
        .filter(withdrawal::Column::Status.is_in([WithdrawalStatus::Pending, WithdrawalStatus::Approved]))
        .order_by_asc(withdrawal::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(open.len());
    for w in open {
        if let Some(user) = user::Entity::find_by_id(w.user_id).one(db).await? {
            rows.push((w, user));
        }
    }
    Ok(rows)
}

pub async fn find(db: &DatabaseConnection, id: i32) -> Result<Option<(withdrawal::Model, user::Model)>, DbErr> {
    find_with_user(db, id).await
}

async fn find_with_user(
    conn: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(withdrawal::Model, user::Model)>, DbErr> {
    let Some(found) = withdrawal::Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    Ok(user::Entity::find_by_id(found.user_id).one(conn).await?.map(|u| (found, u)))
}

async fn reload(conn: &impl ConnectionTrait, id: i32) -> Result<withdrawal::Model, DbErr> {
    withdrawal::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| DbErr::RecordNotFound(format!("withdrawal {id}")))
}

async fn status_of(conn: &impl ConnectionTrait, id: i32) -> Result<Option<WithdrawalStatus>, DbErr> {
    Ok(withdrawal::Entity::find_by_id(id).one(conn).await?.map(|w| w.status))
}

async fn decided_meanwhile(db: &DatabaseConnection, id: i32) -> Result<Decision, DbErr> {
    Ok(match withdrawal::Entity::find_by_id(id).one(db).await? {
        Some(w) => Decision::AlreadyDecided(w.status),
        None => Decision::UnknownWithdrawal,
    })
}
