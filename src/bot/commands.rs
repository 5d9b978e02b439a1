//! The command menus Telegram shows (setMyCommands), made from the features' command enums:
//! the customer's for everyone, and each staff feature's for the roles allowed to use it,
//! with descriptions in each language.
use rust_i18n::t;
use sea_orm::DatabaseConnection;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use super::features::staff::{
    approvals, broadcasts, catalog, customers, dashboard, desk, faq, money, offers, queues, reports, settings, team,
    tokens,
};
use super::features::{home, referrals, shop, support, wallet, withdraw};
use crate::domain::permission::{self, Permission};
use crate::domain::Lang;
use crate::entities::user::Role;
use crate::services::{staff, Actor};

/// The menu in order: each feature's commands, with the permission they need (none for
/// customers').
fn menu() -> Vec<(Option<Permission>, Vec<BotCommand>)> {
    vec![
        (None, shop::Command::bot_commands()),
        (None, wallet::Command::bot_commands()),
        (None, referrals::Command::bot_commands()),
        (None, withdraw::Command::bot_commands()),
        (None, support::Command::bot_commands()),
        (None, home::Command::bot_commands()),
        (Some(Permission::View), customers::Command::bot_commands()),
        (Some(Permission::View), dashboard::Command::bot_commands()),
        (Some(Permission::ResendLogin), customers::Resend::bot_commands()),
        (Some(Permission::View), queues::Command::bot_commands()),
        (Some(Permission::View), desk::Command::bot_commands()),
        (Some(Permission::ManageCatalog), desk::Rotation::bot_commands()),
        (Some(Permission::Moderate), queues::Moderation::bot_commands()),
        (Some(Permission::ManageCatalog), catalog::Command::bot_commands()),
        (Some(Permission::MoveMoney), money::Command::bot_commands()),
        (Some(Permission::ManageOffers), offers::Command::bot_commands()),
        (Some(Permission::ManageOffers), broadcasts::Command::bot_commands()),
        (Some(Permission::View), approvals::Command::bot_commands()),
        (Some(Permission::View), settings::Command::bot_commands()),
        (Some(Permission::ChangeSettings), settings::Change::bot_commands()),
        (Some(Permission::ChangeSettings), faq::Command::bot_commands()),
        (Some(Permission::ViewReports), reports::Command::bot_commands()),
        (Some(Permission::ManageStaff), team::Command::bot_commands()),
        (Some(Permission::ManageTokens), tokens::Command::bot_commands()),
    ]
}

fn name(command: &BotCommand) -> String {
    command.command.trim_start_matches('/').to_owned()
}

/// The permission a command needs (None: every customer may), as the menu registers it.
pub fn permission_of(command: &str) -> Option<Option<Permission>> {
    menu().into_iter().find(|(_, commands)| commands.iter().any(|c| name(c) == command)).map(|(needs, _)| needs)
}

/// Every command name, for checking that each has a description in every language.
pub fn all_names() -> Vec<String> {
    menu().iter().flat_map(|(_, commands)| commands.iter().map(name)).collect()
}

/// The menu of `role`, described in `lang`.
pub fn for_role(role: Role, lang: Lang) -> Vec<BotCommand> {
    menu()
        .into_iter()
        .filter(|(needs, _)| needs.is_none_or(|p| permission::allows(role, p)))
        .flat_map(|(_, commands)| commands)
        .map(|command| {
            let name = name(&command);
            let description = t!(format!("commands.{}", name), locale = lang.code()).into_owned();
            BotCommand::new(name, description)
        })
        .collect()
}

/// At start: customers' menu in English, and in Hindi for Hindi Telegram apps; each staff
/// member's own menu in their language.
pub async fn register(bot: &Bot, db: &DatabaseConnection) -> Result<(), teloxide::RequestError> {
    let result = bot.set_my_commands(for_role(Role::User, Lang::En)).await;
    super::tg::record("setMyCommands", &result);
    result?;
    let result = bot.set_my_commands(for_role(Role::User, Lang::Hi)).language_code(Lang::Hi.code()).await;
    super::tg::record("setMyCommands", &result);
    result?;
    match staff::list(db, &Actor::system()).await {
        Ok(team) => {
            for member in team {
                set_for_chat(bot, ChatId(member.telegram_id), member.role, Lang::from_code(&member.language)).await;
            }
        }
        Err(err) => log::warn!("could not list the staff for their command menus: {err}"),
    }
    Ok(())
}

/// One person's menu, after their role or language changed. Fails when they have not
/// opened a chat with the bot yet; not fatal.
pub async fn set_for_chat(bot: &Bot, chat: ChatId, role: Role, lang: Lang) {
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(chat) };
    let result = bot.set_my_commands(for_role(role, lang)).scope(scope).await;
    super::tg::record("setMyCommands", &result);
    if let Err(err) = result {
        log::warn!("could not set the command menu of {chat}: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_sees_its_own_commands() {
        let names = |role| for_role(role, Lang::En).iter().map(|c| c.command.clone()).collect::<Vec<_>>();
        let customer = names(Role::User);
        assert!(customer.contains(&"start".to_owned()) && customer.contains(&"plans".to_owned()));
        assert!(!customer.contains(&"refund".to_owned()) && !customer.contains(&"user".to_owned()));
        let support = names(Role::Support);
        assert!(support.contains(&"user".to_owned()) && support.contains(&"withdrawals".to_owned()));
        assert!(support.contains(&"approvals".to_owned()));
        assert!(!support.contains(&"credit".to_owned()) && !support.contains(&"set".to_owned()));
        let admin = names(Role::Admin);
        assert!(admin.contains(&"credit".to_owned()) && admin.contains(&"addplan".to_owned()));
        assert!(!admin.contains(&"staff".to_owned()));
        assert!(admin.contains(&"stats".to_owned()) && admin.contains(&"export".to_owned()));
        assert!(!support.contains(&"stats".to_owned()) && !support.contains(&"export".to_owned()));
        assert!(names(Role::Owner).contains(&"staff".to_owned()));
        let all = all_names();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(all.len(), unique.len(), "one feature per command: {all:?}");
    }

    #[test]
    fn descriptions_are_in_the_readers_language() {
        for lang in Lang::ALL {
            for command in for_role(Role::Owner, lang) {
                assert!(!command.description.starts_with("commands."), "{lang:?}: {}", command.command);
                assert!((1..=256).contains(&command.description.chars().count()), "{}", command.command);
            }
        }
        assert_ne!(for_role(Role::User, Lang::En)[0].description, for_role(Role::User, Lang::Hi)[0].description);
    }
}
