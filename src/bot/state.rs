//! A chat's dialogue state: which feature's question it is in the middle of. It is stored in
//! the database (a restart keeps it) and entered once per update, for messages and buttons
//! alike. Each feature owns its `Step` enum; `State` is the list of them.
use serde::{Deserialize, Serialize};
use teloxide::dispatching::dialogue::Dialogue;

use crate::bot::features::staff::{approvals, broadcasts, catalog, desk, queues};
use crate::bot::features::{shop, support, wallet, withdraw};
use crate::services::dialogue_store::DbDialogueStore;

pub type ChatDialogue = Dialogue<State, DbDialogueStore>;

macro_rules! state {
    ($($variant:ident($step:ty)),* $(,)?) => {
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub enum State {
            #[default]
            Idle,
            $($variant($step),)*
        }

        $(
            impl From<$step> for State {
                fn from(step: $step) -> State {
                    State::$variant(step)
                }
            }

            impl TryFrom<State> for $step {
                type Error = ();

                fn try_from(state: State) -> Result<$step, ()> {
                    match state {
                        State::$variant(step) => Ok(step),
                        _ => Err(()),
                    }
                }
            }
        )*
    };
}

state! {
    Wallet(wallet::Step),
    Withdraw(withdraw::Step),
    Catalog(catalog::Step),
    Queues(queues::Step),
    Approvals(approvals::Step),
    Support(support::Step),
    Shop(shop::Step),
    Desk(desk::Step),
    Broadcast(broadcasts::Step),
}

/// Messages answering a question of `S`'s feature, with the step they answer.
pub fn step<S>() -> teloxide::dispatching::UpdateHandler<crate::bot::HandlerError>
where
    S: TryFrom<State> + Clone + Send + Sync + 'static,
{
    use teloxide::dispatching::UpdateFilterExt;
    // A command is never an answer: it goes to its feature (and leaves the dialogue).
    teloxide::types::Update::filter_message()
        .filter(|msg: teloxide::types::Message| !msg.text().is_some_and(crate::bot::ui::command::looks_like_command))
        .filter_map(|state: State| S::try_from(state).ok())
}
