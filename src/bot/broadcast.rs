//! The broadcast sender. One instance sends at a time (the holder of the `broadcast.sender`
//! lease), one broadcast at a time, at `broadcast.rate_per_sec` through the one limiter, so
//! replies to customers chatting meanwhile go first. It keeps the progress message in the
//! creator's chat up to date (every few seconds) and settles each recipient as Telegram
//! answers: 429 pauses every send, 403 marks the customer unreachable, other errors are
//! retried a few times.
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use teloxide::payloads::EditMessageTextSetters;
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::bot::features::staff::broadcasts::message;
use crate::bot::rate_limit::Lane;
use crate::bot::{tg, Ctx, Tg};
use crate::domain::Lang;
use crate::entities::broadcast::{self, BroadcastStatus};
use crate::entities::broadcast_recipient;
use crate::services::broadcasts::delivery::{self, Hold, Outcome};
use crate::services::broadcasts::{self, content_of};
use crate::services::{leases, users};

/// The lease outlives a round comfortably; another instance takes over after it runs out.
const LEASE_TTL: chrono::Duration = chrono::Duration::seconds(15);
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// Recipients read at once.
const BATCH: u64 = 100;
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often the progress message is edited while sending.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// Runs until `stop` turns true; then the send in hand is finished and the lease given up.
pub async fn run(tg: Tg, ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let mut sender = Sender { tg, ctx, held: None, shown: None };
    while !*stop.borrow() {
        let idle = match sender.round(&stop).await {
            Ok(busy) => !busy,
            Err(err) => {
                log::warn!("broadcast: {err}");
                true
            }
        };
        if idle {
            let _ = tokio::time::timeout(IDLE_POLL, stop.changed()).await;
        }
    }
    if sender.held.is_some() {
        let _ = leases::release(&sender.ctx.db, delivery::LEASE, crate::metrics::instance_id(), Utc::now()).await;
    }
}

struct Sender {
    tg: Tg,
    ctx: Arc<Ctx>,
    /// When the lease was last taken or renewed; None while another instance holds it.
    held: Option<Instant>,
    /// The progress message as last shown: (broadcast, text, when).
    shown: Option<(i32, String, Instant)>,
}

impl Sender {
    /// Takes or renews the lease when due; false while another instance holds it.
    async fn hold(&mut self) -> Result<bool, sea_orm::DbErr> {
        if self.held.is_some_and(|at| at.elapsed() < RENEW_EVERY) {
            return Ok(true);
        }
        let holder = crate::metrics::instance_id();
        match delivery::hold(&self.ctx.db, holder, self.held.is_some(), LEASE_TTL, Utc::now()).await? {
            Hold::HeldElsewhere => {
                self.held = None;
                Ok(false)
            }
            Hold::Taken | Hold::Renewed => {
                self.held = Some(Instant::now());
                Ok(true)
            }
        }
    }

    /// One round: returns true when it sent (or finished) something.
    async fn round(&mut self, stop: &watch::Receiver<bool>) -> Result<bool, sea_orm::DbErr> {
        if !self.hold().await? {
            return Ok(false);
        }
        let now = Utc::now();
        let Some(mut row) = delivery::current(&self.ctx.db, now).await? else { return Ok(false) };
        if row.progress_message_id.is_none() {
            row = self.open_progress(row).await?;
        }
        if row.status != BroadcastStatus::Running {
            self.show_progress(&row, false).await?;
            return Ok(false);
        }
        let due = delivery::due(&self.ctx.db, row.id, BATCH, now).await?;
        if due.is_empty() {
            if let Some((finished, _)) = delivery::finish_if_complete(&self.ctx.db, &row, Utc::now()).await? {
                self.show_progress(&finished, true).await?;
                self.ctx.outbox_wake.notify_one();
                crate::metrics::broadcast_finished();
                return Ok(true);
            }
            // Only retries are left, due later.
            self.show_progress(&row, false).await?;
            return Ok(false);
        }
        let content = content_of(&row);
        let mut last: Option<(broadcast_recipient::Model, Outcome)> = None;
        for recipient in due {
            if *stop.borrow() || !self.hold().await? {
                break;
            }
            self.tg.limiter().acquire(recipient.chat_id, Lane::Broadcast).await;
            let settled = last.take();
            let began = delivery::advance(
                &self.ctx.db,
                settled.as_ref().map(|(r, o)| (r, o.clone())),
                Some(&recipient),
                Utc::now(),
            )
            .await?;
            if !began {
                // Paused or stopped meanwhile.
                break;
            }
            let result = message::send(&self.tg, ChatId(recipient.chat_id), &content).await;
            let outcome = self.outcome(result);
            crate::metrics::broadcast_message(outcome_label(&outcome));
            last = Some((recipient, outcome));
            self.show_progress(&row, false).await?;
        }
        if let Some((recipient, outcome)) = last {
            delivery::advance(&self.ctx.db, Some((&recipient, outcome)), None, Utc::now()).await?;
        }
        Ok(true)
    }

