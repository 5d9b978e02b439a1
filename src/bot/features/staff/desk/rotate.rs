//! /rotate <stock_id>: a shared login's password changed; the new login on the next line (or
//! asked for). Every customer holding it gets the new one.
use chrono::Utc;
use rust_i18n::t;

use super::Step;
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::credentials::{self, SingleError};
use crate::services::stock::{self, RotateOutcome};
use crate::services::Actor;

pub async fn command(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let (first, rest) = args.split_once('\n').unwrap_or((args, ""));
    let mut words = first.split_whitespace();
    let stock_id = words.next().and_then(|id| id.trim_start_matches('#').parse::<i32>().ok()).filter(|id| *id > 0);
    let Some(stock_id) = stock_id else {
        reply.send(t!("desk.rotate_usage", locale = lang), None).await?;
        return Ok(());
    };
    // The login may follow on the same line or the next one.
    let inline: Vec<&str> = words.collect();
    let login = if inline.is_empty() { rest.to_owned() } else { inline.join(" ") };
    if login.trim().is_empty() {
        dialogue.update(Step::RotateLogin { stock_id }).await?;
        reply.send(t!("desk.rotate_ask", locale = lang, id = stock_id), None).await?;
        return Ok(());
    }
    apply(reply, ctx, actor, stock_id, &login).await
}

pub async fn apply(reply: &Reply, ctx: &Ctx, actor: &Actor, stock_id: i32, login: &str) -> HandlerResult {
    let lang = reply.lang;
    let credential = match credentials::single(login) {
        Ok(credential) => credential,
        Err(err) => {
            let key = match err {
                SingleError::Empty => "desk.rotate_empty",
                SingleError::TooLong => "desk.rotate_too_long",
                SingleError::SeveralLines => "desk.rotate_one_line",
            };
            reply.send(t!(key, locale = lang, max = credentials::MAX_LEN), None).await?;
            return Ok(());
        }
    };
    let text = match stock::rotate(&ctx.db, actor, stock_id, &credential, Utc::now()).await? {
        RotateOutcome::Rotated { plan_name, told, .. } => {
            t!("desk.rotated", locale = lang, id = stock_id, plan = ui::escape(&plan_name), told = told)
        }
        RotateOutcome::Unchanged => t!("desk.rotate_unchanged", locale = lang, id = stock_id),
        RotateOutcome::Duplicate => t!("desk.rotate_duplicate", locale = lang, id = stock_id),
        RotateOutcome::UnknownStock => t!("desk.rotate_unknown", locale = lang, id = stock_id),
    };
    reply.send(text, None).await?;
    Ok(())
}
