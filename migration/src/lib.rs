//! Database schema for ottsonly. Every migration must run unchanged on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_payments;
mod m20261122_000003_upi_claims;
mod m20261122_000004_referrals;
mod m20261202_000005_outbox;
mod m20261203_000006_approvals;
mod m20261203_000007_api;
mod m20261203_000008_report_indexes;
mod m20261203_000009_dashboard;
mod m20261204_000010_reminders;
mod m20261204_000011_faq;
mod m20261204_000012_customer_settings;
mod m20261205_000013_renewals;
mod m20261205_000014_login_reports;
mod m20261205_000015_support_tickets;
mod m20261205_000016_promo_codes;
mod m20261206_000017_gifts;
mod m20261206_000018_telegram_updates;
mod m20261206_000019_leases;
mod m20261207_000020_broadcasts;
mod m20261208_000021_hot_query_indexes;
pub mod m20261208_000022_referral_tallies;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_payments::Migration),
            Box::new(m20261122_000003_upi_claims::Migration),
            Box::new(m20261122_000004_referrals::Migration),
            Box::new(m20261202_000005_outbox::Migration),
            Box::new(m20261203_000006_approvals::Migration),
            Box::new(m20261203_000007_api::Migration),
            Box::new(m20261203_000008_report_indexes::Migration),
            Box::new(m20261203_000009_dashboard::Migration),
            Box::new(m20261204_000010_reminders::Migration),
            Box::new(m20261204_000011_faq::Migration),
            Box::new(m20261204_000012_customer_settings::Migration),
            Box::new(m20261205_000013_renewals::Migration),
            Box::new(m20261205_000014_login_reports::Migration),
            Box::new(m20261205_000015_support_tickets::Migration),
            Box::new(m20261205_000016_promo_codes::Migration),
            Box::new(m20261206_000017_gifts::Migration),
            Box::new(m20261206_000018_telegram_updates::Migration),
            Box::new(m20261206_000019_leases::Migration),
            Box::new(m20261207_000020_broadcasts::Migration),
            Box::new(m20261208_000021_hot_query_indexes::Migration),
            Box::new(m20261208_000022_referral_tallies::Migration),
        ]
    }
}
