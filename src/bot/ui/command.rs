//! Commands in message text (or a document's caption). Each feature derives `BotCommands`
//! for its own enum; this is where a message becomes one.
use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state::{ChatDialogue, State};
use crate::bot::{Ctx, HandlerError};

/// `/Cmd@our_bot args…` as `C`. Phones capitalise the first letter, so the name is matched
/// in any case; arguments may start on the next line. A command addressed to another bot is
/// not ours.
pub fn parse<C: BotCommands>(text: &str, bot_username: &str) -> Option<C> {
    let text = text.trim_start();
    if !text.starts_with('/') {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (head, args) = text.split_at(end);
    let normalised = format!("{} {}", head.to_lowercase(), args.trim());
    C::parse(&normalised, bot_username).ok()
}

/// Messages carrying one of `C`'s commands. A command leaves any dialogue half-way.
pub fn on<C: BotCommands + Clone + Send + Sync + 'static>() -> UpdateHandler<HandlerError> {
    Update::filter_message()
        .filter_map(|msg: Message, ctx: Arc<Ctx>| parse::<C>(msg.text().or(msg.caption())?, &ctx.bot_username))
        .inspect_async(|dialogue: ChatDialogue, state: State| async move {
            if state != State::Idle {
                if let Err(err) = dialogue.exit().await {
                    log::warn!("leaving the dialogue of chat {}: {err}", dialogue.chat_id());
                }
            }
        })
}

/// The message an admin act came in identifies it: a replayed update is applied once.
pub fn event_key(msg: &Message) -> String {
    format!("{}:{}", msg.chat.id.0, msg.id.0)
}

/// A text that looks like a command at all (`/something`), ours or not.
pub fn looks_like_command(text: &str) -> bool {
    text.trim_start().starts_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(BotCommands, Clone, Debug, PartialEq)]
    #[command(rename_rule = "lowercase")]
    enum Sample {
        Start(String),
        Plans,
        AddStock(String),
        #[command(aliases = ["balance"])]
        Wallet,
    }

    #[test]
    fn parses_commands_as_people_type_them() {
        let p = |text| parse::<Sample>(text, "shop_bot");
        assert_eq!(p("/start"), Some(Sample::Start(String::new())));
        assert_eq!(p("/start ref_ABCDEFGH"), Some(Sample::Start("ref_ABCDEFGH".into())));
        assert_eq!(p("  /Start ref_X "), Some(Sample::Start("ref_X".into())));
        assert_eq!(p("/Plans@Shop_Bot"), Some(Sample::Plans));
        assert_eq!(p("/plans@other_bot"), None);
        assert_eq!(p("/plans and more"), Some(Sample::Plans));
        assert_eq!(p("/addstock 3\na\nb"), Some(Sample::AddStock("3\na\nb".into())));
        assert_eq!(p("/addstock\n3\na"), Some(Sample::AddStock("3\na".into())));
        assert_eq!(p("/BALANCE"), Some(Sample::Wallet));
        assert_eq!(p("/whatever"), None);
        assert_eq!(p("plans"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("/"), None);
    }
}
