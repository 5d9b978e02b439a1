//! The bot, feature by feature. Each module owns its commands, buttons, dialogue steps and
//! keyboards and exposes a `handler()`; `bot::schema()` composes them. No feature imports
//! another: they link to each other with `ui::Goto`.
pub mod gifts;
pub mod home;
pub mod referrals;
pub mod shop;
pub mod staff;
pub mod support;
pub mod wallet;
pub mod withdraw;
