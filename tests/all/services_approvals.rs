//! The two-person rule for manual credits and debits, on both databases: above
//! `admin.approval_threshold` a request waits for a second owner or admin; the requester
//! cannot decide it; approving moves the money once whoever presses; rejecting moves nothing.
use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use ottsonly::domain::setting::SettingKey;
use ottsonly::domain::Money;
use ottsonly::entities::approval_request::{self, ApprovalKind, ApprovalStatus};
use ottsonly::entities::ledger_entry::{self, LedgerKind};
use ottsonly::entities::user::Role;
use ottsonly::entities::withdrawal::{self, WithdrawalStatus};
use ottsonly::entities::{audit_log, outbox_message};
use ottsonly::services::approvals::{self, ApprovalOutcome};
use ottsonly::services::outbox::{Notice, Person};
use ottsonly::services::staff::{self, RoleChange};
use ottsonly::services::wallet::{self, AdjustOutcome, Direction};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{settings, users, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, credit, customer, earn_withdrawable, ledger_of, outbox_notices,
};

const OWNER: i64 = 9101;
const ADMIN_B: i64 = 9102;
const ADMIN_C: i64 = 9103;
const SUPPORT: i64 = 9104;
const CUSTOMER: i64 = 9201;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 10, 0, 0).unwrap()
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

/// An owner, two more admins, support staff and a customer, each with their row.
struct Team {
    owner: Actor,
    b: Actor,
    c: Actor,
    support: Actor,
}

async fn team(conn: &DatabaseConnection) -> Team {
    for id in [OWNER, ADMIN_B, ADMIN_C, SUPPORT, CUSTOMER] {
        customer(conn, id).await;
    }
    users::sync_staff_from_config(conn, &BTreeSet::from([OWNER]), None, t0()).await.unwrap();
    let owner = actor(conn, OWNER).await;
    for (id, role) in [(ADMIN_B, Role::Admin), (ADMIN_C, Role::Admin), (SUPPORT, Role::Support)] {
        assert!(matches!(staff::set_role(conn, &owner, id, role, t0()).await.unwrap(), RoleChange::Changed { .. }));
    }
    Team { owner, b: actor(conn, ADMIN_B).await, c: actor(conn, ADMIN_C).await, support: actor(conn, SUPPORT).await }
}

async fn actor(conn: &DatabaseConnection, telegram_id: i64) -> Actor {
    Actor::of(&users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap())
}

async fn adjust(
    conn: &DatabaseConnection,
    by: &Actor,
    amount: Money,
    direction: Direction,
    reason: &str,
    key: &str,
) -> AdjustOutcome {
    wallet::admin_adjust(conn, by, CUSTOMER, amount, direction, reason, key, t0()).await.unwrap()
}

/// Opens a request and returns it; panics on anything else.
async fn requested(
    conn: &DatabaseConnection,
    by: &Actor,
    amount: Money,
    direction: Direction,
    key: &str,
) -> approval_request::Model {
    match adjust(conn, by, amount, direction, "festival bonus", key).await {
        AdjustOutcome::AwaitingApproval { request, .. } => request,
        other => panic!("{key}: {other:?}"),
    }
}

async fn requests(conn: &DatabaseConnection) -> Vec<approval_request::Model> {
    approval_request::Entity::find().order_by_asc(approval_request::Column::Id).all(conn).await.unwrap()
}

async fn audit(conn: &DatabaseConnection) -> Vec<(i64, String, String)> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.ne("staff.grant"))
        .order_by_asc(audit_log::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.actor_telegram_id, row.action, row.target))
        .collect()
}

/// Notices of `kind` written for `chat`.
async fn notices_of(conn: &DatabaseConnection, chat: i64, kind: &str) -> Vec<Notice> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::ChatId.eq(chat))
        .filter(outbox_message::Column::Kind.eq(kind))
        .order_by_asc(outbox_message::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|row| serde_json::from_str(&row.params).unwrap())
        .collect()
}

async fn person(conn: &DatabaseConnection, telegram_id: i64) -> Person {
    (&users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap()).into()
}

