//! Direct UPI in chat: QR + "Open UPI app", "I've paid" with the UTR, and the admin's
//! Approve / Reject (with a reason).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::payloads::SendPhotoSetters;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode, User};

use super::callback::Action;
use super::dialogue::{ChatDialogue, State};
use super::keyboards::button;
use super::{customer, keyboards, reply, upi_qr, Ctx, HandlerResult, Tg};
use crate::domain::Money;
use crate::entities::upi_claim::ClaimStatus;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::payments::Purpose;
use crate::services::upi::{self, ClaimOutcome, Decision};

/// Sends the QR, the exact amount, our VPA and the buttons for a new UPI payment.
pub async fn start(bot: &Tg, ctx: &Ctx, chat: ChatId, purpose: Purpose) -> HandlerResult {
    let payments = &ctx.config.payments;
    let (Some(config), Some(public_url)) = (payments.upi.as_ref(), payments.public_url.as_ref()) else {
        reply::send(bot, chat, t!("pay.unavailable"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };
    let window = chrono::Duration::from_std(payments.upi_claim_window).unwrap_or(chrono::Duration::hours(24));
    let payment = upi::start(&ctx.db, chat.0, purpose, window, Utc::now()).await?;
    let link = upi::intent_link(config, &payment);
    let amount = Money::from_paise(payment.amount);
    let after = match purpose {
        Purpose::TopUp { .. } => t!("upi.after_topup"),
        Purpose::Purchase { .. } => t!("upi.after_purchase"),
    };
    let caption = t!(
        "upi.pay",
        amount = amount,
        vpa = reply::escape(&config.vpa),
        name = reply::escape(&config.payee_name),
        reference = reply::escape(&payment.reference),
        until = customer::date_time(payment.expires_at),
        after = after
    );
    let open = format!("{}/pay/upi/{}", public_url.as_str().trim_end_matches('/'), payment.reference);
    let mut rows = Vec::new();
    if let Ok(url) = url::Url::parse(&open) {
        rows.push(vec![InlineKeyboardButton::url(t!("upi.open_app"), url)]);
    }
    rows.push(vec![button(t!("upi.paid_button"), Action::UpiPaid(payment.id))]);
    let keyboard = InlineKeyboardMarkup::new(rows);
    match upi_qr::png(&link) {
        Ok(png) => {
            bot.slot(chat).await;
            bot.send_photo(chat, InputFile::memory(png).file_name("upi.png"))
                .caption(caption)
                .parse_mode(ParseMode::Html)
                .reply_markup(keyboard)
                .await?;
        }
        Err(err) => {
            log::warn!("QR for {} failed: {err}", payment.reference);
            reply::send(bot, chat, caption, Some(keyboard)).await?;
        }
    }
    Ok(())
}

pub async fn ask_utr(bot: &Tg, chat: ChatId, payment_id: i32, store: Arc<DbDialogueStore>) -> HandlerResult {
    ChatDialogue::new(store, chat).update(State::UpiUtr { payment_id }).await?;
    reply::send(bot, chat, t!("upi.ask_utr"), None).await?;
    Ok(())
}

/// The customer's answer: a UTR as text, or a screenshot with the UTR as its caption.
pub async fn utr_step(bot: &Tg, ctx: &Ctx, msg: &Message, dialogue: &ChatDialogue, payment_id: i32) -> HandlerResult {
    let chat = msg.chat.id;
    let input = msg.text().or(msg.caption()).unwrap_or_default();
    let screenshot = msg.photo().and_then(|sizes| sizes.last()).map(|p| p.file.id.to_string());
    let outcome = upi::claim(&ctx.db, chat.0, payment_id, input, screenshot.clone(), Utc::now()).await?;
    let text = match outcome {
        ClaimOutcome::BadUtr => t!("upi.bad_utr"),
        ClaimOutcome::UtrUsed => t!("upi.utr_used"),
        ClaimOutcome::OpenClaimExists => {
            dialogue.exit().await?;
            t!("upi.open_claim")
        }
        ClaimOutcome::PaymentNotOpen => {
            dialogue.exit().await?;
            t!("upi.not_open")
        }
        ClaimOutcome::Created { claim, payment, .. } => {
            dialogue.exit().await?;
            t!("upi.claimed", reference = reply::escape(&payment.reference), utr = reply::escape(&claim.utr))
        }
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

pub async fn approve(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: &User, claim_id: i32) -> HandlerResult {
    let admin_id = admin.id.0 as i64;
    match upi::approve(&ctx.db, &super::staff_actor(admin_id), claim_id, Utc::now()).await? {
        Decision::Approved { claim, .. } => {
            let by = customer::customer_label(admin);
            reply::send(
                bot,
                chat,
                t!("upi.approved_admin", id = claim.id, utr = reply::escape(&claim.utr), by = by),
                None,
            )
            .await?;
        }
        Decision::AlreadyDecided { status } => {
            let key = if status == ClaimStatus::Approved { "upi.already_approved" } else { "upi.already_rejected" };
            reply::send(bot, chat, t!(key, id = claim_id), None).await?;
        }
        Decision::Rejected { .. } | Decision::UnknownClaim => {
            reply::send(bot, chat, t!("upi.unknown_claim", id = claim_id), None).await?;
        }
    }
    Ok(())
}

pub async fn ask_reject_reason(bot: &Tg, chat: ChatId, claim_id: i32, store: Arc<DbDialogueStore>) -> HandlerResult {
    ChatDialogue::new(store, chat).update(State::UpiRejectReason { claim_id }).await?;
    reply::send(bot, chat, t!("upi.ask_reason", id = claim_id), None).await?;
    Ok(())
}

pub async fn reject_reason_step(
    bot: &Tg,
    ctx: &Ctx,
    msg: &Message,
    dialogue: &ChatDialogue,
    claim_id: i32,
) -> HandlerResult {
    let chat = msg.chat.id;
    let reason = msg.text().map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > super::admin::MAX_REASON_CHARS {
        reply::send(bot, chat, t!("upi.reason_needed"), None).await?;
        return Ok(());
    }
    dialogue.exit().await?;
    let admin = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or_default();
    match upi::reject(&ctx.db, &super::staff_actor(admin), claim_id, reason, Utc::now()).await? {
        Decision::Rejected { claim, .. } => {
            reply::send(bot, chat, t!("upi.rejected_admin", id = claim.id), None).await?;
        }
        Decision::AlreadyDecided { status } => {
            let key = if status == ClaimStatus::Approved { "upi.already_approved" } else { "upi.already_rejected" };
            reply::send(bot, chat, t!(key, id = claim_id), None).await?;
        }
        Decision::Approved { .. } | Decision::UnknownClaim => {
            reply::send(bot, chat, t!("upi.unknown_claim", id = claim_id), None).await?;
        }
    }
    Ok(())
}
