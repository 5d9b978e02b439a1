//! The customer's side of a support ticket: write (text or photos), close it, see their tickets.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, button, format, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::entities::support_ticket::TicketStatus;
use crate::services::tickets::{self, Answered, Said};
use crate::services::Actor;

/// Tickets listed at most.
const LIST_LIMIT: u64 = 10;

/// /support: from now on, what they write goes to the shop's helpers.
pub async fn open(reply: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &ChatDialogue) -> HandlerResult {
    let lang = reply.lang;
    dialogue.update(Step::Message).await?;
    let open =
        tickets::of_customer(&ctx.db, actor.telegram_id, 1).await?.into_iter().find(|t| t.status == TicketStatus::Open);
    let mut text = t!("support.intro", locale = lang).into_owned();
    let mut rows = Vec::new();
    if let Some(ticket) = &open {
        text.push_str(&t!("support.open_ticket", locale = lang, id = ticket.id, subject = ui::escape(&ticket.subject)));
        rows.push(vec![button(
            t!("support.close_button", locale = lang, id = ticket.id),
            Action::CloseTicket(ticket.id),
        )]);
    }
    rows.push(vec![button(t!("support.tickets_button", locale = lang), Action::Tickets)]);
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// Write (from a reply's button or the ticket list).
pub async fn write(reply: &Reply, dialogue: &ChatDialogue) -> HandlerResult {
    let lang = reply.lang;
    dialogue.update(Step::Message).await?;
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button(t!("support.done_button", locale = lang), Goto::Menu)]]);
    reply.send(t!("support.write", locale = lang), Some(keyboard)).await?;
    Ok(())
}

pub async fn said(reply: &Reply, ctx: &Ctx, actor: &Actor, text: Option<&str>, photo: Option<String>) -> HandlerResult {
    let lang = reply.lang;
    let Some(said) = Said::new(text, photo) else {
        reply.send(t!("support.text_or_photo", locale = lang), None).await?;
        return Ok(());
    };
    let Some(sent) = tickets::customer_says(&ctx.db, actor.telegram_id, &said, Utc::now()).await? else {
        return Ok(());
    };
    let key = if sent.new { "support.opened" } else { "support.sent" };
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("support.done_button", locale = lang), Goto::Menu)],
        vec![button(
            t!("support.close_button", locale = lang, id = sent.ticket.id),
            Action::CloseTicket(sent.ticket.id),
        )],
    ]);
    reply.send(t!(key, locale = lang, id = sent.ticket.id), Some(keyboard)).await?;
    Ok(())
}

pub async fn close(reply: &Reply, ctx: &Ctx, actor: &Actor, ticket_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let key = match tickets::close_own(&ctx.db, actor.telegram_id, ticket_id, Utc::now()).await? {
        Answered::Done { .. } => "support.closed",
        Answered::Closed | Answered::Unknown => "support.already_closed",
    };
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button(t!("menu.back", locale = lang), Goto::Menu)]]);
    reply.edit_or_send(t!(key, locale = lang, id = ticket_id), Some(keyboard)).await?;
    Ok(())
}

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let found = tickets::of_customer(&ctx.db, actor.telegram_id, LIST_LIMIT).await?;
    let mut text = t!("support.tickets_title", locale = lang).into_owned();
    if found.is_empty() {
        text.push_str(&t!("support.no_tickets", locale = lang));
    }
    for ticket in &found {
        let state = match ticket.status {
            TicketStatus::Open => t!("support.state_open", locale = lang),
            TicketStatus::Closed => t!("support.state_closed", locale = lang),
        };
        text.push_str(&t!(
            "support.ticket_line",
            locale = lang,
            id = ticket.id,
            subject = ui::escape(&ticket.subject),
            state = state,
            date = format::date(ticket.updated_at, lang)
        ));
    }
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("support.write_button", locale = lang), Action::Write)],
        vec![button(t!("menu.back", locale = lang), Goto::Menu)],
    ]);
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}
