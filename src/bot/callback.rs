//! Inline-button payloads. Telegram allows at most 64 bytes; ours are a tag and ids.

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
    /// Confirm a pending order (pay from the wallet).
    Confirm(i32),
    /// Cancel a pending order.
    Cancel(i32),
    /// The top-up menu: preset amounts.
    TopUp,
    /// Ask for a custom top-up amount.
    TopUpCustom,
    /// A top-up amount (paise) was chosen: pick the method.
    TopUpAmount(i64),
    /// Pay a top-up of `amount` paise with `method`.
    PayTopUp {
        amount: i64,
        method: Method,
    },
    /// Pay towards pending order `order` with `method`: the difference or the full price.
    PayOrder {
        order: i32,
        method: Method,
        full: bool,
    },
    /// "I've paid" under a UPI payment: ask for the UTR.
    UpiPaid(i32),
    /// Admin: approve / reject a UPI claim.
    UpiApprove(i32),
    UpiReject(i32),
    /// The withdraw screen.
    Withdraw,
    /// Withdraw this many paise (the "all of it" button): ask for the UPI ID next.
    WithdrawAmount(i64),
    /// Use the UPI ID of the last request.
    WithdrawLastVpa,
    /// Confirm the withdrawal held in the dialogue state.
    WithdrawConfirm,
    /// Admin: approve / reject / mark paid a withdrawal.
    WithdrawalApprove(i32),
    WithdrawalReject(i32),
    WithdrawalPaid(i32),
    WithdrawalFailed(i32),
    /// Admin: a fraud flag is harmless / block its user.
    FlagResolve(i32),
    FlagBlock(i32),
}

/// A way to pay that needs a gateway or an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Upi,
    Razorpay,
    Stars,
}

