//! The Telegram side: turning updates into service calls and results into chat messages.
//! No database access here; everything goes through `services`.
mod admin;
mod alerts;
pub mod callback;
pub mod command;
mod customer;
pub mod dialogue;
mod fraud;
mod keyboards;
pub mod notifier;
mod payments;
mod referrals;
mod reply;
mod settings;
mod setup;
mod stars;
mod upi;
pub mod upi_qr;
mod withdrawals;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::DatabaseConnection;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use crate::config::Config;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::razorpay::RazorpayClient;

pub use setup::register_commands;

pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), HandlerError>;

/// What every handler needs besides the `Bot` and the update.
pub struct Ctx {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// Without the `@`, for deep links.
    pub bot_username: String,
    /// Present when Razorpay is configured.
    pub razorpay: Option<RazorpayClient>,
    /// When admins were last told that a plan sold out, so a rush of buyers is one alert.
    sold_out_alerts: Mutex<HashMap<i32, Instant>>,
}

impl Ctx {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, bot_username: String) -> Ctx {
        let razorpay = config.payments.razorpay.clone().map(RazorpayClient::new);
        Ctx { db, config, bot_username, razorpay, sold_out_alerts: Mutex::default() }
    }

    pub fn is_admin(&self, user: &teloxide::types::User) -> bool {
        i64::try_from(user.id.0).is_ok_and(|id| self.config.is_admin(id))
    }
}

/// The handler tree. It stays on a plain `Bot` so tests can drive it against a fake API.
pub fn schema() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(
            Update::filter_message()
                .enter_dialogue::<Message, DbDialogueStore, dialogue::State>()
                .endpoint(customer::on_message),
        )
        .branch(Update::filter_callback_query().endpoint(customer::on_callback))
        .branch(Update::filter_pre_checkout_query().endpoint(stars::on_pre_checkout))
}

/// Builds the dispatcher dependencies for `schema()`.
pub fn dependencies(ctx: Arc<Ctx>) -> dptree::di::DependencyMap {
    let store = DbDialogueStore::new(ctx.db.clone());
    dptree::deps![ctx, store]
}
