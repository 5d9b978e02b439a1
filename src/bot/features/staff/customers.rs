//! Looking customers up: /user (by Telegram id, @username or referral code) shows the wallet,
//! recent orders, subscriptions, referrals and flags; /order shows one order. Support and up.
use std::sync::Arc;

use chrono::Utc;
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::utils::command::BotCommands;

use crate::bot::ui::{self, command, format, permitted, Reply};
use crate::bot::{Ctx, HandlerError, HandlerResult};
use crate::domain::subscription_period::SubscriptionState;
use crate::domain::{Money, Permission};
use crate::entities::order::OrderStatus;
use crate::services::customers::{self, OrderLine};
use crate::services::Actor;

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// `<telegram_id | @username | referral code>`
    User(String),
    /// `<order_id>`
    Order(String),
}

/// Support and up: a customer lost the message with their login.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Resend {
    /// `<order_id>`
    Resend(String),
}

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(command::on::<Command>().chain(permitted(Permission::View, dptree::endpoint(on_command))))
        .branch(command::on::<Resend>().chain(permitted(Permission::ResendLogin, dptree::endpoint(resend))))
}

async fn resend(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Resend) -> HandlerResult {
    use crate::services::subscriptions::{self, ResendOutcome};
    let lang = reply.lang;
    let Resend::Resend(id) = command;
    let Some(order_id) = id.trim().trim_start_matches('#').parse::<i32>().ok().filter(|id| *id > 0) else {
        reply.send(t!("customers.resend_usage", locale = lang), None).await?;
        return Ok(());
    };
    let text = match subscriptions::resend_login(&ctx.db, &actor, order_id, Utc::now()).await? {
        ResendOutcome::Resent { customer_telegram_id } => {
            t!("customers.resent", locale = lang, order = order_id, id = customer_telegram_id)
        }
        ResendOutcome::NotActive => t!("customers.not_active", locale = lang, order = order_id),
        ResendOutcome::UnknownOrder => t!("admin.refund_unknown", locale = lang, order = order_id),
    };
    reply.send(text, None).await?;
    Ok(())
}

async fn on_command(reply: Reply, ctx: Arc<Ctx>, actor: Actor, command: Command) -> HandlerResult {
    match command {
        Command::User(query) => user(&reply, &ctx, &actor, &query).await,
        Command::Order(id) => order(&reply, &ctx, &actor, &id).await,
    }
}

async fn user(reply: &Reply, ctx: &Ctx, actor: &Actor, query: &str) -> HandlerResult {
    let lang = reply.lang;
    if query.trim().is_empty() {
        reply.send(t!("customers.user_usage", locale = lang), None).await?;
        return Ok(());
    }
    let Some(found) = customers::find(&ctx.db, actor, query).await? else {
        reply.send(t!("customers.not_found", locale = lang, query = ui::escape(query.trim())), None).await?;
        return Ok(());
    };
    let now = Utc::now();
    let card = customers::card(&ctx.db, actor, found, now).await?;
    let referrer = match &card.referrer {
        Some(referrer) => format::user_label(referrer, lang),
        None => t!("customers.no_referrer", locale = lang).into_owned(),
    };
    let blocked =
        if card.user.is_blocked { t!("customers.blocked", locale = lang).into_owned() } else { String::new() };
    let header = t!(
        "customers.card",
        locale = lang,
        user = format::user_label(&card.user, lang),
        role = format::role_name(card.user.role, lang),
        joined = format::date(card.user.created_at, lang),
        code = ui::escape(&card.user.referral_code),
        balance = card.balance,
        paid = card.orders_paid,
        active = card.active_subscriptions,
        referrer = referrer,
        referrals = card.referrals,
        paying = card.referrals_paying,
        earned = card.commission_total,
        flags = card.open_flags,
        blocked = blocked
    )
    .into_owned();
    let mut blocks: Vec<String> = Vec::new();
    if card.recent_orders.is_empty() {
        blocks.push(t!("customers.no_orders", locale = lang).into_owned());
    } else {
        blocks.push(t!("customers.orders_title", locale = lang).into_owned());
        blocks.extend(card.recent_orders.iter().map(|line| order_line(line, lang)));
    }
    reply.send_blocks(header, blocks, None).await?;
    Ok(())
}

async fn order(reply: &Reply, ctx: &Ctx, actor: &Actor, id: &str) -> HandlerResult {
    let lang = reply.lang;
    let Some(order_id) = id.trim().trim_start_matches('#').parse::<i32>().ok().filter(|id| *id > 0) else {
        reply.send(t!("customers.order_usage", locale = lang), None).await?;
        return Ok(());
    };
    let Some((line, customer)) = customers::order(&ctx.db, actor, order_id, Utc::now()).await? else {
        reply.send(t!("admin.refund_unknown", locale = lang, order = order_id), None).await?;
        return Ok(());
    };
    let text = format!(
        "{}{}",
        t!("customers.order_title", locale = lang, user = format::user_label(&customer, lang)),
        order_line(&line, lang)
    );
    reply.send(text, None).await?;
    Ok(())
}

fn order_line(line: &OrderLine, lang: &str) -> String {
    let status = match line.order.status {
        OrderStatus::Pending => t!("customers.status_pending", locale = lang),
        OrderStatus::Paid => t!("customers.status_paid", locale = lang),
        OrderStatus::Cancelled => t!("customers.status_cancelled", locale = lang),
        OrderStatus::Refunded => t!("customers.status_refunded", locale = lang),
    };
    let subscription = match line.subscription {
        Some((SubscriptionState::Active { days_left }, ends)) => {
            t!("customers.sub_active", locale = lang, ends = format::date(ends, lang), days = days_left)
        }
        Some((SubscriptionState::Expired, ends)) => {
            t!("customers.sub_expired", locale = lang, ends = format::date(ends, lang))
        }
        Some((SubscriptionState::Cancelled, _)) => t!("customers.sub_cancelled", locale = lang),
        None => "".into(),
    };
    t!(
        "customers.order_line",
        locale = lang,
        id = line.order.id,
        plan = ui::escape(&line.plan_name),
        price = Money::from_paise(line.order.price),
        date = format::date_time(line.order.created_at, lang),
        status = status,
        subscription = subscription
    )
    .into_owned()
}
