//! "Login not working": the reasons as buttons, then an optional note or screenshot, then the
//! report, which the shop's helpers get.
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{Action, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, button, keyboards, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::subscription_period::SubscriptionState;
use crate::entities::login_report::ReportReason;
use crate::services::login_reports::{self, OpenOutcome};
use crate::services::{subscriptions, Actor};

pub fn reason_label(reason: ReportReason, lang: &str) -> String {
    let key = match reason {
        ReportReason::WrongPassword => "report.reason_wrong_password",
        ReportReason::ScreenLimit => "report.reason_screen_limit",
        ReportReason::ExpiredEarly => "report.reason_expired_early",
        ReportReason::Other => "report.reason_other",
    };
    t!(key, locale = lang).into_owned()
}

fn back(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(
        t!("reminders.subscriptions_button", locale = lang),
        Goto::Subscriptions,
    )]])
}

pub async fn start(reply: &Reply, ctx: &Ctx, actor: &Actor, subscription_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let sub = subscriptions::one_for(&ctx.db, actor.telegram_id, subscription_id, Utc::now()).await?;
    let Some(sub) = sub.filter(|s| matches!(s.state, SubscriptionState::Active { .. })) else {
        reply.edit_or_send(t!("report.not_active", locale = lang), Some(back(lang))).await?;
        return Ok(());
    };
    if login_reports::is_open_for(&ctx.db, sub.id).await? {
        reply.edit_or_send(t!("report.already_open_short", locale = lang), Some(back(lang))).await?;
        return Ok(());
    }
    let mut rows: Vec<_> = ReportReason::ALL
        .into_iter()
        .map(|reason| vec![button(reason_label(reason, lang), Action::Reason(sub.id, reason))])
        .collect();
    rows.push(vec![button(t!("checkout.cancel_button", locale = lang), Goto::Subscriptions)]);
    let text = t!("report.choose_reason", locale = lang, name = ui::escape(&sub.plan_name), order = sub.order_id);
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

pub async fn ask_note(
    reply: &Reply,
    dialogue: &ChatDialogue,
    subscription_id: i32,
    reason: ReportReason,
) -> HandlerResult {
    let lang = reply.lang;
    dialogue.update(Step::ReportNote { subscription_id, reason }).await?;
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![button(t!("report.send_now_button", locale = lang), Action::SendReport(subscription_id, reason))],
        vec![button(t!("checkout.cancel_button", locale = lang), Goto::Subscriptions)],
    ]);
    let text = t!("report.ask_note", locale = lang, reason = reason_label(reason, lang));
    reply.edit_or_send(text, Some(keyboard)).await?;
    Ok(())
}

/// A sticker or a voice note where a note or screenshot was asked for.
pub async fn not_a_note(reply: &Reply, subscription_id: i32, reason: ReportReason) -> HandlerResult {
    let lang = reply.lang;
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button(
        t!("report.send_now_button", locale = lang),
        Action::SendReport(subscription_id, reason),
    )]]);
    reply.send(t!("report.not_a_note", locale = lang), Some(keyboard)).await?;
    Ok(())
}

pub async fn send(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    subscription_id: i32,
    reason: ReportReason,
    note: Option<&str>,
    screenshot: Option<String>,
) -> HandlerResult {
    let lang = reply.lang;
    let outcome = login_reports::open(
        &ctx.db,
        actor.telegram_id,
        subscription_id,
        reason,
        note,
        screenshot.as_deref(),
        Utc::now(),
    )
    .await?;
    let text = match outcome {
        OpenOutcome::Opened(report) => t!("report.sent", locale = lang, id = report.id),
        OpenOutcome::AlreadyOpen(report) => t!("report.already_open", locale = lang, id = report.id),
        OpenOutcome::NotActive => t!("report.not_active", locale = lang),
    };
    reply.send(text, Some(keyboards::main_menu(lang))).await?;
    Ok(())
}
