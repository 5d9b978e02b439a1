//! Support: /support, the customer's ticket with the shop's helpers (each message relayed to
//! them, their replies relayed back), and "login not working" for a subscription (a reason,
//! an optional note or screenshot, then the report).
mod report;
mod tickets;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state::{self, ChatDialogue};
use crate::bot::ui::{callback, command, Callback, Goto, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::entities::login_report::ReportReason;
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Support,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// What is wrong with subscription `.0`'s login.
    Reason(i32, ReportReason),
    /// Send the report without a note.
    SendReport(i32, ReportReason),
    /// Write to support (into the open ticket, or a new one).
    Write,
    /// The customer closes their ticket.
    CloseTicket(i32),
    /// The customer's tickets, open and closed.
    Tickets,
}

fn reason_tag(reason: ReportReason) -> &'static str {
    match reason {
        ReportReason::WrongPassword => "wp",
        ReportReason::ScreenLimit => "sl",
        ReportReason::ExpiredEarly => "ee",
        ReportReason::Other => "ot",
    }
}

fn reason_of(tag: &str) -> Option<ReportReason> {
    ReportReason::ALL.into_iter().find(|r| reason_tag(*r) == tag)
}

impl Callback for Action {
    const PREFIX: &'static str = "c";

    fn encode(&self) -> String {
        match self {
            Action::Reason(sub, reason) => format!("r:{sub}:{}", reason_tag(*reason)),
            Action::SendReport(sub, reason) => format!("n:{sub}:{}", reason_tag(*reason)),
            Action::Write => "w".into(),
            Action::CloseTicket(id) => format!("c:{id}"),
            Action::Tickets => "l".into(),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        let parts: Vec<&str> = payload.split(':').collect();
        Some(match parts.as_slice() {
            ["r", sub, tag] => Action::Reason(callback::id(sub)?, reason_of(tag)?),
            ["n", sub, tag] => Action::SendReport(callback::id(sub)?, reason_of(tag)?),
            ["w"] => Action::Write,
            ["c", id] => Action::CloseTicket(callback::id(id)?),
            ["l"] => Action::Tickets,
            _ => return None,
        })
    }
}

/// What the customer is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// An optional note or screenshot for the report on subscription `subscription_id`.
    ReportNote { subscription_id: i32, reason: ReportReason },
    /// Everything they write goes to support until they leave.
    Message,
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(on_command))
        .branch(callback::on::<Action>().endpoint(on_action))
        .branch(
            callback::goto(|g| match g {
                Goto::ReportLogin { subscription } => Some(Some(subscription)),
                Goto::Support => Some(None),
                _ => None,
            })
            .endpoint(on_goto),
        )
        .branch(state::step::<Step>().endpoint(on_step))
}

async fn on_command(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    command: Command,
) -> HandlerResult {
    match command {
        Command::Support => tickets::open(&reply, &ctx, &actor, &dialogue).await,
    }
}

async fn on_goto(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    subscription: Option<i32>,
) -> HandlerResult {
    match subscription {
        Some(id) => report::start(&reply, &ctx, &actor, id).await,
        None => tickets::open(&reply, &ctx, &actor, &dialogue).await,
    }
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, dialogue: ChatDialogue, action: Action) -> HandlerResult {
    match action {
        Action::Reason(sub, reason) => report::ask_note(&reply, &dialogue, sub, reason).await,
        Action::SendReport(sub, reason) => report::send(&reply, &ctx, &actor, sub, reason, None, None).await,
        Action::Write => tickets::write(&reply, &dialogue).await,
        Action::CloseTicket(id) => tickets::close(&reply, &ctx, &actor, id).await,
        Action::Tickets => tickets::list(&reply, &ctx, &actor).await,
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
    let text = msg.text().or(msg.caption());
    let photo = msg.photo().and_then(|sizes| sizes.last()).map(|p| p.file.id.to_string());
    match step {
        Step::ReportNote { subscription_id, reason } => {
            if text.is_none() && photo.is_none() {
                return report::not_a_note(&reply, subscription_id, reason).await;
            }
            dialogue.exit().await?;
            report::send(&reply, &ctx, &actor, subscription_id, reason, text, photo).await
        }
        Step::Message => tickets::said(&reply, &ctx, &actor, text, photo).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        let mut all = vec![Action::Write, Action::CloseTicket(i32::MAX), Action::Tickets];
        for reason in ReportReason::ALL {
            all.push(Action::Reason(i32::MAX, reason));
            all.push(Action::SendReport(1, reason));
        }
        for action in all {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["c:r:1", "c:r:1:xx", "c:r:0:wp", "c:c:", "c:w:1", "c:n:1:wp:2"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }
}
