//! The Telegram side: updates in, service calls, answers out. No database access here;
//! everything goes through `services`. See ARCHITECTURE.md for the map.
pub mod actor;
pub mod broadcast;
pub mod commands;
pub mod features;
pub mod outbox;
pub mod rate_limit;
pub mod state;
mod tg;
pub mod ui;
pub mod webhook;

use std::ops::ControlFlow;
use std::sync::Arc;

use rust_i18n::t;
use sea_orm::DatabaseConnection;
use teloxide::dispatching::{dialogue, DpHandlerDescription, UpdateHandler};
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::UpdateKind;

use crate::config::Config;
use crate::services::dialogue_store::DbDialogueStore;
use crate::services::razorpay::RazorpayClient;
use crate::services::{ActError, Actor};
use actor::Signed;
use features::{gifts, home, referrals, shop, staff, support, wallet, withdraw};
use state::State;
use ui::{Method, Reply};

pub use tg::Tg;

pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), HandlerError>;

/// What every handler needs besides the update.
pub struct Ctx {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// Without the `@`, for deep links.
    pub bot_username: String,
    /// Present when Razorpay is configured.
    pub razorpay: Option<RazorpayClient>,
    /// The one limiter for every send of this process.
    pub limiter: Arc<rate_limit::Limiter>,
    /// Woken after an act wrote outbox rows, so they go out at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

impl Ctx {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, bot_username: String) -> Ctx {
        let razorpay = config.payments.razorpay.clone().map(RazorpayClient::new);
        let limiter = Arc::new(rate_limit::Limiter::new(config.send_limits));
        Ctx { db, config, bot_username, razorpay, limiter, outbox_wake: Arc::default() }
    }

    /// Shares one wake-up with the HTTP server and the jobs.
    pub fn with_outbox_wake(mut self, wake: Arc<tokio::sync::Notify>) -> Ctx {
        self.outbox_wake = wake;
        self
    }

    pub fn tg(&self, bot: Bot) -> Tg {
        Tg::new(bot, self.limiter.clone())
    }

    /// The configured ways to top up the wallet, in display order.
    pub fn topup_methods(&self) -> Vec<Method> {
        let mut methods = Vec::new();
        if self.config.payments.upi.is_some() {
            methods.push(Method::Upi);
        }
        if self.razorpay.is_some() {
            methods.push(Method::Razorpay);
        }
        methods
    }

    /// The configured ways to pay for a plan: the top-up ones, and Stars.
    pub fn order_methods(&self) -> Vec<Method> {
        let mut methods = self.topup_methods();
        if self.config.payments.stars_per_rupee.is_some() {
            methods.push(Method::Stars);
        }
        methods
    }
}

/// The handler tree. It reads like the product: payments Telegram asks about first, then,
/// for private chats and buttons, the sender signed up as an `Actor`, the chat's dialogue
/// entered, and each feature in turn; what nobody took gets a helpful answer.
pub fn schema() -> UpdateHandler<HandlerError> {
    let features = dptree::entry()
        .branch(gifts::handler())
        .branch(home::handler())
        .branch(shop::handler())
        .branch(wallet::handler())
        .branch(referrals::handler())
        .branch(withdraw::handler())
        .branch(support::handler())
        .branch(staff::handler())
        .branch(home::fallback());
    dptree::entry().branch(wallet::pre_checkout()).branch(wallet::successful_payment()).branch(
        dptree::filter(private_chat_or_button)
            .map(|bot: Bot, ctx: Arc<Ctx>| ctx.tg(bot))
            .filter_map_async(actor::sign_up)
            .map(|signed: Signed| signed.actor)
            .map(reply_for)
            .chain(never_silent(dialogue::enter::<Update, DbDialogueStore, State, _>().chain(features))),
    )
}

/// Group chats (the staff alert chat) send us buttons only; their messages are not for us.
fn private_chat_or_button(update: Update) -> bool {
    match &update.kind {
        UpdateKind::Message(msg) => msg.chat.is_private(),
        UpdateKind::CallbackQuery(_) => true,
        _ => false,
    }
}

