//! Referral commissions: earned on paid orders (two levels), held, then credited to the
//! wallet by a job; cancelled or reversed when the order is refunded. Plus the stats a
//! referrer sees under Refer & earn.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, TransactionTrait, TryInsertResult,
};

use crate::domain::commission::{self, Level};
use crate::domain::{privacy, withdrawal as withdrawal_rules, Money};
use crate::entities::commission::{self as commission_row, CommissionStatus};
use crate::entities::fraud_flag;
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::order;
use crate::entities::user;
use crate::entities::withdrawal::{self, WithdrawalStatus};
use crate::services::outbox::{self, Notice};
use crate::services::wallet::{self, Posting, PostingError};
use crate::services::{fraud, settings, users};

/// A commission just earned, for telling the referrer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarnedCommission {
    pub earner_telegram_id: i64,
    pub level: Level,
    pub amount: Money,
    /// The buyer's first name, partly masked.
    pub buyer: String,
    pub available_at: DateTime<Utc>,
}

fn level_number(level: Level) -> i16 {
    match level {
        Level::One => 1,
        Level::Two => 2,
    }
}

/// Records the commissions of a just-paid order inside the caller's transaction: level 1 for
/// the buyer's referrer, level 2 for that referrer's referrer. Blocked earners get nothing,
/// and a chain that leads back to the buyer stops there. Recording twice changes nothing.
pub(crate) async fn record_for_order(
    conn: &impl ConnectionTrait,
    buyer: &user::Model,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<Vec<EarnedCommission>, DbErr> {
    let rules = settings::referral_rules(conn).await?;
    let (price, cost) = (Money::from_paise(order.price), Money::from_paise(order.cost));
    let mut earned = Vec::new();
    let mut seen = vec![buyer.id];
    let mut next = buyer.referred_by;
    for level in [Level::One, Level::Two] {
        let Some(earner_id) = next.filter(|id| !seen.contains(id)) else { break };
        let Some(earner) = user::Entity::find_by_id(earner_id).one(conn).await? else { break };
        seen.push(earner.id);
        next = earner.referred_by;
        let amount = commission::commission(price, cost, rules.rate(level));
        if earner.is_blocked || !amount.is_positive() {
            continue;
        }
        let inserted = commission_row::Entity::insert(commission_row::ActiveModel {
            order_id: Set(order.id),
            level: Set(level_number(level)),
            earner_id: Set(earner.id),
            buyer_id: Set(buyer.id),
            amount: Set(amount.paise()),
            status: Set(CommissionStatus::Pending),
            recovered: Set(0),
            created_at: Set(now),
            matured_at: Set(None),
            closed_at: Set(None),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([commission_row::Column::OrderId, commission_row::Column::Level])
        .exec_without_returning(conn)
        .await?;
        if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            let commission = EarnedCommission {
                earner_telegram_id: earner.telegram_id,
                level,
                amount,
                buyer: privacy::mask_name(&buyer.first_name),
                available_at: now + rules.hold,
            };
            let notice = Notice::CommissionEarned {
                amount: amount.paise(),
                level: level_number(level) as u8,
                buyer: commission.buyer.clone(),
                available_at: commission.available_at,
            };
            outbox::to_user(conn, &earner, &notice, now).await?;
            earned.push(commission);
        }
    }
    Ok(earned)
}

/// A commission that finished its hold and is now in the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matured {
    pub commission_id: i32,
    pub earner_telegram_id: i64,
    pub amount: Money,
    pub balance: Money,
}

/// Most commissions one run of the job credits; the rest wait for the next run.
const MATURE_BATCH: u64 = 200;

/// Credits every pending commission older than the hold (`referral.hold_hours`) to its
/// earner's wallet. Safe to run twice or concurrently: each commission moves
/// pending -> available once, together with its ledger row. Blocked earners' commissions wait.
pub async fn mature_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<Matured>, DbErr> {
    let hold = settings::referral_rules(db).await?.hold;
    let due = commission_row::Entity::find()
        .filter(commission_row::Column::Status.eq(CommissionStatus::Pending))
        .filter(commission_row::Column::CreatedAt.lte(now - hold))
        .filter(commission_row::Column::EarnerId.not_in_subquery(blocked_users()))
        .order_by_asc(commission_row::Column::Id)
        .limit(MATURE_BATCH)
        .all(db)
        .await?;
    let mut matured = Vec::new();
    for commission in due {
        // One commission that fails must not hold back the others (or their notices).
        match mature_one(db, &commission, now).await {
            Ok(Some(done)) => matured.push(done),
            Ok(None) => {}
            Err(err) => log::error!("commission {} not matured: {err}", commission.id),
        }
    }
    Ok(matured)
}

fn blocked_users() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::IsBlocked).eq(true))
        .to_owned()
}

