//! What an act leaves that others see, for comparing the same act done two ways.
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use ottsonly::domain::Money;
use ottsonly::entities::{audit_log, ledger_entry, outbox_message};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::{users, withdrawals};

use super::bot_harness::ADMIN_ID;
use super::db::{self, TestDb};
use super::fixtures::{credit, customer, earn_withdrawable, plan_with_stock};

/// What an act leaves that others see: outbox rows, audit rows and ledger rows, without
/// what differs by nature (ids of the update, times, delivery state).
#[derive(Debug, PartialEq)]
pub struct Trace {
    pub outbox: Vec<(i64, String, serde_json::Value, Option<String>)>,
    pub audit: Vec<(i64, String, String, String)>,
    pub ledger: Vec<(i32, i64, i64, String)>,
}

impl Trace {
    /// What was added after `before` (rows are append-only in each).
    pub fn since(self, before: &Trace) -> Trace {
        Trace {
            outbox: self.outbox[before.outbox.len()..].to_vec(),
            audit: self.audit[before.audit.len()..].to_vec(),
            ledger: self.ledger[before.ledger.len()..].to_vec(),
        }
    }
}

pub async fn trace(conn: &DatabaseConnection) -> Trace {
    let outbox = outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.chat_id, r.kind, serde_json::from_str(&r.params).unwrap(), r.dedupe_key))
        .collect();
    let audit = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.actor_telegram_id, r.action, r.target, r.details))
        .collect();
    let ledger = ledger_entry::Entity::find()
        .order_by_asc(ledger_entry::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.user_id, r.amount, r.balance_after, r.reference))
        .collect();
    Trace { outbox, audit, ledger }
}

/// The same shop in a fresh database: a buyer with a paid order, an earner with a pending
/// withdrawal, the owner. Returns (order id, withdrawal id).
pub async fn shop(conn: &DatabaseConnection) -> (i32, i32) {
    users::sync_staff_from_config(conn, &[ADMIN_ID].into(), None, Utc::now()).await.unwrap();
    // The owner as the chat shows them (their profile is refreshed by every update).
    let owner = users::Profile {
        telegram_id: ADMIN_ID,
        username: Some(format!("user{ADMIN_ID}")),
        first_name: "Owner".into(),
        last_name: None,
        language_code: Some("en".into()),
    };
    users::sign_up(conn, &owner, None, Utc::now()).await.unwrap();
    customer(conn, 8901).await;
    credit(conn, 8901, 300).await;
    let plan = plan_with_stock(conn, "Parity Plan", 300, 100, 1).await;
    let checkout = purchase::open_checkout(conn, 8901, plan.id, WhenShort::Refuse, Utc::now()).await.unwrap();
    let order = purchase::confirm(conn, 8901, checkout.order_id, Utc::now()).await.unwrap().order_id;
    customer(conn, 8911).await;
    earn_withdrawable(conn, 8911, 8912, 600, Utc::now()).await;
    let withdrawal = match withdrawals::request(conn, 8911, Money::from_rupees(600), "earner@ybl", Utc::now()).await {
        Ok(withdrawals::RequestOutcome::Requested { withdrawal, .. }) => withdrawal.id,
        other => panic!("{other:?}"),
    };
    (order, withdrawal)
}

pub async fn pairs() -> Vec<(TestDb, TestDb)> {
    let mut pairs = vec![(TestDb::sqlite().await, TestDb::sqlite().await)];
    if let Some(url) = db::postgres_url() {
        pairs.push((TestDb::postgres(&url).await, TestDb::postgres(&url).await));
    }
    pairs
}
