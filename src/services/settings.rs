//! Runtime-editable settings (key/value), read with a typed default. The known keys and
//! what they accept are in `domain::setting`.
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Set, TransactionTrait};

use crate::domain::commission::Level;
use crate::domain::setting::{percent_to_fraction, SettingError, SettingKey};
use crate::domain::Money;
use crate::domain::Permission;
use crate::entities::setting;
use crate::services::actor::{ActError, Actor};
use crate::services::audit;

/// The stored value parsed as `T`, or `default` when unset or unparsable.
pub async fn get_or<T: FromStr>(conn: &impl ConnectionTrait, key: &str, default: T) -> Result<T, DbErr> {
    let row = setting::Entity::find_by_id(key.to_owned()).one(conn).await?;
    Ok(row.and_then(|r| r.value.parse().ok()).unwrap_or(default))
}

pub async fn set(conn: &impl ConnectionTrait, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The stored value of a known setting, or its business default.
pub async fn value(conn: &impl ConnectionTrait, key: SettingKey) -> Result<String, DbErr> {
    let row = setting::Entity::find_by_id(key.key().to_owned()).one(conn).await?;
    Ok(row.map(|r| r.value).filter(|v| key.normalise(v).is_ok()).unwrap_or_else(|| key.default_value().to_owned()))
}

/// Like `value` for several settings, in one query.
pub async fn values<const N: usize>(conn: &impl ConnectionTrait, keys: [SettingKey; N]) -> Result<[String; N], DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows = setting::Entity::find().filter(setting::Column::Key.is_in(keys.map(|k| k.key()))).all(conn).await?;
    Ok(keys.map(|key| {
        rows.iter()
            .find(|row| row.key == key.key())
            .map(|row| row.value.clone())
            .filter(|v| key.normalise(v).is_ok())
            .unwrap_or_else(|| key.default_value().to_owned())
    }))
}

/// Every known setting with its current value, in display order.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<(SettingKey, String)>, DbErr> {
    let mut values = Vec::with_capacity(SettingKey::ALL.len());
    for key in SettingKey::ALL {
        values.push((key, value(conn, key).await?));
    }
    Ok(values)
}

/// An admin changes a setting: checked, stored and audit-logged together.
/// Every setting with its value, for staff.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<(SettingKey, String)>, ActError> {
    actor.require(Permission::View)?;
    Ok(all(db).await?)
}

