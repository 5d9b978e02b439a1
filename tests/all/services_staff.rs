//! Staff roles live in the database: owners (from ADMIN_IDS) grant and revoke admin and
//! support, audited and told; every admin act checks the actor's permission itself.
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::setting::SettingKey;
use ottsonly::domain::{Lang, Money, Permission};
use ottsonly::entities::user::Role;
use ottsonly::entities::{
    approval_request, audit_log, fraud_flag, ledger_entry, order, outbox_message, plan, upi_claim, user, withdrawal,
};
use ottsonly::services::approvals;
use ottsonly::services::outbox::Notice;
use ottsonly::services::payments::Purpose;
use ottsonly::services::staff::{self, RoleChange};
use ottsonly::services::upi::{self, ClaimOutcome};
use ottsonly::services::wallet::{self, AdjustOutcome, Direction};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{catalog, fraud, refunds, settings, stock, users, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{buy, customer, earn_withdrawable, outbox_notices, ADMIN};

fn role_of(changed: &RoleChange) -> Role {
    match changed {
        RoleChange::Changed { user, .. } => user.role,
        other => panic!("{other:?}"),
    }
}

async fn stored_role(conn: &DatabaseConnection, telegram_id: i64) -> Role {
    users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap().role
}

#[tokio::test]
async fn owners_grant_and_revoke_staff_roles() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 8101).await;
        users::sync_staff_from_config(conn, &BTreeSet::from([8101]), None, now).await.unwrap();
        let owner = Actor::of(&users::find_by_telegram_id(conn, 8101).await.unwrap().unwrap());
        assert_eq!(owner.role, Role::Owner);
        customer(conn, 8102).await;
        customer(conn, 8103).await;

        let granted = staff::set_role(conn, &owner, 8102, Role::Admin, now).await.unwrap();
        assert_eq!(role_of(&granted), Role::Admin);
        assert!(matches!(granted, RoleChange::Changed { from: Role::User, .. }));
        assert_eq!(stored_role(conn, 8102).await, Role::Admin);
        assert!(matches!(
            staff::set_role(conn, &owner, 8102, Role::Admin, now).await.unwrap(),
            RoleChange::Unchanged(_)
        ));
        assert_eq!(role_of(&staff::set_role(conn, &owner, 8103, Role::Support, now).await.unwrap()), Role::Support);

        let listed: Vec<(i64, Role)> =
            staff::list(conn, &owner).await.unwrap().iter().map(|u| (u.telegram_id, u.role)).collect();
        assert_eq!(listed, vec![(8101, Role::Owner), (8102, Role::Admin), (8103, Role::Support)]);

        // Owners are made by ADMIN_IDS only; nobody unknown can be granted anything.
        assert!(matches!(
            staff::set_role(conn, &owner, 8101, Role::User, now).await.unwrap(),
            RoleChange::OwnerFixed(_)
        ));
        assert!(matches!(
            staff::set_role(conn, &owner, 8999, Role::Admin, now).await.unwrap(),
            RoleChange::UnknownUser
        ));
        assert!(matches!(
            staff::set_role(conn, &owner, 8103, Role::Owner, now).await,
            Err(ActError::Forbidden { permission: Permission::ManageStaff, .. })
        ));
        // An admin cannot hand out roles.
        let admin = Actor::of(&users::find_by_telegram_id(conn, 8102).await.unwrap().unwrap());
        assert!(matches!(
            staff::set_role(conn, &admin, 8103, Role::Admin, now).await,
            Err(ActError::Forbidden { role: Role::Admin, permission: Permission::ManageStaff })
        ));
        assert_eq!(stored_role(conn, 8103).await, Role::Support);

        let revoked = staff::set_role(conn, &owner, 8102, Role::User, now).await.unwrap();
        assert!(matches!(revoked, RoleChange::Changed { from: Role::Admin, .. }));
        assert_eq!(stored_role(conn, 8102).await, Role::User);

        let audit: Vec<(i64, String, String)> = audit_log::Entity::find()
            .filter(audit_log::Column::Action.starts_with("staff."))
            .order_by_asc(audit_log::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.actor_telegram_id, row.action, row.target))
            .collect();
        assert_eq!(
            audit,
            vec![
                (8101, "staff.grant".into(), "user:8102".into()),
                (8101, "staff.grant".into(), "user:8103".into()),
                (8101, "staff.revoke".into(), "user:8102".into()),
            ]
        );
        assert_eq!(
            outbox_notices(conn, 8102).await,
            vec![Notice::RoleChanged { role: "admin".into() }, Notice::RoleChanged { role: "user".into() }]
        );
        assert_eq!(outbox_notices(conn, 8103).await, vec![Notice::RoleChanged { role: "support".into() }]);
    }
}

