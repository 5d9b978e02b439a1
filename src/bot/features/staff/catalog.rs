//! Admin catalogue: /addplan (in one line, or step by step), /addstock (lines, or a .txt or
//! .csv file), /describe and /renewal (keep or replace logins on renewal).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::bot::state::{self, ChatDialogue};
use crate::bot::ui::{self, command, format, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::credentials::{self, CredentialBatch};
use crate::domain::plan_draft::{self, PlanDraft, PlanDraftError};
use crate::domain::{Money, Permission};
use crate::services::stock::AddStockOutcome;
use crate::services::{catalog, stock, Actor};

/// Largest stock file we download.
const MAX_STOCK_FILE: u32 = 1024 * 1024;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// `<price> <cost> <days> <name>`, or nothing to go step by step.
    AddPlan(String),
    /// `<plan_id>` then one credential per line (or a file with this caption).
    AddStock(String),
    /// `<plan_id> <text…>`
    Describe(String),
    /// `<plan_id> keep|new`: what renewing does to the customer's login.
    Renewal(String),
}

/// /addplan step by step; amounts in paise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Price,
    Cost { price: i64 },
    Days { price: i64, cost: i64 },
    Name { price: i64, cost: i64, days: i32 },
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::ManageCatalog, dptree::endpoint(on_command))))
        .branch(state::step::<Step>().chain(permitted(Permission::ManageCatalog, dptree::endpoint(on_step))))
}

async fn on_command(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    msg: Message,
    command: Command,
) -> HandlerResult {
    let lang = reply.lang;
    match command {
        Command::AddPlan(args) if args.is_empty() => {
            dialogue.update(Step::Price).await?;
            reply.send(t!("admin.addplan_ask_price", locale = lang), None).await?;
        }
        Command::AddPlan(args) => match plan_draft::parse_line(&args) {
            Ok(draft) => create(&reply, &ctx, &actor, &msg, &draft).await?,
            Err(err) => {
                let error = t!("errors.input", locale = lang, error = format::draft_error(&err, lang));
                reply.send(format!("{error}\n\n{}", t!("admin.addplan_usage", locale = lang)), None).await?;
            }
        },
        Command::AddStock(args) => add_stock(&reply, &ctx, &actor, &msg, &args).await?,
        Command::Describe(args) => describe(&reply, &ctx, &actor, &args).await?,
        Command::Renewal(args) => renewal(&reply, &ctx, &actor, &args).await?,
    }
    Ok(())
}

/// One answer in the /addplan dialogue.
async fn on_step(
    reply: Reply,
    ctx: Arc<Ctx>,
    actor: Actor,
    dialogue: ChatDialogue,
    msg: Message,
    step: Step,
) -> HandlerResult {
    let lang = reply.lang;
    let Some(text) = msg.text() else {
        reply.send(t!("admin.addplan_text_only", locale = lang), None).await?;
        return Ok(());
    };
    let invalid =
        |err: PlanDraftError| t!("admin.addplan_invalid", locale = lang, error = format::draft_error(&err, lang));
    let (next, prompt) = match step {
        Step::Price => match plan_draft::parse_price(text) {
            Ok(price) => (Step::Cost { price: price.paise() }, t!("admin.addplan_ask_cost", locale = lang)),
            Err(err) => (Step::Price, invalid(err)),
        },
        Step::Cost { price } => match plan_draft::parse_cost(text) {
            Ok(cost) => (Step::Days { price, cost: cost.paise() }, t!("admin.addplan_ask_days", locale = lang)),
            Err(err) => (Step::Cost { price }, invalid(err)),
        },
        Step::Days { price, cost } => match plan_draft::parse_days(text) {
            Ok(days) => (Step::Name { price, cost, days }, t!("admin.addplan_ask_name", locale = lang)),
            Err(err) => (Step::Days { price, cost }, invalid(err)),
        },
        Step::Name { price, cost, days } => match plan_draft::parse_name(text) {
            Ok(name) => {
                dialogue.exit().await?;
                let draft = PlanDraft {
                    price: Money::from_paise(price),
                    cost: Money::from_paise(cost),
                    duration_days: days,
                    name,
                };
                return create(&reply, &ctx, &actor, &msg, &draft).await;
            }
            Err(err) => (Step::Name { price, cost, days }, invalid(err)),
        },
    };
    dialogue.update(next).await?;
    reply.send(prompt, None).await?;
    Ok(())
}

