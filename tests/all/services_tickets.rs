//! Support tickets on both databases: a customer's messages go into one open ticket (however
//! many arrive at once), are stored and relayed to support (the support chat when set);
//! replies are stored and relayed back; either side closes it once; the next message opens a
//! new ticket.
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::Lang;
use ottsonly::entities::support_message;
use ottsonly::entities::support_ticket::{self, TicketStatus};
use ottsonly::entities::user::Role;
use ottsonly::services::outbox::Notice;
use ottsonly::services::tickets::{self, Answered, Said};
use ottsonly::services::{staff as team, users, ActError, Actor};

use crate::support::db;
use crate::support::fixtures::{customer, outbox_notices, ADMIN};

fn said(text: &str) -> Said {
    Said::new(Some(text), None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_go_into_one_open_ticket_and_reach_every_helper() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        users::sync_staff_from_config(conn, &[1].into(), None, now).await.unwrap();
        customer(conn, 9902).await;
        team::set_role(conn, &ADMIN, 9902, Role::Support, now).await.unwrap();
        customer(conn, 9901).await;
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let conn = conn.clone();
                tokio::spawn(
                    async move { tickets::customer_says(&conn, 9901, &said(&format!("hello {i}")), now).await },
                )
            })
            .collect();
        let mut new = 0;
        let mut ids = Vec::new();
        for task in tasks {
            let sent = task.await.unwrap().unwrap().unwrap();
            new += usize::from(sent.new);
            ids.push(sent.ticket.id);
        }
        ids.dedup();
        assert_eq!((new, ids.len()), (1, 1), "{}", db.backend);
        assert_eq!(support_message::Entity::find().count(conn).await.unwrap(), 6, "every message is stored");
        for helper in [1, 9902] {
            let relayed = outbox_notices(conn, helper)
                .await
                .into_iter()
                .filter(|n| matches!(n, Notice::TicketMessage { .. }))
                .count();
            assert_eq!(relayed, 6, "helper {helper}");
        }
        // A photo without text is a message too; nothing at all is not.
        assert!(Said::new(Some("  "), None).is_none());
        let photo = Said::new(None, Some("file-1".into())).unwrap();
        tickets::customer_says(conn, 9901, &photo, now).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn replies_go_back_and_a_closed_ticket_makes_way_for_a_new_one() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        customer(conn, 9903).await;
        customer(conn, 9904).await;
        let first = tickets::customer_says(conn, 9903, &said("Where is my login?"), now).await.unwrap().unwrap();
        let support = Actor::new(77, Role::Support, Lang::En);
        let answer = tickets::staff_reply(conn, &support, first.ticket.id, &said("Under My subscriptions."), now).await;
        assert_eq!(answer.unwrap(), Answered::Done { customer_telegram_id: 9903 });
        let as_customer = Actor::new(9903, Role::User, Lang::En);
        assert!(matches!(
            tickets::staff_reply(conn, &as_customer, first.ticket.id, &said("x"), now).await,
            Err(ActError::Forbidden { .. })
        ));
        // Another customer cannot close it; its owner can, once.
        assert_eq!(tickets::close_own(conn, 9904, first.ticket.id, now).await.unwrap(), Answered::Unknown);
        assert_eq!(
            tickets::close_own(conn, 9903, first.ticket.id, now).await.unwrap(),
            Answered::Done { customer_telegram_id: 9903 }
        );
        assert_eq!(tickets::close(conn, &support, first.ticket.id, now).await.unwrap(), Answered::Closed);
        assert_eq!(
            tickets::staff_reply(conn, &support, first.ticket.id, &said("late"), now).await.unwrap(),
            Answered::Closed
        );

        let second = tickets::customer_says(conn, 9903, &said("One more thing"), now).await.unwrap().unwrap();
        assert!(second.new && second.ticket.id != first.ticket.id);
        assert_eq!(
            tickets::close(conn, &support, second.ticket.id, now).await.unwrap(),
            Answered::Done { customer_telegram_id: 9903 }
        );
        let mine = tickets::of_customer(conn, 9903, 10).await.unwrap();
        assert_eq!(mine.iter().map(|t| t.status).collect::<Vec<_>>(), [TicketStatus::Closed, TicketStatus::Closed]);
        let (_, _, history) = tickets::history(conn, &support, first.ticket.id, 10).await.unwrap().unwrap();
        let lines: Vec<(bool, Option<String>)> = history.into_iter().map(|m| (m.from_staff, m.text)).collect();
        assert_eq!(lines, [(false, Some("Where is my login?".into())), (true, Some("Under My subscriptions.".into()))]);
        let notices = outbox_notices(conn, 9903).await;
        assert_eq!(notices.iter().filter(|n| matches!(n, Notice::TicketReply { .. })).count(), 1);
        assert_eq!(notices.iter().filter(|n| matches!(n, Notice::TicketClosed { .. })).count(), 1);
        let open = support_ticket::Entity::find()
            .filter(support_ticket::Column::Status.eq(TicketStatus::Open))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(open, 0);
    }
}

#[tokio::test]
async fn with_a_support_chat_tickets_go_there_only() {
    for db in db::all().await {
        let conn = &db.conn;
        let now = Utc::now();
        users::sync_staff_from_config(conn, &[1].into(), None, now).await.unwrap();
        users::set_support_chat(conn, Some(-100_777), now).await.unwrap();
        customer(conn, 9905).await;
        tickets::customer_says(conn, 9905, &said("Hi"), now).await.unwrap().unwrap();
        assert_eq!(outbox_notices(conn, -100_777).await.len(), 1);
        assert!(outbox_notices(conn, 1).await.is_empty(), "not privately as well");
    }
}
