//! The customer's subscriptions, with the login of each active or expired one, and Buy again
//! for the plans of expired ones.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::Action;
use crate::bot::ui::{self, button, format, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::subscription_period::SubscriptionState;
use crate::services::{subscriptions, Actor};

/// Buy again buttons at most (one per plan).
const MAX_BUY_AGAIN: usize = 5;

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let subs = subscriptions::list_for(&ctx.db, actor.telegram_id, Utc::now()).await?;
    if subs.is_empty() {
        reply.send(t!("subs.empty", locale = lang), Some(ui::keyboards::main_menu(lang))).await?;
        return Ok(());
    }
    let blocks = subs
        .iter()
        .map(|s| {
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
            t!(
                "subs.item",
                locale = lang,
                name = ui::escape(&s.plan_name),
                order = s.order_id,
                state = state,
                login = login
            )
            .into_owned()
        })
        .collect();
    let mut again: Vec<(i32, &str)> = Vec::new();
    for s in subs.iter().filter(|s| s.state == SubscriptionState::Expired) {
        if again.len() < MAX_BUY_AGAIN && !again.iter().any(|(plan, _)| *plan == s.plan_id) {
            again.push((s.plan_id, &s.plan_name));
        }
    }
    let mut rows: Vec<_> = again
        .into_iter()
        .map(|(plan, name)| vec![button(t!("subs.buy_again", locale = lang, name = name), Action::Plan(plan))])
        .collect();
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    let title = t!("subs.title", locale = lang).into_owned();
    reply.send_blocks(title, blocks, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}
