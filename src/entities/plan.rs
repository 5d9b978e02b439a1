use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// Free text: which platforms the plan includes, screens, quality.
    pub description: String,
    /// Paise.
    pub price: i64,
    /// Paise: what the shop pays for one credential; profit = price - cost.
    pub cost: i64,
    pub duration_days: i32,
    pub is_active: bool,
    pub sort_order: i32,
    /// The admin event (chat:message) that created it; unique, so a replay is a no-op.
    #[sea_orm(unique)]
    pub source_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub renewal_login: RenewalLogin,
}

/// What renewing a subscription of this plan does to the customer's login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum RenewalLogin {
    /// The shop renews that account: the customer keeps the same login.
    #[sea_orm(string_value = "keep")]
    Keep,
    /// A new login is taken from stock; the old one is retired when the old period ends.
    #[sea_orm(string_value = "replace")]
    Replace,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
