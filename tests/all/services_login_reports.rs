//! Login reports and rotations on both databases: one open report per subscription however
//! many taps; Replace takes exactly one new login and retires the old one as faulty, once
//! whoever presses; no stock refuses and keeps the report open; a report past the SLA is
//! raised once; /rotate tells each holder once.
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::credentials;
use ottsonly::domain::Lang;
use ottsonly::entities::audit_log;
use ottsonly::entities::login_report::{ReportReason, ReportStatus};
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::subscription;
use ottsonly::entities::user::Role;
use ottsonly::services::login_reports::{self, AnswerOutcome, OpenOutcome, ReplaceOutcome};
use ottsonly::services::outbox::Notice;
use ottsonly::services::purchase::Delivery;
use ottsonly::services::stock::{self, RotateOutcome};
use ottsonly::services::{catalog, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{buy, customer, outbox_notices, staff, ADMIN};

async fn sub_of(conn: &DatabaseConnection, delivery: &Delivery) -> subscription::Model {
    subscription::Entity::find()
        .filter(subscription::Column::OrderId.eq(delivery.order_id))
        .one(conn)
        .await
        .unwrap()
        .unwrap()
}

async fn stock(conn: &DatabaseConnection, id: i32) -> stock_item::Model {
    stock_item::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

fn count<F: Fn(&Notice) -> bool>(notices: &[Notice], f: F) -> usize {
    notices.iter().filter(|n| f(n)).count()
}

async fn add_stock(conn: &DatabaseConnection, plan_id: i32, lines: &str) {
    stock::add_stock(conn, &ADMIN, plan_id, &credentials::from_lines(lines), Utc::now()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_open_report_per_subscription_however_many_taps() {
    for db in db::all().await {
        let conn = &db.conn;
        ottsonly::services::users::sync_staff_from_config(conn, &[1].into(), None, Utc::now()).await.unwrap();
        customer(conn, 9801).await;
        let bought = buy(conn, 9801, 149, 40, Utc::now()).await;
        let sub = sub_of(conn, &bought).await;
        let now = Utc::now();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move {
                    login_reports::open(&conn, 9801, sub.id, ReportReason::WrongPassword, Some("says wrong"), None, now)
                        .await
                })
            })
            .collect();
        let mut opened = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                OpenOutcome::Opened(_) => opened += 1,
                OpenOutcome::AlreadyOpen(_) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(opened, 1, "{}", db.backend);
        let alerts = count(&outbox_notices(conn, 1).await, |n| matches!(n, Notice::LoginReportAlert { .. }));
        assert_eq!(alerts, 1, "the owner is alerted once");
        let Some(Notice::LoginReportAlert { credential, note, paid_orders, .. }) =
            outbox_notices(conn, 1).await.into_iter().find(|n| matches!(n, Notice::LoginReportAlert { .. }))
        else {
            panic!("no alert")
        };
        assert_eq!((credential, note, paid_orders), (bought.credential.clone(), Some("says wrong".into()), 1));

        // Someone else's subscription, and an expired one, cannot be reported.
        customer(conn, 9802).await;
        let foreign = login_reports::open(conn, 9802, sub.id, ReportReason::Other, None, None, now).await.unwrap();
        assert_eq!(foreign, OpenOutcome::NotActive);
        let late = login_reports::open(conn, 9801, sub.id, ReportReason::Other, None, None, sub.ends_at).await.unwrap();
        assert_eq!(late, OpenOutcome::NotActive);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replace_takes_one_new_login_once_whoever_presses_and_retires_the_old_one() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9803).await;
        let bought = buy(conn, 9803, 199, 60, Utc::now()).await;
        let sub = sub_of(conn, &bought).await;
        let plan_id = sub.plan_id;
        let now = Utc::now();
        let OpenOutcome::Opened(report) =
            login_reports::open(conn, 9803, sub.id, ReportReason::ScreenLimit, None, None, now).await.unwrap()
        else {
            panic!("not opened")
        };
        // No login left: refused, the report stays open, nothing moved.
        let refused = login_reports::replace(conn, &staff(71), report.id, now).await.unwrap();
        assert!(matches!(refused, ReplaceOutcome::NoStock { .. }), "{refused:?}");
        assert_eq!(login_reports::find(conn, report.id).await.unwrap().unwrap().status, ReportStatus::Open);
        assert_eq!(sub_of(conn, &bought).await.stock_item_id, sub.stock_item_id);

        add_stock(conn, plan_id, "fresh-1@mail.test:a\nfresh-2@mail.test:b\nfresh-3@mail.test:c").await;
        let helpers = [staff(71), staff(72), Actor::new(73, Role::Support, Lang::En)];
        let tasks: Vec<_> = helpers
            .into_iter()
            .map(|who| {
                let conn = conn.clone();
                tokio::spawn(async move { login_reports::replace(&conn, &who, report.id, now).await })
            })
            .collect();
        let mut replaced = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                ReplaceOutcome::Replaced { stock_item_id, credential, .. } => {
                    replaced.push((stock_item_id, credential))
                }
                ReplaceOutcome::AlreadyClosed(ReportStatus::Replaced) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(replaced.len(), 1, "{}", db.backend);
        let (new_id, new_credential) = replaced.pop().unwrap();
        assert_eq!(catalog::available_stock(conn, plan_id).await.unwrap(), 2, "exactly one login taken");
        let after = sub_of(conn, &bought).await;
        assert_eq!((after.stock_item_id, after.ends_at), (new_id, sub.ends_at), "the same period");
        let old = stock(conn, sub.stock_item_id).await;
        assert_eq!(old.status, StockStatus::Retired);
        assert!(old.faulty_at.is_some(), "marked faulty");
        assert_eq!(stock(conn, new_id).await.status, StockStatus::Assigned);
        let told: Vec<String> = outbox_notices(conn, 9803)
            .await
            .into_iter()
            .filter_map(|n| match n {
                Notice::LoginReplaced { credential, .. } => Some(credential),
                _ => None,
            })
            .collect();
        assert_eq!(told, vec![new_credential]);
        let report = login_reports::find(conn, report.id).await.unwrap().unwrap();
        assert_eq!(
            (report.status, report.new_stock_item_id, report.open_key),
            (ReportStatus::Replaced, Some(new_id), None)
        );
        // A new report on the same subscription can be opened now.
        let again = login_reports::open(conn, 9803, sub.id, ReportReason::Other, None, None, now).await.unwrap();
        assert!(matches!(again, OpenOutcome::Opened(_)));
    }
}

