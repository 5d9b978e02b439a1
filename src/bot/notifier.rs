//! Delivers notices produced outside chat updates (payment webhooks, jobs) to customers.
use std::sync::Arc;

use rust_i18n::t;
use teloxide::prelude::*;

use super::{alerts, customer, keyboards, reply, Ctx};
use crate::services::notices::{Notice, NoticeReceiver};
use crate::services::payments::PurchaseResult;

/// Runs until every sender is gone.
pub async fn run(bot: Bot, ctx: Arc<Ctx>, mut notices: NoticeReceiver) {
    while let Some(notice) = notices.recv().await {
        if let Err(err) = deliver(&bot, &ctx, notice).await {
            log::warn!("notice not delivered: {err}");
        }
    }
}

pub(super) async fn deliver(bot: &Bot, ctx: &Ctx, notice: Notice) -> Result<(), teloxide::RequestError> {
    match notice {
        Notice::PaymentCredited { telegram_id, reference, credited, balance, purchase } => {
            let chat = ChatId(telegram_id);
            let text =
                t!("payments.received", amount = credited, reference = reply::escape(&reference), balance = balance);
            let keyboard = if purchase.is_none() { Some(keyboards::main_menu()) } else { None };
            reply::send(bot, chat, text, keyboard).await?;
            let payer = t!("admin.customer_id", id = telegram_id);
            alerts::notify_admins(
                bot,
                ctx,
                t!("admin.payment_alert", amount = credited, reference = reply::escape(&reference), customer = payer)
                    .into_owned(),
            )
            .await;
            match purchase {
                None => {}
                Some(PurchaseResult::Delivered(delivery)) => {
                    customer::send_delivery(bot, chat, &delivery).await?;
                    alerts::new_order(bot, ctx, &payer, &delivery).await;
                }
                Some(PurchaseResult::SoldOut { plan_name }) => {
                    let text = t!("payments.sold_out", name = reply::escape(&plan_name), balance = balance);
                    reply::send(bot, chat, text, Some(keyboards::main_menu())).await?;
                }
                Some(PurchaseResult::NotCompleted) => {
                    reply::send(
                        bot,
                        chat,
                        t!("payments.not_completed", balance = balance),
                        Some(keyboards::main_menu()),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}
