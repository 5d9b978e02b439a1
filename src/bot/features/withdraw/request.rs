//! The withdraw dialogue, screen by screen.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, button, format, keyboards, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::withdrawal::{self as rules, AmountError};
use crate::domain::Money;
use crate::entities::withdrawal::{self as withdrawal_row, WithdrawalStatus};
use crate::services::withdrawals::{self, RequestOutcome};
use crate::services::Actor;

fn cancel_keyboard(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(t!("withdraw.cancel_button", locale = lang), Goto::Menu)]])
}

/// The withdraw screen; starts the dialogue when there is enough to withdraw.
pub async fn start(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue) -> HandlerResult {
    let lang = reply.lang;
    let Some(screen) = withdrawals::screen(&ctx.db, actor.telegram_id).await? else { return Ok(()) };
    let back = Some(keyboards::back_to_menu(lang));
    if screen.blocked {
        let text = t!("withdraw.blocked", locale = lang, support = format::support_contact(ctx, lang));
        reply.edit_or_send(text, back).await?;
        return Ok(());
    }
    if let Some(open) = screen.open {
        reply.edit_or_send(open_request_text(&open, lang), back).await?;
        return Ok(());
    }
    if screen.withdrawable < screen.min {
        let text = t!(
            "withdraw.too_little",
            locale = lang,
            available = screen.withdrawable,
            min = screen.min,
            balance = screen.balance
        );
        let keyboard = InlineKeyboardMarkup::new(vec![
            vec![button(t!("menu.refer", locale = lang), Goto::Refer)],
            vec![button(t!("menu.back", locale = lang), Goto::Menu)],
        ]);
        reply.edit_or_send(text, Some(keyboard)).await?;
        return Ok(());
    }
    dialogue.update(Step::Amount).await?;
    let text = t!("withdraw.ask_amount", locale = lang, available = screen.withdrawable, min = screen.min);
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(
            t!("withdraw.all_button", locale = lang, amount = screen.withdrawable.to_string()),
            Action::All(screen.withdrawable.paise()),
        )],
        vec![button(t!("withdraw.cancel_button", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}

fn open_request_text(open: &withdrawal_row::Model, lang: &str) -> String {
    let key = match open.status {
        WithdrawalStatus::Approved => "withdraw.open_approved",
        _ => "withdraw.open_pending",
    };
    t!(key, locale = lang, amount = Money::from_paise(open.amount), vpa = ui::escape(&open.vpa)).into_owned()
}

pub async fn amount_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    text: &str,
) -> HandlerResult {
    let lang = reply.lang;
    let Some(screen) = withdrawals::screen(&ctx.db, actor.telegram_id).await? else { return Ok(()) };
    let Ok(amount) = Money::parse_rupees(text) else {
        let text = t!("withdraw.not_an_amount", locale = lang, min = screen.min, available = screen.withdrawable);
        reply.send(text, Some(cancel_keyboard(lang))).await?;
        return Ok(());
    };
    if let Err(err) = rules::check_amount(amount, screen.min, screen.withdrawable) {
        reply.send(amount_error(err, lang), Some(cancel_keyboard(lang))).await?;
        return Ok(());
    }
    ask_vpa(reply, dialogue, amount, screen.last_vpa.as_deref()).await
}

/// The "withdraw all" button.
pub async fn amount_chosen(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    paise: i64,
) -> HandlerResult {
    let Some(screen) = withdrawals::screen(&ctx.db, actor.telegram_id).await? else { return Ok(()) };
    let amount = Money::from_paise(paise);
    if screen.open.is_some() || screen.blocked || rules::check_amount(amount, screen.min, screen.withdrawable).is_err()
    {
        // The button is older than what the wallet holds now: start over from today's amount.
        reply.send(t!("withdraw.changed", locale = reply.lang), None).await?;
        return start(&reply.to_chat(reply.chat), ctx, actor, dialogue).await;
    }
    ask_vpa(reply, dialogue, amount, screen.last_vpa.as_deref()).await
}

fn amount_error(err: AmountError, lang: &str) -> String {
    match err {
        AmountError::BelowMinimum { min } => t!("withdraw.below_min", locale = lang, min = min),
        AmountError::AboveWithdrawable { withdrawable } => {
            t!("withdraw.above_available", locale = lang, available = withdrawable)
        }
    }
    .into_owned()
}

async fn ask_vpa(reply: &Reply, dialogue: &ChatDialogue, amount: Money, last_vpa: Option<&str>) -> HandlerResult {
    let lang = reply.lang;
    dialogue.update(Step::Vpa { amount: amount.paise() }).await?;
    let mut rows = Vec::new();
    if let Some(vpa) = last_vpa {
        rows.push(vec![button(t!("withdraw.use_last", locale = lang, vpa = vpa), Action::LastVpa)]);
    }
    rows.push(vec![button(t!("withdraw.cancel_button", locale = lang), Goto::Menu)]);
    let text = t!("withdraw.ask_vpa", locale = lang, amount = amount);
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn vpa_typed(reply: &Reply, dialogue: &ChatDialogue, amount: i64, text: &str) -> HandlerResult {
    let Some(vpa) = rules::normalise_vpa(text) else {
        reply.send(t!("withdraw.bad_vpa", locale = reply.lang), Some(cancel_keyboard(reply.lang))).await?;
        return Ok(());
    };
    ask_confirm(reply, dialogue, Money::from_paise(amount), vpa).await
}

/// The "use my last UPI ID" button.
pub async fn last_vpa_chosen(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue) -> HandlerResult {
    let state = dialogue.get().await?.and_then(|s| Step::try_from(s).ok());
    let screen = withdrawals::screen(&ctx.db, actor.telegram_id).await?;
    match (state, screen.and_then(|s| s.last_vpa)) {
        (Some(Step::Vpa { amount }), Some(vpa)) => ask_confirm(reply, dialogue, Money::from_paise(amount), vpa).await,
        _ => {
            reply.send(t!("withdraw.expired", locale = reply.lang), Some(keyboards::main_menu(reply.lang))).await?;
            Ok(())
        }
    }
}

async fn ask_confirm(reply: &Reply, dialogue: &ChatDialogue, amount: Money, vpa: String) -> HandlerResult {
    let lang = reply.lang;
    let text = t!("withdraw.confirm", locale = lang, amount = amount, vpa = ui::escape(&vpa));
    dialogue.update(Step::Confirm { amount: amount.paise(), vpa }).await?;
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("withdraw.confirm_button", locale = lang, amount = amount.to_string()), Action::Confirm)],
        vec![button(t!("withdraw.cancel_button", locale = lang), Goto::Menu)],
    ]);
    reply.send(text, Some(keyboard)).await?;
    Ok(())
}

