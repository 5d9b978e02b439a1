//! Signing customers up and finding them.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::domain::{privacy, referral_code, Lang};
use crate::entities::fraud_flag;
use crate::entities::user::{self, Role};
use crate::services::actor::Actor;
use crate::services::outbox::{self, Notice};
use crate::services::{audit, fraud, referrals};

/// Who a Telegram user says they are, as of this update.
#[derive(Debug, Clone)]
pub struct Profile {
    pub telegram_id: i64,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    pub language_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Signup {
    pub user: user::Model,
    /// True only for the update that created the user.
    pub created: bool,
    /// The referrer recorded at this signup (only when `created`).
    pub referrer: Option<user::Model>,
    /// Fraud flags this signup raised on the referrer (too many signups, low conversion).
    pub flags: Vec<fraud_flag::Model>,
}

pub async fn find_by_telegram_id(conn: &impl ConnectionTrait, telegram_id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::TelegramId.eq(telegram_id)).one(conn).await
}

/// Locks user `user_id`'s row until the transaction ends, by a no-op conditional update
/// (PostgreSQL waits here for a transaction that changed the row; SQLite has one writer
/// anyway). A transaction that moves a customer's money or orders takes this lock before any
/// other row lock, so locks are always taken in one order (ARCHITECTURE.md, invariants).
/// False when there is no such user.
pub(crate) async fn lock(conn: &impl ConnectionTrait, user_id: i32) -> Result<bool, DbErr> {
    let locked = user::Entity::update_many()
        .col_expr(user::Column::Balance, Expr::col(user::Column::Balance))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(locked.rows_affected == 1)
}

/// Creates the user on first contact, recording the referrer only then; later calls refresh
/// the profile and never touch the referrer.
pub async fn sign_up(
    db: &DatabaseConnection,
    profile: &Profile,
    referral: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Signup, DbErr> {
    if let Some(existing) = find_by_telegram_id(db, profile.telegram_id).await? {
        let user = refresh_profile(db, existing, profile).await?;
        return Ok(Signup { user, created: false, referrer: None, flags: Vec::new() });
    }

    let referrer = match referral.and_then(referral_code::normalize) {
        Some(code) => user::Entity::find()
            .filter(user::Column::ReferralCode.eq(code))
            .one(db)
            .await?
            .filter(|r| r.telegram_id != profile.telegram_id),
        None => None,
    };

    // A fresh code can collide with an existing one; a concurrent /start of the same person
    // collides on telegram_id. Both are unique keys: retry the first, adopt the winner of the second.
    for _ in 0..8 {
        let code = referral_code::generate(&mut rand::rng());
        let txn = db.begin().await?;
        let insert = user::ActiveModel {
            telegram_id: Set(profile.telegram_id),
            username: Set(profile.username.clone()),
            first_name: Set(profile.first_name.clone()),
            last_name: Set(profile.last_name.clone()),
            language_code: Set(profile.language_code.clone()),
            referral_code: Set(code),
            referred_by: Set(referrer.as_ref().map(|r| r.id)),
            role: Set(Role::User),
            is_blocked: Set(false),
            balance: Set(0),
            created_at: Set(now),
            language: Set(Lang::from_telegram(profile.language_code.as_deref()).code().to_owned()),
            unreachable_at: Set(None),
            wants_offers: Set(true),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match insert {
            Ok(user) => {
                if let Some(referrer) = &referrer {
                    let joined = Notice::ReferralJoined { name: privacy::mask_name(&user.first_name) };
                    outbox::to_user(&txn, referrer, &joined, now).await?;
                    referrals::tally_signup(&txn, referrer).await?;
                }
                txn.commit().await?;
                // The user exists now: a failing fraud check must not turn the signup into
                // an error (the referrer would never hear of it).
                let flags = match &referrer {
                    Some(referrer) => fraud::check_signup(db, referrer, now).await.unwrap_or_else(|err| {
                        log::error!("signup fraud check for referrer {} failed: {err}", referrer.id);
                        Vec::new()
                    }),
                    None => Vec::new(),
                };
                return Ok(Signup { user, created: true, referrer, flags });
            }
            Err(err) if super::is_unique_violation(&err) => {
                drop(txn);
                if let Some(user) = find_by_telegram_id(db, profile.telegram_id).await? {
                    return Ok(Signup { user, created: false, referrer: None, flags: Vec::new() });
                }
            }
            Err(err) => return Err(err),
        }
    }
    Err(DbErr::Custom("could not allocate a unique referral code".into()))
}

/// The language every message to this user is written in, as they chose it (/language).
pub async fn set_language(db: &DatabaseConnection, telegram_id: i64, lang: Lang) -> Result<Option<user::Model>, DbErr> {
    let Some(user) = find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    if user.language == lang.code() {
        return Ok(Some(user));
    }
    let mut active: user::ActiveModel = user.into();
    active.language = Set(lang.code().to_owned());
    active.update(db).await.map(Some)
}

/// Whether the customer gets offers and announcements (/me).
pub async fn set_wants_offers(
    db: &DatabaseConnection,
    telegram_id: i64,
    wants: bool,
) -> Result<Option<user::Model>, DbErr> {
    let Some(user) = find_by_telegram_id(db, telegram_id).await? else { return Ok(None) };
    if user.wants_offers == wants {
        return Ok(Some(user));
    }
    let mut active: user::ActiveModel = user.into();
    active.wants_offers = Set(wants);
    active.update(db).await.map(Some)
}

/// The profile as of this update; a user who writes to us is reachable again.
async fn refresh_profile(
    db: &DatabaseConnection,
    existing: user::Model,
    profile: &Profile,
) -> Result<user::Model, DbErr> {
    let unchanged = existing.username == profile.username
        && existing.first_name == profile.first_name
        && existing.last_name == profile.last_name
        && existing.language_code == profile.language_code
        && existing.unreachable_at.is_none();
    if unchanged {
        return Ok(existing);
    }
    let mut active: user::ActiveModel = existing.into();
    active.username = Set(profile.username.clone());
    active.first_name = Set(profile.first_name.clone());
    active.last_name = Set(profile.last_name.clone());
    active.language_code = Set(profile.language_code.clone());
    active.unreachable_at = Set(None);
    active.update(db).await
}

/// Subquery: the ids of the users `referrer_id` referred (level 1).
pub(crate) fn referred_by(referrer_id: i32) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::ReferredBy).eq(referrer_id))
        .to_owned()
}

