//! UPI without a gateway: the customer pays our VPA, tells us the bank's UTR, an admin
//! checks the bank statement and approves (money lands once) or rejects (with a reason).
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::config::UpiConfig;
use crate::domain::Permission;
use crate::domain::{upi, Money};
use crate::entities::payment::{self, PaymentChannel, PaymentStatus};
use crate::entities::upi_claim::{self, ClaimStatus};
use crate::entities::user;
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::payments::{self, Arrival, PaymentError, Purpose, Settlement};
use crate::services::{audit, is_unique_violation, users};

/// Opens a UPI payment, claimable with its UTR for `claim_window`.
pub async fn start(
    db: &DatabaseConnection,
    telegram_id: i64,
    purpose: Purpose,
    claim_window: Duration,
    now: DateTime<Utc>,
) -> Result<payment::Model, PaymentError> {
    payments::create(db, telegram_id, purpose, PaymentChannel::Upi, claim_window, now).await
}

/// The `upi://pay` link of a payment.
pub fn intent_link(config: &UpiConfig, payment: &payment::Model) -> String {
    upi::intent_link(
        &config.vpa,
        &config.payee_name,
        Money::from_paise(payment.amount),
        &payment.reference,
        &payment.reference,
    )
}

/// The link for `GET /pay/upi/<reference>`: only for a UPI payment that can still be paid.
pub async fn link_for_reference(
    db: &DatabaseConnection,
    config: &UpiConfig,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let payment = payments::find_by_reference(db, reference)
        .await?
        .filter(|p| p.method == PaymentChannel::Upi && p.status == PaymentStatus::Pending && now <= p.expires_at);
    Ok(payment.map(|p| intent_link(config, &p)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Created {
        claim: upi_claim::Model,
        payment: Box<payment::Model>,
        customer: Box<user::Model>,
    },
    /// Not exactly 12 digits.
    BadUtr,
    /// This UTR was claimed before (by anyone).
    UtrUsed,
    /// The customer already has a claim waiting for an admin.
    OpenClaimExists,
    /// Not this customer's open UPI payment, or its claim window is over.
    PaymentNotOpen,
}

pub async fn claim(
    db: &DatabaseConnection,
    telegram_id: i64,
    payment_id: i32,
    utr_input: &str,
    screenshot_file_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome, DbErr> {
    let Some(utr) = upi::parse_utr(utr_input) else { return Ok(ClaimOutcome::BadUtr) };
    let Some(customer) = users::find_by_telegram_id(db, telegram_id).await? else {
        return Ok(ClaimOutcome::PaymentNotOpen);
    };
    let payment = payment::Entity::find_by_id(payment_id).one(db).await?.filter(|p| {
        p.user_id == customer.id
            && p.method == PaymentChannel::Upi
            && p.status == PaymentStatus::Pending
            && now <= p.expires_at
    });
    let Some(payment) = payment else { return Ok(ClaimOutcome::PaymentNotOpen) };
    let txn = db.begin().await?;
    let inserted = upi_claim::ActiveModel {
        payment_id: Set(payment.id),
        user_id: Set(customer.id),
        utr: Set(utr.clone()),
        utr_key: Set(Some(utr.clone())),
        screenshot_file_id: Set(screenshot_file_id),
        status: Set(ClaimStatus::Pending),
        reason: Set(None),
        decided_by: Set(None),
        open_key: Set(Some(customer.id)),
        created_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(claim) => {
            let alert = Notice::UpiClaimAlert {
                claim_id: claim.id,
                customer: (&customer).into(),
                amount: payment.amount,
                reference: payment.reference.clone(),
                utr: claim.utr.clone(),
                screenshot_file_id: claim.screenshot_file_id.clone(),
            };
            outbox::to_staff(&txn, &alert, now).await?;
            txn.commit().await?;
            Ok(ClaimOutcome::Created { claim, payment: Box::new(payment), customer: Box::new(customer) })
        }
        Err(err) if is_unique_violation(&err) => {
            drop(txn);
            let used = upi_claim::Entity::find().filter(upi_claim::Column::UtrKey.eq(utr)).one(db).await?;
            Ok(if used.is_some() { ClaimOutcome::UtrUsed } else { ClaimOutcome::OpenClaimExists })
        }
        Err(err) => Err(err),
    }
}

#[derive(Debug, Clone)]
pub enum Decision {
    Approved {
        claim: upi_claim::Model,
        settlement: Settlement,
    },
    Rejected {
        claim: upi_claim::Model,
        customer_telegram_id: i64,
    },
    /// Someone decided first (a second press, a second admin, a replayed callback).
    AlreadyDecided {
        status: ClaimStatus,
    },
    UnknownClaim,
}

/// Credits the claimed payment exactly once, together with closing the claim.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    claim_id: i32,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    let txn = db.begin().await?;
    // The customer's row first, as in every transaction that moves their money.
    if let Some(found) = upi_claim::Entity::find_by_id(claim_id).one(&txn).await? {
        users::lock(&txn, found.user_id).await?;
    }
    let Some(claim) = close(&txn, claim_id, ClaimStatus::Approved, actor.telegram_id, None, now).await? else {
        // Release the transaction first: on SQLite it holds the only connection.
        drop(txn);
        return Ok(already_decided(db, claim_id).await?);
    };
    let Some(payment) = payment::Entity::find_by_id(claim.payment_id).one(&txn).await? else {
        return Ok(Decision::UnknownClaim);
    };
    let arrival = Arrival {
        gateway_payment_id: Some(format!("utr:{}", claim.utr)),
        amount: Money::from_paise(payment.amount),
        payer_vpa: None,
        paid_at: Some(claim.created_at),
    };
    let settlement = payments::settle_in(&txn, payment.id, &arrival, now).await?;
    match settlement {
        Settlement::Credited { .. } => {}
        Settlement::AlreadySettled => return Ok(Decision::AlreadyDecided { status: ClaimStatus::Approved }),
        // A payment's own amount is always positive (`payments::create`): never rolled forward.
        Settlement::Refused => {
            return Err(DbErr::Custom(format!("payment {} has no positive amount", payment.id)).into())
        }
    }
    audit::record(
        &txn,
        actor,
        "upi.approve",
        &format!("claim:{claim_id}"),
        serde_json::json!({ "utr": claim.utr, "payment": payment.reference, "amount_paise": payment.amount }),
        now,
    )
    .await?;
    txn.commit().await?;
    crate::metrics::payment("upi", "approved");
    Ok(Decision::Approved { claim, settlement })
}

/// Closes the claim with a reason; the payment stays open for a corrected UTR.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    claim_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Decision, ActError> {
    actor.require(Permission::DecidePayments)?;
    let txn = db.begin().await?;
    let Some(claim) = close(&txn, claim_id, ClaimStatus::Rejected, actor.telegram_id, Some(reason), now).await? else {
        drop(txn);
        return Ok(already_decided(db, claim_id).await?);
    };
    audit::record(
        &txn,
        actor,
        "upi.reject",
        &format!("claim:{claim_id}"),
        serde_json::json!({ "utr": claim.utr, "reason": reason }),
        now,
    )
    .await?;
    let customer = user::Entity::find_by_id(claim.user_id).one(&txn).await?;
    if let Some(customer) = &customer {
        let notice =
            Notice::UpiRejected { payment_id: claim.payment_id, utr: claim.utr.clone(), reason: reason.to_owned() };
        outbox::to_user(&txn, customer, &notice, now).await?;
    }
    let customer = customer.map(|u| u.telegram_id).unwrap_or_default();
    txn.commit().await?;
    Ok(Decision::Rejected { claim, customer_telegram_id: customer })
}

async fn close(
    txn: &sea_orm::DatabaseTransaction,
    claim_id: i32,
    status: ClaimStatus,
    admin: i64,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<upi_claim::Model>, DbErr> {
    let mut update = upi_claim::Entity::update_many()
        .col_expr(upi_claim::Column::Status, Expr::value(status))
        .col_expr(upi_claim::Column::OpenKey, Expr::value(Option::<i32>::None))
        .col_expr(upi_claim::Column::DecidedBy, Expr::value(admin))
        .col_expr(upi_claim::Column::DecidedAt, Expr::value(now))
        .col_expr(upi_claim::Column::Reason, Expr::value(reason.map(str::to_owned)));
    if status == ClaimStatus::Rejected {
        update = update.col_expr(upi_claim::Column::UtrKey, Expr::value(Option::<String>::None));
    }
    let closed = update
        .filter(upi_claim::Column::Id.eq(claim_id))
        .filter(upi_claim::Column::Status.eq(ClaimStatus::Pending))
        .exec(txn)
        .await?;
    if closed.rows_affected == 0 {
        return Ok(None);
    }
    upi_claim::Entity::find_by_id(claim_id).one(txn).await
}

async fn already_decided(db: &DatabaseConnection, claim_id: i32) -> Result<Decision, DbErr> {
    Ok(match upi_claim::Entity::find_by_id(claim_id).one(db).await? {
        Some(claim) => Decision::AlreadyDecided { status: claim.status },
        None => Decision::UnknownClaim,
    })
}

/// Claims waiting for an admin, oldest first, with their payment and customer.
pub async fn open_claims(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<(upi_claim::Model, payment::Model, user::Model)>, ActError> {
    actor.require(Permission::View)?;
    let claims = upi_claim::Entity::find()
        .filter(upi_claim::Column::Status.eq(ClaimStatus::Pending))
        .order_by_asc(upi_claim::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(claims.len());
    for claim in claims {
        let payment = payment::Entity::find_by_id(claim.payment_id).one(db).await?;
        let customer = user::Entity::find_by_id(claim.user_id).one(db).await?;
        if let (Some(payment), Some(customer)) = (payment, customer) {
            rows.push((claim, payment, customer));
        }
    }
    Ok(rows)
}
