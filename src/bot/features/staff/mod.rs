//! The shop's staff in chat. Each feature here checks its commands and buttons with one
//! permission filter (`ui::permitted`): support sees customers, orders and queues; admins
//! run the catalogue, money (and the second approval of large credits and debits), queues and
//! settings and see the reports; owners also manage the team and API tokens.
pub mod approvals;
pub mod broadcasts;
pub mod catalog;
pub mod customers;
pub mod dashboard;
pub mod desk;
pub mod faq;
pub mod money;
pub mod offers;
pub mod queues;
pub mod reports;
pub mod settings;
pub mod team;
pub mod tokens;

use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;

use crate::bot::HandlerError;

pub fn handler() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(customers::handler())
        .branch(queues::handler())
        .branch(desk::handler())
        .branch(catalog::handler())
        .branch(money::handler())
        .branch(offers::handler())
        .branch(broadcasts::handler())
        .branch(approvals::handler())
        .branch(settings::handler())
        .branch(reports::handler())
        .branch(team::handler())
        .branch(tokens::handler())
        .branch(dashboard::handler())
        .branch(faq::handler())
}