#[tokio::test]
async fn owners_removed_from_admin_ids_lose_their_role() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        users::sync_staff_from_config(conn, &BTreeSet::from([8201, 8202]), None, now).await.unwrap();
        assert_eq!(stored_role(conn, 8202).await, Role::Owner);
        users::sync_staff_from_config(conn, &BTreeSet::from([8201]), None, now).await.unwrap();
        assert_eq!(stored_role(conn, 8201).await, Role::Owner);
        assert_eq!(stored_role(conn, 8202).await, Role::User);
        let revoked = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("staff.revoke"))
            .filter(audit_log::Column::Target.eq("user:8202"))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(revoked, 1);
    }
}

#[tokio::test]
async fn a_chosen_language_is_kept() {
    for db in db::all().await {
        let conn = &db.conn;
        let mut hindi_app = crate::support::fixtures::profile(8301);
        hindi_app.language_code = Some("hi-IN".into());
        let signup = users::sign_up(conn, &hindi_app, None, Utc::now()).await.unwrap();
        assert_eq!(signup.user.language, "hi");
        let changed = users::set_language(conn, 8301, Lang::En).await.unwrap().unwrap();
        assert_eq!(changed.language, "en");
        // A later update from the same Hindi app does not undo the choice.
        let again = users::sign_up(conn, &hindi_app, None, Utc::now()).await.unwrap();
        assert_eq!(again.user.language, "en");
        assert!(users::set_language(conn, 8399, Lang::Hi).await.unwrap().is_none());
    }
}

/// What any admin act could change, comparable before and after.
#[derive(Debug, PartialEq)]
struct Snapshot {
    users: Vec<(i64, Role, bool, i64)>,
    ledger: u64,
    orders: Vec<order::Model>,
    plans: Vec<plan::Model>,
    stock: u64,
    claims: Vec<upi_claim::Model>,
    withdrawals: Vec<withdrawal::Model>,
    flags: Vec<fraud_flag::Model>,
    approvals: Vec<approval_request::Model>,
    settings: Vec<(SettingKey, String)>,
    audit: u64,
    outbox: u64,
}

async fn snapshot(conn: &DatabaseConnection) -> Snapshot {
    Snapshot {
        users: user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.telegram_id, u.role, u.is_blocked, u.balance))
            .collect(),
        ledger: ledger_entry::Entity::find().count(conn).await.unwrap(),
        orders: order::Entity::find().order_by_asc(order::Column::Id).all(conn).await.unwrap(),
        plans: plan::Entity::find().order_by_asc(plan::Column::Id).all(conn).await.unwrap(),
        stock: ottsonly::entities::stock_item::Entity::find().count(conn).await.unwrap(),
        claims: upi_claim::Entity::find().order_by_asc(upi_claim::Column::Id).all(conn).await.unwrap(),
        withdrawals: withdrawal::Entity::find().order_by_asc(withdrawal::Column::Id).all(conn).await.unwrap(),
        flags: fraud_flag::Entity::find().order_by_asc(fraud_flag::Column::Id).all(conn).await.unwrap(),
        approvals: approval_request::Entity::find().order_by_asc(approval_request::Column::Id).all(conn).await.unwrap(),
        settings: settings::all(conn).await.unwrap(),
        audit: audit_log::Entity::find().count(conn).await.unwrap(),
        outbox: outbox_message::Entity::find().count(conn).await.unwrap(),
    }
}

