//! Withdrawals in chat: the customer's amount -> UPI ID -> confirm dialogue, and the admins'
//! Approve / Reject (with a reason) / Mark paid (with the payout UTR) and /withdrawals queue.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, User};

use super::admin::MAX_REASON_CHARS;
use super::callback::Action;
use super::dialogue::{ChatDialogue, State};
use super::keyboards::button;
use super::{customer, fraud, keyboards, notices, reply, Ctx, HandlerError, HandlerResult, Tg};
use crate::domain::withdrawal::{self as rules, AmountError};
use crate::domain::Money;
use crate::entities::withdrawal::{self as withdrawal_row, WithdrawalStatus};
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::withdrawals::{self, Decision, RequestOutcome};

/// Requests shown by /withdrawals (each with its buttons).
const QUEUE_LIMIT: u64 = 20;

fn cancel_keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(t!("withdraw.cancel_button"), Action::Menu)]])
}

/// The withdraw screen; starts the dialogue when there is enough to withdraw.
pub async fn start(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    dialogue: &ChatDialogue,
) -> HandlerResult {
    let Some(screen) = withdrawals::screen(&ctx.db, chat.0).await? else { return Ok(()) };
    let back = Some(keyboards::back_to_menu());
    if screen.blocked {
        let text = t!("withdraw.blocked", support = customer::support_contact(ctx, "en"));
        reply::edit_or_send(bot, chat, message, text, back).await?;
        return Ok(());
    }
    if let Some(open) = screen.open {
        reply::edit_or_send(bot, chat, message, open_request_text(&open), back).await?;
        return Ok(());
    }
    if screen.withdrawable < screen.min {
        let text =
            t!("withdraw.too_little", available = screen.withdrawable, min = screen.min, balance = screen.balance);
        let keyboard = InlineKeyboardMarkup::new(vec![
            vec![button(t!("menu.refer"), Action::Refer)],
            vec![button(t!("menu.back"), Action::Menu)],
        ]);
        reply::edit_or_send(bot, chat, message, text, Some(keyboard)).await?;
        return Ok(());
    }
    dialogue.update(State::WithdrawAmount).await?;
    let text = t!("withdraw.ask_amount", available = screen.withdrawable, min = screen.min);
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(
            t!("withdraw.all_button", amount = screen.withdrawable.to_string()),
            Action::WithdrawAmount(screen.withdrawable.paise()),
        )],
        vec![button(t!("withdraw.cancel_button"), Action::Menu)],
    ]);
    reply::edit_or_send(bot, chat, message, text, Some(keyboard)).await?;
    Ok(())
}

fn open_request_text(open: &withdrawal_row::Model) -> String {
    let key = match open.status {
        WithdrawalStatus::Approved => "withdraw.open_approved",
        _ => "withdraw.open_pending",
    };
    t!(key, amount = Money::from_paise(open.amount), vpa = reply::escape(&open.vpa)).into_owned()
}

/// The typed amount.
pub async fn amount_step(bot: &Tg, ctx: &Ctx, msg: &Message, dialogue: &ChatDialogue) -> HandlerResult {
    let chat = msg.chat.id;
    let Some(screen) = withdrawals::screen(&ctx.db, chat.0).await? else { return Ok(()) };
    let amount = match Money::parse_rupees(msg.text().unwrap_or_default()) {
        Ok(amount) => amount,
        Err(_) => {
            let text = t!("withdraw.not_an_amount", min = screen.min, available = screen.withdrawable);
            reply::send(bot, chat, text, Some(cancel_keyboard())).await?;
            return Ok(());
        }
    };
    if let Err(err) = rules::check_amount(amount, screen.min, screen.withdrawable) {
        reply::send(bot, chat, amount_error(err), Some(cancel_keyboard())).await?;
        return Ok(());
    }
    ask_vpa(bot, chat, dialogue, amount, screen.last_vpa.as_deref()).await
}

/// The "withdraw all" button.
pub async fn amount_chosen(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    paise: i64,
    store: Arc<DbDialogueStore>,
) -> HandlerResult {
    let Some(screen) = withdrawals::screen(&ctx.db, chat.0).await? else { return Ok(()) };
    let amount = Money::from_paise(paise);
    let dialogue = ChatDialogue::new(store, chat);
    if screen.open.is_some() || screen.blocked || rules::check_amount(amount, screen.min, screen.withdrawable).is_err()
    {
        // The button is older than what the wallet holds now: start over from today's amount.
        reply::send(bot, chat, t!("withdraw.changed"), None).await?;
        return start(bot, ctx, chat, None, &dialogue).await;
    }
    ask_vpa(bot, chat, &dialogue, amount, screen.last_vpa.as_deref()).await
}

