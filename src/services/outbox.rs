//! The outbox: what someone other than the person acting must be told, written in the same
//! transaction as the act, delivered later by one sender (`bot::outbox::run`). A row is
//! rendered when it is sent, in the recipient's language, so it holds facts, not text.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::entities::approval_request::ApprovalKind;
use crate::entities::fraud_flag;
use crate::entities::login_report::ReportReason;
use crate::entities::outbox_message::{self, OutboxStatus};
use crate::entities::user::{self, Role};
use crate::services::settings;

tokio::task_local! {
    /// Set while `noting_queued` runs an act: whether the act queued a row.
    static QUEUED: std::cell::Cell<bool>;
}

/// Runs `act` and tells whether it queued any outbox row (in this task), so that the sender is
/// woken only for an act that gave it something to send.
pub async fn noting_queued<F: std::future::Future>(act: F) -> (F::Output, bool) {
    QUEUED
        .scope(std::cell::Cell::new(false), async move {
            let output = act.await;
            (output, QUEUED.with(std::cell::Cell::get))
        })
        .await
}

/// A person as staff see them in alerts: `@username (id)` or `First (id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub telegram_id: i64,
    pub username: Option<String>,
    pub first_name: String,
}

impl From<&user::Model> for Person {
    fn from(user: &user::Model) -> Person {
        Person { telegram_id: user.telegram_id, username: user.username.clone(), first_name: user.first_name.clone() }
    }
}

/// The person with this Telegram id, for naming them in an alert (staff always have a row).
pub async fn person(conn: &impl ConnectionTrait, telegram_id: i64) -> Result<Person, DbErr> {
    let found = user::Entity::find().filter(user::Column::TelegramId.eq(telegram_id)).one(conn).await?;
    Ok(match found {
        Some(user) => (&user).into(),
        None => Person { telegram_id, username: None, first_name: String::new() },
    })
}

/// Why a payment for a purchase ended in the wallet instead of buying the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotBought {
    SoldOut {
        plan_name: String,
    },
    /// The money arrived after the payment expired.
    Late,
    /// The order was cancelled or paid another way meanwhile.
    OrderClosed,
    /// Its promo code or first-purchase discount no longer held.
    DiscountGone,
}

/// Why auto-renew could not buy the next period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AutoRenewProblem {
    /// The plan is no longer on sale.
    OffSale,
    /// The plan hands out a new login on renewal and none is left.
    SoldOut,
}

/// Why a gateway's report of money was not credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GatewayRefusal {
    /// Not in INR.
    Currency,
    /// The event carries no amount (or no payment at all).
    NoAmount,
    /// Zero or negative.
    NotPositive,
}

