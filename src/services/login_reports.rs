//! "Login not working": a customer reports a login of an active subscription (one open report
//! per subscription), the people who help customers get it with the subscription, the login
//! and the customer's history, and answer it: Replace (a new login from the same plan for the
//! rest of the same period; the old one retired as faulty), Reply, or Close. A report open
//! longer than `support.report_sla_hours` is raised to the admins again, once.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::domain::Permission;
use crate::entities::login_report::{self, ReportReason, ReportStatus};
use crate::entities::order::{self, OrderStatus};
use crate::entities::stock_item::{self, StockStatus};
use crate::entities::subscription::{self, SubscriptionStatus};
use crate::entities::{plan, user};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::{audit, purchase, settings, users};

/// Longest note a customer may add (a Telegram message is longer; staff read it in an alert).
pub const MAX_NOTE_CHARS: usize = 1000;
/// With a screenshot the alert is the photo's caption (1024 characters at most), so less.
pub const MAX_NOTE_WITH_SCREENSHOT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    Opened(login_report::Model),
    /// This subscription has an open report already: nothing new was sent.
    AlreadyOpen(login_report::Model),
    /// Not the customer's, expired or refunded: nothing to report.
    NotActive,
}

/// The customer reports the login of their subscription `subscription_id`.
pub async fn open(
    db: &DatabaseConnection,
    telegram_id: i64,
    subscription_id: i32,
    reason: ReportReason,
    note: Option<&str>,
    screenshot_file_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<OpenOutcome, DbErr> {
    let txn = db.begin().await?;
    let Some(customer) = users::find_by_telegram_id(&txn, telegram_id).await? else {
        return Ok(OpenOutcome::NotActive);
    };
    let Some(sub) = active_subscription(&txn, subscription_id, now).await?.filter(|s| s.user_id == customer.id) else {
        return Ok(OpenOutcome::NotActive);
    };
    let limit = if screenshot_file_id.is_some() { MAX_NOTE_WITH_SCREENSHOT } else { MAX_NOTE_CHARS };
    let note: Option<String> = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(limit).collect());
    let inserted = login_report::Entity::insert(login_report::ActiveModel {
        subscription_id: Set(sub.id),
        user_id: Set(customer.id),
        reason: Set(reason),
        note: Set(note),
        screenshot_file_id: Set(screenshot_file_id.map(str::to_owned)),
        status: Set(ReportStatus::Open),
        open_key: Set(Some(sub.id.to_string())),
        old_stock_item_id: Set(sub.stock_item_id),
        new_stock_item_id: Set(None),
        created_at: Set(now),
        escalated_at: Set(None),
        closed_at: Set(None),
        closed_by: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([login_report::Column::OpenKey])
    .exec_without_returning(&txn)
    .await?;
    let report = login_report::Entity::find()
        .filter(login_report::Column::OpenKey.eq(sub.id.to_string()))
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("open report of subscription {}", sub.id)))?;
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        return Ok(OpenOutcome::AlreadyOpen(report));
    }
    let alert = alert(&txn, &report, false).await?;
    outbox::to_support(&txn, &alert, now).await?;
    txn.commit().await?;
    Ok(OpenOutcome::Opened(report))
}

async fn active_subscription(
    conn: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Option<subscription::Model>, DbErr> {
    Ok(subscription::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|s| s.status == SubscriptionStatus::Active && s.ends_at > now))
}