    /// What Telegram's answer means for the recipient; a 429 pauses every send.
    fn outcome(&self, result: Result<Message, RequestError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Sent,
            Err(RequestError::RetryAfter(after)) => {
                let wait = after.duration();
                self.tg.limiter().pause_for(wait);
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1));
                Outcome::Later(Utc::now() + wait)
            }
            Err(RequestError::Api(err)) if tg::unreachable(&err) => Outcome::Blocked(err.to_string()),
            Err(err) if tg::transient(&err) => Outcome::Retry(err.to_string()),
            Err(err) => Outcome::Failed(err.to_string()),
        }
    }

    /// Sends the progress message to the broadcast's creator and remembers where it is.
    async fn open_progress(&mut self, row: broadcast::Model) -> Result<broadcast::Model, sea_orm::DbErr> {
        let chat = ChatId(row.created_by);
        let lang = self.language_of(row.created_by).await?;
        let progress = broadcasts::progress(&self.ctx.db, &row).await?;
        let (text, keyboard) = message::progress(&row, &progress, self.rate(), lang.code());
        self.tg.limiter().acquire(chat.0, Lane::Background).await;
        let mut request = self.tg.send_message(chat, text.clone()).parse_mode(ParseMode::Html);
        if let Some(keyboard) = keyboard {
            request = teloxide::payloads::SendMessageSetters::reply_markup(request, keyboard);
        }
        let result = request.await;
        tg::record("sendMessage", &result);
        // Without a progress message (the creator blocked the bot) it is sent all the same;
        // the chat id 0 marks that none will come.
        let (chat_id, message_id) = match result {
            Ok(sent) => (chat.0, sent.id.0),
            Err(err) => {
                log::warn!("broadcast #{}: progress message not sent: {err}", row.id);
                (0, 0)
            }
        };
        delivery::set_progress_message(&self.ctx.db, row.id, chat_id, message_id).await?;
        self.shown = Some((row.id, text, Instant::now()));
        Ok(broadcast::Model { progress_chat_id: Some(chat_id), progress_message_id: Some(message_id), ..row })
    }

    /// Edits the progress message when its text changed and it was last edited a while ago
    /// (`now`: at once, for the last edit).
    async fn show_progress(&mut self, row: &broadcast::Model, now: bool) -> Result<(), sea_orm::DbErr> {
        let (Some(chat), Some(message_id)) = (row.progress_chat_id, row.progress_message_id) else { return Ok(()) };
        if chat == 0 {
            return Ok(());
        }
        if let Some((id, _, at)) = &self.shown {
            if *id == row.id && at.elapsed() < PROGRESS_EVERY && !now {
                return Ok(());
            }
        }
        // The state may have changed under us (paused, stopped from the dashboard).
        let row = delivery::reload(&self.ctx.db, row.id).await?.unwrap_or_else(|| row.clone());
        let lang = self.language_of(row.created_by).await?;
        let progress = broadcasts::progress(&self.ctx.db, &row).await?;
        let (text, keyboard) = message::progress(&row, &progress, self.rate(), lang.code());
        if self.shown.as_ref().is_some_and(|(id, shown, _)| *id == row.id && *shown == text) {
            return Ok(());
        }
        self.tg.limiter().acquire(chat, Lane::Background).await;
        let mut request =
            self.tg.edit_message_text(ChatId(chat), MessageId(message_id), text.clone()).parse_mode(ParseMode::Html);
        if let Some(keyboard) = keyboard {
            request = request.reply_markup(keyboard);
        }
        let result = request.await;
        tg::record("editMessageText", &result);
        match result {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => {}
            Err(err) => log::info!("broadcast #{}: progress not edited: {err}", row.id),
        }
        self.shown = Some((row.id, text, Instant::now()));
        Ok(())
    }

    async fn language_of(&self, telegram_id: i64) -> Result<Lang, sea_orm::DbErr> {
        let user = users::find_by_telegram_id(&self.ctx.db, telegram_id).await?;
        Ok(user.map_or(Lang::En, |u| Lang::from_code(&u.language)))
    }

    fn rate(&self) -> u32 {
        self.ctx.config.send_limits.broadcast_per_second
    }
}

fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sent => "sent",
        Outcome::Blocked(_) => "blocked",
        Outcome::Later(_) => "429",
        Outcome::Retry(_) => "retry",
        Outcome::Failed(_) => "failed",
    }
}
