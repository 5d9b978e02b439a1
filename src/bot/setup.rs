//! Registering the command list shown in Telegram's menu: customers see theirs, each admin
//! additionally sees the admin commands.
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};

use crate::config::Config;

fn customer_commands() -> Vec<BotCommand> {
    ["start", "plans", "wallet", "mysubs", "refer", "withdraw", "help"]
        .into_iter()
        .map(|c| BotCommand::new(c, t!(format!("commands.{c}"))))
        .collect()
}

fn admin_commands() -> Vec<BotCommand> {
    let mut commands = customer_commands();
    commands.extend(
        [
            "addplan",
            "addstock",
            "describe",
            "credit",
            "debit",
            "refund",
            "withdrawals",
            "flags",
            "block",
            "unblock",
            "settings",
            "set",
            "cancel",
        ]
        .into_iter()
        .map(|c| BotCommand::new(c, t!(format!("commands.{c}")))),
    );
    commands
}

pub async fn register_commands(bot: &Bot, config: &Config) -> Result<(), teloxide::RequestError> {
    bot.set_my_commands(customer_commands()).await?;
    for admin in &config.admin_ids {
        let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(*admin)) };
        // Fails when the admin has not opened a chat with the bot yet; not fatal.
        if let Err(err) = bot.set_my_commands(admin_commands()).scope(scope).await {
            log::warn!("could not register admin commands for {admin}: {err}");
        }
    }
    Ok(())
}
