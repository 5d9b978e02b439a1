//! A small shop with something in every corner (plans and stock, customers in a referral
//! chain, paid orders, a UPI claim waiting, withdrawals pending and flagged, a promo code),
//! for trying the API and the dashboard and for API fuzzing in CI. Only for empty databases.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::credentials;
use crate::domain::plan_draft::PlanDraft;
use crate::domain::promo;
use crate::domain::Money;
use crate::services::payments::Purpose;
use crate::services::purchase::{self, WhenShort};
use crate::services::users::{self, Profile};
use crate::services::wallet::{self, Direction};
use crate::services::{catalog, promos, referrals, settings, stock, upi, withdrawals, ActError, Actor};

/// The owner of the demo shop.
pub const OWNER: i64 = 1_000_001;

fn failed(err: ActError) -> DbErr {
    DbErr::Custom(err.to_string())
}

async fn person(
    db: &DatabaseConnection,
    id: i64,
    name: &str,
    referrer: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let profile = Profile {
        telegram_id: id,
        username: Some(name.to_lowercase()),
        first_name: name.to_owned(),
        last_name: None,
        language_code: Some(if id % 2 == 0 { "hi" } else { "en" }.to_owned()),
    };
    Ok(users::sign_up(db, &profile, referrer, now).await?.user.referral_code)
}

async fn plan(
    db: &DatabaseConnection,
    owner: &Actor,
    name: &str,
    price: i64,
    cost: i64,
    stock_count: usize,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let draft = PlanDraft {
        price: Money::from_rupees(price),
        cost: Money::from_rupees(cost),
        duration_days: 30,
        name: name.to_owned(),
    };
    let plan = catalog::create_plan(db, owner, &draft, &format!("demo:{name}"), now).await.map_err(failed)?.plan;
    let lines: Vec<String> = (1..=stock_count)
        .map(|n| format!("{}{n}@demo.ottsonly:Pass{n}", name.to_lowercase().replace(' ', ".")))
        .collect();
    stock::add_stock(db, owner, plan.id, &credentials::from_lines(&lines.join("\n")), now).await.map_err(failed)?;
    Ok(plan.id)
}

async fn credit(
    db: &DatabaseConnection,
    owner: &Actor,
    id: i64,
    rupees: i64,
    n: usize,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let key = format!("demo:credit:{n}");
    wallet::admin_adjust(db, owner, id, Money::from_rupees(rupees), Direction::Credit, "welcome offer", &key, now)
        .await
        .map_err(failed)?;
    Ok(())
}

async fn buy(db: &DatabaseConnection, id: i64, plan: i32, now: DateTime<Utc>) -> Result<(), DbErr> {
    let checkout = purchase::open_checkout(db, id, plan, WhenShort::Refuse, now)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    purchase::confirm(db, id, checkout.order_id, now).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(())
}

/// Fills an empty database.
pub async fn seed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
    users::sync_staff_from_config(db, &[OWNER].into(), None, now).await?;
    person(db, OWNER, "Owner", None, now).await?;
    let owner = Actor::new(OWNER, crate::entities::user::Role::Owner, crate::domain::Lang::En);
    let netflix = plan(db, &owner, "Netflix Premium", 149, 42, 6, now).await?;
    let prime = plan(db, &owner, "Prime Video", 99, 30, 4, now).await?;
    let hotstar = plan(db, &owner, "Hotstar Super", 299, 120, 7, now).await?;
    plan(db, &owner, "SonyLIV Premium", 199, 80, 0, now).await?;

    // A referral chain: Asha -> Bina -> Chetan, and Dev through Asha.
    let earlier = now - Duration::days(3);
    let asha = person(db, 2_001, "Asha", None, earlier).await?;
    let bina = person(db, 2_002, "Bina", Some(&asha), earlier).await?;
    person(db, 2_003, "Chetan", Some(&bina), earlier).await?;
    person(db, 2_004, "Dev", Some(&asha), earlier).await?;
    person(db, 2_005, "Esha", None, now).await?;
    // Commissions land at once in the demo, so there is something to withdraw.
    settings::set(db, "referral.hold_hours", "0", now).await?;
    settings::set(db, "referral.l1_rate", "100", now).await?;
    let sales = [
        (2_002, hotstar),
        (2_002, hotstar),
        (2_004, hotstar),
        (2_004, netflix),
        (2_003, hotstar),
        (2_003, hotstar),
        (2_003, hotstar),
        (2_005, prime),
    ];
    for (n, (id, plan_id)) in sales.into_iter().enumerate() {
        credit(db, &owner, id, 300, n, now).await?;
        buy(db, id, plan_id, now).await?;
    }
    referrals::mature_due(db, now).await?;
    settings::set(db, "referral.l1_rate", "30", now).await?;
    settings::set(db, "referral.hold_hours", "24", now).await?;

    // A UPI top-up waiting for the shop to check its UTR.
    let payment = upi::start(db, 2_005, Purpose::TopUp { amount: Money::from_rupees(250) }, Duration::hours(24), now)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    upi::claim(db, 2_005, payment.id, "412345678901", None, now).await?;
    // Withdrawals: Asha's pending, and Bina's to the same UPI ID, which the fraud rules flag.
    withdrawals::request(db, 2_001, Money::from_rupees(500), "asha@okaxis", now).await?;
    withdrawals::request(db, 2_002, Money::from_rupees(500), "asha@okaxis", now).await?;
    // A promo code for first purchases, to try on the confirm screen.
    let welcome = promo::parse_draft("WELCOME10 10% first uses=100", now)
        .map_err(|e| DbErr::Custom(format!("demo promo code: {e:?}")))?;
    promos::create(db, &owner, &welcome, now).await.map_err(failed)?;
    Ok(())
}
