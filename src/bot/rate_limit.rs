//! The one limiter every send to Telegram goes through: replies, outbox rows and, later,
//! broadcasts. Telegram allows about 30 messages a second overall and one a second per chat
//! (short bursts are tolerated). Replies to the person in front of the bot go first:
//! background sends wait while a reply is waiting for a slot.
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::SendLimits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// An answer to the update being handled.
    Reply,
    /// Outbox rows.
    Background,
    /// Broadcast messages: paced at their own steady rate, then like `Background`.
    Broadcast,
}

pub struct Limiter {
    overall: DefaultDirectRateLimiter,
    per_chat: DefaultKeyedRateLimiter<i64>,
    broadcast: DefaultDirectRateLimiter,
    replies_waiting: AtomicUsize,
    /// Set after a 429: nobody sends before this instant.
    paused_until: Mutex<Option<Instant>>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limiter {
    pub fn new(limits: SendLimits) -> Limiter {
        let overall = Quota::per_second(nonzero(limits.overall_per_second)).allow_burst(nonzero(limits.overall_burst));
        let per_chat =
            Quota::per_second(nonzero(limits.per_chat_per_second)).allow_burst(nonzero(limits.per_chat_burst));
        // Telegram counts messages over any second. A burst of two lets a send that came a
        // little late be made up for (else the rate is one per period plus the time a send
        // takes), and still keeps any second at the rate plus one: under 30 while the rate is.
        let rate = limits.broadcast_per_second.min(limits.overall_per_second);
        let burst = if rate < limits.overall_per_second { 2 } else { 1 };
        let broadcast = Quota::per_second(nonzero(rate)).allow_burst(nonzero(burst));
        Limiter {
            overall: RateLimiter::direct(overall),
            per_chat: RateLimiter::keyed(per_chat),
            broadcast: RateLimiter::direct(broadcast),
            replies_waiting: AtomicUsize::new(0),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for a slot to send one message to `chat`.
    pub async fn acquire(&self, chat: i64, lane: Lane) {
        match lane {
            Lane::Reply => {
                self.replies_waiting.fetch_add(1, Ordering::SeqCst);
                self.wait_out_pause().await;
                self.per_chat.until_key_ready(&chat).await;
                self.overall.until_ready().await;
                self.replies_waiting.fetch_sub(1, Ordering::SeqCst);
            }
            Lane::Background | Lane::Broadcast => {
                if lane == Lane::Broadcast {
                    self.broadcast.until_ready().await;
                }
                self.per_chat.until_key_ready(&chat).await;
                loop {
                    self.wait_out_pause().await;
                    if self.replies_waiting.load(Ordering::SeqCst) > 0 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    match self.overall.check() {
                        Ok(()) => break,
                        Err(not_until) => {
                            tokio::time::sleep(not_until.wait_time_from(DefaultClock::default().now())).await
                        }
                    }
                }
            }
        }
        // Chats that went quiet need no memory.
        if self.per_chat.len() > 10_000 {
            self.per_chat.retain_recent();
        }
    }

    /// Telegram said 429: every send waits `retry_after`.
    pub fn pause_for(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|at| at < until) {
            *paused = Some(until);
        }
    }

    async fn wait_out_pause(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until {
            tokio::time::sleep_until(until.into()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> SendLimits {
        SendLimits {
            overall_per_second: 1000,
            overall_burst: 1,
            per_chat_per_second: 10,
            per_chat_burst: 1,
            broadcast_per_second: 1,
        }
    }

    #[tokio::test]
    async fn one_chat_is_paced() {
        let limiter = Limiter::new(strict());
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire(1, Lane::Background).await;
        }
        // Three sends at 10 per second: the second and third each wait for a slot.
        assert!(start.elapsed() >= Duration::from_millis(190), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn broadcasts_keep_their_own_steady_pace() {
        let limiter = Limiter::new(SendLimits { broadcast_per_second: 20, ..SendLimits::unlimited() });
        let start = Instant::now();
        for chat in 0..5 {
            limiter.acquire(chat, Lane::Broadcast).await;
        }
        // A burst of two at most: the 5th of 20 per second waits 3 slots of 50 ms.
        assert!(start.elapsed() >= Duration::from_millis(140), "{:?}", start.elapsed());
        let start = Instant::now();
        for chat in 0..5 {
            limiter.acquire(chat, Lane::Background).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_pause_holds_every_send() {
        let limiter = Limiter::new(SendLimits::unlimited());
        limiter.pause_for(Duration::from_millis(200));
        let start = Instant::now();
        limiter.acquire(7, Lane::Reply).await;
        assert!(start.elapsed() >= Duration::from_millis(190), "{:?}", start.elapsed());
    }

    /// Uses up the slot, queues a send on `lane` and then a reply for the next one: the
    /// reply goes first.
    async fn reply_goes_before(lane: Lane) -> Vec<&'static str> {
        let limiter = std::sync::Arc::new(Limiter::new(SendLimits {
            overall_per_second: 20,
            overall_burst: 1,
            per_chat_per_second: 1000,
            per_chat_burst: 1000,
            broadcast_per_second: 1000,
        }));
        limiter.acquire(1, Lane::Reply).await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let background = {
            let (limiter, order) = (limiter.clone(), order.clone());
            tokio::spawn(async move {
                limiter.acquire(2, lane).await;
                order.lock().unwrap().push("background");
            })
        };
        tokio::task::yield_now().await;
        limiter.acquire(3, Lane::Reply).await;
        order.lock().unwrap().push("reply");
        background.await.unwrap();
        let order = order.lock().unwrap().clone();
        order
    }

    #[tokio::test]
    async fn replies_go_before_background_sends() {
        assert_eq!(reply_goes_before(Lane::Background).await, vec!["reply", "background"]);
    }

    #[tokio::test]
    async fn replies_go_before_a_broadcast() {
        assert_eq!(reply_goes_before(Lane::Broadcast).await, vec!["reply", "background"]);
    }
}
