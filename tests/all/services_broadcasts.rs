//! Broadcast services on both databases: who each audience reaches, what starting one
//! writes, the queue, pause / resume / cancel, permissions, and the sender's lease.
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::broadcast::{Audience, Content};
use ottsonly::domain::Lang;
use ottsonly::entities::broadcast::BroadcastStatus;
use ottsonly::entities::broadcast_recipient::{self, RecipientStatus};
use ottsonly::entities::subscription;
use ottsonly::entities::user::{self, Role};
use ottsonly::services::broadcasts::delivery::{self, Hold, Outcome};
use ottsonly::services::broadcasts::{self, ControlOutcome, Draft, StartOutcome};
use ottsonly::services::outbox::Notice;
use ottsonly::services::{users, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{buy, customer, outbox_notices, ADMIN};

fn draft(audience: Audience) -> Draft {
    Draft { content: Content { text: "<b>Offer</b>".into(), photo_file_id: None, button: None }, audience }
}

async fn started(conn: &DatabaseConnection, audience: Audience) -> ottsonly::entities::broadcast::Model {
    match broadcasts::start(conn, &ADMIN, &draft(audience), Utc::now()).await.unwrap() {
        StartOutcome::Queued { broadcast, .. } => *broadcast,
        StartOutcome::NobodyToSend => panic!("nobody in {audience}"),
    }
}

#[tokio::test]
async fn each_audience_reaches_whom_it_says() {
    for db in db::all().await {
        let now = Utc::now();
        let c = &db.conn;
        // 1: active subscriber; 2: expired 10 days ago; 3: expired 60 days ago; 4: never
        // bought, Hindi; 5: opted out; 6: blocked by the shop; 7: blocked the bot.
        for id in 1001..=1007 {
            customer(c, id).await;
        }
        buy(c, 1001, 100, 50, now).await;
        for (id, ended) in [(1002, 10), (1003, 60)] {
            buy(c, id, 100, 50, now - Duration::days(ended + 30)).await;
            let user = users::find_by_telegram_id(c, id).await.unwrap().unwrap();
            subscription::Entity::update_many()
                .col_expr(subscription::Column::EndsAt, Expr::value(now - Duration::days(ended)))
                .filter(subscription::Column::UserId.eq(user.id))
                .exec(c)
                .await
                .unwrap();
        }
        users::set_language(c, 1004, Lang::Hi).await.unwrap();
        users::set_wants_offers(c, 1005, false).await.unwrap();
        for (id, column) in [(1006, user::Column::IsBlocked), (1007, user::Column::UnreachableAt)] {
            let value = if id == 1006 { Expr::value(true) } else { Expr::value(now) };
            user::Entity::update_many()
                .col_expr(column, value)
                .filter(user::Column::TelegramId.eq(id))
                .exec(c)
                .await
                .unwrap();
        }
        let reach = |audience| async move {
            let rows = match broadcasts::start(c, &ADMIN, &draft(audience), now).await.unwrap() {
                StartOutcome::Queued { broadcast, .. } => broadcast_recipient::Entity::find()
                    .filter(broadcast_recipient::Column::BroadcastId.eq(broadcast.id))
                    .all(c)
                    .await
                    .unwrap(),
                StartOutcome::NobodyToSend => Vec::new(),
            };
            let mut ids: Vec<i64> = rows.into_iter().map(|r| r.chat_id).collect();
            ids.sort_unstable();
            assert_eq!(broadcasts::audience_size(c, &ADMIN, audience, now).await.unwrap(), ids.len() as u64);
            ids
        };
        assert_eq!(reach(Audience::Everyone).await, [1001, 1002, 1003, 1004], "{}", db.backend);
        assert_eq!(reach(Audience::Active).await, [1001]);
        assert_eq!(reach(Audience::Expired { days: 30 }).await, [1002]);
        assert_eq!(reach(Audience::Expired { days: 90 }).await, [1002, 1003]);
        assert_eq!(reach(Audience::NeverBought).await, [1004]);
        assert_eq!(reach(Audience::Language(Lang::Hi)).await, [1004]);
        assert_eq!(reach(Audience::Language(Lang::En)).await, [1001, 1002, 1003]);
    }
}

#[tokio::test]
async fn broadcasts_queue_and_are_paused_resumed_and_cancelled() {
    for db in db::all().await {
        let c = &db.conn;
        let now = Utc::now();
        users::sync_staff_from_config(c, &[ADMIN.telegram_id].into(), None, now).await.unwrap();
        for id in 2001..=2003 {
            customer(c, id).await;
        }
        let first = started(c, Audience::Everyone).await;
        assert_eq!(first.total, 4, "three customers and the owner");
        let StartOutcome::Queued { broadcast: second, ahead } =
            broadcasts::start(c, &ADMIN, &draft(Audience::Everyone), now).await.unwrap()
        else {
            panic!("queued");
        };
        assert_eq!(ahead, 1);

        // One at a time: the oldest starts, the other waits.
        let current = delivery::current(c, now).await.unwrap().unwrap();
        assert_eq!((current.id, current.status), (first.id, BroadcastStatus::Running));
        assert_eq!(delivery::current(c, now).await.unwrap().unwrap().id, first.id);

        let paused = broadcasts::pause(c, &ADMIN, first.id, now).await.unwrap();
        assert!(matches!(paused, ControlOutcome::Done(ref b) if b.status == BroadcastStatus::Paused), "{paused:?}");
        assert!(matches!(broadcasts::pause(c, &ADMIN, first.id, now).await.unwrap(), ControlOutcome::NotNow(_)));
        // Paused, it is still the current one: the queue waits behind it, and nobody is sent.
        assert_eq!(delivery::current(c, now).await.unwrap().unwrap().id, first.id);
        let due = delivery::due(c, first.id, 10, Utc::now()).await.unwrap();
        assert!(!delivery::advance(c, None, Some(&due[0]), now).await.unwrap(), "nothing is sent while paused");

        assert!(matches!(broadcasts::resume(c, &ADMIN, first.id, now).await.unwrap(), ControlOutcome::Done(_)));
        let resumed = delivery::current(c, now).await.unwrap().unwrap();
        assert_eq!((resumed.id, resumed.status), (first.id, BroadcastStatus::Running));
        assert_eq!(resumed.started_at, current.started_at, "it keeps its start");

        // Send one, then cancel: the rest are skipped and the creator gets the report once.
        assert!(delivery::advance(c, None, Some(&due[0]), now).await.unwrap());
        delivery::advance(c, Some((&due[0], Outcome::Sent)), None, now).await.unwrap();
        assert!(matches!(broadcasts::cancel(c, &ADMIN, first.id, now).await.unwrap(), ControlOutcome::Done(_)));
        assert!(matches!(broadcasts::cancel(c, &ADMIN, first.id, now).await.unwrap(), ControlOutcome::NotNow(_)));
        let overview = broadcasts::get(c, &ADMIN, first.id).await.unwrap().unwrap();
        assert_eq!((overview.progress.sent, overview.progress.skipped, overview.progress.remaining()), (1, 3, 0));
        let reports: Vec<Notice> = outbox_notices(c, ADMIN.telegram_id)
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::BroadcastFinished { .. }))
            .collect();
        assert_eq!(
            reports,
            [Notice::BroadcastFinished {
                broadcast_id: first.id,
                cancelled: true,
                total: 4,
                sent: 1,
                failed: 0,
                blocked: 0,
                unknown: 0,
                skipped: 3
            }]
        );
        // Now the second one starts.
        assert_eq!(delivery::current(c, now).await.unwrap().unwrap().id, second.id);
    }
}

