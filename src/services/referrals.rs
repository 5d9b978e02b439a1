//! Referral commissions: earned on paid orders (two levels), held, then credited to the
//! wallet by a job; cancelled or reversed when the order is refunded. Plus the stats a
//! referrer sees under Refer & earn, read from the referrer's `referral_tallies` row, which
//! every act that changes a figure moves in its own transaction (`Tallies`).
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, TryInsertResult,
};

use crate::domain::commission::{self, Level};
use crate::domain::{privacy, withdrawal as withdrawal_rules, Money};
use crate::entities::commission::{self as commission_row, CommissionStatus};
use crate::entities::fraud_flag;
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::order::{self, OrderStatus};
use crate::entities::referral_tally;
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

/// What one act changes in one user's `referral_tallies` row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TallyDelta {
    pub level1: i64,
    pub level1_paying: i64,
    pub level2: i64,
    pub level2_paying: i64,
    /// Paise.
    pub pending: i64,
    /// Paise.
    pub available: i64,
}

/// The tally changes of one transaction, written by `apply` as its last writes: after every
/// `users` row lock the transaction takes, one upsert per user in ascending user id, so
/// transactions lock tally rows in one order and never hold one while waiting for a
/// `users` row (ARCHITECTURE.md, invariants).
#[derive(Debug, Default)]
pub(crate) struct Tallies(BTreeMap<i32, TallyDelta>);

impl Tallies {
    pub(crate) fn of(&mut self, user_id: i32) -> &mut TallyDelta {
        self.0.entry(user_id).or_default()
    }

    /// Adds each delta to its row (`n = n + delta`, made at zero when missing), atomically.
    pub(crate) async fn apply(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        use referral_tally::Column as C;
        const COLUMNS: [C; 6] = [C::Level1, C::Level1Paying, C::Level2, C::Level2Paying, C::Pending, C::Available];
        for (user_id, d) in self.0 {
            if d == TallyDelta::default() {
                continue;
            }
            let mut on_conflict = OnConflict::column(C::UserId);
            for column in COLUMNS {
                on_conflict.value(
                    column,
                    Expr::col((referral_tally::Entity, column)).add(Expr::col((Alias::new("excluded"), column))),
                );
            }
            referral_tally::Entity::insert(referral_tally::ActiveModel {
                user_id: Set(user_id),
                level1: Set(d.level1),
                level1_paying: Set(d.level1_paying),
                level2: Set(d.level2),
                level2_paying: Set(d.level2_paying),
                pending: Set(d.pending),
                available: Set(d.available),
            })
            .on_conflict(on_conflict.to_owned())
            .exec_without_returning(conn)
            .await?;
        }
        Ok(())
    }
}

/// The user's tally row; zeros when they have none yet.
pub(crate) async fn tally_of(conn: &impl ConnectionTrait, user_id: i32) -> Result<referral_tally::Model, DbErr> {
    Ok(referral_tally::Entity::find_by_id(user_id).one(conn).await?.unwrap_or(referral_tally::Model {
        user_id,
        level1: 0,
        level1_paying: 0,
        level2: 0,
        level2_paying: 0,
        pending: 0,
        available: 0,
    }))
}

/// Rebuilds every `referral_tallies` row from `users`, `orders` and `commissions` (the
/// backfill of migration `m20261208_000022_referral_tallies`), for data written around the
/// services: a bulk load. Run it on a shop at rest: a sale committed while it runs may be
/// counted from before.
pub async fn recount_tallies(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    referral_tally::Entity::delete_many().exec(&txn).await?;
    txn.execute_unprepared(migration::m20261208_000022_referral_tallies::RECOUNT).await?;
    txn.commit().await
}

/// How many orders in status `paid` the customer has, counted up to two. A paying referral
/// is one with at least one (the definition the tallies and their recount keep): none, one
/// or more is all a tally needs to know.
async fn paid_orders_up_to_two(conn: &impl ConnectionTrait, user_id: i32) -> Result<usize, DbErr> {
    let ids: Vec<i32> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::UserId.eq(user_id))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .limit(2)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.len())
}