#[tokio::test]
async fn at_or_below_the_threshold_money_moves_at_once_above_it_a_request_waits() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        assert_eq!(settings::admin_approval_threshold(conn).await.unwrap(), rs(2000));

        // Exactly the threshold: as before, applied by one person.
        assert!(matches!(
            adjust(conn, &team.owner, rs(2000), Direction::Credit, "", "m1").await,
            AdjustOutcome::Applied { balance, .. } if balance == rs(2000)
        ));
        assert!(matches!(
            adjust(conn, &team.owner, rs(2000), Direction::Debit, "", "m2").await,
            AdjustOutcome::Applied { balance, .. } if balance == Money::ZERO
        ));
        assert!(requests(conn).await.is_empty(), "{}", db.backend);

        // One paisa above: a request, and nothing moves.
        let above = Money::from_paise(200_001);
        let (request, threshold, approvers) =
            match adjust(conn, &team.owner, above, Direction::Credit, "festival <bonus>", "m3").await {
                AdjustOutcome::AwaitingApproval { request, user, threshold, approvers } => {
                    assert_eq!(user.telegram_id, CUSTOMER);
                    (request, threshold, approvers)
                }
                other => panic!("{}: {other:?}", db.backend),
            };
        assert_eq!((threshold, approvers), (rs(2000), 2), "the other two admins");
        let customer_id = users::find_by_telegram_id(conn, CUSTOMER).await.unwrap().unwrap().id;
        assert_eq!(
            (
                request.kind,
                request.user_id,
                request.amount,
                request.reason.as_str(),
                request.requested_by,
                request.request_key.as_str()
            ),
            (ApprovalKind::Credit, customer_id, 200_001, "festival <bonus>", OWNER, "m3")
        );
        assert_eq!((request.status, request.decided_by, request.created_at), (ApprovalStatus::Pending, None, t0()));
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);
        assert_eq!(ledger_of(conn, CUSTOMER).await.len(), 2, "only the two direct adjustments");

        // Audit-logged; every other owner and admin is alerted, the requester and support are not.
        assert_eq!(
            audit(conn).await.last(),
            Some(&(OWNER, "approval.request".into(), format!("approval:{}", request.id)))
        );
        let alert = Notice::ApprovalRequestAlert {
            request_id: request.id,
            adjustment: ApprovalKind::Credit,
            customer: person(conn, CUSTOMER).await,
            amount: 200_001,
            reason: "festival <bonus>".into(),
            requested_by: person(conn, OWNER).await,
        };
        for admin in [ADMIN_B, ADMIN_C] {
            assert_eq!(notices_of(conn, admin, "ApprovalRequestAlert").await, vec![alert.clone()], "{admin}");
        }
        for nobody in [OWNER, SUPPORT, CUSTOMER] {
            assert!(notices_of(conn, nobody, "ApprovalRequestAlert").await.is_empty(), "{nobody}");
        }
        // The customer hears of nothing yet: only the two direct adjustments.
        assert_eq!(outbox_notices(conn, CUSTOMER).await.len(), 2);

        // A debit above the threshold waits too, but only when the balance covers it now.
        credit(conn, CUSTOMER, 3000).await;
        let debit = requested(conn, &team.b, rs(2500), Direction::Debit, "m4").await;
        assert_eq!((debit.kind, debit.requested_by), (ApprovalKind::Debit, ADMIN_B));
        assert_eq!(
            adjust(conn, &team.b, rs(3001), Direction::Debit, "", "m5").await,
            AdjustOutcome::Insufficient { balance: rs(3000) }
        );
        assert_eq!(requests(conn).await.len(), 2);
        assert_eq!(balance(conn, CUSTOMER).await, rs(3000));

        // The threshold is a setting.
        assert!(settings::change(conn, &team.owner, SettingKey::AdminApprovalThreshold, "100", t0())
            .await
            .unwrap()
            .is_ok());
        assert_eq!(settings::admin_approval_threshold(conn).await.unwrap(), rs(100));
        assert!(matches!(
            adjust(conn, &team.c, rs(100), Direction::Credit, "", "m6").await,
            AdjustOutcome::Applied { .. }
        ));
        assert!(matches!(
            adjust(conn, &team.c, Money::from_paise(10_001), Direction::Credit, "", "m7").await,
            AdjustOutcome::AwaitingApproval { .. }
        ));
        assert_eq!(balance(conn, CUSTOMER).await, rs(3100));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn the_requester_cannot_decide_their_own_request_and_only_they_can_cancel_it() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        let request = requested(conn, &team.b, rs(2500), Direction::Credit, "own1").await;

        assert_eq!(
            approvals::approve(conn, &team.b, request.id, t0()).await.unwrap(),
            ApprovalOutcome::OwnRequest(request.clone()),
            "{}",
            db.backend
        );
        assert_eq!(
            approvals::reject(conn, &team.b, request.id, "changed my mind", t0()).await.unwrap(),
            ApprovalOutcome::OwnRequest(request.clone())
        );
        assert_eq!(
            approvals::cancel(conn, &team.owner, request.id, t0()).await.unwrap(),
            ApprovalOutcome::NotRequester(request.clone())
        );
        assert_eq!(requests(conn).await, vec![request.clone()], "nothing changed");
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);

        // Support and customers decide nothing, whoever made the request.
        for (who, by) in
            [(&team.support, "support"), (&Actor::new(CUSTOMER, Role::User, ottsonly::domain::Lang::En), "customer")]
        {
            assert!(
                matches!(approvals::approve(conn, who, request.id, t0()).await, Err(ActError::Forbidden { .. })),
                "{by}"
            );
            assert!(matches!(
                approvals::reject(conn, who, request.id, "no", t0()).await,
                Err(ActError::Forbidden { .. })
            ));
            assert!(matches!(approvals::cancel(conn, who, request.id, t0()).await, Err(ActError::Forbidden { .. })));
            assert!(matches!(
                wallet::admin_adjust(conn, who, CUSTOMER, rs(2500), Direction::Credit, "", "forged", t0()).await,
                Err(ActError::Forbidden { .. })
            ));
        }
        // Support sees the list; customers do not.
        let pending = approvals::pending(conn, &team.support, 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].request.id, pending[0].customer.telegram_id, pending[0].requested_by.telegram_id),
            (request.id, CUSTOMER, ADMIN_B)
        );
        let customer_actor = Actor::new(CUSTOMER, Role::User, ottsonly::domain::Lang::En);
        assert!(matches!(approvals::pending(conn, &customer_actor, 10).await, Err(ActError::Forbidden { .. })));
        assert_eq!(requests(conn).await, vec![request.clone()]);

        // The requester withdraws it: cancelled, audit-logged, and nobody can approve it after.
        match approvals::cancel(conn, &team.b, request.id, t0()).await.unwrap() {
            ApprovalOutcome::Cancelled { request: cancelled, customer } => {
                assert_eq!((cancelled.status, cancelled.decided_by), (ApprovalStatus::Cancelled, Some(ADMIN_B)));
                assert_eq!(customer.telegram_id, CUSTOMER);
            }
            other => panic!("{other:?}"),
        }
        match approvals::approve(conn, &team.c, request.id, t0()).await.unwrap() {
            ApprovalOutcome::AlreadyDecided(r) => assert_eq!(r.status, ApprovalStatus::Cancelled),
            other => panic!("{other:?}"),
        }
        assert!(approvals::pending(conn, &team.owner, 10).await.unwrap().is_empty());
        assert_eq!(approvals::approve(conn, &team.c, 999_999, t0()).await.unwrap(), ApprovalOutcome::UnknownRequest);
        let target = format!("approval:{}", request.id);
        assert_eq!(
            audit(conn).await,
            vec![(ADMIN_B, "approval.request".into(), target.clone()), (ADMIN_B, "approval.cancel".into(), target)]
        );
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);
        assert!(ledger_of(conn, CUSTOMER).await.is_empty());
    }
}