async fn mature_one(
    db: &DatabaseConnection,
    commission: &commission_row::Model,
    now: DateTime<Utc>,
) -> Result<Option<Matured>, DbErr> {
    let txn = db.begin().await?;
    let claimed = commission_row::Entity::update_many()
        .col_expr(commission_row::Column::Status, Expr::value(CommissionStatus::Available))
        .col_expr(commission_row::Column::MaturedAt, Expr::value(now))
        .filter(commission_row::Column::Id.eq(commission.id))
        .filter(commission_row::Column::Status.eq(CommissionStatus::Pending))
        // Blocked since the run started: it waits.
        .filter(commission_row::Column::EarnerId.not_in_subquery(blocked_users()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None); // another run (or a refund) got there first
    }
    let posting = Posting {
        user_id: commission.earner_id,
        amount: Money::from_paise(commission.amount),
        kind: LedgerKind::Commission,
        reference: format!("order:{}", commission.order_id),
        idempotency_key: format!("commission:{}", commission.id),
    };
    let balance = match wallet::post(&txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(None),
        Err(PostingError::Insufficient { .. }) => return Err(DbErr::Custom("a credit cannot be short".into())),
        Err(PostingError::Db(err)) => return Err(err),
    };
    let earner = user::Entity::find_by_id(commission.earner_id).one(&txn).await?;
    if let Some(earner) = &earner {
        let notice = Notice::CommissionAvailable { amount: commission.amount, balance: balance.paise() };
        outbox::to_user(&txn, earner, &notice, now).await?;
    }
    txn.commit().await?;
    Ok(earner.map(|e| Matured {
        commission_id: commission.id,
        earner_telegram_id: e.telegram_id,
        amount: Money::from_paise(commission.amount),
        balance,
    }))
}

/// What a refund did to one commission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionReversal {
    pub earner_telegram_id: i64,
    pub amount: Money,
    /// False: it was still on hold and is simply cancelled.
    pub was_credited: bool,
    /// Taken back from the wallet (at most the balance: a wallet never goes negative).
    pub recovered: Money,
    /// Raised when the wallet held less than the commission, so admins review the earner's
    /// withdrawals before paying any out.
    pub flag: Option<fraud_flag::Model>,
}

