//! Customers cannot act as admins in chat: neither an admin command for a real order nor a
//! forged admin button for a real withdrawal or fraud flag changes anything.
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use ottsonly::bot::features::staff::queues::Action;
use ottsonly::bot::ui::callback;
use ottsonly::domain::Money;
use ottsonly::entities::fraud_flag::{self, FlagStatus};
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::withdrawal::{self, WithdrawalStatus};
use ottsonly::entities::{audit_log, ledger_entry, stock_item, subscription, user};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};

use crate::support::bot_harness::RunningBot;
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, buy, customer, earn_withdrawable, ADMIN};

const REFUSED: &str = "for shop admins only";

/// Everything a forged admin act could change, in a comparable form.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// (telegram id, role, blocked, balance) of the customers in the story.
    users: Vec<(i64, user::Role, bool, i64)>,
    ledger: Vec<ledger_entry::Model>,
    orders: Vec<order::Model>,
    subscriptions: Vec<subscription::Model>,
    stock: Vec<stock_item::Model>,
    withdrawals: Vec<withdrawal::Model>,
    flags: Vec<fraud_flag::Model>,
    audit_rows: u64,
}

async fn snapshot(conn: &DatabaseConnection, telegram_ids: &[i64]) -> Snapshot {
    let users = user::Entity::find()
        .filter(user::Column::TelegramId.is_in(telegram_ids.iter().copied()))
        .order_by_asc(user::Column::TelegramId)
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.telegram_id, u.role, u.is_blocked, u.balance))
        .collect();
    Snapshot {
        users,
        ledger: ledger_entry::Entity::find().order_by_asc(ledger_entry::Column::Id).all(conn).await.unwrap(),
        orders: order::Entity::find().order_by_asc(order::Column::Id).all(conn).await.unwrap(),
        subscriptions: subscription::Entity::find().order_by_asc(subscription::Column::Id).all(conn).await.unwrap(),
        stock: stock_item::Entity::find().order_by_asc(stock_item::Column::Id).all(conn).await.unwrap(),
        withdrawals: withdrawal::Entity::find().order_by_asc(withdrawal::Column::Id).all(conn).await.unwrap(),
        flags: fraud_flag::Entity::find().order_by_asc(fraud_flag::Column::Id).all(conn).await.unwrap(),
        audit_rows: audit_log::Entity::find().count(conn).await.unwrap(),
    }
}

async fn request(conn: &DatabaseConnection, telegram_id: i64, vpa: &str) -> RequestOutcome {
    withdrawals::request(conn, telegram_id, Money::from_rupees(600), vpa, Utc::now()).await.unwrap()
}

/// Signs `telegram_id` up, gives them ₹600 to withdraw (through referee `telegram_id + 1`)
/// and requests it to `vpa`.
async fn pending_withdrawal(conn: &DatabaseConnection, telegram_id: i64, vpa: &str) -> RequestOutcome {
    customer(conn, telegram_id).await;
    earn_withdrawable(conn, telegram_id, telegram_id + 1, 600, Utc::now()).await;
    request(conn, telegram_id, vpa).await
}

