//! Customer-facing updates: commands, menu buttons, buying, wallet, subscriptions.
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use rust_i18n::t;
use teloxide::prelude::*;
use teloxide::types::{MessageId, User};

use super::callback::Action;
use super::command::{self, Command};
use super::dialogue::{ChatDialogue, State};
use super::{admin, fraud, keyboards, payments, referrals, reply, stars, upi, withdrawals, Ctx, HandlerResult, Tg};
use crate::domain::subscription_period::SubscriptionState;
use crate::domain::Money;
use crate::entities::ledger_entry::LedgerKind;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::purchase::{self, CancelOutcome, PurchaseError, WhenShort};
use crate::services::users::{self, Profile, Signup};
use crate::services::{catalog, subscriptions, wallet};

/// `state` is the chat's dialogue state, loaded by `enter_dialogue` in the handler tree.
pub async fn on_message(bot: Bot, msg: Message, ctx: Arc<Ctx>, dialogue: ChatDialogue, state: State) -> HandlerResult {
    let bot = ctx.tg(bot);
    let chat = msg.chat.id;
    let result = handle_message(&bot, &msg, &ctx, &dialogue, state).await;
    ctx.outbox_wake.notify_one();
    apologise_on_error(&bot, chat, result).await
}

pub async fn on_callback(bot: Bot, query: CallbackQuery, ctx: Arc<Ctx>, store: Arc<DbDialogueStore>) -> HandlerResult {
    let bot = ctx.tg(bot);
    let chat = query.message.as_ref().map(|m| m.chat().id).unwrap_or(ChatId(from_id(&query.from)));
    let wake = ctx.outbox_wake.clone();
    let result = handle_callback(&bot, query, ctx, store).await;
    wake.notify_one();
    apologise_on_error(&bot, chat, result).await
}

/// Never silence: when something fails on our side the person is told, and the error logged.
async fn apologise_on_error(bot: &Tg, chat: ChatId, result: HandlerResult) -> HandlerResult {
    if let Err(err) = result {
        log::error!("update in chat {chat} failed: {err}");
        reply::send(bot, chat, t!("error_generic"), Some(keyboards::main_menu("en"))).await?;
    }
    Ok(())
}

