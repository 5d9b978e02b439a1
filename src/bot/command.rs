//! Recognising commands in message text (or a document caption).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/start` with its deep-link payload, if any.
    Start(Option<String>),
    Plans,
    Wallet,
    MySubs,
    Refer,
    Help,
    Cancel,
    AddPlan(String),
    /// Everything after the command, newlines included.
    AddStock(String),
    /// `/describe <plan_id> <text…>`: what the plan includes.
    Describe(String),
    Credit(String),
    /// `/refund <order_id> [reason]`.
    Refund(String),
    Debit(String),
    Withdraw,
    /// Admin: the withdrawal queue.
    Withdrawals,
    /// Admin: open fraud flags.
    Flags,
    /// `/block <telegram_id> [reason]`.
    Block(String),
    /// `/unblock <telegram_id>`.
    Unblock(String),
    /// Admin: list the runtime settings.
    Settings,
    /// `/set <key> <value>`.
    Set(String),
    Unknown,
}

/// `/cmd@bot args…` → Command. None when the text is not a command at all.
/// A command addressed to another bot (`/start@other_bot`) is not ours: None.
pub fn parse(text: &str, bot_username: &str) -> Option<Command> {
    let text = text.trim_start();
    let rest = text.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (head, args) = rest.split_at(end);
    let (name, addressee) = match head.split_once('@') {
        Some((name, to)) => (name, Some(to)),
        None => (head, None),
    };
    if addressee.is_some_and(|to| !to.eq_ignore_ascii_case(bot_username)) {
        return None;
    }
    let args = args.trim().to_owned();
    Some(match name.to_ascii_lowercase().as_str() {
        "start" => Command::Start(args.split_whitespace().next().map(str::to_owned)),
        "plans" => Command::Plans,
        "wallet" | "balance" => Command::Wallet,
        "mysubs" | "subscriptions" => Command::MySubs,
        "refer" => Command::Refer,
        "help" => Command::Help,
        "cancel" => Command::Cancel,
        "addplan" => Command::AddPlan(args),
        "addstock" => Command::AddStock(args),
        "describe" => Command::Describe(args),
        "credit" => Command::Credit(args),
        "refund" => Command::Refund(args),
        "debit" => Command::Debit(args),
        "withdraw" => Command::Withdraw,
        "withdrawals" => Command::Withdrawals,
        "flags" => Command::Flags,
        "block" => Command::Block(args),
        "unblock" => Command::Unblock(args),
        "settings" => Command::Settings,
        "set" => Command::Set(args),
        _ => Command::Unknown,
    })
}

/// The referral code in a `/start` payload such as `ref_AB3DE4FG`.
pub fn referral_code(payload: Option<&str>) -> Option<&str> {
    payload?.strip_prefix("ref_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_arguments() {
        assert_eq!(parse("/start", "shop_bot"), Some(Command::Start(None)));
        assert_eq!(parse("/start ref_ABCDEFGH", "shop_bot"), Some(Command::Start(Some("ref_ABCDEFGH".into()))));
        assert_eq!(parse("/Plans@Shop_Bot", "shop_bot"), Some(Command::Plans));
        assert_eq!(parse("/plans@other_bot", "shop_bot"), None);
        assert_eq!(parse("/addstock 3\na\nb", "shop_bot"), Some(Command::AddStock("3\na\nb".into())));
        assert_eq!(parse("/credit 42 100 thanks", "shop_bot"), Some(Command::Credit("42 100 thanks".into())));
        assert_eq!(parse("/whatever", "shop_bot"), Some(Command::Unknown));
        assert_eq!(parse("hello", "shop_bot"), None);
        assert_eq!(parse("", "shop_bot"), None);
        assert_eq!(parse("/", "shop_bot"), Some(Command::Unknown));
    }

    #[test]
    fn referral_payload() {
        assert_eq!(referral_code(Some("ref_ABC")), Some("ABC"));
        assert_eq!(referral_code(Some("promo")), None);
        assert_eq!(referral_code(None), None);
    }
}
