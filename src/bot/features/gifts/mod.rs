//! Gifts received: `/start gift_CODE`, the link a buyer forwarded. The first person other than
//! the buyer to open it gets the subscription and its login; everyone else is told why not.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::command::BotCommands;

use crate::bot::actor::Signed;
use crate::bot::ui::{self, button, command, format, keyboards, Goto, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::gift::ClaimRefusal;
use crate::services::gifts::{self, ClaimOutcome};

#[derive(BotCommands, Clone)]
#[command(rename_rule = "lowercase")]
enum GiftLink {
    Start(String),
}

/// The code of a `/start gift_CODE` message.
fn gift_code(msg: Message, ctx: Arc<Ctx>) -> Option<String> {
    let GiftLink::Start(payload) = command::parse::<GiftLink>(msg.text()?, &ctx.bot_username)?;
    payload.split_whitespace().next()?.strip_prefix("gift_").map(str::to_owned)
}

pub fn handler() -> UpdateHandler<HandlerError> {
    Update::filter_message().filter_map(gift_code).endpoint(claim)
}

async fn claim(reply: Reply, ctx: Arc<Ctx>, signed: Signed, code: String) -> HandlerResult {
    let lang = reply.lang;
    let outcome = gifts::claim(&ctx.db, signed.actor.telegram_id, &code, Utc::now()).await?;
    let subscriptions = || {
        InlineKeyboardMarkup::new(vec![
            vec![button(t!("reminders.subscriptions_button", locale = lang), Goto::Subscriptions)],
            vec![button(t!("menu.back", locale = lang), Goto::Menu)],
        ])
    };
    let (text, keyboard) = match outcome {
        ClaimOutcome::Claimed { plan_name, credential, ends_at } => (
            t!(
                "gift.claimed",
                locale = lang,
                name = ui::escape(&plan_name),
                credential = ui::escape(&credential),
                ends = format::date(ends_at, lang)
            ),
            subscriptions(),
        ),
        ClaimOutcome::Refused(ClaimRefusal::AlreadyYours) => (t!("gift.already_yours", locale = lang), subscriptions()),
        ClaimOutcome::Refused(refusal) => {
            let key = match refusal {
                ClaimRefusal::OwnGift => "gift.own",
                ClaimRefusal::Taken => "gift.taken",
                ClaimRefusal::Refunded => "gift.withdrawn",
                ClaimRefusal::Expired => "gift.expired",
                ClaimRefusal::AlreadyYours => "gift.already_yours",
            };
            (t!(key, locale = lang), keyboards::main_menu(lang))
        }
        ClaimOutcome::Unknown => (t!("gift.unknown", locale = lang), keyboards::main_menu(lang)),
    };
    // Someone new to the shop is welcomed first.
    let text = if signed.joined {
        let welcome = t!(
            "welcome",
            locale = lang,
            shop = ui::escape(&ctx.config.shop_name),
            name = ui::escape(&signed.first_name)
        );
        format!("{welcome}\n\n{text}")
    } else {
        text.into_owned()
    };
    reply.send(text, Some(keyboard)).await?;
    Ok(())
}
