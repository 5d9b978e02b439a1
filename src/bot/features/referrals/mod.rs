//! Refer & earn: the customer's link, a share button, and what their referrals earned.
use std::sync::Arc;

use rust_decimal::Decimal;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, button, callback, command, Goto, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::fraud;
use crate::services::{referrals, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Refer,
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(show))
        .branch(callback::goto(|g| (g == Goto::Refer).then_some(())).endpoint(show))
}

fn percent(fraction: Decimal) -> String {
    (fraction * Decimal::ONE_HUNDRED).normalize().to_string()
}

async fn show(reply: Reply, ctx: Arc<Ctx>, actor: Actor) -> HandlerResult {
    let lang = reply.lang;
    let Some(stats) = referrals::stats(&ctx.db, actor.telegram_id).await? else { return Ok(()) };
    let min = stats.withdrawal_min;
    let link = format!("https://t.me/{}?start=ref_{}", ctx.bot_username, stats.code);
    let reserved = if stats.totals.reserved.is_positive() {
        t!("refer.reserved", locale = lang, amount = stats.totals.reserved).into_owned()
    } else {
        String::new()
    };
    let blocked = if stats.blocked { t!("refer.blocked", locale = lang).into_owned() } else { String::new() };
    let text = t!(
        "refer.text",
        locale = lang,
        l1 = percent(stats.rules.l1_rate),
        l2 = percent(stats.rules.l2_rate),
        hold = stats.rules.hold.num_hours(),
        min = min,
        link = ui::escape(&link),
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
    reply.edit_or_send(text, Some(keyboard(&link, lang))).await?;
    Ok(())
}

fn keyboard(link: &str, lang: &str) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    let share_text = t!("refer.share_text", locale = lang);
    if let Ok(share) = url::Url::parse_with_params("https://t.me/share/url", [("url", link), ("text", &share_text)]) {
        rows.push(vec![InlineKeyboardButton::url(t!("refer.share_button", locale = lang), share)]);
    }
    rows.push(vec![button(t!("refer.withdraw_button", locale = lang), Goto::Withdraw)]);
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    InlineKeyboardMarkup::new(rows)
}
