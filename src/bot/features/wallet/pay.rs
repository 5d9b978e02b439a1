//! Starting a payment: for a top-up, or towards a pending order (the difference or the full
//! price), by UPI, Razorpay or Telegram Stars.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::bot::ui::{self, format, keyboards, Method, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::{gateway, Money};
use crate::services::payments::Purpose;
use crate::services::{purchase, razorpay, Actor};

pub async fn top_up(reply: &Reply, ctx: &Ctx, actor: &Actor, amount: Money, method: Method) -> HandlerResult {
    let lang = reply.lang;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if amount < min || amount > max {
        reply.send(t!("topup.out_of_bounds", locale = lang, min = min, max = max), None).await?;
        return Ok(());
    }
    let description = t!("pay.topup_description", locale = lang, amount = amount);
    let after = t!("pay.after_topup", locale = lang).into_owned();
    start(reply, ctx, actor, Purpose::TopUp { amount }, method, &description, after).await
}

pub async fn order(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    order_id: i32,
    method: Method,
    full: bool,
) -> HandlerResult {
    let lang = reply.lang;
    let Ok(checkout) = purchase::pending_checkout(&ctx.db, actor.telegram_id, order_id, Utc::now()).await else {
        reply.edit_or_send(t!("checkout.already_closed", locale = lang), Some(keyboards::back_to_menu(lang))).await?;
        return Ok(());
    };
    let amount = if full { checkout.price } else { gateway::amount_for(checkout.shortfall()) };
    let description = t!("pay.purchase_description", locale = lang, name = checkout.plan.name.clone());
    let purpose = Purpose::Purchase { order_id, amount };
    if method == Method::Stars {
        return super::stars::send_invoice(reply, ctx, actor, purpose, &description).await;
    }
    let after = t!("pay.after_purchase", locale = lang, name = ui::escape(&checkout.plan.name)).into_owned();
    start(reply, ctx, actor, purpose, method, &description, after).await
}

async fn start(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    purpose: Purpose,
    method: Method,
    description: &str,
    after: String,
) -> HandlerResult {
    let lang = reply.lang;
    let unavailable = || t!("pay.unavailable", locale = lang);
    match method {
        Method::Upi => super::upi::start(reply, ctx, actor, purpose).await,
        // Stars pay for plans only, through an invoice (see `order`).
        Method::Stars => {
            reply.send(unavailable(), Some(keyboards::main_menu(lang))).await?;
            Ok(())
        }
        Method::Razorpay => {
            let Some(client) = ctx.razorpay.as_ref() else {
                reply.send(unavailable(), Some(keyboards::main_menu(lang))).await?;
                return Ok(());
            };
            let valid_for =
                chrono::Duration::from_std(ctx.config.payments.link_expiry).unwrap_or(chrono::Duration::minutes(30));
            let started = razorpay::start_payment(
                &ctx.db,
                client,
                actor.telegram_id,
                purpose,
                valid_for,
                description,
                Utc::now(),
            )
            .await;
            let started = match started {
                Ok(started) => started,
                Err(err) => {
                    log::error!("Razorpay payment for {} failed: {err}", actor.telegram_id);
                    reply.send(t!("pay.failed", locale = lang), Some(keyboards::main_menu(lang))).await?;
                    return Ok(());
                }
            };
            let amount = Money::from_paise(started.payment.amount);
            let text = t!(
                "pay.link",
                locale = lang,
                amount = amount,
                reference = ui::escape(&started.payment.reference),
                until = format::date_time(started.payment.expires_at, lang),
                after = after
            );
            let keyboard = match url::Url::parse(&started.url) {
                Ok(url) => InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
                    t!("pay.link_button", locale = lang, amount = amount),
                    url,
                )]]),
                Err(_) => keyboards::back_to_menu(lang),
            };
            reply.send(text, Some(keyboard)).await?;
            Ok(())
        }
    }
}
