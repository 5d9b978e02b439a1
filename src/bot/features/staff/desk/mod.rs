//! The help desk: login reports (Replace the login, Reply, Close; /reports), support tickets
//! (Reply, Close, the history; /tickets) and /rotate for a shared login whose password
//! changed. Support and up answer customers; changing stock is for admins.
mod keyboard;
mod reports;
mod rotate;
mod tickets;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state;
use crate::bot::ui::{callback, command, permitted, permitted_for, Callback, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::Permission;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::Actor;

pub use keyboard::{report_buttons, ticket_buttons};
pub use reports::alert_text as report_alert_text;
pub use tickets::message_text as ticket_message_text;

/// What waits for an answer: for support and up.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Reports,
    /// `/tickets` (open) or `/tickets closed`.
    Tickets(String),
}

/// For admins: `/rotate <stock_id>`, the new login on the next line (or asked for).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Rotation {
    Rotate(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReportReplace(i32),
    ReportReply(i32),
    ReportClose(i32),
    TicketReply(i32),
    TicketClose(i32),
    TicketShow(i32),
}

impl Callback for Action {
    const PREFIX: &'static str = "sd";

    fn encode(&self) -> String {
        let (tag, id) = match self {
            Action::ReportReplace(id) => ("rx", id),
            Action::ReportReply(id) => ("rr", id),
            Action::ReportClose(id) => ("rc", id),
            Action::TicketReply(id) => ("tr", id),
            Action::TicketClose(id) => ("tc", id),
            Action::TicketShow(id) => ("ts", id),
        };
        format!("{tag}:{id}")
    }

    fn decode(payload: &str) -> Option<Action> {
        let (tag, id) = payload.split_once(':')?;
        let id = callback::id(id)?;
        Some(match tag {
            "rx" => Action::ReportReplace(id),
            "rr" => Action::ReportReply(id),
            "rc" => Action::ReportClose(id),
            "tr" => Action::TicketReply(id),
            "tc" => Action::TicketClose(id),
            "ts" => Action::TicketShow(id),
            _ => return None,
        })
    }

    /// The reply is typed in the helper's private chat; another alert's button pressed
    /// meanwhile must not cancel it.
    fn keeps_dialogue(&self) -> bool {
        matches!(self, Action::ReportReply(_) | Action::TicketReply(_))
    }
}

impl Action {
    fn permission(&self) -> Permission {
        match self {
            Action::TicketShow(_) => Permission::View,
            _ => Permission::HelpCustomers,
        }
    }
}

/// Questions to a helper, asked in their private chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    ReportReply {
        report_id: i32,
    },
    TicketReply {
        ticket_id: i32,
    },
    /// The new login of stock item `stock_id`.
    RotateLogin {
        stock_id: i32,
    },
}

impl Step {
    fn permission(&self) -> Permission {
        match self {
            Step::RotateLogin { .. } => Permission::ManageCatalog,
            _ => Permission::HelpCustomers,
        }
    }
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(on_command))))
        .branch(command::on::<Rotation>().chain(permitted(Permission::ManageCatalog, dptree::endpoint(on_rotation))))
        .branch(callback::on::<Action>().chain(permitted_for(Action::permission, dptree::endpoint(on_action))))
        .branch(state::step::<Step>().chain(permitted_for(Step::permission, dptree::endpoint(on_step))))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    match command {
        Command::Reports => reports::list(&reply, &ctx, &actor).await,
        Command::Tickets(args) => tickets::list(&reply, &ctx, &actor, &args).await,
    }
}

async fn on_rotation(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: state::ChatDialogue,
    command: Rotation,
) -> HandlerResult {
    let Rotation::Rotate(args) = command;
    rotate::command(&reply, &ctx, &actor, &dialogue, &args).await
}

async fn on_action(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    store: Arc<DbDialogueStore>,
    action: Action,
) -> HandlerResult {
    // Replies are typed in the helper's private chat, where dialogues live, even when the
    // button was pressed in the support group.
    let private = state::ChatDialogue::new(store, ChatId(actor.telegram_id));
    let ask = reply.to_chat(ChatId(actor.telegram_id));
    match action {
        Action::ReportReplace(id) => reports::replace(&reply, &ctx, &actor, id).await,
        Action::ReportReply(id) => reports::ask_reply(&ask, &private, id).await,
        Action::ReportClose(id) => reports::close(&reply, &ctx, &actor, id).await,
        Action::TicketReply(id) => tickets::ask_reply(&ask, &private, id).await,
        Action::TicketClose(id) => tickets::close(&reply, &ctx, &actor, id).await,
        Action::TicketShow(id) => tickets::show(&reply, &ctx, &actor, id).await,
    }
}

async fn on_step(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: state::ChatDialogue,
    msg: Message,
    step: Step,
) -> HandlerResult {
    let text = msg.text().or(msg.caption());
    match step {
        Step::ReportReply { report_id } => reports::reply_typed(&reply, &ctx, &actor, &dialogue, report_id, text).await,
        Step::TicketReply { ticket_id } => {
            let photo = msg.photo().and_then(|sizes| sizes.last()).map(|p| p.file.id.to_string());
            tickets::reply_typed(&reply, &ctx, &actor, &dialogue, ticket_id, text, photo).await
        }
        Step::RotateLogin { stock_id } => {
            dialogue.exit().await?;
            rotate::apply(&reply, &ctx, &actor, stock_id, text.unwrap_or_default()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        let all = [
            Action::ReportReplace(i32::MAX),
            Action::ReportReply(1),
            Action::ReportClose(2),
            Action::TicketReply(i32::MAX),
            Action::TicketClose(3),
            Action::TicketShow(4),
        ];
        for action in all {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["sd:rx:", "sd:rx:0", "sd:zz:1", "sd:tr:1:2"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }

    #[test]
    fn helpers_answer_and_admins_rotate() {
        assert_eq!(Action::ReportReplace(1).permission(), Permission::HelpCustomers);
        assert_eq!(Action::TicketShow(1).permission(), Permission::View);
        assert_eq!(Step::RotateLogin { stock_id: 1 }.permission(), Permission::ManageCatalog);
    }
}