/// Confirm: the request is made (and the amount reserved) now.
pub async fn confirm(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue) -> HandlerResult {
    let lang = reply.lang;
    let menu = || Some(keyboards::main_menu(lang));
    let Some(Step::Confirm { amount, vpa }) = dialogue.get().await?.and_then(|s| Step::try_from(s).ok()) else {
        // A second tap on a screen already confirmed: leave the confirmation in place.
        let open = withdrawals::screen(&ctx.db, actor.telegram_id).await?.and_then(|s| s.open);
        let text = match open {
            Some(open) => open_request_text(&open, lang),
            None => t!("withdraw.expired", locale = lang).into_owned(),
        };
        reply.send(text, menu()).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let outcome = withdrawals::request(&ctx.db, actor.telegram_id, Money::from_paise(amount), &vpa, Utc::now()).await?;
    match outcome {
        RequestOutcome::Requested { withdrawal, balance, .. } => {
            let text = t!(
                "withdraw.requested",
                locale = lang,
                amount = Money::from_paise(withdrawal.amount),
                vpa = ui::escape(&withdrawal.vpa),
                balance = balance
            );
            reply.edit_or_send(text, menu()).await?;
        }
        RequestOutcome::Blocked => {
            let text = t!("withdraw.blocked", locale = lang, support = format::support_contact(ctx, lang));
            reply.edit_or_send(text, menu()).await?;
        }
        RequestOutcome::OpenRequest(open) => reply.edit_or_send(open_request_text(&open, lang), menu()).await?,
        RequestOutcome::Amount(_) => {
            // Spent or withdrawn meanwhile: start over from the new amount.
            reply.edit_or_send(t!("withdraw.changed", locale = lang), None).await?;
            start(&reply.to_chat(reply.chat), ctx, actor, dialogue).await?;
        }
        RequestOutcome::BadVpa | RequestOutcome::UnknownUser => {
            reply.edit_or_send(t!("withdraw.expired", locale = lang), menu()).await?;
        }
    }
    Ok(())
}
