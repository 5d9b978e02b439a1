//! Shop: the plans, one plan, buying it (confirm screen, Confirm, Cancel) and the customer's
//! subscriptions with their logins: renewing one (the same confirm screen) and auto-renew;
//! buying as a gift, and the gifts a customer bought.
mod checkout;
pub mod gift;
mod plans;
mod promo;
mod subscriptions;

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use serde::{Deserialize, Serialize};
use teloxide::prelude::*;

use crate::bot::state::{self, ChatDialogue};
use crate::bot::ui::{callback, command, Callback, Goto, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Plans,
    #[command(aliases = ["subscriptions"], hide_aliases)]
    MySubs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Show one plan.
    Plan(i32),
    /// Open the confirm screen for a plan.
    Buy(i32),
    /// Pay a pending order from the wallet.
    Confirm(i32),
    /// Cancel a pending order.
    Cancel(i32),
    /// Show one of the customer's subscriptions.
    Sub(i32),
    /// Open the checkout renewing a subscription.
    Renew(i32),
    /// Auto-renew on or off for a subscription.
    AutoRenew(i32, bool),
    /// "Have a code?" for a pending order.
    EnterCode(i32),
    /// Take the code off a pending order.
    RemoveCode(i32),
    /// A pending order's confirm screen again.
    Review(i32),
    /// Buy a pending order as a gift, or for oneself again.
    Gift(i32, bool),
}

/// What the shop asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// A promo code for pending order `order_id`.
    PromoCode { order_id: i32 },
}

impl Callback for Action {
    const PREFIX: &'static str = "s";

    fn encode(&self) -> String {
        match self {
            Action::Plan(id) => format!("p:{id}"),
            Action::Buy(id) => format!("b:{id}"),
            Action::Confirm(id) => format!("c:{id}"),
            Action::Cancel(id) => format!("x:{id}"),
            Action::Sub(id) => format!("s:{id}"),
            Action::Renew(id) => format!("r:{id}"),
            Action::AutoRenew(id, on) => format!("a:{id}:{}", u8::from(*on)),
            Action::EnterCode(id) => format!("e:{id}"),
            Action::RemoveCode(id) => format!("k:{id}"),
            Action::Review(id) => format!("v:{id}"),
            Action::Gift(id, on) => format!("g:{id}:{}", u8::from(*on)),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        let (tag, rest) = payload.split_once(':')?;
        if tag == "a" || tag == "g" {
            let (id, on) = rest.split_once(':')?;
            let on = match on {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            let id = callback::id(id)?;
            return Some(if tag == "a" { Action::AutoRenew(id, on) } else { Action::Gift(id, on) });
        }
        let id = callback::id(rest)?;
        Some(match tag {
            "p" => Action::Plan(id),
            "b" => Action::Buy(id),
            "c" => Action::Confirm(id),
            "x" => Action::Cancel(id),
            "s" => Action::Sub(id),
            "r" => Action::Renew(id),
            "e" => Action::EnterCode(id),
            "k" => Action::RemoveCode(id),
            "v" => Action::Review(id),
            _ => return None,
        })
    }
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(on_command))
        .branch(callback::on::<Action>().endpoint(on_action))
        .branch(callback::goto(|g| matches!(g, Goto::Plans | Goto::Subscriptions).then_some(g)).endpoint(on_goto))
        .branch(state::step::<Step>().endpoint(on_step))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    match command {
        // Staff see ids, costs and stock in the same list.
        Command::Plans => plans::list(&reply, &ctx, &actor, false).await,
        Command::MySubs => subscriptions::list(&reply, &ctx, &actor).await,
    }
}

async fn on_goto(reply: Reply, ctx: Arc<Ctx>, actor: Actor, goto: Goto) -> HandlerResult {
    match goto {
        Goto::Subscriptions => subscriptions::list(&reply, &ctx, &actor).await,
        _ => plans::list(&reply, &ctx, &actor, true).await,
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
    match step {
        Step::PromoCode { order_id } => {
            promo::typed(&reply, &ctx, &actor, &dialogue, order_id, msg.text().unwrap_or_default()).await
        }
    }
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, dialogue: ChatDialogue, action: Action) -> HandlerResult {
    match action {
        Action::Plan(plan_id) => plans::show(&reply, &ctx, &actor, plan_id).await,
        Action::Buy(plan_id) => checkout::open(&reply, &ctx, &actor, plan_id).await,
        Action::Confirm(order_id) => checkout::confirm(&reply, &ctx, &actor, order_id).await,
        Action::Cancel(order_id) => checkout::cancel(&reply, &ctx, &actor, order_id).await,
        Action::Sub(id) => subscriptions::show(&reply, &ctx, &actor, id).await,
        Action::Renew(id) => checkout::renew(&reply, &ctx, &actor, id).await,
        Action::AutoRenew(id, on) => subscriptions::auto_renew(&reply, &ctx, &actor, id, on).await,
        Action::EnterCode(id) => promo::ask(&reply, &dialogue, id).await,
        Action::RemoveCode(id) => promo::remove(&reply, &ctx, &actor, id).await,
        Action::Review(id) => checkout::review(&reply, &ctx, &actor, id).await,
        Action::Gift(id, on) => gift::set(&reply, &ctx, &actor, id, on).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        for action in [
            Action::Plan(i32::MAX),
            Action::Buy(1),
            Action::Confirm(i32::MAX),
            Action::Cancel(7),
            Action::Sub(i32::MAX),
            Action::Renew(3),
            Action::AutoRenew(i32::MAX, true),
            Action::AutoRenew(5, false),
            Action::EnterCode(i32::MAX),
            Action::RemoveCode(2),
            Action::Review(9),
            Action::Gift(i32::MAX, true),
            Action::Gift(4, false),
        ] {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in [
            "s:",
            "s:c:",
            "s:c:abc",
            "s:c:-1",
            "s:c:0",
            "s:q:5",
            "s:c:99999999999",
            "s:p:1:2",
            "g:c:1",
            "s:a:1",
            "s:a:1:2",
            "s:a:0:1",
            "s:g:1",
            "s:g:1:2",
        ] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }
}
