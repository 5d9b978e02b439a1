//! Delivers notices produced outside chat updates (payment webhooks, jobs) to customers.
use std::sync::Arc;

use rust_i18n::t;
use teloxide::prelude::*;

use super::{alerts, customer, fraud, keyboards, referrals, reply, Ctx};
use crate::services::notices::{Notice, NoticeReceiver};
use crate::services::payments::PurchaseResult;

/// Runs until every sender is gone.
pub async fn run(bot: Bot, ctx: Arc<Ctx>, mut notices: NoticeReceiver) {
    while let Some(notice) = notices.recv().await {
        deliver(&bot, &ctx, notice).await;
    }
}

/// Tells the customer, then the admins. A customer we cannot reach (blocked the bot) is
/// logged; the admins are still told, and the money is already in the wallet either way.
pub(super) async fn deliver(bot: &Bot, ctx: &Ctx, notice: Notice) {
    match notice {
        Notice::CommissionAvailable(matured) => referrals::available(bot, &matured).await,
        Notice::PaymentCredited { telegram_id, reference, credited, balance, purchase, flags } => {
            fraud::alert_raised(bot, ctx, &flags).await;
            let chat = ChatId(telegram_id);
            let text =
                t!("payments.received", amount = credited, reference = reply::escape(&reference), balance = balance);
            let keyboard = if purchase.is_none() { Some(keyboards::main_menu()) } else { None };
            let mut told = reply::send(bot, chat, text, keyboard).await.map(|_| ());
            let payer = t!("admin.customer_id", id = telegram_id);
            let alert =
                t!("admin.payment_alert", amount = credited, reference = reply::escape(&reference), customer = payer);
            alerts::notify_admins(bot, ctx, alert.into_owned()).await;
            let outcome = match purchase {
                None => None,
                Some(PurchaseResult::Delivered(delivery)) => {
                    alerts::new_order(bot, ctx, &payer, &delivery).await;
                    told = told.and(customer::send_delivery(bot, chat, &delivery).await);
                    referrals::earned(bot, &delivery.commissions).await;
                    None
                }
                Some(PurchaseResult::SoldOut { plan_name }) => {
                    Some(t!("payments.sold_out", name = reply::escape(&plan_name), balance = balance))
                }
                Some(PurchaseResult::Late) => Some(t!("payments.late", balance = balance)),
                Some(PurchaseResult::OrderClosed) => Some(t!("payments.order_closed", balance = balance)),
            };
            if let Some(text) = outcome {
                told = told.and(reply::send(bot, chat, text, Some(keyboards::main_menu())).await.map(|_| ()));
            }
            if let Err(err) = told {
                log::warn!("customer {telegram_id} not told about payment {reference}: {err}");
            }
        }
    }
}
