//! Fraud rules on both databases: each rule raised when it should (once) and not otherwise,
//! flags holding withdrawals until resolved, and blocking.
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use ottsonly::domain::Money;
use ottsonly::entities::fraud_flag::{self, FlagStatus, FraudRule};
use ottsonly::entities::payment::PaymentChannel;
use ottsonly::entities::{audit_log, withdrawal};
use ottsonly::services::fraud::{self, BlockOutcome, ResolveOutcome};
use ottsonly::services::payments::{self, Arrival, PurchaseResult, Purpose, Settlement};
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{referrals, settings, users};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, buy, customer, earn_withdrawable, plan_with_stock, referee, staff, ADMIN,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 10, 5, 0).unwrap()
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

async fn user_id(conn: &DatabaseConnection, telegram_id: i64) -> i32 {
    users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap().id
}

async fn flags_of(conn: &DatabaseConnection, telegram_id: i64) -> Vec<fraud_flag::Model> {
    let id = user_id(conn, telegram_id).await;
    fraud_flag::Entity::find().filter(fraud_flag::Column::UserId.eq(id)).all(conn).await.unwrap()
}

fn evidence(flag: &fraud_flag::Model) -> Value {
    serde_json::from_str(&flag.evidence).expect("evidence is JSON")
}

/// Requests a withdrawal that must be accepted; returns it with the flags it raised.
async fn request(
    conn: &DatabaseConnection,
    telegram_id: i64,
    rupees: i64,
    vpa: &str,
) -> (withdrawal::Model, Vec<fraud_flag::Model>, Vec<fraud_flag::Model>) {
    match withdrawals::request(conn, telegram_id, rs(rupees), vpa, t0()).await.unwrap() {
        RequestOutcome::Requested { withdrawal, raised, held_by, .. } => (withdrawal, raised, held_by),
        other => panic!("{telegram_id}: {other:?}"),
    }
}

