//! The Telegram side: turning updates into service calls and results into chat messages.
//! No database access here; everything goes through `services`.
mod admin;
pub mod callback;
pub mod command;
mod customer;
pub mod dialogue;
mod fraud;
mod keyboards;
pub mod notices;
pub mod outbox_sender;
mod payments;
pub mod rate_limit;
mod referrals;
mod reply;
mod settings;
mod setup;
mod stars;
mod tg;
mod upi;
pub mod upi_qr;
mod withdrawals;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use crate::config::Config;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::razorpay::RazorpayClient;

pub use setup::register_commands;
pub use tg::Tg;

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
    /// The one limiter for every send of this process.
    pub limiter: Arc<rate_limit::Limiter>,
    /// Woken after an act wrote outbox rows, so they go out at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

impl Ctx {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, bot_username: String) -> Ctx {
        let razorpay = config.payments.razorpay.clone().map(RazorpayClient::new);
        let limiter = Arc::new(rate_limit::Limiter::new(config.send_limits));
        Ctx { db, config, bot_username, razorpay, limiter, outbox_wake: Arc::default() }
    }

    /// Shares one wake-up with the HTTP server and the jobs.
    pub fn with_outbox_wake(mut self, wake: Arc<tokio::sync::Notify>) -> Ctx {
        self.outbox_wake = wake;
        self
    }

    pub fn tg(&self, bot: Bot) -> Tg {
        Tg::new(bot, self.limiter.clone())
    }

    pub fn is_admin(&self, user: &teloxide::types::User) -> bool {
        i64::try_from(user.id.0).is_ok_and(|id| self.config.is_admin(id))
    }
}

/// The staff member behind a command the admin filter let through.
pub(crate) fn staff_actor(telegram_id: i64) -> crate::services::Actor {
    crate::services::Actor::new(telegram_id, crate::entities::user::Role::Owner, crate::domain::Lang::En)
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
