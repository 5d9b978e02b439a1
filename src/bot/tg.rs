//! The bot as handlers use it: the Telegram client plus the one rate limiter every send
//! waits on. It derefs to `Bot`, so requests are built as usual; `slot` comes first.
use std::ops::Deref;
use std::sync::Arc;

use teloxide::prelude::*;

use super::rate_limit::{Lane, Limiter};

#[derive(Clone)]
pub struct Tg {
    bot: Bot,
    limiter: Arc<Limiter>,
}

impl Tg {
    pub fn new(bot: Bot, limiter: Arc<Limiter>) -> Tg {
        Tg { bot, limiter }
    }

    /// Waits for a slot to answer the person in front of the bot in `chat`.
    pub async fn slot(&self, chat: ChatId) {
        self.limiter.acquire(chat.0, Lane::Reply).await;
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }
}

/// Counts a Bot API call by method and result (ok, 429, 403, other).
pub fn record<T>(method: &'static str, result: &Result<T, teloxide::RequestError>) {
    use teloxide::{ApiError, RequestError};
    let label = match result {
        Ok(_) => "ok",
        Err(RequestError::RetryAfter(_)) => "429",
        Err(RequestError::Api(
            ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound | ApiError::BotKicked,
        )) => "403",
        Err(_) => "other",
    };
    crate::metrics::telegram_call(method, label);
}

impl Deref for Tg {
    type Target = Bot;

    fn deref(&self) -> &Bot {
        &self.bot
    }
}

/// Telegram's 403s and their kin: the person blocked the bot, left, or never started it.
pub fn unreachable(err: &teloxide::ApiError) -> bool {
    use teloxide::ApiError;
    matches!(
        err,
        ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::NotEnoughRightsToPostMessages
    )
}

/// Trouble that may pass: the network, Telegram's own errors (5xx arrive as unknown API
/// errors), unreadable answers.
pub fn transient(err: &teloxide::RequestError) -> bool {
    use teloxide::{ApiError, RequestError};
    matches!(
        err,
        RequestError::Network(_)
            | RequestError::Io(_)
            | RequestError::InvalidJson { .. }
            | RequestError::Api(ApiError::Unknown(_))
    )
}