/// Where this update is answered: the chat it came from (a button's message's chat), the
/// message a button sits on, and the sender's language.
fn reply_for(update: Update, tg: Tg, actor: Actor) -> Reply {
    let (chat, message) = match &update.kind {
        UpdateKind::CallbackQuery(query) => {
            let message = query.message.as_ref();
            (message.map(|m| m.chat().id).unwrap_or(ChatId(actor.telegram_id)), message.map(|m| m.id()))
        }
        _ => (update.chat().map(|c| c.id).unwrap_or(ChatId(actor.telegram_id)), None),
    };
    Reply { tg, chat, message, lang: actor.lang.code() }
}

/// Runs `inner`; when it fails, the person is told (never silence) and the error logged. A
/// refused act (`ActError::Forbidden`) is answered as such. Either way the outbox sender is
/// woken when the act queued notices.
fn never_silent(inner: UpdateHandler<HandlerError>) -> UpdateHandler<HandlerError> {
    let sig = inner.sig().clone();
    let description: DpHandlerDescription = inner.description().clone();
    dptree::from_fn_with_description(
        description,
        move |deps: dptree::di::DependencyMap, cont| {
            let inner = inner.clone();
            async move {
                let reply = deps.try_get::<Reply>();
                let ctx = deps.try_get::<Arc<Ctx>>();
                let kind = deps.try_get::<Update>().map_or("other", |u| update_kind(&u));
                let started = std::time::Instant::now();
                let (outcome, queued) = crate::services::outbox::noting_queued(inner.dispatch(deps)).await;
                crate::metrics::update_handled(kind, started.elapsed());
                // Only for notices this act queued: a woken sender runs a claim query, and an
                // idle one finds rows written elsewhere by its own poll.
                if let Some(ctx) = ctx.as_ref().filter(|_| queued) {
                    ctx.outbox_wake.notify_one();
                }
                match outcome {
                    ControlFlow::Break(Err(err)) => {
                        if let Some(reply) = reply {
                            apologise(&reply, err).await;
                        }
                        ControlFlow::Break(Ok(()))
                    }
                    ControlFlow::Break(Ok(())) => ControlFlow::Break(Ok(())),
                    ControlFlow::Continue(deps) => cont(deps).await,
                }
            }
        },
        sig,
    )
}

/// The kind of update, as metrics count them.
fn update_kind(update: &Update) -> &'static str {
    match &update.kind {
        UpdateKind::Message(msg) if msg.text().is_some_and(|t| t.starts_with('/')) => "command",
        UpdateKind::Message(_) => "message",
        UpdateKind::CallbackQuery(_) => "callback",
        _ => "other",
    }
}

async fn apologise(reply: &Reply, err: HandlerError) {
    let key = match err.downcast_ref::<ActError>() {
        Some(ActError::Forbidden { .. }) => "admin.not_allowed",
        _ => {
            log::error!("update in chat {} failed: {err}", reply.chat);
            "error_generic"
        }
    };
    let text = t!(key, locale = reply.lang);
    if let Err(err) = reply.send(text, Some(ui::keyboards::main_menu(reply.lang))).await {
        log::warn!("could not tell chat {} that its update failed: {err}", reply.chat);
    }
}

/// Builds the dispatcher dependencies for `schema()`.
pub fn dependencies(ctx: Arc<Ctx>) -> dptree::di::DependencyMap {
    let store = DbDialogueStore::new(ctx.db.clone());
    dptree::deps![ctx, store]
}

#[cfg(test)]
mod tests {
    use super::features::staff::{approvals, desk, queues, team, tokens};
    use super::features::{home, shop, support, wallet, withdraw};
    use super::ui::{Callback, Goto};

    #[test]
    fn every_feature_has_its_own_button_prefix() {
        let prefixes = [
            Goto::PREFIX,
            home::Action::PREFIX,
            shop::Action::PREFIX,
            wallet::Action::PREFIX,
            withdraw::Action::PREFIX,
            queues::Action::PREFIX,
            team::Action::PREFIX,
            tokens::Action::PREFIX,
            approvals::Action::PREFIX,
            desk::Action::PREFIX,
            support::Action::PREFIX,
        ];
        let mut unique = prefixes.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), prefixes.len(), "{prefixes:?}");
        assert!(prefixes.iter().all(|p| !p.is_empty() && !p.contains(':')));
    }
}
