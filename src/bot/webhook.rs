//! Webhook mode: Telegram posts each update to `/telegram/<path secret>` with the secret
//! header. An update is handled before it is answered, once across instances and retries
//! (`services::telegram_updates`): a crash mid-update leaves it unanswered, Telegram retries,
//! and the retry takes the claim over when its lease has run out. Updates of one chat are
//! handled one at a time on this instance, as the polling dispatcher does.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use subtle::ConstantTimeEq;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree::di::DependencyMap;
use teloxide::prelude::*;
use teloxide::types::{Me, UpdateKind};

use super::{Ctx, HandlerError};
use crate::config::WebhookConfig;
use crate::services::telegram_updates::{self, Claim};

/// What to answer Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200: handled now, or before.
    Done,
    /// 401: not Telegram (wrong path or secret header).
    Unauthorized,
    /// 503: another instance is on it, or this one is stopping: Telegram retries.
    RetryLater,
}

pub struct Receiver {
    ctx: Arc<Ctx>,
    secrets: WebhookConfig,
    handler: UpdateHandler<HandlerError>,
    deps: DependencyMap,
    chats: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    accepting: AtomicBool,
    in_flight: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Receiver {
    pub fn new(ctx: Arc<Ctx>, secrets: WebhookConfig, bot: Bot, me: Me) -> Receiver {
        let mut deps = super::dependencies(ctx.clone());
        deps.insert(me);
        deps.insert(bot);
        Receiver {
            ctx,
            secrets,
            handler: super::schema(),
            deps,
            chats: Mutex::new(HashMap::new()),
            accepting: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
        }
    }

    pub async fn receive(&self, path_secret: &str, header_secret: Option<&str>, body: &[u8]) -> Answer {
        let path_ok: bool = path_secret.as_bytes().ct_eq(self.secrets.path_secret.as_bytes()).into();
        let header_ok: bool =
            header_secret.unwrap_or_default().as_bytes().ct_eq(self.secrets.header_secret.as_bytes()).into();
        if !(path_ok && header_ok) {
            return Answer::Unauthorized;
        }
        if !self.accepting.load(Ordering::SeqCst) {
            return Answer::RetryLater;
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let answer = self.handle(body).await;
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
        answer
    }

    async fn handle(&self, body: &[u8]) -> Answer {
        // Built from the raw JSON: an update we cannot read is logged and answered, or
        // Telegram would send it again and again.
        let update: Update = match serde_json::from_slice(body) {
            Ok(update) => update,
            Err(err) => {
                log::warn!("webhook: not an update ({err})");
                return Answer::Done;
            }
        };
        if let UpdateKind::Error(raw) = &update.kind {
            log::warn!("webhook: update {} of a kind we do not read: {raw}", update.id.0);
            return Answer::Done;
        }
        let update_id = i64::from(update.id.0);
        match telegram_updates::claim(&self.ctx.db, update_id, Utc::now()).await {
            Ok(Claim::Mine) => {}
            Ok(Claim::Done) => return Answer::Done,
            Ok(Claim::Busy) => return Answer::RetryLater,
            Err(err) => {
                log::error!("webhook: claiming update {update_id} failed: {err}");
                return Answer::RetryLater;
            }
        }
        let chat = update.chat().map(|c| c.id.0).or_else(|| update.from().map(|u| u.id.0 as i64)).unwrap_or(0);
        let lock = {
            let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
            chats.entry(chat).or_default().clone()
        };
        {
            let _turn = lock.lock().await;
            let mut deps = self.deps.clone();
            deps.insert(update);
            // Errors were answered in chat by `never_silent`; what no branch took is dropped.
            let _ = self.handler.dispatch(deps).await;
        }
        {
            let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
            if chats.get(&chat).is_some_and(|l| Arc::strong_count(l) <= 2) {
                chats.remove(&chat);
            }
        }
        if let Err(err) = telegram_updates::finish(&self.ctx.db, update_id, Utc::now()).await {
            // Handled but not marked: a retry would be claimed once the lease runs out.
            log::error!("webhook: marking update {update_id} handled failed: {err}");
        }
        Answer::Done
    }

    /// Stops taking updates (they get 503, and Telegram keeps them for later).
    pub fn stop(&self) {
        self.accepting.store(false, Ordering::SeqCst);
    }

    /// Waits until no update is being handled.
    pub async fn drained(&self) {
        loop {
            let idle = self.idle.notified();
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}
