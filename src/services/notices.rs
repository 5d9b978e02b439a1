//! Things customers must be told that happen outside a chat update (a webhook, a job).
//! Services return them; whoever runs the service hands them to the bot's notifier.
use crate::domain::Money;
use crate::entities::fraud_flag;
use crate::services::payments::{PurchaseResult, Settlement};
use crate::services::referrals::Matured;

#[derive(Debug, Clone)]
pub enum Notice {
    PaymentCredited {
        telegram_id: i64,
        reference: String,
        credited: Money,
        balance: Money,
        purchase: Option<PurchaseResult>,
        flags: Vec<fraud_flag::Model>,
    },
    /// A referral commission finished its hold and is in the wallet.
    CommissionAvailable(Matured),
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
            Settlement::Credited { payment, user, credited, balance, purchase, flags } => {
                Some(Notice::PaymentCredited {
                    telegram_id: user.telegram_id,
                    reference: payment.reference.clone(),
                    credited: *credited,
                    balance: *balance,
                    purchase: purchase.clone(),
                    flags: flags.clone(),
                })
            }
            Settlement::AlreadySettled => None,
        }
    }
}
