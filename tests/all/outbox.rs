//! The outbox sender against the fake Bot API: each row once with two senders, 429 waited
//! out, 403 marks the user unreachable, 5xx retried with backoff.
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teloxide::prelude::*;

use ottsonly::bot::{self, Ctx};
use ottsonly::entities::outbox_message::{self, OutboxStatus};
use ottsonly::entities::user;
use ottsonly::services::outbox::{self, Notice};
use ottsonly::services::users;

use crate::support::bot_harness::test_config;
use crate::support::db;
use crate::support::fake_telegram::{Failure, FakeTelegram, BOT_USERNAME};
use crate::support::fixtures::customer;

fn ctx_for(fake: &FakeTelegram, conn: &sea_orm::DatabaseConnection) -> (Arc<Ctx>, bot::Tg) {
    let config = Arc::new(test_config(&fake.url(), "unused://"));
    let tg_bot = Bot::new(config.telegram_token.clone()).set_api_url(config.telegram_api_url.clone());
    let ctx = Arc::new(Ctx::new(conn.clone(), config, BOT_USERNAME.into()));
    let tg = ctx.tg(tg_bot);
    (ctx, tg)
}

async fn rows(conn: &sea_orm::DatabaseConnection, chat: i64) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().filter(outbox_message::Column::ChatId.eq(chat)).all(conn).await.unwrap()
}

