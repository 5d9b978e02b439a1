//! /token: owners make API tokens (shown once), list them with their last use, and revoke them.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, button, callback, command, format, permitted, Callback, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::Permission;
use crate::entities::user::Role;
use crate::services::tokens::{self, CreateOutcome, RevokeOutcome};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Nothing: the tokens. `new <name> <role>`, `revoke <id>`.
    Token(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Revoke(i32),
}

impl Callback for Action {
    const PREFIX: &'static str = "k";

    fn encode(&self) -> String {
        let Action::Revoke(id) = self;
        format!("r:{id}")
    }

    fn decode(payload: &str) -> Option<Action> {
        let ("r", id) = payload.split_once(':')? else { return None };
        callback::id(id).map(Action::Revoke)
    }
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::ManageTokens, dptree::endpoint(on_command))))
        .branch(callback::on::<Action>().chain(permitted(Permission::ManageTokens, dptree::endpoint(on_action))))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    let Command::Token(args) = command;
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => list(&reply, &ctx, &actor).await,
        ["new", name, role] => create(&reply, &ctx, &actor, name, role).await,
        ["revoke", id] => match id.trim_start_matches('#').parse::<i32>() {
            Ok(id) => revoke(&reply, &ctx, &actor, id).await,
            Err(_) => usage(&reply).await,
        },
        _ => usage(&reply).await,
    }
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, action: Action) -> HandlerResult {
    let Action::Revoke(id) = action;
    revoke(&reply, &ctx, &actor, id).await
}

async fn usage(reply: &Reply) -> HandlerResult {
    reply.send(t!("tokens.usage", locale = reply.lang), None).await?;
    Ok(())
}

async fn create(reply: &Reply, ctx: &Ctx, actor: &Actor, name: &str, role: &str) -> HandlerResult {
    let lang = reply.lang;
    let role = match role.to_lowercase().as_str() {
        "support" => Role::Support,
        "admin" => Role::Admin,
        "owner" => Role::Owner,
        _ => return usage(reply).await,
    };
    let text = match tokens::create(&ctx.db, actor, name, role, Utc::now()).await? {
        CreateOutcome::Created { token, secret } => t!(
            "tokens.created",
            locale = lang,
            name = ui::escape(&token.name),
            role = format::role_name(token.role, lang),
            secret = ui::escape(&secret)
        ),
        CreateOutcome::NameTaken => t!("tokens.name_taken", locale = lang, name = ui::escape(name)),
        CreateOutcome::BadName => t!("tokens.bad_name", locale = lang),
        CreateOutcome::BadRole => return usage(reply).await,
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn revoke(reply: &Reply, ctx: &Ctx, actor: &Actor, id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match tokens::revoke(&ctx.db, actor, id, Utc::now()).await? {
        RevokeOutcome::Revoked(token) => t!("tokens.revoked", locale = lang, name = ui::escape(&token.name)),
        RevokeOutcome::AlreadyRevoked(token) => {
            t!("tokens.already_revoked", locale = lang, name = ui::escape(&token.name))
        }
        RevokeOutcome::UnknownToken => t!("tokens.unknown", locale = lang, id = id),
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let all = tokens::list(&ctx.db, actor).await?;
    if all.is_empty() {
        reply
            .send(format!("{}{}", t!("tokens.none", locale = lang), t!("tokens.usage_hint", locale = lang)), None)
            .await?;
        return Ok(());
    }
    let mut text = t!("tokens.title", locale = lang).into_owned();
    let mut rows = Vec::new();
    for token in &all {
        let used = match token.last_used_at {
            Some(at) => t!("tokens.used", locale = lang, when = format::date_time(at, lang)),
            None => t!("tokens.never_used", locale = lang),
        };
        let state = match token.revoked_at {
            Some(at) => t!("tokens.state_revoked", locale = lang, when = format::date(at, lang)),
            None => t!("tokens.state_active", locale = lang),
        };
        text.push_str(&t!(
            "tokens.line",
            locale = lang,
            id = token.id,
            name = ui::escape(&token.name),
            role = format::role_name(token.role, lang),
            prefix = ui::escape(&token.prefix),
            used = used,
            state = state
        ));
        if token.revoked_at.is_none() {
            let label = t!("tokens.revoke_button", locale = lang, name = format::short(&token.name));
            rows.push(vec![button(label, Action::Revoke(token.id))]);
        }
    }
    text.push_str(&t!("tokens.usage_hint", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        let action = Action::Revoke(i32::MAX);
        assert_eq!(callback::parse::<Action>(&callback::data(&action)), Some(action));
        assert_eq!(callback::parse::<Action>("k:r:0"), None);
    }
}
