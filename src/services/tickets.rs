//! Support tickets: what a customer writes under /support (text, photos) is stored and relayed
//! to the people who help customers (the support chat, or each support member, admin and
//! owner); their replies are stored and relayed back. A customer has one open ticket at a
//! time (`open_key`); either side can close it.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::domain::Permission;
use crate::entities::support_message;
use crate::entities::support_ticket::{self, TicketStatus};
use crate::entities::user;
use crate::services::actor::{ActError, Actor};
use crate::services::outbox::{self, Notice};
use crate::services::{audit, users};

/// Longest text kept per message: under Telegram's 4096 with the header around it.
pub const MAX_TEXT: usize = 3000;
/// Longest text that goes with a photo: a caption may hold 1024 characters.
pub const MAX_CAPTION: usize = 800;
/// The subject: the start of the first message.
const SUBJECT_CHARS: usize = 60;

/// What someone wrote: text, a photo (Telegram file id), or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub text: Option<String>,
    pub photo_file_id: Option<String>,
}

impl Said {
    /// Trimmed, cut to what a message (or a photo's caption) can carry; None when empty.
    pub fn new(text: Option<&str>, photo_file_id: Option<String>) -> Option<Said> {
        let limit = if photo_file_id.is_some() { MAX_CAPTION } else { MAX_TEXT };
        let text = text.map(str::trim).filter(|t| !t.is_empty()).map(|t| t.chars().take(limit).collect::<String>());
        (text.is_some() || photo_file_id.is_some()).then_some(Said { text, photo_file_id })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub ticket: support_ticket::Model,
    /// This message opened the ticket.
    pub new: bool,
}

/// The customer writes to support: into their open ticket, or a new one.
pub async fn customer_says(
    db: &DatabaseConnection,
    telegram_id: i64,
    said: &Said,
    now: DateTime<Utc>,
) -> Result<Option<Sent>, DbErr> {
    let txn = db.begin().await?;
    let Some(customer) = users::find_by_telegram_id(&txn, telegram_id).await? else { return Ok(None) };
    let key = customer.id.to_string();
    let subject: String = match &said.text {
        Some(text) => text.chars().take(SUBJECT_CHARS).collect(),
        None => "📷".into(),
    };
    let inserted = support_ticket::Entity::insert(support_ticket::ActiveModel {
        user_id: Set(customer.id),
        status: Set(TicketStatus::Open),
        open_key: Set(Some(key.clone())),
        subject: Set(subject),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        closed_by: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([support_ticket::Column::OpenKey])
    .exec_without_returning(&txn)
    .await?;
    let new = matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0);
    let ticket = support_ticket::Entity::find()
        .filter(support_ticket::Column::OpenKey.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("open ticket of user {}", customer.id)))?;
    store(&txn, ticket.id, false, telegram_id, said, now).await?;
    let notice = Notice::TicketMessage {
        ticket_id: ticket.id,
        customer: (&customer).into(),
        text: said.text.clone(),
        photo_file_id: said.photo_file_id.clone(),
        new_ticket: new,
    };
    outbox::to_support(&txn, &notice, now).await?;
    txn.commit().await?;
    Ok(Some(Sent { ticket, new }))
}

async fn store(
    conn: &impl ConnectionTrait,
    ticket_id: i32,
    from_staff: bool,
    author: i64,
    said: &Said,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    support_message::Entity::insert(support_message::ActiveModel {
        ticket_id: Set(ticket_id),
        from_staff: Set(from_staff),
        author_telegram_id: Set(author),
        text: Set(said.text.clone()),
        photo_file_id: Set(said.photo_file_id.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    support_ticket::Entity::update_many()
        .col_expr(support_ticket::Column::UpdatedAt, Expr::value(now))
        .filter(support_ticket::Column::Id.eq(ticket_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    Done {
        customer_telegram_id: i64,
    },
    /// Closed already: nothing was sent.
    Closed,
    Unknown,
}

/// A helper answers ticket `ticket_id`; the customer reads it in their chat.
pub async fn staff_reply(
    db: &DatabaseConnection,
    actor: &Actor,
    ticket_id: i32,
    said: &Said,
    now: DateTime<Utc>,
) -> Result<Answered, ActError> {
    actor.require(Permission::HelpCustomers)?;
    let txn = db.begin().await?;
    let Some((ticket, customer)) = with_customer(&txn, ticket_id).await? else { return Ok(Answered::Unknown) };
    if ticket.status != TicketStatus::Open {
        return Ok(Answered::Closed);
    }
    store(&txn, ticket.id, true, actor.telegram_id, said, now).await?;
    let notice = Notice::TicketReply { ticket_id, text: said.text.clone(), photo_file_id: said.photo_file_id.clone() };
    outbox::to_user(&txn, &customer, &notice, now).await?;
    audit::record(&txn, actor, "ticket.reply", &format!("ticket:{ticket_id}"), serde_json::json!({}), now).await?;
    txn.commit().await?;
    Ok(Answered::Done { customer_telegram_id: customer.telegram_id })
}

async fn with_customer(
    conn: &impl ConnectionTrait,
    ticket_id: i32,
) -> Result<Option<(support_ticket::Model, user::Model)>, DbErr> {
    let Some(ticket) = support_ticket::Entity::find_by_id(ticket_id).one(conn).await? else { return Ok(None) };
    let Some(customer) = user::Entity::find_by_id(ticket.user_id).one(conn).await? else { return Ok(None) };
    Ok(Some((ticket, customer)))
}

/// open -> closed by conditional update: closing twice (or from both sides at once) closes once.
async fn close_row(conn: &impl ConnectionTrait, ticket_id: i32, by: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let closed = support_ticket::Entity::update_many()
        .col_expr(support_ticket::Column::Status, Expr::value(TicketStatus::Closed))
        .col_expr(support_ticket::Column::OpenKey, Expr::value(Option::<String>::None))
        .col_expr(support_ticket::Column::ClosedAt, Expr::value(now))
        .col_expr(support_ticket::Column::ClosedBy, Expr::value(by))
        .col_expr(support_ticket::Column::UpdatedAt, Expr::value(now))
        .filter(support_ticket::Column::Id.eq(ticket_id))
        .filter(support_ticket::Column::Status.eq(TicketStatus::Open))
        .exec(conn)
        .await?;
    Ok(closed.rows_affected == 1)
}

/// A helper closes the ticket; the customer is told.
pub async fn close(
    db: &DatabaseConnection,
    actor: &Actor,
    ticket_id: i32,
    now: DateTime<Utc>,
) -> Result<Answered, ActError> {
    actor.require(Permission::HelpCustomers)?;
    let txn = db.begin().await?;
    let Some((_, customer)) = with_customer(&txn, ticket_id).await? else { return Ok(Answered::Unknown) };
    if !close_row(&txn, ticket_id, actor.telegram_id, now).await? {
        return Ok(Answered::Closed);
    }
    outbox::to_user(&txn, &customer, &Notice::TicketClosed { ticket_id }, now).await?;
    audit::record(&txn, actor, "ticket.close", &format!("ticket:{ticket_id}"), serde_json::json!({}), now).await?;
    txn.commit().await?;
    Ok(Answered::Done { customer_telegram_id: customer.telegram_id })
}

/// The customer closes their own ticket; the helpers are told.
pub async fn close_own(
    db: &DatabaseConnection,
    telegram_id: i64,
    ticket_id: i32,
    now: DateTime<Utc>,
) -> Result<Answered, DbErr> {
    let txn = db.begin().await?;
    let Some((_, customer)) =
        with_customer(&txn, ticket_id).await?.filter(|(_, customer)| customer.telegram_id == telegram_id)
    else {
        return Ok(Answered::Unknown);
    };
    if !close_row(&txn, ticket_id, telegram_id, now).await? {
        return Ok(Answered::Closed);
    }
    let notice = Notice::TicketClosedByCustomer { ticket_id, customer: (&customer).into() };
    outbox::to_support(&txn, &notice, now).await?;
    txn.commit().await?;
    Ok(Answered::Done { customer_telegram_id: telegram_id })
}

/// The customer's tickets, newest first.
pub async fn of_customer(
    db: &DatabaseConnection,
    telegram_id: i64,
    limit: u64,
) -> Result<Vec<support_ticket::Model>, DbErr> {
    let Some(customer) = users::find_by_telegram_id(db, telegram_id).await? else { return Ok(Vec::new()) };
    support_ticket::Entity::find()
        .filter(support_ticket::Column::UserId.eq(customer.id))
        .order_by_desc(support_ticket::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Tickets in `status`, most recently active first, with their customers (Permission::View).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    status: TicketStatus,
    limit: u64,
) -> Result<Vec<(support_ticket::Model, user::Model)>, ActError> {
    actor.require(Permission::View)?;
    let tickets = support_ticket::Entity::find()
        .filter(support_ticket::Column::Status.eq(status))
        .order_by_desc(support_ticket::Column::UpdatedAt)
        .order_by_desc(support_ticket::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut found = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        if let Some(customer) = user::Entity::find_by_id(ticket.user_id).one(db).await? {
            found.push((ticket, customer));
        }
    }
    Ok(found)
}

/// One ticket with its customer and its last `limit` messages, oldest first (Permission::View).
pub async fn history(
    db: &DatabaseConnection,
    actor: &Actor,
    ticket_id: i32,
    limit: u64,
) -> Result<Option<(support_ticket::Model, user::Model, Vec<support_message::Model>)>, ActError> {
    actor.require(Permission::View)?;
    let Some((ticket, customer)) = with_customer(db, ticket_id).await? else { return Ok(None) };
    let mut messages = support_message::Entity::find()
        .filter(support_message::Column::TicketId.eq(ticket_id))
        .order_by_desc(support_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    messages.reverse();
    Ok(Some((ticket, customer, messages)))
}
