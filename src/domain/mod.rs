//! Pure business rules: no I/O, no async, no Telegram, no HTTP.
pub mod approval;
pub mod broadcast;
pub mod commission;
pub mod credentials;
pub mod faq;
pub mod fraud;
pub mod gateway;
pub mod gift;
pub mod language;
pub mod money;
pub mod payment_reference;
pub mod permission;
pub mod plan_draft;
pub mod privacy;
pub mod promo;
pub mod referral_code;
pub mod reminder;
pub mod report;
pub mod setting;
pub mod stars;
pub mod subscription_period;
pub mod upi;
pub mod withdrawal;

pub use language::Lang;
pub use money::{Money, MoneyError};
pub use permission::Permission;
