//! /staff: owners see the team and grant or revoke the admin and support roles.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{button, callback, command, format, permitted, Callback, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::Permission;
use crate::entities::user::{self, Role};
use crate::services::staff::{self, RoleChange};
use crate::services::{customers, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Nothing: the team. `admin <who>`, `support <who>`, `remove <who>`: change a role.
    Staff(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Take the staff role of this Telegram id away.
    Revoke(i64),
}

impl Callback for Action {
    const PREFIX: &'static str = "t";

    fn encode(&self) -> String {
        let Action::Revoke(id) = self;
        format!("r:{id}")
    }

    fn decode(payload: &str) -> Option<Action> {
        let ("r", id) = payload.split_once(':')? else { return None };
        id.parse::<i64>().ok().filter(|id| *id > 0).map(Action::Revoke)
    }
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::ManageStaff, dptree::endpoint(on_command))))
        .branch(callback::on::<Action>().chain(permitted(Permission::ManageStaff, dptree::endpoint(on_action))))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    let Command::Staff(args) = command;
    let mut words = args.split_whitespace();
    let (verb, who) = (words.next(), words.next());
    let role = match verb.map(str::to_lowercase).as_deref() {
        None => return list(&reply, &ctx, &actor).await,
        Some("admin") => Role::Admin,
        Some("support") => Role::Support,
        Some("remove") => Role::User,
        Some(_) => {
            reply.send(t!("staff.usage", locale = reply.lang), None).await?;
            return Ok(());
        }
    };
    let Some(who) = who.filter(|_| words.next().is_none()) else {
        reply.send(t!("staff.usage", locale = reply.lang), None).await?;
        return Ok(());
    };
    let Some(target) = customers::find(&ctx.db, &actor, who).await? else {
        reply.send(t!("staff.unknown", locale = reply.lang, who = crate::bot::ui::escape(who)), None).await?;
        return Ok(());
    };
    change(&reply, &ctx, &actor, target.telegram_id, role).await
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, action: Action) -> HandlerResult {
    let Action::Revoke(telegram_id) = action;
    change(&reply, &ctx, &actor, telegram_id, Role::User).await
}

async fn change(reply: &Reply, ctx: &Ctx, actor: &Actor, telegram_id: i64, role: Role) -> HandlerResult {
    let lang = reply.lang;
    let text = match staff::set_role(&ctx.db, actor, telegram_id, role, Utc::now()).await? {
        RoleChange::Changed { user, .. } if role == Role::User => {
            t!("staff.revoked", locale = lang, user = format::user_label(&user, lang))
        }
        RoleChange::Changed { user, .. } => {
            t!(
                "staff.granted",
                locale = lang,
                user = format::user_label(&user, lang),
                role = format::role_name(role, lang)
            )
        }
        RoleChange::Unchanged(user) => {
            t!(
                "staff.unchanged",
                locale = lang,
                user = format::user_label(&user, lang),
                role = format::role_name(user.role, lang)
            )
        }
        RoleChange::OwnerFixed(user) => t!("staff.owner_fixed", locale = lang, user = format::user_label(&user, lang)),
        RoleChange::UnknownUser => t!("staff.unknown", locale = lang, who = telegram_id),
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let team = staff::list(&ctx.db, actor).await?;
    let mut text = t!("staff.title", locale = lang).into_owned();
    let mut rows = Vec::new();
    for member in &team {
        let label = format::user_label(member, lang);
        text.push_str(&t!("staff.line", locale = lang, user = label, role = format::role_name(member.role, lang)));
        if member.role != Role::Owner {
            let revoke = t!("staff.revoke_button", locale = lang, name = format::short(&plain_name(member)));
            rows.push(vec![button(revoke, Action::Revoke(member.telegram_id))]);
        }
    }
    text.push_str(&t!("staff.usage", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// A button label is plain text: the name as it is, not escaped.
fn plain_name(user: &user::Model) -> String {
    match &user.username {
        Some(username) => format!("@{username}"),
        None if user.first_name.is_empty() => user.telegram_id.to_string(),
        None => user.first_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        let action = Action::Revoke(9_000_000_001);
        let data = callback::data(&action);
        assert!(data.len() <= callback::MAX_DATA);
        assert_eq!(callback::parse::<Action>(&data), Some(action));
        for stale in ["t:r:0", "t:r:-3", "t:x:5", "t:r"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
    }
}
