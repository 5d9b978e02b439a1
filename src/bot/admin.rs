//! Admin commands and the step-by-step /addplan dialogue. Every entry point checks the
//! sender against ADMIN_IDS first; a refused command changes nothing.
use std::borrow::Cow;

use chrono::Utc;
use rust_i18n::t;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::User;

use super::command::Command;
use super::dialogue::{ChatDialogue, State};
use super::{fraud, keyboards, reply, settings, withdrawals, Ctx, HandlerResult, Tg};
use crate::domain::credentials::{self, CredentialBatch};
use crate::domain::plan_draft::{self, PlanDraft, PlanDraftError};
use crate::domain::{Money, MoneyError};
use crate::services::refunds::{self, RefundOutcome};
use crate::services::stock::AddStockOutcome;
use crate::services::wallet::{AdjustOutcome, Direction};
use crate::services::{catalog, stock, wallet};

/// The admin's message identifies an admin event: a replayed update is applied once.
fn event_key(msg: &Message) -> String {
    format!("{}:{}", msg.chat.id.0, msg.id.0)
}

/// A wallet adjustment's reason is shown to the customer; keep it a sentence.
pub(super) const MAX_REASON_CHARS: usize = 200;

/// Largest stock file we download.
const MAX_STOCK_FILE: u32 = 1024 * 1024;

