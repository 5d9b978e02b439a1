//! Button payloads. Each feature owns an `Action` enum and a prefix; the data Telegram
//! carries is `<prefix>:<payload>`, at most 64 bytes. `Goto` holds the few places any
//! feature may link to (the menu, plans, wallet…), so no feature imports another.
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardButton;

use crate::bot::state::{ChatDialogue, State};
use crate::bot::tg::Tg;
use crate::bot::HandlerError;

/// Telegram's limit for callback data.
pub const MAX_DATA: usize = 64;

pub trait Callback: Sized + Clone + Send + Sync + 'static {
    /// One per feature; a test checks that no two features share one.
    const PREFIX: &'static str;

    /// The payload after the prefix.
    fn encode(&self) -> String;

    /// None for a payload we did not make (or made in an older version): a stale button.
    fn decode(payload: &str) -> Option<Self>;

    /// A button that answers the question the chat is in the middle of (an amount, a UPI ID,
    /// a reason) keeps the dialogue; any other button leaves it, so later text is not taken
    /// for the answer.
    fn keeps_dialogue(&self) -> bool {
        false
    }
}

pub fn data<A: Callback>(action: &A) -> String {
    format!("{}:{}", A::PREFIX, action.encode())
}

pub fn parse<A: Callback>(data: &str) -> Option<A> {
    let (prefix, payload) = data.split_once(':')?;
    if prefix != A::PREFIX {
        return None;
    }
    A::decode(payload)
}

pub fn button<A: Callback>(label: impl Into<String>, action: A) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.into(), data(&action))
}

/// Callback queries carrying an `A`. The query is answered at once (the spinner stops), and
/// a dialogue the button does not continue is left.
pub fn on<A: Callback>() -> UpdateHandler<HandlerError> {
    decoded::<A>().chain(taken::<A>())
}

fn decoded<A: Callback>() -> UpdateHandler<HandlerError> {
    Update::filter_callback_query().filter_map(|query: CallbackQuery| parse::<A>(query.data.as_deref()?))
}

/// The button is ours to handle: stop its spinner, leave a dialogue it does not continue.
fn taken<A: Callback>() -> UpdateHandler<HandlerError> {
    dptree::inspect_async(|query: CallbackQuery, action: A, tg: Tg, dialogue: ChatDialogue, state: State| async move {
        answer(&tg, &query, None).await;
        if !action.keeps_dialogue() && state != State::Idle {
            if let Err(err) = dialogue.exit().await {
                log::warn!("leaving the dialogue of chat {}: {err}", dialogue.chat_id());
            }
        }
    })
}

/// Stops the button's spinner. Telegram refuses answers to queries older than about 15
/// seconds (a button pressed while we were down); the action itself must still happen.
pub async fn answer(tg: &Tg, query: &CallbackQuery, text: Option<String>) {
    let mut request = tg.answer_callback_query(query.id.clone());
    if let Some(text) = text {
        request = request.text(text);
    }
    let result = request.await;
    crate::bot::tg::record("answerCallbackQuery", &result);
    if let Err(err) = result {
        log::debug!("callback query {} not answered: {err}", query.id);
    }
}

/// A way to pay that needs a gateway or an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Upi,
    Razorpay,
    Stars,
}

impl Method {
    pub fn tag(self) -> &'static str {
        match self {
            Method::Razorpay => "r",
            Method::Upi => "u",
            Method::Stars => "s",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Method> {
        match tag {
            "r" => Some(Method::Razorpay),
            "u" => Some(Method::Upi),
            "s" => Some(Method::Stars),
            _ => None,
        }
    }
}

/// Where any feature may send the customer. Each is handled by the feature that owns it
/// (named on the variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goto {
    /// home
    Menu,
    /// home
    Help,
    /// home
    Language,
    /// shop
    Plans,
    /// shop
    Subscriptions,
    /// wallet
    Wallet,
    /// wallet: the top-up amounts.
    TopUp,
    /// wallet: pay towards pending order `order` with `method`, the difference or the full price.
    PayOrder { order: i32, method: Method, full: bool },
    /// referrals
    Refer,
    /// withdraw
    Withdraw,
    /// support: "login not working" for this subscription.
    ReportLogin { subscription: i32 },
    /// support: /support, the customer's tickets.
    Support,
}

