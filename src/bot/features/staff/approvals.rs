//! The two-person rule in chat: /approvals lists the credits and debits above
//! `admin.approval_threshold` that wait for a second owner or admin (support sees them; admins
//! get Approve / Reject on others' requests and Cancel on their own). Reject asks for a reason
//! in the admin's private chat; the requester reads it. The services decide everything,
//! including that nobody decides their own request.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;
use teloxide::utils::command::BotCommands;

use crate::bot::state;
use crate::bot::ui::{callback, command, format, permitted, reply, Callback, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::{Money, Permission};
use crate::entities::approval_request::{self, ApprovalStatus};
use crate::services::approvals::{self, ApprovalOutcome};
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::{outbox, Actor};

/// Requests shown by /approvals (each with its buttons).
const LIST_LIMIT: u64 = 20;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    Approvals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The second approval: the money moves.
    Approve(i32),
    /// Asks for a reason, then rejects.
    Reject(i32),
    /// The requester withdraws their own request.
    Cancel(i32),
}

impl Callback for Action {
    const PREFIX: &'static str = "ap";

    fn encode(&self) -> String {
        let (tag, id) = match self {
            Action::Approve(id) => ("a", id),
            Action::Reject(id) => ("r", id),
            Action::Cancel(id) => ("c", id),
        };
        format!("{tag}:{id}")
    }

    fn decode(payload: &str) -> Option<Action> {
        let (tag, id) = payload.split_once(':')?;
        let id = callback::id(id)?;
        Some(match tag {
            "a" => Action::Approve(id),
            "r" => Action::Reject(id),
            "c" => Action::Cancel(id),
            _ => return None,
        })
    }

    /// Reject asks its question in the admin's private chat; another button pressed meanwhile
    /// must not cancel a reason being typed.
    fn keeps_dialogue(&self) -> bool {
        matches!(self, Action::Reject(_))
    }
}

/// Questions to an admin, asked in their private chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Why approval request `request_id` is rejected (the requester reads it).
    RejectReason { request_id: i32 },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(list))))
        .branch(callback::on::<Action>().chain(permitted(Permission::MoveMoney, dptree::endpoint(on_action))))
        .branch(state::step::<Step>().chain(permitted(Permission::MoveMoney, dptree::endpoint(on_step))))
}

/// The buttons on a request: Approve / Reject for others, Cancel for its requester.
pub mod keyboards {
    use rust_i18n::t;
    use teloxide::types::InlineKeyboardButton;

    use super::Action;
    use crate::bot::ui::button;

    pub fn decision_buttons(id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
        vec![
            button(t!("approvals.approve_button", locale = lang), Action::Approve(id)),
            button(t!("approvals.reject_button", locale = lang), Action::Reject(id)),
        ]
    }

    pub fn cancel_button(id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
        vec![button(t!("approvals.cancel_button", locale = lang), Action::Cancel(id))]
    }
}

fn what(request: &approval_request::Model, customer: &crate::entities::user::Model, lang: &str) -> String {
    format::adjustment(request.kind, Money::from_paise(request.amount), &customer.into(), lang)
}

