//! Multi-step conversations, persisted in the database so they survive a restart.
use serde::{Deserialize, Serialize};
use teloxide::dispatching::dialogue::Dialogue;

use crate::services::dialogue_store::DbDialogueStore;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    #[default]
    Idle,
    /// `/addplan` step by step; amounts in paise.
    AddPlanPrice,
    AddPlanCost {
        price: i64,
    },
    AddPlanDays {
        price: i64,
        cost: i64,
    },
    AddPlanName {
        price: i64,
        cost: i64,
        days: i32,
    },
    /// A customer is typing a custom top-up amount.
    TopUpAmount,
    /// A customer is sending the UTR of UPI payment `payment_id`.
    UpiUtr {
        payment_id: i32,
    },
    /// An admin is typing why UPI claim `claim_id` is rejected.
    UpiRejectReason {
        claim_id: i32,
    },
    /// A customer is typing how much to withdraw.
    WithdrawAmount,
    /// ... then the UPI ID to receive `amount` paise.
    WithdrawVpa {
        amount: i64,
    },
    /// ... then confirms.
    WithdrawConfirm {
        amount: i64,
        vpa: String,
    },
    /// An admin is typing why withdrawal `withdrawal_id` is rejected (pending) or why its
    /// payout failed (approved).
    WithdrawalRejectReason {
        withdrawal_id: i32,
        payout_failed: bool,
    },
    /// An admin is sending the UTR of the payout of withdrawal `withdrawal_id`.
    WithdrawalPayoutUtr {
        withdrawal_id: i32,
    },
}

pub type ChatDialogue = Dialogue<State, DbDialogueStore>;
