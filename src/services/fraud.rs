//! Fraud checks: each rule raises a flag (once per finding) with its reason and evidence;
//! admins resolve flags and block or unblock users. A user with an open flag cannot have a
//! withdrawal approved; a blocked user earns no commission and cannot withdraw.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, TryInsertResult,
};
use serde_json::json;

use crate::domain::Permission;
use crate::domain::{fraud, Money};
use crate::entities::fraud_flag::{self, FlagStatus, FraudRule};
use crate::entities::{payment, payout_vpa, user, withdrawal};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::{audit, referrals, settings, users};

/// Raises a flag unless the same finding (`dedupe_key`) was raised before. Returns the new flag.
async fn raise(
    conn: &impl ConnectionTrait,
    user_id: i32,
    rule: FraudRule,
    reason: String,
    evidence: serde_json::Value,
    dedupe_key: String,
    now: DateTime<Utc>,
) -> Result<Option<fraud_flag::Model>, DbErr> {
    let inserted = fraud_flag::Entity::insert(fraud_flag::ActiveModel {
        user_id: Set(user_id),
        rule: Set(rule),
        reason: Set(reason),
        evidence: Set(evidence.to_string()),
        dedupe_key: Set(dedupe_key.clone()),
        status: Set(FlagStatus::Open),
        resolved_by: Set(None),
        resolved_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([fraud_flag::Column::DedupeKey])
    .exec_without_returning(conn)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(None);
    }
    let flag = fraud_flag::Entity::find().filter(fraud_flag::Column::DedupeKey.eq(dedupe_key)).one(conn).await?;
    if let Some(flag) = &flag {
        log::warn!("fraud flag #{} on user {}: {}", flag.id, flag.user_id, flag.reason);
        if let Some(owner) = user::Entity::find_by_id(flag.user_id).one(conn).await? {
            outbox::to_staff(conn, &Notice::fraud_flag(flag, &owner), now).await?;
        }
    }
    Ok(flag)
}

/// After someone joined through `referrer`'s link: too many signups this hour, or many
/// referrals that do not buy.
pub(crate) async fn check_signup(
    conn: &impl ConnectionTrait,
    referrer: &user::Model,
    now: DateTime<Utc>,
) -> Result<Vec<fraud_flag::Model>, DbErr> {
    let rules = settings::fraud_rules(conn).await?;
    let mut raised = Vec::new();
    let last_hour = user::Entity::find()
        .filter(user::Column::ReferredBy.eq(referrer.id))
        .filter(user::Column::CreatedAt.gt(now - Duration::hours(1)))
        .filter(user::Column::CreatedAt.lte(now))
        .count(conn)
        .await?;
    if fraud::too_many_signups(last_hour, rules.max_signups_per_hour) {
        // One flag per referrer per clock hour, however many more sign up in it.
        let hour = now.timestamp().div_euclid(3600);
        let flag = raise(
            conn,
            referrer.id,
            FraudRule::RapidSignups,
            format!("{last_hour} referrals within an hour (limit {})", rules.max_signups_per_hour),
            json!({ "referrals_last_hour": last_hour, "limit": rules.max_signups_per_hour }),
            format!("rapid_signups:{}:{hour}", referrer.id),
            now,
        )
        .await?;
        raised.extend(flag);
    }
    raised.extend(check_low_conversion(conn, referrer, now).await?);
    Ok(raised)
}

/// Referrals of `referrer` (level 1) and how many of them have a paid order: the referrer's
/// tally row (`referrals::tally_of`), moved with every sign-up, payment and refund.
pub(crate) async fn conversion(conn: &impl ConnectionTrait, referrer_id: i32) -> Result<(u64, u64), DbErr> {
    let tally = referrals::tally_of(conn, referrer_id).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok((count(tally.level1), count(tally.level1_paying)))
}

/// Raised once per user: after an admin resolves it, it stays resolved.
pub(crate) async fn check_low_conversion(
    conn: &impl ConnectionTrait,
    referrer: &user::Model,
    now: DateTime<Utc>,
) -> Result<Option<fraud_flag::Model>, DbErr> {
    let rules = settings::fraud_rules(conn).await?;
    let (referrals, paying) = conversion(conn, referrer.id).await?;
    if !fraud::low_conversion(referrals, paying, rules.low_conversion_min_referrals, rules.low_conversion_rate) {
        return Ok(None);
    }
    raise(
        conn,
        referrer.id,
        FraudRule::LowConversion,
        format!("{paying} of {referrals} referrals paid"),
        json!({
            "referrals": referrals,
            "paying": paying,
            "min_rate_percent": (rules.low_conversion_rate * rust_decimal::Decimal::ONE_HUNDRED).normalize().to_string(),
        }),
        format!("low_conversion:{}", referrer.id),
        now,
    )
    .await
}

/// A withdrawal to `vpa`: when other users withdrew to the same UPI ID, flags the requester
/// and each of them (their withdrawals wait too).
pub(crate) async fn check_shared_upi(
    conn: &impl ConnectionTrait,
    requester: &user::Model,
    vpa: &str,
    now: DateTime<Utc>,
) -> Result<Vec<fraud_flag::Model>, DbErr> {
    // Requests to one UPI ID queue up on its row here (PostgreSQL waits for the other
    // transaction's insert or update), so the query below sees every earlier request.
    payout_vpa::Entity::insert(payout_vpa::ActiveModel {
        vpa: Set(vpa.to_owned()),
        last_user_id: Set(requester.id),
        last_used_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(payout_vpa::Column::Vpa)
            .update_columns([payout_vpa::Column::LastUserId, payout_vpa::Column::LastUsedAt])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let others: Vec<i32> = withdrawal::Entity::find()
        .select_only()
        .column(withdrawal::Column::UserId)
        .distinct()
        .filter(withdrawal::Column::Vpa.eq(vpa))
        .filter(withdrawal::Column::UserId.ne(requester.id))
        .into_tuple()
        .all(conn)
        .await?;
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let sharing: Vec<(i32, i64)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::TelegramId)
        .filter(user::Column::Id.is_in(others.iter().copied().chain([requester.id])))
        .into_tuple()
        .all(conn)
        .await?;
    let mut raised = Vec::new();
    for (user_id, _) in &sharing {
        let other_users: Vec<i64> = sharing.iter().filter(|(id, _)| id != user_id).map(|(_, tg)| *tg).collect();
        let flag = raise(
            conn,
            *user_id,
            FraudRule::SharedUpi,
            format!("UPI ID {vpa} is also used for withdrawals by {} other user(s)", other_users.len()),
            json!({ "vpa": vpa, "other_users": other_users }),
            format!("shared_upi:{user_id}:{vpa}"),
            now,
        )
        .await?;
        raised.extend(flag);
    }
    Ok(raised)
}

/// A withdrawal to `vpa`: flags the requester when one of their referees paid from that UPI
/// ID (the other order of `check_payer_vpa`).
pub(crate) async fn check_referee_payments(
    conn: &impl ConnectionTrait,
    requester: &user::Model,
    vpa: &str,
    now: DateTime<Utc>,
) -> Result<Vec<fraud_flag::Model>, DbErr> {
    let paid: Vec<(String, Option<String>, i32)> = payment::Entity::find()
        .select_only()
        .column(payment::Column::Reference)
        .column(payment::Column::PayerVpa)
        .column(payment::Column::UserId)
        .filter(payment::Column::UserId.in_subquery(users::referred_by(requester.id)))
        .filter(payment::Column::PayerVpa.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut raised = Vec::new();
    for (reference, payer_vpa, referee_id) in paid {
        if !payer_vpa.is_some_and(|p| fraud::same_upi(&p, vpa)) {
            continue;
        }
        let referee = user::Entity::find_by_id(referee_id).one(conn).await?.map(|u| u.telegram_id).unwrap_or_default();
        let flag = raise(
            conn,
            requester.id,
            FraudRule::OwnReferee,
            format!("referee {referee} paid {reference} from the referrer's withdrawal UPI ID {vpa}"),
            json!({ "vpa": vpa, "referee": referee, "payment": reference }),
            format!("own_referee:{}:{reference}", requester.id),
            now,
        )
        .await?;
        raised.extend(flag);
    }
    Ok(raised)
}

/// A payment by `payer` from `payer_vpa`: flags the payer's referrer when that is the UPI ID
/// the referrer withdraws to (buying through one's own referee).
pub(crate) async fn check_payer_vpa(
    conn: &impl ConnectionTrait,
    payer: &user::Model,
    payer_vpa: Option<&str>,
    payment_reference: &str,
    now: DateTime<Utc>,
) -> Result<Option<fraud_flag::Model>, DbErr> {
    let (Some(payer_vpa), Some(referrer_id)) = (payer_vpa, payer.referred_by) else { return Ok(None) };
    let vpas: Vec<String> = withdrawal::Entity::find()
        .select_only()
        .column(withdrawal::Column::Vpa)
        .distinct()
        .filter(withdrawal::Column::UserId.eq(referrer_id))
        .into_tuple()
        .all(conn)
        .await?;
    let Some(vpa) = vpas.into_iter().find(|v| fraud::same_upi(v, payer_vpa)) else { return Ok(None) };
    raise(
        conn,
        referrer_id,
        FraudRule::OwnReferee,
        format!("referee {} paid {payment_reference} from the referrer's withdrawal UPI ID {vpa}", payer.telegram_id),
        json!({ "vpa": vpa, "referee": payer.telegram_id, "payment": payment_reference }),
        format!("own_referee:{referrer_id}:{payment_reference}"),
        now,
    )
    .await
}

/// A refund could take back only `recovered` of a `amount` commission: the rest was spent,
/// withdrawn or is reserved for a withdrawal, which must not be paid out unreviewed.
pub(crate) async fn flag_clawback_shortfall(
    conn: &impl ConnectionTrait,
    earner_id: i32,
    commission_id: i32,
    order_id: i32,
    amount: Money,
    recovered: Money,
    now: DateTime<Utc>,
) -> Result<Option<fraud_flag::Model>, DbErr> {
    let missing = Money::from_paise(amount.paise() - recovered.paise());
    raise(
        conn,
        earner_id,
        FraudRule::ClawbackShortfall,
        format!("order {order_id} refunded: commission {amount} taken back, {missing} missing from the wallet"),
        json!({
            "order": order_id,
            "amount": amount.to_string(),
            "recovered": recovered.to_string(),
            "missing": missing.to_string(),
        }),
        format!("clawback_shortfall:{commission_id}"),
        now,
    )
    .await
}

pub async fn open_flags_of(conn: &impl ConnectionTrait, user_id: i32) -> Result<Vec<fraud_flag::Model>, DbErr> {
    fraud_flag::Entity::find()
        .filter(fraud_flag::Column::UserId.eq(user_id))
        .filter(fraud_flag::Column::Status.eq(FlagStatus::Open))
        .order_by_asc(fraud_flag::Column::Id)
        .all(conn)
        .await
}

/// Open flags, oldest first, with the flagged user.
pub async fn open_flags(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<(fraud_flag::Model, Option<user::Model>)>, ActError> {
    actor.require(Permission::View)?;
    let flags = fraud_flag::Entity::find()
        .filter(fraud_flag::Column::Status.eq(FlagStatus::Open))
        .order_by_asc(fraud_flag::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i32> = flags.iter().map(|f| f.user_id).collect();
    let owners = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(db).await?;
    Ok(flags
        .into_iter()
        .map(|f| {
            let owner = owners.iter().find(|u| u.id == f.user_id).cloned();
            (f, owner)
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveOutcome {
    Resolved(fraud_flag::Model),
    AlreadyResolved,
    UnknownFlag,
}

/// An admin reviewed the flag and found it harmless (or dealt with it). Once.
pub async fn resolve(
    db: &DatabaseConnection,
    actor: &Actor,
    flag_id: i32,
    now: DateTime<Utc>,
) -> Result<ResolveOutcome, ActError> {
    actor.require(Permission::Moderate)?;
    let txn = db.begin().await?;
    let updated = fraud_flag::Entity::update_many()
        .col_expr(fraud_flag::Column::Status, Expr::value(FlagStatus::Resolved))
        .col_expr(fraud_flag::Column::ResolvedBy, Expr::value(actor.telegram_id))
        .col_expr(fraud_flag::Column::ResolvedAt, Expr::value(now))
        .filter(fraud_flag::Column::Id.eq(flag_id))
        .filter(fraud_flag::Column::Status.eq(FlagStatus::Open))
        .exec(&txn)
        .await?;
    let flag = fraud_flag::Entity::find_by_id(flag_id).one(&txn).await?;
    let Some(flag) = flag else { return Ok(ResolveOutcome::UnknownFlag) };
    if updated.rows_affected == 0 {
        return Ok(ResolveOutcome::AlreadyResolved);
    }
    audit::record(
        &txn,
        actor,
        "fraud.resolve",
        &format!("flag:{flag_id}"),
        json!({ "rule": flag.rule.to_value(), "user_id": flag.user_id }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(ResolveOutcome::Resolved(flag))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockOutcome {
    Changed(user::Model),
    /// Already blocked (or already not blocked): nothing changed.
    Unchanged(user::Model),
    UnknownUser,
}

/// Blocks or unblocks a user by Telegram id, audit-logged.
pub async fn set_blocked(
    db: &DatabaseConnection,
    actor: &Actor,
    target_telegram_id: i64,
    blocked: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<BlockOutcome, ActError> {
    actor.require(Permission::Moderate)?;
    let txn = db.begin().await?;
    let updated = user::Entity::update_many()
        .col_expr(user::Column::IsBlocked, Expr::value(blocked))
        .filter(user::Column::TelegramId.eq(target_telegram_id))
        .filter(user::Column::IsBlocked.eq(!blocked))
        .exec(&txn)
        .await?;
    let Some(user) = users::find_by_telegram_id(&txn, target_telegram_id).await? else {
        return Ok(BlockOutcome::UnknownUser);
    };
    if updated.rows_affected == 0 {
        return Ok(BlockOutcome::Unchanged(user));
    }
    let action = if blocked { "user.block" } else { "user.unblock" };
    audit::record(&txn, actor, action, &format!("user:{target_telegram_id}"), json!({ "reason": reason }), now).await?;
    let notice = if blocked { Notice::Blocked } else { Notice::Unblocked };
    outbox::to_user(&txn, &user, &notice, now).await?;
    txn.commit().await?;
    Ok(BlockOutcome::Changed(user))
}

/// A flag with its user.
pub async fn find_flag(
    db: &DatabaseConnection,
    flag_id: i32,
) -> Result<Option<(fraud_flag::Model, user::Model)>, DbErr> {
    let Some(flag) = fraud_flag::Entity::find_by_id(flag_id).one(db).await? else { return Ok(None) };
    Ok(user::Entity::find_by_id(flag.user_id).one(db).await?.map(|u| (flag, u)))
}