/// Undoes the commissions of refunded order `order_id`, inside the refund's transaction.
pub(crate) async fn reverse_for_order(
    conn: &impl ConnectionTrait,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<CommissionReversal>, DbErr> {
    let commissions =
        commission_row::Entity::find().filter(commission_row::Column::OrderId.eq(order_id)).all(conn).await?;
    let mut reversals = Vec::new();
    for commission in commissions {
        let Some(earner) = user::Entity::find_by_id(commission.earner_id).one(conn).await? else { continue };
        let amount = Money::from_paise(commission.amount);
        if transition(conn, commission.id, CommissionStatus::Pending, CommissionStatus::Cancelled, now).await? {
            let notice = Notice::CommissionUndone { amount: amount.paise(), recovered: 0, was_credited: false };
            outbox::to_user(conn, &earner, &notice, now).await?;
            reversals.push(CommissionReversal {
                earner_telegram_id: earner.telegram_id,
                amount,
                was_credited: false,
                recovered: Money::ZERO,
                flag: None,
            });
            continue;
        }
        if !transition(conn, commission.id, CommissionStatus::Available, CommissionStatus::Reversed, now).await? {
            continue; // cancelled or reversed before
        }
        let recovered = take_back(conn, &commission, now).await?;
        commission_row::Entity::update_many()
            .col_expr(commission_row::Column::Recovered, Expr::value(recovered.paise()))
            .filter(commission_row::Column::Id.eq(commission.id))
            .exec(conn)
            .await?;
        // Spent on plans is fine; withdrawn or reserved for a withdrawal is for an admin to see:
        // flag when this reversal left more withdrawn or reserved than credited.
        let after = totals(conn, earner.id).await?;
        let before =
            CommissionTotals { credited: after.credited.checked_add(amount).unwrap_or(after.credited), ..after };
        let flag = if recovered < amount && after.uncovered() > before.uncovered() {
            fraud::flag_clawback_shortfall(conn, earner.id, commission.id, order_id, amount, recovered, now).await?
        } else {
            None
        };
        let notice =
            Notice::CommissionUndone { amount: amount.paise(), recovered: recovered.paise(), was_credited: true };
        outbox::to_user(conn, &earner, &notice, now).await?;
        reversals.push(CommissionReversal {
            earner_telegram_id: earner.telegram_id,
            amount,
            was_credited: true,
            recovered,
            flag,
        });
    }
    Ok(reversals)
}

async fn transition(
    conn: &impl ConnectionTrait,
    id: i32,
    from: CommissionStatus,
    to: CommissionStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = commission_row::Entity::update_many()
        .col_expr(commission_row::Column::Status, Expr::value(to))
        .col_expr(commission_row::Column::ClosedAt, Expr::value(now))
        .filter(commission_row::Column::Id.eq(id))
        .filter(commission_row::Column::Status.eq(from))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// A rejected (or failed) withdrawal released `released` into the wallet: it first repays
/// commissions that were reversed while the money was reserved and could not be taken back
/// then. Returns what was repaid.
pub(crate) async fn recover_from_release(
    conn: &impl ConnectionTrait,
    user_id: i32,
    withdrawal_id: i32,
    released: Money,
    now: DateTime<Utc>,
) -> Result<Money, DbErr> {
    let owed = commission_row::Entity::find()
        .filter(commission_row::Column::EarnerId.eq(user_id))
        .filter(commission_row::Column::Status.eq(CommissionStatus::Reversed))
        .filter(Expr::col(commission_row::Column::Recovered).lt(Expr::col(commission_row::Column::Amount)))
        .order_by_asc(commission_row::Column::Id)
        .all(conn)
        .await?;
    let mut repaid = Money::ZERO;
    for commission in owed {
        let left = Money::from_paise(released.paise() - repaid.paise());
        let take = left.min(Money::from_paise(commission.amount - commission.recovered));
        if !take.is_positive() {
            break;
        }
        let posting = Posting {
            user_id,
            amount: Money::from_paise(-take.paise()),
            kind: LedgerKind::CommissionReversal,
            reference: format!("order:{}", commission.order_id),
            idempotency_key: format!("commission:{}:repaid-by-withdrawal:{withdrawal_id}", commission.id),
        };
        match wallet::post(conn, &posting, now).await {
            Ok(_) => {}
            // The release itself was just credited, so the wallet holds at least `take`.
            Err(err @ (PostingError::Insufficient { .. } | PostingError::Duplicate)) => {
                return Err(DbErr::Custom(format!("repaying commission {}: {err}", commission.id)))
            }
            Err(PostingError::Db(err)) => return Err(err),
        }
        commission_row::Entity::update_many()
            .col_expr(commission_row::Column::Recovered, Expr::col(commission_row::Column::Recovered).add(take.paise()))
            .filter(commission_row::Column::Id.eq(commission.id))
            .exec(conn)
            .await?;
        repaid = Money::from_paise(repaid.paise() + take.paise());
    }
    Ok(repaid)
}

/// Debits the credited commission, as much of it as the wallet holds.
async fn take_back(
    conn: &impl ConnectionTrait,
    commission: &commission_row::Model,
    now: DateTime<Utc>,
) -> Result<Money, DbErr> {
    let mut balance = users::balance_of(conn, commission.earner_id).await?;
    // A concurrent purchase can shrink the balance between the read and the debit: retry
    // with what is left.
    for _ in 0..4 {
        let take = balance.min(Money::from_paise(commission.amount));
        if !take.is_positive() {
            return Ok(Money::ZERO);
        }
        let posting = Posting {
            user_id: commission.earner_id,
            amount: Money::from_paise(-take.paise()),
            kind: LedgerKind::CommissionReversal,
            reference: format!("order:{}", commission.order_id),
            idempotency_key: format!("commission:{}:reversal", commission.id),
        };
        match wallet::post(conn, &posting, now).await {
            Ok(_) => return Ok(take),
            Err(PostingError::Insufficient { balance: now_left }) => balance = now_left,
            Err(PostingError::Duplicate) => return Ok(Money::ZERO),
            Err(PostingError::Db(err)) => return Err(err),
        }
    }
    Err(DbErr::Custom(format!("commission {} could not be taken back", commission.id)))
}

/// The money side of a referrer's commissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommissionTotals {
    /// On hold.
    pub pending: Money,
    /// Credited to the wallet (reversed ones excluded).
    pub credited: Money,
    /// Paid out.
    pub withdrawn: Money,
    /// In requests waiting for an admin or a payout.
    pub reserved: Money,
}

impl CommissionTotals {
    /// Everything earned and not cancelled or reversed.
    pub fn total(&self) -> Money {
        Money::from_paise(self.pending.paise() + self.credited.paise())
    }

    /// Withdrawn or reserved beyond the commission credited (after reversals): money that left
    /// (or is about to leave) without a commission behind it.
    pub fn uncovered(&self) -> Money {
        Money::from_paise(std::cmp::max(self.withdrawn.paise() + self.reserved.paise() - self.credited.paise(), 0))
    }

    pub fn withdrawable(&self, balance: Money) -> Money {
        withdrawal_rules::withdrawable(
            balance,
            self.credited,
            Money::from_paise(self.withdrawn.paise() + self.reserved.paise()),
        )
    }
}

/// `CAST(COALESCE(SUM(amount), 0) AS BIGINT)`: PostgreSQL sums BIGINT as NUMERIC.
fn sum_amount() -> Expr {
    Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)")
}