/// Every kind of message the outbox carries. Amounts are paise, times UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Notice {
    // To customers.
    PaymentReceived {
        reference: String,
        amount: i64,
        balance: i64,
        /// False when a purchase message follows, which carries the menu.
        menu: bool,
    },
    LoginDelivered {
        plan_name: String,
        credential: String,
        ends_at: DateTime<Utc>,
        balance: i64,
    },
    /// A broadcast ended (all sent, or cancelled): its figures, to whoever started it.
    BroadcastFinished {
        broadcast_id: i32,
        cancelled: bool,
        total: u64,
        sent: u64,
        failed: u64,
        blocked: u64,
        unknown: u64,
        skipped: u64,
    },
    /// The daily backup was written (to owners only: it holds every customer's data).
    BackupReady {
        day: String,
        path: String,
        bytes: u64,
        rows: u64,
    },
    /// A gift was paid (by a payment that arrived): the link to pass on.
    GiftBought {
        plan_name: String,
        code: String,
        expires_at: DateTime<Utc>,
        balance: i64,
    },
    /// The buyer's gift was claimed by `by`.
    GiftClaimed {
        order_id: i32,
        plan_name: String,
        by: Person,
    },
    /// A subscription ends in `days_left` days, or (None) ended today.
    ExpiryReminder {
        plan_name: String,
        ends_at: DateTime<Utc>,
        days_left: Option<u32>,
        /// 0 in rows written before renewals existed: no Renew button then.
        #[serde(default)]
        subscription_id: i32,
    },
    /// A paid renewal (by a payment that arrived): the login for the new period.
    Renewed {
        plan_name: String,
        credential: String,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        new_login: bool,
        balance: i64,
    },
    /// Auto-renew bought the next period from the wallet.
    AutoRenewed {
        plan_name: String,
        credential: String,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        new_login: bool,
        price: i64,
        balance: i64,
    },
    /// Auto-renew is due but the wallet lacks `missing`; it tries again until the end.
    AutoRenewShort {
        subscription_id: i32,
        plan_name: String,
        ends_at: DateTime<Utc>,
        price: i64,
        balance: i64,
        missing: i64,
    },
    AutoRenewFailed {
        subscription_id: i32,
        plan_name: String,
        ends_at: DateTime<Utc>,
        why: AutoRenewProblem,
    },
    /// Staff replaced the login of report `report_id`.
    LoginReplaced {
        report_id: i32,
        plan_name: String,
        credential: String,
        ends_at: DateTime<Utc>,
    },
    LoginReportReply {
        report_id: i32,
        plan_name: String,
        text: String,
    },
    LoginReportClosed {
        report_id: i32,
        plan_name: String,
    },
    /// A helper answered the customer's ticket.
    TicketReply {
        ticket_id: i32,
        text: Option<String>,
        photo_file_id: Option<String>,
    },
    TicketClosed {
        ticket_id: i32,
    },
    /// The shop changed the password of the login this customer holds (/rotate).
    LoginChanged {
        plan_name: String,
        credential: String,
        ends_at: DateTime<Utc>,
    },
    PurchaseNotCompleted {
        why: NotBought,
        balance: i64,
    },
    WalletCredited {
        amount: i64,
        reason: String,
        balance: i64,
    },
    WalletDebited {
        amount: i64,
        reason: String,
        balance: i64,
    },
    Refunded {
        order_id: i32,
        plan_name: String,
        amount: i64,
        reason: String,
        balance: i64,
    },
    UpiRejected {
        payment_id: i32,
        utr: String,
        reason: String,
    },
    ReferralJoined {
        /// Already masked (`Ra***`).
        name: String,
    },
    CommissionEarned {
        amount: i64,
        level: u8,
        buyer: String,
        available_at: DateTime<Utc>,
    },
    CommissionAvailable {
        amount: i64,
        balance: i64,
    },
    CommissionUndone {
        amount: i64,
        recovered: i64,
        was_credited: bool,
    },
    WithdrawalApproved {
        amount: i64,
        vpa: String,
    },
    WithdrawalRejected {
        amount: i64,
        reason: String,
        balance: i64,
        repaid: i64,
        payout_failed: bool,
    },
    WithdrawalPaid {
        amount: i64,
        vpa: String,
        utr: String,
    },
    Blocked,
    Unblocked,
    /// An owner changed this person's staff role (`admin`, `support`, or `user` when revoked).
    RoleChanged {
        role: String,
    },
    // To staff.
    PaymentAlert {
        reference: String,
        amount: i64,
        customer: Person,
    },
    NewOrderAlert {
        order_id: i32,
        plan_id: i32,
        plan_name: String,
        price: i64,
        customer: Person,
        stock_left: u64,
        /// The order renewed a subscription.
        #[serde(default)]
        renewal: bool,
    },
    SoldOutAlert {
        plan_id: i32,
        plan_name: String,
    },
    UpiClaimAlert {
        claim_id: i32,
        customer: Person,
        amount: i64,
        reference: String,
        utr: String,
        screenshot_file_id: Option<String>,
    },
    FraudFlagAlert {
        flag_id: i32,
        user: Person,
        rule: String,
        evidence: String,
    },
    WithdrawalAlert {
        withdrawal_id: i32,
        customer: Person,
        amount: i64,
        vpa: String,
        held_by: Vec<i32>,
        /// Above `withdrawal.approval_threshold`: two different approvers are needed.
        #[serde(default)]
        two_approvals: bool,
    },
    WithdrawalApprovedAlert {
        withdrawal_id: i32,
        by: Person,
        amount: i64,
        vpa: String,
    },
    /// A withdrawal above `withdrawal.approval_threshold` got its first approval (from `by`);
    /// someone else must give the second. Everyone but `by` is alerted.
    WithdrawalFirstApprovalAlert {
        withdrawal_id: i32,
        customer: Person,
        amount: i64,
        vpa: String,
        by: Person,
    },
    /// A manual credit or debit above `admin.approval_threshold` waits for a second owner or
    /// admin. Everyone but the requester is alerted.
    ApprovalRequestAlert {
        request_id: i32,
        adjustment: ApprovalKind,
        customer: Person,
        amount: i64,
        reason: String,
        requested_by: Person,
    },
    /// To the requester: `by` approved their request and the money moved.
    ApprovalRequestApproved {
        request_id: i32,
        adjustment: ApprovalKind,
        customer: Person,
        amount: i64,
        by: Person,
        /// The customer's balance after it.
        balance: i64,
    },
    /// To the requester: `by` rejected their request; nothing moved.
    ApprovalRequestRejected {
        request_id: i32,
        adjustment: ApprovalKind,
        customer: Person,
        amount: i64,
        by: Person,
        reason: String,
    },
    /// A customer's "login not working" (again, `overdue`, when open past the SLA).
    LoginReportAlert {
        report_id: i32,
        customer: Person,
        plan_name: String,
        order_id: i32,
        ends_at: DateTime<Utc>,
        stock_item_id: i32,
        credential: String,
        reason: ReportReason,
        note: Option<String>,
        screenshot_file_id: Option<String>,
        paid_orders: u64,
        earlier_reports: u64,
        overdue: bool,
    },
    /// To support: a customer wrote under /support.
    TicketMessage {
        ticket_id: i32,
        customer: Person,
        text: Option<String>,
        photo_file_id: Option<String>,
        new_ticket: bool,
    },
    TicketClosedByCustomer {
        ticket_id: i32,
        customer: Person,
    },
    StarsUnrecordedAlert {
        charge: String,
        reference: String,
        stars: u32,
        customer_chat: i64,
    },
    /// A gateway reported a paid amount other than the one asked for; it was credited as it
    /// arrived.
    AmountMismatchAlert {
        reference: String,
        expected: i64,
        paid: i64,
        customer: Person,
    },
    /// A gateway said money arrived for our payment `reference`, but we refused the event
    /// (`why`): it was recorded, not credited. Money may have arrived all the same. `amount`
    /// is in the smallest unit of `currency`, as the gateway sent it.
    GatewayRefusedAlert {
        gateway: String,
        /// The event's name (`payment.captured`).
        event: String,
        reference: String,
        gateway_payment_id: Option<String>,
        amount: Option<i64>,
        currency: Option<String>,
        why: GatewayRefusal,
        customer: Person,
    },
}

