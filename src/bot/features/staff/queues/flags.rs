//! Fraud flags: /flags with Resolve / Block, the Block button under an alert, and /block,
//! /unblock. The blocked customer is told, politely, through the outbox.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::keyboards;
use crate::bot::ui::{self, format, reply, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::Permission;
use crate::entities::fraud_flag::FraudRule;
use crate::services::fraud::{self, BlockOutcome, ResolveOutcome};
use crate::services::Actor;

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
        serde_json::Value::String(s) => ui::escape(s),
        serde_json::Value::Null => String::new(),
        other => ui::escape(&other.to_string()),
    };
    let Ok(rule) = <FraudRule as sea_orm::ActiveEnum>::try_from_value(&rule.to_owned()) else {
        return ui::escape(rule);
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
        FraudRule::OwnReferee => t!(
            "flags.own_referee",
            locale = lang,
            referee = text("referee"),
            payment = text("payment"),
            vpa = text("vpa")
        ),
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

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let open = fraud::open_flags(&ctx.db, actor, LIST_LIMIT).await?;
    if open.is_empty() {
        reply.send(t!("flags.empty", locale = lang), None).await?;
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (flag, owner) in &open {
        let who = owner.as_ref().map(|u| format::user_label(u, lang)).unwrap_or_default();
        let rule = sea_orm::ActiveEnum::to_value(&flag.rule);
        lines.push(
            t!(
                "flags.line",
                locale = lang,
                id = flag.id,
                user = who,
                finding = finding(&rule, &flag.evidence, lang),
                date = format::date_time(flag.created_at, lang)
            )
            .into_owned(),
        );
        if actor.can(Permission::Moderate) {
            rows.push(keyboards::flag_buttons(flag.id, lang));
        }
    }
    let text =
        reply::first_page(t!("flags.title", locale = lang).into_owned(), lines, &t!("plans.more", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn resolve(reply: &Reply, ctx: &Ctx, actor: &Actor, flag_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match fraud::resolve(&ctx.db, actor, flag_id, Utc::now()).await? {
        ResolveOutcome::Resolved(_) => {
            let by = crate::services::outbox::person(&ctx.db, actor.telegram_id).await?;
            t!("flags.resolved", locale = lang, id = flag_id, by = format::person(&by, lang))
        }
        ResolveOutcome::AlreadyResolved => t!("flags.already_resolved", locale = lang, id = flag_id),
        ResolveOutcome::UnknownFlag => t!("flags.unknown", locale = lang, id = flag_id),
    };
    reply.send(text, None).await?;
    Ok(())
}

/// The Block button under a flag: blocks the flagged customer.
pub async fn block_flagged(reply: &Reply, ctx: &Ctx, actor: &Actor, flag_id: i32) -> HandlerResult {
    let Some((flag, owner)) = fraud::find_flag(&ctx.db, flag_id).await? else {
        reply.send(t!("flags.unknown", locale = reply.lang, id = flag_id), None).await?;
        return Ok(());
    };
    // The reason is stored and shown to other staff: in the shop's language of record.
    let reason = t!("flags.block_reason", locale = "en", id = flag.id);
    set_blocked(reply, ctx, actor, owner.telegram_id, true, &reason).await
}

/// `/block <telegram_id> [reason]` and `/unblock <telegram_id>`.
pub async fn block_command(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str, blocked: bool) -> HandlerResult {
    let lang = reply.lang;
    let (id, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let usage = if blocked { "flags.block_usage" } else { "flags.unblock_usage" };
    let Some(target) = id.trim().parse::<i64>().ok().filter(|id| *id > 0) else {
        reply.send(t!(usage, locale = lang), None).await?;
        return Ok(());
    };
    let reason = reason.trim();
    if reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("admin.adjust_long_reason", locale = lang, max = format::MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    set_blocked(reply, ctx, actor, target, blocked, reason).await
}

async fn set_blocked(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    target: i64,
    blocked: bool,
    reason: &str,
) -> HandlerResult {
    let lang = reply.lang;
    let outcome = fraud::set_blocked(&ctx.db, actor, target, blocked, reason, Utc::now()).await?;
    let label = |user: &crate::entities::user::Model| format::user_label(user, lang);
    let text = match (&outcome, blocked) {
        (BlockOutcome::Changed(user), true) => t!("flags.blocked", locale = lang, user = label(user)),
        (BlockOutcome::Changed(user), false) => t!("flags.unblocked", locale = lang, user = label(user)),
        (BlockOutcome::Unchanged(user), true) => t!("flags.already_blocked", locale = lang, user = label(user)),
        (BlockOutcome::Unchanged(user), false) => t!("flags.not_blocked", locale = lang, user = label(user)),
        (BlockOutcome::UnknownUser, _) => t!("admin.adjust_unknown_user", locale = lang, id = target),
    };
    reply.send(text, None).await?;
    Ok(())
}
