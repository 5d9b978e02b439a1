//! Direct UPI: the QR with the exact amount and our UPI ID, "Open UPI app", and "I've paid"
//! with the UTR (or a screenshot with the UTR as its caption) for an admin to confirm.
use chrono::Utc;
use rust_i18n::t;
use teloxide::payloads::SendPhotoSetters;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};

use super::{qr, Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, button, format, keyboards, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::Money;
use crate::services::payments::Purpose;
use crate::services::upi::{self, ClaimOutcome};
use crate::services::Actor;

/// Sends the QR, the exact amount, our UPI ID and the buttons for a new UPI payment.
pub async fn start(reply: &Reply, ctx: &Ctx, actor: &Actor, purpose: Purpose) -> HandlerResult {
    let lang = reply.lang;
    let payments = &ctx.config.payments;
    let (Some(config), Some(public_url)) = (payments.upi.as_ref(), payments.public_url.as_ref()) else {
        reply.send(t!("pay.unavailable", locale = lang), Some(keyboards::main_menu(lang))).await?;
        return Ok(());
    };
    let window = chrono::Duration::from_std(payments.upi_claim_window).unwrap_or(chrono::Duration::hours(24));
    let payment = upi::start(&ctx.db, actor.telegram_id, purpose, window, Utc::now()).await?;
    let link = upi::intent_link(config, &payment);
    let amount = Money::from_paise(payment.amount);
    let after = match purpose {
        Purpose::TopUp { .. } => t!("upi.after_topup", locale = lang),
        Purpose::Purchase { .. } => t!("upi.after_purchase", locale = lang),
    };
    let caption = t!(
        "upi.pay",
        locale = lang,
        amount = amount,
        vpa = ui::escape(&config.vpa),
        name = ui::escape(&config.payee_name),
        reference = ui::escape(&payment.reference),
        until = format::date_time(payment.expires_at, lang),
        after = after
    );
    let open = format!("{}/pay/upi/{}", public_url.as_str().trim_end_matches('/'), payment.reference);
    let mut rows = Vec::new();
    if let Ok(url) = url::Url::parse(&open) {
        rows.push(vec![InlineKeyboardButton::url(t!("upi.open_app", locale = lang), url)]);
    }
    rows.push(vec![button(t!("upi.paid_button", locale = lang), Action::UpiPaid(payment.id))]);
    let keyboard = InlineKeyboardMarkup::new(rows);
    match qr::png(&link) {
        Ok(png) => {
            reply.tg.slot(reply.chat).await;
            reply
                .tg
                .send_photo(reply.chat, InputFile::memory(png).file_name("upi.png"))
                .caption(caption)
                .parse_mode(ParseMode::Html)
                .reply_markup(keyboard)
                .await?;
        }
        Err(err) => {
            log::warn!("QR for {} failed: {err}", payment.reference);
            reply.send(caption, Some(keyboard)).await?;
        }
    }
    Ok(())
}

pub async fn ask_utr(reply: &Reply, dialogue: &ChatDialogue, payment_id: i32) -> HandlerResult {
    dialogue.update(Step::UpiUtr { payment_id }).await?;
    reply.send(t!("upi.ask_utr", locale = reply.lang), None).await?;
    Ok(())
}

/// The customer's answer: a UTR as text, or a screenshot with the UTR as its caption.
pub async fn utr_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    msg: &Message,
    payment_id: i32,
) -> HandlerResult {
    let lang = reply.lang;
    let input = msg.text().or(msg.caption()).unwrap_or_default();
    let screenshot = msg.photo().and_then(|sizes| sizes.last()).map(|p| p.file.id.to_string());
    let outcome = upi::claim(&ctx.db, actor.telegram_id, payment_id, input, screenshot, Utc::now()).await?;
    let text = match outcome {
        ClaimOutcome::BadUtr => t!("upi.bad_utr", locale = lang),
        ClaimOutcome::UtrUsed => t!("upi.utr_used", locale = lang),
        ClaimOutcome::OpenClaimExists => {
            dialogue.exit().await?;
            t!("upi.open_claim", locale = lang)
        }
        ClaimOutcome::PaymentNotOpen => {
            dialogue.exit().await?;
            t!("upi.not_open", locale = lang)
        }
        ClaimOutcome::Created { claim, payment, .. } => {
            dialogue.exit().await?;
            t!("upi.claimed", locale = lang, reference = ui::escape(&payment.reference), utr = ui::escape(&claim.utr))
        }
    };
    reply.send(text, None).await?;
    Ok(())
}
