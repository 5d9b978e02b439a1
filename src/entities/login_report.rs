use sea_orm::entity::prelude::*;

/// A customer's "login not working" on one subscription. `open_key` is the subscription's id
/// while the report is open (unique), so each subscription has at most one open report.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subscription_id: i32,
    pub user_id: i32,
    pub reason: ReportReason,
    pub note: Option<String>,
    pub screenshot_file_id: Option<String>,
    pub status: ReportStatus,
    #[sea_orm(unique)]
    pub open_key: Option<String>,
    pub old_stock_item_id: i32,
    pub new_stock_item_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub escalated_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReportReason {
    #[sea_orm(string_value = "wrong_password")]
    WrongPassword,
    #[sea_orm(string_value = "screen_limit")]
    ScreenLimit,
    #[sea_orm(string_value = "expired_early")]
    ExpiredEarly,
    #[sea_orm(string_value = "other")]
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 4] =
        [ReportReason::WrongPassword, ReportReason::ScreenLimit, ReportReason::ExpiredEarly, ReportReason::Other];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReportStatus {
    #[sea_orm(string_value = "open")]
    Open,
    /// Staff gave the customer a new login.
    #[sea_orm(string_value = "replaced")]
    Replaced,
    /// Staff closed it as resolved.
    #[sea_orm(string_value = "resolved")]
    Resolved,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