fn forbidden<T: std::fmt::Debug>(name: &'static str, result: Result<T, ActError>) -> (&'static str, Permission) {
    match result {
        Err(ActError::Forbidden { permission, .. }) => (name, permission),
        other => panic!("{name}: {other:?}"),
    }
}

/// Every admin act once, by `actor`; each must be refused for lack of the permission named.
async fn attempt_every_act(conn: &DatabaseConnection, actor: &Actor, story: &Story) -> Vec<(&'static str, Permission)> {
    let now = Utc::now();
    let draft = PlanDraft {
        price: Money::from_rupees(99),
        cost: Money::from_rupees(10),
        duration_days: 30,
        name: "Forged".into(),
    };
    let batch = credentials::from_lines("forged@mail.test:pw");
    vec![
        forbidden("create_plan", catalog::create_plan(conn, actor, &draft, "forged", now).await),
        forbidden("describe_plan", catalog::describe_plan(conn, actor, story.plan_id, "x", now).await),
        forbidden("add_stock", stock::add_stock(conn, actor, story.plan_id, &batch, now).await),
        forbidden(
            "credit",
            wallet::admin_adjust(
                conn,
                actor,
                story.customer,
                Money::from_rupees(500),
                Direction::Credit,
                "",
                "f1",
                now,
            )
            .await,
        ),
        forbidden(
            "debit",
            wallet::admin_adjust(conn, actor, story.customer, Money::from_rupees(1), Direction::Debit, "", "f2", now)
                .await,
        ),
        forbidden("refund", refunds::refund(conn, actor, story.order_id, "", now).await),
        forbidden("approval_approve", approvals::approve(conn, actor, story.request_id, now).await),
        forbidden("approval_reject", approvals::reject(conn, actor, story.request_id, "no", now).await),
        forbidden("approval_cancel", approvals::cancel(conn, actor, story.request_id, now).await),
        forbidden("upi_approve", upi::approve(conn, actor, story.claim_id, now).await),
        forbidden("upi_reject", upi::reject(conn, actor, story.claim_id, "no", now).await),
        forbidden("withdrawal_approve", withdrawals::approve(conn, actor, story.pending, now).await),
        forbidden("withdrawal_reject", withdrawals::reject(conn, actor, story.pending, "no", now).await),
        forbidden("withdrawal_paid", withdrawals::mark_paid(conn, actor, story.approved, "412345678901", now).await),
        forbidden("withdrawal_failed", withdrawals::payout_failed(conn, actor, story.approved, "bounced", now).await),
        forbidden("flag_resolve", fraud::resolve(conn, actor, story.flag_id, now).await),
        forbidden("block", fraud::set_blocked(conn, actor, story.customer, true, "", now).await),
        forbidden("set", settings::change(conn, actor, SettingKey::L1Rate, "90", now).await),
        forbidden("staff", staff::set_role(conn, actor, story.customer, Role::Admin, now).await),
    ]
}

struct Story {
    customer: i64,
    plan_id: i32,
    order_id: i32,
    claim_id: i32,
    pending: i32,
    approved: i32,
    flag_id: i32,
    /// A credit above the threshold, waiting for a second approver.
    request_id: i32,
}