#[tokio::test]
async fn an_approval_moves_the_money_once_and_tells_the_customer_and_the_requester() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        let request = requested(conn, &team.owner, rs(2500), Direction::Credit, "chat:1:77").await;

        let approved = approvals::approve(conn, &team.b, request.id, t0()).await.unwrap();
        let decided = match approved {
            ApprovalOutcome::Approved { request, customer, balance } => {
                assert_eq!((customer.telegram_id, balance), (CUSTOMER, rs(2500)), "{}", db.backend);
                request
            }
            other => panic!("{}: {other:?}", db.backend),
        };
        assert_eq!(
            (decided.status, decided.decided_by, decided.decided_at),
            (ApprovalStatus::Approved, Some(ADMIN_B), Some(t0()))
        );
        assert_eq!(balance(conn, CUSTOMER).await, rs(2500));
        let rows = ledger_entry::Entity::find().all(conn).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].kind, rows[0].amount, rows[0].idempotency_key.as_str(), rows[0].reference.as_str()),
            (LedgerKind::AdminCredit, 250_000, "admin:chat:1:77", "festival bonus")
        );
        assert_eq!(
            outbox_notices(conn, CUSTOMER).await,
            vec![Notice::WalletCredited { amount: 250_000, reason: "festival bonus".into(), balance: 250_000 }]
        );
        assert_eq!(
            notices_of(conn, OWNER, "ApprovalRequestApproved").await,
            vec![Notice::ApprovalRequestApproved {
                request_id: request.id,
                adjustment: ApprovalKind::Credit,
                customer: person(conn, CUSTOMER).await,
                amount: 250_000,
                by: person(conn, ADMIN_B).await,
                balance: 250_000,
            }]
        );
        let target = format!("approval:{}", request.id);
        assert_eq!(
            audit(conn).await,
            vec![
                (OWNER, "approval.request".into(), target.clone()),
                (ADMIN_B, "approval.approve".into(), target),
                (ADMIN_B, "wallet.credit".into(), format!("user:{CUSTOMER}")),
            ]
        );

        // A second press, another approver, a late rejection, the requester's cancel: nothing.
        for outcome in [
            approvals::approve(conn, &team.b, request.id, t0()).await.unwrap(),
            approvals::approve(conn, &team.c, request.id, t0()).await.unwrap(),
            approvals::reject(conn, &team.c, request.id, "too late", t0()).await.unwrap(),
            approvals::cancel(conn, &team.owner, request.id, t0()).await.unwrap(),
        ] {
            assert_eq!(outcome, ApprovalOutcome::AlreadyDecided(decided.clone()));
        }
        // The requesting message delivered again, even after the threshold went up: the same request.
        for threshold in ["2000", "10000"] {
            settings::set(conn, SettingKey::AdminApprovalThreshold.key(), threshold, t0()).await.unwrap();
            assert_eq!(
                adjust(conn, &team.owner, rs(2500), Direction::Credit, "festival bonus", "chat:1:77").await,
                AdjustOutcome::AlreadyRequested { request: decided.clone() }
            );
        }
        assert_eq!(requests(conn).await, vec![decided]);
        assert_eq!(balance(conn, CUSTOMER).await, rs(2500));
        assert_eq!(outbox_notices(conn, CUSTOMER).await.len(), 1, "told once");
        assert_eq!(audit(conn).await.len(), 3);

        // A message applied directly below the threshold is not made a request by a replay
        // after the threshold went down.
        assert!(matches!(
            adjust(conn, &team.owner, rs(3000), Direction::Credit, "", "chat:1:78").await,
            AdjustOutcome::Applied { .. }
        ));
        settings::set(conn, SettingKey::AdminApprovalThreshold.key(), "2000", t0()).await.unwrap();
        assert_eq!(
            adjust(conn, &team.owner, rs(3000), Direction::Credit, "", "chat:1:78").await,
            AdjustOutcome::AlreadyApplied
        );
        assert_eq!(requests(conn).await.len(), 1);
        assert_eq!(balance(conn, CUSTOMER).await, rs(5500));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_rejection_moves_nothing_and_tells_the_requester_why() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        credit(conn, CUSTOMER, 4000).await;
        let request = requested(conn, &team.owner, rs(3000), Direction::Debit, "rej1").await;
        let rejected = match approvals::reject(conn, &team.c, request.id, "no chargeback <seen>", t0()).await.unwrap() {
            ApprovalOutcome::Rejected { request, customer } => {
                assert_eq!(customer.telegram_id, CUSTOMER);
                request
            }
            other => panic!("{}: {other:?}", db.backend),
        };
        assert_eq!(
            (rejected.status, rejected.decided_by, rejected.decision_reason.as_deref()),
            (ApprovalStatus::Rejected, Some(ADMIN_C), Some("no chargeback <seen>"))
        );
        assert_eq!(balance(conn, CUSTOMER).await, rs(4000));
        assert_eq!(ledger_of(conn, CUSTOMER).await.len(), 1, "the fixture's credit only");
        assert!(outbox_notices(conn, CUSTOMER).await.is_empty(), "the customer hears of nothing");
        assert_eq!(
            notices_of(conn, OWNER, "ApprovalRequestRejected").await,
            vec![Notice::ApprovalRequestRejected {
                request_id: request.id,
                adjustment: ApprovalKind::Debit,
                customer: person(conn, CUSTOMER).await,
                amount: 300_000,
                by: person(conn, ADMIN_C).await,
                reason: "no chargeback <seen>".into(),
            }]
        );
        assert_eq!(
            approvals::approve(conn, &team.b, request.id, t0()).await.unwrap(),
            ApprovalOutcome::AlreadyDecided(rejected.clone())
        );
        assert_eq!(
            audit(conn).await.last(),
            Some(&(ADMIN_C, "approval.reject".into(), format!("approval:{}", request.id)))
        );
        assert_eq!(balance(conn, CUSTOMER).await, rs(4000));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn a_debit_the_balance_no_longer_covers_is_refused_and_stays_pending() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        credit(conn, CUSTOMER, 3000).await;
        let request = requested(conn, &team.owner, rs(2500), Direction::Debit, "short1").await;
        // Spent meanwhile (a direct debit below the threshold).
        assert!(matches!(
            adjust(conn, &team.c, rs(1000), Direction::Debit, "", "spent").await,
            AdjustOutcome::Applied { .. }
        ));
        assert_eq!(
            approvals::approve(conn, &team.b, request.id, t0()).await.unwrap(),
            ApprovalOutcome::Insufficient { request: request.clone(), balance: rs(2000) },
            "{}",
            db.backend
        );
        assert_eq!(requests(conn).await, vec![request.clone()], "still pending, undecided");
        assert_eq!(balance(conn, CUSTOMER).await, rs(2000));
        assert!(notices_of(conn, OWNER, "ApprovalRequestApproved").await.is_empty());
        assert!(!audit(conn).await.iter().any(|(_, action, _)| action == "approval.approve"));

        // Once the balance covers it, the same request can be approved.
        credit(conn, CUSTOMER, 500).await;
        assert!(matches!(
            approvals::approve(conn, &team.b, request.id, t0()).await.unwrap(),
            ApprovalOutcome::Approved { balance, .. } if balance == Money::ZERO
        ));
        assert_eq!(
            ledger_of(conn, CUSTOMER).await.last(),
            Some(&(LedgerKind::AdminDebit, Money::from_paise(-250_000)))
        );
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_delivered_many_times_at_once_is_one_request() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (conn, owner) = (conn.clone(), team.owner.clone());
                tokio::spawn(async move {
                    wallet::admin_adjust(&conn, &owner, CUSTOMER, rs(5000), Direction::Credit, "", "chat:1:99", t0())
                        .await
                        .unwrap()
                })
            })
            .collect();
        let (mut opened, mut repeats) = (Vec::new(), 0);
        for task in tasks {
            match task.await.unwrap() {
                AdjustOutcome::AwaitingApproval { request, .. } => opened.push(request),
                AdjustOutcome::AlreadyRequested { .. } => repeats += 1,
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!((opened.len(), repeats), (1, 9), "{}", db.backend);
        assert_eq!(requests(conn).await, opened);
        assert_eq!(notices_of(conn, ADMIN_B, "ApprovalRequestAlert").await.len(), 1, "alerted once");
        assert_eq!(audit(conn).await.len(), 1);
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_approvers_pressing_at_once_approve_once_and_move_the_money_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        const ROUNDS: i64 = 5;
        for round in 0..ROUNDS {
            let request = requested(conn, &team.owner, rs(2100), Direction::Credit, &format!("race{round}")).await;
            // Both other admins press Approve at the same moment; the owner, who asked, too.
            let tasks: Vec<_> = [team.b.clone(), team.c.clone(), team.b.clone(), team.owner.clone()]
                .into_iter()
                .map(|who| {
                    let conn = conn.clone();
                    tokio::spawn(
                        async move { (who.telegram_id, approvals::approve(&conn, &who, request.id, t0()).await) },
                    )
                })
                .collect();
            let (mut approved_by, mut decided) = (Vec::new(), 0);
            for task in tasks {
                match task.await.unwrap() {
                    (OWNER, Ok(ApprovalOutcome::Approved { .. })) => panic!("{}: the requester approved", db.backend),
                    (who, Ok(ApprovalOutcome::Approved { .. })) => approved_by.push(who),
                    (_, Ok(ApprovalOutcome::AlreadyDecided(r))) => {
                        assert_eq!(r.status, ApprovalStatus::Approved);
                        decided += 1
                    }
                    // Before or after the others: refused as theirs, or told it was decided.
                    (OWNER, Ok(ApprovalOutcome::OwnRequest(_))) => {}
                    (who, other) => panic!("{}: {who}: {other:?}", db.backend),
                }
            }
            assert_eq!(approved_by.len(), 1, "{}: round {round}", db.backend);
            assert!((2..=3).contains(&decided), "{}: round {round}: {decided}", db.backend);
            let stored = approval_request::Entity::find_by_id(request.id).one(conn).await.unwrap().unwrap();
            assert_eq!(stored.decided_by, Some(approved_by[0]));
        }
        let mut rounds = ROUNDS;
        if db.backend == "postgres" {
            // Made certain: both approvers have read the request as pending and wait at the
            // customer's row lock; released together, the conditional update decides.
            let request = requested(conn, &team.owner, rs(2100), Direction::Credit, "race-gated").await;
            let gate = db.hold_writes("users").await;
            let tasks: Vec<_> = [team.b.clone(), team.c.clone()]
                .into_iter()
                .map(|who| {
                    let conn = conn.clone();
                    tokio::spawn(async move { approvals::approve(&conn, &who, request.id, t0()).await.unwrap() })
                })
                .collect();
            db.wait_for_lock_waiters(2).await;
            gate.release().await;
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.unwrap());
            }
            let approved = outcomes.iter().filter(|o| matches!(o, ApprovalOutcome::Approved { .. })).count();
            let decided = outcomes
                .iter()
                .filter(|o| matches!(o, ApprovalOutcome::AlreadyDecided(r) if r.status == ApprovalStatus::Approved))
                .count();
            assert_eq!((approved, decided), (1, 1), "{outcomes:?}");
            rounds += 1;
        }
        assert_eq!(balance(conn, CUSTOMER).await, rs(2100 * rounds));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), rounds as u64);
        assert_eq!(notices_of(conn, CUSTOMER, "WalletCredited").await.len(), rounds as usize, "told once each");
        assert_eq!(notices_of(conn, OWNER, "ApprovalRequestApproved").await.len(), rounds as usize);
        let approvals_logged = audit(conn).await.iter().filter(|(_, action, _)| action == "approval.approve").count();
        assert_eq!(approvals_logged, rounds as usize);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_approval_and_a_rejection_at_once_decide_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        for round in 0..5 {
            let request = requested(conn, &team.owner, rs(2100), Direction::Credit, &format!("mix{round}")).await;
            let approve = {
                let (conn, b) = (conn.clone(), team.b.clone());
                tokio::spawn(async move { approvals::approve(&conn, &b, request.id, t0()).await.unwrap() })
            };
            let reject = {
                let (conn, c) = (conn.clone(), team.c.clone());
                tokio::spawn(async move { approvals::reject(&conn, &c, request.id, "no", t0()).await.unwrap() })
            };
            let (approve, reject) = (approve.await.unwrap(), reject.await.unwrap());
            let stored = approval_request::Entity::find_by_id(request.id).one(conn).await.unwrap().unwrap();
            match (&approve, &reject) {
                (ApprovalOutcome::Approved { .. }, ApprovalOutcome::AlreadyDecided(r)) => {
                    assert_eq!((r.status, stored.status), (ApprovalStatus::Approved, ApprovalStatus::Approved))
                }
                (ApprovalOutcome::AlreadyDecided(r), ApprovalOutcome::Rejected { .. }) => {
                    assert_eq!((r.status, stored.status), (ApprovalStatus::Rejected, ApprovalStatus::Rejected))
                }
                other => panic!("{}: {other:?}", db.backend),
            }
        }
        let approved = requests(conn).await.iter().filter(|r| r.status == ApprovalStatus::Approved).count() as i64;
        assert_eq!(balance(conn, CUSTOMER).await, rs(2100 * approved));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), approved as u64);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn the_migration_goes_down_and_up_again() {
    use migration::{Migrator, MigratorTrait};
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        requested(conn, &team.owner, rs(2500), Direction::Credit, "mig").await;
        // Down to and including this migration, whatever came after it.
        let steps =
            Migrator::migrations().iter().rev().position(|m| m.name().contains("approvals")).expect("listed") + 1;
        Migrator::down(conn, Some(steps as u32)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.backend));
        assert!(approval_request::Entity::find().all(conn).await.is_err(), "{}: the table is gone", db.backend);
        Migrator::up(conn, None).await.unwrap_or_else(|err| panic!("{}: up: {err}", db.backend));
        assert!(requests(conn).await.is_empty());
        requested(conn, &team.owner, rs(2500), Direction::Credit, "mig").await;
    }
}

