//! teloxide dialogue `Storage` kept in our own database through SeaORM, so a conversation
//! survives a restart without teloxide's SQL storages (which would pull in a second sqlx).
use std::sync::Arc;

use chrono::Utc;
use futures::future::BoxFuture;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, Set};
use serde::de::DeserializeOwned;
use serde::Serialize;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

use crate::entities::dialogue_state;

pub struct DbDialogueStore {
    db: DatabaseConnection,
}

#[derive(Debug, thiserror::Error)]
pub enum DialogueStoreError {
    #[error("dialogue not found")]
    NotFound,
    #[error("dialogue state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl DbDialogueStore {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(DbDialogueStore { db })
    }
}

impl<D> Storage<D> for DbDialogueStore
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = DialogueStoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let result = dialogue_state::Entity::delete_by_id(chat_id.0).exec(&self.db).await?;
            if result.rows_affected == 0 {
                return Err(DialogueStoreError::NotFound);
            }
            Ok(())
        })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, dialogue: D) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let state = serde_json::to_string(&dialogue)?;
            dialogue_state::Entity::insert(dialogue_state::ActiveModel {
                chat_id: Set(chat_id.0),
                state: Set(state),
                updated_at: Set(Utc::now()),
            })
            .on_conflict(
                OnConflict::column(dialogue_state::Column::ChatId)
                    .update_columns([dialogue_state::Column::State, dialogue_state::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
            Ok(())
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let Some(row) = dialogue_state::Entity::find_by_id(chat_id.0).one(&self.db).await? else {
                return Ok(None);
            };
            // A state saved by an older version that no longer parses starts the chat afresh.
            Ok(serde_json::from_str(&row.state).ok())
        })
    }
}