/// A top-up paid through Razorpay by `telegram_id` from `payer_vpa`.
async fn pay_from(
    conn: &DatabaseConnection,
    telegram_id: i64,
    payer_vpa: Option<&str>,
    gateway_id: &str,
) -> (i32, Vec<fraud_flag::Model>) {
    let purpose = Purpose::TopUp { amount: rs(100) };
    let payment = payments::create(conn, telegram_id, purpose, PaymentChannel::Razorpay, Duration::minutes(30), t0())
        .await
        .unwrap();
    let arrival = Arrival {
        gateway_payment_id: Some(gateway_id.into()),
        amount: rs(100),
        payer_vpa: payer_vpa.map(str::to_owned),
        paid_at: Some(t0()),
    };
    match payments::settle(conn, payment.id, &arrival, t0()).await.unwrap() {
        Settlement::Credited { flags, credited, .. } => {
            assert_eq!(credited, rs(100));
            (payment.id, flags)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_shared_upi_id_flags_each_of_its_users_once() {
    for db in db::all().await {
        let conn = &db.conn;
        for (me, buyer) in [(60_000, 60_001), (60_010, 60_011), (60_020, 60_021), (60_030, 60_031)] {
            customer(conn, me).await;
            earn_withdrawable(conn, me, buyer, 1500, t0()).await;
        }
        let (a, b, d) = (user_id(conn, 60_000).await, user_id(conn, 60_010).await, user_id(conn, 60_030).await);
        let (first, raised, held_by) = request(conn, 60_000, 500, "x.y@okaxis").await;
        assert_eq!((raised, held_by), (vec![], vec![]), "{}: the first user of a UPI ID", db.backend);
        let (_, raised, _) = request(conn, 60_020, 500, "cee@okaxis").await;
        assert_eq!(raised, vec![], "a UPI ID of one's own");

        // The second user of the ID: both are flagged, each with the other as evidence.
        let (second, raised, held_by) = request(conn, 60_010, 500, "X.Y@OKAXIS").await;
        let mut flagged: Vec<_> = raised.iter().map(|f| (f.user_id, f.rule, f.status, f.resolved_by)).collect();
        flagged.sort_by_key(|f| f.0);
        assert_eq!(
            flagged,
            vec![(a, FraudRule::SharedUpi, FlagStatus::Open, None), (b, FraudRule::SharedUpi, FlagStatus::Open, None)],
            "{}",
            db.backend
        );
        let flag_b = raised.iter().find(|f| f.user_id == b).unwrap().clone();
        let flag_a = raised.iter().find(|f| f.user_id == a).unwrap().clone();
        assert_eq!(held_by, vec![flag_b.clone()], "the requester's own open flags");
        assert!(flag_b.reason.contains("x.y@okaxis"), "{}", flag_b.reason);
        assert_eq!(evidence(&flag_b)["vpa"], "x.y@okaxis");
        assert_eq!(evidence(&flag_b)["other_users"], serde_json::json!([60_000]));
        assert_eq!(evidence(&flag_a)["other_users"], serde_json::json!([60_010]));
        for (w, flag) in [(&second, &flag_b), (&first, &flag_a)] {
            match withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap() {
                Decision::HeldByFlags(flags) => assert_eq!(flags, vec![flag.clone()]),
                other => panic!("{}: {other:?}", db.backend),
            }
        }

        // The same finding again raises nothing new; the open flag still holds the request.
        withdrawals::reject(conn, &ADMIN, second.id, "", t0()).await.unwrap();
        let (again, raised, held_by) = request(conn, 60_010, 500, "x.y@okaxis").await;
        assert_eq!((raised, held_by), (vec![], vec![flag_b.clone()]));
        assert_eq!(flags_of(conn, 60_010).await.len(), 1);
        assert_eq!(flags_of(conn, 60_000).await.len(), 1);

        // A third user: only the newcomer gets a new flag, naming both others.
        let (_, raised, held_by) = request(conn, 60_030, 500, "x.y@okaxis").await;
        assert_eq!(raised.iter().map(|f| (f.user_id, f.rule)).collect::<Vec<_>>(), vec![(d, FraudRule::SharedUpi)]);
        assert_eq!(held_by, raised);
        let mut others: Vec<i64> = serde_json::from_value(evidence(&raised[0])["other_users"].clone()).unwrap();
        others.sort();
        assert_eq!(others, vec![60_000, 60_010]);

        let open = fraud::open_flags(conn, &ADMIN, 10).await.unwrap();
        let mut owners: Vec<_> = open.iter().map(|(f, u)| (u.as_ref().map(|u| u.telegram_id), f.user_id)).collect();
        owners.sort();
        assert_eq!(owners, vec![(Some(60_000), a), (Some(60_010), b), (Some(60_030), d)]);
        assert!(flags_of(conn, 60_020).await.is_empty());

        // Resolved: the held request can be approved.
        assert!(matches!(fraud::resolve(conn, &ADMIN, flag_b.id, t0()).await.unwrap(), ResolveOutcome::Resolved(_)));
        assert!(matches!(withdrawals::approve(conn, &ADMIN, again.id, t0()).await.unwrap(), Decision::Approved { .. }));
        assert!(matches!(withdrawals::approve(conn, &ADMIN, first.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));
        assert_ledger_consistent(conn).await;
    }
}

/// Requests to one UPI ID at the same moment must still see each other (on PostgreSQL they
/// run in parallel under READ COMMITTED): every user of the UPI ID ends up flagged and held.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_to_one_upi_id_are_all_held() {
    for db in db::all().await {
        let conn = &db.conn;
        // Twenty rounds of two users asking for a payout to one UPI ID at the same moment.
        let mut approved = Vec::new();
        for round in 0..20i64 {
            let pair = [66_000 + 100 * round, 66_010 + 100 * round];
            for me in pair {
                customer(conn, me).await;
                earn_withdrawable(conn, me, me + 1, 600, t0()).await;
            }
            let vpa = format!("mule{round}@okaxis");
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(pair.len()));
            let tasks: Vec<_> = pair
                .iter()
                .map(|&me| {
                    let (conn, start, vpa) = (conn.clone(), start.clone(), vpa.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        withdrawals::request(&conn, me, rs(500), &vpa, t0()).await
                    })
                })
                .collect();
            let mut ids = Vec::new();
            for task in tasks {
                match task.await.unwrap().unwrap() {
                    RequestOutcome::Requested { withdrawal, .. } => ids.push(withdrawal.id),
                    other => panic!("{other:?}"),
                }
            }
            // Both requests exist before an admin looks at either.
            for id in ids {
                match withdrawals::approve(conn, &ADMIN, id, t0()).await.unwrap() {
                    Decision::Approved { withdrawal, .. } => approved.push((round, withdrawal.user_id)),
                    Decision::HeldByFlags(_) => {}
                    other => panic!("{other:?}"),
                }
            }
        }
        // Done one after another, both users of each ID are flagged and held.
        assert_eq!(approved, vec![], "{}: approved although their UPI ID is shared", db.backend);
    }
}

#[tokio::test]
async fn rapid_signups_are_flagged_once_an_hour() {
    for db in db::all().await {
        let conn = &db.conn;
        settings::set(conn, "fraud.max_signups_per_hour", "2", t0()).await.unwrap();

        // Three referrals spread over 90 minutes: never more than two within an hour.
        customer(conn, 61_100).await;
        for (id, minutes) in [(61_101, 0), (61_102, 40), (61_103, 90)] {
            let signup = referee(conn, id, 61_100, t0() + Duration::minutes(minutes)).await;
            assert_eq!(signup.flags, vec![], "{}: at +{minutes}m", db.backend);
        }

        customer(conn, 61_000).await;
        let at = |minutes| t0() + Duration::minutes(minutes);
        assert_eq!(referee(conn, 61_001, 61_000, at(1)).await.flags, vec![]);
        assert_eq!(referee(conn, 61_002, 61_000, at(2)).await.flags, vec![]);
        let flags = referee(conn, 61_003, 61_000, at(3)).await.flags;
        assert_eq!(flags.len(), 1, "{}: the third within an hour", db.backend);
        let flag = &flags[0];
        assert_eq!(
            (flag.user_id, flag.rule, flag.status),
            (user_id(conn, 61_000).await, FraudRule::RapidSignups, FlagStatus::Open)
        );
        assert_eq!(evidence(flag)["referrals_last_hour"], 3);
        assert_eq!(evidence(flag)["limit"], 2);
        assert_eq!(referee(conn, 61_004, 61_000, at(4)).await.flags, vec![], "once within the clock hour");
        // The next clock hour, still above the limit: one more.
        let flags = referee(conn, 61_005, 61_000, at(58)).await.flags;
        assert_eq!(flags.iter().map(|f| f.rule).collect::<Vec<_>>(), vec![FraudRule::RapidSignups]);
        assert_eq!(flags_of(conn, 61_000).await.len(), 2);
        assert!(flags_of(conn, 61_100).await.is_empty());
        // The referrals themselves are untouched.
        assert!(flags_of(conn, 61_003).await.is_empty());
    }
}

#[tokio::test]
async fn low_conversion_is_flagged_once() {
    for db in db::all().await {
        let conn = &db.conn;
        settings::set(conn, "fraud.low_conversion_min_referrals", "3", t0()).await.unwrap();

        // Three referrals, none buying (0% < 5%): flagged at the third, and only then.
        customer(conn, 62_000).await;
        assert_eq!(referee(conn, 62_001, 62_000, t0()).await.flags, vec![]);
        assert_eq!(referee(conn, 62_002, 62_000, t0()).await.flags, vec![], "{}: too few to judge", db.backend);
        let flags = referee(conn, 62_003, 62_000, t0()).await.flags;
        assert_eq!(flags.len(), 1, "{}", db.backend);
        let flag = flags[0].clone();
        assert_eq!((flag.user_id, flag.rule), (user_id(conn, 62_000).await, FraudRule::LowConversion));
        assert_eq!((evidence(&flag)["referrals"].as_u64(), evidence(&flag)["paying"].as_u64()), (Some(3), Some(0)));
        assert_eq!(referee(conn, 62_004, 62_000, t0()).await.flags, vec![]);
        // Resolved stays resolved.
        assert!(matches!(fraud::resolve(conn, &ADMIN, flag.id, t0()).await.unwrap(), ResolveOutcome::Resolved(_)));
        assert_eq!(referee(conn, 62_005, 62_000, t0()).await.flags, vec![]);
        assert_eq!(fraud::open_flags_of(conn, user_id(conn, 62_000).await).await.unwrap(), vec![]);

        // One of three buying (33%) is fine.
        customer(conn, 62_100).await;
        referee(conn, 62_101, 62_100, t0()).await;
        buy(conn, 62_101, 135, 42, t0()).await;
        assert_eq!(referee(conn, 62_102, 62_100, t0()).await.flags, vec![]);
        assert_eq!(referee(conn, 62_103, 62_100, t0()).await.flags, vec![]);

        // At 50%: one of two is not below it, one of three is.
        settings::set(conn, "fraud.low_conversion_min_referrals", "2", t0()).await.unwrap();
        settings::set(conn, "fraud.low_conversion_rate", "50", t0()).await.unwrap();
        customer(conn, 62_200).await;
        referee(conn, 62_201, 62_200, t0()).await;
        buy(conn, 62_201, 135, 42, t0()).await;
        assert_eq!(referee(conn, 62_202, 62_200, t0()).await.flags, vec![], "{}: exactly the rate", db.backend);
        let flags = referee(conn, 62_203, 62_200, t0()).await.flags;
        assert_eq!(flags.iter().map(|f| f.rule).collect::<Vec<_>>(), vec![FraudRule::LowConversion]);

        // Also checked when the referrer asks for a withdrawal.
        settings::set(conn, "fraud.low_conversion_min_referrals", "20", t0()).await.unwrap();
        customer(conn, 62_300).await;
        earn_withdrawable(conn, 62_300, 62_301, 600, t0()).await;
        for id in [62_302, 62_303, 62_304] {
            assert_eq!(referee(conn, id, 62_300, t0()).await.flags, vec![]);
        }
        settings::set(conn, "fraud.low_conversion_min_referrals", "3", t0()).await.unwrap();
        let (w, raised, held_by) = request(conn, 62_300, 500, "conv@okaxis").await;
        assert_eq!(raised.iter().map(|f| f.rule).collect::<Vec<_>>(), vec![FraudRule::LowConversion], "{}", db.backend);
        assert_eq!(held_by, raised);
        assert!(matches!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_referee_paying_from_the_referrers_upi_id_is_flagged() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 63_000).await;
        earn_withdrawable(conn, 63_000, 63_001, 600, t0()).await;
        let (w, _, _) = request(conn, 63_000, 500, "r.pay@okaxis").await;

        let (payment_id, flags) = pay_from(conn, 63_001, Some("R.Pay@OkAxis"), "pay_own_1").await;
        assert_eq!(flags.len(), 1, "{}: {flags:?}", db.backend);
        let flag = flags[0].clone();
        assert_eq!(
            (flag.user_id, flag.rule, flag.status),
            (user_id(conn, 63_000).await, FraudRule::OwnReferee, FlagStatus::Open)
        );
        assert_eq!(evidence(&flag)["referee"], 63_001);
        assert_eq!(evidence(&flag)["vpa"], "r.pay@okaxis");
        // The same capture reported again: nothing new.
        let arrival = Arrival {
            gateway_payment_id: Some("pay_own_1".into()),
            amount: rs(100),
            payer_vpa: Some("r.pay@okaxis".into()),
            paid_at: None,
        };
        assert!(matches!(
            payments::settle(conn, payment_id, &arrival, t0()).await.unwrap(),
            Settlement::AlreadySettled
        ));
        assert_eq!(flags_of(conn, 63_000).await, vec![flag.clone()]);
        match withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap() {
            Decision::HeldByFlags(flags) => assert_eq!(flags, vec![flag.clone()]),
            other => panic!("{}: {other:?}", db.backend),
        }

        // Not the referrer's ID, no ID, no referrer, or a referrer who never withdrew: no flag.
        assert_eq!(pay_from(conn, 63_001, Some("someone@ybl"), "pay_other").await.1, vec![]);
        assert_eq!(pay_from(conn, 63_001, None, "pay_none").await.1, vec![]);
        customer(conn, 63_050).await;
        assert_eq!(pay_from(conn, 63_050, Some("r.pay@okaxis"), "pay_stranger").await.1, vec![]);
        customer(conn, 63_060).await;
        referee(conn, 63_061, 63_060, t0()).await;
        assert_eq!(pay_from(conn, 63_061, Some("r.pay@okaxis"), "pay_cousin").await.1, vec![]);
        // The payer themselves is never the one flagged.
        assert!(flags_of(conn, 63_001).await.is_empty());

        // A purchase paid that way: delivered, and flagged as well.
        referee(conn, 63_002, 63_000, t0()).await;
        let plan = plan_with_stock(conn, "Own", 135, 42, 1).await;
        let checkout = purchase::open_checkout(conn, 63_002, plan.id, WhenShort::OpenForPayment, t0()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: rs(135) };
        let payment = payments::create(conn, 63_002, purpose, PaymentChannel::Razorpay, Duration::minutes(30), t0())
            .await
            .unwrap();
        let arrival = Arrival {
            gateway_payment_id: Some("pay_own_2".into()),
            amount: rs(135),
            payer_vpa: Some("r.pay@okaxis".into()),
            paid_at: Some(t0()),
        };
        match payments::settle(conn, payment.id, &arrival, t0()).await.unwrap() {
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(delivery)), flags, .. } => {
                assert_eq!(delivery.commissions.iter().map(|c| c.earner_telegram_id).collect::<Vec<_>>(), vec![63_000]);
                assert_eq!(
                    flags.iter().map(|f| (f.rule, f.user_id)).collect::<Vec<_>>(),
                    vec![(FraudRule::OwnReferee, user_id(conn, 63_000).await)]
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(flags_of(conn, 63_000).await.len(), 2);
        assert_ledger_consistent(conn).await;
    }
}

/// The payer-VPA rule in the usual order of events: the referee pays first (which earns the
/// commission) and the referrer then withdraws to the UPI ID the referee paid from.
#[tokio::test]
async fn a_withdrawal_to_the_upi_id_a_referee_paid_from_is_held() {
    for db in db::all().await {
        let conn = &db.conn;
        settings::set(conn, "referral.l1_rate", "100", t0()).await.unwrap();
        settings::set(conn, "referral.hold_hours", "0", t0()).await.unwrap();
        customer(conn, 64_000).await;
        referee(conn, 64_001, 64_000, t0()).await;
        let plan = plan_with_stock(conn, "Self", 700, 100, 1).await;
        let checkout = purchase::open_checkout(conn, 64_001, plan.id, WhenShort::OpenForPayment, t0()).await.unwrap();
        let purpose = Purpose::Purchase { order_id: checkout.order_id, amount: rs(700) };
        let payment = payments::create(conn, 64_001, purpose, PaymentChannel::Razorpay, Duration::minutes(30), t0())
            .await
            .unwrap();
        let arrival = Arrival {
            gateway_payment_id: Some("pay_self".into()),
            amount: rs(700),
            payer_vpa: Some("owner@okaxis".into()),
            paid_at: Some(t0()),
        };
        assert!(matches!(
            payments::settle(conn, payment.id, &arrival, t0()).await.unwrap(),
            Settlement::Credited { purchase: Some(PurchaseResult::Delivered(_)), .. }
        ));
        referrals::mature_due(conn, t0()).await.unwrap();
        assert_eq!(withdrawals::screen(conn, 64_000).await.unwrap().unwrap().withdrawable, rs(600));

        let (w, raised, held_by) = request(conn, 64_000, 600, "owner@okaxis").await;
        assert_eq!(
            raised.iter().map(|f| f.rule).collect::<Vec<_>>(),
            vec![FraudRule::OwnReferee],
            "{}: withdrawing to the UPI ID referee 64001 paid from",
            db.backend
        );
        assert_eq!(held_by, raised);
        assert!(matches!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolving_and_blocking_happen_once() {
    for db in db::all().await {
        let conn = &db.conn;
        settings::set(conn, "fraud.low_conversion_min_referrals", "1", t0()).await.unwrap();
        customer(conn, 65_000).await;
        let flag = referee(conn, 65_001, 65_000, t0()).await.flags.pop().expect("a low-conversion flag");

        let resolved_at = t0() + Duration::hours(1);
        let tasks: Vec<_> = (1..=6)
            .map(|admin| {
                let conn = conn.clone();
                tokio::spawn(async move { (admin, fraud::resolve(&conn, &staff(admin), flag.id, resolved_at).await) })
            })
            .collect();
        let mut resolved = 0;
        for task in tasks {
            match task.await.unwrap() {
                (admin, Ok(ResolveOutcome::Resolved(f))) => {
                    assert_eq!(
                        (f.id, f.status, f.resolved_by, f.resolved_at),
                        (flag.id, FlagStatus::Resolved, Some(admin), Some(resolved_at))
                    );
                    resolved += 1;
                }
                (_, Ok(ResolveOutcome::AlreadyResolved)) => {}
                (_, other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(resolved, 1, "{}", db.backend);
        assert_eq!(fraud::resolve(conn, &ADMIN, 999_999, t0()).await.unwrap(), ResolveOutcome::UnknownFlag);
        assert!(fraud::open_flags(conn, &ADMIN, 10).await.unwrap().is_empty());
        let audits =
            |action: &'static str| audit_log::Entity::find().filter(audit_log::Column::Action.eq(action)).count(conn);
        assert_eq!(audits("fraud.resolve").await.unwrap(), 1);

        customer(conn, 65_100).await;
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { fraud::set_blocked(&conn, &ADMIN, 65_100, true, "abuse", t0()).await })
            })
            .collect();
        let mut changed = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                BlockOutcome::Changed(user) => {
                    assert!(user.is_blocked);
                    changed += 1;
                }
                BlockOutcome::Unchanged(user) => assert!(user.is_blocked),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(changed, 1, "{}", db.backend);
        assert!(users::find_by_telegram_id(conn, 65_100).await.unwrap().unwrap().is_blocked);
        match fraud::set_blocked(conn, &ADMIN, 65_100, false, "appeal", t0()).await.unwrap() {
            BlockOutcome::Changed(user) => assert!(!user.is_blocked),
            other => panic!("{other:?}"),
        }
        match fraud::set_blocked(conn, &ADMIN, 65_100, false, "appeal", t0()).await.unwrap() {
            BlockOutcome::Unchanged(user) => assert!(!user.is_blocked),
            other => panic!("{other:?}"),
        }
        assert_eq!(fraud::set_blocked(conn, &ADMIN, 65_999, true, "", t0()).await.unwrap(), BlockOutcome::UnknownUser);
        assert_eq!((audits("user.block").await.unwrap(), audits("user.unblock").await.unwrap()), (1, 1));
    }
}
