//! SeaORM entities: one file per table. Relations are expressed as plain id columns and
//! queried explicitly in `services/`, which keeps every query visible where it is used.
pub mod api_token;
pub mod approval_request;
pub mod audit_log;
pub mod commission;
pub mod dashboard_link;
pub mod dashboard_session;
pub mod dialogue_state;
pub mod faq_entry;
pub mod fraud_flag;
pub mod gateway_event;
pub mod idempotency_key;
pub mod ledger_entry;
pub mod order;
pub mod outbox_message;
pub mod payment;
pub mod payout_vpa;
pub mod plan;
pub mod renewal;
pub mod setting;
pub mod stock_item;
pub mod subscription;
pub mod upi_claim;
pub mod user;
pub mod withdrawal;
