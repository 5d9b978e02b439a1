//! Withdrawals on both databases: what may be requested, one open request, the reservation,
//! admins deciding once, and the guards against racing requests and purchases.
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::withdrawal::AmountError;
use ottsonly::domain::Money;
use ottsonly::entities::fraud_flag::{FlagStatus, FraudRule};
use ottsonly::entities::ledger_entry::{self, LedgerKind};
use ottsonly::entities::withdrawal::{self, WithdrawalStatus};
use ottsonly::services::fraud::{self, BlockOutcome, ResolveOutcome};
use ottsonly::services::purchase::{self, PurchaseError, WhenShort};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{referrals, settings, users};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, earn_withdrawable, ledger_of, plan_with_stock, staff, ADMIN,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 2, 3, 9, 0, 0).unwrap()
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

async fn requested(conn: &DatabaseConnection, telegram_id: i64, rupees: i64, vpa: &str) -> withdrawal::Model {
    match withdrawals::request(conn, telegram_id, rs(rupees), vpa, t0()).await.unwrap() {
        RequestOutcome::Requested { withdrawal, .. } => withdrawal,
        other => panic!("{telegram_id} requesting {rupees} to {vpa}: {other:?}"),
    }
}

async fn status_of(conn: &DatabaseConnection, id: i32) -> WithdrawalStatus {
    withdrawal::Entity::find_by_id(id).one(conn).await.unwrap().unwrap().status
}

/// Refunds the one order of buyer `telegram_id`; returns what it did to commissions.
async fn refund_purchase_of(conn: &DatabaseConnection, telegram_id: i64) -> Vec<referrals::CommissionReversal> {
    use ottsonly::entities::order;
    use ottsonly::services::refunds::{self, RefundOutcome};
    let buyer = users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap();
    let order = order::Entity::find().filter(order::Column::UserId.eq(buyer.id)).one(conn).await.unwrap().unwrap();
    match refunds::refund(conn, &ADMIN, order.id, "", t0()).await.unwrap() {
        RefundOutcome::Refunded { commissions, .. } => commissions,
        other => panic!("{other:?}"),
    }
}

async fn withdrawal_count(conn: &DatabaseConnection) -> u64 {
    withdrawal::Entity::find().count(conn).await.unwrap()
}