impl Notice {
    pub fn fraud_flag(flag: &fraud_flag::Model, user: &user::Model) -> Notice {
        Notice::FraudFlagAlert {
            flag_id: flag.id,
            user: user.into(),
            rule: sea_orm::ActiveEnum::to_value(&flag.rule),
            evidence: flag.evidence.clone(),
        }
    }
}

/// Setting (internal, written at start from `ADMIN_CHAT_ID`): the chat that gets staff alerts
/// instead of each admin privately.
pub const ALERT_CHAT_KEY: &str = "alerts.chat_id";

/// Setting (internal, written at start from `SUPPORT_CHAT_ID`): the chat that gets support
/// tickets and login reports instead of each support member privately.
pub const SUPPORT_CHAT_KEY: &str = "support.chat_id";

/// Queues `notice` for the people who help customers: the support chat when one is set, else
/// every support member, admin and owner privately.
pub async fn to_support(conn: &impl ConnectionTrait, notice: &Notice, now: DateTime<Utc>) -> Result<(), DbErr> {
    let chat = settings::get_or::<i64>(conn, SUPPORT_CHAT_KEY, 0).await?;
    if chat != 0 {
        return insert(conn, chat, None, notice, None, now).await.map(drop);
    }
    let helpers = user::Entity::find()
        .filter(user::Column::Role.is_in([Role::Owner, Role::Admin, Role::Support]))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?;
    for member in helpers {
        insert(conn, member.telegram_id, Some(member.id), notice, None, now).await?;
    }
    Ok(())
}

