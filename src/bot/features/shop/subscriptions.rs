//! The customer's subscriptions, with the login of each active or expired one; one
//! subscription's page (Renew, auto-renew on or off); Buy again for the plans of expired ones;
//! the gifts the customer bought, claimed or not.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::Action;
use crate::bot::ui::{self, button, format, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::subscription_period::SubscriptionState;
use crate::services::subscriptions::{self, SubscriptionView};
use crate::services::{gifts, settings, Actor};

/// Buy again buttons at most (one per plan).
const MAX_BUY_AGAIN: usize = 5;
/// Buttons opening a subscription's page at most (newest first).
const MAX_SUB_BUTTONS: usize = 10;

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let now = Utc::now();
    let subs = subscriptions::list_for(&ctx.db, actor.telegram_id, now).await?;
    let gifts = gifts::bought_by(&ctx.db, actor.telegram_id, now).await?;
    if subs.is_empty() && gifts.is_empty() {
        reply.send(t!("subs.empty", locale = lang), Some(ui::keyboards::main_menu(lang))).await?;
        return Ok(());
    }
    let mut blocks: Vec<String> = subs.iter().map(|s| item(s, lang)).collect();
    if !gifts.is_empty() {
        blocks.push(t!("gift.list_title", locale = lang).into_owned());
        blocks.extend(gifts.iter().map(|g| super::gift::item(g, lang, &ctx.bot_username)));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = subs
        .iter()
        .filter(|s| s.state != SubscriptionState::Cancelled)
        .take(MAX_SUB_BUTTONS)
        .map(|s| {
            let label = t!("subs.open_button", locale = lang, name = format::short(&s.plan_name), order = s.order_id);
            vec![button(label, Action::Sub(s.id))]
        })
        .collect();
    let mut again: Vec<(i32, &str)> = Vec::new();
    for s in subs.iter().filter(|s| s.state == SubscriptionState::Expired) {
        if again.len() < MAX_BUY_AGAIN && !again.iter().any(|(plan, _)| *plan == s.plan_id) {
            again.push((s.plan_id, &s.plan_name));
        }
    }
    rows.extend(again.into_iter().map(|(plan, name)| {
        vec![button(t!("subs.buy_again", locale = lang, name = format::short(name)), Action::Plan(plan))]
    }));
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    let title = t!("subs.title", locale = lang).into_owned();
    reply.send_blocks(title, blocks, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// One subscription as a block of the list (and the head of its page).
fn item(s: &SubscriptionView, lang: &str) -> String {
    // A refunded subscription's login went back to the shop: not shown.
    let login = || t!("subs.login", locale = lang, credential = ui::escape(&s.credential));
    let (state, login) = match s.state {
        SubscriptionState::Active { days_left } => {
            (t!("subs.active", locale = lang, ends = format::date(s.ends_at, lang), days = days_left), login())
        }
        SubscriptionState::Expired => {
            (t!("subs.expired", locale = lang, ends = format::date(s.ends_at, lang)), login())
        }
        SubscriptionState::Cancelled => (t!("subs.cancelled", locale = lang), "".into()),
    };
    t!("subs.item", locale = lang, name = ui::escape(&s.plan_name), order = s.order_id, state = state, login = login)
        .into_owned()
}

pub async fn show(reply: &Reply, ctx: &Ctx, actor: &Actor, id: i32) -> HandlerResult {
    match subscriptions::one_for(&ctx.db, actor.telegram_id, id, Utc::now()).await? {
        Some(sub) => page(reply, ctx, &sub).await,
        None => gone(reply).await,
    }
}

pub async fn auto_renew(reply: &Reply, ctx: &Ctx, actor: &Actor, id: i32, on: bool) -> HandlerResult {
    match subscriptions::set_auto_renew(&ctx.db, actor.telegram_id, id, on, Utc::now()).await? {
        Some(sub) => page(reply, ctx, &sub).await,
        None => gone(reply).await,
    }
}

async fn gone(reply: &Reply) -> HandlerResult {
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button(
        t!("reminders.subscriptions_button", locale = reply.lang),
        Goto::Subscriptions,
    )]]);
    reply.edit_or_send(t!("subs.gone", locale = reply.lang), Some(keyboard)).await?;
    Ok(())
}

async fn page(reply: &Reply, ctx: &Ctx, sub: &SubscriptionView) -> HandlerResult {
    let lang = reply.lang;
    let mut text = t!("subs.page_title", locale = lang).into_owned();
    text.push_str(&item(sub, lang));
    let mut rows = Vec::new();
    if let Some(price) = sub.renewal_price {
        text.push_str(&t!("subs.renew_hint", locale = lang));
        rows.push(vec![button(t!("subs.renew", locale = lang, price = price.to_string()), Action::Renew(sub.id))]);
    }
    if matches!(sub.state, SubscriptionState::Active { .. }) {
        let hours = settings::auto_renew_hours(&ctx.db).await?;
        let (state, toggle) = if sub.auto_renew {
            (
                t!("subs.auto_on", locale = lang, hours = hours),
                button(t!("subs.auto_turn_off", locale = lang), Action::AutoRenew(sub.id, false)),
            )
        } else {
            (
                t!("subs.auto_off", locale = lang, hours = hours),
                button(t!("subs.auto_turn_on", locale = lang), Action::AutoRenew(sub.id, true)),
            )
        };
        text.push_str(&state);
        rows.push(vec![toggle]);
        rows.push(vec![button(t!("subs.not_working", locale = lang), Goto::ReportLogin { subscription: sub.id })]);
    }
    if sub.state == SubscriptionState::Expired {
        rows.push(vec![button(
            t!("subs.buy_again", locale = lang, name = format::short(&sub.plan_name)),
            Action::Plan(sub.plan_id),
        )]);
    }
    rows.push(vec![button(t!("reminders.subscriptions_button", locale = lang), Goto::Subscriptions)]);
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}
