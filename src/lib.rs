//! ottsonly: a Telegram-bot-first storefront for OTT-subscription resellers.
//! See ARCHITECTURE.md for the map of this crate.
rust_i18n::i18n!("locales", fallback = "en");

pub mod charts;
pub mod config;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod services;

pub mod app;
pub mod bot;
pub mod cli;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod playground;
