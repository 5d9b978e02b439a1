//! Sending and editing HTML messages the way Telegram accepts them.
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use teloxide::{ApiError, RequestError};

pub use teloxide::utils::html::escape;

/// Telegram's limit for one message, in UTF-16 code units; we count chars and stay below.
pub const MAX_MESSAGE_CHARS: usize = 4000;

pub async fn send(
    bot: &Bot,
    chat: ChatId,
    text: impl Into<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, RequestError> {
    let mut request = bot.send_message(chat, text).parse_mode(ParseMode::Html);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(keyboard);
    }
    request.await
}

/// Replaces a bot message in place (menu navigation). Pressing the same button twice is not
/// an error; when the message can no longer be edited, the text is sent as a new message.
pub async fn edit_or_send(
    bot: &Bot,
    chat: ChatId,
    message: Option<MessageId>,
    text: impl Into<String>,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let text = text.into();
    if let Some(message_id) = message {
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
    bot: &Bot,
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
        if current.chars().count() + block.chars().count() > MAX_MESSAGE_CHARS {
            messages.push(std::mem::take(&mut current));
            current = block.trim_start().to_owned();
        } else {
            current.push_str(&block);
        }
    }
    messages.push(current);
    messages
}

fn truncate(block: String) -> String {
    if block.chars().count() <= MAX_MESSAGE_CHARS {
        return block;
    }
    // Only reachable with absurd data; a plain-text cut is better than a refused message.
    let plain: String = block.replace(['<', '>'], "");
    plain.chars().take(MAX_MESSAGE_CHARS - 1).collect::<String>() + "…"
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
    fn one_short_message_stays_one() {
        assert_eq!(pack("a".into(), vec!["b".into(), "c".into()]), vec!["abc".to_string()]);
    }
}
