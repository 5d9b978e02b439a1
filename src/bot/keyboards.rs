//! Inline keyboards. Labels come from `locales/`.
use rust_i18n::t;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Action;
use crate::services::catalog::PlanListing;

pub(super) fn button(label: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.into(), action.encode())
}

pub fn main_menu(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![
            button(t!("menu.plans", locale = lang), Action::Plans),
            button(t!("menu.wallet", locale = lang), Action::Wallet),
        ],
        vec![button(t!("menu.subs", locale = lang), Action::Subscriptions)],
        vec![
            button(t!("menu.refer", locale = lang), Action::Refer),
            button(t!("menu.withdraw", locale = lang), Action::Withdraw),
        ],
        vec![button(t!("menu.help", locale = lang), Action::Help)],
    ])
}

pub fn back_to_menu() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(t!("menu.back"), Action::Menu)]])
}

/// Telegram allows 100 buttons per keyboard; the rest of a huge catalogue stays reachable
/// by its plan page only.
const MAX_PLAN_BUTTONS: usize = 60;

pub fn plans(listings: &[PlanListing]) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = listings
        .iter()
        .take(MAX_PLAN_BUTTONS)
        .map(|l| {
            let name = short(&l.plan.name);
            let label = if l.in_stock() {
                t!("plans.button", name = name, price = l.price().to_string())
            } else {
                t!("plans.button_sold_out", name = name)
            };
            vec![button(label, Action::Plan(l.plan.id))]
        })
        .collect();
    rows.push(vec![button(t!("menu.back"), Action::Menu)]);
    InlineKeyboardMarkup::new(rows)
}

pub fn plan_detail(listing: &PlanListing) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if listing.in_stock() {
        rows.push(vec![button(t!("plans.buy", price = listing.price().to_string()), Action::Buy(listing.plan.id))]);
    }
    rows.push(vec![button(t!("menu.back_to_plans"), Action::Plans)]);
    InlineKeyboardMarkup::new(rows)
}

pub fn confirm(order_id: i32, price: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![button(t!("checkout.confirm_button", price = price), Action::Confirm(order_id))],
        cancel_row(order_id),
    ])
}

pub fn cancel_row(order_id: i32) -> Vec<InlineKeyboardButton> {
    vec![button(t!("checkout.cancel_button"), Action::Cancel(order_id))]
}

pub fn wallet() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![button(t!("wallet.topup_button"), Action::TopUp)],
        vec![button(t!("menu.back"), Action::Menu)],
    ])
}

/// Button labels are plain text; long names would be cut by the client anyway.
fn short(name: &str) -> String {
    if name.chars().count() <= 40 {
        name.to_owned()
    } else {
        name.chars().take(39).collect::<String>() + "…"
    }
}