fn amount_error(err: AmountError) -> String {
    match err {
        AmountError::BelowMinimum { min } => t!("withdraw.below_min", min = min),
        AmountError::AboveWithdrawable { withdrawable } => t!("withdraw.above_available", available = withdrawable),
    }
    .into_owned()
}

async fn ask_vpa(
    bot: &Tg,
    chat: ChatId,
    dialogue: &ChatDialogue,
    amount: Money,
    last_vpa: Option<&str>,
) -> HandlerResult {
    dialogue.update(State::WithdrawVpa { amount: amount.paise() }).await?;
    let mut rows = Vec::new();
    if let Some(vpa) = last_vpa {
        rows.push(vec![button(t!("withdraw.use_last", vpa = vpa), Action::WithdrawLastVpa)]);
    }
    rows.push(vec![button(t!("withdraw.cancel_button"), Action::Menu)]);
    reply::send(bot, chat, t!("withdraw.ask_vpa", amount = amount), Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// The typed UPI ID.
pub async fn vpa_step(bot: &Tg, msg: &Message, dialogue: &ChatDialogue, amount: i64) -> HandlerResult {
    let chat = msg.chat.id;
    let Some(vpa) = rules::normalise_vpa(msg.text().unwrap_or_default()) else {
        reply::send(bot, chat, t!("withdraw.bad_vpa"), Some(cancel_keyboard())).await?;
        return Ok(());
    };
    ask_confirm(bot, chat, dialogue, Money::from_paise(amount), vpa).await
}

/// The "use my last UPI ID" button.
pub async fn last_vpa_chosen(bot: &Tg, ctx: &Ctx, chat: ChatId, store: Arc<DbDialogueStore>) -> HandlerResult {
    let dialogue = ChatDialogue::new(store, chat);
    let state = dialogue.get().await?;
    let screen = withdrawals::screen(&ctx.db, chat.0).await?;
    match (state, screen.and_then(|s| s.last_vpa)) {
        (Some(State::WithdrawVpa { amount }), Some(vpa)) => {
            ask_confirm(bot, chat, &dialogue, Money::from_paise(amount), vpa).await
        }
        _ => {
            reply::send(bot, chat, t!("withdraw.expired"), Some(keyboards::main_menu("en"))).await?;
            Ok(())
        }
    }
}

async fn ask_confirm(bot: &Tg, chat: ChatId, dialogue: &ChatDialogue, amount: Money, vpa: String) -> HandlerResult {
    let text = t!("withdraw.confirm", amount = amount, vpa = reply::escape(&vpa));
    dialogue.update(State::WithdrawConfirm { amount: amount.paise(), vpa }).await?;
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("withdraw.confirm_button", amount = amount.to_string()), Action::WithdrawConfirm)],
        vec![button(t!("withdraw.cancel_button"), Action::Menu)],
    ]);
    reply::send(bot, chat, text, Some(keyboard)).await?;
    Ok(())
}

