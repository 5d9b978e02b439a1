use sea_orm::entity::prelude::*;

/// A code customers enter at checkout. `uses` counts paid orders that used it and moves up by
/// a conditional update that stops at `max_uses`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub kind: PromoKind,
    /// Whole percent, or paise.
    pub value: i64,
    /// Empty: every plan; else `,3,7,`.
    pub plan_ids: String,
    pub valid_from: DateTimeUtc,
    pub valid_until: Option<DateTimeUtc>,
    pub max_uses: Option<i32>,
    pub per_user: i32,
    pub first_purchase_only: bool,
    /// Paise of list price at least.
    pub min_price: i64,
    pub is_active: bool,
    pub uses: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PromoKind {
    #[sea_orm(string_value = "percent")]
    Percent,
    #[sea_orm(string_value = "fixed")]
    Fixed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
