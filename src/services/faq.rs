//! Help and FAQ: entries per language, in staff's order. Customers read them in /help; admins
//! add, edit, move and remove them (`Permission::ChangeSettings`), audit-logged.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use crate::domain::faq::FaqText;
use crate::domain::{Lang, Permission};
use crate::entities::faq_entry;
use crate::services::actor::{ActError, Actor};
use crate::services::audit;

/// The entries of `lang`, in order.
pub async fn list(conn: &impl ConnectionTrait, lang: Lang) -> Result<Vec<faq_entry::Model>, DbErr> {
    faq_entry::Entity::find()
        .filter(faq_entry::Column::Lang.eq(lang.code()))
        .order_by_asc(faq_entry::Column::Position)
        .order_by_asc(faq_entry::Column::Id)
        .all(conn)
        .await
}

pub async fn find(conn: &impl ConnectionTrait, id: i32) -> Result<Option<faq_entry::Model>, DbErr> {
    faq_entry::Entity::find_by_id(id).one(conn).await
}

/// Adds an entry at the end of its language's list.
pub async fn add(
    db: &DatabaseConnection,
    actor: &Actor,
    lang: Lang,
    text: &FaqText,
    now: DateTime<Utc>,
) -> Result<faq_entry::Model, ActError> {
    actor.require(Permission::ChangeSettings)?;
    let txn = db.begin().await?;
    let last = list(&txn, lang).await?.last().map_or(0, |e| e.position);
    let entry = faq_entry::ActiveModel {
        lang: Set(lang.code().to_owned()),
        question: Set(text.question.clone()),
        answer: Set(text.answer.clone()),
        position: Set(last + 1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let details = serde_json::json!({ "lang": entry.lang, "question": entry.question });
    audit::record(&txn, actor, "faq.add", &format!("faq:{}", entry.id), details, now).await?;
    txn.commit().await?;
    Ok(entry)
}

/// Rewrites an entry's question and answer; None when there is no such entry.
pub async fn edit(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    text: &FaqText,
    now: DateTime<Utc>,
) -> Result<Option<faq_entry::Model>, ActError> {
    actor.require(Permission::ChangeSettings)?;
    let txn = db.begin().await?;
    let Some(entry) = find(&txn, id).await? else { return Ok(None) };
    let mut active: faq_entry::ActiveModel = entry.into();
    active.question = Set(text.question.clone());
    active.answer = Set(text.answer.clone());
    active.updated_at = Set(now);
    let entry = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "faq.edit",
        &format!("faq:{id}"),
        serde_json::json!({ "question": entry.question }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(entry))
}

/// Removes an entry; false when there was none.
pub async fn remove(db: &DatabaseConnection, actor: &Actor, id: i32, now: DateTime<Utc>) -> Result<bool, ActError> {
    actor.require(Permission::ChangeSettings)?;
    let txn = db.begin().await?;
    let Some(entry) = find(&txn, id).await? else { return Ok(false) };
    faq_entry::Entity::delete_by_id(id).exec(&txn).await?;
    renumber(&txn, Lang::from_code(&entry.lang), None, now).await?;
    audit::record(
        &txn,
        actor,
        "faq.remove",
        &format!("faq:{id}"),
        serde_json::json!({ "question": entry.question }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Moves an entry to `position` (1 = first; past the end = last) in its language's list.
pub async fn move_to(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    position: usize,
    now: DateTime<Utc>,
) -> Result<Option<Vec<faq_entry::Model>>, ActError> {
    actor.require(Permission::ChangeSettings)?;
    let txn = db.begin().await?;
    let Some(entry) = find(&txn, id).await? else { return Ok(None) };
    let lang = Lang::from_code(&entry.lang);
    renumber(&txn, lang, Some((id, position)), now).await?;
    audit::record(&txn, actor, "faq.move", &format!("faq:{id}"), serde_json::json!({ "position": position }), now)
        .await?;
    let entries = list(&txn, lang).await?;
    txn.commit().await?;
    Ok(Some(entries))
}

/// Positions 1, 2, 3… in the current order, with `moved` (id, position) put in its place.
async fn renumber(
    conn: &impl ConnectionTrait,
    lang: Lang,
    moved: Option<(i32, usize)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut ids: Vec<i32> = list(conn, lang).await?.into_iter().map(|e| e.id).collect();
    if let Some((id, position)) = moved {
        ids.retain(|other| *other != id);
        ids.insert(position.saturating_sub(1).min(ids.len()), id);
    }
    for (index, id) in ids.into_iter().enumerate() {
        faq_entry::Entity::update_many()
            .col_expr(faq_entry::Column::Position, Expr::value(i32::try_from(index + 1).unwrap_or(i32::MAX)))
            .col_expr(faq_entry::Column::UpdatedAt, Expr::value(now))
            .filter(faq_entry::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
