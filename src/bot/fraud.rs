//! Fraud flags for admins: alerts when a rule fires, /flags with Resolve / Block buttons,
//! and /block, /unblock. The blocked user is told, politely.
use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, User};

use super::admin::MAX_REASON_CHARS;
use super::callback::Action;
use super::keyboards::button;
use super::{customer, reply, withdrawals, Ctx, HandlerResult, Tg};
use crate::entities::fraud_flag::FraudRule;
use crate::services::fraud::{self as fraud_service, BlockOutcome, ResolveOutcome};

/// Flags listed by /flags.
const LIST_LIMIT: u64 = 10;
/// Users named in one finding.
const MAX_LISTED: usize = 10;

/// `#3, #7`
pub fn flag_ids(ids: &[i32]) -> String {
    ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", ")
}

/// The rule's finding in words, from its evidence (`rule` as stored, e.g. `shared_upi`).
pub fn finding(rule: &str, evidence: &str, lang: &str) -> String {
    let evidence: serde_json::Value = serde_json::from_str(evidence).unwrap_or_default();
    let text = |key: &str| match &evidence[key] {
        serde_json::Value::String(s) => reply::escape(s),
        serde_json::Value::Null => String::new(),
        other => reply::escape(&other.to_string()),
    };
    let Ok(rule) = <FraudRule as sea_orm::ActiveEnum>::try_from_value(&rule.to_owned()) else {
        return reply::escape(rule);
    };
    match rule {
        FraudRule::SharedUpi => {
            let ids = match &evidence["other_users"] {
                serde_json::Value::Array(ids) => ids.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            // A long list would not fit a message: name the first few.
            let mut others = ids.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join(", ");
            if ids.len() > MAX_LISTED {
                others.push_str(&t!("flags.and_more", locale = lang, count = ids.len() - MAX_LISTED));
            }
            t!("flags.shared_upi", locale = lang, vpa = text("vpa"), others = others)
        }
        FraudRule::RapidSignups => {
            t!("flags.rapid_signups", locale = lang, count = text("referrals_last_hour"), limit = text("limit"))
        }
        FraudRule::LowConversion => t!(
            "flags.low_conversion",
            locale = lang,
            paying = text("paying"),
            referrals = text("referrals"),
            rate = text("min_rate_percent")
        ),
        FraudRule::OwnReferee => {
            t!(
                "flags.own_referee",
                locale = lang,
                referee = text("referee"),
                payment = text("payment"),
                vpa = text("vpa")
            )
        }
        FraudRule::ClawbackShortfall => t!(
            "flags.clawback_shortfall",
            locale = lang,
            order = text("order"),
            amount = text("amount"),
            recovered = text("recovered"),
            missing = text("missing")
        ),
    }
    .into_owned()
}

pub fn flag_buttons(id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![
        button(t!("flags.resolve_button", locale = lang, id = id), Action::FlagResolve(id)),
        button(t!("flags.block_button", locale = lang, id = id), Action::FlagBlock(id)),
    ]
}

pub async fn list(bot: &Tg, ctx: &Ctx, chat: ChatId) -> HandlerResult {
    let open = fraud_service::open_flags(&ctx.db, &super::staff_actor(chat.0), LIST_LIMIT).await?;
    if open.is_empty() {
        reply::send(bot, chat, t!("flags.empty"), None).await?;
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (flag, owner) in &open {
        let who = owner.as_ref().map(withdrawals::user_label).unwrap_or_default();
        lines.push(
            t!(
                "flags.line",
                id = flag.id,
                user = who,
                finding = finding(&sea_orm::ActiveEnum::to_value(&flag.rule), &flag.evidence, "en"),
                date = customer::date_time(flag.created_at)
            )
            .into_owned(),
        );
        rows.push(flag_buttons(flag.id, "en"));
    }
    let text = reply::first_page(t!("flags.title").into_owned(), lines, &t!("plans.more"));
    reply::send(bot, chat, text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn resolve(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: &User, flag_id: i32) -> HandlerResult {
    let text =
        match fraud_service::resolve(&ctx.db, &super::staff_actor(admin.id.0 as i64), flag_id, Utc::now()).await? {
            ResolveOutcome::Resolved(_) => {
                t!("flags.resolved", id = flag_id, by = customer::customer_label(admin))
            }
            ResolveOutcome::AlreadyResolved => t!("flags.already_resolved", id = flag_id),
            ResolveOutcome::UnknownFlag => t!("flags.unknown", id = flag_id),
        };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

/// The Block button under a flag: blocks the flagged user.
pub async fn block_flagged(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: &User, flag_id: i32) -> HandlerResult {
    let open = fraud_service::find_flag(&ctx.db, flag_id).await?;
    let Some((flag, owner)) = open else {
        reply::send(bot, chat, t!("flags.unknown", id = flag_id), None).await?;
        return Ok(());
    };
    let reason = t!("flags.block_reason", id = flag.id);
    set_blocked(bot, ctx, chat, admin.id.0 as i64, owner.telegram_id, true, &reason).await
}

/// `/block <telegram_id> [reason]` and `/unblock <telegram_id>`.
pub async fn block_command(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: i64, args: &str, blocked: bool) -> HandlerResult {
    let (id, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let usage = if blocked { "flags.block_usage" } else { "flags.unblock_usage" };
    let Some(target) = id.trim().parse::<i64>().ok().filter(|id| *id > 0) else {
        reply::send(bot, chat, t!(usage), None).await?;
        return Ok(());
    };
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        reply::send(bot, chat, t!("admin.adjust_long_reason", max = MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    set_blocked(bot, ctx, chat, admin, target, blocked, reason).await
}

async fn set_blocked(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    admin: i64,
    target: i64,
    blocked: bool,
    reason: &str,
) -> HandlerResult {
    let outcome =
        fraud_service::set_blocked(&ctx.db, &super::staff_actor(admin), target, blocked, reason, Utc::now()).await?;
    let text = match (&outcome, blocked) {
        (BlockOutcome::Changed(user), true) => t!("flags.blocked", user = withdrawals::user_label(user)),
        (BlockOutcome::Changed(user), false) => t!("flags.unblocked", user = withdrawals::user_label(user)),
        (BlockOutcome::Unchanged(user), true) => t!("flags.already_blocked", user = withdrawals::user_label(user)),
        (BlockOutcome::Unchanged(user), false) => t!("flags.not_blocked", user = withdrawals::user_label(user)),
        (BlockOutcome::UnknownUser, _) => t!("admin.adjust_unknown_user", id = target),
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}
