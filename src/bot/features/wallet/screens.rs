//! The wallet screen and choosing a top-up: a preset or a typed amount, then the method.
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{button, format, keyboards, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::Money;
use crate::entities::ledger_entry::LedgerKind;
use crate::services::{wallet, Actor};

const PRESETS: [i64; 3] = [100, 200, 500];
/// Ledger rows on the wallet screen.
const RECENT: u64 = 10;

pub async fn wallet(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let Some(overview) = wallet::overview(&ctx.db, actor.telegram_id, RECENT).await? else { return Ok(()) };
    let mut text = t!("wallet.title", locale = lang, balance = overview.balance, id = actor.telegram_id).into_owned();
    if overview.recent.is_empty() {
        text.push_str(&t!("wallet.history_empty", locale = lang));
    } else {
        text.push_str(&t!("wallet.history_title", locale = lang));
        for entry in &overview.recent {
            let amount = Money::from_paise(entry.amount);
            let amount = if entry.amount > 0 {
                t!("wallet.credit_amount", locale = lang, amount = amount)
            } else {
                amount.to_string().into()
            };
            let kind = match entry.kind {
                LedgerKind::Purchase => t!("wallet.kind_purchase", locale = lang),
                LedgerKind::AdminCredit => t!("wallet.kind_admin_credit", locale = lang),
                LedgerKind::AdminDebit => t!("wallet.kind_admin_debit", locale = lang),
                LedgerKind::Payment => t!("wallet.kind_payment", locale = lang),
                LedgerKind::Refund => t!("wallet.kind_refund", locale = lang),
                LedgerKind::Commission => t!("wallet.kind_commission", locale = lang),
                LedgerKind::CommissionReversal => t!("wallet.kind_commission_reversal", locale = lang),
                LedgerKind::Withdrawal => t!("wallet.kind_withdrawal", locale = lang),
                LedgerKind::WithdrawalRelease => t!("wallet.kind_withdrawal_release", locale = lang),
            };
            let date = format::date(entry.created_at, lang);
            text.push_str(&t!("wallet.entry", locale = lang, date = date, amount = amount, kind = kind));
        }
    }
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("wallet.topup_button", locale = lang), Goto::TopUp)],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}

pub async fn top_up(reply: &Reply, ctx: &Ctx) -> HandlerResult {
    let lang = reply.lang;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if ctx.topup_methods().is_empty() {
        let text = t!("topup.none", locale = lang, support = format::support_contact(ctx, lang), id = reply.chat.0);
        reply.edit_or_send(text, Some(keyboards::back_to_menu(lang))).await?;
        return Ok(());
    }
    let presets: Vec<InlineKeyboardButton> = PRESETS
        .iter()
        .map(|r| Money::from_rupees(*r))
        .filter(|m| *m >= min && *m <= max)
        .map(|m| button(m.to_string(), Action::TopUpAmount(m.paise())))
        .collect();
    let keyboard = InlineKeyboardMarkup::new(vec![
        presets,
        vec![button(t!("topup.custom_button", locale = lang), Action::TopUpCustom)],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(t!("topup.title", locale = lang, min = min, max = max), Some(keyboard)).await?;
    Ok(())
}

pub async fn ask_amount(reply: &Reply, ctx: &Ctx, dialogue: &ChatDialogue) -> HandlerResult {
    dialogue.update(Step::TopUpAmount).await?;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    reply.send(t!("topup.ask_amount", locale = reply.lang, min = min, max = max), None).await?;
    Ok(())
}

/// The customer typed an amount while we were waiting for one.
pub async fn amount_typed(reply: &Reply, ctx: &Ctx, dialogue: &ChatDialogue, msg: &Message) -> HandlerResult {
    let lang = reply.lang;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    match msg.text().map(Money::parse_rupees) {
        Some(Ok(amount)) if amount >= min && amount <= max => {
            dialogue.exit().await?;
            choose_method(&reply.to_chat(reply.chat), ctx, amount).await
        }
        Some(Ok(_)) => {
            reply.send(t!("topup.out_of_bounds", locale = lang, min = min, max = max), None).await?;
            Ok(())
        }
        _ => {
            reply.send(t!("topup.not_an_amount", locale = lang, min = min, max = max), None).await?;
            Ok(())
        }
    }
}

pub async fn choose_method(reply: &Reply, ctx: &Ctx, amount: Money) -> HandlerResult {
    let lang = reply.lang;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if amount < min || amount > max {
        reply.send(t!("topup.out_of_bounds", locale = lang, min = min, max = max), None).await?;
        return Ok(());
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = ctx
        .topup_methods()
        .into_iter()
        .map(|method| {
            vec![button(format::method_name(method, lang), Action::PayTopUp { amount: amount.paise(), method })]
        })
        .collect();
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    let text = t!("topup.choose_method", locale = lang, amount = amount);
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}
