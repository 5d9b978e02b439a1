//! Delivers outbox rows. Any number of senders (tasks or instances) may run: each row is
//! claimed by a conditional update first. Network trouble and 5xx are retried with backoff,
//! 429 waits `retry_after` (every send pauses), 403 marks the recipient unreachable.
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::payloads::{SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, ParseMode};
use teloxide::RequestError;

use super::notices::{self, Outgoing};
use crate::bot::rate_limit::Lane;
use crate::bot::{commands, tg, Ctx, Tg};
use crate::domain::Lang;
use crate::entities::user::Role;
use crate::services::outbox::{self, Claimed, Notice};

/// Rows sent at once (each to a different chat).
const BATCH: usize = 20;
/// A claim outlives a send comfortably; a crashed sender's rows are taken over after it.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Attempts before a row that keeps failing on our side or the network's is given up.
const MAX_ATTEMPTS: i32 = 12;
/// How often an idle sender looks for rows written by other instances or due for a retry.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Runs until the task is dropped.
pub async fn run(tg: Tg, ctx: Arc<Ctx>) {
    loop {
        match send_due(&tg, &ctx).await {
            Ok(0) => {
                let _ = tokio::time::timeout(IDLE_POLL, ctx.outbox_wake.notified()).await;
            }
            Ok(_) => {}
            Err(err) => {
                log::warn!("outbox: {err}");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// One round: claims due rows and delivers them. Returns how many were claimed.
pub async fn send_due(tg: &Tg, ctx: &Ctx) -> Result<usize, sea_orm::DbErr> {
    let claimed = outbox::claim_due(&ctx.db, BATCH, LEASE, Utc::now()).await?;
    let count = claimed.len();
    let sends = claimed.into_iter().map(|row| deliver(tg, ctx, row));
    for result in futures::future::join_all(sends).await {
        result?;
    }
    Ok(count)
}

async fn deliver(tg: &Tg, ctx: &Ctx, claimed: Claimed) -> Result<(), sea_orm::DbErr> {
    let row = &claimed.row;
    let Some(notice) = &claimed.notice else {
        log::error!("outbox row {} ({}) cannot be read; dropped", row.id, row.kind);
        return outbox::mark_failed(&ctx.db, row, "unreadable params", false, Utc::now()).await;
    };
    let message = notices::render(notice, &claimed.language, ctx);
    tg.limiter().acquire(row.chat_id, Lane::Background).await;
    let now = Utc::now();
    match send(tg, ChatId(row.chat_id), message).await {
        Ok(()) => {
            if let Notice::RoleChanged { role } = notice {
                // The person's command menu follows their new role.
                let role = <Role as sea_orm::ActiveEnum>::try_from_value(role).unwrap_or(Role::User);
                commands::set_for_chat(tg, ChatId(row.chat_id), role, Lang::from_code(&claimed.language)).await;
            }
            outbox::mark_sent(&ctx.db, row, now).await
        }
        Err(RequestError::RetryAfter(after)) => {
            let wait = after.duration();
            tg.limiter().pause_for(wait);
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1));
            outbox::retry_at(&ctx.db, row, at, "429 Too Many Requests").await
        }
        Err(RequestError::Api(err)) if tg::unreachable(&err) => {
            log::info!("chat {} is unreachable ({err}); outbox row {} dropped", row.chat_id, row.id);
            outbox::mark_failed(&ctx.db, row, &err.to_string(), true, now).await
        }
        Err(err) if tg::transient(&err) && row.attempts < MAX_ATTEMPTS => {
            let backoff = chrono::Duration::seconds(1i64 << row.attempts.clamp(0, 9));
            log::warn!("outbox row {} to {}: {err}; retrying in {backoff}", row.id, row.chat_id);
            outbox::retry_at(&ctx.db, row, now + backoff, &err.to_string()).await
        }
        Err(err) => {
            log::error!("outbox row {} ({}) to {} refused: {err}", row.id, row.kind, row.chat_id);
            outbox::mark_failed(&ctx.db, row, &err.to_string(), false, now).await
        }
    }
}

async fn send(tg: &Tg, chat: ChatId, message: Outgoing) -> Result<(), RequestError> {
    if let Some(path) = message.document_path {
        let request = tg.send_document(chat, InputFile::file(path)).caption(message.text).parse_mode(ParseMode::Html);
        let result = request.await.map(drop);
        crate::bot::tg::record("sendDocument", &result);
        return result;
    }
    match message.photo_file_id {
        Some(file_id) => {
            let mut request = tg
                .send_photo(chat, InputFile::file_id(FileId(file_id)))
                .caption(message.text)
                .parse_mode(ParseMode::Html);
            if let Some(keyboard) = message.keyboard {
                request = request.reply_markup(keyboard);
            }
            let result = request.await.map(drop);
            crate::bot::tg::record("sendPhoto", &result);
            result
        }
        None => {
            let mut request = tg.send_message(chat, message.text).parse_mode(ParseMode::Html);
            if let Some(keyboard) = message.keyboard {
                request = request.reply_markup(keyboard);
            }
            let result = request.await.map(drop);
            crate::bot::tg::record("sendMessage", &result);
            result
        }
    }
}
