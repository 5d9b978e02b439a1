//! Admin money: /credit and /debit a wallet with a reason the customer reads, /refund an
//! order (price back, subscription cancelled, referral commissions undone).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{command, format, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::{Money, Permission};
use crate::services::refunds::{self, RefundOutcome};
use crate::services::wallet::{self, AdjustOutcome, Direction};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// `<telegram_id> <amount> [reason]`
    Credit(String),
    /// `<telegram_id> <amount> [reason]`
    Debit(String),
    /// `<order_id> [reason]`
    Refund(String),
}

pub fn handler() -> UpdateHandler<HandlerError> {
    command::on::<Command>().chain(permitted(Permission::MoveMoney, dptree::endpoint(on_command)))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, msg: Message, command: Command) -> HandlerResult {
    match command {
        Command::Credit(args) => adjust(&reply, &ctx, &actor, &msg, &args, Direction::Credit).await,
        Command::Debit(args) => adjust(&reply, &ctx, &actor, &msg, &args, Direction::Debit).await,
        Command::Refund(args) => refund(&reply, &ctx, &actor, &args).await,
    }
}

async fn adjust(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    msg: &Message,
    args: &str,
    direction: Direction,
) -> HandlerResult {
    let lang = reply.lang;
    let name = match direction {
        Direction::Credit => "credit",
        Direction::Debit => "debit",
    };
    let mut parts = args.splitn(3, char::is_whitespace);
    let (Some(target), Some(amount)) = (parts.next().and_then(|t| t.parse::<i64>().ok()), parts.next()) else {
        reply.send(t!("admin.adjust_usage", locale = lang, command = name), None).await?;
        return Ok(());
    };
    let reason = parts.next().unwrap_or_default().trim();
    if reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("admin.adjust_long_reason", locale = lang, max = format::MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    let amount = match Money::parse_rupees(amount) {
        Ok(amount) if amount.is_positive() => amount,
        Ok(_) => {
            reply.send(t!("admin.adjust_zero", locale = lang), None).await?;
            return Ok(());
        }
        Err(err) => {
            let error = format::money_error(&err, lang);
            reply.send(t!("admin.adjust_bad_amount", locale = lang, error = error), None).await?;
            return Ok(());
        }
    };
    let key = command::event_key(msg);
    let outcome = wallet::admin_adjust(&ctx.db, actor, target, amount, direction, reason, &key, Utc::now()).await?;
    let text = match outcome {
        AdjustOutcome::Applied { user, amount, balance } => {
            let who = format::user_label(&user, lang);
            let done = match direction {
                Direction::Credit => "admin.credited",
                Direction::Debit => "admin.debited",
            };
            t!(done, locale = lang, amount = amount, user = who, balance = balance)
        }
        AdjustOutcome::AwaitingApproval { request, user, threshold, approvers } => {
            let what = format::adjustment(request.kind, Money::from_paise(request.amount), &(&*user).into(), lang);
            let mut text =
                t!("approvals.requested", locale = lang, id = request.id, what = what, threshold = threshold);
            if approvers == 0 {
                text.to_mut().push_str(&t!("approvals.no_approvers", locale = lang));
            }
            text
        }
        AdjustOutcome::AlreadyRequested { request } => {
            let status = format::approval_status(request.status, lang);
            t!("approvals.already_requested", locale = lang, id = request.id, status = status)
        }
        AdjustOutcome::AlreadyApplied => t!("admin.adjust_repeat", locale = lang),
        AdjustOutcome::UnknownUser => t!("admin.adjust_unknown_user", locale = lang, id = target),
        AdjustOutcome::Insufficient { balance } => t!("admin.adjust_insufficient", locale = lang, balance = balance),
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn refund(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let (id, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let reason = reason.trim();
    let Some(order_id) = id.trim_start_matches('#').parse::<i32>().ok().filter(|id| *id > 0) else {
        reply.send(t!("admin.refund_usage", locale = lang), None).await?;
        return Ok(());
    };
    if reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("admin.adjust_long_reason", locale = lang, max = format::MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    let text = match refunds::refund(&ctx.db, actor, order_id, reason, Utc::now()).await? {
        RefundOutcome::Refunded { customer, order_id, amount, balance, commissions, restocked, .. } => {
            let who = t!("admin.customer_id", locale = lang, id = customer.telegram_id);
            let key = if restocked { "admin.refunded_gift" } else { "admin.refunded" };
            let mut text = t!(key, locale = lang, order = order_id, amount = amount, user = who, balance = balance);
            if !commissions.is_empty() {
                text.to_mut().push_str(&t!("admin.refund_commissions", locale = lang, count = commissions.len()));
            }
            text
        }
        RefundOutcome::AlreadyRefunded => t!("admin.refund_repeat", locale = lang, order = order_id),
        RefundOutcome::NotPaid => t!("admin.refund_not_paid", locale = lang, order = order_id),
        RefundOutcome::UnknownOrder => t!("admin.refund_unknown", locale = lang, order = order_id),
        RefundOutcome::LaterPeriodFirst { order_id: later } => {
            t!("admin.refund_later_first", locale = lang, order = order_id, later = later)
        }
    };
    reply.send(text, None).await?;
    Ok(())
}
