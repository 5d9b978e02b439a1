//! Messages to the shop's admins.
use std::time::{Duration, Instant};

use rust_i18n::t;
use teloxide::prelude::*;

use super::{reply, Ctx};
use crate::services::purchase::Delivery;

/// One sold-out alert per plan in this window, however many customers hit it.
const SOLD_OUT_REPEAT: Duration = Duration::from_secs(15 * 60);

/// Best effort: an admin who never started the bot cannot be messaged, which must not
/// break the customer's flow.
pub async fn notify_admins(bot: &Bot, ctx: &Ctx, text: String) {
    for chat in ctx.config.alert_chats() {
        if let Err(err) = reply::send(bot, ChatId(chat), text.clone(), None).await {
            log::warn!("admin alert to {chat} failed: {err}");
        }
    }
}

/// A sale, so the shop sees business as it happens and restocks in time.
pub async fn new_order(bot: &Bot, ctx: &Ctx, customer: &str, delivery: &Delivery) {
    let text = t!(
        "admin.new_order_alert",
        order = delivery.order_id,
        plan = reply::escape(&delivery.plan_name),
        plan_id = delivery.plan_id,
        price = delivery.price,
        customer = customer,
        left = delivery.stock_left
    );
    notify_admins(bot, ctx, text.into_owned()).await;
}

/// An alert with buttons, and the customer's screenshot when there is one.
pub async fn notify_admins_with(
    bot: &Bot,
    ctx: &Ctx,
    text: String,
    keyboard: teloxide::types::InlineKeyboardMarkup,
    photo_file_id: Option<String>,
) {
    use teloxide::payloads::SendPhotoSetters;
    use teloxide::types::{FileId, InputFile, ParseMode};
    for chat in ctx.config.alert_chats() {
        let sent = match &photo_file_id {
            Some(file_id) => bot
                .send_photo(ChatId(chat), InputFile::file_id(FileId(file_id.clone())))
                .caption(text.clone())
                .parse_mode(ParseMode::Html)
                .reply_markup(keyboard.clone())
                .await
                .map(|_| ()),
            None => reply::send(bot, ChatId(chat), text.clone(), Some(keyboard.clone())).await.map(|_| ()),
        };
        if let Err(err) = sent {
            log::warn!("admin alert to {chat} failed: {err}");
        }
    }
}

pub async fn plan_sold_out(bot: &Bot, ctx: &Ctx, plan_id: i32, plan_name: &str) {
    let now = Instant::now();
    let due = {
        let mut alerted = ctx.sold_out_alerts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = alerted.get(&plan_id).is_none_or(|at| now.duration_since(*at) >= SOLD_OUT_REPEAT);
        if due {
            alerted.insert(plan_id, now);
        }
        due
    };
    if due {
        let text = t!("admin.sold_out_alert", id = plan_id, name = reply::escape(plan_name));
        notify_admins(bot, ctx, text.into_owned()).await;
    }
}
