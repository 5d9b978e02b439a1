//! /settings and /set: the shop's runtime settings (commission rates, hold, limits).
use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;

use super::{reply, Ctx, HandlerResult, Tg};
use crate::domain::setting::{SettingError, SettingKey};
use crate::services::settings;

pub async fn list(bot: &Tg, ctx: &Ctx, chat: ChatId) -> HandlerResult {
    let mut text = t!("settings.title").into_owned();
    for (key, value) in settings::all(&ctx.db).await? {
        let help = t!(format!("settings.help_{}", key.key().replace('.', "_")));
        text.push_str(&t!("settings.line", key = key.key(), value = reply::escape(&value), help = help));
    }
    text.push_str(&t!("settings.usage"));
    reply::send(bot, chat, text, None).await?;
    Ok(())
}

pub async fn set(bot: &Tg, ctx: &Ctx, chat: ChatId, admin: i64, args: &str) -> HandlerResult {
    let mut parts = args.split_whitespace();
    let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
        reply::send(bot, chat, t!("settings.usage").trim_start().to_owned(), None).await?;
        return Ok(());
    };
    let Ok(key) = key.parse::<SettingKey>() else {
        reply::send(bot, chat, t!("settings.unknown", key = reply::escape(key)), None).await?;
        return Ok(());
    };
    let text = match settings::change(&ctx.db, &super::staff_actor(admin), key, value, Utc::now()).await? {
        Ok(stored) => t!("settings.changed", key = key.key(), value = reply::escape(&stored)),
        Err(err) => {
            let why = match err {
                SettingError::BadPercent => t!("settings.bad_percent"),
                SettingError::BadWhole { min, max } => t!("settings.bad_whole", min = min, max = max),
                SettingError::BadRupees => t!("settings.bad_rupees"),
                SettingError::UnknownKey => t!("settings.unknown", key = key.key()),
            };
            t!("settings.invalid", key = key.key(), error = why)
        }
    };
    reply::send(bot, chat, text, None).await?;
    Ok(())
}
