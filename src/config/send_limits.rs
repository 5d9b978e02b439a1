/// How fast we send to Telegram. The defaults are Telegram's published limits; tests against
/// a local fake raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    pub overall_per_second: u32,
    pub overall_burst: u32,
    pub per_chat_per_second: u32,
    /// Telegram tolerates short bursts in one private chat (a reply split in three messages).
    pub per_chat_burst: u32,
}

impl SendLimits {
    pub const fn telegram() -> SendLimits {
        SendLimits { overall_per_second: 30, overall_burst: 30, per_chat_per_second: 1, per_chat_burst: 5 }
    }

    /// For tests against a local fake that has no limits of its own.
    pub const fn unlimited() -> SendLimits {
        SendLimits {
            overall_per_second: 1_000_000,
            overall_burst: 1_000_000,
            per_chat_per_second: 1_000_000,
            per_chat_burst: 1_000_000,
        }
    }
}

impl Default for SendLimits {
    fn default() -> SendLimits {
        SendLimits::telegram()
    }
}
