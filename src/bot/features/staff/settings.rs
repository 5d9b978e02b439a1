//! /settings (staff see them) and /set (admins change them): commission rates, the hold,
//! withdrawal and fraud limits.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, command, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::setting::{SettingError, SettingKey};
use crate::domain::Permission;
use crate::services::{settings, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Settings,
}

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Change {
    /// `<key> <value>`
    Set(String),
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(list))))
        .branch(command::on::<Change>().chain(permitted(Permission::ChangeSettings, dptree::endpoint(set))))
}

async fn list(reply: Reply, ctx: Arc<Ctx>) -> HandlerResult {
    let lang = reply.lang;
    let mut text = t!("settings.title", locale = lang).into_owned();
    for (key, value) in settings::all(&ctx.db).await? {
        let help = t!(format!("settings.help_{}", key.key().replace('.', "_")), locale = lang);
        text.push_str(&t!("settings.line", locale = lang, key = key.key(), value = ui::escape(&value), help = help));
    }
    text.push_str(&t!("settings.usage", locale = lang));
    reply.send(text, None).await?;
    Ok(())
}

async fn set(reply: Reply, ctx: Arc<Ctx>, actor: Actor, change: Change) -> HandlerResult {
    let lang = reply.lang;
    let Change::Set(args) = change;
    let mut parts = args.split_whitespace();
    let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
        reply.send(t!("settings.usage", locale = lang).trim_start().to_owned(), None).await?;
        return Ok(());
    };
    let Ok(key) = key.parse::<SettingKey>() else {
        reply.send(t!("settings.unknown", locale = lang, key = ui::escape(key)), None).await?;
        return Ok(());
    };
    let text = match settings::change(&ctx.db, &actor, key, value, Utc::now()).await? {
        Ok(stored) => t!("settings.changed", locale = lang, key = key.key(), value = ui::escape(&stored)),
        Err(err) => {
            let why = match err {
                SettingError::BadPercent => t!("settings.bad_percent", locale = lang),
                SettingError::BadWhole { min, max } => t!("settings.bad_whole", locale = lang, min = min, max = max),
                SettingError::BadRupees => t!("settings.bad_rupees", locale = lang),
                SettingError::UnknownKey => t!("settings.unknown", locale = lang, key = key.key()),
            };
            t!("settings.invalid", locale = lang, key = key.key(), error = why)
        }
    };
    reply.send(text, None).await?;
    Ok(())
}