fn requested(outcome: RequestOutcome) -> withdrawal::Model {
    match outcome {
        RequestOutcome::Requested { withdrawal, .. } => withdrawal,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_refund_a_paid_order() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 7601).await;
        let delivery = buy(conn, 7601, 300, 100, Utc::now()).await;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut buyer = Chat::new(&fake, 7601, "Ravi");
        buyer.say("/start");
        buyer.reply_containing("Welcome").await;
        let before = snapshot(conn, &[7601]).await;

        for command in [
            format!("/refund {}", delivery.order_id),
            format!("/refund {} login stopped working", delivery.order_id),
            format!("/refund@{} {}", crate::support::fake_telegram::BOT_USERNAME, delivery.order_id),
        ] {
            buyer.say(&command);
            buyer.reply_containing(REFUSED).await;
        }
        bot.stop().await;

        let order = order::Entity::find_by_id(delivery.order_id).one(conn).await.unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Paid);
        let after = snapshot(conn, &[7601]).await;
        assert_eq!(after.users, vec![(7601, before.users[0].1, false, 0)], "the price stays spent");
        assert_eq!(after, before);
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_withdrawal_and_fraud_buttons_change_nothing() {
    for db in db::all().await {
        let conn = &db.conn;
        // A: pending. B: approved (its payout on the way). C and D share a UPI ID: flagged.
        let pending = requested(pending_withdrawal(conn, 7611, "anil@ybl").await);
        let approved = requested(pending_withdrawal(conn, 7621, "bina@ybl").await);
        let decision = withdrawals::approve(conn, &ADMIN, approved.id, Utc::now()).await.unwrap();
        assert!(matches!(decision, Decision::Approved { .. }), "{decision:?}");
        let held_c = requested(pending_withdrawal(conn, 7631, "shared@ybl").await);
        let held_d = match pending_withdrawal(conn, 7641, "shared@ybl").await {
            RequestOutcome::Requested { withdrawal, held_by, .. } => {
                assert!(!held_by.is_empty(), "a shared UPI ID is flagged");
                withdrawal
            }
            other => panic!("{other:?}"),
        };
        let flags = fraud_flag::Entity::find().all(conn).await.unwrap();
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert!(flags.iter().all(|f| f.status == FlagStatus::Open));

        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut a = Chat::new(&fake, 7611, "Anil");
        let mut c = Chat::new(&fake, 7631, "Chitra");
        a.say("/start");
        let a_screen = a.reply_containing("Welcome").await;
        c.say("/start");
        let c_screen = c.reply_containing("Welcome").await;
        let story = [7611, 7612, 7621, 7622, 7631, 7632, 7641, 7642];
        let before = snapshot(conn, &story).await;

        let mut forged = Vec::new();
        for w in [&pending, &approved, &held_c, &held_d] {
            forged.extend(
                [Action::WithdrawalApprove, Action::WithdrawalReject, Action::WithdrawalPaid, Action::WithdrawalFailed]
                    .map(|action| callback::data(&action(w.id))),
            );
        }
        for flag in &flags {
            forged.extend([Action::FlagResolve, Action::FlagBlock].map(|action| callback::data(&action(flag.id))));
        }
        for data in &forged {
            a.press_data(&a_screen, data).await;
            a.reply_containing(REFUSED).await;
            c.press_data(&c_screen, data).await;
            c.reply_containing(REFUSED).await;
        }
        // Nor is what they type next taken as a rejection reason or a payout UTR.
        a.press_data(&a_screen, &callback::data(&Action::WithdrawalReject(pending.id))).await;
        a.reply_containing(REFUSED).await;
        a.say("changed my mind");
        a.reply_containing("didn't get that").await;
        a.press_data(&a_screen, &callback::data(&Action::WithdrawalPaid(approved.id))).await;
        a.reply_containing(REFUSED).await;
        a.say("123456789012");
        a.reply_containing("didn't get that").await;
        bot.stop().await;

        let after = snapshot(conn, &story).await;
        let status = |id: i32| after.withdrawals.iter().find(|w| w.id == id).map(|w| w.status);
        assert_eq!(status(pending.id), Some(WithdrawalStatus::Pending));
        assert_eq!(status(approved.id), Some(WithdrawalStatus::Approved));
        assert_eq!(status(held_c.id), Some(WithdrawalStatus::Pending));
        assert_eq!(status(held_d.id), Some(WithdrawalStatus::Pending));
        assert!(after.withdrawals.iter().all(|w| w.payout_utr.is_none()), "{:?}", after.withdrawals);
        assert!(after.flags.iter().all(|f| f.status == FlagStatus::Open && f.resolved_by.is_none()));
        assert!(after.users.iter().all(|(_, _, blocked, _)| !blocked), "{:?}", after.users);
        assert_eq!(after, before);
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