pub async fn on_command(
    bot: &Tg,
    ctx: &Ctx,
    msg: &Message,
    from: &User,
    dialogue: &ChatDialogue,
    command: Command,
) -> HandlerResult {
    let chat = msg.chat.id;
    if !ctx.is_admin(from) {
        reply::send(bot, chat, t!("admin.not_allowed"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    }
    let actor = &super::staff_actor(from.id.0 as i64);
    match command {
        Command::AddPlan(args) if args.is_empty() => {
            dialogue.update(State::AddPlanPrice).await?;
            reply::send(bot, chat, t!("admin.addplan_ask_price"), None).await?;
        }
        Command::AddPlan(args) => match plan_draft::parse_line(&args) {
            Ok(draft) => create_plan(bot, ctx, msg, actor, &draft).await?,
            Err(err) => {
                let text =
                    format!("{}\n\n{}", t!("errors.input", error = draft_error(&err)), t!("admin.addplan_usage"));
                reply::send(bot, chat, text, None).await?;
            }
        },
        Command::AddStock(args) => add_stock(bot, ctx, msg, actor, &args).await?,
        Command::Describe(args) => describe(bot, ctx, chat, actor, &args).await?,
        Command::Credit(args) => adjust(bot, ctx, msg, actor, &args, Direction::Credit).await?,
        Command::Debit(args) => adjust(bot, ctx, msg, actor, &args, Direction::Debit).await?,
        Command::Refund(args) => refund(bot, ctx, chat, actor, &args).await?,
        Command::Withdrawals => withdrawals::queue(bot, ctx, chat).await?,
        Command::Flags => fraud::list(bot, ctx, chat).await?,
        Command::Block(args) => fraud::block_command(bot, ctx, chat, actor.telegram_id, &args, true).await?,
        Command::Unblock(args) => fraud::block_command(bot, ctx, chat, actor.telegram_id, &args, false).await?,
        Command::Settings => settings::list(bot, ctx, chat).await?,
        Command::Set(args) => settings::set(bot, ctx, chat, actor.telegram_id, &args).await?,
        _ => {}
    }
    Ok(())
}

/// One answer in the /addplan dialogue.
pub async fn dialogue_step(bot: &Tg, ctx: &Ctx, msg: &Message, dialogue: &ChatDialogue, state: State) -> HandlerResult {
    let chat = msg.chat.id;
    let Some(text) = msg.text() else {
        reply::send(bot, chat, t!("admin.addplan_text_only"), None).await?;
        return Ok(());
    };
    let invalid = |err: PlanDraftError| t!("admin.addplan_invalid", error = draft_error(&err));
    let (next, prompt) = match state {
        State::Idle
        | State::TopUpAmount
        | State::UpiUtr { .. }
        | State::UpiRejectReason { .. }
        | State::WithdrawAmount
        | State::WithdrawVpa { .. }
        | State::WithdrawConfirm { .. }
        | State::WithdrawalRejectReason { .. }
        | State::WithdrawalPayoutUtr { .. } => return Ok(()),
        State::AddPlanPrice => match plan_draft::parse_price(text) {
            Ok(price) => (State::AddPlanCost { price: price.paise() }, t!("admin.addplan_ask_cost")),
            Err(err) => (State::AddPlanPrice, invalid(err)),
        },
        State::AddPlanCost { price } => match plan_draft::parse_cost(text) {
            Ok(cost) => (State::AddPlanDays { price, cost: cost.paise() }, t!("admin.addplan_ask_days")),
            Err(err) => (State::AddPlanCost { price }, invalid(err)),
        },
        State::AddPlanDays { price, cost } => match plan_draft::parse_days(text) {
            Ok(days) => (State::AddPlanName { price, cost, days }, t!("admin.addplan_ask_name")),
            Err(err) => (State::AddPlanDays { price, cost }, invalid(err)),
        },
        State::AddPlanName { price, cost, days } => match plan_draft::parse_name(text) {
            Ok(name) => {
                dialogue.exit().await?;
                let draft = PlanDraft {
                    price: Money::from_paise(price),
                    cost: Money::from_paise(cost),
                    duration_days: days,
                    name,
                };
                let actor = &super::staff_actor(msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or_default());
                return create_plan(bot, ctx, msg, actor, &draft).await;
            }
            Err(err) => (State::AddPlanName { price, cost, days }, invalid(err)),
        },
    };
    dialogue.update(next).await?;
    reply::send(bot, chat, prompt, None).await?;
    Ok(())
}

async fn create_plan(
    bot: &Tg,
    ctx: &Ctx,
    msg: &Message,
    actor: &crate::services::Actor,
    draft: &PlanDraft,
) -> HandlerResult {
    let chat = msg.chat.id;
    let created = catalog::create_plan(&ctx.db, actor, draft, &event_key(msg), Utc::now()).await?;
    let plan = created.plan;
    if !created.created {
        reply::send(bot, chat, t!("admin.plan_exists", id = plan.id, name = reply::escape(&plan.name)), None).await?;
        return Ok(());
    }
    let text = t!(
        "admin.plan_created",
        id = plan.id,
        name = reply::escape(&plan.name),
        price = draft.price,
        cost = draft.cost,
        days = plan.duration_days
    );
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

async fn describe(bot: &Tg, ctx: &Ctx, chat: ChatId, actor: &crate::services::Actor, args: &str) -> HandlerResult {
    let (id, text) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let Some(plan_id) = id.trim_start_matches('#').parse::<i32>().ok() else {
        reply::send(bot, chat, t!("admin.describe_usage"), None).await?;
        return Ok(());
    };
    let description = match plan_draft::parse_description(text) {
        Ok(description) => description,
        Err(err) => {
            reply::send(bot, chat, t!("errors.input", error = draft_error(&err)), None).await?;
            return Ok(());
        }
    };
    let text = match catalog::describe_plan(&ctx.db, actor, plan_id, &description, Utc::now()).await? {
        Some(plan) => t!("admin.described", id = plan.id, name = reply::escape(&plan.name)),
        None => t!("admin.addstock_unknown_plan", id = plan_id),
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

async fn refund(bot: &Tg, ctx: &Ctx, chat: ChatId, actor: &crate::services::Actor, args: &str) -> HandlerResult {
    let (id, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let reason = reason.trim();
    let Some(order_id) = id.trim_start_matches('#').parse::<i32>().ok().filter(|id| *id > 0) else {
        reply::send(bot, chat, t!("admin.refund_usage"), None).await?;
        return Ok(());
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        reply::send(bot, chat, t!("admin.adjust_long_reason", max = MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    let text = match refunds::refund(&ctx.db, actor, order_id, reason, Utc::now()).await? {
        RefundOutcome::Refunded { customer, order_id, amount, balance, commissions, .. } => {
            let who = t!("admin.customer_id", id = customer.telegram_id);
            let mut text = t!("admin.refunded", order = order_id, amount = amount, user = who, balance = balance);
            if !commissions.is_empty() {
                text.to_mut().push_str(&t!("admin.refund_commissions", count = commissions.len()));
            }
            text
        }
        RefundOutcome::AlreadyRefunded => t!("admin.refund_repeat", order = order_id),
        RefundOutcome::NotPaid => t!("admin.refund_not_paid", order = order_id),
        RefundOutcome::UnknownOrder => t!("admin.refund_unknown", order = order_id),
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

async fn add_stock(bot: &Tg, ctx: &Ctx, msg: &Message, actor: &crate::services::Actor, args: &str) -> HandlerResult {
    let chat = msg.chat.id;
    let (first_line, rest) = args.split_once('\n').unwrap_or((args, ""));
    let Some(plan_id) =
        first_line.split_whitespace().next().and_then(|id| id.trim_start_matches('#').parse::<i32>().ok())
    else {
        reply::send(bot, chat, t!("admin.addstock_usage"), None).await?;
        return Ok(());
    };
    // Credentials may also follow the id on the first line: `/addstock 3 a@b:pw`.
    let inline = first_line.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    let batch = match msg.document() {
        Some(doc) => {
            let name = doc.file_name.clone().unwrap_or_default().to_ascii_lowercase();
            let is_csv = name.ends_with(".csv");
            if !(is_csv || name.ends_with(".txt")) || doc.file.size > MAX_STOCK_FILE {
                reply::send(bot, chat, t!("admin.addstock_bad_file"), None).await?;
                return Ok(());
            }
            let file = bot.get_file(doc.file.id.clone()).await?;
            let mut bytes = Vec::new();
            bot.download_file(&file.path, &mut bytes).await?;
            match (is_csv, String::from_utf8(bytes)) {
                (_, Err(_)) => {
                    reply::send(bot, chat, t!("admin.addstock_bad_file"), None).await?;
                    return Ok(());
                }
                (true, Ok(text)) => credentials::from_csv(text.as_bytes()),
                (false, Ok(text)) => credentials::from_lines(&text),
            }
        }
        None => credentials::from_lines(&format!("{inline}\n{rest}")),
    };
    if batch.credentials.is_empty() && batch.too_long == 0 {
        reply::send(bot, chat, t!("admin.addstock_empty"), None).await?;
        return Ok(());
    }
    report_stock(bot, ctx, chat, actor, plan_id, &batch).await
}

async fn report_stock(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    actor: &crate::services::Actor,
    plan_id: i32,
    batch: &CredentialBatch,
) -> HandlerResult {
    let text = match stock::add_stock(&ctx.db, actor, plan_id, batch, Utc::now()).await? {
        AddStockOutcome::UnknownPlan => t!("admin.addstock_unknown_plan", id = plan_id),
        AddStockOutcome::Added { plan_name, added, duplicates, too_long, available } => {
            let too_long = if too_long > 0 { t!("admin.addstock_too_long", count = too_long) } else { "".into() };
            t!(
                "admin.addstock_done",
                plan = reply::escape(&plan_name),
                added = added,
                duplicates = duplicates,
                too_long = too_long,
                available = available
            )
        }
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

async fn adjust(
    bot: &Tg,
    ctx: &Ctx,
    msg: &Message,
    actor: &crate::services::Actor,
    args: &str,
    direction: Direction,
) -> HandlerResult {
    let chat = msg.chat.id;
    let name = match direction {
        Direction::Credit => "credit",
        Direction::Debit => "debit",
    };
    let mut parts = args.splitn(3, char::is_whitespace);
    let (Some(target), Some(amount)) = (parts.next().and_then(|t| t.parse::<i64>().ok()), parts.next()) else {
        reply::send(bot, chat, t!("admin.adjust_usage", command = name), None).await?;
        return Ok(());
    };
    let reason = parts.next().unwrap_or_default().trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        reply::send(bot, chat, t!("admin.adjust_long_reason", max = MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    let amount = match Money::parse_rupees(amount) {
        Ok(amount) if amount.is_positive() => amount,
        Ok(_) => {
            reply::send(bot, chat, t!("admin.adjust_zero"), None).await?;
            return Ok(());
        }
        Err(err) => {
            reply::send(bot, chat, t!("admin.adjust_bad_amount", error = money_error(&err)), None).await?;
            return Ok(());
        }
    };
    let outcome =
        wallet::admin_adjust(&ctx.db, actor, target, amount, direction, reason, &event_key(msg), Utc::now()).await?;
    let text = match outcome {
        AdjustOutcome::Applied { user, amount, balance } => {
            let who = match &user.username {
                Some(u) => t!("admin.user_with_username", username = reply::escape(u), id = user.telegram_id),
                None => {
                    t!("admin.user_without_username", name = reply::escape(&user.first_name), id = user.telegram_id)
                }
            };
            let admin_key = match direction {
                Direction::Credit => "admin.credited",
                Direction::Debit => "admin.debited",
            };
            t!(admin_key, amount = amount, user = who, balance = balance)
        }
        AdjustOutcome::AlreadyApplied => t!("admin.adjust_repeat"),
        AdjustOutcome::UnknownUser => t!("admin.adjust_unknown_user", id = target),
        AdjustOutcome::Insufficient { balance } => t!("admin.adjust_insufficient", balance = balance),
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

fn money_error(err: &MoneyError) -> Cow<'static, str> {
    match err {
        MoneyError::NotANumber => t!("errors.money_not_a_number"),
        MoneyError::TooPrecise => t!("errors.money_too_precise"),
        MoneyError::Negative => t!("errors.money_negative"),
        MoneyError::TooLarge => t!("errors.money_too_large"),
    }
}

fn draft_error(err: &PlanDraftError) -> Cow<'static, str> {
    match err {
        PlanDraftError::Price(e) => t!("errors.price", error = money_error(e)),
        PlanDraftError::FreePrice => t!("errors.free_price"),
        PlanDraftError::Cost(e) => t!("errors.cost", error = money_error(e)),
        PlanDraftError::Days => t!("errors.days"),
        PlanDraftError::EmptyName => t!("errors.empty_name"),
        PlanDraftError::LongName => t!("errors.long_name"),
        PlanDraftError::Missing => t!("errors.missing"),
        PlanDraftError::LongDescription => t!("errors.long_description"),
    }
}
