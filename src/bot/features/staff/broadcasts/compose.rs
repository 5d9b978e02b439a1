//! Composing a broadcast: the message -> an optional button -> the preview and an audience
//! -> the confirm screen -> queued.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::render::RenderMessageTextHelper;

use super::{message, Action, Step};
use crate::bot::state::{ChatDialogue, State};
use crate::bot::ui::{button, escape, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::broadcast::{Audience, Button, ButtonError, Content};
use crate::domain::Lang;
use crate::services::broadcasts::{self, Draft, StartOutcome};
use crate::services::Actor;

/// The audiences offered as buttons, in order.
const AUDIENCES: [Audience; 8] = [
    Audience::Everyone,
    Audience::Active,
    Audience::Expired { days: 7 },
    Audience::Expired { days: 30 },
    Audience::Expired { days: 90 },
    Audience::NeverBought,
    Audience::Language(Lang::En),
    Audience::Language(Lang::Hi),
];

pub async fn start(reply: &Reply, dialogue: &ChatDialogue) -> HandlerResult {
    dialogue.update(Step::Message).await?;
    let lang = reply.lang;
    reply.send(t!("broadcast.ask_message", locale = lang), Some(discard_only(lang))).await?;
    Ok(())
}

fn discard_only(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[button(t!("broadcast.discard_button", locale = lang), Action::Discard)]])
}

/// The message's formatting, kept as Telegram HTML (teloxide renders text without entities
/// as it is, so that is escaped here).
fn content_of(msg: &Message) -> Option<Content> {
    if let Some(photos) = msg.photo() {
        let photo = photos.iter().max_by_key(|p| p.width * p.height)?;
        let formatted = msg.caption_entities().is_some_and(|e| !e.is_empty());
        let text = if formatted { msg.html_caption() } else { msg.caption().map(escape) };
        return Some(Content {
            text: text.unwrap_or_default(),
            photo_file_id: Some(photo.file.id.0.clone()),
            button: None,
        });
    }
    let formatted = msg.entities().is_some_and(|e| !e.is_empty());
    let text = if formatted { msg.html_text() } else { msg.text().map(escape) }?;
    Some(Content { text, photo_file_id: None, button: None })
}

pub async fn on_step(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    msg: Message,
    step: Step,
) -> HandlerResult {
    let lang = reply.lang;
    match step {
        Step::Message => match content_of(&msg) {
            Some(content) => {
                dialogue.update(Step::Button { content }).await?;
                let keyboard = InlineKeyboardMarkup::new([[
                    button(t!("broadcast.no_button", locale = lang), Action::NoButton),
                    button(t!("broadcast.discard_button", locale = lang), Action::Discard),
                ]]);
                reply.send(t!("broadcast.ask_button_link", locale = lang), Some(keyboard)).await?;
            }
            None => {
                reply.send(t!("broadcast.message_kind", locale = lang), Some(discard_only(lang))).await?;
            }
        },
        Step::Button { mut content } => match Button::parse(msg.text().unwrap_or_default()) {
            Ok(b) => {
                content.button = Some(b);
                preview(&reply, &ctx, &actor, &dialogue, content).await?;
            }
            Err(err) => {
                let why = match err {
                    ButtonError::Shape => t!("broadcast.button_shape", locale = lang),
                    ButtonError::LabelTooLong => t!("broadcast.button_long", locale = lang),
                    ButtonError::Url => t!("broadcast.button_url", locale = lang),
                };
                let keyboard =
                    InlineKeyboardMarkup::new([[button(t!("broadcast.no_button", locale = lang), Action::NoButton)]]);
                reply.send(why, Some(keyboard)).await?;
            }
        },
        Step::Audience { .. } => {
            reply.send(t!("broadcast.use_buttons", locale = lang), Some(discard_only(lang))).await?;
        }
    }
    Ok(())
}

/// Shows the message exactly as customers will get it, then the audiences.
async fn preview(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue, content: Content) -> HandlerResult {
    let lang = reply.lang;
    reply.tg.slot(reply.chat).await;
    if let Err(err) = message::send(&reply.tg, reply.chat, &content).await {
        log::info!("broadcast preview refused: {err}");
        reply.send(t!("broadcast.preview_failed", locale = lang, error = escape(&err.to_string())), None).await?;
        return Ok(());
    }
    dialogue.update(Step::Audience { content }).await?;
    let keyboard = audiences(ctx, actor, lang).await?;
    reply.send(t!("broadcast.choose_audience", locale = lang), Some(keyboard)).await?;
    Ok(())
}

