//! Pause, Resume and Stop on a progress message, and /broadcasts.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{message, Action};
use crate::bot::ui::{button, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::services::broadcasts::{self, ControlOutcome};
use crate::services::Actor;

/// Broadcasts /broadcasts shows.
const LIST_LIMIT: u64 = 10;

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let rate = ctx.config.send_limits.broadcast_per_second;
    let all = broadcasts::list(&ctx.db, actor, LIST_LIMIT).await?;
    if all.is_empty() {
        reply.send(t!("broadcast.none", locale = lang), None).await?;
        return Ok(());
    }
    let mut keyboard = None;
    let mut blocks = Vec::new();
    for o in &all {
        let (text, buttons) = message::progress(&o.broadcast, &o.progress, rate, lang);
        blocks.push(format!("\n\n{text}"));
        // The buttons of the one running (or paused), the oldest still on.
        if buttons.is_some() && !o.broadcast.status.is_over() {
            keyboard = buttons;
        }
    }
    reply.send_blocks(t!("broadcast.list_title", locale = lang).into_owned(), blocks, keyboard).await?;
    Ok(())
}

pub async fn on_control(reply: &Reply, ctx: &Ctx, actor: &Actor, action: &Action, id: i32) -> HandlerResult {
    let lang = reply.lang;
    let now = Utc::now();
    let outcome = match action {
        Action::Pause(_) => broadcasts::pause(&ctx.db, actor, id, now).await?,
        Action::Resume(_) => broadcasts::resume(&ctx.db, actor, id, now).await?,
        Action::StopConfirmed(_) => broadcasts::cancel(&ctx.db, actor, id, now).await?,
        _ => {
            let Some(o) = broadcasts::get(&ctx.db, actor, id).await? else {
                reply.send(t!("broadcast.unknown", locale = lang, id = id), None).await?;
                return Ok(());
            };
            if o.broadcast.status.is_over() {
                reply.send(t!("broadcast.already_over", locale = lang, id = id), None).await?;
                return Ok(());
            }
            let keyboard = InlineKeyboardMarkup::new([[button(
                t!("broadcast.stop_confirm_button", locale = lang),
                Action::StopConfirmed(id),
            )]]);
            let text = t!("broadcast.stop_ask", locale = lang, id = id, remaining = o.progress.remaining());
            reply.send(text, Some(keyboard)).await?;
            return Ok(());
        }
    };
    let text = match (action, outcome) {
        (_, ControlOutcome::Unknown) => t!("broadcast.unknown", locale = lang, id = id),
        (Action::Pause(_), ControlOutcome::Done(_)) => t!("broadcast.paused", locale = lang, id = id),
        (Action::Resume(_), ControlOutcome::Done(_)) => t!("broadcast.resumed", locale = lang, id = id),
        (_, ControlOutcome::Done(_)) => t!("broadcast.stopped", locale = lang, id = id),
        (_, ControlOutcome::NotNow(row)) if row.status.is_over() => {
            t!("broadcast.already_over", locale = lang, id = id)
        }
        (Action::Pause(_), ControlOutcome::NotNow(_)) => t!("broadcast.not_running", locale = lang, id = id),
        (_, ControlOutcome::NotNow(_)) => t!("broadcast.not_paused", locale = lang, id = id),
    };
    reply.send(text, None).await?;
    Ok(())
}