impl Method {
    fn tag(self) -> &'static str {
        match self {
            Method::Razorpay => "r",
            Method::Upi => "u",
            Method::Stars => "s",
        }
    }

    fn from_tag(tag: &str) -> Option<Method> {
        match tag {
            "r" => Some(Method::Razorpay),
            "u" => Some(Method::Upi),
            "s" => Some(Method::Stars),
            _ => None,
        }
    }
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
            Action::TopUp => "tu".into(),
            Action::TopUpCustom => "tc".into(),
            Action::Plan(id) => format!("p:{id}"),
            Action::Buy(id) => format!("b:{id}"),
            Action::Confirm(id) => format!("c:{id}"),
            Action::Cancel(id) => format!("x:{id}"),
            Action::TopUpAmount(paise) => format!("ta:{paise}"),
            Action::PayTopUp { amount, method } => format!("tp:{amount}:{}", method.tag()),
            Action::PayOrder { order, method, full } => {
                format!("po:{order}:{}:{}", method.tag(), if full { "f" } else { "d" })
            }
            Action::UpiPaid(id) => format!("uc:{id}"),
            Action::UpiApprove(id) => format!("ua:{id}"),
            Action::UpiReject(id) => format!("ur:{id}"),
            Action::Withdraw => "wd".into(),
            Action::WithdrawAmount(paise) => format!("wda:{paise}"),
            Action::WithdrawLastVpa => "wdv".into(),
            Action::WithdrawConfirm => "wdc".into(),
            Action::WithdrawalApprove(id) => format!("wok:{id}"),
            Action::WithdrawalReject(id) => format!("wno:{id}"),
            Action::WithdrawalPaid(id) => format!("wpd:{id}"),
            Action::WithdrawalFailed(id) => format!("wf:{id}"),
            Action::FlagResolve(id) => format!("fr:{id}"),
            Action::FlagBlock(id) => format!("fb:{id}"),
        }
    }

    /// None for anything we did not make (or made in an older version): a stale button.
    pub fn decode(data: &str) -> Option<Action> {
        let parts: Vec<&str> = data.split(':').collect();
        let id = |i: usize| parts.get(i).and_then(|p| p.parse::<i32>().ok()).filter(|id| *id > 0);
        let paise = |i: usize| parts.get(i).and_then(|p| p.parse::<i64>().ok()).filter(|p| *p > 0);
        let method = |i: usize| parts.get(i).and_then(|p| Method::from_tag(p));
        let action = match (parts[0], parts.len()) {
            ("m", 1) => Action::Menu,
            ("pl", 1) => Action::Plans,
            ("w", 1) => Action::Wallet,
            ("s", 1) => Action::Subscriptions,
            ("r", 1) => Action::Refer,
            ("h", 1) => Action::Help,
            ("tu", 1) => Action::TopUp,
            ("tc", 1) => Action::TopUpCustom,
            ("p", 2) => Action::Plan(id(1)?),
            ("b", 2) => Action::Buy(id(1)?),
            ("c", 2) => Action::Confirm(id(1)?),
            ("x", 2) => Action::Cancel(id(1)?),
            ("ta", 2) => Action::TopUpAmount(paise(1)?),
            ("uc", 2) => Action::UpiPaid(id(1)?),
            ("ua", 2) => Action::UpiApprove(id(1)?),
            ("ur", 2) => Action::UpiReject(id(1)?),
            ("wd", 1) => Action::Withdraw,
            ("wda", 2) => Action::WithdrawAmount(paise(1)?),
            ("wdv", 1) => Action::WithdrawLastVpa,
            ("wdc", 1) => Action::WithdrawConfirm,
            ("wok", 2) => Action::WithdrawalApprove(id(1)?),
            ("wno", 2) => Action::WithdrawalReject(id(1)?),
            ("wpd", 2) => Action::WithdrawalPaid(id(1)?),
            ("wf", 2) => Action::WithdrawalFailed(id(1)?),
            ("fr", 2) => Action::FlagResolve(id(1)?),
            ("fb", 2) => Action::FlagBlock(id(1)?),
            ("tp", 3) => Action::PayTopUp { amount: paise(1)?, method: method(2)? },
            ("po", 4) => {
                let full = match parts[3] {
                    "f" => true,
                    "d" => false,
                    _ => return None,
                };
                Action::PayOrder { order: id(1)?, method: method(2)?, full }
            }
            _ => return None,
        };
        Some(action)
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
            Action::TopUp,
            Action::TopUpCustom,
            Action::Plan(i32::MAX),
            Action::Buy(1),
            Action::Confirm(i32::MAX),
            Action::Cancel(7),
            Action::TopUpAmount(i64::MAX),
            Action::PayTopUp { amount: i64::MAX, method: Method::Razorpay },
            Action::PayOrder { order: i32::MAX, method: Method::Razorpay, full: true },
            Action::PayOrder { order: 3, method: Method::Upi, full: false },
            Action::PayOrder { order: 9, method: Method::Stars, full: true },
            Action::UpiPaid(i32::MAX),
            Action::UpiApprove(1),
            Action::UpiReject(2),
            Action::Withdraw,
            Action::WithdrawAmount(i64::MAX),
            Action::WithdrawLastVpa,
            Action::WithdrawConfirm,
            Action::WithdrawalApprove(i32::MAX),
            Action::WithdrawalReject(3),
            Action::WithdrawalPaid(4),
            Action::WithdrawalFailed(7),
            Action::FlagResolve(5),
            Action::FlagBlock(6),
        ];
        for action in all {
            let data = action.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Action::decode(&data), Some(action));
        }
    }

    #[test]
    fn foreign_data_is_stale() {
        for data in [
            "",
            "zz",
            "c:",
            "c:abc",
            "c:-1",
            "c:0",
            "q:5",
            "c:99999999999",
            "m:1",
            "ta:0",
            "tp:100",
            "tp:100:z",
            "po:1:r:x",
            "po:1:r",
            "p:1:2",
            "wda:0",
            "wda:-5",
            "wok:",
            "wdc:1",
            "fb:x",
        ] {
            assert_eq!(Action::decode(data), None, "{data}");
        }
    }
}
