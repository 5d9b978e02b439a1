//! The desk's buttons, on its lists and on the alerts the outbox sends.
use rust_i18n::t;
use teloxide::types::InlineKeyboardButton;

use super::Action;
use crate::bot::ui::button;

pub fn report_buttons(report_id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![
        button(t!("desk.replace_button", locale = lang), Action::ReportReplace(report_id)),
        button(t!("desk.reply_button", locale = lang), Action::ReportReply(report_id)),
        button(t!("desk.close_button", locale = lang), Action::ReportClose(report_id)),
    ]
}

pub fn ticket_buttons(ticket_id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![
        button(t!("desk.reply_button", locale = lang), Action::TicketReply(ticket_id)),
        button(t!("desk.close_button", locale = lang), Action::TicketClose(ticket_id)),
    ]
}
