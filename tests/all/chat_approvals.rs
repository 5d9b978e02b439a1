//! The two-person rule in chat, against the fake Bot API: a credit above
//! `admin.approval_threshold` waits; another admin approves it with the alert's button and the
//! customer is credited and told once; the requester cannot approve it and support cannot
//! decide it; a rejection asks its reason in private. A withdrawal above
//! `withdrawal.approval_threshold` takes two different approvers by button.
use std::fmt::Display;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};

use ottsonly::bot::features::staff::{approvals, queues};
use ottsonly::bot::ui::callback;
use ottsonly::domain::Money;
use ottsonly::entities::approval_request::{self, ApprovalStatus};
use ottsonly::entities::user::{self, Role};
use ottsonly::entities::withdrawal::{self, WithdrawalStatus};
use ottsonly::entities::{audit_log, ledger_entry};
use ottsonly::services::staff::{self, RoleChange};
use ottsonly::services::withdrawals::{self, RequestOutcome};
use ottsonly::services::{users, Actor};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, earn_withdrawable};

const ADMIN_B: i64 = 8702;
const SUPPORT: i64 = 8703;
const CUSTOMER: i64 = 8701;

/// The text of `key` in locales/en.yml with its placeholders filled, as the bot's `t!` fills them.
fn en(key: &str, args: &[(&str, &dyn Display)]) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en.yml");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut value = &yaml;
    for part in key.split('.') {
        value = &value[part];
    }
    let mut text = value.as_str().unwrap_or_else(|| panic!("no text {key}")).to_owned();
    for (name, arg) in args {
        let placeholder = format!("%{{{name}}}");
        assert!(text.contains(&placeholder), "{key} has no %{{{name}}}");
        text = text.replace(&placeholder, &arg.to_string());
    }
    assert!(!text.contains("%{"), "{key}: a placeholder was not filled: {text}");
    text
}

/// `@username (id)`, as staff read a person.
fn label(id: i64) -> String {
    en("admin.user_with_username", &[("username", &format!("user{id}")), ("id", &id)])
}

fn rs(rupees: i64) -> Money {
    Money::from_rupees(rupees)
}

/// The owner (the harness's ADMIN_IDS), a second admin, support staff and a customer, each
/// having sent /start; roles given as an owner gives them.
struct Shop {
    owner: Chat,
    b: Chat,
    support: Chat,
    customer: Chat,
}

async fn shop(fake: &FakeTelegram, conn: &DatabaseConnection) -> Shop {
    let mut shop = Shop {
        owner: Chat::new(fake, ADMIN_ID, "Boss"),
        b: Chat::new(fake, ADMIN_B, "Bina"),
        support: Chat::new(fake, SUPPORT, "Sunita"),
        customer: Chat::new(fake, CUSTOMER, "Kiran"),
    };
    for chat in [&mut shop.owner, &mut shop.b, &mut shop.support, &mut shop.customer] {
        chat.say("/start");
        chat.reply_containing("Welcome").await;
    }
    let owner = Actor::of(&stored(conn, ADMIN_ID).await);
    for (id, role, told) in [(ADMIN_B, Role::Admin, "staff.told_admin"), (SUPPORT, Role::Support, "staff.told_support")]
    {
        assert!(matches!(
            staff::set_role(conn, &owner, id, role, Utc::now()).await.unwrap(),
            RoleChange::Changed { .. }
        ));
        let chat = if id == ADMIN_B { &mut shop.b } else { &mut shop.support };
        chat.reply_containing(&en(told, &[])).await;
    }
    shop
}

async fn stored(conn: &DatabaseConnection, telegram_id: i64) -> user::Model {
    users::find_by_telegram_id(conn, telegram_id).await.unwrap().expect("signed up")
}

async fn requests(conn: &DatabaseConnection) -> Vec<approval_request::Model> {
    approval_request::Entity::find().order_by_asc(approval_request::Column::Id).all(conn).await.unwrap()
}

/// What a refused press could change.
async fn money_state(conn: &DatabaseConnection) -> (Vec<approval_request::Model>, u64, i64, u64) {
    (
        requests(conn).await,
        ledger_entry::Entity::find().count(conn).await.unwrap(),
        stored(conn, CUSTOMER).await.balance,
        audit_log::Entity::find().count(conn).await.unwrap(),
    )
}

