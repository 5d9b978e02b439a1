//! What every feature shares, and nothing feature-specific: answering (`Reply`), buttons and
//! the cross-feature links (`Goto`), commands, permission guards, and how dates, money and
//! people are written.
pub mod callback;
pub mod command;
pub mod format;
pub mod guard;
pub mod keyboards;
pub mod reply;

pub use callback::{button, Callback, Goto, Method};
pub use guard::{permitted, permitted_for};
pub use reply::{escape, Reply};
