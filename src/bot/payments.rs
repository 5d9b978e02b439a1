//! Paying with money from outside: wallet top-ups and paying the rest of a purchase.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::{Action, Method};
use super::dialogue::{ChatDialogue, State};
use super::keyboards::button;
use super::{customer, keyboards, reply, Ctx, HandlerResult, Tg};
use crate::domain::Money;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::payments::Purpose;
use crate::services::purchase::{self, Checkout};
use crate::services::razorpay;

/// Razorpay does not accept links below ₹1.
const MIN_GATEWAY_AMOUNT: Money = Money::from_rupees(1);
const PRESETS: [i64; 3] = [100, 200, 500];

/// The configured ways to pay for a plan: the top-up ones, and Stars.
pub fn order_methods(ctx: &Ctx) -> Vec<Method> {
    let mut methods = methods(ctx);
    if ctx.config.payments.stars_per_rupee.is_some() {
        methods.push(Method::Stars);
    }
    methods
}

/// The configured ways to top up the wallet, in display order.
pub fn methods(ctx: &Ctx) -> Vec<Method> {
    let mut methods = Vec::new();
    if ctx.config.payments.upi.is_some() {
        methods.push(Method::Upi);
    }
    if ctx.razorpay.is_some() {
        methods.push(Method::Razorpay);
    }
    methods
}

fn method_name(method: Method) -> std::borrow::Cow<'static, str> {
    match method {
        Method::Razorpay => t!("pay.razorpay_name"),
        Method::Upi => t!("pay.upi_name"),
        Method::Stars => t!("pay.stars_name"),
    }
}

pub async fn show_topup(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>) -> HandlerResult {
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if methods(ctx).is_empty() {
        let text = t!("topup.none", support = customer::support_contact(ctx, "en"), id = chat.0);
        reply::edit_or_send(bot, chat, message, text, Some(keyboards::back_to_menu())).await?;
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
        vec![button(t!("topup.custom_button"), Action::TopUpCustom)],
        vec![button(t!("menu.back"), Action::Menu)],
    ]);
    reply::edit_or_send(bot, chat, message, t!("topup.title", min = min, max = max), Some(keyboard)).await?;
    Ok(())
}

pub async fn ask_custom_amount(bot: &Tg, ctx: &Ctx, chat: ChatId, store: Arc<DbDialogueStore>) -> HandlerResult {
    ChatDialogue::new(store, chat).update(State::TopUpAmount).await?;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    reply::send(bot, chat, t!("topup.ask_amount", min = min, max = max), None).await?;
    Ok(())
}

/// The customer typed an amount while we were waiting for one.
pub async fn custom_amount_step(bot: &Tg, ctx: &Ctx, msg: &Message, dialogue: &ChatDialogue) -> HandlerResult {
    let chat = msg.chat.id;
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    let amount = msg.text().map(Money::parse_rupees);
    match amount {
        Some(Ok(amount)) if amount >= min && amount <= max => {
            dialogue.exit().await?;
            choose_method(bot, ctx, chat, None, amount).await
        }
        Some(Ok(_)) => {
            reply::send(bot, chat, t!("topup.out_of_bounds", min = min, max = max), None).await?;
            Ok(())
        }
        _ => {
            reply::send(bot, chat, t!("topup.not_an_amount", min = min, max = max), None).await?;
            Ok(())
        }
    }
}