async fn audit(conn: &DatabaseConnection) -> Vec<(i64, String)> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| !row.action.starts_with("staff."))
        .map(|row| (row.actor_telegram_id, row.action))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_credit_waits_until_a_second_admin_approves_it_by_button() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let Shop { mut owner, mut b, mut support, mut customer } = shop(&fake, conn).await;
        let support_screen = {
            support.say("/start");
            support.reply().await
        };

        // At the threshold: credited at once, as before.
        owner.say(&format!("/credit {CUSTOMER} 2000"));
        owner.reply_containing("Credited ₹2,000").await;
        customer.reply_containing("credited with <b>₹2,000</b>").await;

        // Above it: a request, nothing moves, the other admin is alerted with buttons.
        owner.say(&format!("/credit {CUSTOMER} 2500 Diwali bonus"));
        let answer = owner.reply().await;
        let request = requests(conn).await.pop().expect("a request");
        let what = en("approvals.credit", &[("amount", &rs(2500)), ("customer", &label(CUSTOMER))]);
        assert_eq!(
            answer.text,
            en("approvals.requested", &[("id", &request.id), ("what", &what), ("threshold", &rs(2000))]),
            "{}",
            db.backend
        );
        let alert = b.reply().await;
        assert_eq!(
            alert.text,
            en(
                "approvals.alert",
                &[
                    ("id", &request.id),
                    ("requester", &label(ADMIN_ID)),
                    ("what", &what),
                    ("reason", &en("wallet.reason", &[("reason", &"Diwali bonus")]))
                ]
            )
        );
        assert_eq!(
            alert.buttons().into_iter().map(|(_, data)| data).collect::<Vec<_>>(),
            vec![
                callback::data(&approvals::Action::Approve(request.id)),
                callback::data(&approvals::Action::Reject(request.id))
            ]
        );
        assert_eq!(balance(conn, CUSTOMER).await, rs(2000));

        // The requester cannot approve it, not even with the button's data.
        let before = money_state(conn).await;
        owner.press_data(&answer, &callback::data(&approvals::Action::Approve(request.id))).await;
        assert_eq!(owner.reply().await.text, en("approvals.own_request", &[("id", &request.id)]));
        // Support sees it and is refused every decision.
        support.say("/approvals");
        let listed = support.reply().await;
        assert!(listed.text.contains(&format!("#{}: {what}", request.id)), "{}", listed.text);
        assert_eq!(listed.buttons(), vec![]);
        for action in [
            approvals::Action::Approve(request.id),
            approvals::Action::Reject(request.id),
            approvals::Action::Cancel(request.id),
        ] {
            support.press_data(&support_screen, &callback::data(&action)).await;
            assert_eq!(support.reply().await.text, en("admin.not_allowed", &[]), "{action:?}");
        }
        support.say("Diwali is over");
        assert_eq!(support.reply().await.text, en("fallback", &[]), "no reason was being asked");
        assert_eq!(money_state(conn).await, before, "{}: refused presses change nothing", db.backend);

        // The second admin approves by the alert's button: credited, the customer and the
        // requester told.
        b.press(&alert, "Approve").await;
        assert_eq!(
            b.reply().await.text,
            en(
                "approvals.approved_admin",
                &[("id", &request.id), ("what", &what), ("balance", &rs(4500)), ("requester", &label(ADMIN_ID))]
            )
        );
        let told = customer.reply().await;
        assert!(
            told.text.contains("credited with <b>₹2,500</b>") && told.text.contains("Diwali bonus"),
            "{}",
            told.text
        );
        assert!(told.text.contains("Balance: <b>₹4,500</b>"), "{}", told.text);
        assert_eq!(
            owner.reply().await.text,
            en(
                "approvals.told_approved",
                &[("id", &request.id), ("what", &what), ("by", &label(ADMIN_B)), ("balance", &rs(4500))]
            )
        );

        // Pressed again: already approved, nothing moves.
        b.press(&alert, "Approve").await;
        assert_eq!(
            b.reply().await.text,
            en(
                "approvals.already_decided",
                &[("id", &request.id), ("status", &en("approvals.status_approved", &[])), ("by", &label(ADMIN_B))]
            )
        );
        support.say("/approvals");
        assert_eq!(support.reply().await.text, en("approvals.empty", &[]));
        bot.stop().await;

        assert_eq!(balance(conn, CUSTOMER).await, rs(4500));
        let credited: Vec<_> =
            fake.sent_to(CUSTOMER).into_iter().filter(|m| m.text.contains("credited with <b>₹2,500</b>")).collect();
        assert_eq!(credited.len(), 1, "told once");
        assert_eq!(requests(conn).await[0].status, ApprovalStatus::Approved);
        assert_eq!(
            audit(conn).await,
            vec![
                (ADMIN_ID, "wallet.credit".into()),
                (ADMIN_ID, "approval.request".into()),
                (ADMIN_B, "approval.approve".into()),
                (ADMIN_B, "wallet.credit".into()),
            ]
        );
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_asks_its_reason_in_private_and_the_requester_reads_it() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let Shop { mut owner, mut b, .. } = shop(&fake, conn).await;
        credit(conn, CUSTOMER, 3000).await;

        b.say(&format!("/debit {CUSTOMER} 2100 chargeback"));
        let answer = b.reply().await;
        assert!(answer.text.starts_with("⏳ Request #"), "{}", answer.text);
        // A replayed update of the command is the same request.
        fake.replay_last_update();
        let request = requests(conn).await.pop().expect("a request");
        assert_eq!(
            b.reply().await.text,
            en("approvals.already_requested", &[("id", &request.id), ("status", &en("approvals.status_pending", &[]))])
        );
        assert_eq!(requests(conn).await.len(), 1);
        let alert = owner.reply_containing("Second approval needed").await;

        // B cannot reject their own request either.
        b.press_data(&answer, &callback::data(&approvals::Action::Reject(request.id))).await;
        assert_eq!(b.reply().await.text, en("approvals.own_request", &[("id", &request.id)]));

        // The owner rejects: asked why, in private; an empty answer is asked again.
        owner.press(&alert, "Reject").await;
        assert_eq!(
            owner.reply().await.text,
            en("approvals.ask_reason", &[("id", &request.id), ("requester", &label(ADMIN_B))])
        );
        owner.say("   ");
        owner.reply_containing("short reason").await;
        owner.say("No chargeback in the <gateway>");
        assert_eq!(
            owner.reply().await.text,
            en("approvals.rejected_admin", &[("id", &request.id), ("requester", &label(ADMIN_B))])
        );
        let what = en("approvals.debit", &[("amount", &rs(2100)), ("customer", &label(CUSTOMER))]);
        assert_eq!(
            b.reply().await.text,
            en(
                "approvals.told_rejected",
                &[
                    ("id", &request.id),
                    ("what", &what),
                    ("by", &label(ADMIN_ID)),
                    ("reason", &"No chargeback in the &lt;gateway&gt;")
                ]
            )
        );
        // The requester can no longer cancel it; nothing moved.
        b.say("/approvals");
        assert_eq!(b.reply().await.text, en("approvals.empty", &[]));
        b.press_data(&answer, &callback::data(&approvals::Action::Cancel(request.id))).await;
        b.reply_containing("already rejected").await;
        bot.stop().await;

        assert_eq!(balance(conn, CUSTOMER).await, rs(3000));
        assert!(fake.sent_to(CUSTOMER).iter().all(|m| !m.text.contains("deducted")), "the customer hears of nothing");
        let stored = &requests(conn).await[0];
        assert_eq!(
            (stored.status, stored.decided_by, stored.decision_reason.as_deref()),
            (ApprovalStatus::Rejected, Some(ADMIN_ID), Some("No chargeback in the <gateway>"))
        );
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_withdrawal_takes_two_different_approvers_by_button() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let Shop { mut owner, mut b, .. } = shop(&fake, conn).await;
        let mut earner = Chat::new(&fake, 8801, "Esha");
        earner.say("/start");
        earner.reply_containing("Welcome").await;
        earn_withdrawable(conn, 8801, 8802, 6000, Utc::now()).await;
        let w = match withdrawals::request(conn, 8801, rs(6000), "esha@okaxis", Utc::now()).await.unwrap() {
            RequestOutcome::Requested { withdrawal, .. } => withdrawal,
            other => panic!("{other:?}"),
        };
        let alert = owner.reply_containing(&format!("Withdrawal request #{}", w.id)).await;
        assert!(alert.text.ends_with(&en("withdrawals.two_approvals", &[])), "{}", alert.text);
        b.reply_containing(&format!("Withdrawal request #{}", w.id)).await;

        // The owner gives the first approval; pressing again gives no second.
        owner.press(&alert, "Approve").await;
        assert_eq!(owner.reply().await.text, en("withdrawals.first_done", &[("id", &w.id)]));
        owner.press(&alert, "Approve").await;
        assert_eq!(owner.reply().await.text, en("withdrawals.same_approver", &[("id", &w.id)]));
        let stored = withdrawal::Entity::find_by_id(w.id).one(conn).await.unwrap().unwrap();
        assert_eq!((stored.status, stored.first_approved_by), (WithdrawalStatus::Pending, Some(ADMIN_ID)));

        // B is asked for the second, with a button naming the first approver; the queue shows it.
        let second = b.reply_containing("second approval needed").await;
        let approve_second = en("withdrawals.second_approve_button", &[("by", &"@user9000001")]);
        assert_eq!(
            second.buttons()[0],
            (approve_second.clone(), callback::data(&queues::Action::WithdrawalApprove(w.id)))
        );
        b.say("/withdrawals");
        let queue = b.reply().await;
        assert!(
            queue.text.contains(&en("withdrawals.first_approved_line", &[("by", &label(ADMIN_ID))])),
            "{}",
            queue.text
        );
        assert!(queue.buttons().iter().any(|(text, _)| *text == format!("#{} {approve_second}", w.id)));

        b.press(&second, "Approve").await;
        assert_eq!(b.reply().await.text, en("withdrawals.done", &[("id", &w.id)]));
        earner.reply_containing("was approved").await;
        owner.reply_containing(&format!("Withdrawal #{} approved by", w.id)).await;
        bot.stop().await;

        let stored = withdrawal::Entity::find_by_id(w.id).one(conn).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.first_approved_by, stored.decided_by),
            (WithdrawalStatus::Approved, Some(ADMIN_ID), Some(ADMIN_B))
        );
        let approved: Vec<_> = fake.sent_to(8801).into_iter().filter(|m| m.text.contains("was approved")).collect();
        assert_eq!(approved.len(), 1, "told once");
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
