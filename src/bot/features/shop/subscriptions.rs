//! The customer's subscriptions, with the login of each active or expired one.
use chrono::Utc;
use rust_i18n::t;

use crate::bot::ui::{self, format, keyboards, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::subscription_period::SubscriptionState;
use crate::services::{subscriptions, Actor};

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let subs = subscriptions::list_for(&ctx.db, actor.telegram_id, Utc::now()).await?;
    if subs.is_empty() {
        reply.send(t!("subs.empty", locale = lang), Some(keyboards::main_menu(lang))).await?;
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
    let title = t!("subs.title", locale = lang).into_owned();
    reply.send_blocks(title, blocks, Some(keyboards::back_to_menu(lang))).await?;
    Ok(())
}
