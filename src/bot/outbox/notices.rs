//! Turning an outbox `Notice` into the message its recipient reads, in their language.
use rust_i18n::t;
use teloxide::types::InlineKeyboardMarkup;

use crate::bot::features::staff::approvals::keyboards as approval_buttons;
use crate::bot::features::staff::desk;
use crate::bot::features::staff::queues::{self, keyboards as queue_buttons};
use crate::bot::features::{shop, support, wallet};
use crate::bot::ui::format::{self, person};
use crate::bot::ui::{button, keyboards, reply, Goto};
use crate::bot::Ctx;
use crate::domain::Money;
use crate::services::outbox::{AutoRenewProblem, GatewayRefusal, NotBought, Notice};

/// One message, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub text: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
    /// A photo already on Telegram's servers (a customer's screenshot), sent with the text
    /// as its caption.
    pub photo_file_id: Option<String>,
    /// A file on this machine (the daily backup), sent as a document with the text as caption.
    pub document_path: Option<String>,
}

impl Outgoing {
    fn text(text: impl Into<String>) -> Outgoing {
        Outgoing { text: text.into(), keyboard: None, photo_file_id: None, document_path: None }
    }

    fn with(text: impl Into<String>, keyboard: InlineKeyboardMarkup) -> Outgoing {
        Outgoing { text: text.into(), keyboard: Some(keyboard), photo_file_id: None, document_path: None }
    }
}

fn money(paise: i64) -> Money {
    Money::from_paise(paise)
}

fn reason_line(reason: &str, lang: &str) -> String {
    format::reason_line(reason, lang)
}