// ---- Withdrawals above withdrawal.approval_threshold: two different approvers ----

async fn requested_withdrawal(conn: &DatabaseConnection, earner: i64, rupees: i64) -> withdrawal::Model {
    customer(conn, earner).await;
    earn_withdrawable(conn, earner, earner + 1, rupees, t0()).await;
    match withdrawals::request(conn, earner, rs(rupees), &format!("w{earner}@okaxis"), t0()).await.unwrap() {
        RequestOutcome::Requested { withdrawal, .. } => withdrawal,
        other => panic!("{other:?}"),
    }
}

async fn stored_withdrawal(conn: &DatabaseConnection, id: i32) -> withdrawal::Model {
    withdrawal::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

fn first_alerts(notices: &[Notice]) -> usize {
    notices.iter().filter(|n| matches!(n, Notice::WithdrawalFirstApprovalAlert { .. })).count()
}

#[tokio::test]
async fn a_withdrawal_above_the_threshold_needs_two_different_approvers() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        assert_eq!(settings::withdrawal_approval_threshold(conn).await.unwrap(), rs(5000));

        // At the threshold: one approval, as before.
        let at = requested_withdrawal(conn, 9301, 5000).await;
        assert!(matches!(
            withdrawals::approve(conn, &team.owner, at.id, t0()).await.unwrap(),
            Decision::Approved { .. }
        ));

        // Above it: the alert says two are needed.
        let w = requested_withdrawal(conn, 9311, 6000).await;
        assert!(
            notices_of(conn, ADMIN_B, "WithdrawalAlert").await.iter().any(|n| matches!(
                n,
                Notice::WithdrawalAlert { withdrawal_id, two_approvals: true, .. } if *withdrawal_id == w.id
            )),
            "{}",
            db.backend
        );
        let earner_told = outbox_notices(conn, 9311).await.len();

        // The first approval: recorded, still pending, the others asked for the second.
        match withdrawals::approve(conn, &team.owner, w.id, t0()).await.unwrap() {
            Decision::FirstApproval { withdrawal, user, approvers } => {
                assert_eq!(
                    (withdrawal.status, withdrawal.first_approved_by, withdrawal.first_approved_at),
                    (WithdrawalStatus::Pending, Some(OWNER), Some(t0()))
                );
                assert_eq!((withdrawal.decided_by, user.telegram_id, approvers), (None, 9311, 2));
            }
            other => panic!("{}: {other:?}", db.backend),
        }
        let alert = Notice::WithdrawalFirstApprovalAlert {
            withdrawal_id: w.id,
            customer: person(conn, 9311).await,
            amount: 600_000,
            vpa: "w9311@okaxis".into(),
            by: person(conn, OWNER).await,
        };
        for admin in [ADMIN_B, ADMIN_C] {
            assert_eq!(notices_of(conn, admin, "WithdrawalFirstApprovalAlert").await, vec![alert.clone()]);
        }
        assert!(notices_of(conn, OWNER, "WithdrawalFirstApprovalAlert").await.is_empty());
        assert_eq!(outbox_notices(conn, 9311).await.len(), earner_told, "the customer waits, untold");

        // The same person cannot give the second; nor can it be paid yet.
        let first = stored_withdrawal(conn, w.id).await;
        assert_eq!(
            withdrawals::approve(conn, &team.owner, w.id, t0()).await.unwrap(),
            Decision::SameApprover(first.clone())
        );
        assert_eq!(
            withdrawals::mark_paid(conn, &team.b, w.id, "412345678901", t0()).await.unwrap(),
            Decision::NotApproved
        );
        assert!(matches!(withdrawals::approve(conn, &team.support, w.id, t0()).await, Err(ActError::Forbidden { .. })));
        assert_eq!(stored_withdrawal(conn, w.id).await, first);

        // A different approver: approved, exactly as a single approval was.
        match withdrawals::approve(conn, &team.b, w.id, t0()).await.unwrap() {
            Decision::Approved { withdrawal, .. } => assert_eq!(
                (withdrawal.status, withdrawal.first_approved_by, withdrawal.decided_by),
                (WithdrawalStatus::Approved, Some(OWNER), Some(ADMIN_B))
            ),
            other => panic!("{}: {other:?}", db.backend),
        }
        assert_eq!(
            outbox_notices(conn, 9311).await[earner_told..],
            [Notice::WithdrawalApproved { amount: 600_000, vpa: "w9311@okaxis".into() }]
        );
        assert_eq!(
            withdrawals::approve(conn, &team.c, w.id, t0()).await.unwrap(),
            Decision::AlreadyDecided(WithdrawalStatus::Approved)
        );
        let target = format!("withdrawal:{}", w.id);
        let logged: Vec<(i64, String, String)> = audit_log::Entity::find()
            .filter(audit_log::Column::Target.eq(target.clone()))
            .order_by_asc(audit_log::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.actor_telegram_id, row.action, row.details))
            .collect();
        assert_eq!(
            logged[1..],
            [
                (
                    OWNER,
                    "withdrawal.first_approval".into(),
                    r#"{"amount_paise":600000,"threshold_paise":500000}"#.into()
                ),
                (ADMIN_B, "withdrawal.approve".into(), format!(r#"{{"first_approved_by":{OWNER}}}"#)),
            ]
        );
        assert_eq!(logged[0].1, "withdrawal.request");
        assert!(matches!(
            withdrawals::mark_paid(conn, &team.c, w.id, "412345678901", t0()).await.unwrap(),
            Decision::Paid { .. }
        ));
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn the_fraud_and_block_checks_hold_for_both_approvals() {
    use ottsonly::entities::fraud_flag::{self, FlagStatus, FraudRule};
    use ottsonly::services::fraud::{self, BlockOutcome, ResolveOutcome};
    use sea_orm::{ActiveModelTrait, Set};
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        let w = requested_withdrawal(conn, 9321, 7000).await;
        let flag = fraud_flag::ActiveModel {
            user_id: Set(w.user_id),
            rule: Set(FraudRule::SharedUpi),
            reason: Set("test".into()),
            evidence: Set("{}".into()),
            dedupe_key: Set("test-flag".into()),
            status: Set(FlagStatus::Open),
            resolved_by: Set(None),
            resolved_at: Set(None),
            created_at: Set(t0()),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
        assert!(matches!(withdrawals::approve(conn, &team.owner, w.id, t0()).await.unwrap(), Decision::HeldByFlags(_)));
        assert_eq!(stored_withdrawal(conn, w.id).await.first_approved_by, None, "{}: no first approval", db.backend);
        assert!(matches!(
            fraud::resolve(conn, &team.owner, flag.id, t0()).await.unwrap(),
            ResolveOutcome::Resolved { .. }
        ));
        assert!(matches!(
            withdrawals::approve(conn, &team.owner, w.id, t0()).await.unwrap(),
            Decision::FirstApproval { .. }
        ));
        // Blocked between the two approvals: the second is refused; unblocked, it goes through.
        assert!(matches!(
            fraud::set_blocked(conn, &team.c, 9321, true, "", t0()).await.unwrap(),
            BlockOutcome::Changed { .. }
        ));
        assert_eq!(withdrawals::approve(conn, &team.b, w.id, t0()).await.unwrap(), Decision::UserBlocked);
        assert_eq!(stored_withdrawal(conn, w.id).await.status, WithdrawalStatus::Pending);
        fraud::set_blocked(conn, &team.c, 9321, false, "", t0()).await.unwrap();
        assert!(matches!(withdrawals::approve(conn, &team.b, w.id, t0()).await.unwrap(), Decision::Approved { .. }));
        // A request rejected after its first approval: released as before.
        let other = requested_withdrawal(conn, 9331, 5500).await;
        assert!(matches!(
            withdrawals::approve(conn, &team.b, other.id, t0()).await.unwrap(),
            Decision::FirstApproval { .. }
        ));
        assert!(matches!(
            withdrawals::reject(conn, &team.b, other.id, "wrong UPI ID", t0()).await.unwrap(),
            Decision::Rejected { .. }
        ));
        assert_eq!(balance(conn, 9331).await, rs(5500));
        assert_ledger_consistent(conn).await;
    }
}

/// Runs `withdrawals::approve` by each of `who` at once; returns their decisions in order.
async fn approve_at_once(conn: &DatabaseConnection, id: i32, who: &[&Actor]) -> Vec<(i64, Decision)> {
    let tasks: Vec<_> = who
        .iter()
        .map(|actor| {
            let (conn, actor) = (conn.clone(), (*actor).clone());
            tokio::spawn(
                async move { (actor.telegram_id, withdrawals::approve(&conn, &actor, id, t0()).await.unwrap()) },
            )
        })
        .collect();
    let mut decisions = Vec::new();
    for task in tasks {
        decisions.push(task.await.unwrap());
    }
    decisions
}

fn count(decisions: &[(i64, Decision)], pick: fn(&Decision) -> bool) -> usize {
    decisions.iter().filter(|(_, d)| pick(d)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_second_approvers_at_once_approve_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        for (n, earner) in [9401, 9411, 9421].into_iter().enumerate() {
            let w = requested_withdrawal(conn, earner, 6000).await;
            assert!(matches!(
                withdrawals::approve(conn, &team.owner, w.id, t0()).await.unwrap(),
                Decision::FirstApproval { .. }
            ));
            let gate = if db.backend == "postgres" && n == 0 {
                // Made certain once: both have read the first approval and wait at their update.
                Some(db.hold_writes("withdrawals").await)
            } else {
                None
            };
            let pressing = {
                let (conn, b, c) = (conn.clone(), team.b.clone(), team.c.clone());
                tokio::spawn(async move { approve_at_once(&conn, w.id, &[&b, &c, &b]).await })
            };
            if let Some(gate) = gate {
                db.wait_for_lock_waiters(2).await;
                gate.release().await;
            }
            let decisions = pressing.await.unwrap();
            assert_eq!(
                count(&decisions, |d| matches!(d, Decision::Approved { .. })),
                1,
                "{}: {decisions:?}",
                db.backend
            );
            assert_eq!(
                count(&decisions, |d| *d == Decision::AlreadyDecided(WithdrawalStatus::Approved)),
                2,
                "{}: {decisions:?}",
                db.backend
            );
            let stored = stored_withdrawal(conn, w.id).await;
            assert_eq!(stored.status, WithdrawalStatus::Approved);
            assert_eq!(stored.first_approved_by, Some(OWNER));
            assert!(matches!(stored.decided_by, Some(ADMIN_B | ADMIN_C)), "{stored:?}");
            let told = outbox_notices(conn, earner).await;
            assert_eq!(told.iter().filter(|n| matches!(n, Notice::WithdrawalApproved { .. })).count(), 1);
        }
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_approver_pressing_twice_at_once_gives_only_the_first_approval() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        for (n, earner) in [9501, 9511, 9521].into_iter().enumerate() {
            let w = requested_withdrawal(conn, earner, 6000).await;
            let gate =
                if db.backend == "postgres" && n == 0 { Some(db.hold_writes("withdrawals").await) } else { None };
            let pressing = {
                let (conn, owner) = (conn.clone(), team.owner.clone());
                tokio::spawn(async move { approve_at_once(&conn, w.id, &[&owner, &owner, &owner]).await })
            };
            if let Some(gate) = gate {
                db.wait_for_lock_waiters(3).await;
                gate.release().await;
            }
            let decisions = pressing.await.unwrap();
            assert_eq!(
                count(&decisions, |d| matches!(d, Decision::FirstApproval { .. })),
                1,
                "{}: {decisions:?}",
                db.backend
            );
            assert_eq!(
                count(&decisions, |d| matches!(d, Decision::SameApprover(_))),
                2,
                "{}: {decisions:?}",
                db.backend
            );
            let stored = stored_withdrawal(conn, w.id).await;
            assert_eq!(
                (stored.status, stored.first_approved_by, stored.decided_by),
                (WithdrawalStatus::Pending, Some(OWNER), None)
            );
            assert_eq!(first_alerts(&notices_of(conn, ADMIN_B, "WithdrawalFirstApprovalAlert").await), n + 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_first_approvers_at_once_are_the_two_approvals() {
    for db in db::all().await {
        let conn = &db.conn;
        let team = team(conn).await;
        for (n, earner) in [9601, 9611, 9621].into_iter().enumerate() {
            let w = requested_withdrawal(conn, earner, 6000).await;
            let gate =
                if db.backend == "postgres" && n == 0 { Some(db.hold_writes("withdrawals").await) } else { None };
            let pressing = {
                let (conn, owner, b) = (conn.clone(), team.owner.clone(), team.b.clone());
                tokio::spawn(async move { approve_at_once(&conn, w.id, &[&owner, &b]).await })
            };
            if let Some(gate) = gate {
                db.wait_for_lock_waiters(2).await;
                gate.release().await;
            }
            let decisions = pressing.await.unwrap();
            // Two different people approved: one press is the first approval, the other the second.
            assert_eq!(
                count(&decisions, |d| matches!(d, Decision::FirstApproval { .. })),
                1,
                "{}: {decisions:?}",
                db.backend
            );
            assert_eq!(
                count(&decisions, |d| matches!(d, Decision::Approved { .. })),
                1,
                "{}: {decisions:?}",
                db.backend
            );
            let stored = stored_withdrawal(conn, w.id).await;
            assert_eq!(stored.status, WithdrawalStatus::Approved);
            let (first, second) = (stored.first_approved_by.unwrap(), stored.decided_by.unwrap());
            assert_ne!(first, second, "{stored:?}");
            assert!([OWNER, ADMIN_B].contains(&first) && [OWNER, ADMIN_B].contains(&second));
        }
        assert_ledger_consistent(conn).await;
    }
}
