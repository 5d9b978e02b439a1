//! Refunding a paid order: the price back to the wallet, its period taken off the subscription
//! (a renewal's period, or the whole subscription for its first order; newest first), the
//! credential it handed out retired (it was shown to the customer, so it is never sold
//! again). Once. An unclaimed gift's login was shown to nobody: it goes back on sale.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};

use crate::domain::Money;
use crate::domain::Permission;
use crate::entities::ledger_entry::LedgerKind;
use crate::entities::order::{self, OrderStatus};
use crate::entities::stock_item::{self, StockStatus};
use crate::entities::{plan, user};
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::referrals::{self, CommissionReversal};
use crate::services::renewals::{self, PeriodRefund};
use crate::services::wallet::{self, Posting, PostingError};
use crate::services::{audit, gifts, users};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded {
        customer: Box<user::Model>,
        order_id: i32,
        plan_name: String,
        amount: Money,
        balance: Money,
        /// The referral commissions this refund cancelled or took back.
        commissions: Vec<CommissionReversal>,
        /// An unclaimed gift: its link no longer works and its login is back on sale.
        restocked: bool,
    },
    AlreadyRefunded,
    /// Pending or cancelled: no money was taken, nothing to give back.
    NotPaid,
    /// The subscription was renewed since, by order `order_id`: periods are refunded newest
    /// first, so that one first. Nothing changed.
    LaterPeriodFirst {
        order_id: i32,
    },
    UnknownOrder,
}

pub async fn refund(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<RefundOutcome, ActError> {
    actor.require(Permission::MoveMoney)?;
    let txn = db.begin().await?;
    let Some(order) = order::Entity::find_by_id(order_id).one(&txn).await? else {
        return Ok(RefundOutcome::UnknownOrder);
    };
    // The customer's row first (the one lock order); the earners' rows come later, up the
    // referral chain.
    users::lock(&txn, order.user_id).await?;
    // Decides between two admins pressing at once: only one moves paid -> refunded.
    let claimed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Refunded))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        let current = order::Entity::find_by_id(order_id).one(&txn).await?.map(|o| o.status);
        return Ok(match current {
            Some(OrderStatus::Refunded) => RefundOutcome::AlreadyRefunded,
            Some(_) => RefundOutcome::NotPaid,
            None => RefundOutcome::UnknownOrder,
        });
    }
    let restocked = gifts::withdraw_for_refund(&txn, order_id, now).await?;
    let period = renewals::undo_for_refund(&txn, &order, now).await?;
    if let PeriodRefund::LaterFirst { order_id } = period {
        return Ok(RefundOutcome::LaterPeriodFirst { order_id });
    }
    let amount = Money::from_paise(order.price);
    let posting = Posting {
        user_id: order.user_id,
        amount,
        kind: LedgerKind::Refund,
        reference: format!("order:{order_id}"),
        idempotency_key: format!("order:{order_id}:refund"),
    };
    let balance = match wallet::post(&txn, &posting, now).await {
        Ok(balance) => balance,
        Err(PostingError::Duplicate) => return Ok(RefundOutcome::AlreadyRefunded),
        Err(PostingError::Insufficient { .. }) => {
            return Err(DbErr::Custom("a refund credit cannot be short".into()).into())
        }
        Err(PostingError::Db(err)) => return Err(err.into()),
    };
    stock_item::Entity::update_many()
        .col_expr(stock_item::Column::Status, Expr::value(StockStatus::Retired))
        .filter(stock_item::Column::OrderId.eq(order_id))
        .exec(&txn)
        .await?;
    let commissions = referrals::reverse_for_order(&txn, order_id, now).await?;
    audit::record(
        &txn,
        actor,
        "order.refund",
        &format!("order:{order_id}"),
        serde_json::json!({
            "amount_paise": amount.paise(),
            "reason": reason,
            "commissions_undone": commissions.len(),
            "gift_restocked": restocked,
        }),
        now,
    )
    .await?;
    let customer = user::Entity::find_by_id(order.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", order.user_id)))?;
    let plan_name = plan::Entity::find_by_id(order.plan_id).one(&txn).await?.map(|p| p.name).unwrap_or_default();
    let notice = Notice::Refunded {
        order_id,
        plan_name: plan_name.clone(),
        amount: amount.paise(),
        reason: reason.to_owned(),
        balance: balance.paise(),
    };
    outbox::to_user(&txn, &customer, &notice, now).await?;
    txn.commit().await?;
    Ok(RefundOutcome::Refunded {
        customer: Box::new(customer),
        order_id,
        plan_name,
        amount,
        balance,
        commissions,
        restocked,
    })
}
