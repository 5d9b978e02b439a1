//! Inline-button payloads. Telegram allows at most 64 bytes; ours are a letter and an id.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Menu,
    Plans,
    Wallet,
    Subscriptions,
    Refer,
    Help,
    /// Show one plan.
    Plan(i32),
    /// Open the confirm screen for a plan.
    Buy(i32),
    /// Confirm a pending order.
    Confirm(i32),
    /// Cancel a pending order.
    Cancel(i32),
}

impl Action {
    pub fn encode(self) -> String {
        match self {
            Action::Menu => "m".into(),
            Action::Plans => "pl".into(),
            Action::Wallet => "w".into(),
            Action::Subscriptions => "s".into(),
            Action::Refer => "r".into(),
            Action::Help => "h".into(),
            Action::Plan(id) => format!("p:{id}"),
            Action::Buy(id) => format!("b:{id}"),
            Action::Confirm(id) => format!("c:{id}"),
            Action::Cancel(id) => format!("x:{id}"),
        }
    }

    /// None for anything we did not make (or made in an older version): a stale button.
    pub fn decode(data: &str) -> Option<Action> {
        let simple = match data {
            "m" => Some(Action::Menu),
            "pl" => Some(Action::Plans),
            "w" => Some(Action::Wallet),
            "s" => Some(Action::Subscriptions),
            "r" => Some(Action::Refer),
            "h" => Some(Action::Help),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        let (tag, id) = data.split_once(':')?;
        let id: i32 = id.parse().ok().filter(|id| *id > 0)?;
        match tag {
            "p" => Some(Action::Plan(id)),
            "b" => Some(Action::Buy(id)),
            "c" => Some(Action::Confirm(id)),
            "x" => Some(Action::Cancel(id)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fits_telegram_limit() {
        let all = [
            Action::Menu,
            Action::Plans,
            Action::Wallet,
            Action::Subscriptions,
            Action::Refer,
            Action::Help,
            Action::Plan(i32::MAX),
            Action::Buy(1),
            Action::Confirm(i32::MAX),
            Action::Cancel(7),
        ];
        for action in all {
            let data = action.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Action::decode(&data), Some(action));
        }
    }

    #[test]
    fn foreign_data_is_stale() {
        for data in ["", "zz", "c:", "c:abc", "c:-1", "c:0", "q:5", "c:99999999999"] {
            assert_eq!(Action::decode(data), None, "{data}");
        }
    }
}
