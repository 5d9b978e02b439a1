use sea_orm::entity::prelude::*;

/// One question and its answer in /help, in one language.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "faq_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `en` or `hi`.
    pub lang: String,
    pub question: String,
    pub answer: String,
    /// Order within the language, from 1.
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
