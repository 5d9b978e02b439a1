//! /faq: admins write the questions and answers customers see as buttons in /help, in each
//! language: `/faq add <en|hi> <question> | <answer>`, `/faq edit <id> <question> | <answer>`,
//! `/faq move <id> <position>`, `/faq remove <id>`; `/faq` alone lists them.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, command, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::faq::{self, FaqError};
use crate::domain::{Lang, Permission};
use crate::services::{self, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The FAQ shown in /help: `add`, `edit`, `move`, `remove`.
    Faq(String),
}

pub fn handler() -> UpdateHandler<HandlerError> {
    command::on::<Command>().chain(permitted(Permission::ChangeSettings, dptree::endpoint(on_command)))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    let Command::Faq(args) = command;
    let args = args.trim();
    let (verb, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let rest = rest.trim();
    let (first, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let id = first.trim_start_matches('#').parse::<i32>().ok();
    let now = Utc::now();
    let lang = reply.lang;
    let text = match (verb.to_lowercase().as_str(), id) {
        ("", _) => return list(&reply, &ctx).await,
        ("add", _) => {
            let Some(entry_lang) = Lang::ALL.into_iter().find(|l| l.code() == first.to_lowercase()) else {
                return usage(&reply).await;
            };
            match faq::parse(tail) {
                Ok(entry) => {
                    let added = services::faq::add(&ctx.db, &actor, entry_lang, &entry, now).await?;
                    t!("faq.added", locale = lang, id = added.id, position = added.position)
                }
                Err(err) => error(err, lang),
            }
        }
        ("edit", Some(id)) => match faq::parse(tail) {
            Ok(entry) => match services::faq::edit(&ctx.db, &actor, id, &entry, now).await? {
                Some(_) => t!("faq.edited", locale = lang, id = id),
                None => t!("faq.unknown", locale = lang, id = id),
            },
            Err(err) => error(err, lang),
        },
        ("move", Some(id)) => match tail.trim().parse::<usize>().ok().filter(|p| *p >= 1) {
            Some(position) => match services::faq::move_to(&ctx.db, &actor, id, position, now).await? {
                Some(_) => t!("faq.moved", locale = lang, id = id),
                None => t!("faq.unknown", locale = lang, id = id),
            },
            None => return usage(&reply).await,
        },
        ("remove", Some(id)) => match services::faq::remove(&ctx.db, &actor, id, now).await? {
            true => t!("faq.removed", locale = lang, id = id),
            false => t!("faq.unknown", locale = lang, id = id),
        },
        _ => return usage(&reply).await,
    };
    reply.send(text, None).await?;
    list(&reply, &ctx).await
}

fn error(err: FaqError, lang: &str) -> std::borrow::Cow<'static, str> {
    match err {
        FaqError::Shape => t!("faq.shape", locale = lang),
        FaqError::QuestionTooLong => t!("faq.question_long", locale = lang, max = faq::MAX_QUESTION_CHARS),
        FaqError::AnswerTooLong => t!("faq.answer_long", locale = lang, max = faq::MAX_ANSWER_CHARS),
    }
}

async fn usage(reply: &Reply) -> HandlerResult {
    reply.send(t!("faq.usage", locale = reply.lang), None).await?;
    Ok(())
}

async fn list(reply: &Reply, ctx: &Ctx) -> HandlerResult {
    let lang = reply.lang;
    let mut blocks = Vec::new();
    for entry_lang in Lang::ALL {
        for entry in services::faq::list(&ctx.db, entry_lang).await? {
            blocks.push(
                t!(
                    "faq.line",
                    locale = lang,
                    lang = entry_lang.code(),
                    position = entry.position,
                    id = entry.id,
                    question = ui::escape(&entry.question)
                )
                .into_owned(),
            );
        }
    }
    if blocks.is_empty() {
        reply.send(format!("{}\n\n{}", t!("faq.none", locale = lang), t!("faq.usage", locale = lang)), None).await?;
        return Ok(());
    }
    reply.send_blocks(t!("faq.title", locale = lang).into_owned(), blocks, None).await?;
    Ok(())
}
