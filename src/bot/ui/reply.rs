//! Answering the person in front of the bot: send, edit in place, split long texts. Every
//! send waits for its slot in the one rate limiter first.
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use teloxide::{ApiError, RequestError};

use crate::bot::tg::Tg;

pub use teloxide::utils::html::escape;

/// Telegram's limit for one message is 4096 UTF-16 code units; we stay a little below.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Length as Telegram counts it.
fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Where a handler answers: the chat, the message a pressed button sits on (menus edit it in
/// place), and the language of the person in front of the bot (`en`, `hi`).
#[derive(Clone)]
pub struct Reply {
    pub tg: Tg,
    pub chat: ChatId,
    pub message: Option<MessageId>,
    pub lang: &'static str,
}

impl Reply {
    pub async fn send(
        &self,
        text: impl Into<String>,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        send(&self.tg, self.chat, text, keyboard).await
    }

    /// Replaces the message the button was on (menu navigation); pressing the same button
    /// twice is not an error, and a message that can no longer be edited is sent anew.
    pub async fn edit_or_send(
        &self,
        text: impl Into<String>,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        let text = text.into();
        if let Some(message_id) = self.message {
            self.tg.slot(self.chat).await;
            let mut request =
                self.tg.edit_message_text(self.chat, message_id, text.clone()).parse_mode(ParseMode::Html);
            if let Some(keyboard) = keyboard.clone() {
                request = request.reply_markup(keyboard);
            }
            let result = request.await;
            crate::bot::tg::record("editMessageText", &result);
            match result {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
                Err(RequestError::Api(err)) => log::debug!("edit failed ({err}), sending instead"),
                Err(err) => return Err(err),
            }
        }
        self.send(text, keyboard).await.map(drop)
    }

    /// `header` then `blocks`, split into as many messages as Telegram's limit needs; a
    /// block is never split (it may hold an open tag). The keyboard goes on the last one.
    pub async fn send_blocks(
        &self,
        header: String,
        blocks: Vec<String>,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), RequestError> {
        let messages = pack(header, blocks);
        let last = messages.len().saturating_sub(1);
        for (i, text) in messages.into_iter().enumerate() {
            self.send(text, if i == last { keyboard.clone() } else { None }).await?;
        }
        Ok(())
    }

    /// The same place, another chat (a question asked in an admin's private chat).
    pub fn to_chat(&self, chat: ChatId) -> Reply {
        Reply { chat, message: None, ..self.clone() }
    }
}

pub async fn send(
    tg: &Tg,
    chat: ChatId,
    text: impl Into<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, RequestError> {
    tg.slot(chat).await;
    let mut request = tg.send_message(chat, text).parse_mode(ParseMode::Html);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(keyboard);
    }
    let result = request.await;
    crate::bot::tg::record("sendMessage", &result);
    result
}

pub fn pack(header: String, blocks: Vec<String>) -> Vec<String> {
    let mut messages = Vec::new();
    let mut current = header;
    for block in blocks {
        let block = truncate(block);
        if units(&current) + units(&block) > MAX_MESSAGE_CHARS {
            messages.push(std::mem::take(&mut current));
            current = block.trim_start().to_owned();
        } else {
            current.push_str(&block);
        }
    }
    messages.push(current);
    messages
}

/// `header` and as many `blocks` as fit in one message; `more` marks that some were left out.
pub fn first_page(header: String, blocks: Vec<String>, more: &str) -> String {
    let mut pages = pack(header, blocks);
    let mut first = pages.remove(0);
    if !pages.is_empty() {
        first.push_str(more);
    }
    first
}

fn truncate(block: String) -> String {
    if units(&block) <= MAX_MESSAGE_CHARS {
        return block;
    }
    // Only reachable with absurd data; a cut without markup is better than a refused message.
    let plain: String = block.replace(['<', '>', '&'], " ");
    let mut cut = String::new();
    for c in plain.chars() {
        if units(&cut) + c.len_utf16() >= MAX_MESSAGE_CHARS {
            break;
        }
        cut.push(c);
    }
    cut + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_blocks_under_the_limit() {
        let block = format!("\n\n<b>{}</b>", "x".repeat(1000));
        let messages = pack("head".into(), vec![block.clone(); 9]);
        assert!(messages.len() >= 3);
        for m in &messages {
            assert!(m.chars().count() <= MAX_MESSAGE_CHARS);
            assert_eq!(m.matches("<b>").count(), m.matches("</b>").count());
        }
        let total: usize = messages.iter().map(|m| m.matches("<b>").count()).sum();
        assert_eq!(total, 9);
    }

    #[test]
    fn first_page_marks_what_was_left_out() {
        let lines: Vec<String> = (0..200).map(|n| format!("\n• <b>Plan {n}</b> {}", "x".repeat(40))).collect();
        let page = first_page("Plans".into(), lines, "\n…");
        assert!(page.encode_utf16().count() <= MAX_MESSAGE_CHARS + 2);
        assert!(page.ends_with("\n…") && page.contains("Plan 0") && !page.contains("Plan 199"));
        assert_eq!(first_page("Plans".into(), vec!["\na".into()], "\n…"), "Plans\na");
    }

    #[test]
    fn counts_like_telegram() {
        let emoji = "😀".repeat(3000); // 6000 UTF-16 units, 3000 chars
        let messages = pack(String::new(), vec![emoji]);
        assert!(messages.iter().all(|m| m.encode_utf16().count() <= MAX_MESSAGE_CHARS));
    }

    #[test]
    fn one_short_message_stays_one() {
        assert_eq!(pack("a".into(), vec!["b".into(), "c".into()]), vec!["abc".to_string()]);
    }
}