/// Runs sender rounds until no row for `chat` is waiting (bounded).
async fn drain(tg: &bot::Tg, ctx: &Ctx, chat: i64) {
    for _ in 0..200 {
        let waiting =
            rows(&ctx.db, chat).await.iter().any(|r| matches!(r.status, OutboxStatus::Pending | OutboxStatus::Sending));
        if !waiting {
            return;
        }
        if bot::outbox::send_due(tg, ctx).await.unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("outbox for {chat} never drained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_senders_deliver_each_row_once_in_order() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let mut people = Vec::new();
        for id in 0..6 {
            people.push(customer(conn, 8100 + id).await);
        }
        for (n, person) in people.iter().enumerate() {
            for k in 0..3 {
                let notice = Notice::WalletCredited { amount: 100 * (k + 1), reason: format!("r{n}-{k}"), balance: 0 };
                outbox::to_user(conn, person, &notice, Utc::now()).await.unwrap();
            }
        }
        let mut cursors: Vec<_> = people.iter().map(|p| fake.cursor(p.telegram_id)).collect();
        let (ctx, tg) = ctx_for(&fake, conn);
        let (ctx2, tg2) = ctx_for(&fake, conn);
        let a = tokio::spawn(async move { bot::outbox::run(tg, ctx).await });
        let b = tokio::spawn(async move { bot::outbox::run(tg2, ctx2).await });
        for (n, cursor) in cursors.iter_mut().enumerate() {
            for k in 0..3 {
                let got = fake.next_to(cursor).await;
                assert!(got.text.contains(&format!("r{n}-{k}")), "in order: {}", got.text);
            }
        }
        // Everything is marked sent, and no chat got a row twice.
        for person in &people {
            for _ in 0..100 {
                if rows(conn, person.telegram_id).await.iter().all(|r| r.status == OutboxStatus::Sent) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(rows(conn, person.telegram_id).await.iter().all(|r| r.status == OutboxStatus::Sent));
            assert_eq!(fake.sent_to(person.telegram_id).len(), 3, "{}", db.backend);
        }
        a.abort();
        b.abort();
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_then_delivered() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let person = customer(conn, 8201).await;
        outbox::to_user(conn, &person, &Notice::Unblocked, Utc::now()).await.unwrap();
        fake.fail_sends_to(person.telegram_id, &[Failure::TooManyRequests(1)]);
        let (ctx, tg) = ctx_for(&fake, conn);
        let start = Instant::now();
        drain(&tg, &ctx, person.telegram_id).await;
        assert!(start.elapsed() >= Duration::from_millis(950), "waited retry_after: {:?}", start.elapsed());
        let row = &rows(conn, person.telegram_id).await[0];
        assert_eq!((row.status, row.attempts), (OutboxStatus::Sent, 2), "{}", db.backend);
        assert_eq!(fake.sent_to(person.telegram_id).len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_marks_the_user_unreachable_and_is_not_retried() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let person = customer(conn, 8301).await;
        outbox::to_user(conn, &person, &Notice::Blocked, Utc::now()).await.unwrap();
        fake.fail_sends_to(person.telegram_id, &[Failure::Blocked]);
        let (ctx, tg) = ctx_for(&fake, conn);
        drain(&tg, &ctx, person.telegram_id).await;
        let row = &rows(conn, person.telegram_id).await[0];
        assert_eq!((row.status, row.attempts), (OutboxStatus::Failed, 1), "{}", db.backend);
        let stored = user::Entity::find_by_id(person.id).one(conn).await.unwrap().unwrap();
        assert!(stored.unreachable_at.is_some());
        assert_eq!(bot::outbox::send_due(&tg, &ctx).await.unwrap(), 0, "not retried");
        // Writing to the bot again makes them reachable.
        let again = users::sign_up(conn, &crate::support::fixtures::profile(8301), None, Utc::now()).await.unwrap();
        assert!(again.user.unreachable_at.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_retried() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let person = customer(conn, 8401).await;
        outbox::to_user(conn, &person, &Notice::Unblocked, Utc::now()).await.unwrap();
        fake.fail_sends_to(person.telegram_id, &[Failure::ServerError]);
        let (ctx, tg) = ctx_for(&fake, conn);
        assert_eq!(bot::outbox::send_due(&tg, &ctx).await.unwrap(), 1);
        let row = &rows(conn, person.telegram_id).await[0];
        assert_eq!(row.status, OutboxStatus::Pending, "{}", db.backend);
        assert!(row.next_attempt_at - row.created_at >= chrono::Duration::seconds(1), "backs off: {row:?}");
        assert!(row.last_error.is_some());
        assert!(fake.sent_to(person.telegram_id).is_empty());
    }
}

/// The gateway alerts render in both languages as HTML Telegram accepts, with every value
/// escaped and shown as it came.
#[tokio::test]
async fn gateway_alerts_render_escaped_in_every_language() {
    use ottsonly::services::outbox::{GatewayRefusal, Person};
    let db = db::TestDb::sqlite().await;
    let fake = FakeTelegram::start().await;
    let (ctx, _) = ctx_for(&fake, &db.conn);
    let customer = Person { telegram_id: 4242, username: Some("a<b>&c".into()), first_name: "Ravi".into() };
    let refused = |amount: Option<i64>, currency: Option<&str>, payment: Option<&str>| Notice::GatewayRefusedAlert {
        gateway: "razorpay".into(),
        event: "payment.<captured>".into(),
        reference: "PAY<&>".into(),
        gateway_payment_id: payment.map(str::to_owned),
        amount,
        currency: currency.map(str::to_owned),
        why: GatewayRefusal::Currency,
        customer: customer.clone(),
    };
    let notices = [
        Notice::AmountMismatchAlert {
            reference: "PAY<&>".into(),
            expected: 50_000,
            paid: 49_950,
            customer: customer.clone(),
        },
        refused(Some(12_000), Some("U<S>D"), Some("pay_<1>")),
        refused(None, None, None),
    ];
    for lang in ["en", "hi"] {
        for notice in &notices {
            let out = bot::outbox::notices::render(notice, lang, &ctx);
            let visible = ottsonly::playground::rules::parse_html(&out.text)
                .unwrap_or_else(|err| panic!("{lang}: {err}: {}", out.text));
            assert!(visible.contains("PAY<&>") && visible.contains("@a<b>&c (4242)"), "{lang}: {visible}");
            match notice {
                Notice::AmountMismatchAlert { .. } => {
                    assert!(visible.contains("₹500") && visible.contains("₹499.50"), "{lang}: {visible}")
                }
                Notice::GatewayRefusedAlert { amount: Some(_), .. } => {
                    assert!(visible.contains("pay_<1>") && visible.contains("12000") && visible.contains("U<S>D"));
                    assert!(visible.contains("payment.<captured>"), "{lang}: {visible}");
                }
                _ => {
                    let none = if lang == "en" { "none" } else { "कोई नहीं" };
                    assert!(visible.matches(none).count() >= 3, "{lang}: {visible}");
                }
            }
        }
    }
}

/// The two-person rule's notices render in both languages as HTML Telegram accepts, with the
/// reason and the people escaped and shown as typed.
#[tokio::test]
async fn approval_notices_render_escaped_in_every_language() {
    use ottsonly::entities::approval_request::ApprovalKind;
    use ottsonly::services::outbox::Person;
    let db = db::TestDb::sqlite().await;
    let fake = FakeTelegram::start().await;
    let (ctx, _) = ctx_for(&fake, &db.conn);
    let customer = Person { telegram_id: 4242, username: Some("a<b>&c".into()), first_name: "Ravi".into() };
    let staff = Person { telegram_id: 77, username: None, first_name: "Boss <&>".into() };
    let notices = [
        Notice::ApprovalRequestAlert {
            request_id: 5,
            adjustment: ApprovalKind::Credit,
            customer: customer.clone(),
            amount: 250_050,
            reason: "Diwali <bonus> & more".into(),
            requested_by: staff.clone(),
        },
        Notice::ApprovalRequestApproved {
            request_id: 5,
            adjustment: ApprovalKind::Debit,
            customer: customer.clone(),
            amount: 250_050,
            by: staff.clone(),
            balance: 100_000,
        },
        Notice::ApprovalRequestRejected {
            request_id: 5,
            adjustment: ApprovalKind::Credit,
            customer: customer.clone(),
            amount: 250_050,
            by: staff.clone(),
            reason: "Diwali <bonus> & more".into(),
        },
    ];
    for lang in ["en", "hi"] {
        for notice in &notices {
            let out = bot::outbox::notices::render(notice, lang, &ctx);
            let visible = ottsonly::playground::rules::parse_html(&out.text)
                .unwrap_or_else(|err| panic!("{lang}: {err}: {}", out.text));
            for part in ["#5", "₹2,500.50", "@a<b>&c (4242)", "Boss <&> (77)"] {
                assert!(visible.contains(part), "{lang}: {part} not in {visible}");
            }
            if !matches!(notice, Notice::ApprovalRequestApproved { .. }) {
                assert!(visible.contains("Diwali <bonus> & more"), "{lang}: {visible}");
            } else {
                assert!(visible.contains("₹1,000"), "{lang}: {visible}");
            }
        }
    }
}
