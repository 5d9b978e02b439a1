//! /promo: admins create promo codes (`/promo add CODE 20% [plans=1,2] [from=…] [until=…]
//! [uses=N] [per_user=N] [first] [min=99]`), list them (`/promo`), see one's use
//! (`/promo CODE`) and disable one (`/promo off CODE`).
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, command, format, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::promo::{self, DraftError};
use crate::domain::Permission;
use crate::entities::promo_code;
use crate::services::promos::{self, CreateOutcome, DisableOutcome};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Promo codes: `add`, `off`, a code's use, or the list.
    Promo(String),
}

/// Codes /promo lists at most.
const LIST_LIMIT: u64 = 30;

pub fn handler() -> UpdateHandler<HandlerError> {
    command::on::<Command>().chain(permitted(Permission::ManageOffers, dptree::endpoint(on_command)))
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    let Command::Promo(args) = command;
    let args = args.trim();
    let (verb, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let lang = reply.lang;
    let now = Utc::now();
    let text = match verb.to_ascii_lowercase().as_str() {
        "" => return list(&reply, &ctx, &actor).await,
        "add" => match promo::parse_draft(rest, now) {
            Ok(draft) => match promos::create(&ctx.db, &actor, &draft, now).await? {
                CreateOutcome::Created(code) => {
                    format!("{}\n\n{}", t!("offers.created", locale = lang), describe(&code, lang))
                }
                CreateOutcome::CodeTaken => t!("offers.taken", locale = lang, code = draft.code).into_owned(),
            },
            Err(err) => format!("{}\n\n{}", draft_error(&err, lang), t!("offers.usage", locale = lang)),
        },
        "off" | "disable" => match promos::find(&ctx.db, &actor, rest).await? {
            Some(code) => match promos::disable(&ctx.db, &actor, code.id, now).await? {
                DisableOutcome::Disabled(code) => t!("offers.disabled", locale = lang, code = code.code).into_owned(),
                DisableOutcome::AlreadyOff(code) => {
                    t!("offers.already_off", locale = lang, code = code.code).into_owned()
                }
                DisableOutcome::Unknown => t!("offers.unknown", locale = lang, code = ui::escape(rest)).into_owned(),
            },
            None => t!("offers.unknown", locale = lang, code = ui::escape(rest)).into_owned(),
        },
        _ => match promos::find(&ctx.db, &actor, args).await? {
            Some(code) => match promos::usage(&ctx.db, &actor, code.id).await? {
                Some(usage) => format!(
                    "{}\n\n{}",
                    describe(&usage.code, lang),
                    t!(
                        "offers.usage_line",
                        locale = lang,
                        orders = usage.orders,
                        customers = usage.customers,
                        paid = usage.paid,
                        discount = usage.discount
                    )
                ),
                None => t!("offers.unknown", locale = lang, code = ui::escape(args)).into_owned(),
            },
            None => format!(
                "{}\n\n{}",
                t!("offers.unknown", locale = lang, code = ui::escape(args)),
                t!("offers.usage", locale = lang)
            ),
        },
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor) -> HandlerResult {
    let lang = reply.lang;
    let codes = promos::list(&ctx.db, actor, LIST_LIMIT).await?;
    if codes.is_empty() {
        reply
            .send(format!("{}\n\n{}", t!("offers.none", locale = lang), t!("offers.usage", locale = lang)), None)
            .await?;
        return Ok(());
    }
    let blocks = codes.iter().map(|c| format!("\n\n{}", describe(c, lang))).collect();
    reply.send_blocks(t!("offers.title", locale = lang).into_owned(), blocks, None).await?;
    Ok(())
}

/// One code: what it takes off and its terms.
pub fn describe(code: &promo_code::Model, lang: &str) -> String {
    let terms = promos::terms_of(code);
    let off = terms.off.to_string();
    let plans = terms.plan_list().unwrap_or_else(|| t!("offers.all_plans", locale = lang).into_owned());
    let until = match terms.valid_until {
        Some(until) => format::date_time(until, lang),
        None => t!("offers.no_end", locale = lang).into_owned(),
    };
    let uses = match terms.max_uses {
        Some(max) => format!("{}/{max}", code.uses),
        None => code.uses.to_string(),
    };
    let state = if code.is_active { t!("offers.active", locale = lang) } else { t!("offers.off", locale = lang) };
    let mut text = t!(
        "offers.line",
        locale = lang,
        code = ui::escape(&code.code),
        off = off,
        state = state,
        plans = plans,
        from = format::date_time(terms.valid_from, lang),
        until = until,
        uses = uses,
        per_user = terms.per_user
    )
    .into_owned();
    if terms.first_purchase_only {
        text.push_str(&t!("offers.first_only", locale = lang));
    }
    if terms.min_price.is_positive() {
        text.push_str(&t!("offers.min_price", locale = lang, min = terms.min_price));
    }
    text
}

fn draft_error(err: &DraftError, lang: &str) -> String {
    match err {
        DraftError::Code => t!("offers.bad_code", locale = lang).into_owned(),
        DraftError::Off => t!("offers.bad_off", locale = lang).into_owned(),
        DraftError::Option(word) => t!("offers.bad_option", locale = lang, option = ui::escape(word)).into_owned(),
        DraftError::Value(name, example) => {
            t!("offers.bad_value", locale = lang, option = name, example = example).into_owned()
        }
        DraftError::Window => t!("offers.bad_window", locale = lang).into_owned(),
    }
}
