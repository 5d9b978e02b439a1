//! Reports in chat, for admins and owners: /stats (a period's figures, then the daily chart
//! as a photo) and /export (a CSV file of orders, the ledger, withdrawals or commissions over
//! a range of IST days, written to a temporary file page by page and sent as a document).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::payloads::{SendDocumentSetters, SendPhotoSetters};
use teloxide::prelude::*;
use teloxide::types::{InputFile, ParseMode};
use teloxide::utils::command::BotCommands;
use tokio::io::AsyncWriteExt;

use crate::bot::ui::{self, command, format, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::charts;
use crate::domain::report::{DateRange, Period, RangeError};
use crate::domain::Permission;
use crate::entities::commission::CommissionStatus;
use crate::entities::withdrawal::WithdrawalStatus;
use crate::services::exports::{self, ExportKind};
use crate::services::reports::{self, Stats, Tally};
use crate::services::Actor;

/// The most a bot may upload to Telegram.
const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// `[today | 7d | 30d | all]`
    Stats(String),
    /// `<orders | ledger | withdrawals | commissions> <from> <to>`
    Export(String),
}

pub fn handler() -> UpdateHandler<HandlerError> {
    command::on::<Command>().chain(permitted(Permission::ViewReports, dptree::endpoint(on_command)))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    match command {
        Command::Stats(period) => stats(&reply, &ctx, &actor, &period).await,
        Command::Export(args) => export(&reply, &ctx, &actor, &args).await,
    }
}

async fn stats(reply: &Reply, ctx: &Ctx, actor: &Actor, input: &str) -> HandlerResult {
    let lang = reply.lang;
    let period = if input.trim().is_empty() { Some(Period::Today) } else { Period::parse(input) };
    let Some(period) = period else {
        reply.send(t!("reports.stats_usage", locale = lang), None).await?;
        return Ok(());
    };
    let now = Utc::now();
    let figures = reports::stats(&ctx.db, actor, period, now).await?;
    let (header, blocks) = stats_text(&figures, lang);
    reply.send_blocks(header, blocks, None).await?;

    let days = reports::daily(&ctx.db, actor, period.chart_days(), now).await?;
    let (Some(first), Some(last)) = (days.first().map(|d| d.date), days.last().map(|d| d.date)) else {
        return Ok(());
    };
    // Drawing takes a few milliseconds of CPU: not on the runtime's threads.
    let png = tokio::task::spawn_blocking(move || charts::daily_png(&days)).await?;
    match png {
        Ok(png) => {
            let date = |d: chrono::NaiveDate| format::date(crate::domain::report::ist_midnight(d), lang);
            let caption = t!("reports.chart_caption", locale = lang, from = date(first), to = date(last));
            reply.tg.slot(reply.chat).await;
            reply
                .tg
                .send_photo(reply.chat, InputFile::memory(png).file_name("stats.png"))
                .caption(caption)
                .parse_mode(ParseMode::Html)
                .await?;
        }
        Err(err) => {
            log::warn!("the daily chart failed: {err}");
            reply.send(t!("reports.chart_failed", locale = lang), None).await?;
        }
    }
    Ok(())
}

fn period_name(period: Period, lang: &str) -> String {
    match period {
        Period::Today => t!("reports.period_today", locale = lang),
        Period::Days7 => t!("reports.period_7d", locale = lang),
        Period::Days30 => t!("reports.period_30d", locale = lang),
        Period::All => t!("reports.period_all", locale = lang),
    }
    .into_owned()
}

fn commission_name(status: CommissionStatus, lang: &str) -> String {
    match status {
        CommissionStatus::Pending => t!("reports.commission_pending", locale = lang),
        CommissionStatus::Available => t!("reports.commission_available", locale = lang),
        CommissionStatus::Cancelled => t!("reports.commission_cancelled", locale = lang),
        CommissionStatus::Reversed => t!("reports.commission_reversed", locale = lang),
    }
    .into_owned()
}

fn withdrawal_name(status: WithdrawalStatus, lang: &str) -> String {
    match status {
        WithdrawalStatus::Pending => t!("reports.withdrawal_pending", locale = lang),
        WithdrawalStatus::Approved => t!("reports.withdrawal_approved", locale = lang),
        WithdrawalStatus::Paid => t!("reports.withdrawal_paid", locale = lang),
        WithdrawalStatus::Rejected => t!("reports.withdrawal_rejected", locale = lang),
        WithdrawalStatus::PayoutFailed => t!("reports.withdrawal_payout_failed", locale = lang),
    }
    .into_owned()
}

