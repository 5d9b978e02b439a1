//! Who may use what. A staff command or button is recognised first and then checked here,
//! so one that a role may not use is refused instead of falling through to "didn't get that".
//! The services check the permission again: this is for a clear answer in chat.
use rust_i18n::t;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;

use super::keyboards;
use super::reply::Reply;
use crate::bot::{HandlerError, HandlerResult};
use crate::domain::Permission;
use crate::services::Actor;

/// `then` for an actor whose role has `permission`; a polite refusal for anyone else.
pub fn permitted(permission: Permission, then: UpdateHandler<HandlerError>) -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(dptree::filter(move |actor: Actor| actor.can(permission)).chain(then))
        .branch(dptree::endpoint(refuse))
}

async fn refuse(reply: Reply) -> HandlerResult {
    reply.send(t!("admin.not_allowed", locale = reply.lang), Some(keyboards::main_menu(reply.lang))).await?;
    Ok(())
}

/// Like `permitted`, with the permission named by what was pressed or typed (`T`).
pub fn permitted_for<T: Clone + Send + Sync + 'static>(
    permission: fn(&T) -> Permission,
    then: UpdateHandler<HandlerError>,
) -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(dptree::filter(move |actor: Actor, what: T| actor.can(permission(&what))).chain(then))
        .branch(dptree::endpoint(refuse))
}
