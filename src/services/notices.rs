//! Things customers must be told that happen outside a chat update (a webhook, a job).
//! Services return them; whoever runs the service hands them to the bot's notifier.
use crate::domain::Money;
use crate::services::payments::{PurchaseResult, Settlement};

#[derive(Debug, Clone)]
pub enum Notice {
    PaymentCredited {
        telegram_id: i64,
        reference: String,
        credited: Money,
        balance: Money,
        purchase: Option<PurchaseResult>,
    },
}

pub type NoticeSender = tokio::sync::mpsc::UnboundedSender<Notice>;
pub type NoticeReceiver = tokio::sync::mpsc::UnboundedReceiver<Notice>;

pub fn channel() -> (NoticeSender, NoticeReceiver) {
    tokio::sync::mpsc::unbounded_channel()
}

impl Notice {
    /// The notice for a settlement, or None when nothing new happened.
    pub fn of(settlement: &Settlement) -> Option<Notice> {
        match settlement {
            Settlement::Credited { payment, user, credited, balance, purchase } => Some(Notice::PaymentCredited {
                telegram_id: user.telegram_id,
                reference: payment.reference.clone(),
                credited: *credited,
                balance: *balance,
                purchase: purchase.clone(),
            }),
            Settlement::AlreadySettled => None,
        }
    }
}
