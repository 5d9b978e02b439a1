//! In chat, each role may use exactly the staff commands the permission matrix gives it: every
//! staff command, sent bare (it shows a list or its usage; nothing changes), by support, an
//! admin and an owner, is refused exactly when the role lacks the command's permission.
use chrono::Utc;

use ottsonly::bot::commands;
use ottsonly::domain::permission::allows;
use ottsonly::domain::Lang;
use ottsonly::entities::user::Role;
use ottsonly::services::{staff, Actor};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::customer;

const REFUSED: &str = "for shop admins only";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_use_the_commands_its_permissions_give() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        customer(conn, 8801).await;
        customer(conn, 8802).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let owner = Actor::new(ADMIN_ID, Role::Owner, Lang::En);
        let mut chats: Vec<Chat> = [8801, 8802, ADMIN_ID].into_iter().map(|id| Chat::new(&fake, id, "Staff")).collect();
        staff::set_role(conn, &owner, 8801, Role::Support, Utc::now()).await.unwrap();
        staff::set_role(conn, &owner, 8802, Role::Admin, Utc::now()).await.unwrap();
        let customer_commands: Vec<String> =
            commands::for_role(Role::User, Lang::En).into_iter().map(|c| c.command).collect();
        let staff_commands: Vec<String> = commands::for_role(Role::Owner, Lang::En)
            .into_iter()
            .map(|c| c.command)
            .filter(|c| !customer_commands.contains(c))
            .collect();
        assert!(staff_commands.len() > 15, "{staff_commands:?}");
        for (chat, role) in chats.iter_mut().zip([Role::Support, Role::Admin, Role::Owner]) {
            if role != Role::Owner {
                // The outbox tells them of their new role; read it first so replies line up.
                chat.reply_containing("You are now").await;
            }
            chat.say("/start");
            chat.reply_containing("Welcome").await;
            for command in &staff_commands {
                let needs = commands::permission_of(command).flatten().expect("a staff command needs a permission");
                chat.say(&format!("/{command}"));
                let answer = chat.reply().await;
                let refused = answer.text.contains(REFUSED);
                assert_eq!(refused, !allows(role, needs), "{role:?} /{command} ({needs:?}): {}", answer.text);
                if command == "addplan" && !refused {
                    // It asked for the price: leave the dialogue.
                    chat.say("/cancel");
                    chat.reply_containing("Cancelled").await;
                }
                // Drain the rest of a multi-message answer (a chart after the figures).
                if command == "stats" && !refused {
                    chat.reply().await;
                }
            }
        }
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