impl Callback for Goto {
    const PREFIX: &'static str = "g";

    fn encode(&self) -> String {
        match self {
            Goto::Menu => "m".into(),
            Goto::Help => "h".into(),
            Goto::Language => "l".into(),
            Goto::Plans => "p".into(),
            Goto::Subscriptions => "s".into(),
            Goto::Wallet => "w".into(),
            Goto::TopUp => "t".into(),
            Goto::PayOrder { order, method, full } => {
                format!("o:{order}:{}:{}", method.tag(), if *full { "f" } else { "d" })
            }
            Goto::Refer => "r".into(),
            Goto::Withdraw => "d".into(),
            Goto::ReportLogin { subscription } => format!("rl:{subscription}"),
            Goto::Support => "u".into(),
        }
    }

    fn decode(payload: &str) -> Option<Goto> {
        let parts: Vec<&str> = payload.split(':').collect();
        Some(match parts.as_slice() {
            ["m"] => Goto::Menu,
            ["h"] => Goto::Help,
            ["l"] => Goto::Language,
            ["p"] => Goto::Plans,
            ["s"] => Goto::Subscriptions,
            ["w"] => Goto::Wallet,
            ["t"] => Goto::TopUp,
            ["r"] => Goto::Refer,
            ["d"] => Goto::Withdraw,
            ["u"] => Goto::Support,
            ["rl", subscription] => Goto::ReportLogin { subscription: id(subscription)? },
            ["o", order, method, full] => Goto::PayOrder {
                order: id(order)?,
                method: Method::from_tag(method)?,
                full: match *full {
                    "f" => true,
                    "d" => false,
                    _ => return None,
                },
            },
            _ => return None,
        })
    }
}

/// Links of one kind, for the feature that owns them: `goto(|g| (g == Goto::Plans).then_some(()))`.
pub fn goto<T: Clone + Send + Sync + 'static>(pick: fn(Goto) -> Option<T>) -> UpdateHandler<HandlerError> {
    decoded::<Goto>().filter_map(move |goto: Goto| pick(goto)).chain(taken::<Goto>())
}

/// A positive id in a payload.
pub fn id(part: &str) -> Option<i32> {
    part.parse::<i32>().ok().filter(|id| *id > 0)
}

/// A positive amount in paise in a payload.
pub fn paise(part: &str) -> Option<i64> {
    part.parse::<i64>().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_fit() {
        let all = [
            Goto::Menu,
            Goto::Help,
            Goto::Language,
            Goto::Plans,
            Goto::Subscriptions,
            Goto::Wallet,
            Goto::TopUp,
            Goto::PayOrder { order: i32::MAX, method: Method::Razorpay, full: true },
            Goto::PayOrder { order: 3, method: Method::Upi, full: false },
            Goto::PayOrder { order: 9, method: Method::Stars, full: true },
            Goto::Refer,
            Goto::Withdraw,
            Goto::ReportLogin { subscription: i32::MAX },
            Goto::Support,
        ];
        for goto in all {
            let data = data(&goto);
            assert!(data.len() <= MAX_DATA, "{data}");
            assert_eq!(parse::<Goto>(&data), Some(goto));
        }
        for stale in
            ["", "g", "g:", "g:zz", "g:m:1", "g:o:1:r", "g:o:1:x:f", "g:o:0:r:f", "g:o:1:r:x", "x:m", "g:rl:0", "g:rl"]
        {
            assert_eq!(parse::<Goto>(stale), None, "{stale}");
        }
    }
}