#[tokio::test]
async fn amounts_and_upi_ids_are_checked() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 50_000).await;
        earn_withdrawable(conn, 50_000, 50_001, 600, t0()).await;
        credit(conn, 50_000, 1000).await; // a top-up: spendable, not withdrawable
        let screen = withdrawals::screen(conn, 50_000).await.unwrap().unwrap();
        assert_eq!(
            (screen.balance, screen.withdrawable, screen.min, screen.last_vpa, screen.open, screen.blocked),
            (rs(1600), rs(600), rs(500), None, None, false),
            "{}",
            db.backend
        );

        let refused = [
            (499, "ravi@okaxis", RequestOutcome::Amount(AmountError::BelowMinimum { min: rs(500) })),
            (601, "ravi@okaxis", RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable: rs(600) })),
            (1600, "ravi@okaxis", RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable: rs(600) })),
            (500, "ravi", RequestOutcome::BadVpa),
            (500, "ravi@1bank", RequestOutcome::BadVpa),
            (500, "r@okaxis", RequestOutcome::BadVpa),
            (500, "", RequestOutcome::BadVpa),
        ];
        for (rupees, vpa, expected) in refused {
            assert_eq!(
                withdrawals::request(conn, 50_000, rs(rupees), vpa, t0()).await.unwrap(),
                expected,
                "{}: {rupees} to {vpa:?}",
                db.backend
            );
        }
        assert_eq!(
            withdrawals::request(conn, 59_999, rs(500), "ravi@okaxis", t0()).await.unwrap(),
            RequestOutcome::UnknownUser
        );
        assert_eq!(withdrawal_count(conn).await, 0);
        assert_eq!(balance(conn, 50_000).await, rs(1600));

        let user = users::find_by_telegram_id(conn, 50_000).await.unwrap().unwrap();
        let w = match withdrawals::request(conn, 50_000, rs(500), " Ravi.Kumar@OkAxis ", t0()).await.unwrap() {
            RequestOutcome::Requested { withdrawal, user: who, balance, raised, held_by } => {
                assert_eq!((who.telegram_id, balance, raised, held_by), (50_000, rs(1100), vec![], vec![]));
                withdrawal
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (w.user_id, w.amount, w.vpa.as_str(), w.status, w.open_key, w.created_at),
            (user.id, 50_000, "ravi.kumar@okaxis", WithdrawalStatus::Pending, Some(user.id), t0())
        );
        assert_eq!((w.payout_utr, w.decided_by, w.paid_by), (None, None, None));
        // Reserved at once, with a ledger row.
        assert_eq!(balance(conn, 50_000).await, rs(1100));
        assert_eq!(ledger_of(conn, 50_000).await.last(), Some(&(LedgerKind::Withdrawal, rs(-500))));
        let row = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Kind.eq(LedgerKind::Withdrawal))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.reference, format!("withdrawal:{}", w.id));

        let screen = withdrawals::screen(conn, 50_000).await.unwrap().unwrap();
        assert_eq!((screen.balance, screen.withdrawable), (rs(1100), rs(100)), "{}", db.backend);
        assert_eq!(screen.last_vpa.as_deref(), Some("ravi.kumar@okaxis"));
        assert_eq!(screen.open.map(|o| o.id), Some(w.id));
        assert_eq!(withdrawals::screen(conn, 59_999).await.unwrap(), None);

        // Top-ups alone are never withdrawable.
        customer(conn, 50_002).await;
        credit(conn, 50_002, 5000).await;
        assert_eq!(withdrawals::screen(conn, 50_002).await.unwrap().unwrap().withdrawable, Money::ZERO);
        assert_eq!(
            withdrawals::request(conn, 50_002, rs(500), "topup@okaxis", t0()).await.unwrap(),
            RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable: Money::ZERO })
        );

        // The minimum is a setting.
        customer(conn, 50_003).await;
        earn_withdrawable(conn, 50_003, 50_004, 300, t0()).await;
        assert_eq!(
            withdrawals::request(conn, 50_003, rs(300), "small@okaxis", t0()).await.unwrap(),
            RequestOutcome::Amount(AmountError::BelowMinimum { min: rs(500) })
        );
        settings::set(conn, "withdrawal.min_amount", "250.00", t0()).await.unwrap();
        assert_eq!(withdrawals::screen(conn, 50_003).await.unwrap().unwrap().min, rs(250));
        assert_eq!(
            withdrawals::request(conn, 50_003, rs(249), "small@okaxis", t0()).await.unwrap(),
            RequestOutcome::Amount(AmountError::BelowMinimum { min: rs(250) })
        );
        assert_eq!(requested(conn, 50_003, 300, "small@okaxis").await.amount, 30_000);
        assert_eq!(balance(conn, 50_003).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn one_open_request_per_user() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 51_000).await;
        earn_withdrawable(conn, 51_000, 51_001, 1500, t0()).await;
        let first = requested(conn, 51_000, 500, "one@okaxis").await;
        match withdrawals::request(conn, 51_000, rs(500), "two@okaxis", t0()).await.unwrap() {
            RequestOutcome::OpenRequest(open) => assert_eq!(open.id, first.id),
            other => panic!("{other:?}"),
        }
        assert_eq!(balance(conn, 51_000).await, rs(1000), "{}: reserved once", db.backend);

        // Rejected: the money is back and a new request may be made.
        assert!(matches!(
            withdrawals::reject(conn, &ADMIN, first.id, "wrong", t0()).await.unwrap(),
            Decision::Rejected { .. }
        ));
        let second = requested(conn, 51_000, 600, "two@okaxis").await;
        // Approved is still open.
        assert!(matches!(
            withdrawals::approve(conn, &ADMIN, second.id, t0()).await.unwrap(),
            Decision::Approved { .. }
        ));
        match withdrawals::request(conn, 51_000, rs(500), "three@okaxis", t0()).await.unwrap() {
            RequestOutcome::OpenRequest(open) => {
                assert_eq!((open.id, open.status), (second.id, WithdrawalStatus::Approved))
            }
            other => panic!("{other:?}"),
        }
        // Paid closes it.
        assert!(matches!(
            withdrawals::mark_paid(conn, &ADMIN, second.id, "412345678901", t0()).await.unwrap(),
            Decision::Paid { .. }
        ));
        let screen = withdrawals::screen(conn, 51_000).await.unwrap().unwrap();
        assert_eq!((screen.balance, screen.withdrawable, screen.open), (rs(900), rs(900), None));
        let third = requested(conn, 51_000, 900, "three@okaxis").await;
        assert_eq!(withdrawals::screen(conn, 51_000).await.unwrap().unwrap().last_vpa.as_deref(), Some("three@okaxis"));
        assert_eq!(balance(conn, 51_000).await, Money::ZERO);
        assert_eq!(
            withdrawals::request(conn, 51_000, rs(500), "four@okaxis", t0()).await.unwrap(),
            RequestOutcome::OpenRequest(withdrawal::Entity::find_by_id(third.id).one(conn).await.unwrap().unwrap())
        );
        assert_eq!(
            ledger_of(conn, 51_000).await,
            vec![
                (LedgerKind::Commission, rs(1500)),
                (LedgerKind::Withdrawal, rs(-500)),
                (LedgerKind::WithdrawalRelease, rs(500)),
                (LedgerKind::Withdrawal, rs(-600)),
                (LedgerKind::Withdrawal, rs(-900)),
            ]
        );
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_reserve_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 52_000).await;
        earn_withdrawable(conn, 52_000, 52_001, 600, t0()).await;
        let tasks: Vec<_> = (0..10)
            .map(|n| {
                let conn = conn.clone();
                tokio::spawn(async move {
                    withdrawals::request(&conn, 52_000, rs(500 + 10 * n), &format!("me{n}@okaxis"), t0()).await
                })
            })
            .collect();
        let mut reserved = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                RequestOutcome::Requested { withdrawal, balance, .. } => {
                    assert_eq!(balance.paise(), 60_000 - withdrawal.amount);
                    reserved.push(withdrawal.amount);
                }
                RequestOutcome::OpenRequest(_) | RequestOutcome::Amount(AmountError::AboveWithdrawable { .. }) => {}
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(reserved.len(), 1, "{}: {reserved:?}", db.backend);
        assert_eq!(balance(conn, 52_000).await.paise(), 60_000 - reserved[0]);
        assert_eq!(withdrawal_count(conn).await, 1);
        let reservations = ledger_of(conn, 52_000).await.into_iter().filter(|(k, _)| *k == LedgerKind::Withdrawal);
        assert_eq!(reservations.count(), 1);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_racing_a_purchase_never_overdraws() {
    for db in db::all().await {
        let conn = &db.conn;
        let plan = plan_with_stock(conn, "Race", 135, 42, 12).await;
        for round in 0..6 {
            let (me, buyer) = (53_000 + 10 * round, 53_001 + 10 * round);
            customer(conn, me).await;
            earn_withdrawable(conn, me, buyer, 600, t0()).await;
            // Odd rounds also hold a ₹135 top-up: then both fit.
            let top_up = round % 2 == 1;
            if top_up {
                credit(conn, me, 135).await;
            }
            let order_id = purchase::open_checkout(conn, me, plan.id, WhenShort::Refuse, t0()).await.unwrap().order_id;
            let request = {
                let conn = conn.clone();
                tokio::spawn(async move { withdrawals::request(&conn, me, rs(600), "race@okaxis", t0()).await })
            };
            let confirm = {
                let conn = conn.clone();
                tokio::spawn(async move { purchase::confirm(&conn, me, order_id, t0()).await })
            };
            let (request, confirm) = (request.await.unwrap().unwrap(), confirm.await.unwrap());
            let left = balance(conn, me).await;
            match (top_up, &request, &confirm) {
                (true, RequestOutcome::Requested { .. }, Ok(_)) => assert_eq!(left, Money::ZERO),
                (false, RequestOutcome::Requested { .. }, Err(PurchaseError::InsufficientBalance { .. })) => {
                    assert_eq!(left, Money::ZERO)
                }
                (false, RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable }), Ok(_)) => {
                    assert_eq!((left, *withdrawable), (rs(465), rs(465)))
                }
                _ => panic!("{} round {round}: {request:?} / {confirm:?}", db.backend),
            }
            let open = withdrawals::screen(conn, me).await.unwrap().unwrap().open;
            assert_eq!(open.is_some(), matches!(request, RequestOutcome::Requested { .. }));
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approval_and_payout_happen_once_whoever_presses() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 54_000).await;
        earn_withdrawable(conn, 54_000, 54_001, 600, t0()).await;
        let w = requested(conn, 54_000, 500, "pay.me@okhdfcbank").await;
        assert_eq!(
            withdrawals::queue(conn, &ADMIN, 10)
                .await
                .unwrap()
                .iter()
                .map(|(w, u)| (w.id, u.telegram_id))
                .collect::<Vec<_>>(),
            vec![(w.id, 54_000)]
        );
        assert_eq!(
            withdrawals::mark_paid(conn, &ADMIN, w.id, "412345678901", t0()).await.unwrap(),
            Decision::NotApproved
        );

        let tasks: Vec<_> = (1..=8)
            .map(|admin| {
                let conn = conn.clone();
                tokio::spawn(async move { (admin, withdrawals::approve(&conn, &staff(admin), w.id, t0()).await) })
            })
            .collect();
        let mut approvers = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (admin, Ok(Decision::Approved { withdrawal, user })) => {
                    assert_eq!(
                        (withdrawal.status, withdrawal.decided_by, withdrawal.decided_at),
                        (WithdrawalStatus::Approved, Some(admin), Some(t0()))
                    );
                    assert_eq!(user.telegram_id, 54_000);
                    approvers.push(admin);
                }
                (_, Ok(Decision::AlreadyDecided(WithdrawalStatus::Approved))) => {}
                (_, other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(approvers.len(), 1, "{}", db.backend);

        for bad in ["12345", "41234567890", "4123456789012", "paid", ""] {
            assert_eq!(withdrawals::mark_paid(conn, &ADMIN, w.id, bad, t0()).await.unwrap(), Decision::BadUtr, "{bad}");
        }
        let paid_at = t0() + Duration::hours(2);
        let tasks: Vec<_> = (1..=8)
            .map(|admin| {
                let conn = conn.clone();
                tokio::spawn(async move {
                    (admin, withdrawals::mark_paid(&conn, &staff(admin), w.id, "UTR 4123 4567 8901", paid_at).await)
                })
            })
            .collect();
        let mut payers = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (admin, Ok(Decision::Paid { withdrawal, .. })) => {
                    assert_eq!(withdrawal.status, WithdrawalStatus::Paid);
                    assert_eq!(withdrawal.payout_utr.as_deref(), Some("412345678901"));
                    assert_eq!(
                        (withdrawal.paid_by, withdrawal.paid_at, withdrawal.open_key),
                        (Some(admin), Some(paid_at), None)
                    );
                    payers.push(admin);
                }
                (_, Ok(Decision::AlreadyDecided(WithdrawalStatus::Paid))) => {}
                (_, other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(payers.len(), 1, "{}", db.backend);
        assert_eq!(
            withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Paid)
        );
        assert_eq!(
            withdrawals::reject(conn, &ADMIN, w.id, "late", t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Paid)
        );
        assert_eq!(
            withdrawals::mark_paid(conn, &ADMIN, w.id, "412345678902", t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Paid)
        );
        assert!(withdrawals::queue(conn, &ADMIN, 10).await.unwrap().is_empty());

        // The money left at the request: paying moves none.
        assert_eq!(balance(conn, 54_000).await, rs(100));
        assert_eq!(
            ledger_of(conn, 54_000).await,
            vec![(LedgerKind::Commission, rs(600)), (LedgerKind::Withdrawal, rs(-500))]
        );
        let stats = referrals::stats(conn, 54_000).await.unwrap().unwrap();
        assert_eq!(
            (stats.totals.withdrawn, stats.totals.reserved, stats.withdrawable),
            (rs(500), Money::ZERO, rs(100))
        );

        for unknown in [
            withdrawals::approve(conn, &ADMIN, 999_999, t0()).await.unwrap(),
            withdrawals::mark_paid(conn, &ADMIN, 999_999, "412345678901", t0()).await.unwrap(),
            withdrawals::reject(conn, &ADMIN, 999_999, "", t0()).await.unwrap(),
        ] {
            assert_eq!(unknown, Decision::UnknownWithdrawal);
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rejecting_releases_the_money_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 55_000).await;
        earn_withdrawable(conn, 55_000, 55_001, 600, t0()).await;
        let w = requested(conn, 55_000, 500, "undo@ybl").await;
        assert_eq!(balance(conn, 55_000).await, rs(100));

        let tasks: Vec<_> = (1..=8)
            .map(|admin| {
                let conn = conn.clone();
                tokio::spawn(async move { withdrawals::reject(&conn, &staff(admin), w.id, "wrong UPI ID", t0()).await })
            })
            .collect();
        let mut rejected = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Decision::Rejected { withdrawal, balance, user, .. } => {
                    assert_eq!(
                        (withdrawal.status, withdrawal.reason.as_deref(), withdrawal.open_key),
                        (WithdrawalStatus::Rejected, Some("wrong UPI ID"), None)
                    );
                    assert_eq!((balance, user.telegram_id), (rs(600), 55_000));
                    rejected += 1;
                }
                Decision::AlreadyDecided(WithdrawalStatus::Rejected) => {}
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(rejected, 1, "{}", db.backend);
        assert_eq!(balance(conn, 55_000).await, rs(600));
        assert_eq!(
            ledger_of(conn, 55_000).await,
            vec![
                (LedgerKind::Commission, rs(600)),
                (LedgerKind::Withdrawal, rs(-500)),
                (LedgerKind::WithdrawalRelease, rs(500))
            ]
        );
        assert_eq!(
            withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Rejected)
        );
        assert_eq!(
            withdrawals::mark_paid(conn, &ADMIN, w.id, "412345678901", t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Rejected)
        );
        let screen = withdrawals::screen(conn, 55_000).await.unwrap().unwrap();
        assert_eq!((screen.withdrawable, screen.open, screen.last_vpa.as_deref()), (rs(600), None, Some("undo@ybl")));

        // An approved request is not rejected (its payout may be out); a failed payout is
        // closed as such, and released as well.
        let w = requested(conn, 55_000, 600, "undo@ybl").await;
        assert!(matches!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::Approved { .. }));
        assert_eq!(
            withdrawals::reject(conn, &ADMIN, w.id, "changed my mind", t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Approved)
        );
        match withdrawals::payout_failed(conn, &ADMIN, w.id, "payout bounced", t0()).await.unwrap() {
            Decision::Rejected { balance, withdrawal, repaid, .. } => {
                assert_eq!((balance, withdrawal.status, repaid), (rs(600), WithdrawalStatus::PayoutFailed, Money::ZERO))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            withdrawals::payout_failed(conn, &ADMIN, w.id, "again", t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::PayoutFailed)
        );
        let stats = referrals::stats(conn, 55_000).await.unwrap().unwrap();
        assert_eq!(
            (stats.totals.withdrawn, stats.totals.reserved, stats.withdrawable),
            (Money::ZERO, Money::ZERO, rs(600))
        );
        let releases =
            ledger_of(conn, 55_000).await.into_iter().filter(|(k, _)| *k == LedgerKind::WithdrawalRelease).count();
        assert_eq!(releases, 2);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn blocked_users_cannot_withdraw() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 56_000).await;
        earn_withdrawable(conn, 56_000, 56_001, 600, t0()).await;
        let w = requested(conn, 56_000, 500, "blocked@okaxis").await;
        assert!(matches!(
            fraud::set_blocked(conn, &ADMIN, 56_000, true, "abuse", t0()).await.unwrap(),
            BlockOutcome::Changed(_)
        ));
        assert_eq!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::UserBlocked);
        assert_eq!(status_of(conn, w.id).await, WithdrawalStatus::Pending);
        assert_eq!(
            withdrawals::request(conn, 56_000, rs(500), "blocked@okaxis", t0()).await.unwrap(),
            RequestOutcome::Blocked
        );
        assert!(withdrawals::screen(conn, 56_000).await.unwrap().unwrap().blocked);
        // Rejecting is how an admin closes it: the money goes back to the (blocked) wallet.
        assert!(matches!(
            withdrawals::reject(conn, &ADMIN, w.id, "blocked", t0()).await.unwrap(),
            Decision::Rejected { .. }
        ));
        assert_eq!(balance(conn, 56_000).await, rs(600));

        customer(conn, 56_010).await;
        earn_withdrawable(conn, 56_010, 56_011, 600, t0()).await;
        fraud::set_blocked(conn, &ADMIN, 56_010, true, "", t0()).await.unwrap();
        assert_eq!(
            withdrawals::request(conn, 56_010, rs(600), "other@okaxis", t0()).await.unwrap(),
            RequestOutcome::Blocked,
            "{}",
            db.backend
        );
        assert_eq!(balance(conn, 56_010).await, rs(600));
        fraud::set_blocked(conn, &ADMIN, 56_010, false, "", t0()).await.unwrap();
        assert_eq!(requested(conn, 56_010, 600, "other@okaxis").await.amount, 60_000);
        assert_eq!(withdrawal_count(conn).await, 2);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_flagged_user_is_held_until_the_flag_is_resolved() {
    for db in db::all().await {
        let conn = &db.conn;
        for (me, buyer) in [(57_000, 57_001), (57_010, 57_011)] {
            customer(conn, me).await;
            earn_withdrawable(conn, me, buyer, 600, t0()).await;
        }
        let (first_user, second_user) = (
            users::find_by_telegram_id(conn, 57_000).await.unwrap().unwrap().id,
            users::find_by_telegram_id(conn, 57_010).await.unwrap().unwrap().id,
        );
        let first = requested(conn, 57_000, 500, "family@okaxis").await;
        let (second, raised, held_by) =
            match withdrawals::request(conn, 57_010, rs(500), "Family@OkAxis", t0()).await.unwrap() {
                RequestOutcome::Requested { withdrawal, raised, held_by, .. } => (withdrawal, raised, held_by),
                other => panic!("{other:?}"),
            };
        // Both users of the UPI ID are flagged; the requester's own flag holds this request.
        let mut flagged: Vec<_> = raised.iter().map(|f| (f.user_id, f.rule, f.status)).collect();
        flagged.sort_by_key(|f| f.0);
        assert_eq!(
            flagged,
            vec![
                (first_user, FraudRule::SharedUpi, FlagStatus::Open),
                (second_user, FraudRule::SharedUpi, FlagStatus::Open)
            ],
            "{}",
            db.backend
        );
        let own = raised.iter().find(|f| f.user_id == second_user).unwrap().clone();
        let theirs = raised.iter().find(|f| f.user_id == first_user).unwrap().clone();
        assert_eq!(held_by, vec![own.clone()]);
        for (w, flag) in [(&second, &own), (&first, &theirs)] {
            match withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap() {
                Decision::HeldByFlags(flags) => assert_eq!(flags, vec![flag.clone()]),
                other => panic!("{}: {other:?}", db.backend),
            }
            assert_eq!(status_of(conn, w.id).await, WithdrawalStatus::Pending);
        }
        // Still held on a second press.
        assert!(matches!(withdrawals::approve(conn, &ADMIN, second.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));

        // Resolving one user's flag releases that user's request only.
        assert!(matches!(fraud::resolve(conn, &ADMIN, own.id, t0()).await.unwrap(), ResolveOutcome::Resolved(_)));
        match withdrawals::approve(conn, &ADMIN, second.id, t0()).await.unwrap() {
            Decision::Approved { withdrawal, .. } => assert_eq!(withdrawal.status, WithdrawalStatus::Approved),
            other => panic!("{}: {other:?}", db.backend),
        }
        assert!(matches!(withdrawals::approve(conn, &ADMIN, first.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));
        assert!(matches!(
            withdrawals::mark_paid(conn, &ADMIN, second.id, "512345678901", t0()).await.unwrap(),
            Decision::Paid { .. }
        ));
        // Or the admin rejects the held one: that needs no resolving.
        assert!(matches!(
            withdrawals::reject(conn, &ADMIN, first.id, "shared UPI ID", t0()).await.unwrap(),
            Decision::Rejected { .. }
        ));
        assert_eq!(balance(conn, 57_000).await, rs(600));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_payout_utr_pays_one_withdrawal() {
    for db in db::all().await {
        let conn = &db.conn;
        for (earner, buyer) in [(64_001, 64_101), (64_002, 64_102)] {
            customer(conn, earner).await;
            earn_withdrawable(conn, earner, buyer, 600, t0()).await;
        }
        let first = requested(conn, 64_001, 600, "one@okaxis").await;
        let second = requested(conn, 64_002, 600, "two@okaxis").await;
        for w in [&first, &second] {
            assert!(matches!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::Approved { .. }));
        }
        let paid = withdrawals::mark_paid(conn, &ADMIN, first.id, "UTR 412345678901", t0()).await.unwrap();
        assert!(matches!(paid, Decision::Paid { .. }), "{paid:?}");
        let reused = withdrawals::mark_paid(conn, &ADMIN, second.id, "412345678901", t0()).await.unwrap();
        assert_eq!(reused, Decision::UtrUsed);
        assert_eq!(status_of(conn, second.id).await, WithdrawalStatus::Approved, "still waiting for its payout");
        let own = withdrawals::mark_paid(conn, &ADMIN, second.id, "412345678902", t0()).await.unwrap();
        assert!(matches!(own, Decision::Paid { .. }), "{own:?}");
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_refund_of_reserved_commission_holds_the_withdrawal() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 65_001).await;
        earn_withdrawable(conn, 65_001, 65_101, 600, t0()).await;
        let request = requested(conn, 65_001, 600, "earner@okaxis").await;
        assert_eq!(balance(conn, 65_001).await, Money::ZERO, "all of it is reserved");

        // The buyer's order is refunded: nothing is left in the wallet to take back.
        let commissions = refund_purchase_of(conn, 65_101).await;
        assert_eq!(commissions.len(), 1);
        assert_eq!(commissions[0].recovered, Money::ZERO);
        let flag = commissions[0].flag.clone().expect("a shortfall flag");
        assert_eq!(flag.rule, FraudRule::ClawbackShortfall);
        assert_eq!(flag.status, FlagStatus::Open);

        // The request waits for an admin's review instead of paying out a refunded commission.
        let held = withdrawals::approve(conn, &ADMIN, request.id, t0()).await.unwrap();
        assert!(matches!(&held, Decision::HeldByFlags(flags) if flags[0].id == flag.id), "{held:?}");
        // Rejected: the released money repays the reversed commission first, so none of it
        // becomes spendable.
        let rejected = withdrawals::reject(conn, &ADMIN, request.id, "commission refunded", t0()).await.unwrap();
        assert!(
            matches!(rejected, Decision::Rejected { repaid, balance, .. } if repaid == rs(600) && balance == Money::ZERO),
            "{rejected:?}"
        );
        assert_eq!(balance(conn, 65_001).await, Money::ZERO);
        let last_two: Vec<_> = ledger_of(conn, 65_001).await.into_iter().rev().take(2).collect();
        assert_eq!(
            last_two,
            vec![(LedgerKind::CommissionReversal, rs(-600)), (LedgerKind::WithdrawalRelease, rs(600))]
        );
        let screen = withdrawals::screen(conn, 65_001).await.unwrap().unwrap();
        assert_eq!(screen.withdrawable, Money::ZERO, "a reversed commission is not withdrawable");

        // A refund that finds the money in the wallet raises nothing.
        customer(conn, 65_002).await;
        earn_withdrawable(conn, 65_002, 65_102, 600, t0()).await;
        let commissions = refund_purchase_of(conn, 65_102).await;
        assert_eq!(commissions[0].recovered, rs(600));
        assert_eq!(commissions[0].flag, None);
        assert_eq!(balance(conn, 65_002).await, Money::ZERO);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_release_repays_only_commission_that_was_reserved() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 66_001).await;
        earn_withdrawable(conn, 66_001, 66_101, 100, t0()).await;
        // The earner spends the ₹100 commission on a plan; then that sale is refunded.
        let plan = plan_with_stock(conn, "Spent", 100, 10, 1).await;
        let checkout = purchase::open_checkout(conn, 66_001, plan.id, WhenShort::Refuse, t0()).await.unwrap();
        purchase::confirm(conn, 66_001, checkout.order_id, t0()).await.unwrap();
        let commissions = refund_purchase_of(conn, 66_101).await;
        assert_eq!((commissions[0].recovered, commissions[0].flag.clone()), (Money::ZERO, None), "spent is fine");

        // A later, unrelated request that is rejected gives all of its money back.
        earn_withdrawable(conn, 66_001, 66_102, 600, t0()).await;
        let request = requested(conn, 66_001, 600, "earner@okaxis").await;
        match withdrawals::reject(conn, &ADMIN, request.id, "typo in the UPI ID", t0()).await.unwrap() {
            Decision::Rejected { repaid, balance, .. } => assert_eq!((repaid, balance), (Money::ZERO, rs(600))),
            other => panic!("{other:?}"),
        }
        assert_eq!(withdrawals::screen(conn, 66_001).await.unwrap().unwrap().withdrawable, rs(600));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mark_paid_and_payout_failed_at_once_decide_once() {
    for db in db::all().await {
        let conn = &db.conn;
        for round in 0..6_i64 {
            let (earner, buyer) = (67_000 + round, 67_100 + round);
            customer(conn, earner).await;
            earn_withdrawable(conn, earner, buyer, 600, t0()).await;
            // Each earner their own UPI ID: a shared one would be flagged and held.
            let w = requested(conn, earner, 600, &format!("earner{round}@okaxis")).await;
            assert!(matches!(withdrawals::approve(conn, &ADMIN, w.id, t0()).await.unwrap(), Decision::Approved { .. }));
            let tasks: Vec<_> = (0..6)
                .map(|n| {
                    let conn = conn.clone();
                    tokio::spawn(async move {
                        if n % 2 == 0 {
                            withdrawals::mark_paid(
                                &conn,
                                &staff(ADMIN.telegram_id + n),
                                w.id,
                                &format!("41234567{round:02}{n:02}"),
                                t0(),
                            )
                            .await
                        } else {
                            withdrawals::payout_failed(&conn, &staff(ADMIN.telegram_id + n), w.id, "bounced", t0())
                                .await
                        }
                    })
                })
                .collect();
            let (mut paid, mut failed) = (0, 0);
            for task in tasks {
                match task.await.unwrap().unwrap() {
                    Decision::Paid { .. } => paid += 1,
                    Decision::Rejected { .. } => failed += 1,
                    Decision::AlreadyDecided(_) => {}
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(paid + failed, 1, "{}: round {round}", db.backend);
            let expected = if paid == 1 { Money::ZERO } else { rs(600) };
            assert_eq!(balance(conn, earner).await, expected, "{}: round {round}", db.backend);
        }
        assert_ledger_consistent(conn).await;
    }
}

/// Everything `telegram_id` has withdrawn or reserved is covered by commission credited (and
/// not reversed), or an open flag holds their withdrawals for review.
async fn withdrawals_covered_or_held(conn: &DatabaseConnection, telegram_id: i64) -> bool {
    use ottsonly::entities::commission::{self, CommissionStatus};
    let user = users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap();
    let credited: i64 = commission::Entity::find()
        .filter(commission::Column::EarnerId.eq(user.id))
        .filter(commission::Column::Status.eq(CommissionStatus::Available))
        .all(conn)
        .await
        .unwrap()
        .iter()
        .map(|c| c.amount)
        .sum();
    let taken: i64 = withdrawal::Entity::find()
        .filter(withdrawal::Column::UserId.eq(user.id))
        .filter(withdrawal::Column::Status.is_in([
            WithdrawalStatus::Pending,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Paid,
        ]))
        .all(conn)
        .await
        .unwrap()
        .iter()
        .map(|w| w.amount)
        .sum();
    taken <= credited || !fraud::open_flags_of(conn, user.id).await.unwrap().is_empty()
}

/// The earner of a ₹600 commission who spent it all on a plan (wallet empty), with a ₹600
/// top-up on its way, and the buyer whose order paid the commission. Returns the top-up.
async fn spent_earner_with_top_up_coming(
    conn: &DatabaseConnection,
    earner: i64,
    buyer: i64,
) -> ottsonly::entities::payment::Model {
    use ottsonly::entities::payment::PaymentChannel;
    use ottsonly::services::payments::{self, Purpose};
    customer(conn, earner).await;
    earn_withdrawable(conn, earner, buyer, 600, t0()).await;
    let plan = plan_with_stock(conn, &format!("Spend{earner}"), 600, 0, 1).await;
    let order_id = purchase::open_checkout(conn, earner, plan.id, WhenShort::Refuse, t0()).await.unwrap().order_id;
    purchase::confirm(conn, earner, order_id, t0()).await.unwrap();
    assert_eq!(balance(conn, earner).await, Money::ZERO);
    let top_up = Purpose::TopUp { amount: rs(600) };
    payments::create(conn, earner, top_up, PaymentChannel::Razorpay, Duration::minutes(30), t0()).await.unwrap()
}

fn settle_top_up(
    conn: &DatabaseConnection,
    payment: &ottsonly::entities::payment::Model,
) -> tokio::task::JoinHandle<ottsonly::services::payments::Settlement> {
    use ottsonly::services::payments::{self, Arrival};
    let (conn, id) = (conn.clone(), payment.id);
    let arrival = Arrival { gateway_payment_id: Some(format!("pay_top_{id}")), amount: rs(600), ..Default::default() };
    tokio::spawn(async move { payments::settle(&conn, id, &arrival, t0()).await.unwrap() })
}

fn refund_of(conn: &DatabaseConnection, buyer: i64) -> tokio::task::JoinHandle<()> {
    let conn = conn.clone();
    tokio::spawn(async move {
        refund_purchase_of(&conn, buyer).await;
    })
}

fn request_all(conn: &DatabaseConnection, earner: i64) -> tokio::task::JoinHandle<RequestOutcome> {
    let conn = conn.clone();
    tokio::spawn(async move { withdrawals::request(&conn, earner, rs(600), "spent@okaxis", t0()).await.unwrap() })
}

/// A refund reverses an earner's commission while they request a withdrawal and a top-up
/// lands: top-up money must not leave as a withdrawal without a commission behind it (or a
/// flag holding it for review).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_reversing_commission_during_a_request_lets_no_top_up_out() {
    for db in db::all().await {
        let conn = &db.conn;
        // All three at once, many times.
        for round in 0..8 {
            let (earner, buyer) = (66_000 + 10 * round, 66_001 + 10 * round);
            let top_up = spent_earner_with_top_up_coming(conn, earner, buyer).await;
            let (refund, settle, request) =
                (refund_of(conn, buyer), settle_top_up(conn, &top_up), request_all(conn, earner));
            refund.await.unwrap();
            settle.await.unwrap();
            let request = request.await.unwrap();
            assert!(
                withdrawals_covered_or_held(conn, earner).await,
                "{} round {round}: {request:?} with nothing behind it",
                db.backend
            );
        }
        if db.backend == "postgres" {
            // The interleaving that lost the money, made certain: the refund takes nothing
            // back (the wallet is empty) and is held before it commits; the top-up lands; the
            // request checks (the commission is still there) and is held before it reserves;
            // the refund commits; then the request reserves.
            let (earner, buyer) = (66_900, 66_901);
            let top_up = spent_earner_with_top_up_coming(conn, earner, buyer).await;
            let audit_gate = db.hold_writes("audit_log").await;
            let refund = refund_of(conn, buyer);
            db.wait_for_lock_waiters(1).await;
            settle_top_up(conn, &top_up).await.unwrap();
            assert_eq!(balance(conn, earner).await, rs(600));
            let withdrawal_gate = db.hold_writes("withdrawals").await;
            let request = request_all(conn, earner);
            db.wait_for_lock_waiters(2).await;
            audit_gate.release().await;
            refund.await.unwrap();
            withdrawal_gate.release().await;
            let request = request.await.unwrap();
            assert_eq!(
                request,
                RequestOutcome::Amount(AmountError::AboveWithdrawable { withdrawable: Money::ZERO }),
                "the reserving statement sees the reversal"
            );
            assert_eq!(balance(conn, earner).await, rs(600), "the top-up stays, to spend");
            assert!(withdrawals_covered_or_held(conn, earner).await);
        }
        assert_ledger_consistent(conn).await;
    }
}

/// An earner with a ₹600 request reserving all their commission, and the buyer whose order
/// paid it: refunding that order raises a shortfall flag on the earner.
async fn reserved_earner(conn: &DatabaseConnection, earner: i64, buyer: i64) -> withdrawal::Model {
    customer(conn, earner).await;
    earn_withdrawable(conn, earner, buyer, 600, t0()).await;
    requested(conn, earner, 600, &format!("w{earner}@okaxis")).await
}

fn approve_task(conn: &DatabaseConnection, id: i32) -> tokio::task::JoinHandle<Decision> {
    let conn = conn.clone();
    tokio::spawn(async move { withdrawals::approve(&conn, &ADMIN, id, t0()).await.unwrap() })
}

/// A flag raised while an admin approves: the approval is refused if the flag is there when
/// it decides (the check is in the approving statement), never approved past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flag_raised_during_an_approval_holds_it() {
    for db in db::all().await {
        let conn = &db.conn;
        for round in 0..10 {
            let (earner, buyer) = (67_000 + 10 * round, 67_001 + 10 * round);
            let request = reserved_earner(conn, earner, buyer).await;
            let (refund, approve) = (refund_of(conn, buyer), approve_task(conn, request.id));
            refund.await.unwrap();
            let decision = approve.await.unwrap();
            let status = status_of(conn, request.id).await;
            match &decision {
                // Approved before the refund's flag: the flag stays for the admins to see.
                Decision::Approved { .. } => assert_eq!(status, WithdrawalStatus::Approved),
                Decision::HeldByFlags(flags) => {
                    assert_eq!(flags[0].rule, FraudRule::ClawbackShortfall);
                    assert_eq!(status, WithdrawalStatus::Pending);
                }
                other => panic!("{} round {round}: {other:?}", db.backend),
            }
        }
        if db.backend == "postgres" {
            // Made certain: the approval has looked for flags (none) and is held just before
            // its update; the refund raises the flag and commits; then the approval updates.
            let (earner, buyer) = (67_900, 67_901);
            let request = reserved_earner(conn, earner, buyer).await;
            let gate = db.hold_writes("withdrawals").await;
            let approve = approve_task(conn, request.id);
            db.wait_for_lock_waiters(1).await;
            refund_of(conn, buyer).await.unwrap();
            gate.release().await;
            let decision = approve.await.unwrap();
            assert!(
                matches!(&decision, Decision::HeldByFlags(flags) if flags[0].rule == FraudRule::ClawbackShortfall),
                "the approving statement sees the flag: {decision:?}"
            );
            assert_eq!(status_of(conn, request.id).await, WithdrawalStatus::Pending);
        }
        assert_ledger_consistent(conn).await;
    }
}
