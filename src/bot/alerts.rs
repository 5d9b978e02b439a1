//! Messages to the shop's admins.
use teloxide::prelude::*;

use super::{reply, Ctx};

/// Best effort: an admin who never started the bot cannot be messaged, which must not
/// break the customer's flow.
pub async fn notify_admins(bot: &Bot, ctx: &Ctx, text: String) {
    for chat in ctx.config.alert_chats() {
        if let Err(err) = reply::send(bot, ChatId(chat), text.clone(), None).await {
            log::warn!("admin alert to {chat} failed: {err}");
        }
    }
}
