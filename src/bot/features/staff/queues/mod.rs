//! Staff queues: UPI claims, withdrawals and fraud flags. Support and up see them
//! (/claims, /withdrawals, /flags); admins decide with the buttons (Approve / Reject with a
//! reason, Mark paid with the payout UTR, Payout failed) and block or unblock customers.
mod flags;
pub mod keyboards;
mod upi;
mod withdrawals;

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

pub use flags::{finding, flag_ids};

/// What waits: for support and up.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Claims,
    Withdrawals,
    Flags,
}

/// Blocking: for admins.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Moderation {
    /// `/block <telegram_id> [reason]`
    Block(String),
    /// `/unblock <telegram_id>`
    Unblock(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    UpiApprove(i32),
    UpiReject(i32),
    WithdrawalApprove(i32),
    WithdrawalReject(i32),
    WithdrawalPaid(i32),
    WithdrawalFailed(i32),
    /// The flag is harmless (or dealt with).
    FlagResolve(i32),
    /// Block the flagged customer.
    FlagBlock(i32),
}

impl Action {
    fn permission(&self) -> Permission {
        match self {
            Action::FlagResolve(_) | Action::FlagBlock(_) => Permission::Moderate,
            _ => Permission::DecidePayments,
        }
    }
}

impl Callback for Action {
    const PREFIX: &'static str = "q";

    fn encode(&self) -> String {
        let (tag, id) = match self {
            Action::UpiApprove(id) => ("ua", id),
            Action::UpiReject(id) => ("ur", id),
            Action::WithdrawalApprove(id) => ("wa", id),
            Action::WithdrawalReject(id) => ("wr", id),
            Action::WithdrawalPaid(id) => ("wp", id),
            Action::WithdrawalFailed(id) => ("wf", id),
            Action::FlagResolve(id) => ("fr", id),
            Action::FlagBlock(id) => ("fb", id),
        };
        format!("{tag}:{id}")
    }

    fn decode(payload: &str) -> Option<Action> {
        let (tag, id) = payload.split_once(':')?;
        let id = callback::id(id)?;
        Some(match tag {
            "ua" => Action::UpiApprove(id),
            "ur" => Action::UpiReject(id),
            "wa" => Action::WithdrawalApprove(id),
            "wr" => Action::WithdrawalReject(id),
            "wp" => Action::WithdrawalPaid(id),
            "wf" => Action::WithdrawalFailed(id),
            "fr" => Action::FlagResolve(id),
            "fb" => Action::FlagBlock(id),
            _ => return None,
        })
    }

    /// The questions these ask are in the admin's private chat; a button pressed meanwhile
    /// (another claim's Reject) must not cancel them.
    fn keeps_dialogue(&self) -> bool {
        matches!(
            self,
            Action::UpiReject(_)
                | Action::WithdrawalReject(_)
                | Action::WithdrawalPaid(_)
                | Action::WithdrawalFailed(_)
        )
    }
}

/// Questions to an admin, asked in their private chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Why UPI claim `claim_id` is rejected.
    UpiRejectReason { claim_id: i32 },
    /// Why withdrawal `withdrawal_id` is rejected (pending) or why its payout failed (approved).
    WithdrawalRejectReason { withdrawal_id: i32, payout_failed: bool },
    /// The UTR of withdrawal `withdrawal_id`'s payout.
    WithdrawalPayoutUtr { withdrawal_id: i32 },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(on_command))))
        .branch(command::on::<Moderation>().chain(permitted(Permission::Moderate, dptree::endpoint(on_moderation))))
        .branch(callback::on::<Action>().chain(permitted_for(Action::permission, dptree::endpoint(on_action))))
        .branch(state::step::<Step>().chain(permitted(Permission::DecidePayments, dptree::endpoint(on_step))))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    match command {
        Command::Claims => upi::list(&reply, &ctx, &actor).await,
        Command::Withdrawals => withdrawals::list(&reply, &ctx, &actor).await,
        Command::Flags => flags::list(&reply, &ctx, &actor).await,
    }
}

async fn on_moderation(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Moderation) -> HandlerResult {
    match command {
        Moderation::Block(args) => flags::block_command(&reply, &ctx, &actor, &args, true).await,
        Moderation::Unblock(args) => flags::block_command(&reply, &ctx, &actor, &args, false).await,
    }
}

async fn on_action(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    store: Arc<DbDialogueStore>,
    action: Action,
) -> HandlerResult {
    // Questions are asked in the admin's private chat, where dialogues live, even when the
    // button was pressed in the staff group.
    let private = state::ChatDialogue::new(store, ChatId(actor.telegram_id));
    let ask = reply.to_chat(ChatId(actor.telegram_id));
    match action {
        Action::UpiApprove(id) => upi::approve(&reply, &ctx, &actor, id).await,
        Action::UpiReject(id) => upi::ask_reason(&ask, &private, id).await,
        Action::WithdrawalApprove(id) => withdrawals::approve(&reply, &ctx, &actor, id).await,
        Action::WithdrawalReject(id) => withdrawals::ask_reason(&ask, &ctx, &private, id, false).await,
        Action::WithdrawalFailed(id) => withdrawals::ask_reason(&ask, &ctx, &private, id, true).await,
        Action::WithdrawalPaid(id) => withdrawals::ask_utr(&ask, &ctx, &private, id).await,
        Action::FlagResolve(id) => flags::resolve(&reply, &ctx, &actor, id).await,
        Action::FlagBlock(id) => flags::block_flagged(&reply, &ctx, &actor, id).await,
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
    let text = msg.text().unwrap_or_default();
    match step {
        Step::UpiRejectReason { claim_id } => upi::reason_typed(&reply, &ctx, &actor, &dialogue, claim_id, text).await,
        Step::WithdrawalRejectReason { withdrawal_id, payout_failed } => {
            withdrawals::reason_typed(&reply, &ctx, &actor, &dialogue, withdrawal_id, payout_failed, text).await
        }
        Step::WithdrawalPayoutUtr { withdrawal_id } => {
            withdrawals::utr_typed(&reply, &ctx, &actor, &dialogue, withdrawal_id, text).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        let all = [
            Action::UpiApprove(1),
            Action::UpiReject(i32::MAX),
            Action::WithdrawalApprove(i32::MAX),
            Action::WithdrawalReject(3),
            Action::WithdrawalPaid(4),
            Action::WithdrawalFailed(7),
            Action::FlagResolve(5),
            Action::FlagBlock(6),
        ];
        for action in all {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["q:wa:", "q:fb:x", "q:zz:1", "q:ua:0", "q:ua:1:2"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }

    #[test]
    fn moving_money_needs_more_than_moderating() {
        assert_eq!(Action::UpiApprove(1).permission(), Permission::DecidePayments);
        assert_eq!(Action::WithdrawalPaid(1).permission(), Permission::DecidePayments);
        assert_eq!(Action::FlagBlock(1).permission(), Permission::Moderate);
    }
}
