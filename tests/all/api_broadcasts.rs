//! Broadcasts through the admin API: a preview counts and writes nothing, a confirmed one
//! writes its row and one recipient per customer the audience reaches, drafts are checked
//! (Telegram HTML, the button, the audience), pause / resume / cancel follow the broadcast's
//! state, and support tokens are refused. Both databases.
use chrono::Utc;
use reqwest::{Method, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use ottsonly::domain::Lang;
use ottsonly::entities::audit_log;
use ottsonly::entities::broadcast::{self, BroadcastStatus};
use ottsonly::entities::broadcast_recipient::{self, RecipientStatus};
use ottsonly::entities::user::{self, Role};
use ottsonly::services::outbox::Notice;
use ottsonly::services::tokens::{self, CreateOutcome};
use ottsonly::services::{users, Actor};

use crate::api::{serve, Api, OWNER};
use crate::support::db;
use crate::support::fixtures::{customer, outbox_notices, profile};

const ENGLISH: [i64; 3] = [3_101, 3_102, 3_103];
const HINDI: [i64; 2] = [3_201, 3_202];
/// Turned offers off: never in an audience.
const OPTED_OUT: i64 = 3_301;
/// Blocked by staff: never in an audience.
const BLOCKED: i64 = 3_302;
/// The owner (a customer row too) and the five who want offers.
const EVERYONE: u64 = 6;

const TEXT: &str =
    "<b>Diwali sale</b>: 20% off &amp; a free week, <a href=\"https://shop.example/plans\">see plans</a>";

/// The API, and customers in both languages, one who turned offers off and one blocked.
async fn shop(conn: &DatabaseConnection) -> Api {
    let api = serve(conn).await;
    for id in ENGLISH {
        customer(conn, id).await;
    }
    for id in HINDI {
        let hindi = users::Profile { language_code: Some("hi".into()), ..profile(id) };
        users::sign_up(conn, &hindi, None, Utc::now()).await.unwrap();
        users::set_language(conn, id, Lang::Hi).await.unwrap();
    }
    customer(conn, OPTED_OUT).await;
    users::set_wants_offers(conn, OPTED_OUT, false).await.unwrap();
    customer(conn, BLOCKED).await;
    user::Entity::update_many()
        .col_expr(user::Column::IsBlocked, Expr::value(true))
        .filter(user::Column::TelegramId.eq(BLOCKED))
        .exec(conn)
        .await
        .unwrap();
    api
}

/// A token made by the owner, so a cancel's final report goes to the owner's chat.
async fn owners_token(conn: &DatabaseConnection) -> String {
    let owner = Actor::new(OWNER, Role::Owner, Lang::En);
    match tokens::create(conn, &owner, "owner-broadcasts", Role::Admin, Utc::now()).await.unwrap() {
        CreateOutcome::Created { secret, .. } => secret,
        other => panic!("{other:?}"),
    }
}

async fn broadcasts_written(conn: &DatabaseConnection) -> (u64, u64) {
    (
        broadcast::Entity::find().count(conn).await.unwrap(),
        broadcast_recipient::Entity::find().count(conn).await.unwrap(),
    )
}

async fn recipients(conn: &DatabaseConnection, id: i64, status: RecipientStatus) -> Vec<i64> {
    let mut chats: Vec<i64> = broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(id as i32))
        .filter(broadcast_recipient::Column::Status.eq(status))
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.chat_id)
        .collect();
    chats.sort();
    chats
}

async fn row(conn: &DatabaseConnection, id: i64) -> broadcast::Model {
    broadcast::Entity::find_by_id(id as i32).one(conn).await.unwrap().unwrap()
}

async fn audits(conn: &DatabaseConnection, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find().filter(audit_log::Column::Action.eq(action)).all(conn).await.unwrap()
}

