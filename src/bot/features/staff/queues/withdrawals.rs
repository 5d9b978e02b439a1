//! Withdrawal requests: the list, Approve, Reject (a reason), Mark paid (the payout UTR),
//! Payout failed (a reason). Each checks where the request is before asking anything.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{flags, keyboards, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, format, reply, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::approval::needs_second_approval;
use crate::domain::{Money, Permission};
use crate::entities::withdrawal::WithdrawalStatus;
use crate::services::withdrawals::{self, Decision};
use crate::services::{outbox, settings, Actor};

/// Requests shown by /withdrawals (each with its buttons).
const LIST_LIMIT: u64 = 20;

fn status_text(status: WithdrawalStatus, lang: &str) -> String {
    match status {
        WithdrawalStatus::Pending => t!("withdrawals.status_pending", locale = lang),
        WithdrawalStatus::Approved => t!("withdrawals.status_approved", locale = lang),
        WithdrawalStatus::Paid => t!("withdrawals.status_paid", locale = lang),
        WithdrawalStatus::Rejected => t!("withdrawals.status_rejected", locale = lang),
        WithdrawalStatus::PayoutFailed => t!("withdrawals.status_payout_failed", locale = lang),
    }
    .into_owned()
}

/// /withdrawals: what waits for an admin or a payout, oldest first.
pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let open = withdrawals::queue(&ctx.db, actor, LIST_LIMIT).await?;
    if open.is_empty() {
        reply.send(t!("withdrawals.empty", locale = lang), None).await?;
        return Ok(());
    }
    let threshold = settings::withdrawal_approval_threshold(&ctx.db).await?;
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (w, user) in &open {
        let mut line = t!(
            "withdrawals.line",
            locale = lang,
            id = w.id,
            amount = Money::from_paise(w.amount),
            vpa = ui::escape(&w.vpa),
            user = format::user_label(user, lang),
            date = format::date_time(w.created_at, lang),
            status = status_text(w.status, lang)
        )
        .into_owned();
        let pending = w.status == WithdrawalStatus::Pending;
        // Who gave the first of two approvals, shown on the line and on its Approve button.
        let first = match w.first_approved_by.filter(|_| pending) {
            Some(id) => Some(outbox::person(&ctx.db, id).await?),
            None => None,
        };
        if let Some(first) = &first {
            line.push_str(&t!("withdrawals.first_approved_line", locale = lang, by = format::person(first, lang)));
        } else if pending && needs_second_approval(Money::from_paise(w.amount), threshold) {
            line.push_str(&t!("withdrawals.two_needed_line", locale = lang));
        }
        lines.push(line);
        if actor.can(Permission::DecidePayments) {
            let approved = w.status == WithdrawalStatus::Approved;
            rows.push(keyboards::numbered(w.id, keyboards::withdrawal_buttons(w.id, approved, first.as_ref(), lang)));
        }
    }
    let title = t!("withdrawals.title", locale = lang).into_owned();
    let text = reply::first_page(title, lines, &t!("plans.more", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

/// A decision that did not happen, explained to the admin.
fn refused(id: i32, decision: &Decision, lang: &str) -> String {
    match decision {
        Decision::HeldByFlags(held) => {
            let ids: Vec<i32> = held.iter().map(|f| f.id).collect();
            t!("withdrawals.held_refused", locale = lang, id = id, flags = flags::flag_ids(&ids))
        }
        Decision::UserBlocked => t!("withdrawals.user_blocked", locale = lang, id = id),
        Decision::SameApprover(_) => t!("withdrawals.same_approver", locale = lang, id = id),
        Decision::AlreadyDecided(status) => {
            t!("withdrawals.already", locale = lang, id = id, status = status_text(*status, lang))
        }
        Decision::NotApproved => t!("withdrawals.not_approved", locale = lang, id = id),
        Decision::BadUtr => t!("withdrawals.bad_utr", locale = lang),
        Decision::UtrUsed => t!("withdrawals.utr_used", locale = lang),
        _ => t!("withdrawals.unknown", locale = lang, id = id),
    }
    .into_owned()
}

pub async fn approve(reply: &Reply, ctx: &Ctx, actor: &Actor, id: i32) -> HandlerResult {
    let decision = withdrawals::approve(&ctx.db, actor, id, Utc::now()).await?;
    let text = match decision {
        // The staff (this admin among them) get the approval with its payout buttons from the outbox.
        Decision::Approved { .. } => t!("withdrawals.done", locale = reply.lang, id = id).into_owned(),
        // The other staff get the request again with its second Approve button from the outbox.
        Decision::FirstApproval { approvers, .. } => {
            let mut text = t!("withdrawals.first_done", locale = reply.lang, id = id).into_owned();
            if approvers == 0 {
                text.push_str(&t!("approvals.no_approvers", locale = reply.lang));
            }
            text
        }
        other => refused(id, &other, reply.lang),
    };
    reply.send(text, None).await?;
    Ok(())
}

/// Before asking an admin anything: is the request still where this button expects it?
async fn still_open(ask: &Reply, ctx: &Ctx, id: i32, expected: WithdrawalStatus) -> Result<bool, HandlerError> {
    let decision = match withdrawals::find(&ctx.db, id).await? {
        None => Decision::UnknownWithdrawal,
        Some((w, _)) if w.status == expected => return Ok(true),
        Some((w, _)) if w.status == WithdrawalStatus::Pending => Decision::NotApproved,
        Some((w, _)) => Decision::AlreadyDecided(w.status),
    };
    ask.send(refused(id, &decision, ask.lang), None).await?;
    Ok(false)
}

/// Reject (a pending request) or Payout failed (an approved one): ask why. The step keeps
/// which of the two was pressed, so the answer cannot undo a request that moved on meanwhile.
pub async fn ask_reason(
    ask: &Reply,
    ctx: &Ctx,
    dialogue: &ChatDialogue,
    id: i32,
    payout_failed: bool,
) -> HandlerResult {
    let (expected, question) = if payout_failed {
        (WithdrawalStatus::Approved, "withdrawals.ask_failure_reason")
    } else {
        (WithdrawalStatus::Pending, "withdrawals.ask_reason")
    };
    if !still_open(ask, ctx, id, expected).await? {
        return Ok(());
    }
    dialogue.update(Step::WithdrawalRejectReason { withdrawal_id: id, payout_failed }).await?;
    ask.send(t!(question, locale = ask.lang, id = id), None).await?;
    Ok(())
}

pub async fn reason_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    id: i32,
    payout_failed: bool,
    reason: &str,
) -> HandlerResult {
    let lang = reply.lang;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("withdrawals.reason_needed", locale = lang, max = format::MAX_REASON_CHARS), None).await?;
        return Ok(());
    }
    dialogue.exit().await?;
    let decision = if payout_failed {
        withdrawals::payout_failed(&ctx.db, actor, id, reason, Utc::now()).await?
    } else {
        withdrawals::reject(&ctx.db, actor, id, reason, Utc::now()).await?
    };
    let text = match decision {
        Decision::Rejected { .. } => {
            let key = if payout_failed { "withdrawals.payout_failed_admin" } else { "withdrawals.rejected_admin" };
            t!(key, locale = lang, id = id).into_owned()
        }
        other => refused(id, &other, lang),
    };
    reply.send(text, None).await?;
    Ok(())
}

pub async fn ask_utr(ask: &Reply, ctx: &Ctx, dialogue: &ChatDialogue, id: i32) -> HandlerResult {
    if !still_open(ask, ctx, id, WithdrawalStatus::Approved).await? {
        return Ok(());
    }
    dialogue.update(Step::WithdrawalPayoutUtr { withdrawal_id: id }).await?;
    ask.send(t!("withdrawals.ask_utr", locale = ask.lang, id = id), None).await?;
    Ok(())
}

pub async fn utr_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    id: i32,
    input: &str,
) -> HandlerResult {
    let lang = reply.lang;
    let decision = withdrawals::mark_paid(&ctx.db, actor, id, input, Utc::now()).await?;
    let Decision::Paid { withdrawal, .. } = decision else {
        // A mistyped UTR may be sent again; anything else ends the question.
        if !matches!(decision, Decision::BadUtr | Decision::UtrUsed) {
            dialogue.exit().await?;
        }
        reply.send(refused(id, &decision, lang), None).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let utr = withdrawal.payout_utr.clone().unwrap_or_default();
    reply.send(t!("withdrawals.paid_admin", locale = lang, id = id, utr = ui::escape(&utr)), None).await?;
    Ok(())
}