#[tokio::test]
async fn helpers_reply_and_close_and_customers_cannot() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9804).await;
        let bought = buy(conn, 9804, 99, 30, Utc::now()).await;
        let sub = sub_of(conn, &bought).await;
        let now = Utc::now();
        let OpenOutcome::Opened(report) =
            login_reports::open(conn, 9804, sub.id, ReportReason::ExpiredEarly, None, Some("photo-1"), now)
                .await
                .unwrap()
        else {
            panic!()
        };
        let support = Actor::new(74, Role::Support, Lang::En);
        let customer_actor = Actor::new(9804, Role::User, Lang::En);
        assert!(matches!(
            login_reports::replace(conn, &customer_actor, report.id, now).await,
            Err(ActError::Forbidden { .. })
        ));
        assert!(matches!(
            login_reports::close(conn, &customer_actor, report.id, now).await,
            Err(ActError::Forbidden { .. })
        ));
        let sent = login_reports::reply(conn, &support, report.id, "Log out of all devices, then retry", now).await;
        assert_eq!(sent.unwrap(), AnswerOutcome::Sent { customer_telegram_id: 9804 });
        assert_eq!(
            login_reports::close(conn, &support, report.id, now).await.unwrap(),
            AnswerOutcome::Sent { customer_telegram_id: 9804 }
        );
        assert_eq!(
            login_reports::close(conn, &staff(75), report.id, now).await.unwrap(),
            AnswerOutcome::AlreadyClosed(ReportStatus::Resolved)
        );
        assert_eq!(
            login_reports::replace(conn, &staff(75), report.id, now).await.unwrap(),
            ReplaceOutcome::AlreadyClosed(ReportStatus::Resolved)
        );
        let notices = outbox_notices(conn, 9804).await;
        assert_eq!(
            count(&notices, |n| matches!(n, Notice::LoginReportReply { text, .. } if text.starts_with("Log out"))),
            1
        );
        assert_eq!(count(&notices, |n| matches!(n, Notice::LoginReportClosed { .. })), 1);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.is_in(["report.reply", "report.close"]))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(audited, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_report_past_the_sla_is_raised_to_the_admins_once() {
    for db in db::all().await {
        let conn = &db.conn;
        ottsonly::services::users::sync_staff_from_config(conn, &[1].into(), None, Utc::now()).await.unwrap();
        customer(conn, 9805).await;
        customer(conn, 9806).await;
        let start = Utc::now();
        let first = buy(conn, 9805, 99, 30, start).await;
        let second = buy(conn, 9806, 99, 30, start).await;
        let (a, b) = (sub_of(conn, &first).await, sub_of(conn, &second).await);
        login_reports::open(conn, 9805, a.id, ReportReason::WrongPassword, None, None, start).await.unwrap();
        let OpenOutcome::Opened(closed) =
            login_reports::open(conn, 9806, b.id, ReportReason::WrongPassword, None, None, start).await.unwrap()
        else {
            panic!()
        };
        login_reports::close(conn, &ADMIN, closed.id, start).await.unwrap();
        assert_eq!(login_reports::escalate_overdue(conn, start + Duration::hours(3)).await.unwrap(), 0);
        let at = start + Duration::hours(5);
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { login_reports::escalate_overdue(&conn, at).await })
            })
            .collect();
        let mut raised = 0;
        for run in runs {
            raised += run.await.unwrap().unwrap();
        }
        assert_eq!(raised, 1, "{}", db.backend);
        assert_eq!(login_reports::escalate_overdue(conn, at + Duration::hours(10)).await.unwrap(), 0);
        let overdue =
            count(&outbox_notices(conn, 1).await, |n| matches!(n, Notice::LoginReportAlert { overdue: true, .. }));
        assert_eq!(overdue, 1);
    }
}