async fn handle_message(bot: &Tg, msg: &Message, ctx: &Ctx, dialogue: &ChatDialogue, state: State) -> HandlerResult {
    let Some(from) = msg.from.clone() else { return Ok(()) };
    if !msg.chat.is_private() {
        return Ok(());
    }
    if msg.successful_payment().is_some() {
        return stars::on_successful_payment(ctx, msg).await;
    }
    let text = msg.text().or(msg.caption()).unwrap_or_default();
    let command = command::parse(text, &ctx.bot_username);
    let referral = match &command {
        Some(Command::Start(payload)) => command::referral_code(payload.as_deref()).map(str::to_owned),
        _ => None,
    };
    let signup = sign_up(ctx, &from, referral.as_deref()).await?;
    let chat = msg.chat.id;

    let Some(command) = command else {
        match state {
            State::Idle => {}
            State::TopUpAmount => return payments::custom_amount_step(bot, ctx, msg, dialogue).await,
            State::UpiUtr { payment_id } => return upi::utr_step(bot, ctx, msg, dialogue, payment_id).await,
            State::UpiRejectReason { claim_id } if ctx.is_admin(&from) => {
                return upi::reject_reason_step(bot, ctx, msg, dialogue, claim_id).await
            }
            State::WithdrawAmount => return withdrawals::amount_step(bot, ctx, msg, dialogue).await,
            State::WithdrawVpa { amount } => return withdrawals::vpa_step(bot, msg, dialogue, amount).await,
            State::WithdrawConfirm { .. } => {
                reply::send(bot, chat, t!("withdraw.use_buttons"), None).await?;
                return Ok(());
            }
            State::WithdrawalRejectReason { withdrawal_id, payout_failed } if ctx.is_admin(&from) => {
                return withdrawals::reject_reason_step(bot, ctx, msg, dialogue, withdrawal_id, payout_failed).await
            }
            State::WithdrawalPayoutUtr { withdrawal_id } if ctx.is_admin(&from) => {
                return withdrawals::payout_utr_step(bot, ctx, msg, dialogue, withdrawal_id).await
            }
            admin_step if ctx.is_admin(&from) => {
                return admin::dialogue_step(bot, ctx, msg, dialogue, admin_step).await
            }
            _ => {}
        }
        reply::send(bot, chat, t!("fallback"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };

    // A new command abandons any half-finished dialogue.
    let had_dialogue = state != State::Idle;
    if had_dialogue {
        dialogue.exit().await?;
    }
    match command {
        Command::Start(_) => start(bot, ctx, chat, &signup).await?,
        Command::Plans => show_plans(bot, ctx, chat, None, ctx.is_admin(&from)).await?,
        Command::Wallet => show_wallet(bot, ctx, chat, None, from_id(&from)).await?,
        Command::MySubs => show_subscriptions(bot, ctx, chat, from_id(&from), Utc::now()).await?,
        Command::Refer => referrals::show(bot, ctx, chat, None, from_id(&from)).await?,
        Command::Withdraw => withdrawals::start(bot, ctx, chat, None, dialogue).await?,
        Command::Help => show_help(bot, ctx, chat, None, ctx.is_admin(&from)).await?,
        Command::Cancel => {
            let key = if had_dialogue { "admin.cancelled" } else { "admin.nothing_to_cancel" };
            reply::send(bot, chat, t!(key), Some(keyboards::main_menu("en"))).await?;
        }
        Command::Unknown => {
            reply::send(bot, chat, t!("fallback"), Some(keyboards::main_menu("en"))).await?;
        }
        admin_command => admin::on_command(bot, ctx, msg, &from, dialogue, admin_command).await?,
    }
    Ok(())
}

async fn handle_callback(bot: &Tg, query: CallbackQuery, ctx: Arc<Ctx>, store: Arc<DbDialogueStore>) -> HandlerResult {
    let from = query.from.clone();
    sign_up(&ctx, &from, None).await?;
    // Buttons live on our messages in private chats; without one we answer in the user's chat.
    let chat = query.message.as_ref().map(|m| m.chat().id).unwrap_or(ChatId(from_id(&from)));
    let message = query.message.as_ref().map(|m| m.id());
    let action = query.data.as_deref().and_then(Action::decode);
    let Some(action) = action else {
        answer(bot, &query, Some(t!("stale_button").into_owned())).await;
        reply::send(bot, chat, t!("menu.title"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    };
    answer(bot, &query, None).await;
    let telegram_id = from_id(&from);
    // Any other button abandons a question we were waiting on (an amount, a UTR, a reason),
    // so later text is not mistaken for the answer.
    let keeps_dialogue = matches!(
        action,
        Action::TopUpCustom
            | Action::UpiPaid(_)
            | Action::UpiReject(_)
            | Action::WithdrawLastVpa
            | Action::WithdrawConfirm
            | Action::WithdrawalReject(_)
            | Action::WithdrawalPaid(_)
            | Action::WithdrawalFailed(_)
    );
    if !keeps_dialogue {
        let _ = ChatDialogue::new(store.clone(), chat).exit().await;
    }
    match action {
        Action::Menu => {
            reply::edit_or_send(bot, chat, message, t!("menu.title"), Some(keyboards::main_menu("en"))).await?
        }
        Action::Plans => show_plans(bot, &ctx, chat, message, false).await?,
        Action::Wallet => show_wallet(bot, &ctx, chat, message, telegram_id).await?,
        Action::Subscriptions => show_subscriptions(bot, &ctx, chat, telegram_id, Utc::now()).await?,
        Action::Refer => referrals::show(bot, &ctx, chat, message, telegram_id).await?,
        Action::Help => show_help(bot, &ctx, chat, message, ctx.is_admin(&from)).await?,
        Action::Plan(plan_id) => show_plan(bot, &ctx, chat, message, plan_id).await?,
        Action::Buy(plan_id) => open_checkout(bot, &ctx, chat, message, telegram_id, plan_id).await?,
        Action::Confirm(order_id) => confirm(bot, &ctx, chat, message, &from, order_id).await?,
        Action::Cancel(order_id) => {
            let key = match purchase::cancel_checkout(&ctx.db, telegram_id, order_id, Utc::now()).await? {
                CancelOutcome::Cancelled => "checkout.cancelled",
                CancelOutcome::AlreadyPaid => "checkout.cancel_too_late",
                CancelOutcome::NotOpen => "checkout.already_closed",
            };
            reply::edit_or_send(bot, chat, message, t!(key), Some(keyboards::back_to_menu())).await?;
        }
        Action::TopUp => payments::show_topup(bot, &ctx, chat, message).await?,
        Action::TopUpCustom => payments::ask_custom_amount(bot, &ctx, chat, store).await?,
        Action::TopUpAmount(paise) => {
            payments::choose_method(bot, &ctx, chat, message, Money::from_paise(paise)).await?
        }
        Action::PayTopUp { amount, method } => {
            payments::pay_topup(bot, &ctx, chat, Money::from_paise(amount), method).await?
        }
        Action::PayOrder { order, method, full } => {
            payments::pay_order(bot, &ctx, chat, message, order, method, full).await?
        }
        Action::UpiPaid(payment_id) => upi::ask_utr(bot, chat, payment_id, store).await?,
        Action::UpiApprove(_) | Action::UpiReject(_) if !ctx.is_admin(&from) => {
            reply::send(bot, chat, t!("admin.not_allowed"), None).await?;
        }
        Action::UpiApprove(claim_id) => upi::approve(bot, &ctx, chat, &from, claim_id).await?,
        // The reason is asked in the admin's private chat, where dialogues live.
        Action::UpiReject(claim_id) => upi::ask_reject_reason(bot, ChatId(telegram_id), claim_id, store).await?,
        Action::Withdraw => withdrawals::start(bot, &ctx, chat, message, &ChatDialogue::new(store, chat)).await?,
        Action::WithdrawAmount(paise) => withdrawals::amount_chosen(bot, &ctx, chat, paise, store).await?,
        Action::WithdrawLastVpa => withdrawals::last_vpa_chosen(bot, &ctx, chat, store).await?,
        Action::WithdrawConfirm => withdrawals::confirm(bot, &ctx, chat, message, store).await?,
        Action::WithdrawalApprove(_)
        | Action::WithdrawalReject(_)
        | Action::WithdrawalPaid(_)
        | Action::WithdrawalFailed(_)
        | Action::FlagResolve(_)
        | Action::FlagBlock(_)
            if !ctx.is_admin(&from) =>
        {
            reply::send(bot, chat, t!("admin.not_allowed"), None).await?;
        }
        Action::WithdrawalApprove(id) => withdrawals::approve(bot, &ctx, chat, &from, id).await?,
        // Questions to an admin are asked in their private chat, where dialogues live.
        Action::WithdrawalReject(id) => {
            withdrawals::ask_reject_reason(bot, &ctx, ChatId(telegram_id), id, false, store).await?
        }
        Action::WithdrawalFailed(id) => {
            withdrawals::ask_reject_reason(bot, &ctx, ChatId(telegram_id), id, true, store).await?
        }
        Action::WithdrawalPaid(id) => withdrawals::ask_payout_utr(bot, &ctx, ChatId(telegram_id), id, store).await?,
        Action::FlagResolve(id) => fraud::resolve(bot, &ctx, chat, &from, id).await?,
        Action::FlagBlock(id) => fraud::block_flagged(bot, &ctx, chat, &from, id).await?,
    }
    Ok(())
}

/// Stops the button's spinner. Telegram refuses answers to queries older than about 15
/// seconds (a button pressed while we were down); the action itself must still happen.
async fn answer(bot: &Tg, query: &CallbackQuery, text: Option<String>) {
    let mut request = bot.answer_callback_query(query.id.clone());
    if let Some(text) = text {
        request = request.text(text);
    }
    if let Err(err) = request.await {
        log::debug!("callback query {} not answered: {err}", query.id);
    }
}

fn from_id(user: &User) -> i64 {
    // Telegram user ids fit in 52 bits.
    user.id.0 as i64
}

async fn sign_up(ctx: &Ctx, user: &User, referral: Option<&str>) -> Result<Signup, sea_orm::DbErr> {
    let profile = Profile {
        telegram_id: from_id(user),
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        language_code: user.language_code.clone(),
    };
    users::sign_up(&ctx.db, &profile, referral, Utc::now()).await
}

async fn start(bot: &Tg, ctx: &Ctx, chat: ChatId, signup: &Signup) -> HandlerResult {
    let name = reply::escape(&signup.user.first_name);
    let greeting = if signup.created {
        t!("welcome", shop = reply::escape(&ctx.config.shop_name), name = name)
    } else {
        t!("welcome_back", name = name)
    };
    reply::send(bot, chat, format!("{greeting}\n\n{}", t!("menu.title")), Some(keyboards::main_menu("en"))).await?;
    Ok(())
}

async fn show_plans(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, admin_view: bool) -> HandlerResult {
    let listings = catalog::list_plans(&ctx.db, !admin_view).await?;
    if admin_view {
        let blocks = listings
            .iter()
            .map(|l| {
                let inactive = if l.plan.is_active { String::new() } else { t!("plans.inactive").into_owned() };
                format!(
                    "\n{}",
                    t!(
                        "plans.admin_line",
                        id = l.plan.id,
                        name = reply::escape(&l.plan.name),
                        price = l.price(),
                        cost = Money::from_paise(l.plan.cost),
                        days = l.plan.duration_days,
                        stock = l.available,
                        inactive = inactive
                    )
                )
            })
            .collect();
        let listings_for_buttons: Vec<_> = listings.into_iter().filter(|l| l.plan.is_active).collect();
        reply::send_blocks(
            bot,
            chat,
            t!("plans.title").into_owned(),
            blocks,
            Some(keyboards::plans(&listings_for_buttons)),
        )
        .await?;
        return Ok(());
    }
    if listings.is_empty() {
        reply::edit_or_send(bot, chat, message, t!("plans.empty"), Some(keyboards::back_to_menu())).await?;
        return Ok(());
    }
    let lines = listings
        .iter()
        .map(|l| {
            let stock = if l.in_stock() { t!("plans.in_stock") } else { t!("plans.sold_out") };
            let line = t!(
                "plans.line",
                name = reply::escape(&l.plan.name),
                price = l.price(),
                days = l.plan.duration_days,
                stock = stock
            );
            format!("\n{line}")
        })
        .collect();
    let text = reply::first_page(t!("plans.title").into_owned(), lines, &t!("plans.more"));
    reply::edit_or_send(bot, chat, message, text, Some(keyboards::plans(&listings))).await?;
    Ok(())
}

async fn show_plan(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, plan_id: i32) -> HandlerResult {
    let Some(listing) = catalog::find_plan(&ctx.db, plan_id).await?.filter(|l| l.plan.is_active) else {
        reply::send(bot, chat, t!("plans.unavailable"), None).await?;
        return show_plans(bot, ctx, chat, None, false).await;
    };
    let description = if listing.plan.description.is_empty() {
        String::new()
    } else {
        format!("{}\n\n", reply::escape(&listing.plan.description))
    };
    let stock = if listing.in_stock() { t!("plans.detail_in_stock") } else { t!("plans.detail_sold_out") };
    let text = t!(
        "plans.detail",
        name = reply::escape(&listing.plan.name),
        description = description,
        price = listing.price(),
        days = listing.plan.duration_days,
        stock = stock
    );
    reply::edit_or_send(bot, chat, message, text, Some(keyboards::plan_detail(&listing))).await?;
    Ok(())
}

async fn open_checkout(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    telegram_id: i64,
    plan_id: i32,
) -> HandlerResult {
    let when_short =
        if payments::order_methods(ctx).is_empty() { WhenShort::Refuse } else { WhenShort::OpenForPayment };
    let checkout = purchase::open_checkout(&ctx.db, telegram_id, plan_id, when_short, Utc::now()).await;
    match checkout {
        Ok(checkout) => {
            // Only `OpenForPayment` opens a checkout the wallet does not cover (`Refuse` errs).
            let Some(after) = checkout.balance_after() else {
                let text = t!(
                    "checkout.short",
                    name = reply::escape(&checkout.plan.name),
                    days = checkout.plan.duration_days,
                    price = checkout.price,
                    balance = checkout.balance,
                    missing = checkout.shortfall()
                );
                let mut rows = payments::order_buttons(ctx, &checkout);
                rows.push(keyboards::cancel_row(checkout.order_id));
                let keyboard = teloxide::types::InlineKeyboardMarkup::new(rows);
                reply::edit_or_send(bot, chat, message, text, Some(keyboard)).await?;
                return Ok(());
            };
            let text = t!(
                "checkout.confirm",
                name = reply::escape(&checkout.plan.name),
                days = checkout.plan.duration_days,
                price = checkout.price,
                balance = checkout.balance,
                after = after
            );
            let keyboard = keyboards::confirm(checkout.order_id, &checkout.price.to_string());
            reply::edit_or_send(bot, chat, message, text, Some(keyboard)).await?;
        }
        Err(err) => purchase_failed(bot, ctx, chat, message, err).await?,
    }
    Ok(())
}

async fn confirm(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    customer: &User,
    order_id: i32,
) -> HandlerResult {
    match purchase::confirm(&ctx.db, from_id(customer), order_id, Utc::now()).await {
        Ok(delivery) => {
            let paid = t!("checkout.paid_edit", price = delivery.price, name = reply::escape(&delivery.plan_name));
            reply::edit_or_send(bot, chat, message, paid, None).await?;
            send_delivery(bot, chat, &delivery).await?;
        }
        Err(PurchaseError::AlreadyPaid(delivery)) => {
            reply::send(bot, chat, t!("checkout.already_paid"), None).await?;
            send_delivery(bot, chat, &delivery).await?;
        }
        Err(err) => purchase_failed(bot, ctx, chat, message, err).await?,
    }
    Ok(())
}

pub(super) async fn send_delivery(
    bot: &Tg,
    chat: ChatId,
    delivery: &purchase::Delivery,
) -> Result<(), teloxide::RequestError> {
    let text = t!(
        "checkout.delivered",
        name = reply::escape(&delivery.plan_name),
        credential = reply::escape(&delivery.credential),
        ends = date(delivery.ends_at),
        balance = delivery.balance
    );
    reply::send(bot, chat, text, Some(keyboards::main_menu("en"))).await?;
    Ok(())
}

async fn purchase_failed(
    bot: &Tg,
    ctx: &Ctx,
    chat: ChatId,
    message: Option<MessageId>,
    err: PurchaseError,
) -> HandlerResult {
    let text = match err {
        PurchaseError::SoldOut { plan_name, .. } => t!("checkout.sold_out", name = reply::escape(&plan_name)),
        PurchaseError::InsufficientBalance { balance, price, missing, plan_name } => t!(
            "checkout.insufficient",
            name = reply::escape(&plan_name),
            price = price,
            balance = balance,
            missing = missing,
            support = support_contact(ctx, "en"),
            id = chat.0
        ),
        PurchaseError::PlanUnavailable => {
            reply::send(bot, chat, t!("plans.unavailable"), None).await?;
            return show_plans(bot, ctx, chat, None, false).await;
        }
        PurchaseError::OrderNotFound | PurchaseError::OrderClosed | PurchaseError::UnknownUser => {
            t!("checkout.already_closed")
        }
        PurchaseError::AlreadyPaid(_) => t!("checkout.already_paid"),
        PurchaseError::Db(err) => {
            log::error!("purchase failed: {err}");
            t!("checkout.processing_failed")
        }
    };
    reply::edit_or_send(bot, chat, message, text, Some(keyboards::back_to_menu())).await?;
    Ok(())
}

async fn show_wallet(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, telegram_id: i64) -> HandlerResult {
    let Some(overview) = wallet::overview(&ctx.db, telegram_id, 10).await? else {
        return Ok(());
    };
    let mut text = t!("wallet.title", balance = overview.balance, id = telegram_id).into_owned();
    if overview.recent.is_empty() {
        text.push_str(&t!("wallet.history_empty"));
    } else {
        text.push_str(&t!("wallet.history_title"));
        for entry in &overview.recent {
            let amount = Money::from_paise(entry.amount);
            let amount =
                if entry.amount > 0 { t!("wallet.credit_amount", amount = amount) } else { amount.to_string().into() };
            let kind = match entry.kind {
                LedgerKind::Purchase => t!("wallet.kind_purchase"),
                LedgerKind::AdminCredit => t!("wallet.kind_admin_credit"),
                LedgerKind::AdminDebit => t!("wallet.kind_admin_debit"),
                LedgerKind::Payment => t!("wallet.kind_payment"),
                LedgerKind::Refund => t!("wallet.kind_refund"),
                LedgerKind::Commission => t!("wallet.kind_commission"),
                LedgerKind::CommissionReversal => t!("wallet.kind_commission_reversal"),
                LedgerKind::Withdrawal => t!("wallet.kind_withdrawal"),
                LedgerKind::WithdrawalRelease => t!("wallet.kind_withdrawal_release"),
            };
            text.push_str(&t!("wallet.entry", date = date(entry.created_at), amount = amount, kind = kind));
        }
    }
    reply::edit_or_send(bot, chat, message, text, Some(keyboards::wallet())).await?;
    Ok(())
}

async fn show_subscriptions(bot: &Tg, ctx: &Ctx, chat: ChatId, telegram_id: i64, now: DateTime<Utc>) -> HandlerResult {
    let subs = subscriptions::list_for(&ctx.db, telegram_id, now).await?;
    if subs.is_empty() {
        reply::send(bot, chat, t!("subs.empty"), Some(keyboards::main_menu("en"))).await?;
        return Ok(());
    }
    let blocks = subs
        .iter()
        .map(|s| {
            // A refunded subscription's login went back to the shop: not shown.
            let (state, login) = match s.state {
                SubscriptionState::Active { days_left } => (
                    t!("subs.active", ends = date(s.ends_at), days = days_left),
                    t!("subs.login", credential = reply::escape(&s.credential)),
                ),
                SubscriptionState::Expired => (
                    t!("subs.expired", ends = date(s.ends_at)),
                    t!("subs.login", credential = reply::escape(&s.credential)),
                ),
                SubscriptionState::Cancelled => (t!("subs.cancelled"), "".into()),
            };
            t!("subs.item", name = reply::escape(&s.plan_name), order = s.order_id, state = state, login = login)
                .into_owned()
        })
        .collect();
    reply::send_blocks(bot, chat, t!("subs.title").into_owned(), blocks, Some(keyboards::back_to_menu())).await?;
    Ok(())
}

async fn show_help(bot: &Tg, ctx: &Ctx, chat: ChatId, message: Option<MessageId>, admin_view: bool) -> HandlerResult {
    let mut text = t!("help.text", support = support_contact(ctx, "en")).into_owned();
    if admin_view {
        text.push_str(&t!("help.admin"));
    }
    reply::edit_or_send(bot, chat, message, text, Some(keyboards::back_to_menu())).await?;
    Ok(())
}

/// `@username (id)` or `First (id)`, HTML-escaped, for admin messages.
pub fn customer_label(user: &User) -> String {
    let id = from_id(user);
    match &user.username {
        Some(username) => t!("admin.user_with_username", username = reply::escape(username), id = id).into_owned(),
        None => t!("admin.user_without_username", name = reply::escape(&user.first_name), id = id).into_owned(),
    }
}

pub(super) fn support_contact(ctx: &Ctx, lang: &str) -> String {
    match &ctx.config.support_contact {
        Some(contact) => reply::escape(contact),
        None => t!("help.default_support", locale = lang).into_owned(),
    }
}

/// Dates as customers read them, in India Standard Time: `22 Dec 2026`.
pub fn date(at: DateTime<Utc>) -> String {
    in_ist(at, "%d %b %Y")
}

/// `22 Dec 2026, 14:05 IST`.
pub fn date_time(at: DateTime<Utc>) -> String {
    in_ist(at, "%d %b %Y, %H:%M IST")
}

fn in_ist(at: DateTime<Utc>, format: &str) -> String {
    const IST_SECONDS: i32 = 5 * 3600 + 1800;
    match FixedOffset::east_opt(IST_SECONDS) {
        Some(ist) => at.with_timezone(&ist).format(format).to_string(),
        None => at.format(format).to_string(),
    }
}
