//! Sending and editing HTML messages the way Telegram accepts them.
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use teloxide::{ApiError, RequestError};

use super::tg::Tg;

pub use teloxide::utils::html::escape;

/// Telegram's limit for one message is 4096 UTF-16 code units; we stay a little below.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Length as Telegram counts it.
fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

pub async fn send(
    bot: &Tg,
    chat: ChatId,
    text: impl Into<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, RequestError> {
    bot.slot(chat).await;
    let mut request = bot.send_message(chat, text).parse_mode(ParseMode::Html);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(keyboard);
    }
    request.await
}

/// Replaces a bot message in place (menu navigation). Pressing the same button twice is not
/// an error; when the message can no longer be edited, the text is sent as a new message.
pub async fn edit_or_send(
    bot: &Tg,
    chat: ChatId,
    message: Option<MessageId>,
    text: impl Into<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let text = text.into();
    if let Some(message_id) = message {
        bot.slot(chat).await;
        let mut request = bot.edit_message_text(chat, message_id, text.clone()).parse_mode(ParseMode::Html);
        if let Some(keyboard) = keyboard.clone() {
            request = request.reply_markup(keyboard);
        }
        match request.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
            Err(RequestError::Api(err)) => log::debug!("edit failed ({err}), sending instead"),
            Err(err) => return Err(err),
        }
    }
    send(bot, chat, text, keyboard).await.map(|_| ())
}

/// Sends `header` followed by `blocks`, splitting into several messages so none exceeds
/// Telegram's length limit. A block is never split (it may hold an open HTML tag).
pub async fn send_blocks(
    bot: &Tg,
    chat: ChatId,
    header: String,
    blocks: Vec<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let messages = pack(header, blocks);
    let last = messages.len().saturating_sub(1);
    for (i, text) in messages.into_iter().enumerate() {
        send(bot, chat, text, if i == last { keyboard.clone() } else { None }).await?;
    }
    Ok(())
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
