//! Keyboards every feature shows: the main menu and the way back to it.
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use super::callback::{button, Goto};

pub fn main_menu(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![
            button(t!("menu.plans", locale = lang), Goto::Plans),
            button(t!("menu.wallet", locale = lang), Goto::Wallet),
        ],
        vec![button(t!("menu.subs", locale = lang), Goto::Subscriptions)],
        vec![
            button(t!("menu.refer", locale = lang), Goto::Refer),
            button(t!("menu.withdraw", locale = lang), Goto::Withdraw),
        ],
        vec![
            button(t!("menu.help", locale = lang), Goto::Help),
            button(t!("menu.language", locale = lang), Goto::Language),
        ],
    ])
}

pub fn back_to_menu(lang: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(t!("menu.back", locale = lang), Goto::Menu)]])
}