pub async fn change(
    db: &DatabaseConnection,
    actor: &Actor,
    key: SettingKey,
    input: &str,
    now: DateTime<Utc>,
) -> Result<Result<String, SettingError>, ActError> {
    actor.require(Permission::ChangeSettings)?;
    if key.is_safeguard() {
        actor.require(Permission::ChangeSafeguards)?;
    }
    let normalised = match key.normalise(input) {
        Ok(v) => v,
        Err(err) => return Ok(Err(err)),
    };
    let txn = db.begin().await?;
    let before = value(&txn, key).await?;
    set(&txn, key.key(), &normalised, now).await?;
    audit::record(
        &txn,
        actor,
        "setting.change",
        key.key(),
        serde_json::json!({ "from": before, "to": normalised }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(normalised))
}

async fn percent(conn: &impl ConnectionTrait, key: SettingKey) -> Result<Decimal, DbErr> {
    Ok(as_percent(key, &value(conn, key).await?))
}

fn as_percent(key: SettingKey, stored: &str) -> Decimal {
    percent_to_fraction(stored).or_else(|| percent_to_fraction(key.default_value())).unwrap_or_default()
}

async fn whole(conn: &impl ConnectionTrait, key: SettingKey) -> Result<i64, DbErr> {
    Ok(as_whole(key, &value(conn, key).await?))
}

fn as_whole(key: SettingKey, stored: &str) -> i64 {
    stored.parse().or_else(|_| key.default_value().parse()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralRules {
    /// Fractions of profit: 0.30 and 0.10 by default.
    pub l1_rate: Decimal,
    pub l2_rate: Decimal,
    pub hold: chrono::Duration,
}

impl ReferralRules {
    pub fn rate(&self, level: Level) -> Decimal {
        match level {
            Level::One => self.l1_rate,
            Level::Two => self.l2_rate,
        }
    }
}

pub async fn referral_rules(conn: &impl ConnectionTrait) -> Result<ReferralRules, DbErr> {
    let [l1, l2, hold] = values(conn, [SettingKey::L1Rate, SettingKey::L2Rate, SettingKey::HoldHours]).await?;
    Ok(referral_rules_of(&l1, &l2, &hold))
}

fn referral_rules_of(l1: &str, l2: &str, hold: &str) -> ReferralRules {
    ReferralRules {
        l1_rate: as_percent(SettingKey::L1Rate, l1),
        l2_rate: as_percent(SettingKey::L2Rate, l2),
        hold: chrono::Duration::hours(as_whole(SettingKey::HoldHours, hold)),
    }
}

/// The referral rules and the smallest withdrawal, as refer-and-earn explains them, in one query.
pub async fn referral_terms(conn: &impl ConnectionTrait) -> Result<(ReferralRules, Money), DbErr> {
    let [l1, l2, hold, min] =
        values(conn, [SettingKey::L1Rate, SettingKey::L2Rate, SettingKey::HoldHours, SettingKey::WithdrawalMinAmount])
            .await?;
    Ok((referral_rules_of(&l1, &l2, &hold), as_withdrawal_min(&min)))
}

pub async fn withdrawal_min(conn: &impl ConnectionTrait) -> Result<Money, DbErr> {
    Ok(as_withdrawal_min(&value(conn, SettingKey::WithdrawalMinAmount).await?))
}

fn as_withdrawal_min(stored: &str) -> Money {
    Money::parse_rupees(stored).unwrap_or(Money::from_rupees(500))
}

async fn rupees(conn: &impl ConnectionTrait, key: SettingKey) -> Result<Money, DbErr> {
    let stored = value(conn, key).await?;
    Ok(Money::parse_rupees(&stored).or_else(|_| Money::parse_rupees(key.default_value())).unwrap_or(Money::ZERO))
}

/// Manual credits and debits above this wait for a second owner or admin (`services::approvals`).
pub async fn admin_approval_threshold(conn: &impl ConnectionTrait) -> Result<Money, DbErr> {
    rupees(conn, SettingKey::AdminApprovalThreshold).await
}

/// Withdrawals above this need two different approvers (`withdrawals::approve`).
pub async fn withdrawal_approval_threshold(conn: &impl ConnectionTrait) -> Result<Money, DbErr> {
    rupees(conn, SettingKey::WithdrawalApprovalThreshold).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FraudRules {
    pub max_signups_per_hour: u64,
    pub low_conversion_min_referrals: u64,
    /// A fraction: 0.05 by default.
    pub low_conversion_rate: Decimal,
}

pub async fn fraud_rules(conn: &impl ConnectionTrait) -> Result<FraudRules, DbErr> {
    Ok(FraudRules {
        max_signups_per_hour: whole(conn, SettingKey::MaxSignupsPerHour).await?.max(0) as u64,
        low_conversion_min_referrals: whole(conn, SettingKey::LowConversionMinReferrals).await?.max(0) as u64,
        low_conversion_rate: percent(conn, SettingKey::LowConversionRate).await?,
    })
}

/// How often background jobs run.
pub async fn job_interval(conn: &impl ConnectionTrait) -> Result<std::time::Duration, DbErr> {
    Ok(std::time::Duration::from_secs(whole(conn, SettingKey::JobsIntervalSeconds).await?.max(1) as u64))
}

/// How long before a subscription ends auto-renew buys its next period.
pub async fn auto_renew_hours(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    whole(conn, SettingKey::AutoRenewHours).await
}

/// A referred customer's discount on their first paid order, as a fraction (0 by default).
pub async fn referee_discount(conn: &impl ConnectionTrait) -> Result<Decimal, DbErr> {
    percent(conn, SettingKey::RefereeDiscount).await
}

/// A login report open longer than this is raised to admins again.
pub async fn report_sla(conn: &impl ConnectionTrait) -> Result<chrono::Duration, DbErr> {
    Ok(chrono::Duration::hours(whole(conn, SettingKey::ReportSlaHours).await?))
}

/// How long a gift link can be claimed.
pub async fn gift_claim_period(conn: &impl ConnectionTrait) -> Result<chrono::Duration, DbErr> {
    Ok(chrono::Duration::days(whole(conn, SettingKey::GiftClaimDays).await?))
}
