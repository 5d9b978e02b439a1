//! Figures for a period and the daily series, on a shop seeded through the real services at
//! chosen instants: sales on both sides of midnight IST (same UTC day), on the first instant
//! of the 7-day window and just before it, refunds during and after a commission's hold,
//! commissions and withdrawals in every state, and a sale after `now`.
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use ottsonly::domain::report::{DayPoint, Period};
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::commission::CommissionStatus;
use ottsonly::entities::plan;
use ottsonly::entities::user::Role;
use ottsonly::entities::withdrawal::WithdrawalStatus;
use ottsonly::services::refunds::{self, RefundOutcome};
use ottsonly::services::reports::{self, Stats, Tally};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{referrals, settings, users, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{assert_ledger_consistent, buy, plan_with_stock, profile, ADMIN};

/// An instant given as IST wall-clock time in 2031.
pub fn ist(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(5 * 3600 + 1800)
        .unwrap()
        .with_ymd_and_hms(2031, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// 10 March 2031, noon in India.
pub fn now() -> DateTime<Utc> {
    ist(3, 10, 12, 0)
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, month, day).unwrap()
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

fn tally(count: u64, rupees: i64) -> Tally {
    Tally { count, amount: rs(rupees) }
}

async fn join(conn: &DatabaseConnection, id: i64, referrer: Option<i64>, at: DateTime<Utc>) {
    let code = match referrer {
        Some(r) => Some(users::find_by_telegram_id(conn, r).await.unwrap().unwrap().referral_code),
        None => None,
    };
    let signup = users::sign_up(conn, &profile(id), code.as_deref(), at).await.unwrap();
    assert!(signup.created);
}

/// Buys a plan at `price`/`cost` at `at`; returns the order id.
async fn sale(conn: &DatabaseConnection, id: i64, price: i64, cost: i64, at: DateTime<Utc>) -> i32 {
    buy(conn, id, price, cost, at).await.order_id
}

async fn refund(conn: &DatabaseConnection, order_id: i32, at: DateTime<Utc>) {
    assert!(matches!(
        refunds::refund(conn, &ADMIN, order_id, "test", at).await.unwrap(),
        RefundOutcome::Refunded { .. }
    ));
}

async fn request(conn: &DatabaseConnection, id: i64, rupees: i64, vpa: &str, at: DateTime<Utc>) -> i32 {
    match withdrawals::request(conn, id, rs(rupees), vpa, at).await.unwrap() {
        RequestOutcome::Requested { withdrawal, .. } => withdrawal.id,
        other => panic!("{other:?}"),
    }
}

async fn approve(conn: &DatabaseConnection, withdrawal: i32, at: DateTime<Utc>) {
    assert!(matches!(withdrawals::approve(conn, &ADMIN, withdrawal, at).await.unwrap(), Decision::Approved { .. }));
}

/// The shop of this file (earners 100 and 200, buyers 101 to 109).
pub async fn seed(conn: &DatabaseConnection) {
    settings::set(conn, "withdrawal.min_amount", "10", ist(1, 1, 0, 0)).await.unwrap();
    join(conn, 100, None, ist(1, 1, 10, 0)).await;
    join(conn, 200, None, ist(1, 1, 10, 0)).await;

    // Long ago: 200's referral spends ₹1,000 on a plan that cost nothing (₹300 commission).
    join(conn, 106, Some(200), ist(2, 1, 9, 0)).await;
    sale(conn, 106, 1000, 0, ist(2, 1, 10, 0)).await;
    // In the 30 days, refunded today after its commission was credited: reversed.
    join(conn, 105, Some(100), ist(2, 25, 9, 0)).await;
    let reversed = sale(conn, 105, 300, 100, ist(2, 25, 10, 0)).await;
    // One minute before the 7 days begin, and their very first instant.
    join(conn, 108, None, ist(3, 3, 23, 59)).await;
    sale(conn, 108, 100, 10, ist(3, 3, 23, 59)).await;
    join(conn, 107, None, ist(3, 4, 0, 0)).await;
    sale(conn, 107, 150, 150, ist(3, 4, 0, 0)).await;
    // 5 March: one sale kept (its commission credited), one refunded within the hour.
    join(conn, 103, Some(100), ist(3, 5, 9, 0)).await;
    sale(conn, 103, 300, 100, ist(3, 5, 10, 0)).await;
    join(conn, 104, Some(100), ist(3, 5, 9, 0)).await;
    let cancelled = sale(conn, 104, 300, 100, ist(3, 5, 10, 0)).await;
    refund(conn, cancelled, ist(3, 5, 11, 0)).await;
    let matured = referrals::mature_due(conn, ist(3, 6, 11, 0)).await.unwrap();
    assert_eq!(matured.len(), 3, "{matured:?}");
    // 23:55 IST yesterday and 00:10 IST today: the same UTC day, two days in India.
    join(conn, 102, None, ist(3, 9, 23, 50)).await;
    sale(conn, 102, 200, 50, ist(3, 9, 23, 55)).await;
    join(conn, 101, Some(100), ist(3, 10, 0, 5)).await;
    sale(conn, 101, 300, 100, ist(3, 10, 0, 10)).await;
    assert_eq!(ist(3, 9, 23, 55).date_naive(), ist(3, 10, 0, 10).date_naive());

    // 100's withdrawals: rejected, paid, payout failed, approved; 200's: pending.
    let rejected = request(conn, 100, 10, "earner@ybl", ist(3, 7, 10, 0)).await;
    withdrawals::reject(conn, &ADMIN, rejected, "test", ist(3, 7, 11, 0)).await.unwrap();
    let paid = request(conn, 100, 20, "earner@ybl", ist(3, 8, 10, 0)).await;
    approve(conn, paid, ist(3, 8, 11, 0)).await;
    withdrawals::mark_paid(conn, &ADMIN, paid, "123456789012", ist(3, 8, 12, 0)).await.unwrap();
    let failed = request(conn, 100, 30, "earner@ybl", ist(3, 10, 1, 0)).await;
    approve(conn, failed, ist(3, 10, 1, 30)).await;
    withdrawals::payout_failed(conn, &ADMIN, failed, "bounced", ist(3, 10, 1, 45)).await.unwrap();
    let approved = request(conn, 100, 15, "earner@ybl", ist(3, 10, 2, 0)).await;
    approve(conn, approved, ist(3, 10, 2, 30)).await;
    request(conn, 200, 40, "other@ybl", ist(3, 10, 3, 0)).await;
    refund(conn, reversed, ist(3, 10, 9, 0)).await;

    // After `now`: in no report taken at `now`.
    join(conn, 109, None, ist(3, 10, 12, 30)).await;
    sale(conn, 109, 500, 100, ist(3, 10, 12, 30)).await;

    // Stock: an active plan with five, a retired one with two.
    plan_with_stock(conn, "Netflix 4K", 199, 60, 5).await;
    let retired = plan_with_stock(conn, "Old plan", 99, 10, 2).await;
    plan::Entity::update_many()
        .col_expr(plan::Column::IsActive, Expr::value(false))
        .filter(plan::Column::Id.eq(retired.id))
        .exec(conn)
        .await
        .unwrap();
}

fn commissions(pending: Tally, available: Tally, cancelled: Tally, reversed: Tally) -> Vec<(CommissionStatus, Tally)> {
    vec![
        (CommissionStatus::Pending, pending),
        (CommissionStatus::Available, available),
        (CommissionStatus::Cancelled, cancelled),
        (CommissionStatus::Reversed, reversed),
    ]
}

fn withdrawals_in(
    pending: Tally,
    approved: Tally,
    paid: Tally,
    rejected: Tally,
    failed: Tally,
) -> Vec<(WithdrawalStatus, Tally)> {
    vec![
        (WithdrawalStatus::Pending, pending),
        (WithdrawalStatus::Approved, approved),
        (WithdrawalStatus::Paid, paid),
        (WithdrawalStatus::Rejected, rejected),
        (WithdrawalStatus::PayoutFailed, failed),
    ]
}

/// Everything but the stock, which does not depend on the period.
fn figures(stats: &Stats) -> Stats {
    Stats { stock: Vec::new(), ..stats.clone() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_of_each_period_count_by_ist_days_up_to_now() {
    for db in db::all().await {
        let conn = &db.conn;
        seed(conn).await;
        let none = Tally::default();
        let all_withdrawals = withdrawals_in(tally(1, 40), tally(1, 15), tally(1, 20), tally(1, 10), tally(1, 30));

        let today = reports::stats(conn, &ADMIN, Period::Today, now()).await.unwrap();
        let expected = Stats {
            period: Period::Today,
            from: Some(ist(3, 10, 0, 0)),
            to: now(),
            new_users: 1,
            paying_users: 1,
            orders: 1,
            revenue: rs(300),
            cost: rs(100),
            profit: rs(200),
            refunds: tally(1, 300),
            commissions: commissions(tally(1, 60), none, none, none),
            withdrawals: withdrawals_in(tally(1, 40), tally(1, 15), none, none, tally(1, 30)),
            stock: Vec::new(),
        };
        assert_eq!(figures(&today), expected, "{}", db.backend);

        let week = reports::stats(conn, &ADMIN, Period::Days7, now()).await.unwrap();
        let expected = Stats {
            period: Period::Days7,
            from: Some(ist(3, 4, 0, 0)),
            new_users: 5,
            paying_users: 4,
            orders: 4,
            revenue: rs(950),
            cost: rs(400),
            profit: rs(550),
            refunds: tally(2, 600),
            commissions: commissions(tally(1, 60), tally(1, 60), tally(1, 60), none),
            withdrawals: all_withdrawals.clone(),
            ..expected
        };
        assert_eq!(figures(&week), expected, "{}", db.backend);

        let month = reports::stats(conn, &ADMIN, Period::Days30, now()).await.unwrap();
        let expected = Stats {
            period: Period::Days30,
            from: Some(ist(2, 9, 0, 0)),
            new_users: 7,
            paying_users: 5,
            orders: 5,
            revenue: rs(1050),
            cost: rs(410),
            profit: rs(640),
            commissions: commissions(tally(1, 60), tally(1, 60), tally(1, 60), tally(1, 60)),
            ..expected
        };
        assert_eq!(figures(&month), expected, "{}", db.backend);

        let all = reports::stats(conn, &ADMIN, Period::All, now()).await.unwrap();
        let expected = Stats {
            period: Period::All,
            from: None,
            new_users: 10,
            paying_users: 6,
            orders: 6,
            revenue: rs(2050),
            cost: rs(410),
            profit: rs(1640),
            commissions: commissions(tally(1, 60), tally(2, 360), tally(1, 60), tally(1, 60)),
            ..expected
        };
        assert_eq!(figures(&all), expected, "{}", db.backend);

        // Stock: every active plan (those sold out at 0), not the retired one.
        assert_eq!(all.stock, today.stock);
        let netflix: Vec<_> = all.stock.iter().filter(|s| s.name == "Netflix 4K").collect();
        assert_eq!(netflix.len(), 1);
        assert_eq!(netflix[0].available, 5);
        assert!(all.stock.iter().all(|s| s.name != "Old plan"), "{:?}", all.stock);
        assert_eq!(all.stock.iter().map(|s| s.available).sum::<u64>(), 5, "{:?}", all.stock);
        assert_eq!(all.stock.len(), 10, "nine plans bought out, and Netflix: {:?}", all.stock);

        // A minute after midnight IST, "today" is the new day: nothing sold yet.
        let next = reports::stats(conn, &ADMIN, Period::Today, ist(3, 11, 0, 1)).await.unwrap();
        assert_eq!((next.orders, next.revenue, next.new_users), (0, Money::ZERO, 0));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_series_is_zero_filled_by_ist_day() {
    for db in db::all().await {
        let conn = &db.conn;
        seed(conn).await;
        let point = |day: u32, rupees: i64, orders: u64| DayPoint { date: date(3, day), revenue: rs(rupees), orders };

        let week = reports::daily(conn, &ADMIN, 7, now()).await.unwrap();
        assert_eq!(
            week,
            vec![
                point(4, 150, 1),
                point(5, 300, 1),
                point(6, 0, 0),
                point(7, 0, 0),
                point(8, 0, 0),
                point(9, 200, 1),
                point(10, 300, 1),
            ],
            "{}",
            db.backend
        );
        assert_eq!(reports::daily(conn, &ADMIN, 1, now()).await.unwrap(), vec![point(10, 300, 1)]);
        assert_eq!(reports::daily(conn, &ADMIN, 0, now()).await.unwrap(), vec![point(10, 300, 1)], "at least a day");

        let month = reports::daily(conn, &ADMIN, 30, now()).await.unwrap();
        assert_eq!(month.len(), 30);
        assert_eq!(month[0].date, date(2, 9));
        assert_eq!(month[29].date, date(3, 10));
        assert!(month.windows(2).all(|w| w[0].date.succ_opt() == Some(w[1].date)));
        let sold: Vec<(NaiveDate, Money, u64)> =
            month.iter().filter(|p| p.orders > 0).map(|p| (p.date, p.revenue, p.orders)).collect();
        assert_eq!(
            sold,
            vec![
                (date(3, 3), rs(100), 1),
                (date(3, 4), rs(150), 1),
                (date(3, 5), rs(300), 1),
                (date(3, 9), rs(200), 1),
                (date(3, 10), rs(300), 1)
            ]
        );
        // The series adds up to the period's figures.
        let stats = reports::stats(conn, &ADMIN, Period::Days30, now()).await.unwrap();
        assert_eq!(month.iter().map(|p| p.orders).sum::<u64>(), stats.orders);
        assert_eq!(month.iter().map(|p| p.revenue.paise()).sum::<i64>(), stats.revenue.paise());
        assert_eq!(reports::daily(conn, &ADMIN, 10_000, now()).await.unwrap().len(), 366, "at most a year");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_and_owners_see_reports() {
    for db in db::all().await {
        let conn = &db.conn;
        let support = Actor::new(5, Role::Support, Lang::En);
        let customer = Actor::new(6, Role::User, Lang::En);
        for actor in [&support, &customer] {
            let refused = reports::stats(conn, actor, Period::All, now()).await;
            assert!(matches!(refused, Err(ActError::Forbidden { .. })), "{refused:?}");
            let refused = reports::daily(conn, actor, 7, now()).await;
            assert!(matches!(refused, Err(ActError::Forbidden { .. })), "{refused:?}");
        }
        let admin = Actor::new(7, Role::Admin, Lang::En);
        let empty = reports::stats(conn, &admin, Period::All, now()).await.unwrap();
        assert_eq!((empty.orders, empty.revenue, empty.new_users), (0, Money::ZERO, 0));
        assert!(empty.commissions.iter().all(|(_, t)| *t == Tally::default()));
        let days = reports::daily(conn, &admin, 7, now()).await.unwrap();
        assert!(days.iter().all(|p| p.orders == 0 && p.revenue == Money::ZERO) && days.len() == 7);
    }
}
