//! Shared test support: databases for both backends, the fake Bot API, and a running bot.
#![allow(dead_code)]

pub mod binary;
pub mod bot_harness;
pub mod browser;
pub mod chat;
pub mod dashboard;
pub mod db;
pub mod fake_razorpay;
pub mod fake_telegram;
pub mod fixtures;
pub mod locale_text;
pub mod trace;
