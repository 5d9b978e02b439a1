//! Telegram Stars in chat: the invoice, the pre-checkout answer, the successful payment.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, PreCheckoutQuery};

use super::{keyboards, reply, Ctx, HandlerResult, Tg};
use crate::domain::stars::stars_for;
use crate::domain::Money;
use crate::services::payments::Purpose;
use crate::services::stars::{self, PreCheckout};

/// With a start parameter, a forwarded copy of the invoice shows a deep link to the bot (this
/// `/start` payload, a plain start: not `ref_…`) instead of a Pay button; the pre-checkout
/// refuses anyone but the customer anyway.
const INVOICE_START_PARAMETER: &str = "invoice";

/// Sends an XTR invoice for a purchase payment.
pub async fn send_invoice(bot: &Tg, ctx: &Ctx, chat: ChatId, purpose: Purpose, title: &str) -> HandlerResult {
    let Some(rate) = ctx.config.payments.stars_per_rupee else {
        reply::send(bot, chat, t!("pay.unavailable"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };
    let valid_for =
        chrono::Duration::from_std(ctx.config.payments.link_expiry).unwrap_or(chrono::Duration::minutes(30));
    let payment = stars::start(&ctx.db, chat.0, purpose, valid_for, Utc::now()).await?;
    let amount = Money::from_paise(payment.amount);
    let Some(count) = stars_for(amount, rate) else {
        reply::send(bot, chat, t!("pay.unavailable"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };
    // Telegram: title up to 32 characters, description up to 255.
    let title: String = title.chars().take(32).collect();
    let description = t!("stars.description", amount = amount, reference = &payment.reference);
    let price = LabeledPrice::new(t!("stars.label", amount = amount), count);
    bot.slot(chat).await;
    bot.send_invoice(chat, title, description, payment.reference.clone(), stars::CURRENCY, vec![price])
        .start_parameter(INVOICE_START_PARAMETER)
        .await?;
    Ok(())
}

pub async fn on_pre_checkout(bot: Bot, query: PreCheckoutQuery, ctx: Arc<Ctx>) -> HandlerResult {
    let bot = ctx.tg(bot);
    let verdict = match ctx.config.payments.stars_per_rupee {
        None => PreCheckout::Unknown,
        Some(rate) => {
            let payer = i64::try_from(query.from.id.0).unwrap_or_default();
            stars::check_pre_checkout(
                &ctx.db,
                &query.invoice_payload,
                payer,
                &query.currency,
                query.total_amount,
                rate,
                Utc::now(),
            )
            .await?
        }
    };
    let answer = bot.answer_pre_checkout_query(query.id.clone(), verdict == PreCheckout::Accept);
    match verdict {
        PreCheckout::Accept => answer.await?,
        PreCheckout::Expired => answer.error_message(t!("stars.expired")).await?,
        PreCheckout::NotTheCustomer => answer.error_message(t!("stars.not_yours")).await?,
        PreCheckout::Unknown | PreCheckout::WrongAmount => answer.error_message(t!("stars.unknown")).await?,
    };
    Ok(())
}

/// The `successful_payment` service message: credit once, complete the purchase, tell.
pub async fn on_successful_payment(ctx: &Ctx, msg: &Message) -> HandlerResult {
    let Some(paid) = msg.successful_payment() else { return Ok(()) };
    let charge = paid.telegram_payment_charge_id.0.as_str();
    match stars::complete(&ctx.db, &paid.invoice_payload, charge, Utc::now()).await {
        Ok(Some(_)) => {
            ctx.outbox_wake.notify_one();
            Ok(())
        }
        Ok(None) => {
            log::error!("Stars charge {charge} for unknown payload {}", paid.invoice_payload);
            Ok(())
        }
        Err(err) => {
            // Telegram does not send this update again: the staff are told, and the
            // reconciliation job (`jobs::reconcile_stars`) credits it from the transaction list.
            log::error!("Stars charge {charge} ({}) not recorded: {err}", paid.invoice_payload);
            let (reference, stars) = (&paid.invoice_payload, paid.total_amount);
            if let Err(alert_err) =
                stars::alert_unrecorded(&ctx.db, charge, reference, stars, msg.chat.id.0, Utc::now()).await
            {
                log::error!("Stars charge {charge}: admins not alerted either: {alert_err}");
            }
            Err(err.into())
        }
    }
}