/// Queues `notice` for every owner privately (never the alert chat), at most once per `key`.
pub async fn to_owners_once(
    conn: &impl ConnectionTrait,
    notice: &Notice,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let owners = user::Entity::find().filter(user::Column::Role.eq(Role::Owner)).all(conn).await?;
    for owner in owners {
        insert(conn, owner.telegram_id, Some(owner.id), notice, Some(format!("{key}:{}", owner.telegram_id)), now)
            .await?;
    }
    Ok(())
}

/// Queues `notice` for `user`.
pub async fn to_user(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    insert(conn, user.telegram_id, Some(user.id), notice, None, now).await.map(drop)
}

/// Like `to_user`, at most once per `key`; true when this call queued it.
pub async fn to_user_once(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    notice: &Notice,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(insert(conn, user.telegram_id, Some(user.id), notice, Some(key.to_owned()), now).await? == 1)
}

/// Queues `notice` for the shop's staff: the alert chat when one is set, else every owner
/// and admin privately.
pub async fn to_staff(conn: &impl ConnectionTrait, notice: &Notice, now: DateTime<Utc>) -> Result<(), DbErr> {
    to_staff_keyed(conn, notice, None, None, now).await
}

/// Like `to_staff`, but not privately to `except` (who acted and was answered already, e.g.
/// the requester of an approval): the alert chat when one is set (they may read it too), else
/// every other owner and admin.
pub async fn to_staff_except(
    conn: &impl ConnectionTrait,
    notice: &Notice,
    except: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    to_staff_keyed(conn, notice, None, Some(except), now).await
}

/// Like `to_staff`, at most once per `key` (e.g. one sold-out alert per plan per window).
pub async fn to_staff_once(
    conn: &impl ConnectionTrait,
    notice: &Notice,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    to_staff_keyed(conn, notice, Some(key), None, now).await
}

async fn to_staff_keyed(
    conn: &impl ConnectionTrait,
    notice: &Notice,
    key: Option<&str>,
    except: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let chat = settings::get_or::<i64>(conn, ALERT_CHAT_KEY, 0).await?;
    if chat != 0 {
        return insert(conn, chat, None, notice, key.map(|k| format!("{k}:{chat}")), now).await.map(drop);
    }
    let staff = user::Entity::find()
        .filter(user::Column::Role.is_in([Role::Owner, Role::Admin]))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?;
    for member in staff.into_iter().filter(|m| Some(m.telegram_id) != except) {
        let dedupe = key.map(|k| format!("{k}:{}", member.telegram_id));
        insert(conn, member.telegram_id, Some(member.id), notice, dedupe, now).await?;
    }
    Ok(())
}

