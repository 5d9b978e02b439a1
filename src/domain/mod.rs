//! Pure business rules: no I/O, no async, no Telegram, no HTTP.
pub mod credentials;
pub mod money;
pub mod plan_draft;
pub mod referral_code;
pub mod subscription_period;

pub use money::{Money, MoneyError};