/// A shop with something in every queue: a paid order, a UPI claim, a pending and an
/// approved withdrawal, and an open fraud flag.
async fn story(conn: &DatabaseConnection) -> Story {
    let now = Utc::now();
    customer(conn, 8401).await;
    let delivery = buy(conn, 8401, 300, 100, now).await;
    let plan_id = order::Entity::find_by_id(delivery.order_id).one(conn).await.unwrap().unwrap().plan_id;
    let payment =
        upi::start(conn, 8401, Purpose::TopUp { amount: Money::from_rupees(200) }, chrono::Duration::hours(1), now)
            .await
            .unwrap();
    let claim_id = match upi::claim(conn, 8401, payment.id, "412345678999", None, now).await.unwrap() {
        ClaimOutcome::Created { claim, .. } => claim.id,
        other => panic!("{other:?}"),
    };
    let mut requested = Vec::new();
    for (earner, vpa) in [(8411, "one@ybl"), (8421, "shared@ybl"), (8431, "shared@ybl")] {
        customer(conn, earner).await;
        earn_withdrawable(conn, earner, earner + 1, 600, now).await;
        match withdrawals::request(conn, earner, Money::from_rupees(600), vpa, now).await.unwrap() {
            RequestOutcome::Requested { withdrawal, .. } => requested.push(withdrawal.id),
            other => panic!("{other:?}"),
        }
    }
    let approved = requested[0];
    assert!(matches!(withdrawals::approve(conn, &ADMIN, approved, now).await.unwrap(), Decision::Approved { .. }));
    let flag_id = fraud_flag::Entity::find().one(conn).await.unwrap().expect("the shared UPI ID is flagged").id;
    let request_id =
        match wallet::admin_adjust(conn, &ADMIN, 8401, Money::from_rupees(2500), Direction::Credit, "", "big", now)
            .await
            .unwrap()
        {
            AdjustOutcome::AwaitingApproval { request, .. } => request.id,
            other => panic!("{other:?}"),
        };
    Story {
        customer: 8401,
        plan_id,
        order_id: delivery.order_id,
        claim_id,
        pending: requested[1],
        approved,
        flag_id,
        request_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_sees_the_queues_and_cannot_act() {
    for db in db::all().await {
        let conn = &db.conn;
        let story = story(conn).await;
        let support = Actor::new(8501, Role::Support, Lang::En);
        let customer = Actor::new(story.customer, Role::User, Lang::En);

        // Support sees what waits.
        assert_eq!(withdrawals::queue(conn, &support, 10).await.unwrap().len(), 3);
        assert_eq!(fraud::open_flags(conn, &support, 10).await.unwrap().len(), 2);
        assert!(staff::list(conn, &support).await.is_ok());
        assert_eq!(approvals::pending(conn, &support, 10).await.unwrap().len(), 1);
        // A customer sees none of it.
        assert!(matches!(approvals::pending(conn, &customer, 10).await, Err(ActError::Forbidden { .. })));
        assert!(matches!(withdrawals::queue(conn, &customer, 10).await, Err(ActError::Forbidden { .. })));
        assert!(matches!(fraud::open_flags(conn, &customer, 10).await, Err(ActError::Forbidden { .. })));
        assert!(matches!(staff::list(conn, &customer).await, Err(ActError::Forbidden { .. })));

        let before = snapshot(conn).await;
        let refused = attempt_every_act(conn, &support, &story).await;
        let needed: Vec<Permission> = refused.iter().map(|(_, p)| *p).collect();
        assert!(!needed.contains(&Permission::View), "{refused:?}");
        let by_customer = attempt_every_act(conn, &customer, &story).await;
        assert_eq!(by_customer, refused, "the same permission guards each act whoever tries");
        assert_eq!(snapshot(conn).await, before);
        let claim = upi_claim::Entity::find_by_id(story.claim_id).one(conn).await.unwrap().unwrap();
        assert_eq!(claim.status, ottsonly::entities::upi_claim::ClaimStatus::Pending);
    }
}

#[tokio::test]
async fn staff_find_a_customer_by_id_username_or_code_even_an_all_digit_code() {
    use ottsonly::services::customers;
    use sea_orm::{ActiveModelTrait, Set};
    for db in db::all().await {
        let conn = &db.conn;
        let found = customer(conn, 8701).await;
        let mut digits: user::ActiveModel = found.clone().into();
        digits.referral_code = Set("23456789".into());
        digits.update(conn).await.unwrap();
        let support = Actor::new(8799, Role::Support, Lang::En);
        for query in ["8701", "@u8701", "@U8701", "23456789", " 23456789 "] {
            let hit = customers::find(conn, &support, query).await.unwrap();
            assert_eq!(hit.map(|u| u.telegram_id), Some(8701), "{query:?}");
        }
        for query in ["8702", "@nobody", "ZZZZZZZZ", "not a code"] {
            assert!(customers::find(conn, &support, query).await.unwrap().is_none(), "{query:?}");
        }
        let customer_actor = Actor::new(8701, Role::User, Lang::En);
        assert!(matches!(customers::find(conn, &customer_actor, "8701").await, Err(ActError::Forbidden { .. })));
    }
}