pub async fn choose_method(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    amount: Money,
) -> HandlerResult {
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if amount < min || amount > max {
        reply::send(bot, chat, t!("topup.out_of_bounds", min = min, max = max), None).await?;
        return Ok(());
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = methods(ctx)
        .into_iter()
        .map(|method| vec![button(method_name(method), Action::PayTopUp { amount: amount.paise(), method })])
        .collect();
    rows.push(vec![button(t!("menu.back"), Action::Menu)]);
    let text = t!("topup.choose_method", amount = amount);
    reply::edit_or_send(bot, chat, message, text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn pay_topup(bot: &Tg, ctx: &Ctx, chat: ChatId, amount: Money, method: Method) -> HandlerResult {
    let (min, max) = (ctx.config.payments.min_topup, ctx.config.payments.max_topup);
    if amount < min || amount > max {
        reply::send(bot, chat, t!("topup.out_of_bounds", min = min, max = max), None).await?;
        return Ok(());
    }
    let description = t!("pay.topup_description", amount = amount);
    start(bot, ctx, chat, Purpose::TopUp { amount }, method, &description, t!("pay.after_topup").into_owned()).await
}

/// The buttons offered on a confirm screen the wallet does not cover.
pub fn order_buttons(ctx: &Ctx, checkout: &Checkout) -> Vec<Vec<InlineKeyboardButton>> {
    let difference = topped_up(checkout.shortfall());
    order_methods(ctx)
        .into_iter()
        .flat_map(|method| {
            let name = method_name(method);
            let mut rows = vec![vec![button(
                t!("checkout.pay_difference", amount = difference, method = name.clone()),
                Action::PayOrder { order: checkout.order_id, method, full: false },
            )]];
            if difference < checkout.price {
                rows.push(vec![button(
                    t!("checkout.pay_full", amount = checkout.price, method = name),
                    Action::PayOrder { order: checkout.order_id, method, full: true },
                )]);
            }
            rows
        })
        .collect()
}

/// A difference below the gateway minimum is rounded up to it; the rest stays in the wallet.
fn topped_up(shortfall: Money) -> Money {
    shortfall.max(MIN_GATEWAY_AMOUNT)
}

pub async fn pay_order(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    order_id: i32,
    method: Method,
    full: bool,
) -> HandlerResult {
    let checkout = match purchase::pending_checkout(&ctx.db, chat.0, order_id).await {
        Ok(checkout) => checkout,
        Err(_) => {
            reply::edit_or_send(bot, chat, message, t!("checkout.already_closed"), Some(keyboards::back_to_menu()))
                .await?;
            return Ok(());
        }
    };
    let amount = if full { checkout.price } else { topped_up(checkout.shortfall()) };
    let name = reply::escape(&checkout.plan.name);
    let description = t!("pay.purchase_description", name = checkout.plan.name.clone());
    let purpose = Purpose::Purchase { order_id, amount };
    if method == Method::Stars {
        return super::stars::send_invoice(bot, ctx, chat, purpose, &description).await;
    }
    let after = t!("pay.after_purchase", name = name).into_owned();
    start(bot, ctx, chat, purpose, method, &description, after).await
}

async fn start(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    purpose: Purpose,
    method: Method,
    description: &str,
    after: String,
) -> HandlerResult {
    let valid_for =
        chrono::Duration::from_std(ctx.config.payments.link_expiry).unwrap_or(chrono::Duration::minutes(30));
    match method {
        Method::Upi => super::upi::start(bot, ctx, chat, purpose).await?,
        // Stars pay for plans only, through an invoice (see `pay_order`).
        Method::Stars => {
            reply::send(bot, chat, t!("pay.unavailable"), Some(keyboards::main_menu("en"))).await.map(|_| ())?
        }
        Method::Razorpay => {
            let Some(client) = ctx.razorpay.as_ref() else {
                reply::send(bot, chat, t!("pay.unavailable"), Some(keyboards::main_menu("en"))).await?;
                return Ok(());
            };
            let started =
                razorpay::start_payment(&ctx.db, client, chat.0, purpose, valid_for, description, Utc::now()).await;
            let started = match started {
                Ok(started) => started,
                Err(err) => {
                    log::error!("Razorpay payment for {} failed: {err}", chat.0);
                    reply::send(bot, chat, t!("pay.failed"), Some(keyboards::main_menu("en"))).await?;
                    return Ok(());
                }
            };
            let amount = Money::from_paise(started.payment.amount);
            let text = t!(
                "pay.link",
                amount = amount,
                reference = reply::escape(&started.payment.reference),
                until = customer::date_time(started.payment.expires_at),
                after = after
            );
            let keyboard = match url::Url::parse(&started.url) {
                Ok(url) => InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
                    t!("pay.link_button", amount = amount),
                    url,
                )]]),
                Err(_) => keyboards::back_to_menu(),
            };
            reply::send(bot, chat, text, Some(keyboard)).await?;
        }
    }
    Ok(())
}
