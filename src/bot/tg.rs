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

impl Deref for Tg {
    type Target = Bot;

    fn deref(&self) -> &Bot {
        &self.bot
    }
}