pub(crate) async fn balance_of(conn: &impl ConnectionTrait, user_id: i32) -> Result<crate::domain::Money, DbErr> {
    let user = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {user_id}")))?;
    Ok(crate::domain::Money::from_paise(user.balance))
}

/// At start: the users in `ADMIN_IDS` become owners (a row is made for one who never wrote to
/// the bot yet), owners no longer listed there lose every staff role, and `ADMIN_CHAT_ID`,
/// when set, receives the staff alerts.
pub async fn sync_staff_from_config(
    db: &DatabaseConnection,
    owner_ids: &std::collections::BTreeSet<i64>,
    alert_chat: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    for &telegram_id in owner_ids {
        match find_by_telegram_id(&txn, telegram_id).await? {
            Some(user) if user.role == Role::Owner => {}
            Some(user) => {
                let mut active: user::ActiveModel = user.into();
                active.role = Set(Role::Owner);
                active.update(&txn).await?;
            }
            None => {
                user::ActiveModel {
                    telegram_id: Set(telegram_id),
                    username: Set(None),
                    first_name: Set(String::new()),
                    last_name: Set(None),
                    language_code: Set(None),
                    referral_code: Set(referral_code::generate(&mut rand::rng())),
                    referred_by: Set(None),
                    role: Set(Role::Owner),
                    is_blocked: Set(false),
                    balance: Set(0),
                    created_at: Set(now),
                    language: Set("en".to_owned()),
                    unreachable_at: Set(None),
                    wants_offers: Set(true),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    let former = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Owner))
        .filter(user::Column::TelegramId.is_not_in(owner_ids.iter().copied()))
        .all(&txn)
        .await?;
    for owner in former {
        let telegram_id = owner.telegram_id;
        let mut active: user::ActiveModel = owner.into();
        active.role = Set(Role::User);
        active.update(&txn).await?;
        let details = serde_json::json!({ "from": "owner", "to": "user", "why": "not in ADMIN_IDS" });
        audit::record(&txn, &Actor::system(), "staff.revoke", &format!("user:{telegram_id}"), details, now).await?;
    }
    let chat = alert_chat.unwrap_or(0).to_string();
    crate::services::settings::set(&txn, crate::services::outbox::ALERT_CHAT_KEY, &chat, now).await?;
    txn.commit().await
}

/// Where support tickets and login reports go (`SUPPORT_CHAT_ID`), stored at start like the
/// alert chat; None: to each support member, admin and owner privately.
pub async fn set_support_chat(db: &DatabaseConnection, chat: Option<i64>, now: DateTime<Utc>) -> Result<(), DbErr> {
    let chat = chat.unwrap_or(0).to_string();
    crate::services::settings::set(db, crate::services::outbox::SUPPORT_CHAT_KEY, &chat, now).await
}
