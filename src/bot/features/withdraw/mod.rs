//! Withdraw: referral earnings to UPI. Amount (typed, or "all of it") -> UPI ID (typed, or
//! the last one) -> Confirm, which reserves the money at once; an admin pays it out.
mod request;

use std::sync::Arc;

use rust_i18n::t;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state::{self, ChatDialogue};
use crate::bot::ui::{callback, command, Callback, Goto, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Withdraw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Withdraw this many paise (the "all of it" button).
    All(i64),
    /// Use the UPI ID of the last request.
    LastVpa,
    /// Confirm the request held in the dialogue.
    Confirm,
}

impl Callback for Action {
    const PREFIX: &'static str = "d";

    fn encode(&self) -> String {
        match self {
            Action::All(paise) => format!("a:{paise}"),
            Action::LastVpa => "v".into(),
            Action::Confirm => "c".into(),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        let parts: Vec<&str> = payload.split(':').collect();
        Some(match parts.as_slice() {
            ["a", paise] => Action::All(callback::paise(paise)?),
            ["v"] => Action::LastVpa,
            ["c"] => Action::Confirm,
            _ => return None,
        })
    }

    fn keeps_dialogue(&self) -> bool {
        matches!(self, Action::LastVpa | Action::Confirm)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// How much to withdraw.
    Amount,
    /// The UPI ID to receive `amount` paise.
    Vpa { amount: i64 },
    /// Waiting for Confirm.
    Confirm { amount: i64, vpa: String },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(start))
        .branch(callback::goto(|g| (g == Goto::Withdraw).then_some(())).endpoint(start))
        .branch(callback::on::<Action>().endpoint(on_action))
        .branch(state::step::<Step>().endpoint(on_step))
}

async fn start(reply: Reply, ctx: Arc<Ctx>, actor: Actor, dialogue: ChatDialogue) -> HandlerResult {
    request::start(&reply, &ctx, &actor, &dialogue).await
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, dialogue: ChatDialogue, action: Action) -> HandlerResult {
    match action {
        Action::All(paise) => request::amount_chosen(&reply, &ctx, &actor, &dialogue, paise).await,
        Action::LastVpa => request::last_vpa_chosen(&reply, &ctx, &actor, &dialogue).await,
        Action::Confirm => request::confirm(&reply, &ctx, &actor, &dialogue).await,
    }
}

async fn on_step(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    msg: Message,
    step: Step,
) -> HandlerResult {
    let text = msg.text().unwrap_or_default();
    match step {
        Step::Amount => request::amount_typed(&reply, &ctx, &actor, &dialogue, text).await,
        Step::Vpa { amount } => request::vpa_typed(&reply, &dialogue, amount, text).await,
        Step::Confirm { .. } => {
            reply.send(t!("withdraw.use_buttons", locale = reply.lang), None).await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        for action in [Action::All(i64::MAX), Action::LastVpa, Action::Confirm] {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["d:a:0", "d:a:-5", "d:c:1", "d:"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }
}