/// The staff's view of a report: what it is about and who sent it.
async fn alert(conn: &impl ConnectionTrait, report: &login_report::Model, overdue: bool) -> Result<Notice, DbErr> {
    let sub = subscription::Entity::find_by_id(report.subscription_id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("subscription {}", report.subscription_id)))?;
    let customer = user::Entity::find_by_id(report.user_id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", report.user_id)))?;
    let plan_name = plan::Entity::find_by_id(sub.plan_id).one(conn).await?.map(|p| p.name).unwrap_or_default();
    let credential =
        stock_item::Entity::find_by_id(sub.stock_item_id).one(conn).await?.map(|s| s.credential).unwrap_or_default();
    let paid_orders = order::Entity::find()
        .filter(order::Column::UserId.eq(customer.id))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .count(conn)
        .await?;
    let earlier_reports = login_report::Entity::find()
        .filter(login_report::Column::UserId.eq(customer.id))
        .filter(login_report::Column::Id.lt(report.id))
        .count(conn)
        .await?;
    Ok(Notice::LoginReportAlert {
        report_id: report.id,
        customer: (&customer).into(),
        plan_name,
        order_id: sub.order_id,
        ends_at: sub.ends_at,
        stock_item_id: sub.stock_item_id,
        credential,
        reason: report.reason,
        note: report.note.clone(),
        screenshot_file_id: report.screenshot_file_id.clone(),
        paid_orders,
        earlier_reports,
        overdue,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaceOutcome {
    Replaced {
        customer_telegram_id: i64,
        plan_name: String,
        credential: String,
        stock_item_id: i32,
    },
    /// No login of the plan is left: nothing changed, the report stays open.
    NoStock {
        plan_name: String,
    },
    /// Someone answered it first (or it was closed).
    AlreadyClosed(ReportStatus),
    /// The subscription ended or was refunded meanwhile: nothing to replace. Close it instead.
    NotActive,
    Unknown,
}

/// Gives the customer a new login from the same plan for the rest of the same period, and
/// retires the reported one as faulty. Of two staff pressing at once, one replaces.
pub async fn replace(
    db: &DatabaseConnection,
    actor: &Actor,
    report_id: i32,
    now: DateTime<Utc>,
) -> Result<ReplaceOutcome, ActError> {
    actor.require(Permission::HelpCustomers)?;
    let txn = db.begin().await?;
    let Some(report) = login_report::Entity::find_by_id(report_id).one(&txn).await? else {
        return Ok(ReplaceOutcome::Unknown);
    };
    // The one lock order: the customer's row, then the report, then stock, then the
    // subscription.
    users::lock(&txn, report.user_id).await?;
    if !close_if_open(&txn, report_id, ReportStatus::Replaced, actor, now).await? {
        return Ok(ReplaceOutcome::AlreadyClosed(current_status(&txn, report_id).await?));
    }
    let Some(sub) = active_subscription(&txn, report.subscription_id, now).await? else {
        return Ok(ReplaceOutcome::NotActive);
    };
    let plan_name = plan::Entity::find_by_id(sub.plan_id).one(&txn).await?.map(|p| p.name).unwrap_or_default();
    let Some(new) = purchase::assign_stock(&txn, sub.plan_id, None, now).await? else {
        drop(txn);
        purchase::alert_sold_out(db, sub.plan_id, &plan_name, now).await?;
        return Ok(ReplaceOutcome::NoStock { plan_name });
    };
    let moved = subscription::Entity::update_many()
        .col_expr(subscription::Column::StockItemId, Expr::value(new.id))
        .filter(subscription::Column::Id.eq(sub.id))
        .filter(subscription::Column::StockItemId.eq(sub.stock_item_id))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(ReplaceOutcome::AlreadyClosed(ReportStatus::Replaced));
    }
    stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Retired))
        .col_expr(stock_item::Column::FaultyAt, Expr::value(now))
        .filter(stock_item::Column::Id.eq(sub.stock_item_id))
        .exec(&txn)
        .await?;
    login_report::Entity::update_many()
        .col_expr(login_report::Column::OldStockItemId, Expr::value(sub.stock_item_id))
        .col_expr(login_report::Column::NewStockItemId, Expr::value(new.id))
        .filter(login_report::Column::Id.eq(report_id))
        .exec(&txn)
        .await?;
    let customer = user::Entity::find_by_id(report.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", report.user_id)))?;
    let notice = Notice::LoginReplaced {
        report_id,
        plan_name: plan_name.clone(),
        credential: new.credential.clone(),
        ends_at: sub.ends_at,
    };
    outbox::to_user(&txn, &customer, &notice, now).await?;
    let details = serde_json::json!({ "old_stock_item": sub.stock_item_id, "new_stock_item": new.id });
    audit::record(&txn, actor, "report.replace", &format!("report:{report_id}"), details, now).await?;
    txn.commit().await?;
    Ok(ReplaceOutcome::Replaced {
        customer_telegram_id: customer.telegram_id,
        plan_name,
        credential: new.credential,
        stock_item_id: new.id,
    })
}

/// open -> `status` by conditional update (the one place two staff members are decided).
async fn close_if_open(
    conn: &impl ConnectionTrait,
    report_id: i32,
    status: ReportStatus,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let closed = login_report::Entity::update_many()
        .col_expr(login_report::Column::Status, Expr::value(status))
        .col_expr(login_report::Column::OpenKey, Expr::value(Option::<String>::None))
        .col_expr(login_report::Column::ClosedAt, Expr::value(now))
        .col_expr(login_report::Column::ClosedBy, Expr::value(actor.telegram_id))
        .filter(login_report::Column::Id.eq(report_id))
        .filter(login_report::Column::Status.eq(ReportStatus::Open))
        .exec(conn)
        .await?;
    Ok(closed.rows_affected == 1)
}

async fn current_status(conn: &impl ConnectionTrait, report_id: i32) -> Result<ReportStatus, DbErr> {
    Ok(login_report::Entity::find_by_id(report_id).one(conn).await?.map_or(ReportStatus::Resolved, |r| r.status))
}

async fn plan_of(conn: &impl ConnectionTrait, report: &login_report::Model) -> Result<String, DbErr> {
    let Some(sub) = subscription::Entity::find_by_id(report.subscription_id).one(conn).await? else {
        return Ok(String::new());
    };
    Ok(plan::Entity::find_by_id(sub.plan_id).one(conn).await?.map(|p| p.name).unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// The customer will read it.
    Sent {
        customer_telegram_id: i64,
    },
    AlreadyClosed(ReportStatus),
    Unknown,
}

/// Staff write to the customer about their report; the report stays open. Audited with the
/// text.
pub async fn reply(
    db: &DatabaseConnection,
    actor: &Actor,
    report_id: i32,
    text: &str,
    now: DateTime<Utc>,
) -> Result<AnswerOutcome, ActError> {
    actor.require(Permission::HelpCustomers)?;
    let txn = db.begin().await?;
    let Some(report) = login_report::Entity::find_by_id(report_id).one(&txn).await? else {
        return Ok(AnswerOutcome::Unknown);
    };
    if report.status != ReportStatus::Open {
        return Ok(AnswerOutcome::AlreadyClosed(report.status));
    }
    let customer = user::Entity::find_by_id(report.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", report.user_id)))?;
    let notice =
        Notice::LoginReportReply { report_id, plan_name: plan_of(&txn, &report).await?, text: text.to_owned() };
    outbox::to_user(&txn, &customer, &notice, now).await?;
    audit::record(
        &txn,
        actor,
        "report.reply",
        &format!("report:{report_id}"),
        serde_json::json!({ "text": text }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(AnswerOutcome::Sent { customer_telegram_id: customer.telegram_id })
}

/// Closes the report as resolved; the customer is told.
pub async fn close(
    db: &DatabaseConnection,
    actor: &Actor,
    report_id: i32,
    now: DateTime<Utc>,
) -> Result<AnswerOutcome, ActError> {
    actor.require(Permission::HelpCustomers)?;
    let txn = db.begin().await?;
    let Some(report) = login_report::Entity::find_by_id(report_id).one(&txn).await? else {
        return Ok(AnswerOutcome::Unknown);
    };
    if !close_if_open(&txn, report_id, ReportStatus::Resolved, actor, now).await? {
        return Ok(AnswerOutcome::AlreadyClosed(current_status(&txn, report_id).await?));
    }
    let customer = user::Entity::find_by_id(report.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", report.user_id)))?;
    let notice = Notice::LoginReportClosed { report_id, plan_name: plan_of(&txn, &report).await? };
    outbox::to_user(&txn, &customer, &notice, now).await?;
    audit::record(&txn, actor, "report.close", &format!("report:{report_id}"), serde_json::json!({}), now).await?;
    txn.commit().await?;
    Ok(AnswerOutcome::Sent { customer_telegram_id: customer.telegram_id })
}

/// Open reports, oldest first (Permission::View), with the alert staff would read.
pub async fn open_reports(db: &DatabaseConnection, actor: &Actor, limit: u64) -> Result<Vec<Notice>, ActError> {
    actor.require(Permission::View)?;
    let reports = login_report::Entity::find()
        .filter(login_report::Column::Status.eq(ReportStatus::Open))
        .order_by_asc(login_report::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut alerts = Vec::with_capacity(reports.len());
    for report in &reports {
        alerts.push(alert(db, report, report.escalated_at.is_some()).await?);
    }
    Ok(alerts)
}

/// Raises every report open longer than `support.report_sla_hours` to the admins again, once
/// each (a conditional update on `escalated_at`); returns how many this run raised.
pub async fn escalate_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let sla = settings::report_sla(db).await?;
    let overdue = login_report::Entity::find()
        .filter(login_report::Column::Status.eq(ReportStatus::Open))
        .filter(login_report::Column::EscalatedAt.is_null())
        .filter(login_report::Column::CreatedAt.lte(now - sla))
        .order_by_asc(login_report::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut raised = 0;
    for report in overdue {
        let txn = db.begin().await?;
        let won = login_report::Entity::update_many()
            .col_expr(login_report::Column::EscalatedAt, Expr::value(now))
            .filter(login_report::Column::Id.eq(report.id))
            .filter(login_report::Column::Status.eq(ReportStatus::Open))
            .filter(login_report::Column::EscalatedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won {
            let alert = alert(&txn, &report, true).await?;
            outbox::to_staff(&txn, &alert, now).await?;
            txn.commit().await?;
            raised += 1;
        }
    }
    Ok(raised)
}

/// For Replace's answer: a report row (tests and the dashboard read it back).
pub async fn find(db: &DatabaseConnection, report_id: i32) -> Result<Option<login_report::Model>, DbErr> {
    login_report::Entity::find_by_id(report_id).one(db).await
}

/// The customer's subscription has an open report (the page says so instead of the button).
pub async fn is_open_for(conn: &impl ConnectionTrait, subscription_id: i32) -> Result<bool, DbErr> {
    Ok(login_report::Entity::find()
        .filter(login_report::Column::OpenKey.eq(subscription_id.to_string()))
        .one(conn)
        .await?
        .is_some())
}