pub(crate) async fn totals(conn: &impl ConnectionTrait, user_id: i32) -> Result<CommissionTotals, DbErr> {
    // Summed in SQL, per status: a referrer with thousands of commissions reads one row each.
    let commissions: Vec<(i64, CommissionStatus)> = commission_row::Entity::find()
        .select_only()
        .column_as(sum_amount(), "amount")
        .column(commission_row::Column::Status)
        .filter(commission_row::Column::EarnerId.eq(user_id))
        .filter(commission_row::Column::Status.is_in([CommissionStatus::Pending, CommissionStatus::Available]))
        .group_by(commission_row::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let withdrawals: Vec<(i64, WithdrawalStatus)> = withdrawal::Entity::find()
        .select_only()
        .column_as(sum_amount(), "amount")
        .column(withdrawal::Column::Status)
        .filter(withdrawal::Column::UserId.eq(user_id))
        .filter(withdrawal::Column::Status.is_in([
            WithdrawalStatus::Pending,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Paid,
        ]))
        .group_by(withdrawal::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut totals = CommissionTotals::default();
    let add = |m: &mut Money, paise: i64| *m = Money::from_paise(m.paise() + paise);
    for (amount, status) in commissions {
        match status {
            CommissionStatus::Pending => add(&mut totals.pending, amount),
            _ => add(&mut totals.credited, amount),
        }
    }
    for (amount, status) in withdrawals {
        match status {
            WithdrawalStatus::Paid => add(&mut totals.withdrawn, amount),
            _ => add(&mut totals.reserved, amount),
        }
    }
    Ok(totals)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralStats {
    pub code: String,
    pub level1: u64,
    pub level1_paying: u64,
    pub level2: u64,
    pub level2_paying: u64,
    pub totals: CommissionTotals,
    pub withdrawable: Money,
    pub blocked: bool,
    /// The rates and hold in force, to explain them.
    pub rules: settings::ReferralRules,
    /// The smallest withdrawal (`referral.withdrawal_min`).
    pub withdrawal_min: Money,
}

/// The referrer's screen: five queries (the user, the four referral counts at once, the
/// commissions, the withdrawals, the settings), as refer-and-earn is opened often.
pub async fn stats(db: &DatabaseConnection, telegram_id: i64) -> Result<Option<ReferralStats>, DbErr> {
    let Some(me) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    let [level1, level1_paying, level2, level2_paying] = referral_counts(db, me.id).await?;
    let totals = totals(db, me.id).await?;
    let (rules, withdrawal_min) = settings::referral_terms(db).await?;
    Ok(Some(ReferralStats {
        code: me.referral_code.clone(),
        level1,
        level1_paying,
        level2,
        level2_paying,
        withdrawable: totals.withdrawable(Money::from_paise(me.balance)),
        totals,
        blocked: me.is_blocked,
        rules,
        withdrawal_min,
    }))
}

/// Level-1 referrals, those of them who paid, level-2 referrals, those who paid: the counts
/// `fraud::conversion` and its level-2 kin would make, as one statement.
async fn referral_counts(db: &DatabaseConnection, referrer_id: i32) -> Result<[u64; 4], DbErr> {
    let count = |select: sea_orm::Select<user::Entity>| {
        Expr::from(select.select_only().column_as(user::Column::Id.count(), "n").into_query())
    };
    let level1 = || user::Entity::find().filter(user::Column::ReferredBy.eq(referrer_id));
    let level2 = || user::Entity::find().filter(user::Column::ReferredBy.in_subquery(users::referred_by(referrer_id)));
    let paid = users::has_paid_order;
    let names = ["level1", "level1_paying", "level2", "level2_paying"];
    let query = Query::select()
        .expr_as(count(level1()), names[0])
        .expr_as(count(level1().filter(paid())), names[1])
        .expr_as(count(level2()), names[2])
        .expr_as(count(level2().filter(paid())), names[3])
        .to_owned();
    let row = db
        .query_one_raw(db.get_database_backend().build(&query))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("referral counts".into()))?;
    let mut counts = [0; 4];
    for (count, name) in counts.iter_mut().zip(names) {
        *count = u64::try_from(row.try_get::<i64>("", name)?).unwrap_or(0);
    }
    Ok(counts)
}
