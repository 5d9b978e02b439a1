//! Telegram Stars: the XTR invoice for a purchase, the pre-checkout answer, and the
//! `successful_payment` message (in any chat: Telegram may deliver it outside our private one).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, PreCheckoutQuery};

use crate::bot::ui::{keyboards, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::stars::stars_for;
use crate::domain::{Lang, Money};
use crate::services::payments::Purpose;
use crate::services::stars::{self, PreCheckout};
use crate::services::{users, Actor};

/// With a start parameter, a forwarded copy of the invoice shows a deep link to the bot (this
/// `/start` payload, a plain start: not `ref_…`) instead of a Pay button; the pre-checkout
/// refuses anyone but the customer anyway.
const INVOICE_START_PARAMETER: &str = "invoice";

/// Sends an XTR invoice for a purchase payment.
pub async fn send_invoice(reply: &Reply, ctx: &Ctx, actor: &Actor, purpose: Purpose, title: &str) -> HandlerResult {
    let lang = reply.lang;
    let unavailable = || t!("pay.unavailable", locale = lang);
    let Some(rate) = ctx.config.payments.stars_per_rupee else {
        reply.send(unavailable(), Some(keyboards::main_menu(lang))).await?;
        return Ok(());
    };
    let valid_for =
        chrono::Duration::from_std(ctx.config.payments.link_expiry).unwrap_or(chrono::Duration::minutes(30));
    let payment = stars::start(&ctx.db, actor.telegram_id, purpose, valid_for, Utc::now()).await?;
    let amount = Money::from_paise(payment.amount);
    let Some(count) = stars_for(amount, rate) else {
        reply.send(unavailable(), Some(keyboards::main_menu(lang))).await?;
        return Ok(());
    };
    // Telegram: title up to 32 characters, description up to 255.
    let title: String = title.chars().take(32).collect();
    let description = t!("stars.description", locale = lang, amount = amount, reference = &payment.reference);
    let price = LabeledPrice::new(t!("stars.label", locale = lang, amount = amount), count);
    reply.tg.slot(reply.chat).await;
    reply
        .tg
        .send_invoice(reply.chat, title, description, payment.reference.clone(), stars::CURRENCY, vec![price])
        .start_parameter(INVOICE_START_PARAMETER)
        .await?;
    Ok(())
}

/// Telegram asks before charging; answered at once, before anything else.
pub fn pre_checkout() -> UpdateHandler<HandlerError> {
    Update::filter_pre_checkout_query().endpoint(answer_pre_checkout)
}

async fn answer_pre_checkout(bot: Bot, query: PreCheckoutQuery, ctx: Arc<Ctx>) -> HandlerResult {
    let tg = ctx.tg(bot);
    let payer = i64::try_from(query.from.id.0).unwrap_or_default();
    let verdict = match ctx.config.payments.stars_per_rupee {
        None => PreCheckout::Unknown,
        Some(rate) => {
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
    let lang = language_of(&ctx, payer, query.from.language_code.as_deref()).await;
    let answer = tg.answer_pre_checkout_query(query.id.clone(), verdict == PreCheckout::Accept);
    match verdict {
        PreCheckout::Accept => answer.await?,
        PreCheckout::Expired => answer.error_message(t!("stars.expired", locale = lang)).await?,
        PreCheckout::NotTheCustomer => answer.error_message(t!("stars.not_yours", locale = lang)).await?,
        PreCheckout::Unknown | PreCheckout::WrongAmount => {
            answer.error_message(t!("stars.unknown", locale = lang)).await?
        }
    };
    Ok(())
}

/// The payer's stored language, or their app's when we cannot read it.
async fn language_of(ctx: &Ctx, telegram_id: i64, app: Option<&str>) -> &'static str {
    match users::find_by_telegram_id(&ctx.db, telegram_id).await {
        Ok(Some(user)) => Lang::from_code(&user.language).code(),
        _ => Lang::from_telegram(app).code(),
    }
}

/// `successful_payment`, in whatever chat it arrives.
pub fn successful_payment() -> UpdateHandler<HandlerError> {
    Update::filter_message().filter(|msg: Message| msg.successful_payment().is_some()).endpoint(paid)
}

/// Credit once, complete the purchase; the customer hears of it through the outbox.
async fn paid(msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let Some(paid) = msg.successful_payment() else { return Ok(()) };
    let charge = paid.telegram_payment_charge_id.0.as_str();
    let result = stars::complete(&ctx.db, &paid.invoice_payload, charge, Utc::now()).await;
    ctx.outbox_wake.notify_one();
    match result {
        Ok(Some(_)) => {
            crate::metrics::payment("stars", "credited");
            Ok(())
        }
        Ok(None) => {
            crate::metrics::payment("stars", "unknown_payload");
            log::error!("Stars charge {charge} for unknown payload {}", paid.invoice_payload);
            Ok(())
        }
        Err(err) => {
            crate::metrics::payment("stars", "not_recorded");
            // Telegram does not send this update again: the staff are told, and the
            // reconciliation job (`jobs::reconcile_stars`) credits it from the transaction list.
            log::error!("Stars charge {charge} ({}) not recorded: {err}", paid.invoice_payload);
            let (reference, stars) = (&paid.invoice_payload, paid.total_amount);
            if let Err(alert_err) =
                stars::alert_unrecorded(&ctx.db, charge, reference, stars, msg.chat.id.0, Utc::now()).await
            {
                log::error!("Stars charge {charge}: admins not alerted either: {alert_err}");
            }
            ctx.outbox_wake.notify_one();
            Err(err.into())
        }
    }
}
