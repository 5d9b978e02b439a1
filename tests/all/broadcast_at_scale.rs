//! A broadcast to 10,000 customers through the real binary, against a fake Bot API that
//! enforces Telegram's limits (30 a second overall, 1 a second per chat, with 429s) on a clock
//! run TELEGRAM_RATE_SCALE (2) times faster, so the run takes three and a half minutes
//! instead of seven. The first send gets a 429, three customers have blocked the bot, and the
//! binary is killed (SIGKILL) halfway, with a send in flight, then started again.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use ottsonly::domain::broadcast::{Audience, Button, Content};
use ottsonly::domain::Lang;
use ottsonly::entities::broadcast::{self, BroadcastStatus};
use ottsonly::entities::broadcast_recipient::{self, RecipientStatus};
use ottsonly::entities::user::{self, Role};
use ottsonly::services::broadcasts::{self, Draft, StartOutcome};
use ottsonly::services::{users, Actor};

use crate::support::binary::{self, free_port};
use crate::support::db::{self, TestDb};
use crate::support::fake_telegram::{Failure, FakeTelegram, Limits, SentMessage};

const CUSTOMERS: i64 = 10_000;
const FIRST_ID: i64 = 6_000_000;
const OWNER: i64 = 5_999_999;
/// The fake's clock and our rates, both this many times faster.
const SCALE: u32 = 2;
/// broadcast.rate_per_sec's default, scaled.
const RATE: f64 = 25.0 * SCALE as f64;
const BLOCKED: [i64; 3] = [FIRST_ID + 17, FIRST_ID + 4_000, FIRST_ID + 9_999];
const TEXT: &str = "<b>Diwali sale</b>: 20% off every plan &amp; a free week";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_on_sqlite() {
    broadcast_with_a_crash(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_on_postgres() {
    let Some(url) = db::postgres_url() else {
        eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped");
        return;
    };
    broadcast_with_a_crash(TestDb::postgres(&url).await).await;
}

async fn broadcast_with_a_crash(db: TestDb) {
    let fake = FakeTelegram::start().await;
    fake.enforce_limits(Limits::telegram(SCALE));
    add_customers(&db.conn).await;
    for chat in BLOCKED {
        fake.fail_sends_to(chat, &[Failure::Blocked]);
    }
    fake.fail_sends_to(FIRST_ID, &[Failure::TooManyRequests(1)]);
    let env = [("TELEGRAM_RATE_SCALE", SCALE.to_string())];
    let mut first = binary::start(&fake, &db.url, &format!("127.0.0.1:{}", free_port()), OWNER, &env).await;
    // The owner is a customer too but turned offers off: only the 10,000 get it.
    users::set_wants_offers(&db.conn, OWNER, false).await.expect("owner opts out");

    let owner = Actor::new(OWNER, Role::Owner, Lang::En);
    let button = Button::new("See plans", "https://t.me/ottsonly_test_bot").expect("button");
    let content = Content { text: TEXT.into(), photo_file_id: None, button: Some(button) };
    let draft = Draft { content, audience: Audience::Everyone };
    let StartOutcome::Queued { broadcast: started, ahead: 0 } =
        broadcasts::start(&db.conn, &owner, &draft, Utc::now()).await.expect("start")
    else {
        panic!("the broadcast did not start at once");
    };
    assert_eq!(started.total, CUSTOMERS as i32);

    // Halfway, a send is delivered and never answered; the process dies waiting for it.
    fake.stall_send(CUSTOMERS as usize / 2);
    fake.wait_stalled(Duration::from_secs(300)).await;
    let killed_at = Instant::now();
    first.start_kill().expect("kill");
    first.wait().await.expect("killed");
    let in_flight = recipients_in(&db.conn, started.id, RecipientStatus::Sending).await;
    assert_eq!(in_flight, 1, "the send in flight is left marked as being sent");

    let mut second = binary::start(&fake, &db.url, &format!("127.0.0.1:{}", free_port()), OWNER, &env).await;
    let report = format!("Broadcast #{} finished", started.id);
    fake.wait_sent("the final report", Duration::from_secs(300), |sent| {
        sent.iter().any(|m| m.chat_id == OWNER && m.text.contains(&report))
    })
    .await;
    second.start_kill().expect("stop");
    let _ = second.wait().await;

    // Everyone got it exactly once, but those who blocked the bot.
    let broadcast_messages: Vec<SentMessage> =
        fake.sent_to_all().into_iter().filter(|m| m.text == TEXT && !m.edit).collect();
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for m in &broadcast_messages {
        *per_chat.entry(m.chat_id).or_default() += 1;
    }
    for chat in FIRST_ID..FIRST_ID + CUSTOMERS {
        let expected = usize::from(!BLOCKED.contains(&chat));
        assert_eq!(per_chat.get(&chat).copied().unwrap_or(0), expected, "messages to {chat}");
    }
    assert_eq!(per_chat.len(), CUSTOMERS as usize - BLOCKED.len());
    assert!(broadcast_messages
        .iter()
        .all(|m| m.buttons() == [("See plans".into(), "https://t.me/ottsonly_test_bot".into())]));

    // The first 429 paused everything: Telegram never had to say it again.
    let too_many = fake.too_many_requests();

    // The rate held on both sides of the crash (the 429's pause and the restart left out).
    let (before, after): (Vec<&SentMessage>, Vec<&SentMessage>) =
        broadcast_messages.iter().partition(|m| m.at < killed_at);
    let pause_over = too_many[0].1 + Duration::from_secs(1);
    let before: Vec<&SentMessage> = before.into_iter().filter(|m| m.at > pause_over).collect();
    for (part, messages) in [("before the crash", before), ("after the restart", after)] {
        let (first, last) = (messages.first().expect(part).at, messages.last().expect(part).at);
        let rate = (messages.len() - 1) as f64 / last.duration_since(first).as_secs_f64();
        eprintln!("{} {part}: {} messages at {rate:.1} a second", db.backend, messages.len());
        assert!(rate >= 0.95 * RATE, "{part}: {rate:.1} messages a second, configured {RATE}");
        assert!(rate <= 1.05 * RATE, "{part}: {rate:.1} messages a second, over the configured {RATE}");
    }

    assert_eq!(too_many.len(), 1, "429s: {too_many:?}");

    // The books: blocked customers marked unreachable and left out from now on.
    let row = broadcast::Entity::find_by_id(started.id).one(&db.conn).await.unwrap().unwrap();
    assert_eq!(row.status, BroadcastStatus::Done);
    assert_eq!(recipients_in(&db.conn, started.id, RecipientStatus::Sent).await, CUSTOMERS as u64 - 4);
    assert_eq!(recipients_in(&db.conn, started.id, RecipientStatus::Unknown).await, 1);
    assert_eq!(recipients_in(&db.conn, started.id, RecipientStatus::Blocked).await, 3);
    let unreachable =
        user::Entity::find().filter(user::Column::UnreachableAt.is_not_null()).all(&db.conn).await.unwrap();
    let mut marked: Vec<i64> = unreachable.iter().map(|u| u.telegram_id).collect();
    marked.sort_unstable();
    assert_eq!(marked, BLOCKED);
    let next_time = broadcasts::audience_size(&db.conn, &owner, Audience::Everyone, Utc::now()).await.unwrap();
    assert_eq!(next_time, CUSTOMERS as u64 - 3);
    let heading = format!("Broadcast #{} finished", started.id);
    let report = fake.sent_to(OWNER).into_iter().find(|m| m.text.contains(&heading)).expect("report");
    assert!(report.text.contains(&format!("Sent: {} of {CUSTOMERS}", CUSTOMERS - 4)), "{}", report.text);
    assert!(report.text.contains("Blocked the bot: 3"), "{}", report.text);
    assert!(report.text.contains("restarted: 1"), "{}", report.text);
}

async fn add_customers(conn: &DatabaseConnection) {
    let now = Utc::now();
    let rows: Vec<user::ActiveModel> = (0..CUSTOMERS)
        .map(|i| user::ActiveModel {
            telegram_id: Set(FIRST_ID + i),
            username: Set(None),
            first_name: Set(format!("Customer {i}")),
            last_name: Set(None),
            language_code: Set(Some("en".into())),
            referral_code: Set(format!("R{i:07}")),
            referred_by: Set(None),
            role: Set(Role::User),
            is_blocked: Set(false),
            balance: Set(0),
            created_at: Set(now),
            language: Set("en".into()),
            unreachable_at: Set(None),
            wants_offers: Set(true),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        user::Entity::insert_many(chunk.to_vec()).exec(conn).await.expect("customers");
    }
}

async fn recipients_in(conn: &DatabaseConnection, id: i32, status: RecipientStatus) -> u64 {
    broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(id))
        .filter(broadcast_recipient::Column::Status.eq(status))
        .count(conn)
        .await
        .unwrap()
}