/// A 4xx answer as a problem of `kind`, naming `field` when given.
fn assert_problem(
    (status, content_type, body): &(StatusCode, String, Value),
    expected: StatusCode,
    kind: &str,
    field: Option<&str>,
) {
    assert_eq!(*status, expected, "{body}");
    assert!(content_type.starts_with("application/problem+json"), "{content_type} {body}");
    assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
    assert_eq!(body["status"], expected.as_u16(), "{body}");
    assert_eq!(body["field"].as_str(), field, "{body}");
}

async fn post(api: &Api, path: &str, token: &str, body: Value) -> (StatusCode, String, Value) {
    api.call(Method::POST, path, Some(token), Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_counts_and_a_confirmed_broadcast_writes_its_recipients() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = shop(conn).await;
        let draft = json!({
            "text": TEXT, "button_text": "Shop now", "button_url": "https://shop.example", "audience": "lang:hi"
        });

        // A preview counts who it reaches now, and writes nothing.
        let (status, _, preview) = post(&api, "/api/v1/broadcasts/preview", &api.admin, draft.clone()).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!((preview["audience"].as_str(), preview["recipients"].as_u64()), (Some("lang:hi"), Some(2)));
        assert_eq!(preview["text"], TEXT);
        assert_eq!(preview["button"], json!({ "text": "Shop now", "url": "https://shop.example" }));
        let (_, _, everyone) =
            post(&api, "/api/v1/broadcasts/preview", &api.admin, json!({ "text": "Hi", "audience": "everyone" })).await;
        assert_eq!(everyone["recipients"], EVERYONE, "opted out and blocked customers are left out: {everyone}");
        assert_eq!(broadcasts_written(conn).await, (0, 0), "{}: a preview writes nothing", db.backend);

        // Without confirm: nothing is sent.
        let unconfirmed = post(&api, "/api/v1/broadcasts", &api.admin, draft.clone()).await;
        assert_problem(&unconfirmed, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", Some("confirm"));
        assert!(unconfirmed.2["detail"].as_str().unwrap().contains("preview"), "{}", unconfirmed.2);
        let mut declined = draft.clone();
        declined["confirm"] = json!(false);
        let refused = post(&api, "/api/v1/broadcasts", &api.admin, declined).await;
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", Some("confirm"));
        assert_eq!(broadcasts_written(conn).await, (0, 0));

        // Confirmed: the row and one recipient per Hindi speaker, together.
        let mut confirmed = draft.clone();
        confirmed["confirm"] = json!(true);
        let (status, _, made) = post(&api, "/api/v1/broadcasts", &api.admin, confirmed.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let id = made["id"].as_i64().unwrap();
        assert_eq!(made["status"], "queued");
        assert_eq!(made["audience"], "lang:hi");
        assert_eq!(made["text"], TEXT);
        assert_eq!(made["button"], json!({ "text": "Shop now", "url": "https://shop.example" }));
        assert_eq!(made["photo"], false);
        assert_eq!(
            (made["total"].as_u64(), made["remaining"].as_u64(), made["sent"].as_u64()),
            (Some(2), Some(2), Some(0))
        );
        assert_eq!(made["percent"], 0);
        assert!(made["created_at"].is_string() && made["started_at"].is_null() && made["finished_at"].is_null());
        let stored = row(conn, id).await;
        assert_eq!((stored.total, stored.status, stored.audience.as_str()), (2, BroadcastStatus::Queued, "lang:hi"));
        assert_eq!(
            (stored.button_text.as_deref(), stored.button_url.as_deref()),
            (Some("Shop now"), Some("https://shop.example"))
        );
        assert_eq!((stored.text.as_str(), stored.photo_file_id.as_deref()), (TEXT, None));
        assert_eq!(recipients(conn, id, RecipientStatus::Pending).await, HINDI.to_vec());
        assert_eq!(broadcasts_written(conn).await, (1, 2));
        let started = audits(conn, "broadcast.start").await;
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].via.as_deref(), Some("token:admin-tool"));

        // An audience with nobody in it: a problem, nothing written.
        let nobody = post(
            &api,
            "/api/v1/broadcasts",
            &api.admin,
            json!({ "text": "Hi", "audience": "active", "confirm": true }),
        )
        .await;
        assert_problem(&nobody, StatusCode::UNPROCESSABLE_ENTITY, "nobody-to-send", Some("audience"));
        assert_eq!(broadcasts_written(conn).await, (1, 2));

        // One by id, and the list newest first.
        let (status, _, second) = post(
            &api,
            "/api/v1/broadcasts",
            &api.owner,
            json!({ "text": "Hello", "audience": "everyone", "confirm": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_eq!(second["total"], EVERYONE);
        assert_eq!(second["button"], Value::Null);
        let second_id = second["id"].as_i64().unwrap();
        assert_eq!(recipients(conn, second_id, RecipientStatus::Pending).await.len() as u64, EVERYONE);
        assert!(!recipients(conn, second_id, RecipientStatus::Pending).await.contains(&OPTED_OUT));
        let (status, listed) = api.get("/api/v1/broadcasts", &api.admin).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        let ids: Vec<i64> = listed.as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![second_id, id]);
        let (status, one) = api.get(&format!("/api/v1/broadcasts/{id}"), &api.admin).await;
        assert_eq!(
            (status, one["total"].as_u64(), one["audience"].as_str()),
            (StatusCode::OK, Some(2), Some("lang:hi"))
        );
        let missing = api.call(Method::GET, "/api/v1/broadcasts/999999", Some(&api.admin), None).await;
        assert_problem(&missing, StatusCode::NOT_FOUND, "not-found", None);

        // An Idempotency-Key: the repeat answers the first result and starts nothing.
        let send = || {
            api.http
                .post(format!("{}/api/v1/broadcasts", api.base))
                .bearer_auth(&api.admin)
                .header("Idempotency-Key", "diwali-2026")
                .json(&confirmed)
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first_body = first.text().await.unwrap();
        let again = send().await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers().get("idempotent-replay").map(|v| v.to_str().unwrap()), Some("true"));
        assert_eq!(again.text().await.unwrap(), first_body);
        assert_eq!(broadcasts_written(conn).await, (3, 2 + EVERYONE + 2), "{}: one more broadcast", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_draft_is_a_problem_that_says_what_is_wrong() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = shop(conn).await;
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!({ "text": "Hi", "audience": "all" }), "audience", "everyone"),
            (json!({ "text": "Hi", "audience": "expired:0" }), "audience", "expired:N"),
            (json!({ "text": "Hi", "audience": "lang:fr" }), "audience", "lang:hi"),
            (json!({ "text": "<div>sale</div>", "audience": "everyone" }), "text", "unsupported tag <div>"),
            (json!({ "text": "<b>sale", "audience": "everyone" }), "text", "<b> is never closed"),
            (json!({ "text": "<b><i>x</b></i>", "audience": "everyone" }), "text", "does not close"),
            (json!({ "text": "fish & chips", "audience": "everyone" }), "text", "&amp;"),
            (json!({ "text": "<b> </b>", "audience": "everyone" }), "text", "empty"),
            (json!({ "text": "x".repeat(4097), "audience": "everyone" }), "text", "longer than 4096"),
            (json!({ "text": "Hi", "button_text": "Go", "audience": "everyone" }), "button_url", "link"),
            (
                json!({ "text": "Hi", "button_url": "https://a.example", "audience": "everyone" }),
                "button_text",
                "label",
            ),
            (
                json!({ "text": "Hi", "button_text": "Go", "button_url": "ftp://files.example", "audience": "everyone" }),
                "button_url",
                "https://",
            ),
            (
                json!({ "text": "Hi", "button_text": "Go", "button_url": "javascript:alert(1)", "audience": "everyone" }),
                "button_url",
                "tg://",
            ),
            (
                json!({ "text": "Hi", "button_text": "x".repeat(65), "button_url": "https://a.example", "audience": "everyone" }),
                "button_text",
                "64",
            ),
        ];
        for (body, field, says) in cases {
            for path in ["/api/v1/broadcasts/preview", "/api/v1/broadcasts"] {
                let mut body = body.clone();
                body["confirm"] = json!(true);
                let answer = post(&api, path, &api.admin, body.clone()).await;
                assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", Some(field));
                let detail = answer.2["detail"].as_str().unwrap();
                assert!(detail.contains(says), "{path} {body}: {detail}");
            }
        }
        // A field missing altogether is named too.
        let missing = post(&api, "/api/v1/broadcasts/preview", &api.admin, json!({ "audience": "everyone" })).await;
        assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", Some("text"));
        // Blank button fields are no button.
        let (status, _, blank) = post(
            &api,
            "/api/v1/broadcasts/preview",
            &api.admin,
            json!({ "text": "Hi", "button_text": " ", "button_url": "", "audience": "everyone" }),
        )
        .await;
        assert_eq!((status, &blank["button"]), (StatusCode::OK, &Value::Null), "{blank}");
        assert_eq!(broadcasts_written(conn).await, (0, 0), "{}: nothing was written", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_follow_the_broadcasts_state() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = shop(conn).await;
        let token = owners_token(conn).await;
        let (status, _, made) =
            post(&api, "/api/v1/broadcasts", &token, json!({ "text": TEXT, "audience": "everyone", "confirm": true }))
                .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let id = made["id"].as_i64().unwrap();
        assert_eq!(made["created_by"], OWNER);
        let path = |verb: &str| format!("/api/v1/broadcasts/{id}/{verb}");

        // Queued: nothing to pause or resume yet.
        assert_problem(
            &post(&api, &path("pause"), &token, json!({})).await,
            StatusCode::CONFLICT,
            "broadcast-not-running",
            None,
        );
        assert_problem(
            &post(&api, &path("resume"), &token, json!({})).await,
            StatusCode::CONFLICT,
            "broadcast-not-paused",
            None,
        );
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Queued);

        // The sender took it and reached two customers.
        broadcast::Entity::update_many()
            .col_expr(broadcast::Column::Status, Expr::value("running"))
            .col_expr(broadcast::Column::StartedAt, Expr::value(Utc::now()))
            .filter(broadcast::Column::Id.eq(id as i32))
            .exec(conn)
            .await
            .unwrap();
        let first_two: Vec<i32> = broadcast_recipient::Entity::find()
            .filter(broadcast_recipient::Column::BroadcastId.eq(id as i32))
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .take(2)
            .map(|r| r.id)
            .collect();
        broadcast_recipient::Entity::update_many()
            .col_expr(broadcast_recipient::Column::Status, Expr::value("sent"))
            .filter(broadcast_recipient::Column::Id.is_in(first_two))
            .exec(conn)
            .await
            .unwrap();

        let (status, _, paused) = post(&api, &path("pause"), &token, json!({})).await;
        assert_eq!((status, paused["status"].as_str()), (StatusCode::OK, Some("paused")), "{paused}");
        assert_eq!(
            (paused["sent"].as_u64(), paused["remaining"].as_u64(), paused["percent"].as_u64()),
            (Some(2), Some(4), Some(33))
        );
        assert!(paused["started_at"].is_string());
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Paused);
        // Pausing a paused one: a conflict, and it stays paused.
        let again = post(&api, &path("pause"), &token, json!({})).await;
        assert_problem(&again, StatusCode::CONFLICT, "broadcast-not-running", None);
        assert!(again.2["detail"].as_str().unwrap().contains("paused"), "{}", again.2);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Paused);

        let (status, _, resumed) = post(&api, &path("resume"), &token, json!({})).await;
        assert_eq!((status, resumed["status"].as_str()), (StatusCode::OK, Some("queued")), "{resumed}");
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Queued);
        assert_problem(
            &post(&api, &path("resume"), &token, json!({})).await,
            StatusCode::CONFLICT,
            "broadcast-not-paused",
            None,
        );

        // Cancelled: those not reached are skipped, the creator gets the report.
        let (status, _, cancelled) = post(&api, &path("cancel"), &token, json!({})).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");
        assert_eq!(
            (cancelled["sent"].as_u64(), cancelled["skipped"].as_u64(), cancelled["remaining"].as_u64()),
            (Some(2), Some(EVERYONE - 2), Some(0))
        );
        assert_eq!(cancelled["percent"], 100);
        assert!(cancelled["finished_at"].is_string(), "{cancelled}");
        let stored = row(conn, id).await;
        assert_eq!(stored.status, BroadcastStatus::Cancelled);
        assert!(stored.finished_at.is_some());
        assert_eq!(recipients(conn, id, RecipientStatus::Skipped).await.len() as u64, EVERYONE - 2);
        assert_eq!(recipients(conn, id, RecipientStatus::Sent).await.len(), 2);
        assert!(recipients(conn, id, RecipientStatus::Pending).await.is_empty());
        let reports: Vec<Notice> = outbox_notices(conn, OWNER)
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::BroadcastFinished { .. }))
            .collect();
        assert!(
            matches!(reports.as_slice(), [Notice::BroadcastFinished { cancelled: true, sent: 2, skipped, .. }] if *skipped == EVERYONE - 2),
            "{reports:?}"
        );

        // Over: nothing applies any more.
        for verb in ["pause", "resume", "cancel"] {
            assert_problem(
                &post(&api, &path(verb), &token, json!({})).await,
                StatusCode::CONFLICT,
                "broadcast-over",
                None,
            );
        }
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Cancelled);
        for verb in ["pause", "resume", "cancel"] {
            let unknown = post(&api, &format!("/api/v1/broadcasts/999999/{verb}"), &token, json!({})).await;
            assert_problem(&unknown, StatusCode::NOT_FOUND, "not-found", None);
        }
        for (action, count) in [("broadcast.pause", 1), ("broadcast.resume", 1), ("broadcast.cancel", 1)] {
            let rows = audits(conn, action).await;
            assert_eq!(rows.len(), count, "{action}");
            assert_eq!(rows[0].via.as_deref(), Some("token:owner-broadcasts"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_tokens_may_not_broadcast() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = shop(conn).await;
        let (_, _, made) = post(
            &api,
            "/api/v1/broadcasts",
            &api.admin,
            json!({ "text": "Hi", "audience": "everyone", "confirm": true }),
        )
        .await;
        let id = made["id"].as_i64().unwrap();
        broadcast::Entity::update_many()
            .col_expr(broadcast::Column::Status, Expr::value("running"))
            .filter(broadcast::Column::Id.eq(id as i32))
            .exec(conn)
            .await
            .unwrap();
        let written = broadcasts_written(conn).await;
        let draft = json!({ "text": "Hi", "audience": "everyone", "confirm": true });
        let refused = [
            api.call(Method::POST, "/api/v1/broadcasts/preview", Some(&api.support), Some(draft.clone())).await,
            api.call(Method::POST, "/api/v1/broadcasts", Some(&api.support), Some(draft.clone())).await,
            // A bad draft is refused for the role first: support learns nothing from it.
            api.call(
                Method::POST,
                "/api/v1/broadcasts",
                Some(&api.support),
                Some(json!({ "text": "<div>", "audience": "x" })),
            )
            .await,
            api.call(Method::GET, "/api/v1/broadcasts", Some(&api.support), None).await,
            api.call(Method::GET, &format!("/api/v1/broadcasts/{id}"), Some(&api.support), None).await,
            api.call(Method::POST, &format!("/api/v1/broadcasts/{id}/pause"), Some(&api.support), Some(json!({})))
                .await,
            api.call(Method::POST, &format!("/api/v1/broadcasts/{id}/resume"), Some(&api.support), Some(json!({})))
                .await,
            api.call(Method::POST, &format!("/api/v1/broadcasts/{id}/cancel"), Some(&api.support), Some(json!({})))
                .await,
        ];
        for answer in &refused {
            assert_problem(answer, StatusCode::FORBIDDEN, "forbidden", None);
        }
        assert_eq!(broadcasts_written(conn).await, written, "{}", db.backend);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Running, "support stopped nothing");
        assert!(audits(conn, "broadcast.pause").await.is_empty() && audits(conn, "broadcast.cancel").await.is_empty());
        // An admin token may.
        let (status, _, paused) = post(&api, &format!("/api/v1/broadcasts/{id}/pause"), &api.admin, json!({})).await;
        assert_eq!((status, paused["status"].as_str()), (StatusCode::OK, Some("paused")));
    }
}