fn tally_line(status: String, tally: &Tally, lang: &str) -> String {
    t!("reports.tally_line", locale = lang, status = status, count = tally.count, amount = tally.amount).into_owned()
}

/// The figures as a header (the period's sales) and blocks (commissions, withdrawals, one
/// per plan's stock), so a shop with many plans is split into several messages.
pub fn stats_text(stats: &Stats, lang: &str) -> (String, Vec<String>) {
    let to = format::date_time(stats.to, lang);
    let range = match stats.from {
        Some(from) => t!("reports.range", locale = lang, from = format::date(from, lang), to = to),
        None => t!("reports.range_all", locale = lang, to = to),
    };
    let header = t!(
        "reports.stats",
        locale = lang,
        period = period_name(stats.period, lang),
        range = range,
        new_users = stats.new_users,
        paying_users = stats.paying_users,
        orders = stats.orders,
        revenue = stats.revenue,
        cost = stats.cost,
        profit = stats.profit,
        refunds = stats.refunds.count,
        refunded = stats.refunds.amount
    )
    .into_owned();
    let mut money = t!("reports.commissions_title", locale = lang).into_owned();
    for (status, tally) in &stats.commissions {
        money.push_str(&tally_line(commission_name(*status, lang), tally, lang));
    }
    money.push_str(&t!("reports.withdrawals_title", locale = lang));
    for (status, tally) in &stats.withdrawals {
        money.push_str(&tally_line(withdrawal_name(*status, lang), tally, lang));
    }
    let mut blocks = vec![money, t!("reports.stock_title", locale = lang).into_owned()];
    if stats.stock.is_empty() {
        blocks.push(t!("reports.no_plans", locale = lang).into_owned());
    }
    blocks.extend(stats.stock.iter().map(|plan| {
        t!(
            "reports.stock_line",
            locale = lang,
            id = plan.plan_id,
            name = ui::escape(&plan.name),
            available = plan.available
        )
        .into_owned()
    }));
    (header, blocks)
}

fn kind_name(kind: ExportKind, lang: &str) -> String {
    match kind {
        ExportKind::Orders => t!("reports.kind_orders", locale = lang),
        ExportKind::Ledger => t!("reports.kind_ledger", locale = lang),
        ExportKind::Withdrawals => t!("reports.kind_withdrawals", locale = lang),
        ExportKind::Commissions => t!("reports.kind_commissions", locale = lang),
    }
    .into_owned()
}

async fn export(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let parts: Vec<&str> = args.split_whitespace().collect();
    let [kind, from, to] = parts.as_slice() else {
        reply.send(t!("reports.export_usage", locale = lang), None).await?;
        return Ok(());
    };
    let Some(kind) = ExportKind::parse(kind) else {
        reply.send(t!("reports.export_bad_kind", locale = lang, kind = ui::escape(kind)), None).await?;
        return Ok(());
    };
    let range = match DateRange::parse(from, to) {
        Ok(range) => range,
        Err(RangeError::BadDate(date)) => {
            reply.send(t!("reports.export_bad_date", locale = lang, date = ui::escape(&date)), None).await?;
            return Ok(());
        }
        Err(RangeError::Reversed) => {
            reply.send(t!("reports.export_reversed", locale = lang, from = from, to = to), None).await?;
            return Ok(());
        }
    };
    let mut export = exports::open(&ctx.db, actor, kind, range)?;
    // Page by page into a temporary file (removed when it goes out of scope), never the
    // whole export in memory.
    let temp = tempfile::NamedTempFile::new()?;
    let mut file = tokio::fs::File::from_std(temp.reopen()?);
    while let Some(chunk) = export.next_chunk().await? {
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    let size = file.metadata().await?.len();
    drop(file);
    if size > MAX_DOCUMENT_BYTES {
        let megabytes = size.div_ceil(1024 * 1024);
        reply.send(t!("reports.export_too_large", locale = lang, size = megabytes), None).await?;
        return Ok(());
    }
    let caption = t!(
        "reports.export_caption",
        locale = lang,
        kind = kind_name(kind, lang),
        from = range.from,
        to = range.to,
        rows = export.rows()
    );
    reply.tg.slot(reply.chat).await;
    reply
        .tg
        .send_document(reply.chat, InputFile::file(temp.path()).file_name(export.file_name()))
        .caption(caption)
        .parse_mode(ParseMode::Html)
        .await?;
    Ok(())
}
