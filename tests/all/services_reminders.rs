//! Expiry reminders with a controlled clock: 3 days, 1 day and the day it ends, each exactly
//! once per period across repeated and concurrent job runs; a renewed period stops the old
//! period's reminders; a refunded subscription gets none.
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use ottsonly::entities::subscription;
use ottsonly::services::outbox::Notice;
use ottsonly::services::reminders;

use crate::support::db;
use crate::support::fixtures::{buy, customer, outbox_notices};

const DAYS: [u32; 2] = [3, 1];

fn reminders_of(notices: &[Notice]) -> Vec<Option<u32>> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::ExpiryReminder { days_left, .. } => Some(*days_left),
            _ => None,
        })
        .collect()
}

async fn subscription_of(conn: &DatabaseConnection, order_id: i32) -> subscription::Model {
    subscription::Entity::find().filter(subscription::Column::OrderId.eq(order_id)).one(conn).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_reminder_goes_out_once_per_period_however_often_the_job_runs() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9401).await;
        let bought = Utc::now() - Duration::days(40);
        let delivery = buy(conn, 9401, 149, 40, bought).await;
        let end = subscription_of(conn, delivery.order_id).await.ends_at;

        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::days(5)).await.unwrap(), 0);
        // Four instances run the job at the same moment, three days before the end.
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let conn = conn.clone();
                tokio::spawn(async move { reminders::send_due(&conn, &DAYS, end - Duration::days(3)).await })
            })
            .collect();
        let mut queued = 0;
        for run in runs {
            queued += run.await.unwrap().unwrap();
        }
        assert_eq!(queued, 1, "{}", db.backend);
        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::hours(30)).await.unwrap(), 0);
        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::hours(20)).await.unwrap(), 1);
        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::hours(2)).await.unwrap(), 0);
        assert_eq!(reminders::send_due(conn, &DAYS, end + Duration::hours(1)).await.unwrap(), 1);
        assert_eq!(reminders::send_due(conn, &DAYS, end + Duration::hours(5)).await.unwrap(), 0);
        assert_eq!(reminders::send_due(conn, &DAYS, end + Duration::days(2)).await.unwrap(), 0);
        assert_eq!(reminders_of(&outbox_notices(conn, 9401).await), vec![Some(3), Some(1), None]);
    }
}

#[tokio::test]
async fn a_renewed_period_stops_the_old_reminders_and_a_refunded_one_gets_none() {
    for db in db::all().await {
        let conn = &db.conn;
        customer(conn, 9402).await;
        customer(conn, 9403).await;
        let bought = Utc::now() - Duration::days(40);
        let renewed = buy(conn, 9402, 149, 40, bought).await;
        let refunded = buy(conn, 9403, 149, 40, bought).await;
        let sub = subscription_of(conn, renewed.order_id).await;
        let end = sub.ends_at;
        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::days(3)).await.unwrap(), 2);

        // The period moves 30 days on (as a renewal does); the old 1-day and day-of reminders
        // no longer come, the new period's do.
        subscription::Entity::update_many()
            .col_expr(subscription::Column::EndsAt, Expr::value(end + Duration::days(30)))
            .filter(subscription::Column::Id.eq(sub.id))
            .exec(conn)
            .await
            .unwrap();
        let refunded_sub = subscription_of(conn, refunded.order_id).await;
        subscription::Entity::update_many()
            .col_expr(subscription::Column::Status, Expr::value(subscription::SubscriptionStatus::Cancelled))
            .filter(subscription::Column::Id.eq(refunded_sub.id))
            .exec(conn)
            .await
            .unwrap();
        assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::hours(20)).await.unwrap(), 0);
        assert_eq!(reminders::send_due(conn, &DAYS, end + Duration::hours(1)).await.unwrap(), 0);
        let new_end = end + Duration::days(30);
        assert_eq!(reminders::send_due(conn, &DAYS, new_end - Duration::hours(20)).await.unwrap(), 1);
        assert_eq!(reminders_of(&outbox_notices(conn, 9402).await), vec![Some(3), Some(1)]);
        assert_eq!(reminders_of(&outbox_notices(conn, 9403).await), vec![Some(3)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_reach_the_chat_in_the_customers_language() {
    use crate::support::bot_harness::RunningBot;
    use crate::support::chat::Chat;
    use crate::support::fake_telegram::FakeTelegram;

    let db = db::TestDb::sqlite().await;
    let conn = &db.conn;
    let fake = FakeTelegram::start().await;
    let bot = RunningBot::start(&fake, conn.clone()).await;
    customer(conn, 9404).await;
    customer(conn, 9405).await;
    ottsonly::services::users::set_language(conn, 9405, ottsonly::domain::Lang::Hi).await.unwrap();
    let mut english = Chat::new(&fake, 9404, "Ravi");
    let mut hindi = Chat::new(&fake, 9405, "Sita");
    let bought = Utc::now() - Duration::days(28);
    let first = buy(conn, 9404, 149, 40, bought).await;
    buy(conn, 9405, 149, 40, bought).await;
    let end = subscription_of(conn, first.order_id).await.ends_at;
    assert_eq!(reminders::send_due(conn, &DAYS, end - Duration::hours(60)).await.unwrap(), 2);
    let reminder = english.reply_containing("ends in 3 day(s)").await;
    assert!(reminder.button("📺 My subscriptions").is_some(), "{:?}", reminder.buttons());
    english.press(&reminder, "📺 My subscriptions").await;
    english.reply_containing("<b>My subscriptions</b>").await;
    hindi.reply_containing("3 दिन में").await;
    bot.stop().await;
    fake.assert_nothing_refused();
}
