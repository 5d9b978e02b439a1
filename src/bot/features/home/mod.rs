//! Home: /start (the welcome and the menu), /help for each role, /language, /cancel, and the
//! answer to anything no other feature took.
use std::sync::Arc;

use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::command::BotCommands;

use crate::bot::actor::Signed;
use crate::bot::state::State;
use crate::bot::ui::{self, button, callback, command, keyboards, Callback, Goto, Reply};
use crate::bot::{commands, Ctx, HandlerError, HandlerResult};
use crate::domain::{Lang, Permission};
use crate::services::{self, users, Actor};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// With the deep-link payload (`ref_CODE`), handled at sign-up.
    Start(String),
    Help,
    Language,
    /// Your settings: language, offers and announcements.
    Me,
    /// Mentioned wherever a question is asked; not in the menu.
    #[command(hide)]
    Cancel,
}

/// `/settings` is the shop's settings for staff; a customer who types it gets their own (/me).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
enum CustomerAlias {
    Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SetLanguage(Lang),
    /// Show FAQ entry `id`.
    Faq(i32),
    /// Offers and announcements on or off.
    Offers(bool),
}

impl Callback for Action {
    const PREFIX: &'static str = "h";

    fn encode(&self) -> String {
        match self {
            Action::SetLanguage(lang) => format!("l:{}", lang.code()),
            Action::Faq(id) => format!("f:{id}"),
            Action::Offers(on) => format!("o:{}", u8::from(*on)),
        }
    }

    fn decode(payload: &str) -> Option<Action> {
        match payload.split_once(':')? {
            ("l", code) => Lang::ALL.into_iter().find(|l| l.code() == code).map(Action::SetLanguage),
            ("f", id) => callback::id(id).map(Action::Faq),
            ("o", "1") => Some(Action::Offers(true)),
            ("o", "0") => Some(Action::Offers(false)),
            _ => None,
        }
    }
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().endpoint(on_command))
        .branch(
            dptree::filter(|actor: Actor| !actor.can(Permission::View))
                .chain(command::on::<CustomerAlias>())
                .endpoint(settings_alias),
        )
        .branch(callback::on::<Action>().endpoint(on_action))
        .branch(
            callback::goto(|g| matches!(g, Goto::Menu | Goto::Help | Goto::Language).then_some(g)).endpoint(on_goto),
        )
}

/// Last in the tree: a message nobody understood, or a button we no longer know.
pub fn fallback() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(not_understood))
        .branch(Update::filter_callback_query().endpoint(stale_button))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, signed: Signed, state: State, command: Command) -> HandlerResult {
    let lang = reply.lang;
    match command {
        Command::Start(_) => {
            let name = ui::escape(&signed.first_name);
            let greeting = if signed.joined {
                t!("welcome", locale = lang, shop = ui::escape(&ctx.config.shop_name), name = name)
            } else {
                t!("welcome_back", locale = lang, name = name)
            };
            let text = format!("{greeting}\n\n{}", t!("menu.title", locale = lang));
            reply.send(text, Some(keyboards::main_menu(lang))).await?;
        }
        Command::Help => help(&reply, &ctx, &signed.actor).await?,
        Command::Language => choose_language(&reply).await?,
        Command::Me => {
            let user = users::find_by_telegram_id(&ctx.db, signed.actor.telegram_id).await?;
            me(&reply, &signed.actor, user.is_none_or(|u| u.wants_offers)).await?
        }
        Command::Cancel => {
            // The command already left the dialogue; `state` is what it was.
            let key = if state != State::Idle { "admin.cancelled" } else { "admin.nothing_to_cancel" };
            reply.send(t!(key, locale = lang), Some(keyboards::main_menu(lang))).await?;
        }
    }
    Ok(())
}

async fn settings_alias(reply: Reply, ctx: Arc<Ctx>, actor: Actor) -> HandlerResult {
    let user = users::find_by_telegram_id(&ctx.db, actor.telegram_id).await?;
    me(&reply, &actor, user.is_none_or(|u| u.wants_offers)).await
}

async fn on_goto(reply: Reply, ctx: Arc<Ctx>, actor: Actor, goto: Goto) -> HandlerResult {
    match goto {
        Goto::Help => help(&reply, &ctx, &actor).await?,
        Goto::Language => choose_language(&reply).await?,
        _ => menu(&reply).await?,
    }
    Ok(())
}

