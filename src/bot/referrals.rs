//! Refer & earn: the referrer's link, share button and stats, and the messages a referrer
//! gets when someone joins, a commission is earned, becomes available or is undone.
use rust_decimal::Decimal;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::Action;
use super::{customer, keyboards, reply, Ctx, HandlerResult};
use crate::domain::commission::Level;
use crate::domain::{fraud, privacy, Money};
use crate::services::referrals::{self, CommissionReversal, EarnedCommission, Matured};
use crate::services::users::Signup;

fn percent(fraction: Decimal) -> String {
    (fraction * Decimal::ONE_HUNDRED).normalize().to_string()
}

pub fn link(ctx: &Ctx, code: &str) -> String {
    format!("https://t.me/{}?start=ref_{code}", ctx.bot_username)
}

pub async fn show(bot: &Bot, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, telegram_id: i64) -> HandlerResult {
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

/// Someone signed up through a referral link.
pub async fn joined(bot: &Bot, signup: &Signup) {
    if let (true, Some(referrer)) = (signup.created, &signup.referrer) {
        let name = reply::escape(&privacy::mask_name(&signup.user.first_name));
        reply::tell(bot, ChatId(referrer.telegram_id), t!("refer.joined", name = name), None).await;
    }
}

pub async fn earned(bot: &Bot, commissions: &[EarnedCommission]) {
    for c in commissions {
        let level = match c.level {
            Level::One => 1,
            Level::Two => 2,
        };
        let text = t!(
            "refer.earned",
            amount = c.amount,
            level = level,
            name = reply::escape(&c.buyer),
            date = customer::date_time(c.available_at)
        );
        reply::tell(bot, ChatId(c.earner_telegram_id), text, None).await;
    }
}

pub async fn available(bot: &Bot, matured: &Matured) {
    let text = t!("refer.available", amount = matured.amount, balance = matured.balance);
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![keyboards::button(t!("refer.withdraw_button"), Action::Withdraw)],
        vec![keyboards::button(t!("menu.back"), Action::Menu)],
    ]);
    reply::tell(bot, ChatId(matured.earner_telegram_id), text, Some(keyboard)).await;
}

pub async fn undone(bot: &Bot, reversals: &[CommissionReversal]) {
    for r in reversals {
        let text = if !r.was_credited {
            t!("refer.cancelled", amount = r.amount)
        } else if r.recovered >= r.amount {
            t!("refer.reversed", amount = r.amount, taken = r.recovered)
        } else {
            let rest = Money::from_paise(r.amount.paise() - r.recovered.paise());
            t!("refer.reversed_short", amount = r.amount, taken = r.recovered, rest = rest)
        };
        reply::tell(bot, ChatId(r.earner_telegram_id), text, Some(keyboards::main_menu())).await;
    }
}