/// Confirm: the request is made (and the amount reserved) now.
pub async fn confirm(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    store: Arc<DbDialogueStore>,
) -> HandlerResult {
    let dialogue = ChatDialogue::new(store, chat);
    let Some(State::WithdrawConfirm { amount, vpa }) = dialogue.get().await? else {
        // A second tap on a screen already confirmed: leave the confirmation in place.
        let open = withdrawals::screen(&ctx.db, chat.0).await?.and_then(|s| s.open);
        let text = match open {
            Some(open) => open_request_text(&open),
            None => t!("withdraw.expired").into_owned(),
        };
        reply::send(bot, chat, text, Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let outcome = withdrawals::request(&ctx.db, chat.0, Money::from_paise(amount), &vpa, Utc::now()).await?;
    let back = Some(keyboards::main_menu("en"));
    match outcome {
        RequestOutcome::Requested { withdrawal, balance, .. } => {
            let text = t!(
                "withdraw.requested",
                amount = Money::from_paise(withdrawal.amount),
                vpa = reply::escape(&withdrawal.vpa),
                balance = balance
            );
            reply::edit_or_send(bot, chat, message, text, back).await?;
        }
        RequestOutcome::Blocked => {
            let text = t!("withdraw.blocked", support = customer::support_contact(ctx, "en"));
            reply::edit_or_send(bot, chat, message, text, back).await?;
        }
        RequestOutcome::OpenRequest(open) => {
            reply::edit_or_send(bot, chat, message, open_request_text(&open), back).await?;
        }
        RequestOutcome::Amount(_) => {
            // Spent or withdrawn meanwhile: start over from the new amount.
            reply::edit_or_send(bot, chat, message, t!("withdraw.changed"), None).await?;
            start(bot, ctx, chat, None, &dialogue).await?;
        }
        RequestOutcome::BadVpa | RequestOutcome::UnknownUser => {
            reply::edit_or_send(bot, chat, message, t!("withdraw.expired"), back).await?;
        }
    }
    Ok(())
}

fn admin_buttons(withdrawal: &withdrawal_row::Model) -> Vec<InlineKeyboardButton> {
    match withdrawal.status {
        WithdrawalStatus::Pending => notices::withdrawal_buttons(withdrawal.id, false, "en"),
        WithdrawalStatus::Approved => notices::withdrawal_buttons(withdrawal.id, true, "en"),
        _ => Vec::new(),
    }
}

/// /withdrawals: what waits for an admin or a payout, oldest first.
pub async fn queue(bot: &Tg, ctx: &Ctx, chat: ChatId) -> HandlerResult {
    let open = withdrawals::queue(&ctx.db, &super::staff_actor(chat.0), QUEUE_LIMIT).await?;
    if open.is_empty() {
        reply::send(bot, chat, t!("withdrawals.empty"), None).await?;
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (w, user) in &open {
        let status = match w.status {
            WithdrawalStatus::Approved => t!("withdrawals.status_approved"),
            _ => t!("withdrawals.status_pending"),
        };
        lines.push(
            t!(
                "withdrawals.line",
                id = w.id,
                amount = Money::from_paise(w.amount),
                vpa = reply::escape(&w.vpa),
                user = user_label(user),
                date = customer::date_time(w.created_at),
                status = status
            )
            .into_owned(),
        );
        let mut row = admin_buttons(w);
        for b in &mut row {
            b.text = format!("#{} {}", w.id, b.text);
        }
        rows.push(row);
    }
    let text = reply::first_page(t!("withdrawals.title").into_owned(), lines, &t!("plans.more"));
    reply::send(bot, chat, text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub fn user_label(user: &crate::entities::user::Model) -> String {
    match &user.username {
        Some(username) => {
            t!("admin.user_with_username", username = reply::escape(username), id = user.telegram_id).into_owned()
        }
        None => t!("admin.user_without_username", name = reply::escape(&user.first_name), id = user.telegram_id)
            .into_owned(),
    }
}

/// A decision that did not happen, explained to the admin.
fn refused(id: i32, decision: &Decision) -> String {
    match decision {
        Decision::HeldByFlags(flags) => {
            let ids: Vec<i32> = flags.iter().map(|f| f.id).collect();
            t!("withdrawals.held_refused", id = id, flags = fraud::flag_ids(&ids))
        }
        Decision::UserBlocked => t!("withdrawals.user_blocked", id = id),
        Decision::AlreadyDecided(status) => {
            let status = match status {
                WithdrawalStatus::Pending => t!("withdrawals.status_pending"),
                WithdrawalStatus::Approved => t!("withdrawals.status_approved"),
                WithdrawalStatus::Paid => t!("withdrawals.status_paid"),
                WithdrawalStatus::Rejected => t!("withdrawals.status_rejected"),
                WithdrawalStatus::PayoutFailed => t!("withdrawals.status_payout_failed"),
            };
            t!("withdrawals.already", id = id, status = status)
        }
        Decision::NotApproved => t!("withdrawals.not_approved", id = id),
        Decision::BadUtr => t!("withdrawals.bad_utr"),
        Decision::UtrUsed => t!("withdrawals.utr_used"),
        _ => t!("withdrawals.unknown", id = id),
    }
    .into_owned()
}

pub async fn approve(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: &User, id: i32) -> HandlerResult {
    let decision = withdrawals::approve(&ctx.db, &super::staff_actor(admin.id.0 as i64), id, Utc::now()).await?;
    if !matches!(decision, Decision::Approved { .. }) {
        reply::send(bot, chat, refused(id, &decision), None).await?;
        return Ok(());
    }
    // The staff (this admin among them) get the approval with its payout buttons from the outbox.
    reply::send(bot, chat, t!("withdrawals.done", id = id), None).await?;
    Ok(())
}

/// Before asking an admin anything: is the request still where this button expects it?
async fn still_open(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    id: i32,
    expected: &[WithdrawalStatus],
) -> Result<bool, HandlerError> {
    let decision = match withdrawals::find(&ctx.db, id).await? {
        None => Decision::UnknownWithdrawal,
        Some((w, _)) if expected.contains(&w.status) => return Ok(true),
        Some((w, _)) if w.status == WithdrawalStatus::Pending => Decision::NotApproved,
        Some((w, _)) => Decision::AlreadyDecided(w.status),
    };
    reply::send(bot, chat, refused(id, &decision), None).await?;
    Ok(false)
}

/// Reject (a pending request) or Payout failed (an approved one): ask why. The state keeps
/// which of the two was pressed, so the answer cannot undo a request that moved on meanwhile.
pub async fn ask_reject_reason(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    id: i32,
    payout_failed: bool,
    store: Arc<DbDialogueStore>,
) -> HandlerResult {
    let (expected, question) = if payout_failed {
        (WithdrawalStatus::Approved, "withdrawals.ask_failure_reason")
    } else {
        (WithdrawalStatus::Pending, "withdrawals.ask_reason")
    };
    if !still_open(bot, ctx, chat, id, &[expected]).await? {
        return Ok(());
    }
    ChatDialogue::new(store, chat).update(State::WithdrawalRejectReason { withdrawal_id: id, payout_failed }).await?;
    reply::send(bot, chat, t!(question, id = id), None).await?;
    Ok(())
}

pub async fn reject_reason_step(
    bot: &Tg,
    ctx: &Ctx,
    msg: &Message,
    dialogue: &ChatDialogue,
    id: i32,
    payout_failed: bool,
) -> HandlerResult {
    let chat = msg.chat.id;
    let reason = msg.text().map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        reply::send(bot, chat, t!("withdrawals.reason_needed", max = MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    dialogue.exit().await?;
    let admin = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or_default();
    let decision = if payout_failed {
        withdrawals::payout_failed(&ctx.db, &super::staff_actor(admin), id, reason, Utc::now()).await?
    } else {
        withdrawals::reject(&ctx.db, &super::staff_actor(admin), id, reason, Utc::now()).await?
    };
    let Decision::Rejected { .. } = decision else {
        reply::send(bot, chat, refused(id, &decision), None).await?;
        return Ok(());
    };
    let admin_key = if payout_failed { "withdrawals.payout_failed_admin" } else { "withdrawals.rejected_admin" };
    reply::send(bot, chat, t!(admin_key, id = id), None).await?;
    Ok(())
}

pub async fn ask_payout_utr(bot: &Tg, ctx: &Ctx, chat: ChatId, id: i32, store: Arc<DbDialogueStore>) -> HandlerResult {
    if !still_open(bot, ctx, chat, id, &[WithdrawalStatus::Approved]).await? {
        return Ok(());
    }
    ChatDialogue::new(store, chat).update(State::WithdrawalPayoutUtr { withdrawal_id: id }).await?;
    reply::send(bot, chat, t!("withdrawals.ask_utr", id = id), None).await?;
    Ok(())
}

pub async fn payout_utr_step(bot: &Tg, ctx: &Ctx, msg: &Message, dialogue: &ChatDialogue, id: i32) -> HandlerResult {
    let chat = msg.chat.id;
    let admin = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or_default();
    let input = msg.text().unwrap_or_default();
    let decision = withdrawals::mark_paid(&ctx.db, &super::staff_actor(admin), id, input, Utc::now()).await?;
    let Decision::Paid { withdrawal, .. } = decision else {
        if !matches!(decision, Decision::BadUtr | Decision::UtrUsed) {
            dialogue.exit().await?;
        }
        reply::send(bot, chat, refused(id, &decision), None).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let utr = withdrawal.payout_utr.clone().unwrap_or_default();
    reply::send(bot, chat, t!("withdrawals.paid_admin", id = id, utr = reply::escape(&utr)), None).await?;
    Ok(())
}