async fn audiences(ctx: &Ctx, actor: &Actor, lang: &str) -> Result<InlineKeyboardMarkup, crate::bot::HandlerError> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for audience in AUDIENCES {
        let count = broadcasts::audience_size(&ctx.db, actor, audience, now).await?;
        let label = t!(
            "broadcast.audience_button",
            locale = lang,
            audience = message::audience_name(audience, lang),
            count = count
        );
        rows.push(vec![button(label, Action::Audience(audience.code()))]);
    }
    rows.push(vec![button(t!("broadcast.discard_button", locale = lang), Action::Discard)]);
    Ok(InlineKeyboardMarkup::new(rows))
}

pub async fn on_action(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    state: State,
    action: Action,
) -> HandlerResult {
    let lang = reply.lang;
    if action == Action::Discard {
        reply.edit_or_send(t!("broadcast.discarded", locale = lang), None).await?;
        return Ok(());
    }
    let step = Step::try_from(state).ok();
    match (action, step) {
        (Action::NoButton, Some(Step::Button { content })) => preview(reply, ctx, actor, dialogue, content).await,
        (Action::Back, Some(Step::Audience { .. })) => {
            let keyboard = audiences(ctx, actor, lang).await?;
            reply.edit_or_send(t!("broadcast.choose_audience", locale = lang), Some(keyboard)).await?;
            Ok(())
        }
        (Action::Audience(code), Some(Step::Audience { .. })) => {
            let Some(audience) = Audience::parse(&code) else { return stale(reply).await };
            let count = broadcasts::audience_size(&ctx.db, actor, audience, Utc::now()).await?;
            let name = message::audience_name(audience, lang);
            if count == 0 {
                let keyboard = audiences(ctx, actor, lang).await?;
                reply.edit_or_send(t!("broadcast.nobody", locale = lang, audience = name), Some(keyboard)).await?;
                return Ok(());
            }
            let rate = u64::from(ctx.config.send_limits.broadcast_per_second.max(1));
            let minutes = count.div_ceil(rate).div_ceil(60);
            let text = t!("broadcast.confirm", locale = lang, audience = name, count = count, minutes = minutes);
            let keyboard = InlineKeyboardMarkup::new([
                vec![button(t!("broadcast.send_button", locale = lang, count = count), Action::Send(code))],
                vec![
                    button(t!("broadcast.back_button", locale = lang), Action::Back),
                    button(t!("broadcast.discard_button", locale = lang), Action::Discard),
                ],
            ]);
            reply.edit_or_send(text, Some(keyboard)).await?;
            Ok(())
        }
        (Action::Send(code), Some(Step::Audience { content })) => {
            let Some(audience) = Audience::parse(&code) else { return stale(reply).await };
            let draft = Draft { content, audience };
            let text = match broadcasts::start(&ctx.db, actor, &draft, Utc::now()).await? {
                StartOutcome::Queued { broadcast, ahead: 0 } => {
                    t!("broadcast.started", locale = lang, id = broadcast.id, total = broadcast.total)
                }
                StartOutcome::Queued { broadcast, ahead } => {
                    t!("broadcast.queued", locale = lang, id = broadcast.id, total = broadcast.total, ahead = ahead)
                }
                StartOutcome::NobodyToSend => {
                    let name = message::audience_name(audience, lang);
                    let keyboard = audiences(ctx, actor, lang).await?;
                    reply.edit_or_send(t!("broadcast.nobody", locale = lang, audience = name), Some(keyboard)).await?;
                    return Ok(());
                }
            };
            dialogue.exit().await?;
            reply.edit_or_send(text, None).await?;
            Ok(())
        }
        _ => stale(reply).await,
    }
}

/// A button of a draft that is no longer being composed.
async fn stale(reply: &Reply) -> HandlerResult {
    reply.send(t!("broadcast.stale", locale = reply.lang), None).await?;
    Ok(())
}
