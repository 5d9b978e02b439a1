//! Buying: the confirm screen (or what is missing, with ways to pay it), Confirm and Cancel.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::Action;
use crate::bot::ui::{self, button, format, keyboards, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::gateway;
use crate::services::purchase::{self, CancelOutcome, Checkout, Delivery, PurchaseError, WhenShort};
use crate::services::{renewals, Actor};

/// The order is opened even when the wallet does not cover it: a payment can carry it, and
/// without payment methods a code may still bring the price within the balance.
const WHEN_SHORT: WhenShort = WhenShort::OpenForPayment;

pub async fn open(reply: &Reply, ctx: &Ctx, actor: &Actor, plan_id: i32) -> HandlerResult {
    match purchase::open_checkout(&ctx.db, actor.telegram_id, plan_id, WHEN_SHORT, Utc::now()).await {
        Ok(checkout) => present(reply, ctx, &checkout).await,
        Err(err) => failed(reply, ctx, actor, err).await,
    }
}

/// Renew: the same confirm screen and ways to pay, for the subscription's next period.
pub async fn renew(reply: &Reply, ctx: &Ctx, actor: &Actor, subscription_id: i32) -> HandlerResult {
    match renewals::open(&ctx.db, actor.telegram_id, subscription_id, WHEN_SHORT, Utc::now()).await {
        Ok(checkout) => present(reply, ctx, &checkout).await,
        Err(err) => failed(reply, ctx, actor, err).await,
    }
}

/// The pending order's confirm screen again (after a code, or from a link).
pub async fn review(reply: &Reply, ctx: &Ctx, actor: &Actor, order_id: i32) -> HandlerResult {
    match purchase::pending_checkout(&ctx.db, actor.telegram_id, order_id, Utc::now()).await {
        Ok(checkout) => present(reply, ctx, &checkout).await,
        Err(err) => failed(reply, ctx, actor, err).await,
    }
}

/// What comes off the price, under the figures; empty without a discount.
fn discount_note(checkout: &Checkout, lang: &str) -> String {
    let Some(discount) = &checkout.discount else { return String::new() };
    let text = match &discount.code {
        Some(code) => t!(
            "promo.applied_line",
            locale = lang,
            code = ui::escape(code),
            amount = discount.amount,
            list = discount.list_price
        ),
        None => t!("promo.referee_line", locale = lang, amount = discount.amount, list = discount.list_price),
    };
    format!("\n\n{text}")
}

/// Have a code? / Remove the code.
fn code_row(checkout: &Checkout, lang: &str) -> Vec<InlineKeyboardButton> {
    match checkout.discount.as_ref().and_then(|d| d.code.as_ref()) {
        Some(code) => {
            vec![button(t!("promo.remove_button", locale = lang, code = code), Action::RemoveCode(checkout.order_id))]
        }
        None => vec![button(t!("promo.have_code_button", locale = lang), Action::EnterCode(checkout.order_id))],
    }
}

/// The confirm screen, or (the wallet does not cover it) what is missing and ways to pay it.
pub async fn present(reply: &Reply, ctx: &Ctx, checkout: &Checkout) -> HandlerResult {
    let lang = reply.lang;
    let name = ui::escape(&checkout.plan.name);
    // What a renewal buys, above the figures.
    let period = match &checkout.renewal {
        Some(terms) => t!(
            "checkout.renewal_period",
            locale = lang,
            starts = format::date(terms.starts_at, lang),
            ends = format::date(terms.ends_at, lang)
        )
        .into_owned(),
        None => String::new(),
    };
    let Some(after) = checkout.balance_after() else {
        if ctx.order_methods().is_empty() {
            return short_without_methods(reply, ctx, checkout).await;
        }
        let text = t!(
            "checkout.short",
            locale = lang,
            name = name,
            days = checkout.plan.duration_days,
            price = checkout.price,
            balance = checkout.balance,
            missing = checkout.shortfall()
        );
        let text = if period.is_empty() { text.into_owned() } else { format!("{period}\n\n{text}") };
        let text = format!("{text}{}{}", discount_note(checkout, lang), gift_note(ctx, checkout, lang).await?);
        let mut rows = pay_buttons(ctx, checkout, lang);
        rows.push(code_row(checkout, lang));
        rows.extend(gift_row(checkout, lang));
        rows.push(cancel_row(checkout.order_id, lang));
        reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
        return Ok(());
    };
    let key = if checkout.renewal.is_some() { "checkout.renew_confirm" } else { "checkout.confirm" };
    let text = t!(
        key,
        locale = lang,
        name = name,
        days = checkout.plan.duration_days,
        price = checkout.price,
        balance = checkout.balance,
        after = after,
        period = period
    );
    let text = format!("{text}{}{}", discount_note(checkout, lang), gift_note(ctx, checkout, lang).await?);
    let confirm = t!("checkout.confirm_button", locale = lang, price = checkout.price.to_string());
    let mut rows = vec![vec![button(confirm, Action::Confirm(checkout.order_id))], code_row(checkout, lang)];
    rows.extend(gift_row(checkout, lang));
    rows.push(cancel_row(checkout.order_id, lang));
    let keyboard = InlineKeyboardMarkup::new(rows);
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}

async fn gift_note(ctx: &Ctx, checkout: &Checkout, lang: &str) -> Result<String, sea_orm::DbErr> {
    if checkout.gift {
        super::gift::note(ctx, lang).await
    } else {
        Ok(String::new())
    }
}

/// Only a new purchase can be a gift.
fn gift_row(checkout: &Checkout, lang: &str) -> Option<Vec<InlineKeyboardButton>> {
    checkout.renewal.is_none().then(|| super::gift::toggle_row(checkout.order_id, checkout.gift, lang))
}

/// The wallet does not cover it and the shop takes no online payments: what is missing and
/// whom to ask, with the code and gift buttons still there.
async fn short_without_methods(reply: &Reply, ctx: &Ctx, checkout: &Checkout) -> HandlerResult {
    let lang = reply.lang;
    let text = t!(
        "checkout.insufficient",
        locale = lang,
        name = ui::escape(&checkout.plan.name),
        price = checkout.price,
        balance = checkout.balance,
        missing = checkout.shortfall(),
        support = format::support_contact(ctx, lang),
        id = reply.chat.0
    );
    let text = format!("{text}{}{}", discount_note(checkout, lang), gift_note(ctx, checkout, lang).await?);
    let mut rows = vec![code_row(checkout, lang)];
    rows.extend(gift_row(checkout, lang));
    rows.push(cancel_row(checkout.order_id, lang));
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

fn cancel_row(order_id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![button(t!("checkout.cancel_button", locale = lang), Action::Cancel(order_id))]
}

/// For a confirm screen the wallet does not cover: pay the difference, or the full price,
/// with each configured method.
fn pay_buttons(ctx: &Ctx, checkout: &Checkout, lang: &str) -> Vec<Vec<InlineKeyboardButton>> {
    let difference = gateway::amount_for(checkout.shortfall());
    ctx.order_methods()
        .into_iter()
        .flat_map(|method| {
            let name = format::method_name(method, lang);
            let mut rows = vec![vec![button(
                t!("checkout.pay_difference", locale = lang, amount = difference, method = name.clone()),
                Goto::PayOrder { order: checkout.order_id, method, full: false },
            )]];
            if difference < checkout.price {
                rows.push(vec![button(
                    t!("checkout.pay_full", locale = lang, amount = checkout.price, method = name),
                    Goto::PayOrder { order: checkout.order_id, method, full: true },
                )]);
            }
            rows
        })
        .collect()
}

pub async fn confirm(reply: &Reply, ctx: &Ctx, actor: &Actor, order_id: i32) -> HandlerResult {
    let lang = reply.lang;
    match purchase::confirm(&ctx.db, actor.telegram_id, order_id, Utc::now()).await {
        Ok(delivery) => {
            let key = if delivery.gift.is_some() { "gift.paid_edit" } else { "checkout.paid_edit" };
            let paid = t!(key, locale = lang, price = delivery.price, name = ui::escape(&delivery.plan_name));
            reply.edit_or_send(paid, None).await?;
            deliver(reply, ctx, &delivery).await
        }
        Err(PurchaseError::AlreadyPaid(delivery)) => {
            let key = if delivery.gift.is_some() { "gift.already_paid" } else { "checkout.already_paid" };
            reply.send(t!(key, locale = lang), None).await?;
            deliver(reply, ctx, &delivery).await
        }
        Err(PurchaseError::DiscountGone(refusal)) => {
            // Nothing was charged; the order is back at its price without the code.
            let why = super::promo::refusal_text(refusal, lang);
            reply.send(t!("promo.gone_at_payment", locale = lang, why = why), None).await?;
            review(&reply.to_chat(reply.chat), ctx, actor, order_id).await
        }
        Err(err) => failed(reply, ctx, actor, err).await,
    }
}

async fn deliver(reply: &Reply, ctx: &Ctx, delivery: &Delivery) -> HandlerResult {
    let lang = reply.lang;
    if let Some(gift) = &delivery.gift {
        let (text, keyboard) = super::gift::ready(&delivery.plan_name, gift, delivery.balance, lang, &ctx.bot_username);
        reply.send(text, Some(keyboard)).await?;
        return Ok(());
    }
    let (name, credential) = (ui::escape(&delivery.plan_name), ui::escape(&delivery.credential));
    let (ends, balance) = (format::date(delivery.ends_at, lang), delivery.balance);
    let text = match &delivery.renewal {
        None => t!(
            "checkout.delivered",
            locale = lang,
            name = name,
            credential = credential,
            ends = ends,
            balance = balance
        ),
        Some(renewed) => {
            let key = if renewed.new_login { "renewals.renewed_new_login" } else { "renewals.renewed" };
            t!(
                key,
                locale = lang,
                name = name,
                credential = credential,
                starts = format::date(renewed.starts_at, lang),
                ends = ends,
                balance = balance
            )
        }
    };
    reply.send(text, Some(keyboards::main_menu(lang))).await?;
    Ok(())
}

pub async fn cancel(reply: &Reply, ctx: &Ctx, actor: &Actor, order_id: i32) -> HandlerResult {
    let key = match purchase::cancel_checkout(&ctx.db, actor.telegram_id, order_id, Utc::now()).await? {
        CancelOutcome::Cancelled => "checkout.cancelled",
        CancelOutcome::AlreadyPaid => "checkout.cancel_too_late",
        CancelOutcome::NotOpen => "checkout.already_closed",
    };
    reply.edit_or_send(t!(key, locale = reply.lang), Some(keyboards::back_to_menu(reply.lang))).await?;
    Ok(())
}

async fn failed(reply: &Reply, ctx: &Ctx, actor: &Actor, err: PurchaseError) -> HandlerResult {
    let lang = reply.lang;
    let text = match err {
        PurchaseError::SoldOut { plan_name, .. } => {
            t!("checkout.sold_out", locale = lang, name = ui::escape(&plan_name))
        }
        PurchaseError::InsufficientBalance { balance, price, missing, plan_name } => t!(
            "checkout.insufficient",
            locale = lang,
            name = ui::escape(&plan_name),
            price = price,
            balance = balance,
            missing = missing,
            support = format::support_contact(ctx, lang),
            id = actor.telegram_id
        ),
        PurchaseError::PlanUnavailable => {
            reply.send(t!("plans.unavailable", locale = lang), None).await?;
            return super::plans::list(&reply.to_chat(reply.chat), ctx, actor, true).await;
        }
        PurchaseError::SubscriptionClosed => t!("renewals.closed", locale = lang),
        PurchaseError::DiscountGone(refusal) => {
            t!("promo.gone_at_payment", locale = lang, why = super::promo::refusal_text(refusal, lang))
        }
        PurchaseError::OrderNotFound | PurchaseError::OrderClosed | PurchaseError::UnknownUser => {
            t!("checkout.already_closed", locale = lang)
        }
        PurchaseError::AlreadyPaid(_) => t!("checkout.already_paid", locale = lang),
        PurchaseError::Db(err) => {
            log::error!("purchase failed: {err}");
            t!("checkout.processing_failed", locale = lang)
        }
    };
    reply.edit_or_send(text, Some(keyboards::back_to_menu(lang))).await?;
    Ok(())
}
