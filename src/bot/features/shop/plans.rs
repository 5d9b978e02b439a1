//! The plans on sale, and one plan with its Buy button.
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::Action;
use crate::bot::ui::{self, button, format, reply, Goto, Reply};
use crate::bot::{Ctx, HandlerResult};
use crate::domain::{Money, Permission};
use crate::services::catalog::{self, PlanListing};
use crate::services::Actor;

/// Telegram allows 100 buttons per keyboard; the rest of a huge catalogue stays reachable
/// by its plan page only.
const MAX_PLAN_BUTTONS: usize = 60;

/// The plans. Staff asking with /plans also see hidden plans, ids, costs and stock.
pub async fn list(reply: &Reply, ctx: &Ctx, actor: &Actor, from_button: bool) -> HandlerResult {
    let lang = reply.lang;
    let staff_view = !from_button && actor.can(Permission::View);
    let listings = catalog::list_plans(&ctx.db, !staff_view).await?;
    if staff_view {
        let blocks = listings
            .iter()
            .map(|l| {
                let hidden =
                    if l.plan.is_active { String::new() } else { t!("plans.inactive", locale = lang).into_owned() };
                let line = t!(
                    "plans.admin_line",
                    locale = lang,
                    id = l.plan.id,
                    name = ui::escape(&l.plan.name),
                    price = l.price(),
                    cost = Money::from_paise(l.plan.cost),
                    days = l.plan.duration_days,
                    stock = l.available,
                    inactive = hidden
                );
                format!("\n{line}")
            })
            .collect();
        let on_sale: Vec<_> = listings.into_iter().filter(|l| l.plan.is_active).collect();
        reply
            .send_blocks(t!("plans.title", locale = lang).into_owned(), blocks, Some(keyboard(&on_sale, lang)))
            .await?;
        return Ok(());
    }
    if listings.is_empty() {
        reply.edit_or_send(t!("plans.empty", locale = lang), Some(ui::keyboards::back_to_menu(lang))).await?;
        return Ok(());
    }
    let lines = listings
        .iter()
        .map(|l| {
            let stock =
                if l.in_stock() { t!("plans.in_stock", locale = lang) } else { t!("plans.sold_out", locale = lang) };
            let line = t!(
                "plans.line",
                locale = lang,
                name = ui::escape(&l.plan.name),
                price = l.price(),
                days = l.plan.duration_days,
                stock = stock
            );
            format!("\n{line}")
        })
        .collect();
    let text =
        reply::first_page(t!("plans.title", locale = lang).into_owned(), lines, &t!("plans.more", locale = lang));
    reply.edit_or_send(text, Some(keyboard(&listings, lang))).await?;
    Ok(())
}

pub async fn show(reply: &Reply, ctx: &Ctx, actor: &Actor, plan_id: i32) -> HandlerResult {
    let lang = reply.lang;
    let Some(listing) = catalog::find_plan(&ctx.db, plan_id).await?.filter(|l| l.plan.is_active) else {
        reply.send(t!("plans.unavailable", locale = lang), None).await?;
        return list(&reply.to_chat(reply.chat), ctx, actor, true).await;
    };
    let description = if listing.plan.description.is_empty() {
        String::new()
    } else {
        format!("{}\n\n", ui::escape(&listing.plan.description))
    };
    let stock = if listing.in_stock() {
        t!("plans.detail_in_stock", locale = lang)
    } else {
        t!("plans.detail_sold_out", locale = lang)
    };
    let text = t!(
        "plans.detail",
        locale = lang,
        name = ui::escape(&listing.plan.name),
        description = description,
        price = listing.price(),
        days = listing.plan.duration_days,
        stock = stock
    );
    let mut rows = Vec::new();
    if listing.in_stock() {
        let label = t!("plans.buy", locale = lang, price = listing.price().to_string());
        rows.push(vec![button(label, Action::Buy(listing.plan.id))]);
    }
    rows.push(vec![button(t!("menu.back_to_plans", locale = lang), Goto::Plans)]);
    reply.edit_or_send(text, Some(InlineKeyboardMarkup::new(rows))).await?;
    Ok(())
}

fn keyboard(listings: &[PlanListing], lang: &str) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = listings
        .iter()
        .take(MAX_PLAN_BUTTONS)
        .map(|l| {
            let name = format::short(&l.plan.name);
            let label = if l.in_stock() {
                t!("plans.button", locale = lang, name = name, price = l.price().to_string())
            } else {
                t!("plans.button_sold_out", locale = lang, name = name)
            };
            vec![button(label, Action::Plan(l.plan.id))]
        })
        .collect();
    rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
    InlineKeyboardMarkup::new(rows)
}
