//! "Have a code?" on the confirm screen: the code typed, its discount shown with the new
//! price, or the reason it does not apply; Remove the code.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{checkout, Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{button, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::promo::Refusal;
use crate::services::promos::{self, ApplyOutcome};
use crate::services::Actor;

pub fn refusal_text(refusal: Refusal, lang: &str) -> String {
    let key = match refusal {
        Refusal::Unknown => "promo.unknown",
        Refusal::Disabled => "promo.disabled",
        Refusal::NotYet => "promo.not_yet",
        Refusal::Expired => "promo.expired",
        Refusal::UsedUp => "promo.used_up",
        Refusal::UsedByYou => "promo.used_by_you",
        Refusal::NotForPlan => "promo.not_for_plan",
        Refusal::FirstPurchaseOnly => "promo.first_purchase_only",
        Refusal::BelowMinimum => "promo.below_minimum",
        Refusal::NotBetter => "promo.not_better",
    };
    t!(key, locale = lang).into_owned()
}

pub async fn ask(reply: &Reply, dialogue: &ChatDialogue, order_id: i32) -> HandlerResult {
    let lang = reply.lang;
    dialogue.update(Step::PromoCode { order_id }).await?;
    let keyboard =
        InlineKeyboardMarkup::new(vec![vec![button(t!("promo.back_button", locale = lang), Action::Review(order_id))]]);
    reply.edit_or_send(t!("promo.ask", locale = lang), Some(keyboard)).await?;
    Ok(())
}

pub async fn typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    order_id: i32,
    input: &str,
) -> HandlerResult {
    let lang = reply.lang;
    match promos::apply(&ctx.db, actor.telegram_id, order_id, input, Utc::now()).await {
        Ok(ApplyOutcome::Applied { checkout, code }) => {
            dialogue.exit().await?;
            let saved = checkout.discount.as_ref().map(|d| d.amount).unwrap_or_default();
            reply.send(t!("promo.applied", locale = lang, code = code, amount = saved), None).await?;
            checkout::present(reply, ctx, &checkout).await
        }
        Ok(ApplyOutcome::Refused(refusal)) => {
            let keyboard = InlineKeyboardMarkup::new(vec![vec![button(
                t!("promo.back_button", locale = lang),
                Action::Review(order_id),
            )]]);
            let text = t!("promo.refused", locale = lang, why = refusal_text(refusal, lang));
            reply.send(text, Some(keyboard)).await?;
            Ok(())
        }
        Err(_) => {
            dialogue.exit().await?;
            checkout::review(reply, ctx, actor, order_id).await
        }
    }
}

pub async fn remove(reply: &Reply, ctx: &Ctx, actor: &Actor, order_id: i32) -> HandlerResult {
    match promos::remove(&ctx.db, actor.telegram_id, order_id, Utc::now()).await {
        Ok(checkout) => checkout::present(reply, ctx, &checkout).await,
        Err(_) => checkout::review(reply, ctx, actor, order_id).await,
    }
}
