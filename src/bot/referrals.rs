//! Refer & earn: the referrer's link, share button and stats, and the messages a referrer
//! gets when someone joins, a commission is earned, becomes available or is undone.
use rust_decimal::Decimal;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::Action;
use super::{keyboards, reply, Ctx, HandlerResult, Tg};
use crate::domain::fraud;
use crate::services::referrals;

fn percent(fraction: Decimal) -> String {
    (fraction * Decimal::ONE_HUNDRED).normalize().to_string()
}

pub fn link(ctx: &Ctx, code: &str) -> String {
    format!("https://t.me/{}?start=ref_{code}", ctx.bot_username)
}

pub async fn show(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, telegram_id: i64) -> HandlerResult {
    let Some(stats) = referrals::stats(&ctx.db, telegram_id).await? else { return Ok(()) };
    let min = crate::services::settings::withdrawal_min(&ctx.db).await?;
    let link = link(ctx, &stats.code);
    let reserved = if stats.totals.reserved.is_positive() {
        t!("refer.reserved", amount = stats.totals.reserved).into_owned()
    } else {
        String::new()
    };
    let blocked = if stats.blocked { t!("refer.blocked").into_owned() } else { String::new() };
    let text = t!(
        "refer.text",
        l1 = percent(stats.rules.l1_rate),
        l2 = percent(stats.rules.l2_rate),
        hold = stats.rules.hold.num_hours(),
        min = min,
        link = reply::escape(&link),
        l1_count = stats.level1,
        l1_paid = stats.level1_paying,
        l2_count = stats.level2,
        l2_paid = stats.level2_paying,
        conversion = fraud::conversion_percent(stats.level1_paying, stats.level1),
        pending = stats.totals.pending,
        available = stats.withdrawable,
        withdrawn = stats.totals.withdrawn,
        reserved = reserved,
        total = stats.totals.total(),
        blocked = blocked
    );
    reply::edit_or_send(bot, chat, message, text, Some(keyboard(&link))).await?;
    Ok(())
}

fn keyboard(link: &str) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    let share = url::Url::parse_with_params(
        "https://t.me/share/url",
        [("url", link), ("text", t!("refer.share_text").as_ref())],
    );
    if let Ok(share) = share {
        rows.push(vec![InlineKeyboardButton::url(t!("refer.share_button"), share)]);
    }
    rows.push(vec![keyboards::button(t!("refer.withdraw_button"), Action::Withdraw)]);
    rows.push(vec![keyboards::button(t!("menu.back"), Action::Menu)]);
    InlineKeyboardMarkup::new(rows)
}
