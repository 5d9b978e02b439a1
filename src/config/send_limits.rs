/// How fast we send to Telegram. The defaults are Telegram's published limits; tests against
/// a local fake raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    pub overall_per_second: u32,
    pub overall_burst: u32,
    pub per_chat_per_second: u32,
    /// Telegram tolerates short bursts in one private chat (a reply split in three messages).
    pub per_chat_burst: u32,
    /// Broadcast messages per second (`broadcast.rate_per_sec`), steady with no burst: the
    /// rest of `overall_per_second` is left for replies and notices.
    pub broadcast_per_second: u32,
}

impl SendLimits {
    pub const fn telegram() -> SendLimits {
        SendLimits {
            overall_per_second: 30,
            overall_burst: 30,
            per_chat_per_second: 1,
            per_chat_burst: 5,
            broadcast_per_second: crate::domain::broadcast::DEFAULT_RATE_PER_SEC,
        }
    }

    /// For tests against a local fake that has no limits of its own.
    pub const fn unlimited() -> SendLimits {
        SendLimits {
            overall_per_second: 1_000_000,
            overall_burst: 1_000_000,
            per_chat_per_second: 1_000_000,
            per_chat_burst: 1_000_000,
            broadcast_per_second: 1_000_000,
        }
    }

    /// Every rate `factor` times faster (bursts stay as they are): for a local stand-in that
    /// enforces Telegram's limits on a clock running `factor` times faster, so a test or a
    /// benchmark of many thousand sends takes seconds (TELEGRAM_RATE_SCALE).
    pub const fn scaled(self, factor: u32) -> SendLimits {
        SendLimits {
            overall_per_second: self.overall_per_second.saturating_mul(factor),
            per_chat_per_second: self.per_chat_per_second.saturating_mul(factor),
            broadcast_per_second: self.broadcast_per_second.saturating_mul(factor),
            ..self
        }
    }
}

impl Default for SendLimits {
    fn default() -> SendLimits {
        SendLimits::telegram()
    }
}