async fn insert(
    conn: &impl ConnectionTrait,
    chat_id: i64,
    user_id: Option<i32>,
    notice: &Notice,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let _ = QUEUED.try_with(|queued| queued.set(true));
    let params = serde_json::to_value(notice).map_err(|err| DbErr::Custom(format!("outbox params: {err}")))?;
    // The variant's name, for reading the table (serde's tag).
    let kind = params["kind"].as_str().unwrap_or_default().to_owned();
    let row = outbox_message::ActiveModel {
        chat_id: Set(chat_id),
        user_id: Set(user_id),
        kind: Set(kind),
        params: Set(params.to_string()),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        dedupe_key: Set(dedupe_key),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    outbox_message::Entity::insert(row)
        .on_conflict(OnConflict::column(outbox_message::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await
}

/// A claimed row, with what the sender needs to render it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub row: outbox_message::Model,
    /// None when the params no longer parse (a row from a newer version): it is failed.
    pub notice: Option<Notice>,
    pub language: String,
}

/// Rows considered per claim round.
const CLAIM_SCAN: u64 = 50;

/// Claims up to `limit` due rows for this sender until `now + lease`. Each row is claimed by
/// one conditional update, so two senders never hold the same row. A chat's rows go out in
/// order: a row waits while an older row of its chat is still undelivered.
pub async fn claim_due(
    conn: &impl ConnectionTrait,
    limit: usize,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, DbErr> {
    let candidates = outbox_message::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(outbox_message::Column::Status.eq(OutboxStatus::Pending))
                        .add(outbox_message::Column::NextAttemptAt.lte(now)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(outbox_message::Column::Status.eq(OutboxStatus::Sending))
                        .add(outbox_message::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(outbox_message::Column::Id)
        .limit(CLAIM_SCAN)
        .all(conn)
        .await?;
    let mut claimed = Vec::new();
    let mut chats_seen = std::collections::HashSet::new();
    for row in candidates {
        if claimed.len() >= limit {
            break;
        }
        // Only the oldest due row of a chat in this round; and none while an older one waits.
        if !chats_seen.insert(row.chat_id) || has_older_undelivered(conn, &row).await? {
            continue;
        }
        let won = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::Status, Expr::value(OutboxStatus::Sending))
            .col_expr(outbox_message::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(outbox_message::Column::Attempts, Expr::col(outbox_message::Column::Attempts).add(1))
            .filter(outbox_message::Column::Id.eq(row.id))
            .filter(outbox_message::Column::Status.eq(row.status))
            .filter(outbox_message::Column::Attempts.eq(row.attempts))
            .exec(conn)
            .await?
            .rows_affected
            == 1;
        if !won {
            continue;
        }
        let language = match row.user_id {
            Some(id) => user::Entity::find_by_id(id).one(conn).await?.map(|u| u.language),
            None => None,
        }
        .unwrap_or_else(|| "en".to_owned());
        let notice = serde_json::from_str(&row.params).ok();
        let row = outbox_message::Model { status: OutboxStatus::Sending, attempts: row.attempts + 1, ..row };
        claimed.push(Claimed { row, notice, language });
    }
    Ok(claimed)
}

async fn has_older_undelivered(conn: &impl ConnectionTrait, row: &outbox_message::Model) -> Result<bool, DbErr> {
    let older = outbox_message::Entity::find()
        .filter(outbox_message::Column::ChatId.eq(row.chat_id))
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
        .filter(outbox_message::Column::Id.lt(row.id))
        .count(conn)
        .await?;
    Ok(older > 0)
}

/// Only the sender holding the claim (same attempt) may settle a row.
fn claimed_by(row: &outbox_message::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(outbox_message::Column::Id.eq(row.id))
        .add(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .add(outbox_message::Column::Attempts.eq(row.attempts))
}

pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    row: &outbox_message::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(OutboxStatus::Sent))
        .col_expr(outbox_message::Column::SentAt, Expr::value(now))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(claimed_by(row))
        .exec(conn)
        .await?;
    Ok(())
}

/// Tries again at `at` (network trouble, 5xx, 429).
pub async fn retry_at(
    conn: &impl ConnectionTrait,
    row: &outbox_message::Model,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(OutboxStatus::Pending))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(at))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(outbox_message::Column::LastError, Expr::value(error.to_owned()))
        .filter(claimed_by(row))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives up on a row. With `unreachable`, its user is marked as not reachable by the bot.
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    row: &outbox_message::Model,
    error: &str,
    unreachable: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(OutboxStatus::Failed))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(outbox_message::Column::LastError, Expr::value(error.to_owned()))
        .filter(claimed_by(row))
        .exec(conn)
        .await?;
    if unreachable {
        user::Entity::update_many()
            .col_expr(user::Column::UnreachableAt, Expr::value(now))
            .filter(user::Column::TelegramId.eq(row.chat_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Rows waiting to be delivered, and when the oldest of them was written.
pub async fn depth(conn: &impl ConnectionTrait) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let waiting = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]));
    let count = waiting.clone().count(conn).await?;
    let oldest = waiting.order_by_asc(outbox_message::Column::Id).one(conn).await?.map(|r| r.created_at);
    Ok((count, oldest))
}