#[tokio::test]
async fn support_may_not_broadcast() {
    for db in db::all().await {
        let c = &db.conn;
        customer(c, 3001).await;
        let support = Actor::new(3002, Role::Support, Lang::En);
        let refused = broadcasts::start(c, &support, &draft(Audience::Everyone), Utc::now()).await;
        assert!(matches!(refused, Err(ActError::Forbidden { .. })), "{refused:?}");
        assert!(broadcasts::audience_size(c, &support, Audience::Everyone, Utc::now()).await.is_err());
        assert_eq!(broadcast_recipient::Entity::find().count(c).await.unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_sender_holds_the_lease_and_a_new_holder_never_resends_what_was_in_flight() {
    for db in db::all().await {
        let c = &db.conn;
        let now = Utc::now();
        for id in 4001..=4003 {
            customer(c, id).await;
        }
        let b = started(c, Audience::Everyone).await;
        delivery::current(c, now).await.unwrap();
        // Five instances ask at once: one holds it.
        let ttl = Duration::seconds(15);
        let asks = (0..5).map(|i| {
            let c = c.clone();
            tokio::spawn(async move { delivery::hold(&c, &format!("i{i}"), false, ttl, now).await.unwrap() })
        });
        let holds: Vec<Hold> = futures::future::join_all(asks).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(holds.iter().filter(|h| **h == Hold::Taken).count(), 1, "{holds:?}");
        let holder = format!("i{}", holds.iter().position(|h| *h == Hold::Taken).unwrap());

        // The holder hands one message to Telegram, then dies.
        let due = delivery::due(c, b.id, 10, Utc::now()).await.unwrap();
        assert!(delivery::advance(c, None, Some(&due[0]), now).await.unwrap());
        assert_eq!(delivery::hold(c, "late", false, ttl, now).await.unwrap(), Hold::HeldElsewhere);
        assert_eq!(delivery::hold(c, &holder, true, ttl, now).await.unwrap(), Hold::Renewed);
        // Once the lease runs out, another takes it and marks that one unknown: never again.
        let later = Utc::now() + Duration::seconds(16);
        assert_eq!(delivery::hold(c, "next", false, ttl, later).await.unwrap(), Hold::Taken);
        let row = broadcast_recipient::Entity::find_by_id(due[0].id).one(c).await.unwrap().unwrap();
        assert_eq!(row.status, RecipientStatus::Unknown);
        let again = delivery::due(c, b.id, 10, later).await.unwrap();
        assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), [due[1].id, due[2].id]);

        // 403 marks the customer unreachable; other errors are retried, then given up.
        assert!(delivery::advance(c, None, Some(&again[0]), later).await.unwrap());
        delivery::advance(c, Some((&again[0], Outcome::Blocked("blocked".into()))), None, later).await.unwrap();
        let blocked = users::find_by_telegram_id(c, again[0].chat_id).await.unwrap().unwrap();
        assert!(blocked.unreachable_at.is_some());
        let mut r = again[1].clone();
        for attempt in 1..=3 {
            assert!(delivery::advance(c, None, Some(&r), later).await.unwrap(), "attempt {attempt}");
            delivery::advance(c, Some((&r, Outcome::Retry("timeout".into()))), None, later).await.unwrap();
            r = broadcast_recipient::Entity::find_by_id(r.id).one(c).await.unwrap().unwrap();
        }
        assert_eq!((r.status, r.attempts), (RecipientStatus::Failed, 3));
        let done = delivery::finish_if_complete(c, &b, later).await.unwrap().expect("finished");
        assert_eq!(done.0.status, BroadcastStatus::Done);
        assert_eq!((done.1.unknown, done.1.blocked, done.1.failed, done.1.sent), (1, 1, 1, 0));
        assert!(delivery::finish_if_complete(c, &b, later).await.unwrap().is_none(), "only once");
    }
}
