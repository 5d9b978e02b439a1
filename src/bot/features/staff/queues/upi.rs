//! UPI claims: the list, Approve (the money lands), Reject with a reason for the customer.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{keyboards, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, format, reply, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::Money;
use crate::entities::upi_claim::ClaimStatus;
use crate::services::upi::{self, Decision};
use crate::services::Actor;

/// Claims shown by /claims (each with its buttons).
const LIST_LIMIT: u64 = 20;

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let open = upi::open_claims(&ctx.db, actor, LIST_LIMIT).await?;
    if open.is_empty() {
        reply.send(t!("claims.empty", locale = lang), None).await?;
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (claim, payment, customer) in &open {
        lines.push(
            t!(
                "claims.line",
                locale = lang,
                id = claim.id,
                amount = Money::from_paise(payment.amount),
                reference = ui::escape(&payment.reference),
                utr = ui::escape(&claim.utr),
                user = format::user_label(customer, lang),
                date = format::date_time(claim.created_at, lang)
            )
            .into_owned(),
        );
        if actor.can(crate::domain::Permission::DecidePayments) {
            rows.push(keyboards::numbered(claim.id, keyboards::claim_buttons(claim.id, lang)));
        }
    }
    let text =
        reply::first_page(t!("claims.title", locale = lang).into_owned(), lines, &t!("plans.more", locale = lang));
    reply.send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

fn already(status: ClaimStatus, claim_id: i32, lang: &str) -> String {
    let key = if status == ClaimStatus::Approved { "upi.already_approved" } else { "upi.already_rejected" };
    t!(key, locale = lang, id = claim_id).into_owned()
}

pub async fn approve(reply: &Reply, ctx: &Ctx, actor: &Actor, claim_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match upi::approve(&ctx.db, actor, claim_id, Utc::now()).await? {
        Decision::Approved { claim, .. } => {
            let by = crate::services::outbox::person(&ctx.db, actor.telegram_id).await?;
            t!(
                "upi.approved_admin",
                locale = lang,
                id = claim.id,
                utr = ui::escape(&claim.utr),
                by = format::person(&by, lang)
            )
            .into_owned()
        }
        Decision::AlreadyDecided { status } => already(status, claim_id, lang),
        Decision::Rejected { .. } | Decision::UnknownClaim => {
            t!("upi.unknown_claim", locale = lang, id = claim_id).into_owned()
        }
    };
    reply.send(text, None).await?;
    Ok(())
}

pub async fn ask_reason(ask: &Reply, dialogue: &ChatDialogue, claim_id: i32) -> HandlerResult {
    dialogue.update(Step::UpiRejectReason { claim_id }).await?;
    ask.send(t!("upi.ask_reason", locale = ask.lang, id = claim_id), None).await?;
    Ok(())
}

pub async fn reason_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    claim_id: i32,
    reason: &str,
) -> HandlerResult {
    let lang = reply.lang;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > format::MAX_REASON_CHARS {
        reply.send(t!("upi.reason_needed", locale = lang), None).await?;
        return Ok(());
    }
    dialogue.exit().await?;
    let text = match upi::reject(&ctx.db, actor, claim_id, reason, Utc::now()).await? {
        Decision::Rejected { claim, .. } => t!("upi.rejected_admin", locale = lang, id = claim.id).into_owned(),
        Decision::AlreadyDecided { status } => already(status, claim_id, lang),
        Decision::Approved { .. } | Decision::UnknownClaim => {
            t!("upi.unknown_claim", locale = lang, id = claim_id).into_owned()
        }
    };
    reply.send(text, None).await?;
    Ok(())
}