/// The tally changes of a sign-up referred by `referrer`, inside the sign-up's transaction:
/// one more level-1 referral for the referrer, one more level-2 for the referrer's referrer.
pub(crate) async fn tally_signup(conn: &impl ConnectionTrait, referrer: &user::Model) -> Result<(), DbErr> {
    let mut tallies = Tallies::default();
    tallies.of(referrer.id).level1 += 1;
    if let Some(up) = referrer.referred_by {
        tallies.of(up).level2 += 1;
    }
    tallies.apply(conn).await
}

fn level_number(level: Level) -> i16 {
    match level {
        Level::One => 1,
        Level::Two => 2,
    }
}

/// Records the commissions of a just-paid order inside the caller's transaction: level 1 for
/// the buyer's referrer, level 2 for that referrer's referrer. Blocked earners get nothing,
/// and a chain that leads back to the buyer stops there. Recording twice records no
/// commission twice. Also the tallies: the earners' pending sums, and when this is the
/// buyer's only paid order (their first, or the first since a refund), one more paying
/// referral for each referrer up the chain. Call it once per claimed order (`pay_order`,
/// which holds the buyer's row: concurrent payments of one buyer count their paid orders
/// one after the other), after the transaction's last `users` row lock.
pub(crate) async fn record_for_order(
    conn: &impl ConnectionTrait,
    buyer: &user::Model,
    order: &order::Model,
    now: DateTime<Utc>,
) -> Result<Vec<EarnedCommission>, DbErr> {
    let rules = settings::referral_rules(conn).await?;
    let (price, cost) = (Money::from_paise(order.price), Money::from_paise(order.cost));
    let now_paying = buyer.referred_by.is_some() && paid_orders_up_to_two(conn, buyer.id).await? == 1;
    let mut tallies = Tallies::default();
    let mut earned = Vec::new();
    let mut seen = vec![buyer.id];
    let mut next = buyer.referred_by;
    for level in [Level::One, Level::Two] {
        let Some(earner_id) = next.filter(|id| !seen.contains(id)) else { break };
        let Some(earner) = user::Entity::find_by_id(earner_id).one(conn).await? else { break };
        seen.push(earner.id);
        next = earner.referred_by;
        if now_paying {
            match level {
                Level::One => tallies.of(earner.id).level1_paying += 1,
                Level::Two => tallies.of(earner.id).level2_paying += 1,
            }
        }
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
            tallies.of(earner.id).pending += amount.paise();
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
    tallies.apply(conn).await?;
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
    let mut tallies = Tallies::default();
    *tallies.of(commission.earner_id) =
        TallyDelta { pending: -commission.amount, available: commission.amount, ..Default::default() };
    tallies.apply(&txn).await?;
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

/// Undoes the commissions of refunded order `order_id`, inside the refund's transaction (the
/// buyer's row locked, the order just moved paid -> refunded), and the tallies: the earners'
/// sums, and when that was the buyer's last paid order, one paying referral fewer for each
/// referrer up the chain. Call it once per refunded order; it writes the tallies last.
pub(crate) async fn reverse_for_order(
    conn: &impl ConnectionTrait,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<CommissionReversal>, DbErr> {
    let mut tallies = Tallies::default();
    if let Some(order) = order::Entity::find_by_id(order_id).one(conn).await? {
        tally_no_longer_paying(conn, order.user_id, &mut tallies).await?;
    }
    let commissions = commission_row::Entity::find()
        .filter(commission_row::Column::OrderId.eq(order_id))
        .order_by_asc(commission_row::Column::Level)
        .all(conn)
        .await?;
    let mut reversals = Vec::new();
    for commission in commissions {
        let Some(earner) = user::Entity::find_by_id(commission.earner_id).one(conn).await? else { continue };
        let amount = Money::from_paise(commission.amount);
        if transition(conn, commission.id, CommissionStatus::Pending, CommissionStatus::Cancelled, now).await? {
            tallies.of(earner.id).pending -= commission.amount;
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
        tallies.of(earner.id).available -= commission.amount;
        let recovered = take_back(conn, &commission, now).await?;
        commission_row::Entity::update_many()
            .col_expr(commission_row::Column::Recovered, Expr::value(recovered.paise()))
            .filter(commission_row::Column::Id.eq(commission.id))
            .exec(conn)
            .await?;
        // Spent on plans is fine; withdrawn or reserved for a withdrawal is for an admin to see:
        // flag when this reversal left more withdrawn or reserved than credited.
        // The tallies are written at the end: add what this transaction moved so far.
        let mut after = totals(conn, earner.id).await?;
        let moved = *tallies.of(earner.id);
        after.pending = Money::from_paise(after.pending.paise() + moved.pending);
        after.credited = Money::from_paise(after.credited.paise() + moved.available);
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
    tallies.apply(conn).await?;
    Ok(reversals)
}

/// When customer `user_id` has no paid order left, one paying referral fewer for their
/// referrer (level 1) and that one's referrer (level 2).
async fn tally_no_longer_paying(conn: &impl ConnectionTrait, user_id: i32, tallies: &mut Tallies) -> Result<(), DbErr> {
    let Some(buyer) = user::Entity::find_by_id(user_id).one(conn).await? else { return Ok(()) };
    let Some(level1) = buyer.referred_by else { return Ok(()) };
    if paid_orders_up_to_two(conn, buyer.id).await? > 0 {
        return Ok(());
    }
    tallies.of(level1).level1_paying -= 1;
    let up = user::Entity::find_by_id(level1).one(conn).await?.and_then(|r| r.referred_by);
    if let Some(level2) = up.filter(|id| *id != buyer.id) {
        tallies.of(level2).level2_paying -= 1;
    }
    Ok(())
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

/// The user's commission sums (from their tally row) and withdrawal sums.
pub(crate) async fn totals(conn: &impl ConnectionTrait, user_id: i32) -> Result<CommissionTotals, DbErr> {
    let tally = tally_of(conn, user_id).await?;
    totals_with(conn, &tally).await
}

async fn totals_with(conn: &impl ConnectionTrait, tally: &referral_tally::Model) -> Result<CommissionTotals, DbErr> {
    // Summed in SQL, per status (`ix_withdrawals_user_status`): a user's own requests.
    let withdrawals: Vec<(i64, WithdrawalStatus)> = withdrawal::Entity::find()
        .select_only()
        .column_as(sum_amount(), "amount")
        .column(withdrawal::Column::Status)
        .filter(withdrawal::Column::UserId.eq(tally.user_id))
        .filter(withdrawal::Column::Status.is_in([
            WithdrawalStatus::Pending,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Paid,
        ]))
        .group_by(withdrawal::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut totals = CommissionTotals {
        pending: Money::from_paise(tally.pending),
        credited: Money::from_paise(tally.available),
        ..Default::default()
    };
    let add = |m: &mut Money, paise: i64| *m = Money::from_paise(m.paise() + paise);
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

/// The referrer's screen: four queries (the user, their tally row, their withdrawals, the
/// settings), however many referrals and commissions they have, as refer-and-earn is
/// opened often.
pub async fn stats(db: &DatabaseConnection, telegram_id: i64) -> Result<Option<ReferralStats>, DbErr> {
    let Some(me) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    let tally = tally_of(db, me.id).await?;
    let totals = totals_with(db, &tally).await?;
    let (rules, withdrawal_min) = settings::referral_terms(db).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(Some(ReferralStats {
        code: me.referral_code.clone(),
        level1: count(tally.level1),
        level1_paying: count(tally.level1_paying),
        level2: count(tally.level2),
        level2_paying: count(tally.level2_paying),
        withdrawable: totals.withdrawable(Money::from_paise(me.balance)),
        totals,
        blocked: me.is_blocked,
        rules,
        withdrawal_min,
    }))
}
