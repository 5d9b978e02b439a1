//! Wallet and payments: the balance and recent activity, top-ups, and paying with money from
//! outside (UPI with a UTR, Razorpay links, Telegram Stars) for a top-up or a purchase.
mod pay;
mod qr;
mod screens;
mod stars;
mod upi;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state::{self, ChatDialogue};
use crate::bot::ui::{callback, command, Callback, Goto, Method, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::Money;
use crate::services::Actor;

pub use stars::{pre_checkout, successful_payment};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    #[command(aliases = ["balance"], hide_aliases)]
    Wallet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask for a top-up amount to type.
    TopUpCustom,
    /// A preset top-up amount (paise): pick the method next.
    TopUpAmount(i64),
    /// Pay a top-up of `amount` paise with `method`.
    PayTopUp { amount: i64, method: Method },
    /// "I've paid" under a UPI payment: ask for the UTR.
    UpiPaid(i32),
}

impl Callback for Action {
    const PREFIX: &'static str = "w";

    fn encode(&self) -> String {
        match self {
            Action::TopUpCustom => "c".into(),
            Action::TopUpAmount(paise) => format!("a:{paise}"),
            Action::PayTopUp { amount, method } => format!("t:{amount}:{}", method.tag()),
            Action::UpiPaid(id) => format!("u:{id}"),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        let parts: Vec<&str> = payload.split(':').collect();
        Some(match parts.as_slice() {
            ["c"] => Action::TopUpCustom,
            ["a", paise] => Action::TopUpAmount(callback::paise(paise)?),
            ["t", amount, method] => {
                Action::PayTopUp { amount: callback::paise(amount)?, method: Method::from_tag(method)? }
            }
            ["u", id] => Action::UpiPaid(callback::id(id)?),
            _ => return None,
        })
    }

    fn keeps_dialogue(&self) -> bool {
        matches!(self, Action::TopUpCustom | Action::UpiPaid(_))
    }
}

/// The questions this feature asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// A top-up amount to type.
    TopUpAmount,
    /// The UTR of UPI payment `payment_id`.
    UpiUtr { payment_id: i32 },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(on_command))
        .branch(callback::on::<Action>().endpoint(on_action))
        .branch(
            callback::goto(|g| matches!(g, Goto::Wallet | Goto::TopUp | Goto::PayOrder { .. }).then_some(g))
                .endpoint(on_goto),
        )
        .branch(state::step::<Step>().endpoint(on_step))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    let Command::Wallet = command;
    screens::wallet(&reply, &ctx, &actor).await
}

async fn on_goto(reply: Reply, ctx: Arc<Ctx>, actor: Actor, goto: Goto) -> HandlerResult {
    match goto {
        Goto::PayOrder { order, method, full } => pay::order(&reply, &ctx, &actor, order, method, full).await,
        Goto::TopUp => screens::top_up(&reply, &ctx).await,
        _ => screens::wallet(&reply, &ctx, &actor).await,
    }
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, dialogue: ChatDialogue, action: Action) -> HandlerResult {
    match action {
        Action::TopUpCustom => screens::ask_amount(&reply, &ctx, &dialogue).await,
        Action::TopUpAmount(paise) => screens::choose_method(&reply, &ctx, Money::from_paise(paise)).await,
        Action::PayTopUp { amount, method } => {
            pay::top_up(&reply, &ctx, &actor, Money::from_paise(amount), method).await
        }
        Action::UpiPaid(payment_id) => upi::ask_utr(&reply, &dialogue, payment_id).await,
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
        Step::TopUpAmount => screens::amount_typed(&reply, &ctx, &dialogue, &msg).await,
        Step::UpiUtr { payment_id } => upi::utr_typed(&reply, &ctx, &actor, &dialogue, &msg, payment_id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        let all = [
            Action::TopUpCustom,
            Action::TopUpAmount(i64::MAX),
            Action::PayTopUp { amount: i64::MAX, method: Method::Razorpay },
            Action::PayTopUp { amount: 100, method: Method::Upi },
            Action::UpiPaid(i32::MAX),
        ];
        for action in all {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["w:", "w:a:0", "w:a:-5", "w:t:100", "w:t:100:z", "w:u:", "w:c:1"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }
}
