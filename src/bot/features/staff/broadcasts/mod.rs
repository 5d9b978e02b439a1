//! /broadcast: an admin composes an announcement (a message or a photo with a caption, an
//! optional URL button), sees it as customers will, picks an audience and confirms; the
//! sender (`bot::broadcast`) delivers it and keeps one progress message up to date, whose
//! Pause, Resume and Stop buttons are handled here. /broadcasts lists the recent ones.
mod compose;
mod control;
pub mod message;

use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::state;
use crate::bot::ui::{callback, command, permitted, Callback};
use crate::bot::HandlerError;
use crate::domain::broadcast::{Audience, Content};
use crate::domain::Permission;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Send an announcement to customers.
    Broadcast,
    /// Recent broadcasts and their progress.
    Broadcasts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Composing: no button under the message.
    NoButton,
    /// Composing: this audience (its code), to the confirm screen.
    Audience(String),
    /// Composing: back to the audiences.
    Back,
    /// Composing: send it to this audience.
    Send(String),
    /// Composing: drop the draft.
    Discard,
    Pause(i32),
    Resume(i32),
    /// Asks before stopping for good.
    Stop(i32),
    StopConfirmed(i32),
}

impl Callback for Action {
    const PREFIX: &'static str = "b";

    fn encode(&self) -> String {
        match self {
            Action::NoButton => "n".into(),
            Action::Audience(code) => format!("a:{code}"),
            Action::Back => "k".into(),
            Action::Send(code) => format!("s:{code}"),
            Action::Discard => "x".into(),
            Action::Pause(id) => format!("p:{id}"),
            Action::Resume(id) => format!("r:{id}"),
            Action::Stop(id) => format!("c:{id}"),
            Action::StopConfirmed(id) => format!("cy:{id}"),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        let (verb, rest) = payload.split_once(':').unwrap_or((payload, ""));
        let id = || rest.parse::<i32>().ok();
        let audience = || Audience::parse(rest).map(|a| a.code());
        Some(match verb {
            "n" => Action::NoButton,
            "a" => Action::Audience(audience()?),
            "k" => Action::Back,
            "s" => Action::Send(audience()?),
            "x" => Action::Discard,
            "p" => Action::Pause(id()?),
            "r" => Action::Resume(id()?),
            "c" => Action::Stop(id()?),
            "cy" => Action::StopConfirmed(id()?),
            _ => return None,
        })
    }

    fn keeps_dialogue(&self) -> bool {
        matches!(self, Action::NoButton | Action::Audience(_) | Action::Back | Action::Send(_))
    }
}

/// The compose dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Waiting for the message itself.
    Message,
    /// Waiting for `Label | https://…`, or No button.
    Button { content: Content },
    /// Previewed: choosing the audience, then confirming.
    Audience { content: Content },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    let guarded = |h| permitted(Permission::ManageOffers, h);
    dptree::entry()
        .branch(command::on::<Command>().chain(guarded(dptree::endpoint(on_command))))
        .branch(callback::on::<Action>().chain(guarded(dptree::endpoint(on_action))))
        .branch(state::step::<Step>().chain(guarded(dptree::endpoint(compose::on_step))))
}

async fn on_command(
    reply: crate::bot::ui::Reply,
    ctx: std::sync::Arc<crate::bot::Ctx>,
    actor: crate::services::Actor,
    dialogue: state::ChatDialogue,
    command: Command,
) -> crate::bot::HandlerResult {
    match command {
        Command::Broadcast => compose::start(&reply, &dialogue).await,
        Command::Broadcasts => control::list(&reply, &ctx, &actor).await,
    }
}

async fn on_action(
    reply: crate::bot::ui::Reply,
    ctx: std::sync::Arc<crate::bot::Ctx>,
    actor: crate::services::Actor,
    dialogue: state::ChatDialogue,
    state: state::State,
    action: Action,
) -> crate::bot::HandlerResult {
    match action {
        Action::Pause(id) | Action::Resume(id) | Action::Stop(id) | Action::StopConfirmed(id) => {
            control::on_control(&reply, &ctx, &actor, &action, id).await
        }
        _ => compose::on_action(&reply, &ctx, &actor, &dialogue, state, action).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_within_telegrams_limit() {
        let all = [
            Action::NoButton,
            Action::Audience("expired:365".into()),
            Action::Back,
            Action::Send("lang:hi".into()),
            Action::Discard,
            Action::Pause(i32::MAX),
            Action::Resume(7),
            Action::Stop(7),
            Action::StopConfirmed(7),
        ];
        for action in all {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        assert_eq!(callback::parse::<Action>("b:a:nobody"), None);
    }
}
