//! Support tickets on the desk: the alert's text, /tickets, one ticket's history, Reply and Close.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{keyboard, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, button, format, reply, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::entities::support_ticket::TicketStatus;
use crate::services::outbox::Person;
use crate::services::tickets::{self, Answered, Said};
use crate::services::Actor;

use super::Action;

const LIST_LIMIT: u64 = 20;
/// Messages of a ticket shown with it.
const HISTORY: u64 = 15;

/// What support read of a customer's message (the alert).
pub fn message_text(ticket_id: i32, customer: &Person, text: Option<&str>, new_ticket: bool, lang: &str) -> String {
    let key = if new_ticket { "desk.ticket_new" } else { "desk.ticket_message" };
    let body = text.map(reply::escape).unwrap_or_else(|| t!("desk.photo_only", locale = lang).into_owned());
    t!(key, locale = lang, id = ticket_id, customer = format::person(customer, lang), text = body).into_owned()
}

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let status = if args.trim().eq_ignore_ascii_case("closed") { TicketStatus::Closed } else { TicketStatus::Open };
    let found = tickets::list(&ctx.db, actor, status, LIST_LIMIT).await?;
    if found.is_empty() {
        let key = if status == TicketStatus::Open { "desk.no_open_tickets" } else { "desk.no_closed_tickets" };
        reply.send(t!(key, locale = lang), None).await?;
        return Ok(());
    }
    let title = if status == TicketStatus::Open { "desk.open_tickets" } else { "desk.closed_tickets" };
    let mut text = t!(title, locale = lang).into_owned();
    let mut rows = Vec::new();
    for (ticket, customer) in &found {
        text.push_str(&t!(
            "desk.ticket_line",
            locale = lang,
            id = ticket.id,
            customer = format::user_label(customer, lang),
            subject = ui::escape(&ticket.subject),
            date = format::date_time(ticket.updated_at, lang)
        ));
        rows.push(vec![button(t!("desk.show_button", locale = lang, id = ticket.id), Action::TicketShow(ticket.id))]);
    }
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn show(reply: &Reply, ctx: &Ctx, actor: &Actor, ticket_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let Some((ticket, customer, messages)) = tickets::history(&ctx.db, actor, ticket_id, HISTORY).await? else {
        reply.send(t!("desk.unknown_ticket", locale = lang, id = ticket_id), None).await?;
        return Ok(());
    };
    let state = match ticket.status {
        TicketStatus::Open => t!("support.state_open", locale = lang),
        TicketStatus::Closed => t!("support.state_closed", locale = lang),
    };
    let header = t!(
        "desk.ticket_title",
        locale = lang,
        id = ticket.id,
        customer = format::user_label(&customer, lang),
        state = state
    )
    .into_owned();
    let blocks = messages
        .iter()
        .map(|m| {
            let who = if m.from_staff {
                t!("desk.from_staff", locale = lang)
            } else {
                t!("desk.from_customer", locale = lang)
            };
            let body = m.text.as_deref().map(reply::escape).unwrap_or_default();
            let photo = if m.photo_file_id.is_some() { "📷 " } else { "" };
            t!(
                "desk.history_line",
                locale = lang,
                who = who,
                date = format::date_time(m.created_at, lang),
                text = format!("{photo}{body}")
            )
            .into_owned()
        })
        .collect();
    let keyboard = (ticket.status == TicketStatus::Open && actor.can(crate::domain::Permission::HelpCustomers))
        .then(|| InlineKeyboardMarkup::new(vec![keyboard::ticket_buttons(ticket.id, lang)]));
    reply.send_blocks(header, blocks, keyboard).await?;
    Ok(())
}

pub async fn ask_reply(ask: &Reply, dialogue: &ChatDialogue, ticket_id: i32) -> HandlerResult {
    dialogue.update(Step::TicketReply { ticket_id }).await?;
    ask.send(t!("desk.ask_ticket_reply", locale = ask.lang, id = ticket_id), None).await?;
    Ok(())
}

pub async fn reply_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    ticket_id: i32,
    text: Option<&str>,
    photo: Option<String>,
) -> HandlerResult {
    let lang = reply.lang;
    let Some(said) = Said::new(text, photo) else {
        reply.send(t!("support.text_or_photo", locale = lang), None).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let answer = match tickets::staff_reply(&ctx.db, actor, ticket_id, &said, Utc::now()).await? {
        Answered::Done { customer_telegram_id } => {
            t!("desk.reply_sent", locale = lang, customer = customer_telegram_id)
        }
        Answered::Closed => t!("desk.ticket_closed_already", locale = lang, id = ticket_id),
        Answered::Unknown => t!("desk.unknown_ticket", locale = lang, id = ticket_id),
    };
    reply.send(answer, None).await?;
    Ok(())
}

pub async fn close(reply: &Reply, ctx: &Ctx, actor: &Actor, ticket_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match tickets::close(&ctx.db, actor, ticket_id, Utc::now()).await? {
        Answered::Done { .. } => t!("desk.ticket_closed", locale = lang, id = ticket_id),
        Answered::Closed => t!("desk.ticket_closed_already", locale = lang, id = ticket_id),
        Answered::Unknown => t!("desk.unknown_ticket", locale = lang, id = ticket_id),
    };
    reply.send(text, None).await?;
    Ok(())
}
