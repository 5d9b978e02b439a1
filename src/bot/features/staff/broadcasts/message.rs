//! A broadcast as Telegram shows it: the message every recipient gets (also the preview),
//! and the progress message with its buttons. The sender uses both.
use rust_i18n::t;
use teloxide::payloads::{SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::*;
use teloxide::types::{FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};
use teloxide::RequestError;

use super::Action;
use crate::bot::ui::{button, format};
use crate::bot::Tg;
use crate::domain::broadcast::{Audience, Content, Progress};
use crate::domain::Lang;
use crate::entities::broadcast::{self, BroadcastStatus};

/// The message's own URL button.
pub fn keyboard(content: &Content) -> Option<InlineKeyboardMarkup> {
    let b = content.button.as_ref()?;
    let url = url::Url::parse(&b.url).ok()?;
    Some(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(b.text.clone(), url)]]))
}

/// Sends `content` to `chat`; the caller has waited for its slot.
pub async fn send(tg: &Tg, chat: ChatId, content: &Content) -> Result<Message, RequestError> {
    let keyboard = keyboard(content);
    match &content.photo_file_id {
        Some(photo) => {
            let mut request = tg.send_photo(chat, InputFile::file_id(FileId(photo.clone())));
            if !content.text.trim().is_empty() {
                request = request.caption(content.text.clone()).parse_mode(ParseMode::Html);
            }
            if let Some(keyboard) = keyboard {
                request = request.reply_markup(keyboard);
            }
            let result = request.await;
            crate::bot::tg::record("sendPhoto", &result);
            result
        }
        None => {
            let mut request = tg.send_message(chat, content.text.clone()).parse_mode(ParseMode::Html);
            if let Some(keyboard) = keyboard {
                request = request.reply_markup(keyboard);
            }
            let result = request.await;
            crate::bot::tg::record("sendMessage", &result);
            result
        }
    }
}

pub fn audience_name(audience: Audience, lang: &str) -> String {
    match audience {
        Audience::Everyone => t!("broadcast.audience_everyone", locale = lang).into_owned(),
        Audience::Active => t!("broadcast.audience_active", locale = lang).into_owned(),
        Audience::Expired { days } => t!("broadcast.audience_expired", locale = lang, days = days).into_owned(),
        Audience::NeverBought => t!("broadcast.audience_never_bought", locale = lang).into_owned(),
        Audience::Language(Lang::En) => t!("broadcast.audience_english", locale = lang).into_owned(),
        Audience::Language(Lang::Hi) => t!("broadcast.audience_hindi", locale = lang).into_owned(),
    }
}

/// "1 min 5 s", "40 s".
fn duration(d: std::time::Duration, lang: &str) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        t!("broadcast.hours", locale = lang, h = secs / 3600, m = secs % 3600 / 60).into_owned()
    } else if secs >= 60 {
        t!("broadcast.minutes", locale = lang, m = secs / 60, s = secs % 60).into_owned()
    } else {
        t!("broadcast.seconds", locale = lang, s = secs).into_owned()
    }
}

/// The progress message: figures, time left while it runs, and the buttons its state allows.
pub fn progress(
    row: &broadcast::Model,
    p: &Progress,
    rate_per_sec: u32,
    lang: &str,
) -> (String, Option<InlineKeyboardMarkup>) {
    let audience =
        Audience::parse(&row.audience).map(|a| audience_name(a, lang)).unwrap_or_else(|| row.audience.clone());
    let state = match row.status {
        BroadcastStatus::Queued => t!("broadcast.state_queued", locale = lang),
        BroadcastStatus::Running => t!("broadcast.state_running", locale = lang),
        BroadcastStatus::Paused => t!("broadcast.state_paused", locale = lang),
        BroadcastStatus::Cancelled => t!("broadcast.state_cancelled", locale = lang),
        BroadcastStatus::Done => t!("broadcast.state_done", locale = lang),
    };
    let mut text = t!(
        "broadcast.progress",
        locale = lang,
        id = row.id,
        state = state,
        audience = audience,
        percent = p.percent(),
        sent = p.sent,
        failed = p.failed,
        blocked = p.blocked,
        remaining = p.remaining(),
        total = p.total
    )
    .into_owned();
    if row.status == BroadcastStatus::Running && p.remaining() > 0 {
        text.push_str(&t!("broadcast.time_left", locale = lang, left = duration(p.time_left(rate_per_sec), lang)));
    }
    if p.unknown > 0 {
        text.push_str(&t!("broadcast.report_unknown", locale = lang, count = p.unknown));
    }
    if let Some(at) = row.finished_at {
        text.push_str(&t!("broadcast.finished_at", locale = lang, at = format::date_time(at, lang)));
    }
    let stop = || button(t!("broadcast.stop_button", locale = lang), Action::Stop(row.id));
    let keyboard = match row.status {
        BroadcastStatus::Running | BroadcastStatus::Queued => {
            Some(vec![button(t!("broadcast.pause_button", locale = lang), Action::Pause(row.id)), stop()])
        }
        BroadcastStatus::Paused => {
            Some(vec![button(t!("broadcast.resume_button", locale = lang), Action::Resume(row.id)), stop()])
        }
        BroadcastStatus::Cancelled | BroadcastStatus::Done => None,
    };
    (text, keyboard.map(|row| InlineKeyboardMarkup::new([row])))
}
