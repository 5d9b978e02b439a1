//! The decision buttons, on the queues' lists and on the alerts the outbox sends staff.
use rust_i18n::t;
use teloxide::types::InlineKeyboardButton;

use super::Action;
use crate::bot::ui::{button, format};
use crate::services::outbox::Person;

/// A list's row of buttons, each marked with the id it acts on.
pub fn numbered(id: i32, mut row: Vec<InlineKeyboardButton>) -> Vec<InlineKeyboardButton> {
    for b in &mut row {
        b.text = format!("#{id} {}", b.text);
    }
    row
}

pub fn claim_buttons(claim_id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![
        button(t!("upi.approve_button", locale = lang), Action::UpiApprove(claim_id)),
        button(t!("upi.reject_button", locale = lang), Action::UpiReject(claim_id)),
    ]
}

/// Approve / Reject for a pending request (the Approve button names the first approver when
/// a first of two approvals was given), Mark paid / Payout failed for an approved one.
pub fn withdrawal_buttons(id: i32, approved: bool, first_by: Option<&Person>, lang: &str) -> Vec<InlineKeyboardButton> {
    if approved {
        vec![
            button(t!("withdrawals.paid_button", locale = lang), Action::WithdrawalPaid(id)),
            button(t!("withdrawals.payout_failed_button", locale = lang), Action::WithdrawalFailed(id)),
        ]
    } else {
        let approve = match first_by {
            Some(first) => t!("withdrawals.second_approve_button", locale = lang, by = format::person_plain(first)),
            None => t!("withdrawals.approve_button", locale = lang),
        };
        vec![
            button(approve, Action::WithdrawalApprove(id)),
            button(t!("withdrawals.reject_button", locale = lang), Action::WithdrawalReject(id)),
        ]
    }
}

pub fn flag_buttons(id: i32, lang: &str) -> Vec<InlineKeyboardButton> {
    vec![
        button(t!("flags.resolve_button", locale = lang, id = id), Action::FlagResolve(id)),
        button(t!("flags.block_button", locale = lang, id = id), Action::FlagBlock(id)),
    ]
}
