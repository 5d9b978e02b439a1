//! /broadcast in chat, as an admin uses it: compose, preview, audience, confirm; the progress
//! message with Pause, Resume and Stop; the final report; and who is left out.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use ottsonly::entities::broadcast::{self, BroadcastStatus};
use ottsonly::entities::broadcast_recipient::{self, RecipientStatus};
use ottsonly::services::users;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;

const LINK: &str = "https://t.me/ottsonly_test_bot";

async fn signed_up(fake: &FakeTelegram, id: i64, name: &str) -> Chat {
    let mut chat = Chat::new(fake, id, name);
    chat.say("/start");
    chat.reply().await;
    chat
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_broadcasts_to_everyone_who_wants_offers() {
    for db in db::all().await {
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, db.conn.clone()).await;
        let mut asha = signed_up(&fake, 8101, "Asha").await;
        let mut ravi = signed_up(&fake, 8102, "Ravi").await;
        let quiet = signed_up(&fake, 8103, "Quiet").await;
        users::set_wants_offers(&db.conn, 8103, false).await.unwrap();

        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        admin.say("/broadcast");
        admin.reply_containing("Send me the message").await;
        admin.say("Diwali sale <today> & tomorrow");
        let ask = admin.reply_containing("link button").await;
        assert!(ask.button("No button").is_some(), "{:?}", ask.buttons());
        admin.say("no bar here");
        admin.reply_containing("Label | https://link").await;
        admin.say(&format!("See plans | {LINK}"));
        // The preview is the message itself, as customers get it.
        let preview = admin.reply().await;
        assert_eq!(preview.text, "Diwali sale &lt;today&gt; &amp; tomorrow");
        assert_eq!(preview.buttons(), [("See plans".to_owned(), LINK.to_owned())]);
        let audiences = admin.reply_containing("Who should get it?").await;
        // Asha, Ravi and the owner; Quiet turned offers off.
        let everyone = audiences.button("Everyone (3)").unwrap_or_else(|| panic!("{:?}", audiences.buttons()));
        admin.press_data(&audiences, &everyone).await;
        let confirm = admin.reply_containing("Send this broadcast?").await;
        assert!(confirm.text.contains("Customers: <b>3</b>"), "{}", confirm.text);
        admin.press(&confirm, "Send to 3").await;
        admin.reply_containing("is on its way to 3 customers").await;
        admin.reply_containing("Broadcast #1 finished").await;

        for chat in [&mut asha, &mut ravi] {
            let got = chat.reply_containing("Diwali sale").await;
            assert_eq!(got.buttons(), [("See plans".to_owned(), LINK.to_owned())]);
        }
        assert!(quiet.fake.sent_to(8103).iter().all(|m| !m.text.contains("Diwali")), "opted out");
        let sent = broadcast_recipient::Entity::find()
            .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Sent))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(sent.len(), 3);
        let progress = fake.sent_to(ADMIN_ID).into_iter().rev().find(|m| m.text.contains("📣 <b>Broadcast #1</b>"));
        let progress = progress.expect("a progress message");
        assert!(progress.text.contains("finished") && progress.text.contains("Sent: 3"), "{}", progress.text);
        assert!(progress.buttons().is_empty(), "no buttons once it is over");

        // Discarding a draft sends nothing.
        admin.say("/broadcast");
        let ask = admin.reply_containing("Send me the message").await;
        admin.press(&ask, "Discard").await;
        admin.reply_containing("Nothing was sent").await;
        admin.say("hello?");
        admin.reply().await;
        assert_eq!(broadcast::Entity::find().all(&db.conn).await.unwrap().len(), 1);

        // Customers are refused the command.
        asha.say("/broadcast");
        asha.reply_containing("admin").await;

        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_is_paused_resumed_and_stopped_from_its_progress_message() {
    for db in db::all().await {
        let fake = FakeTelegram::start().await;
        // One message a second (a burst of two): slow enough to press buttons meanwhile.
        let bot = RunningBot::start_with(&fake, db.conn.clone(), |c| c.send_limits.broadcast_per_second = 1).await;
        for (id, name) in [(8201, "A"), (8202, "B"), (8203, "C"), (8204, "D"), (8205, "E")] {
            signed_up(&fake, id, name).await;
        }
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let id = start_broadcast(&mut admin, "Weekend offer").await;

        let progress = admin.reply_containing(&format!("📣 <b>Broadcast #{id}</b>")).await;
        admin.press(&progress, "Pause").await;
        admin.reply_containing(&format!("Broadcast #{id} is paused")).await;
        let row = broadcast::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap();
        assert_eq!(row.status, BroadcastStatus::Paused);
        // The progress message shows it, with Resume instead of Pause.
        let paused = admin.reply_containing("paused\nTo:").await;
        assert!(paused.button("Resume").is_some() && paused.button("Pause").is_none(), "{:?}", paused.buttons());
        assert!(pending(&db.conn, id).await > 0, "it was paused before the end");
        // Pressing Pause again says so, and changes nothing.
        admin.press(&progress, "Pause").await;
        admin.reply_containing("nothing to pause").await;

        admin.press(&paused, "Resume").await;
        admin.reply_containing("goes on where it stopped").await;
        admin.reply_containing(&format!("Broadcast #{id} finished")).await;
        assert_eq!(pending(&db.conn, id).await, 0);

        // Stop asks first, then ends it: those not reached are skipped, and the report says so.
        let second = start_broadcast(&mut admin, "Last call").await;
        let progress = admin.reply_containing(&format!("📣 <b>Broadcast #{second}</b>")).await;
        admin.press(&progress, "Stop").await;
        let ask = admin.reply_containing("for good?").await;
        admin.press(&ask, "Yes, stop it").await;
        admin.reply_containing(&format!("Broadcast #{second} is stopped")).await;
        let report = admin.reply_containing(&format!("Broadcast #{second} was stopped")).await;
        assert!(report.text.contains("Not sent because it was stopped"), "{}", report.text);
        let row = broadcast::Entity::find_by_id(second).one(&db.conn).await.unwrap().unwrap();
        assert_eq!(row.status, BroadcastStatus::Cancelled);
        let skipped = broadcast_recipient::Entity::find()
            .filter(broadcast_recipient::Column::BroadcastId.eq(second))
            .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Skipped))
            .all(&db.conn)
            .await
            .unwrap();
        assert!(!skipped.is_empty());
        // Nobody got the stopped one after the stop.
        let stopped_at = row.finished_at.unwrap();
        let late = broadcast_recipient::Entity::find()
            .filter(broadcast_recipient::Column::BroadcastId.eq(second))
            .filter(broadcast_recipient::Column::SentAt.gt(stopped_at))
            .all(&db.conn)
            .await
            .unwrap();
        assert!(late.is_empty(), "{late:?}");

        bot.stop().await;
        fake.assert_nothing_refused();
    }
}

/// Composes and sends a text broadcast to everyone; returns its id.
async fn start_broadcast(admin: &mut Chat, text: &str) -> i32 {
    admin.say("/broadcast");
    admin.reply_containing("Send me the message").await;
    admin.say(text);
    let ask = admin.reply_containing("link button").await;
    admin.press(&ask, "No button").await;
    admin.reply_containing(text).await;
    let audiences = admin.reply_containing("Who should get it?").await;
    admin.press(&audiences, "Everyone").await;
    let confirm = admin.reply_containing("Send this broadcast?").await;
    admin.press(&confirm, "Send to").await;
    let started = admin.reply_containing("is on its way").await;
    let id = started.text.split('#').nth(1).and_then(|t| t.split_whitespace().next()).expect("an id");
    id.parse().expect("a number")
}

async fn pending(conn: &sea_orm::DatabaseConnection, id: i32) -> usize {
    broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(id))
        .filter(broadcast_recipient::Column::Status.eq(RecipientStatus::Pending))
        .all(conn)
        .await
        .unwrap()
        .len()
}