/// /approvals: what waits for a second approver, oldest first.
async fn list(reply: Reply, ctx: Arc<Ctx>, actor: Actor) -> HandlerResult {
    let lang = reply.lang;
    let open = approvals::pending(&ctx.db, &actor, LIST_LIMIT).await?;
    if open.is_empty() {
        reply.send(t!("approvals.empty", locale = lang), None).await?;
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for pending in &open {
        let request = &pending.request;
        lines.push(
            t!(
                "approvals.line",
                locale = lang,
                id = request.id,
                what = what(request, &pending.customer, lang),
                reason = format::reason_line(&request.reason, lang),
                requester = format::person(&pending.requested_by, lang),
                date = format::date_time(request.created_at, lang)
            )
            .into_owned(),
        );
        if actor.can(Permission::MoveMoney) {
            let buttons = if request.requested_by == actor.telegram_id {
                keyboards::cancel_button(request.id, lang)
            } else {
                keyboards::decision_buttons(request.id, lang)
            };
            rows.push(numbered(request.id, buttons));
        }
    }
    let title = t!("approvals.title", locale = lang).into_owned();
    let text = reply::first_page(title, lines, &t!("plans.more", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// A list's row of buttons, each marked with the request it acts on.
fn numbered(
    id: i32,
    mut row: Vec<teloxide::types::InlineKeyboardButton>,
) -> Vec<teloxide::types::InlineKeyboardButton> {
    for b in &mut row {
        b.text = format!("#{id} {}", b.text);
    }
    row
}

async fn on_action(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    store: Arc<DbDialogueStore>,
    action: Action,
) -> HandlerResult {
    match action {
        Action::Approve(id) => {
            let outcome = approvals::approve(&ctx.db, &actor, id, Utc::now()).await?;
            let text = answer(&ctx, id, outcome, reply.lang).await?;
            reply.send(text, None).await?;
        }
        Action::Cancel(id) => {
            let outcome = approvals::cancel(&ctx.db, &actor, id, Utc::now()).await?;
            let text = answer(&ctx, id, outcome, reply.lang).await?;
            reply.send(text, None).await?;
        }
        Action::Reject(id) => {
            // Asked in the admin's private chat, where dialogues live, even when the button was
            // pressed in the staff group.
            let private = state::ChatDialogue::new(store, ChatId(actor.telegram_id));
            let ask = reply.to_chat(ChatId(actor.telegram_id));
            ask_reason(&ask, &ctx, &actor, &private, id).await?;
        }
    }
    Ok(())
}

/// Before asking why: is the request still pending, and someone else's?
async fn ask_reason(ask: &Reply, ctx: &Ctx, actor: &Actor, dialogue: &state::ChatDialogue, id: i32) -> HandlerResult {
    let lang = ask.lang;
    let request = match approvals::find(&ctx.db, actor, id).await? {
        Some((request, _))
            if request.status == ApprovalStatus::Pending && request.requested_by != actor.telegram_id =>
        {
            request
        }
        Some((request, _)) if request.status != ApprovalStatus::Pending => {
            return refuse(ask, ctx, id, ApprovalOutcome::AlreadyDecided(request)).await;
        }
        Some((request, _)) => return refuse(ask, ctx, id, ApprovalOutcome::OwnRequest(request)).await,
        None => return refuse(ask, ctx, id, ApprovalOutcome::UnknownRequest).await,
    };
    let requester = outbox::person(&ctx.db, request.requested_by).await?;
    dialogue.update(Step::RejectReason { request_id: id }).await?;
    let question = t!("approvals.ask_reason", locale = lang, id = id, requester = format::person(&requester, lang));
    ask.send(question, None).await?;
    Ok(())
}

async fn on_step(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: state::ChatDialogue,
    msg: Message,
    step: Step,
) -> HandlerResult {
    let lang = reply.lang;
    let Step::RejectReason { request_id } = step;
    let reason = msg.text().unwrap_or_default().trim();
    if reason.is_empty() || reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("approvals.reason_needed", locale = lang, max = format::MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    dialogue.exit().await?;
    let outcome = approvals::reject(&ctx.db, &actor, request_id, reason, Utc::now()).await?;
    reply.send(answer(&ctx, request_id, outcome, lang).await?, None).await?;
    Ok(())
}

async fn refuse(ask: &Reply, ctx: &Ctx, id: i32, outcome: ApprovalOutcome) -> HandlerResult {
    ask.send(answer(ctx, id, outcome, ask.lang).await?, None).await?;
    Ok(())
}

/// What the admin who pressed is told.
async fn answer(ctx: &Ctx, id: i32, outcome: ApprovalOutcome, lang: &str) -> Result<String, HandlerError> {
    let requester = |request: &approval_request::Model| outbox::person(&ctx.db, request.requested_by);
    let text = match outcome {
        ApprovalOutcome::Approved { request, customer, balance } => {
            let by = requester(&request).await?;
            t!(
                "approvals.approved_admin",
                locale = lang,
                id = id,
                what = what(&request, &customer, lang),
                balance = balance,
                requester = format::person(&by, lang)
            )
        }
        ApprovalOutcome::Rejected { request, .. } => {
            let by = requester(&request).await?;
            t!("approvals.rejected_admin", locale = lang, id = id, requester = format::person(&by, lang))
        }
        ApprovalOutcome::Cancelled { .. } => t!("approvals.cancelled_admin", locale = lang, id = id),
        ApprovalOutcome::OwnRequest(_) => t!("approvals.own_request", locale = lang, id = id),
        ApprovalOutcome::NotRequester(request) => {
            let by = requester(&request).await?;
            t!("approvals.not_requester", locale = lang, id = id, requester = format::person(&by, lang))
        }
        ApprovalOutcome::Insufficient { balance, .. } => {
            t!("approvals.insufficient", locale = lang, id = id, balance = balance)
        }
        ApprovalOutcome::AlreadyApplied(_) => t!("approvals.already_applied", locale = lang, id = id),
        ApprovalOutcome::AlreadyDecided(request) => {
            let by = outbox::person(&ctx.db, request.decided_by.unwrap_or(request.requested_by)).await?;
            t!(
                "approvals.already_decided",
                locale = lang,
                id = id,
                status = format::approval_status(request.status, lang),
                by = format::person(&by, lang)
            )
        }
        ApprovalOutcome::UnknownRequest => t!("approvals.unknown", locale = lang, id = id),
    };
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_fit() {
        for action in [Action::Approve(1), Action::Reject(i32::MAX), Action::Cancel(7)] {
            let data = callback::data(&action);
            assert!(data.len() <= callback::MAX_DATA, "{data}");
            assert_eq!(callback::parse::<Action>(&data), Some(action));
        }
        for stale in ["ap:a:", "ap:a:0", "ap:x:1", "ap:a:1:2", "q:a:1"] {
            assert_eq!(callback::parse::<Action>(stale), None, "{stale}");
        }
        assert!(Action::Reject(1).keeps_dialogue() && !Action::Approve(1).keeps_dialogue());
    }
}
