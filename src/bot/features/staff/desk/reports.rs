//! Login reports on the desk: the alert's text, /reports, and the answers (Replace, Reply, Close).
use chrono::Utc;
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::{keyboard, Step};
use crate::bot::state::ChatDialogue;
use crate::bot::ui::{self, format, reply, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::entities::login_report::{ReportReason, ReportStatus};
use crate::services::login_reports::{self, AnswerOutcome, ReplaceOutcome};
use crate::services::outbox::Notice;
use crate::services::Actor;

/// Reports /reports shows at most (each with its buttons).
const LIST_LIMIT: u64 = 10;
/// Longest reply staff may send (it is one message to the customer).
pub const MAX_REPLY_CHARS: usize = 3000;

pub fn reason_name(reason: ReportReason, lang: &str) -> String {
    let key = match reason {
        ReportReason::WrongPassword => "report.reason_wrong_password",
        ReportReason::ScreenLimit => "report.reason_screen_limit",
        ReportReason::ExpiredEarly => "report.reason_expired_early",
        ReportReason::Other => "report.reason_other",
    };
    t!(key, locale = lang).into_owned()
}

/// What staff read of a report (the alert, and each entry of /reports).
pub fn alert_text(notice: &Notice, lang: &str) -> String {
    let Notice::LoginReportAlert {
        report_id,
        customer,
        plan_name,
        order_id,
        ends_at,
        stock_item_id,
        credential,
        reason,
        note,
        paid_orders,
        earlier_reports,
        overdue,
        ..
    } = notice
    else {
        return String::new();
    };
    let overdue = if *overdue { t!("desk.overdue", locale = lang).into_owned() } else { String::new() };
    let note = match note {
        Some(note) => t!("desk.note", locale = lang, note = reply::escape(note)).into_owned(),
        None => String::new(),
    };
    t!(
        "desk.report_alert",
        locale = lang,
        id = report_id,
        overdue = overdue,
        customer = format::person(customer, lang),
        orders = paid_orders,
        reports = earlier_reports,
        plan = reply::escape(plan_name),
        order = order_id,
        ends = format::date(*ends_at, lang),
        stock = stock_item_id,
        credential = reply::escape(credential),
        reason = reason_name(*reason, lang),
        note = note
    )
    .into_owned()
}

pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let open = login_reports::open_reports(&ctx.db, actor, LIST_LIMIT).await?;
    if open.is_empty() {
        reply.send(t!("desk.no_reports", locale = lang), None).await?;
        return Ok(());
    }
    reply.send(t!("desk.reports_title", locale = lang, count = open.len()), None).await?;
    for alert in &open {
        let Notice::LoginReportAlert { report_id, .. } = alert else { continue };
        let buttons = actor
            .can(crate::domain::Permission::HelpCustomers)
            .then(|| InlineKeyboardMarkup::new(vec![keyboard::report_buttons(*report_id, lang)]));
        reply.send(alert_text(alert, lang), buttons).await?;
    }
    Ok(())
}

fn closed_text(id: i32, status: ReportStatus, lang: &str) -> String {
    let key = match status {
        ReportStatus::Replaced => "desk.report_already_replaced",
        _ => "desk.report_already_closed",
    };
    t!(key, locale = lang, id = id).into_owned()
}

pub async fn replace(reply: &Reply, ctx: &Ctx, actor: &Actor, report_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match login_reports::replace(&ctx.db, actor, report_id, Utc::now()).await? {
        ReplaceOutcome::Replaced { customer_telegram_id, stock_item_id, .. } => {
            t!("desk.replaced", locale = lang, id = report_id, stock = stock_item_id, customer = customer_telegram_id)
                .into_owned()
        }
        ReplaceOutcome::NoStock { plan_name } => {
            t!("desk.no_stock", locale = lang, id = report_id, plan = ui::escape(&plan_name)).into_owned()
        }
        ReplaceOutcome::AlreadyClosed(status) => closed_text(report_id, status, lang),
        ReplaceOutcome::NotActive => t!("desk.report_not_active", locale = lang, id = report_id).into_owned(),
        ReplaceOutcome::Unknown => t!("desk.unknown_report", locale = lang, id = report_id).into_owned(),
    };
    reply.send(text, None).await?;
    Ok(())
}

pub async fn ask_reply(ask: &Reply, dialogue: &ChatDialogue, report_id: i32) -> HandlerResult {
    dialogue.update(Step::ReportReply { report_id }).await?;
    ask.send(t!("desk.ask_report_reply", locale = ask.lang, id = report_id), None).await?;
    Ok(())
}

pub async fn reply_typed(
    reply: &Reply,
    ctx: &Ctx,
    actor: &Actor,
    dialogue: &ChatDialogue,
    report_id: i32,
    text: Option<&str>,
) -> HandlerResult {
    let lang = reply.lang;
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty() && t.chars().count() <= MAX_REPLY_CHARS) else {
        reply.send(t!("desk.reply_text", locale = lang, max = MAX_REPLY_CHARS), None).await?;
        return Ok(());
    };
    dialogue.exit().await?;
    let answer = match login_reports::reply(&ctx.db, actor, report_id, text, Utc::now()).await? {
        AnswerOutcome::Sent { customer_telegram_id } => {
            t!("desk.reply_sent", locale = lang, customer = customer_telegram_id).into_owned()
        }
        AnswerOutcome::AlreadyClosed(status) => closed_text(report_id, status, lang),
        AnswerOutcome::Unknown => t!("desk.unknown_report", locale = lang, id = report_id).into_owned(),
    };
    reply.send(answer, None).await?;
    Ok(())
}

pub async fn close(reply: &Reply, ctx: &Ctx, actor: &Actor, report_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let text = match login_reports::close(&ctx.db, actor, report_id, Utc::now()).await? {
        AnswerOutcome::Sent { .. } => t!("desk.report_closed", locale = lang, id = report_id).into_owned(),
        AnswerOutcome::AlreadyClosed(status) => closed_text(report_id, status, lang),
        AnswerOutcome::Unknown => t!("desk.unknown_report", locale = lang, id = report_id).into_owned(),
    };
    reply.send(text, None).await?;
    Ok(())
}