#[tokio::test]
async fn a_rotated_login_reaches_its_holder_once() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9807).await;
        let bought = buy(conn, 9807, 149, 40, Utc::now()).await;
        let sub = sub_of(conn, &bought).await;
        let plan_id = sub.plan_id;
        add_stock(conn, plan_id, "spare@mail.test:x").await;
        let now = Utc::now();
        let support = Actor::new(76, Role::Support, Lang::En);
        assert!(matches!(
            stock::rotate(conn, &support, sub.stock_item_id, "a@b:c", now).await,
            Err(ActError::Forbidden { .. })
        ));
        let rotated = stock::rotate(conn, &ADMIN, sub.stock_item_id, "shared@mail.test:new-pass", now).await.unwrap();
        assert!(matches!(rotated, RotateOutcome::Rotated { told: 1, .. }), "{rotated:?}");
        assert_eq!(
            stock::rotate(conn, &ADMIN, sub.stock_item_id, "shared@mail.test:new-pass", now).await.unwrap(),
            RotateOutcome::Unchanged
        );
        assert_eq!(
            stock::rotate(conn, &ADMIN, sub.stock_item_id, "spare@mail.test:x", now).await.unwrap(),
            RotateOutcome::Duplicate
        );
        assert_eq!(stock::rotate(conn, &ADMIN, 999_999, "x:y", now).await.unwrap(), RotateOutcome::UnknownStock);
        // An unsold login rotates without telling anyone.
        let spare = stock_item::Entity::find()
            .filter(stock_item::Column::Credential.eq("spare@mail.test:x"))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        let quiet = stock::rotate(conn, &ADMIN, spare.id, "spare@mail.test:y", now).await.unwrap();
        assert!(matches!(quiet, RotateOutcome::Rotated { told: 0, .. }), "{quiet:?}");
        let told: Vec<String> = outbox_notices(conn, 9807)
            .await
            .into_iter()
            .filter_map(|n| match n {
                Notice::LoginChanged { credential, .. } => Some(credential),
                _ => None,
            })
            .collect();
        assert_eq!(told, vec!["shared@mail.test:new-pass".to_owned()]);
        assert_eq!(stock(conn, sub.stock_item_id).await.credential, "shared@mail.test:new-pass");
        let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("stock.rotate")).count(conn).await;
        assert_eq!(audited.unwrap(), 2);
    }
}
