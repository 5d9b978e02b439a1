//! Building blocks for service tests: customers, plans with stock, money, invariants.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::user::Role;
use ottsonly::entities::{ledger_entry, plan, user};
use ottsonly::services::catalog;
use ottsonly::services::stock::{self, AddStockOutcome};
use ottsonly::services::users::{self, Profile};
use ottsonly::services::Actor;

/// The owner who performs admin acts in service tests.
pub const ADMIN: Actor = Actor::new(1, Role::Owner, Lang::En);

/// An admin with this Telegram id, for races between staff members.
pub fn staff(telegram_id: i64) -> Actor {
    Actor::new(telegram_id, Role::Admin, Lang::En)
}

pub fn profile(telegram_id: i64) -> Profile {
    Profile {
        telegram_id,
        username: Some(format!("u{telegram_id}")),
        first_name: format!("User {telegram_id}"),
        last_name: None,
        language_code: Some("en".into()),
    }
}

pub async fn customer(db: &DatabaseConnection, telegram_id: i64) -> user::Model {
    users::sign_up(db, &profile(telegram_id), None, Utc::now()).await.expect("sign up").user
}

/// Money already in the wallet when the story starts: a ledger row and the balance, as the
/// wallet service writes them, but without the admin act (so nobody is told of it).
pub async fn credit(db: &DatabaseConnection, telegram_id: i64, rupees: i64) {
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, QueryFilter, Set, TransactionTrait};
    let txn = db.begin().await.expect("begin");
    let user = users::find_by_telegram_id(&txn, telegram_id).await.expect("user").expect("a signed-up user");
    let amount = Money::from_rupees(rupees).paise();
    user::Entity::update_many()
        .col_expr(user::Column::Balance, Expr::col(user::Column::Balance).add(amount))
        .filter(user::Column::Id.eq(user.id))
        .exec(&txn)
        .await
        .expect("balance");
    ledger_entry::Entity::insert(ledger_entry::ActiveModel {
        user_id: Set(user.id),
        amount: Set(amount),
        balance_after: Set(user.balance + amount),
        kind: Set(ottsonly::entities::ledger_entry::LedgerKind::AdminCredit),
        reference: Set("test".into()),
        idempotency_key: Set(format!("fixture:{telegram_id}:{}", rand::random::<u64>())),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .expect("ledger row");
    txn.commit().await.expect("commit");
}

/// A plan at `price`/`cost` rupees for 30 days with `stock` credentials named `<name>-<n>`.
pub async fn plan_with_stock(db: &DatabaseConnection, name: &str, price: i64, cost: i64, stock: usize) -> plan::Model {
    let draft = PlanDraft {
        price: Money::from_rupees(price),
        cost: Money::from_rupees(cost),
        duration_days: 30,
        name: name.into(),
    };
    let key = format!("fixture:{name}:{}", rand::random::<u64>());
    let plan = catalog::create_plan(db, &ADMIN, &draft, &key, Utc::now()).await.expect("plan").plan;
    if stock > 0 {
        let lines: Vec<String> = (0..stock).map(|n| format!("{name}-{n}@mail.test:pw{n}")).collect();
        let outcome = stock::add_stock(db, &ADMIN, plan.id, &credentials::from_lines(&lines.join("\n")), Utc::now())
            .await
            .expect("stock");
        assert!(matches!(outcome, AddStockOutcome::Added { added, .. } if added == stock as u64));
    }
    plan
}

pub async fn balance(db: &DatabaseConnection, telegram_id: i64) -> Money {
    let user = users::find_by_telegram_id(db, telegram_id).await.expect("query").expect("user exists");
    Money::from_paise(user.balance)
}

/// For every user: balance = sum of their ledger rows, and each row's balance_after is the
/// running sum up to it.
pub async fn assert_ledger_consistent(db: &DatabaseConnection) {
    let rows = ledger_entry::Entity::find().order_by_asc(ledger_entry::Column::Id).all(db).await.expect("ledger");
    let mut running: HashMap<i32, i64> = HashMap::new();
    for row in &rows {
        let sum = running.entry(row.user_id).or_default();
        *sum += row.amount;
        assert_eq!(*sum, row.balance_after, "balance_after of ledger row {}", row.id);
    }
    for user in user::Entity::find().all(db).await.expect("users") {
        assert_eq!(user.balance, running.get(&user.id).copied().unwrap_or(0), "balance of user {}", user.telegram_id);
    }
}

// ---- Referral economy ----

/// Signs `telegram_id` up at `now` through the referral link of `referrer` (a Telegram id).
pub async fn referee(
    db: &DatabaseConnection,
    telegram_id: i64,
    referrer: i64,
    now: chrono::DateTime<Utc>,
) -> users::Signup {
    let referrer = users::find_by_telegram_id(db, referrer).await.expect("query").expect("referrer exists");
    let signup = users::sign_up(db, &profile(telegram_id), Some(&referrer.referral_code), now).await.expect("sign up");
    assert!(signup.created, "{telegram_id} had signed up before");
    assert_eq!(signup.user.referred_by, Some(referrer.id));
    signup
}

/// `telegram_id` buys a new plan priced `price` rupees costing `cost`, at `now`, with the
/// price credited to the wallet first.
pub async fn buy(
    db: &DatabaseConnection,
    telegram_id: i64,
    price: i64,
    cost: i64,
    now: chrono::DateTime<Utc>,
) -> ottsonly::services::purchase::Delivery {
    use ottsonly::services::purchase::{self, WhenShort};
    credit(db, telegram_id, price).await;
    let plan = plan_with_stock(db, &format!("P{telegram_id}x{}", rand::random::<u32>()), price, cost, 1).await;
    let checkout = purchase::open_checkout(db, telegram_id, plan.id, WhenShort::Refuse, now).await.expect("checkout");
    purchase::confirm(db, telegram_id, checkout.order_id, now).await.expect("confirm")
}

/// Gives `earner` `rupees` of withdrawable commission: new user `buyer` joins through the
/// earner's link and buys a plan priced `rupees` at zero cost. Sets the level-1 rate to 100%
/// and the hold to 0 hours (left so afterwards), then matures the commission at `now`.
pub async fn earn_withdrawable(
    db: &DatabaseConnection,
    earner: i64,
    buyer: i64,
    rupees: i64,
    now: chrono::DateTime<Utc>,
) {
    use ottsonly::services::{referrals, settings};
    settings::set(db, "referral.l1_rate", "100", now).await.expect("setting");
    settings::set(db, "referral.hold_hours", "0", now).await.expect("setting");
    referee(db, buyer, earner, now).await;
    let delivery = buy(db, buyer, rupees, 0, now).await;
    assert!(
        delivery.commissions.iter().any(|c| c.earner_telegram_id == earner && c.amount == Money::from_rupees(rupees)),
        "{:?}",
        delivery.commissions
    );
    let matured = referrals::mature_due(db, now).await.expect("mature");
    assert!(
        matured.iter().any(|m| m.earner_telegram_id == earner && m.amount == Money::from_rupees(rupees)),
        "{matured:?}"
    );
}

/// The user's ledger rows, oldest first, as (kind, signed amount).
pub async fn ledger_of(
    db: &DatabaseConnection,
    telegram_id: i64,
) -> Vec<(ottsonly::entities::ledger_entry::LedgerKind, Money)> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let user = users::find_by_telegram_id(db, telegram_id).await.expect("query").expect("user exists");
    ledger_entry::Entity::find()
        .filter(ledger_entry::Column::UserId.eq(user.id))
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await
        .expect("ledger")
        .into_iter()
        .map(|row| (row.kind, Money::from_paise(row.amount)))
        .collect()
}

/// What the outbox holds for `chat`, oldest first.
pub async fn outbox_notices(db: &DatabaseConnection, chat: i64) -> Vec<ottsonly::services::outbox::Notice> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    ottsonly::entities::outbox_message::Entity::find()
        .filter(ottsonly::entities::outbox_message::Column::ChatId.eq(chat))
        .order_by_asc(ottsonly::entities::outbox_message::Column::Id)
        .all(db)
        .await
        .expect("outbox rows")
        .into_iter()
        .map(|row| serde_json::from_str(&row.params).expect("outbox params"))
        .collect()
}