async fn on_action(reply: Reply, ctx: Arc<Ctx>, actor: Actor, action: Action) -> HandlerResult {
    let lang = match action {
        Action::SetLanguage(lang) => lang,
        Action::Faq(id) => return faq_answer(&reply, &ctx, id).await,
        Action::Offers(on) => {
            let wants = users::set_wants_offers(&ctx.db, actor.telegram_id, on).await?.is_some_and(|u| u.wants_offers);
            return me(&reply, &actor, wants).await;
        }
    };
    let Some(user) = users::set_language(&ctx.db, actor.telegram_id, lang).await? else { return Ok(()) };
    let reply = Reply { lang: lang.code(), ..reply };
    let text = format!("{}\n\n{}", t!("language.changed", locale = reply.lang), t!("menu.title", locale = reply.lang));
    reply.edit_or_send(text, Some(keyboards::main_menu(reply.lang))).await?;
    // The command menu of this chat follows the language too.
    commands::set_for_chat(&reply.tg, reply.chat, user.role, lang).await;
    Ok(())
}

async fn menu(reply: &Reply) -> HandlerResult {
    reply.edit_or_send(t!("menu.title", locale = reply.lang), Some(keyboards::main_menu(reply.lang))).await?;
    Ok(())
}

/// The customer's commands, then the staff's for each permission the role has.
async fn help(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let mut text = t!("help.text", locale = lang, support = ui::format::support_contact(ctx, lang)).into_owned();
    if actor.can(Permission::View) {
        text.push_str(&t!("help.support", locale = lang));
    }
    if actor.can(Permission::MoveMoney) {
        text.push_str(&t!("help.admin", locale = lang));
    }
    if actor.can(Permission::ManageStaff) {
        text.push_str(&t!("help.owner", locale = lang));
    }
    // The shop's questions and answers in the reader's language, as buttons.
    let mut rows: Vec<Vec<_>> = services::faq::list(&ctx.db, Lang::from_code(lang))
        .await?
        .into_iter()
        .take(MAX_FAQ_BUTTONS)
        .map(|entry| vec![button(entry.question, Action::Faq(entry.id))])
        .collect();
    if !rows.is_empty() {
        text.push_str(&t!("help.faq", locale = lang));
    }
    rows.push(vec![button(t!("help.support_button", locale = lang), Goto::Support)]);
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// FAQ buttons shown in /help at most.
const MAX_FAQ_BUTTONS: usize = 20;

async fn faq_answer(reply: &Reply, ctx: &Ctx, id: i32) -> HandlerResult {
    let lang = reply.lang;
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("help.back_to_help", locale = lang), Goto::Help)],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    let text = match services::faq::find(&ctx.db, id).await? {
        Some(entry) => {
            t!("help.answer", locale = lang, question = ui::escape(&entry.question), answer = ui::escape(&entry.answer))
        }
        None => t!("help.faq_gone", locale = lang),
    };
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}

/// The customer's settings: their language, and offers and announcements on or off.
async fn me(reply: &Reply, actor: &Actor, wants_offers: bool) -> HandlerResult {
    let lang = reply.lang;
    let language = match actor.lang {
        Lang::En => t!("language.english_button", locale = lang),
        Lang::Hi => t!("language.hindi_button", locale = lang),
    };
    let (state, toggle) = if wants_offers {
        (t!("me.offers_on", locale = lang), button(t!("me.turn_off", locale = lang), Action::Offers(false)))
    } else {
        (t!("me.offers_off", locale = lang), button(t!("me.turn_on", locale = lang), Action::Offers(true)))
    };
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("menu.language", locale = lang), Goto::Language)],
        vec![toggle],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(t!("me.title", locale = lang, language = language, offers = state), Some(keyboard)).await?;
    Ok(())
}

async fn choose_language(reply: &Reply) -> HandlerResult {
    let lang = reply.lang;
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![
            button(t!("language.english_button", locale = lang), Action::SetLanguage(Lang::En)),
            button(t!("language.hindi_button", locale = lang), Action::SetLanguage(Lang::Hi)),
        ],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(t!("language.choose", locale = lang), Some(keyboard)).await?;
    Ok(())
}

async fn not_understood(reply: Reply) -> HandlerResult {
    reply.send(t!("fallback", locale = reply.lang), Some(keyboards::main_menu(reply.lang))).await?;
    Ok(())
}

async fn stale_button(reply: Reply, query: CallbackQuery) -> HandlerResult {
    callback::answer(&reply.tg, &query, Some(t!("stale_button", locale = reply.lang).into_owned())).await;
    reply.send(t!("menu.title", locale = reply.lang), Some(keyboards::main_menu(reply.lang))).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for action in Lang::ALL.map(Action::SetLanguage).into_iter().chain([
            Action::Faq(1),
            Action::Faq(i32::MAX),
            Action::Offers(true),
            Action::Offers(false),
        ]) {
            assert_eq!(callback::parse::<Action>(&callback::data(&action)), Some(action));
        }
        assert_eq!(callback::parse::<Action>("h:l:fr"), None);
    }
}