#[test]
fn the_document_describes_broadcasts() {
    let document = serde_json::to_value(ottsonly::http::api::document()).unwrap();
    let paths = &document["paths"];
    for (path, method) in [
        ("/api/v1/broadcasts", "get"),
        ("/api/v1/broadcasts", "post"),
        ("/api/v1/broadcasts/preview", "post"),
        ("/api/v1/broadcasts/{id}", "get"),
        ("/api/v1/broadcasts/{id}/pause", "post"),
        ("/api/v1/broadcasts/{id}/resume", "post"),
        ("/api/v1/broadcasts/{id}/cancel", "post"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert_eq!(operation["tags"][0], "broadcasts", "{method} {path}");
        assert!(operation["responses"]["403"].is_object(), "{method} {path}");
    }
    let create = &paths["/api/v1/broadcasts"]["post"];
    let described = format!(
        "{} {}",
        create["summary"].as_str().unwrap_or_default(),
        create["description"].as_str().unwrap_or_default()
    );
    assert!(described.contains("photos are chat-only"), "{described}");
    assert!(create["responses"]["201"].is_object() && create["responses"]["422"].is_object());
    assert!(paths["/api/v1/broadcasts/{id}/pause"]["post"]["responses"]["409"].is_object());
}

/// Every broadcast operation with a body it accepts: all need Permission::ManageOffers.
/// (The same lines belong in `operations()` of tests/all/api.rs.)
fn operations() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/broadcasts", None),
        (Method::POST, "/api/v1/broadcasts/preview", Some(json!({ "text": "Matrix", "audience": "everyone" }))),
        (
            Method::POST,
            "/api/v1/broadcasts",
            Some(json!({ "text": "Matrix", "audience": "everyone", "confirm": true })),
        ),
        (Method::GET, "/api/v1/broadcasts/1", None),
        (Method::POST, "/api/v1/broadcasts/1/pause", None),
        (Method::POST, "/api/v1/broadcasts/1/resume", None),
        (Method::POST, "/api/v1/broadcasts/1/cancel", None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broadcast_operation_follows_the_role_matrix() {
    use ottsonly::domain::{permission, Permission};
    // Every documented broadcast operation has a line.
    let document = serde_json::to_value(ottsonly::http::api::document()).unwrap();
    let mut documented = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/broadcasts") {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    documented.push(format!("{} {}", method.to_uppercase(), path.replace("{id}", "1")));
                }
            }
        }
    }
    let mut listed: Vec<String> = operations().iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    documented.sort();
    listed.sort();
    assert_eq!(documented, listed);
    for db in db::all().await {
        let api = shop(&db.conn).await;
        for (role, token) in [(Role::Support, &api.support), (Role::Admin, &api.admin), (Role::Owner, &api.owner)] {
            for (method, path, body) in operations() {
                let (status, _, answer) = api.call(method.clone(), path, Some(token), body).await;
                if permission::allows(role, Permission::ManageOffers) {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{role:?} {method} {path}: {answer}");
                    assert!(!status.is_server_error(), "{role:?} {method} {path}: {answer}");
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} {method} {path}: {answer}");
                }
            }
        }
        // Support's turn came first and wrote nothing; the admin's and the owner's did.
        assert_eq!(broadcast::Entity::find().count(&db.conn).await.unwrap(), 2, "{}", db.backend);
    }
}