async fn create(reply: &Reply, ctx: &Ctx, actor: &Actor, msg: &Message, draft: &PlanDraft) -> HandlerResult {
    let lang = reply.lang;
    let created = catalog::create_plan(&ctx.db, actor, draft, &command::event_key(msg), Utc::now()).await?;
    let plan = created.plan;
    let text = if created.created {
        t!(
            "admin.plan_created",
            locale = lang,
            id = plan.id,
            name = ui::escape(&plan.name),
            price = draft.price,
            cost = draft.cost,
            days = plan.duration_days
        )
    } else {
        t!("admin.plan_exists", locale = lang, id = plan.id, name = ui::escape(&plan.name))
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn describe(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let (id, text) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let Some(plan_id) = id.trim_start_matches('#').parse::<i32>().ok() else {
        reply.send(t!("admin.describe_usage", locale = lang), None).await?;
        return Ok(());
    };
    let description = match plan_draft::parse_description(text) {
        Ok(description) => description,
        Err(err) => {
            reply.send(t!("errors.input", locale = lang, error = format::draft_error(&err, lang)), None).await?;
            return Ok(());
        }
    };
    let text = match catalog::describe_plan(&ctx.db, actor, plan_id, &description, Utc::now()).await? {
        Some(plan) => t!("admin.described", locale = lang, id = plan.id, name = ui::escape(&plan.name)),
        None => t!("admin.addstock_unknown_plan", locale = lang, id = plan_id),
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn renewal(reply: &Reply, ctx: &Ctx, actor: &Actor, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let mut words = args.split_whitespace();
    let plan_id = words.next().and_then(|id| id.trim_start_matches('#').parse::<i32>().ok());
    let keeps = match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("keep") => Some(true),
        Some("new" | "replace") => Some(false),
        _ => None,
    };
    let (Some(plan_id), Some(keeps), None) = (plan_id, keeps, words.next()) else {
        reply.send(t!("admin.renewal_usage", locale = lang), None).await?;
        return Ok(());
    };
    let changes = plan_draft::PlanChanges { keeps_login: Some(keeps), ..Default::default() };
    let text = match catalog::update_plan(&ctx.db, actor, plan_id, changes, Utc::now()).await? {
        catalog::UpdateOutcome::Updated(plan) => {
            let key = if keeps { "admin.renewal_keeps" } else { "admin.renewal_replaces" };
            t!(key, locale = lang, id = plan.id, name = ui::escape(&plan.name))
        }
        catalog::UpdateOutcome::UnknownPlan | catalog::UpdateOutcome::Invalid(..) => {
            t!("admin.addstock_unknown_plan", locale = lang, id = plan_id)
        }
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn add_stock(reply: &Reply, ctx: &Ctx, actor: &Actor, msg: &Message, args: &str) -> HandlerResult {
    let lang = reply.lang;
    let (first_line, rest) = args.split_once('\n').unwrap_or((args, ""));
    let Some(plan_id) =
        first_line.split_whitespace().next().and_then(|id| id.trim_start_matches('#').parse::<i32>().ok())
    else {
        reply.send(t!("admin.addstock_usage", locale = lang), None).await?;
        return Ok(());
    };
    // Credentials may also follow the id on the first line: `/addstock 3 a@b:pw`.
    let inline = first_line.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    let batch = match msg.document() {
        Some(doc) => {
            let name = doc.file_name.clone().unwrap_or_default().to_ascii_lowercase();
            let is_csv = name.ends_with(".csv");
            if !(is_csv || name.ends_with(".txt")) || doc.file.size > MAX_STOCK_FILE {
                reply.send(t!("admin.addstock_bad_file", locale = lang), None).await?;
                return Ok(());
            }
            let file = reply.tg.get_file(doc.file.id.clone()).await?;
            let mut bytes = Vec::new();
            reply.tg.download_file(&file.path, &mut bytes).await?;
            match (is_csv, String::from_utf8(bytes)) {
                (_, Err(_)) => {
                    reply.send(t!("admin.addstock_bad_file", locale = lang), None).await?;
                    return Ok(());
                }
                (true, Ok(text)) => credentials::from_csv(text.as_bytes()),
                (false, Ok(text)) => credentials::from_lines(&text),
            }
        }
        None => credentials::from_lines(&format!("{inline}\n{rest}")),
    };
    if batch.credentials.is_empty() && batch.too_long == 0 {
        reply.send(t!("admin.addstock_empty", locale = lang), None).await?;
        return Ok(());
    }
    report_stock(reply, ctx, actor, plan_id, &batch).await
}

async fn report_stock(reply: &Reply, ctx: &Ctx, actor: &Actor, plan_id: i32, batch: &CredentialBatch) -> HandlerResult {
    let lang = reply.lang;
    let text = match stock::add_stock(&ctx.db, actor, plan_id, batch, Utc::now()).await? {
        AddStockOutcome::UnknownPlan => t!("admin.addstock_unknown_plan", locale = lang, id = plan_id),
        AddStockOutcome::Added { plan_name, added, duplicates, too_long, available } => {
            let too_long =
                if too_long > 0 { t!("admin.addstock_too_long", locale = lang, count = too_long) } else { "".into() };
            t!(
                "admin.addstock_done",
                locale = lang,
                plan = ui::escape(&plan_name),
                added = added,
                duplicates = duplicates,
                too_long = too_long,
                available = available
            )
        }
    };
    reply.send(text, None).await?;
    Ok(())
}
