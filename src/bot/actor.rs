//! The one sign-up per update: whoever sent it is signed up (the first time only, with the
//! referrer of a `/start ref_CODE` link) and becomes the `Actor` every handler gets, with
//! the role and language stored in the database.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::UpdateKind;
use teloxide::types::User;
use teloxide::utils::command::BotCommands;

use super::ui::{command, keyboards, reply};
use super::{Ctx, Tg};
use crate::services::outbox;
use crate::services::users::{self, Profile};
use crate::services::Actor;

/// The person behind this update, as of this update.
#[derive(Debug, Clone)]
pub struct Signed {
    pub actor: Actor,
    /// True only for the update that created the user.
    pub joined: bool,
    pub first_name: String,
}

#[derive(BotCommands, Clone)]
#[command(rename_rule = "lowercase")]
enum StartLink {
    Start(String),
}

/// The code in a `/start ref_CODE` deep link.
fn referral(update: &Update, bot_username: &str) -> Option<String> {
    let UpdateKind::Message(msg) = &update.kind else { return None };
    let StartLink::Start(payload) = command::parse::<StartLink>(msg.text()?, bot_username)?;
    payload.split_whitespace().next()?.strip_prefix("ref_").map(str::to_owned)
}

fn profile(user: &User) -> Profile {
    Profile {
        // Telegram user ids fit in 52 bits.
        telegram_id: user.id.0 as i64,
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        language_code: user.language_code.clone(),
    }
}

/// None (the update is dropped) only for updates without a sender, or when the database
/// fails, in which case the person is told.
pub async fn sign_up(update: Update, ctx: Arc<Ctx>, tg: Tg) -> Option<Signed> {
    let from = update.from()?.clone();
    let referral = referral(&update, &ctx.bot_username);
    let (signup, queued) =
        outbox::noting_queued(users::sign_up(&ctx.db, &profile(&from), referral.as_deref(), Utc::now())).await;
    // The referrer's "someone joined" and any fraud alert go out at once.
    if queued {
        ctx.outbox_wake.notify_one();
    }
    match signup {
        Ok(signup) => {
            Some(Signed { actor: Actor::of(&signup.user), joined: signup.created, first_name: from.first_name })
        }
        Err(err) => {
            log::error!("sign-up of {} failed: {err}", from.id);
            if let Some(chat) = update.chat() {
                let lang = crate::domain::Lang::from_telegram(from.language_code.as_deref()).code();
                let apology = t!("error_generic", locale = lang);
                let _ = reply::send(&tg, chat.id, apology, Some(keyboards::main_menu(lang))).await;
            }
            None
        }
    }
}
