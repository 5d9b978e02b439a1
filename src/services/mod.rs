//! Use cases. Each public function is one database transaction (or one statement) and
//! returns business outcomes, never Telegram or HTTP types.
pub mod actor;
pub mod approvals;
pub mod audit;
pub mod auto_renew;
pub mod backup;
pub mod broadcasts;
pub mod catalog;
pub mod customers;
pub mod db;
pub mod dialogue_store;
pub mod exports;
pub mod faq;
pub mod fraud;
pub mod gifts;
pub mod health;
pub mod idempotency;
pub mod leases;
pub mod login_reports;
pub mod monitoring;
pub mod outbox;
pub mod page;
pub mod payments;
pub mod promos;
pub mod purchase;
pub mod queues;
pub mod razorpay;
pub mod referrals;
pub mod refunds;
pub mod reminders;
pub mod renewals;
pub mod reports;
pub mod settings;
pub mod sign_in;
pub mod staff;
pub mod stars;
pub mod stock;
pub mod subscriptions;
pub mod telegram_updates;
pub mod tickets;
pub mod tokens;
pub mod upi;
pub mod users;
pub mod wallet;
pub mod withdrawals;

pub use actor::{ActError, Actor, Via};
pub use sea_orm::{DatabaseConnection, DbErr};

/// True when `err` is a unique-key violation, on SQLite and PostgreSQL alike.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
