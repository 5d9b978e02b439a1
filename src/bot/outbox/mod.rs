//! Delivering the outbox: every message to someone other than the person in front of the
//! bot, rendered in the recipient's language when it is sent.
pub mod notices;
mod sender;

pub use sender::{run, send_due};
