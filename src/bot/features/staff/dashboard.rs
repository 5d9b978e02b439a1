//! /dashboard: staff get a one-time link that signs them in to the web dashboard.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, command, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::Permission;
use crate::services::{sign_in, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// A sign-in link for the web dashboard.
    Dashboard,
}

pub fn handler() -> UpdateHandler<HandlerError> {
    command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(on_command)))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor) -> HandlerResult {
    let lang = reply.lang;
    let Some(public_url) = ctx.config.payments.public_url.as_ref() else {
        reply.send(t!("dashboard_link.no_public_url", locale = lang), None).await?;
        return Ok(());
    };
    let token = sign_in::create_link(&ctx.db, &actor, Utc::now()).await?;
    let link = format!("{}/admin/login?token={token}", public_url.as_str().trim_end_matches('/'));
    let minutes = sign_in::LINK_LIFETIME.num_minutes();
    reply.send(t!("dashboard_link.link", locale = lang, link = ui::escape(&link), minutes = minutes), None).await?;
    Ok(())
}