pub fn render(notice: &Notice, lang: &str, ctx: &Ctx) -> Outgoing {
    let menu = || keyboards::main_menu(lang);
    match notice {
        Notice::PaymentReceived { reference, amount, balance, menu: with_menu } => {
            let text = t!(
                "payments.received",
                locale = lang,
                amount = money(*amount),
                reference = reply::escape(reference),
                balance = money(*balance)
            );
            Outgoing {
                text: text.into_owned(),
                keyboard: with_menu.then(menu),
                photo_file_id: None,
                document_path: None,
            }
        }
        Notice::LoginDelivered { plan_name, credential, ends_at, balance } => Outgoing::with(
            t!(
                "checkout.delivered",
                locale = lang,
                name = reply::escape(plan_name),
                credential = reply::escape(credential),
                ends = format::date(*ends_at, lang),
                balance = money(*balance)
            ),
            menu(),
        ),
        Notice::GiftBought { plan_name, code, expires_at, balance } => {
            let link = crate::services::gifts::GiftLink { code: code.clone(), expires_at: *expires_at };
            let (text, keyboard) = shop::gift::ready(plan_name, &link, money(*balance), lang, &ctx.bot_username);
            Outgoing::with(text, keyboard)
        }
        Notice::GiftClaimed { order_id, plan_name, by } => Outgoing::with(
            t!(
                "gift.claimed_by",
                locale = lang,
                name = reply::escape(plan_name),
                order = order_id,
                by = reply::escape(&by.first_name)
            ),
            menu(),
        ),
        Notice::ExpiryReminder { plan_name, ends_at, days_left, subscription_id } => {
            let name = reply::escape(plan_name);
            let ends = format::date(*ends_at, lang);
            let text = match days_left {
                Some(days) => t!("reminders.ends_in", locale = lang, name = name, days = days, ends = ends),
                None => t!("reminders.ended", locale = lang, name = name),
            };
            let mut rows = Vec::new();
            if *subscription_id > 0 {
                rows.push(vec![button(
                    t!("renewals.renew_button", locale = lang),
                    shop::Action::Renew(*subscription_id),
                )]);
            }
            rows.push(vec![button(t!("reminders.subscriptions_button", locale = lang), Goto::Subscriptions)]);
            rows.push(vec![button(t!("menu.back", locale = lang), Goto::Menu)]);
            Outgoing::with(text, InlineKeyboardMarkup::new(rows))
        }
        Notice::Renewed { plan_name, credential, starts_at, ends_at, new_login, balance } => {
            let key = if *new_login { "renewals.renewed_new_login" } else { "renewals.renewed" };
            Outgoing::with(
                t!(
                    key,
                    locale = lang,
                    name = reply::escape(plan_name),
                    credential = reply::escape(credential),
                    starts = format::date(*starts_at, lang),
                    ends = format::date(*ends_at, lang),
                    balance = money(*balance)
                ),
                menu(),
            )
        }
        Notice::AutoRenewed { plan_name, credential, starts_at, ends_at, new_login, price, balance } => {
            let key = if *new_login { "renewals.auto_renewed_new_login" } else { "renewals.auto_renewed" };
            Outgoing::with(
                t!(
                    key,
                    locale = lang,
                    name = reply::escape(plan_name),
                    credential = reply::escape(credential),
                    starts = format::date(*starts_at, lang),
                    ends = format::date(*ends_at, lang),
                    price = money(*price),
                    balance = money(*balance)
                ),
                menu(),
            )
        }
        Notice::AutoRenewShort { subscription_id, plan_name, ends_at, price, balance, missing } => Outgoing::with(
            t!(
                "renewals.auto_short",
                locale = lang,
                name = reply::escape(plan_name),
                ends = format::date_time(*ends_at, lang),
                price = money(*price),
                balance = money(*balance),
                missing = money(*missing)
            ),
            InlineKeyboardMarkup::new(vec![
                vec![button(t!("renewals.top_up_button", locale = lang), Goto::TopUp)],
                vec![button(t!("renewals.renew_button", locale = lang), shop::Action::Renew(*subscription_id))],
                vec![button(t!("subs.auto_turn_off", locale = lang), shop::Action::AutoRenew(*subscription_id, false))],
            ]),
        ),
        Notice::AutoRenewFailed { subscription_id, plan_name, ends_at, why } => {
            let key = match why {
                AutoRenewProblem::OffSale => "renewals.auto_off_sale",
                AutoRenewProblem::SoldOut => "renewals.auto_sold_out",
            };
            Outgoing::with(
                t!(key, locale = lang, name = reply::escape(plan_name), ends = format::date_time(*ends_at, lang)),
                InlineKeyboardMarkup::new(vec![
                    vec![button(
                        t!("reminders.subscriptions_button", locale = lang),
                        shop::Action::Sub(*subscription_id),
                    )],
                    vec![button(t!("menu.back", locale = lang), Goto::Menu)],
                ]),
            )
        }
        Notice::LoginReplaced { report_id, plan_name, credential, ends_at } => Outgoing::with(
            t!(
                "report.replaced",
                locale = lang,
                id = report_id,
                name = reply::escape(plan_name),
                credential = reply::escape(credential),
                ends = format::date(*ends_at, lang)
            ),
            menu(),
        ),
        Notice::LoginReportReply { report_id, plan_name, text } => Outgoing::with(
            t!(
                "report.reply",
                locale = lang,
                id = report_id,
                name = reply::escape(plan_name),
                text = reply::escape(text)
            ),
            InlineKeyboardMarkup::new(vec![
                vec![button(t!("reminders.subscriptions_button", locale = lang), Goto::Subscriptions)],
                vec![button(t!("menu.back", locale = lang), Goto::Menu)],
            ]),
        ),
        Notice::LoginReportClosed { report_id, plan_name } => {
            Outgoing::with(t!("report.closed", locale = lang, id = report_id, name = reply::escape(plan_name)), menu())
        }
        Notice::LoginChanged { plan_name, credential, ends_at } => Outgoing::with(
            t!(
                "report.login_changed",
                locale = lang,
                name = reply::escape(plan_name),
                credential = reply::escape(credential),
                ends = format::date(*ends_at, lang)
            ),
            menu(),
        ),
        Notice::TicketReply { ticket_id, text, photo_file_id } => Outgoing {
            text: t!(
                "support.reply",
                locale = lang,
                id = ticket_id,
                text = text.as_deref().map(reply::escape).unwrap_or_default()
            )
            .into_owned(),
            keyboard: Some(InlineKeyboardMarkup::new(vec![
                vec![button(t!("support.reply_button", locale = lang), support::Action::Write)],
                vec![button(
                    t!("support.close_button", locale = lang, id = ticket_id),
                    support::Action::CloseTicket(*ticket_id),
                )],
            ])),
            photo_file_id: photo_file_id.clone(),
            document_path: None,
        },
        Notice::TicketClosed { ticket_id } => {
            Outgoing::with(t!("support.closed_by_staff", locale = lang, id = ticket_id), menu())
        }
        Notice::PurchaseNotCompleted { why, balance } => {
            let balance = money(*balance);
            let text = match why {
                NotBought::SoldOut { plan_name } => {
                    t!("payments.sold_out", locale = lang, name = reply::escape(plan_name), balance = balance)
                }
                NotBought::Late => t!("payments.late", locale = lang, balance = balance),
                NotBought::OrderClosed => t!("payments.order_closed", locale = lang, balance = balance),
                NotBought::DiscountGone => t!("payments.discount_gone", locale = lang, balance = balance),
            };
            Outgoing::with(text, menu())
        }
        Notice::WalletCredited { amount, reason, balance } | Notice::WalletDebited { amount, reason, balance } => {
            let key =
                if matches!(notice, Notice::WalletCredited { .. }) { "wallet.credited" } else { "wallet.debited" };
            Outgoing::with(
                t!(
                    key,
                    locale = lang,
                    amount = money(*amount),
                    reason = reason_line(reason, lang),
                    balance = money(*balance)
                ),
                menu(),
            )
        }
        Notice::Refunded { order_id, plan_name, amount, reason, balance } => Outgoing::with(
            t!(
                "wallet.refunded",
                locale = lang,
                order = order_id,
                name = reply::escape(plan_name),
                amount = money(*amount),
                reason = reason_line(reason, lang),
                balance = money(*balance)
            ),
            menu(),
        ),
        Notice::UpiRejected { payment_id, utr, reason } => Outgoing::with(
            t!("upi.rejected", locale = lang, utr = reply::escape(utr), reason = reply::escape(reason)),
            InlineKeyboardMarkup::new(vec![vec![button(
                t!("upi.paid_button", locale = lang),
                wallet::Action::UpiPaid(*payment_id),
            )]]),
        ),
        Notice::ReferralJoined { name } => {
            Outgoing::text(t!("refer.joined", locale = lang, name = reply::escape(name)))
        }
        Notice::CommissionEarned { amount, level, buyer, available_at } => Outgoing::text(t!(
            "refer.earned",
            locale = lang,
            amount = money(*amount),
            level = level,
            name = reply::escape(buyer),
            date = format::date_time(*available_at, lang)
        )),
        Notice::CommissionAvailable { amount, balance } => Outgoing::with(
            t!("refer.available", locale = lang, amount = money(*amount), balance = money(*balance)),
            InlineKeyboardMarkup::new(vec![
                vec![button(t!("refer.withdraw_button", locale = lang), Goto::Withdraw)],
                vec![button(t!("menu.back", locale = lang), Goto::Menu)],
            ]),
        ),
        Notice::CommissionUndone { amount, recovered, was_credited } => {
            let (amount, taken) = (money(*amount), money(*recovered));
            let text = if !was_credited {
                t!("refer.cancelled", locale = lang, amount = amount)
            } else if taken >= amount {
                t!("refer.reversed", locale = lang, amount = amount, taken = taken)
            } else {
                let rest = money(amount.paise() - taken.paise());
                t!("refer.reversed_short", locale = lang, amount = amount, taken = taken, rest = rest)
            };
            Outgoing::with(text, menu())
        }
        Notice::WithdrawalApproved { amount, vpa } => Outgoing::with(
            t!("withdraw.approved", locale = lang, amount = money(*amount), vpa = reply::escape(vpa)),
            menu(),
        ),
        Notice::WithdrawalRejected { amount, reason, balance, repaid, payout_failed } => {
            let key = if *payout_failed { "withdraw.payout_failed" } else { "withdraw.rejected" };
            let mut text = t!(
                key,
                locale = lang,
                amount = money(*amount),
                reason = reply::escape(reason),
                balance = money(*balance)
            )
            .into_owned();
            if *repaid > 0 {
                text.push_str(&t!("withdraw.repaid", locale = lang, amount = money(*repaid)));
            }
            Outgoing::with(text, menu())
        }
        Notice::WithdrawalPaid { amount, vpa, utr } => Outgoing::with(
            t!(
                "withdraw.paid",
                locale = lang,
                amount = money(*amount),
                vpa = reply::escape(vpa),
                utr = reply::escape(utr)
            ),
            menu(),
        ),
        Notice::Blocked => Outgoing::with(
            t!("flags.told_blocked", locale = lang, support = format::support_contact(ctx, lang)),
            menu(),
        ),
        Notice::Unblocked => Outgoing::with(t!("flags.told_unblocked", locale = lang), menu()),
        Notice::RoleChanged { role } => {
            use crate::entities::user::Role;
            let key = match <Role as sea_orm::ActiveEnum>::try_from_value(role) {
                Ok(Role::Admin) => "staff.told_admin",
                Ok(Role::Support) => "staff.told_support",
                _ => "staff.told_user",
            };
            Outgoing::text(t!(key, locale = lang))
        }
        Notice::PaymentAlert { reference, amount, customer } => Outgoing::text(t!(
            "admin.payment_alert",
            locale = lang,
            amount = money(*amount),
            reference = reply::escape(reference),
            customer = person(customer, lang)
        )),
        Notice::NewOrderAlert { order_id, plan_id, plan_name, price, customer, stock_left, renewal } => {
            let key = if *renewal { "admin.renewal_alert" } else { "admin.new_order_alert" };
            Outgoing::text(t!(
                key,
                locale = lang,
                order = order_id,
                plan = reply::escape(plan_name),
                plan_id = plan_id,
                price = money(*price),
                customer = person(customer, lang),
                left = stock_left
            ))
        }
        Notice::BroadcastFinished { broadcast_id, cancelled, total, sent, failed, blocked, unknown, skipped } => {
            let key = if *cancelled { "broadcast.report_cancelled" } else { "broadcast.report_done" };
            let mut text = t!(
                key,
                locale = lang,
                id = broadcast_id,
                total = total,
                sent = sent,
                failed = failed,
                blocked = blocked
            )
            .into_owned();
            if *unknown > 0 {
                text.push_str(&t!("broadcast.report_unknown", locale = lang, count = unknown));
            }
            if *skipped > 0 {
                text.push_str(&t!("broadcast.report_skipped", locale = lang, count = skipped));
            }
            Outgoing::text(text)
        }
        Notice::BackupReady { day, path, bytes, rows } => {
            let size = format!("{:.1} MB", *bytes as f64 / 1_048_576.0);
            // Another instance may have written it: attach it only where it is.
            let here = std::path::Path::new(path).is_file();
            let attach = here && *bytes <= crate::services::backup::MAX_SENT_BYTES;
            let key = if attach { "backup.ready" } else { "backup.ready_on_disk" };
            let text = t!(key, locale = lang, day = day, rows = rows, size = size, path = reply::escape(path));
            Outgoing {
                text: text.into_owned(),
                keyboard: None,
                photo_file_id: None,
                document_path: attach.then(|| path.clone()),
            }
        }
        Notice::SoldOutAlert { plan_id, plan_name } => {
            Outgoing::text(t!("admin.sold_out_alert", locale = lang, id = plan_id, name = reply::escape(plan_name)))
        }
        Notice::UpiClaimAlert { claim_id, customer, amount, reference, utr, screenshot_file_id } => Outgoing {
            text: t!(
                "upi.admin_alert",
                locale = lang,
                customer = person(customer, lang),
                amount = money(*amount),
                reference = reply::escape(reference),
                utr = reply::escape(utr),
                id = claim_id
            )
            .into_owned(),
            keyboard: Some(InlineKeyboardMarkup::new(vec![queue_buttons::claim_buttons(*claim_id, lang)])),
            photo_file_id: screenshot_file_id.clone(),
            document_path: None,
        },
        Notice::FraudFlagAlert { flag_id, user, rule, evidence } => Outgoing::with(
            t!(
                "flags.alert",
                locale = lang,
                id = flag_id,
                user = person(user, lang),
                finding = queues::finding(rule, evidence, lang)
            ),
            InlineKeyboardMarkup::new(vec![queue_buttons::flag_buttons(*flag_id, lang)]),
        ),
        Notice::WithdrawalAlert { withdrawal_id, customer, amount, vpa, held_by, two_approvals } => {
            let mut held = if held_by.is_empty() {
                String::new()
            } else {
                t!("withdrawals.held", locale = lang, flags = queues::flag_ids(held_by)).into_owned()
            };
            if *two_approvals {
                held.push_str(&t!("withdrawals.two_approvals", locale = lang));
            }
            Outgoing::with(
                t!(
                    "withdrawals.alert",
                    locale = lang,
                    id = withdrawal_id,
                    customer = person(customer, lang),
                    amount = money(*amount),
                    vpa = reply::escape(vpa),
                    held = held
                ),
                InlineKeyboardMarkup::new(vec![queue_buttons::withdrawal_buttons(*withdrawal_id, false, None, lang)]),
            )
        }
        Notice::WithdrawalFirstApprovalAlert { withdrawal_id, customer, amount, vpa, by } => Outgoing::with(
            t!(
                "withdrawals.first_approval_alert",
                locale = lang,
                id = withdrawal_id,
                by = person(by, lang),
                customer = person(customer, lang),
                amount = money(*amount),
                vpa = reply::escape(vpa)
            ),
            InlineKeyboardMarkup::new(vec![queue_buttons::withdrawal_buttons(*withdrawal_id, false, Some(by), lang)]),
        ),
        Notice::WithdrawalApprovedAlert { withdrawal_id, by, amount, vpa } => Outgoing::with(
            t!(
                "withdrawals.approved_admin",
                locale = lang,
                id = withdrawal_id,
                by = person(by, lang),
                amount = money(*amount),
                vpa = reply::escape(vpa)
            ),
            InlineKeyboardMarkup::new(vec![queue_buttons::withdrawal_buttons(*withdrawal_id, true, None, lang)]),
        ),
        Notice::ApprovalRequestAlert { request_id, adjustment, customer, amount, reason, requested_by } => {
            Outgoing::with(
                t!(
                    "approvals.alert",
                    locale = lang,
                    id = request_id,
                    requester = person(requested_by, lang),
                    what = format::adjustment(*adjustment, money(*amount), customer, lang),
                    reason = reason_line(reason, lang)
                ),
                InlineKeyboardMarkup::new(vec![approval_buttons::decision_buttons(*request_id, lang)]),
            )
        }
        Notice::ApprovalRequestApproved { request_id, adjustment, customer, amount, by, balance } => {
            Outgoing::text(t!(
                "approvals.told_approved",
                locale = lang,
                id = request_id,
                what = format::adjustment(*adjustment, money(*amount), customer, lang),
                by = person(by, lang),
                balance = money(*balance)
            ))
        }
        Notice::ApprovalRequestRejected { request_id, adjustment, customer, amount, by, reason } => Outgoing::text(t!(
            "approvals.told_rejected",
            locale = lang,
            id = request_id,
            what = format::adjustment(*adjustment, money(*amount), customer, lang),
            by = person(by, lang),
            reason = reply::escape(reason)
        )),
        Notice::LoginReportAlert { report_id, screenshot_file_id, .. } => Outgoing {
            text: desk::report_alert_text(notice, lang),
            keyboard: Some(InlineKeyboardMarkup::new(vec![desk::report_buttons(*report_id, lang)])),
            photo_file_id: screenshot_file_id.clone(),
            document_path: None,
        },
        Notice::TicketMessage { ticket_id, customer, text, photo_file_id, new_ticket } => Outgoing {
            text: desk::ticket_message_text(*ticket_id, customer, text.as_deref(), *new_ticket, lang),
            keyboard: Some(InlineKeyboardMarkup::new(vec![desk::ticket_buttons(*ticket_id, lang)])),
            photo_file_id: photo_file_id.clone(),
            document_path: None,
        },
        Notice::TicketClosedByCustomer { ticket_id, customer } => Outgoing::text(t!(
            "desk.ticket_closed_by_customer",
            locale = lang,
            id = ticket_id,
            customer = person(customer, lang)
        )),
        Notice::StarsUnrecordedAlert { charge, reference, stars, customer_chat } => Outgoing::text(t!(
            "stars.unrecorded_alert",
            locale = lang,
            charge = reply::escape(charge),
            reference = reply::escape(reference),
            stars = stars,
            customer = customer_chat
        )),
        Notice::AmountMismatchAlert { reference, expected, paid, customer } => Outgoing::text(t!(
            "admin.amount_mismatch_alert",
            locale = lang,
            reference = reply::escape(reference),
            expected = money(*expected),
            paid = money(*paid),
            customer = person(customer, lang)
        )),
        Notice::GatewayRefusedAlert {
            gateway,
            event,
            reference,
            gateway_payment_id,
            amount,
            currency,
            why,
            customer,
        } => {
            let missing = || t!("admin.gateway_value_missing", locale = lang).into_owned();
            let why = match why {
                GatewayRefusal::Currency => t!("admin.gateway_refused_currency", locale = lang),
                GatewayRefusal::NoAmount => t!("admin.gateway_refused_no_amount", locale = lang),
                GatewayRefusal::NotPositive => t!("admin.gateway_refused_not_positive", locale = lang),
            };
            Outgoing::text(t!(
                "admin.gateway_refused_alert",
                locale = lang,
                gateway = reply::escape(gateway),
                event = reply::escape(event),
                reference = reply::escape(reference),
                customer = person(customer, lang),
                why = why,
                payment = gateway_payment_id.as_deref().map(reply::escape).unwrap_or_else(missing),
                amount = amount.map(|a| a.to_string()).unwrap_or_else(missing),
                currency = currency.as_deref().map(reply::escape).unwrap_or_else(missing)
            ))
        }
    }
}
