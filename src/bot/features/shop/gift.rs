//! Buying as a gift: the toggle on the confirm screen, and the gift link the buyer passes on.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{checkout, Action};
use crate::bot::ui::{self, button, format, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::Money;
use crate::services::gifts::{self, BoughtGift, GiftLink, GiftStatus};
use crate::services::{settings, Actor};

/// The deep link that claims the gift.
pub fn link(bot_username: &str, code: &str) -> String {
    format!("https://t.me/{bot_username}?start=gift_{code}")
}

/// The message a buyer gets once a gift is paid: the link, a share button, and the way back.
pub fn ready(
    plan_name: &str,
    gift: &GiftLink,
    balance: Money,
    lang: &str,
    bot_username: &str,
) -> (String, InlineKeyboardMarkup) {
    let link = link(bot_username, &gift.code);
    let text = t!(
        "gift.ready",
        locale = lang,
        name = ui::escape(plan_name),
        link = ui::escape(&link),
        expires = format::date(gift.expires_at, lang),
        balance = balance
    );
    let mut rows = Vec::new();
    let share_text = t!("gift.share_text", locale = lang, name = plan_name);
    if let Ok(share) =
        url::Url::parse_with_params("https://t.me/share/url", [("url", link.as_str()), ("text", &share_text)])
    {
        rows.push(vec![InlineKeyboardButton::url(t!("gift.share_button", locale = lang), share)]);
    }
    rows.push(vec![button(t!("reminders.subscriptions_button", locale = lang), Goto::Subscriptions)]);
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    (text.into_owned(), InlineKeyboardMarkup::new(rows))
}

/// Under the confirm screen's figures, for a gift: what the buyer gets instead of a login.
pub async fn note(ctx: &Ctx, lang: &str) -> Result<String, sea_orm::DbErr> {
    let days = settings::gift_claim_period(&ctx.db).await?.num_days();
    Ok(format!("\n\n{}", t!("gift.note", locale = lang, days = days)))
}

/// "Buy as a gift" or "Buy for myself instead".
pub fn toggle_row(order_id: i32, is_gift: bool, lang: &str) -> Vec<InlineKeyboardButton> {
    if is_gift {
        vec![button(t!("gift.for_me_button", locale = lang), Action::Gift(order_id, false))]
    } else {
        vec![button(t!("gift.as_gift_button", locale = lang), Action::Gift(order_id, true))]
    }
}

pub async fn set(reply: &Reply, ctx: &Ctx, actor: &Actor, order_id: i32, on: bool) -> HandlerResult {
    match gifts::set_gift(&ctx.db, actor.telegram_id, order_id, on, Utc::now()).await {
        Ok(checkout) => checkout::present(reply, ctx, &checkout).await,
        Err(_) => checkout::review(reply, ctx, actor, order_id).await,
    }
}

/// A gift the customer bought, as a block of their subscriptions list.
pub fn item(gift: &BoughtGift, lang: &str, bot_username: &str) -> String {
    let (name, order) = (ui::escape(&gift.plan_name), gift.order_id);
    match &gift.state {
        GiftStatus::Waiting => t!(
            "gift.item_waiting",
            locale = lang,
            name = name,
            order = order,
            expires = format::date(gift.link.expires_at, lang),
            link = ui::escape(&link(bot_username, &gift.link.code))
        ),
        GiftStatus::Claimed { by, at } => t!(
            "gift.item_claimed",
            locale = lang,
            name = name,
            order = order,
            by = ui::escape(by),
            date = format::date(*at, lang)
        ),
        GiftStatus::Expired => t!(
            "gift.item_expired",
            locale = lang,
            name = name,
            order = order,
            date = format::date(gift.link.expires_at, lang)
        ),
        GiftStatus::Refunded => t!("gift.item_refunded", locale = lang, name = name, order = order),
    }
    .into_owned()
}
