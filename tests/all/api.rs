//! The admin API over HTTP: every route needs a token, the document is what is served, roles
//! are enforced by the services, problems name what is wrong, pages are stable, and an
//! `Idempotency-Key` holds under concurrent repeats. Both databases.
use chrono::Utc;
use reqwest::{Method, StatusCode};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use ottsonly::domain::Money;
use ottsonly::entities::user::Role;
use ottsonly::entities::{ledger_entry, outbox_message};
use ottsonly::http::{router, HttpState};
use ottsonly::services::tokens::{self, CreateOutcome};
use ottsonly::services::{users, withdrawals, Actor};

use crate::support::db;
use crate::support::fixtures::{buy, customer, earn_withdrawable};

pub const OWNER: i64 = 9_100_001;

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub owner: String,
    pub admin: String,
    pub support: String,
}

pub async fn token(conn: &DatabaseConnection, name: &str, role: Role) -> String {
    match tokens::create(conn, &Actor::system(), name, role, Utc::now()).await.unwrap() {
        CreateOutcome::Created { secret, .. } => secret,
        other => panic!("{other:?}"),
    }
}

/// The HTTP server over `conn`, with an owner, an admin and a support token.
pub async fn serve(conn: &DatabaseConnection) -> Api {
    serve_for(conn, OWNER).await
}

/// `serve`, with `owner` as the shop's owner (ADMIN_IDS).
pub async fn serve_for(conn: &DatabaseConnection, owner: i64) -> Api {
    users::sync_staff_from_config(conn, &[owner].into(), None, Utc::now()).await.unwrap();
    let state = HttpState::new(conn.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    Api {
        base,
        http: reqwest::Client::new(),
        owner: token(conn, "owner-tool", Role::Owner).await,
        admin: token(conn, "admin-tool", Role::Admin).await,
        support: token(conn, "support-tool", Role::Support).await,
    }
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = response.text().await.unwrap();
        (status, content_type, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::GET, path, Some(token), None).await;
        (status, body)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::POST, path, Some(token), Some(body)).await;
        (status, body)
    }
}

/// Every (method, path) in the served document, with path parameters filled in.
fn documented() -> Vec<(Method, String)> {
    let document = serde_json::to_value(ottsonly::http::api::document()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let filled = path
                    .replace("{telegram_id}", "424242")
                    .replace("{stock_id}", "1")
                    .replace("{id}", "1")
                    .replace("{key}", "referral.l1_rate")
                    .replace("{file}", "orders.csv");
                routes.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), filled));
            }
        }
    }
    assert!(routes.len() > 30, "{routes:?}");
    routes
}

fn is_problem(content_type: &str, body: &Value, status: StatusCode) -> bool {
    content_type.starts_with("application/problem+json")
        && body["status"] == status.as_u16()
        && body["type"].as_str().is_some_and(|t| t.starts_with("/problems/"))
        && body["title"].is_string()
        && body["detail"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_a_valid_token() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        let revoked = token(&db.conn, "gone", Role::Owner).await;
        let id = ottsonly::entities::api_token::Entity::find()
            .all(&db.conn)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "gone")
            .unwrap()
            .id;
        tokens::revoke(&db.conn, &Actor::system(), id, Utc::now()).await.unwrap();
        for (method, path) in documented() {
            let body = (method != Method::GET).then(|| json!({}));
            for token in [None, Some("ott_not-a-token"), Some(revoked.as_str()), Some("")] {
                let (status, content_type, problem) = api.call(method.clone(), &path, token, body.clone()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with {token:?}");
                assert!(is_problem(&content_type, &problem, status), "{method} {path}: {content_type} {problem}");
                assert_eq!(problem["type"], "/problems/unauthorized");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_exactly_the_served_routes() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        // Each documented route is served: it answers JSON or a problem, never the router's
        // bare 404 or 405.
        for (method, path) in documented() {
            let body = (method != Method::GET).then(|| json!({}));
            let (status, content_type, _) = api.call(method.clone(), &path, Some(&api.owner), body).await;
            let ours = ["application/json", "application/problem+json", "image/png", "text/csv"];
            assert!(ours.iter().any(|t| content_type.starts_with(t)), "{method} {path}: {status} {content_type:?}");
        }
        // And nothing else is: an undocumented path or method gets the router's bare answer.
        for (method, path) in [
            (Method::GET, "/api/v1/nope"),
            (Method::DELETE, "/api/v1/plans/1"),
            (Method::PUT, "/api/v1/users/1"),
            (Method::GET, "/api/v1/users/1/credit"),
            (Method::POST, "/api/v1/audit-log"),
        ] {
            let (status, content_type, _) = api.call(method.clone(), path, Some(&api.owner), None).await;
            assert!(
                matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED),
                "{method} {path}: {status}"
            );
            assert!(!content_type.starts_with("application/"), "{method} {path}: {content_type}");
        }
        // The document is served as generated, OpenAPI 3.1.
        let served: Value =
            api.http.get(format!("{}/api/v1/openapi.json", api.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(served, serde_json::to_value(ottsonly::http::api::document()).unwrap());
        assert_eq!(served["openapi"], "3.1.0");
        // The docs page works offline: every script and stylesheet comes from us.
        let page = api.http.get(format!("{}/api/docs/", api.base)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger"), "{html}");
        for external in ["https://", "http://", "//unpkg", "//cdn"] {
            assert!(
                !html.contains(&format!("src=\"{external}")) && !html.contains(&format!("href=\"{external}")),
                "{html}"
            );
        }
        let script = api.http.get(format!("{}/api/docs/swagger-ui-bundle.js", api.base)).send().await.unwrap();
        assert_eq!(script.status(), StatusCode::OK, "the bundle is vendored");
    }
}

/// A customer with money and a paid order, a pending withdrawal and its earner.
async fn shop(conn: &DatabaseConnection) -> (i32, i32) {
    customer(conn, 424242).await;
    let order = buy(conn, 424242, 300, 100, Utc::now()).await.order_id;
    customer(conn, 525252).await;
    earn_withdrawable(conn, 525252, 525253, 600, Utc::now()).await;
    let withdrawal = match withdrawals::request(conn, 525252, Money::from_rupees(600), "earner@ybl", Utc::now()).await {
        Ok(withdrawals::RequestOutcome::Requested { withdrawal, .. }) => withdrawal.id,
        other => panic!("{other:?}"),
    };
    (order, withdrawal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_does_what_it_may() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        let (order, withdrawal) = shop(&db.conn).await;
        let forbidden = |(status, body): (StatusCode, Value)| {
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(body["type"], "/problems/forbidden");
        };
        // Support reads everything staff may read…
        for path in [
            "/api/v1/users",
            "/api/v1/users/424242",
            "/api/v1/orders",
            "/api/v1/withdrawals",
            "/api/v1/upi-claims",
            "/api/v1/fraud-flags",
            "/api/v1/settings",
            "/api/v1/audit-log",
            "/api/v1/plans",
            "/api/v1/payments",
            "/api/v1/staff",
        ] {
            assert_eq!(api.get(path, &api.support).await.0, StatusCode::OK, "{path}");
        }
        // …and moves no money, decides nothing, changes nothing.
        forbidden(api.post("/api/v1/users/424242/credit", &api.support, json!({ "amount_paise": 100 })).await);
        forbidden(api.post(&format!("/api/v1/orders/{order}/refund"), &api.support, json!({})).await);
        forbidden(api.post(&format!("/api/v1/withdrawals/{withdrawal}/approve"), &api.support, json!({})).await);
        forbidden(api.post("/api/v1/users/424242/block", &api.support, json!({})).await);
        forbidden(
            api.post("/api/v1/plans", &api.support, json!({ "name": "X", "price_paise": 100, "duration_days": 30 }))
                .await,
        );
        forbidden(api.get("/api/v1/plans/1/stock", &api.support).await);
        let (status, _, body) = api
            .call(Method::PUT, "/api/v1/settings/referral.l1_rate", Some(&api.support), Some(json!({ "value": "90" })))
            .await;
        forbidden((status, body));
        // Admins act, but do not manage staff.
        let (status, _, body) =
            api.call(Method::PUT, "/api/v1/staff/424242", Some(&api.admin), Some(json!({ "role": "support" }))).await;
        forbidden((status, body));
        let (status, credited) = api
            .post("/api/v1/users/424242/credit", &api.admin, json!({ "amount_paise": 150, "reason": "sorry" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{credited}");
        assert_eq!(credited["balance"], json!({ "paise": 150, "display": "₹1.50" }));
        // Owners manage staff.
        let (status, _, body) =
            api.call(Method::PUT, "/api/v1/staff/424242", Some(&api.owner), Some(json!({ "role": "support" }))).await;
        assert_eq!((status, body["role"].clone()), (StatusCode::OK, json!("support")));
        assert_eq!(
            ledger_entry::Entity::find().count(&db.conn).await.unwrap(),
            7,
            "only the admin's credit moved money"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_name_what_is_wrong() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        shop(&db.conn).await;
        let problem = |(status, content_type, body): (StatusCode, String, Value), expected: StatusCode, kind: &str| {
            assert_eq!(status, expected, "{body}");
            assert!(is_problem(&content_type, &body, status), "{content_type} {body}");
            assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
            body
        };
        let owner = Some(api.owner.as_str());
        problem(api.call(Method::GET, "/api/v1/orders/999999", owner, None).await, StatusCode::NOT_FOUND, "not-found");
        problem(api.call(Method::GET, "/api/v1/users/1", owner, None).await, StatusCode::NOT_FOUND, "not-found");
        problem(api.call(Method::GET, "/api/v1/orders/abc", owner, None).await, StatusCode::NOT_FOUND, "not-found");
        let body = problem(
            api.call(Method::POST, "/api/v1/users/424242/credit", owner, Some(json!({ "amount_paise": -5 }))).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        );
        assert_eq!(body["field"], "amount_paise");
        let body = problem(
            api.call(Method::POST, "/api/v1/users/424242/credit", owner, Some(json!({ "reason": "x" }))).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        );
        assert_eq!(body["field"], "amount_paise");
        let not_json = api
            .http
            .post(format!("{}/api/v1/users/424242/credit", api.base))
            .bearer_auth(&api.owner)
            .body("100")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let body = problem(
            api.call(Method::GET, "/api/v1/users?limit=0", owner, None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        );
        assert_eq!(body["field"], "limit");
        let body = problem(
            api.call(Method::GET, "/api/v1/users?limit=abc", owner, None).await,
            StatusCode::BAD_REQUEST,
            "bad-request",
        );
        assert_eq!(body["field"], "limit");
        let body = problem(
            api.call(Method::GET, "/api/v1/orders?status=lost", owner, None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        );
        assert_eq!(body["field"], "status");
        let body = problem(
            api.call(Method::PUT, "/api/v1/settings/referral.l1_rate", owner, Some(json!({ "value": "150" }))).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
        );
        assert_eq!(body["field"], "value");
        problem(
            api.call(Method::PUT, "/api/v1/settings/no.such", owner, Some(json!({ "value": "1" }))).await,
            StatusCode::NOT_FOUND,
            "not-found",
        );
        // A state conflict: the second refund of one order.
        let order = api.get("/api/v1/orders?status=paid", &api.owner).await.1["items"][0]["id"].as_i64().unwrap();
        assert_eq!(
            api.post(&format!("/api/v1/orders/{order}/refund"), &api.owner, json!({ "reason": "test" })).await.0,
            StatusCode::OK
        );
        problem(
            api.call(Method::POST, &format!("/api/v1/orders/{order}/refund"), owner, Some(json!({}))).await,
            StatusCode::CONFLICT,
            "already-refunded",
        );
        problem(
            api.call(Method::POST, "/api/v1/users/424242/debit", owner, Some(json!({ "amount_paise": 99_999_900 })))
                .await,
            StatusCode::CONFLICT,
            "insufficient-balance",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_come_a_page_at_a_time_newest_first() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        for id in 0..25 {
            customer(&db.conn, 700_000 + id).await;
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=10&cursor={c}"),
                None => "/api/v1/users?limit=10".to_owned(),
            };
            let (status, page) = api.get(&path, &api.support).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages += 1;
            seen.extend(page["items"].as_array().unwrap().iter().map(|u| u["telegram_id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        // 25 customers and the owner.
        assert_eq!(seen.len(), 26);
        assert_eq!(pages, 3);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 26, "no customer twice");
        assert_eq!(seen[0], 700_024, "newest first");
        // Search: exact by id, @username, code; by name otherwise.
        let one = api.get("/api/v1/users?q=%40u700003", &api.support).await.1;
        assert_eq!(one["items"].as_array().unwrap().len(), 1);
        assert_eq!(one["items"][0]["telegram_id"], 700_003);
        let by_name = api.get("/api/v1/users?q=User%207000", &api.support).await.1;
        assert_eq!(by_name["items"].as_array().unwrap().len(), 20, "the default page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_is_honoured_under_concurrent_repeats() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        customer(&db.conn, 424242).await;
        let ledger_before = ledger_entry::Entity::find().count(&db.conn).await.unwrap();
        let outbox_before = outbox_message::Entity::find().count(&db.conn).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (http, base, token) = (api.http.clone(), api.base.clone(), api.admin.clone());
                tokio::spawn(async move {
                    let response = http
                        .post(format!("{base}/api/v1/users/424242/credit"))
                        .bearer_auth(token)
                        .header("Idempotency-Key", "gift-2026-12-02")
                        .json(&json!({ "amount_paise": 50_000, "reason": "festival gift" }))
                        .send()
                        .await
                        .unwrap();
                    (response.status(), response.text().await.unwrap())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        assert!(answers.iter().all(|(status, _)| *status == StatusCode::OK), "{answers:?}");
        assert!(
            answers.iter().all(|(_, body)| *body == answers[0].1),
            "every repeat answers the first result: {answers:?}"
        );
        assert_eq!(ledger_entry::Entity::find().count(&db.conn).await.unwrap(), ledger_before + 1, "{}", db.backend);
        assert_eq!(outbox_message::Entity::find().count(&db.conn).await.unwrap(), outbox_before + 1, "told once");
        // The same key for another request is refused; another key is another credit.
        let reused = api
            .http
            .post(format!("{}/api/v1/users/424242/credit", api.base))
            .bearer_auth(&api.admin)
            .header("Idempotency-Key", "gift-2026-12-02")
            .json(&json!({ "amount_paise": 1, "reason": "festival gift" }))
            .send()
            .await
            .unwrap();
        assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = reused.json().await.unwrap();
        assert_eq!(problem["field"], "Idempotency-Key");
        let (status, second) =
            api.post("/api/v1/users/424242/credit", &api.admin, json!({ "amount_paise": 100 })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(second["balance"]["paise"], 50_100);
        // Keys are per token: the owner's same key is a request of its own.
        let by_owner = api
            .http
            .post(format!("{}/api/v1/users/424242/credit", api.base))
            .bearer_auth(&api.owner)
            .header("Idempotency-Key", "gift-2026-12-02")
            .json(&json!({ "amount_paise": 50_000, "reason": "festival gift" }))
            .send()
            .await
            .unwrap();
        assert_eq!(by_owner.status(), StatusCode::OK);
        assert_eq!(ledger_entry::Entity::find().count(&db.conn).await.unwrap(), ledger_before + 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_through_the_api_leaves_what_the_same_act_in_chat_leaves() {
    use crate::support::bot_harness::{RunningBot, ADMIN_ID};
    use crate::support::chat::Chat;
    use crate::support::fake_telegram::FakeTelegram;
    use crate::support::trace::{pairs, shop, trace};
    use ottsonly::bot::features::staff::queues::Action as QueueAction;
    use ottsonly::bot::ui::callback;
    for (in_chat, over_api) in pairs().await {
        let (order, withdrawal) = shop(&in_chat.conn).await;
        assert_eq!(shop(&over_api.conn).await, (order, withdrawal));
        let before = trace(&in_chat.conn).await;

        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, in_chat.conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Owner");
        owner.say("/credit 8901 150 festival gift");
        owner.reply_containing("Credited ₹150").await;
        owner.say(&format!("/refund {order} login stopped working"));
        owner.reply_containing("refunded").await;
        owner.say("/withdrawals");
        let queue = owner.reply_containing("Withdrawal").await;
        owner.press_data(&queue, &callback::data(&QueueAction::WithdrawalApprove(withdrawal))).await;
        owner.reply_containing("approved").await;
        owner.say("/block 8901 chargebacks");
        owner.reply_containing("blocked").await;
        bot.stop().await;

        // The same owner's token, over HTTP.
        let conn = &over_api.conn;
        let owner_actor = Actor::new(ADMIN_ID, Role::Owner, ottsonly::domain::Lang::En);
        let secret = match tokens::create(conn, &owner_actor, "backoffice", Role::Owner, Utc::now()).await.unwrap() {
            CreateOutcome::Created { secret, .. } => secret,
            other => panic!("{other:?}"),
        };
        let api = serve_for(conn, ADMIN_ID).await;
        // Making the tokens is audited too: compare from here.
        let api_before = trace(conn).await;
        let ok = |(status, body): (StatusCode, Value)| assert_eq!(status, StatusCode::OK, "{body}");
        ok(api
            .post("/api/v1/users/8901/credit", &secret, json!({ "amount_paise": 15_000, "reason": "festival gift" }))
            .await);
        ok(api
            .post(&format!("/api/v1/orders/{order}/refund"), &secret, json!({ "reason": "login stopped working" }))
            .await);
        ok(api.post(&format!("/api/v1/withdrawals/{withdrawal}/approve"), &secret, json!({})).await);
        ok(api.post("/api/v1/users/8901/block", &secret, json!({ "reason": "chargebacks" })).await);

        let (chat_trace, api_trace) = (trace(&in_chat.conn).await.since(&before), trace(conn).await.since(&api_before));
        assert!(chat_trace.outbox.len() >= 5, "{chat_trace:#?}");
        assert_eq!(chat_trace.outbox, api_trace.outbox, "{}", in_chat.backend);
        assert_eq!(chat_trace.ledger, api_trace.ledger, "{}", in_chat.backend);
        assert_eq!(chat_trace.audit, api_trace.audit, "{}", in_chat.backend);
        // The API's acts say how they arrived.
        let vias: Vec<Option<String>> = ottsonly::entities::audit_log::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| {
                ["wallet.credit", "order.refund", "withdrawal.approve", "user.block"].contains(&row.action.as_str())
            })
            .map(|row| row.via)
            .collect();
        assert_eq!(vias, vec![Some("token:backoffice".to_owned()); 4]);
        let chat_vias: Vec<Option<String>> = ottsonly::entities::audit_log::Entity::find()
            .all(&in_chat.conn)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.action == "wallet.credit")
            .map(|row| row.via)
            .collect();
        assert_eq!(chat_vias, vec![Some("chat".to_owned())]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_made_on_the_command_line_work_until_revoked() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        let tool = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_ottsonly"))
                .args(args)
                .env_clear()
                .env("DATABASE_URL", &db.url)
                .env("OTTSONLY_CONFIG", "/nonexistent/config.toml")
                .output()
                .expect("run ottsonly")
        };
        let made = tool(&["token", "create", "--name", "cli-bot", "--role", "support"]);
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let out = String::from_utf8_lossy(&made.stdout).into_owned();
        let secret = out.lines().last().unwrap().trim().to_owned();
        assert!(secret.starts_with("ott_") && out.contains("shown only now"), "{out}");
        assert_eq!(api.get("/api/v1/users", &secret).await.0, StatusCode::OK);
        assert_eq!(
            api.post("/api/v1/users/1/credit", &secret, json!({ "amount_paise": 1 })).await.0,
            StatusCode::FORBIDDEN
        );

        let listed = String::from_utf8_lossy(&tool(&["token", "list"]).stdout).into_owned();
        let line = listed.lines().find(|l| l.contains("cli-bot")).unwrap_or_else(|| panic!("{listed}"));
        assert!(line.contains("Support") && line.contains("last used") && !line.contains(&secret), "{line}");
        let id = line.split('\t').next().unwrap();
        let twice = tool(&["token", "create", "--name", "cli-bot", "--role", "admin"]);
        assert!(!twice.status.success() && String::from_utf8_lossy(&twice.stderr).contains("exists"));
        assert_eq!(tool(&["token", "create", "--name", "x"]).status.code(), Some(2), "usage");

        assert!(tool(&["token", "revoke", id]).status.success());
        assert_eq!(api.get("/api/v1/users", &secret).await.0, StatusCode::UNAUTHORIZED);
        let audit: Vec<String> = ottsonly::entities::audit_log::Entity::find()
            .all(&db.conn)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.action.starts_with("token."))
            .map(|row| format!("{} {}", row.action, row.via.unwrap_or_default()))
            .collect();
        assert!(
            audit.contains(&"token.create system".to_owned()) && audit.contains(&"token.revoke system".to_owned()),
            "{audit:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_make_and_revoke_tokens_in_chat() {
    use crate::support::bot_harness::{RunningBot, ADMIN_ID};
    use crate::support::chat::Chat;
    use crate::support::fake_telegram::FakeTelegram;
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let api = serve_for(conn, ADMIN_ID).await;
        customer(conn, 424242).await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Owner");
        owner.say("/token new sheets support");
        let made = owner.reply_containing("shown <b>only now</b>").await;
        let secret = made.text.split("<code>").nth(1).and_then(|s| s.split("</code>").next()).unwrap().to_owned();
        assert!(secret.starts_with("ott_"), "{}", made.text);
        assert_eq!(api.get("/api/v1/users/424242", &secret).await.0, StatusCode::OK);
        owner.say("/token new sheets admin");
        owner.reply_containing("exists already").await;
        owner.say("/token new bad name admin");
        owner.reply_containing("Usage: /token").await;

        owner.say("/token");
        let listed = owner.reply_containing("API tokens").await;
        assert!(
            listed.text.contains("sheets") && listed.text.contains("support") && !listed.text.contains(&secret),
            "{}",
            listed.text
        );
        owner.press(&listed, "Revoke sheets").await;
        owner.reply_containing("revoked: it no longer works").await;
        assert_eq!(api.get("/api/v1/users/424242", &secret).await.0, StatusCode::UNAUTHORIZED);

        // Admins may not make tokens.
        let admin_id = 424242;
        ottsonly::services::staff::set_role(
            conn,
            &Actor::new(ADMIN_ID, Role::Owner, ottsonly::domain::Lang::En),
            admin_id,
            Role::Admin,
            Utc::now(),
        )
        .await
        .unwrap();
        let mut admin = Chat::new(&fake, admin_id, "Adi");
        admin.say("/token new mine admin");
        admin.reply_containing("for shop admins only").await;
        bot.stop().await;
        fake.assert_nothing_refused();
        let made: Vec<String> = ottsonly::entities::api_token::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert!(made.contains(&"sheets".to_owned()) && !made.contains(&"mine".to_owned()), "{made:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_credits_wait_for_a_second_person_and_only_owners_move_the_threshold() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = serve(conn).await;
        const SECOND_OWNER: i64 = 9_100_002;
        users::sync_staff_from_config(conn, &[OWNER, SECOND_OWNER].into(), None, Utc::now()).await.unwrap();
        let token_of = |owner: i64, name: &'static str| async move {
            let actor = Actor::new(owner, Role::Owner, ottsonly::domain::Lang::En);
            match tokens::create(conn, &actor, name, Role::Admin, Utc::now()).await.unwrap() {
                CreateOutcome::Created { secret, .. } => secret,
                other => panic!("{other:?}"),
            }
        };
        let (first, second) = (token_of(OWNER, "first-desk").await, token_of(SECOND_OWNER, "second-desk").await);
        customer(conn, 424242).await;
        let ledger_before = ledger_entry::Entity::find().count(conn).await.unwrap();

        // ₹2,500 is above the default ₹2,000: a request, no money.
        let (status, request) = api
            .post("/api/v1/users/424242/credit", &first, json!({ "amount_paise": 250_000, "reason": "bulk refund" }))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{request}");
        assert_eq!((request["status"].as_str(), request["kind"].as_str()), (Some("pending"), Some("credit")));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), ledger_before);
        let id = request["id"].as_i64().unwrap();
        let (status, pending) = api.get("/api/v1/approvals", &api.support).await;
        assert_eq!((status, pending.as_array().unwrap().len()), (StatusCode::OK, 1));

        // Not by the person who asked, nor by support.
        let (status, problem) = api.post(&format!("/api/v1/approvals/{id}/approve"), &first, json!({})).await;
        assert_eq!((status, problem["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/own-request")));
        assert_eq!(
            api.post(&format!("/api/v1/approvals/{id}/approve"), &api.support, json!({})).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, approved) = api.post(&format!("/api/v1/approvals/{id}/approve"), &second, json!({})).await;
        assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("approved")), "{approved}");
        assert_eq!(approved["decided_by"], SECOND_OWNER);
        let (status, again) = api.post(&format!("/api/v1/approvals/{id}/approve"), &second, json!({})).await;
        assert_eq!((status, again["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/already-decided")));
        assert_eq!(ledger_entry::Entity::find().count(conn).await.unwrap(), ledger_before + 1, "moved once");
        assert_eq!(api.get("/api/v1/users/424242", &api.support).await.1["user"]["balance"]["paise"], 250_000);

        // The thresholds bind admins: only owners may move them.
        let threshold = "/api/v1/settings/admin.approval_threshold";
        let (status, _, problem) =
            api.call(Method::PUT, threshold, Some(&first), Some(json!({ "value": "100000" }))).await;
        assert_eq!((status, problem["type"].as_str()), (StatusCode::FORBIDDEN, Some("/problems/forbidden")));
        let (status, _, changed) =
            api.call(Method::PUT, threshold, Some(&api.owner), Some(json!({ "value": "3000" }))).await;
        assert_eq!((status, changed["value"].as_str()), (StatusCode::OK, Some("3000.00")), "{changed}");
        // Other settings stay the admins'.
        let (status, _, _) = api
            .call(Method::PUT, "/api/v1/settings/referral.l1_rate", Some(&first), Some(json!({ "value": "25" })))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_charts_and_exports_for_admins() {
    for db in db::all().await {
        let api = serve(&db.conn).await;
        shop_with_sales(&db.conn).await;
        let (status, stats) = api.get("/api/v1/stats?period=7d", &api.admin).await;
        assert_eq!(status, StatusCode::OK, "{stats}");
        assert_eq!((stats["period"].as_str(), stats["orders"].as_u64()), (Some("7d"), Some(2)));
        assert_eq!(stats["revenue"], json!({ "paise": 45_000, "display": "₹450" }));
        assert_eq!(stats["profit"]["paise"], 45_000 - 15_000);
        assert!(stats["commissions"].as_array().unwrap().iter().any(|c| c["status"] == "pending"), "{stats}");
        let (status, days) = api.get("/api/v1/stats/daily?days=3", &api.admin).await;
        assert_eq!((status, days.as_array().unwrap().len()), (StatusCode::OK, 3));
        assert_eq!(days[2]["orders"], 2, "today is last: {days}");
        assert_eq!(api.get("/api/v1/stats?period=year", &api.admin).await.1["field"], "period");
        assert_eq!(api.get("/api/v1/stats/daily?days=0", &api.admin).await.1["field"], "days");

        let chart = api
            .http
            .get(format!("{}/api/v1/stats/chart.png?days=7", api.base))
            .bearer_auth(&api.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(chart.headers()["content-type"], "image/png");
        assert!(chart.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));

        let today = chrono::Utc::now().with_timezone(&ottsonly::domain::report::ist()).date_naive();
        let url = format!("{}/api/v1/exports/orders.csv?from={today}&to={today}", api.base);
        let csv = api.http.get(&url).bearer_auth(&api.admin).send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("orders_{today}_{today}.csv")));
        let bytes = csv.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "a header and the two orders: {text:?}");
        assert!(text.contains("300.00") && text.contains("150.00"), "{text}");

        let bad = api.get(&format!("/api/v1/exports/orders.csv?from=2026-13-01&to={today}"), &api.admin).await;
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
        let reversed = api.get(&format!("/api/v1/exports/orders.csv?from={today}&to=2020-01-01"), &api.admin).await;
        assert_eq!((reversed.0, reversed.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")));
        assert_eq!(
            api.get(&format!("/api/v1/exports/invoices.csv?from={today}&to={today}"), &api.admin).await.0,
            StatusCode::NOT_FOUND
        );
        // Figures are the admins': support is refused.
        assert_eq!(api.get("/api/v1/stats", &api.support).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            api.get(&format!("/api/v1/exports/orders.csv?from={today}&to={today}"), &api.support).await.0,
            StatusCode::FORBIDDEN
        );
    }
}

/// Two paid orders today (₹300 and ₹150, cost ₹100 and ₹50), one through a referral.
async fn shop_with_sales(conn: &DatabaseConnection) {
    customer(conn, 424242).await;
    buy(conn, 424242, 300, 100, Utc::now()).await;
    crate::support::fixtures::referee(conn, 434343, 424242, Utc::now()).await;
    buy(conn, 434343, 150, 50, Utc::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_resends_a_login_and_sees_a_claims_screenshot() {
    use crate::support::fake_telegram::FakeTelegram;
    use ottsonly::services::payments::Purpose;
    use ottsonly::services::upi::{self, ClaimOutcome};
    for db in db::all().await {
        let conn = &db.conn;
        let api = serve(conn).await;
        customer(conn, 424242).await;
        let order = buy(conn, 424242, 300, 100, Utc::now()).await.order_id;
        let outbox_before = outbox_message::Entity::find().count(conn).await.unwrap();
        let (status, resent) = api.post(&format!("/api/v1/orders/{order}/resend-login"), &api.support, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{resent}");
        assert_eq!(outbox_message::Entity::find().count(conn).await.unwrap(), outbox_before + 1);
        let notices = crate::support::fixtures::outbox_notices(conn, 424242).await;
        assert!(
            matches!(notices.last(), Some(ottsonly::services::outbox::Notice::LoginDelivered { .. })),
            "{notices:?}"
        );
        assert_eq!(
            api.post("/api/v1/orders/999999/resend-login", &api.support, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(api.post(&format!("/api/v1/orders/{order}/refund"), &api.admin, json!({})).await.0, StatusCode::OK);
        let (status, problem) =
            api.post(&format!("/api/v1/orders/{order}/resend-login"), &api.support, json!({})).await;
        assert_eq!((status, problem["type"].as_str()), (StatusCode::CONFLICT, Some("/problems/not-active")));

        // A claim sent with a screenshot: the API fetches it from Telegram.
        let fake = FakeTelegram::start().await;
        let jpeg = b"\xff\xd8\xff\xe0 a payment screenshot";
        fake.store_file("shot_api", jpeg);
        let payment = upi::start(
            conn,
            424242,
            Purpose::TopUp { amount: ottsonly::domain::Money::from_rupees(100) },
            chrono::Duration::hours(1),
            Utc::now(),
        )
        .await
        .unwrap();
        let claim = match upi::claim(conn, 424242, payment.id, "412345678905", Some("shot_api".into()), Utc::now())
            .await
            .unwrap()
        {
            ClaimOutcome::Created { claim, .. } => claim.id,
            other => panic!("{other:?}"),
        };
        let bot = teloxide::Bot::new("1:T").set_api_url(url::Url::parse(&fake.url()).unwrap());
        let state = HttpState { telegram: Some(bot), ..HttpState::new(conn.clone()) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
        let shot = api
            .http
            .get(format!("{base}/api/v1/upi-claims/{claim}/screenshot"))
            .bearer_auth(&api.support)
            .send()
            .await
            .unwrap();
        assert_eq!(shot.status(), StatusCode::OK);
        assert_eq!(shot.headers()["content-type"], "image/jpeg");
        assert_eq!(shot.bytes().await.unwrap().as_ref(), jpeg);
        let (status, claim_json) = api.get(&format!("/api/v1/upi-claims/{claim}"), &api.support).await;
        assert_eq!((status, claim_json["screenshot_file_id"].as_str()), (StatusCode::OK, Some("shot_api")));
    }
}

/// Every documented operation with the permission it needs and a body it accepts. The test
/// fails when an operation is added to the API without a line here.
fn operations() -> Vec<(Method, &'static str, ottsonly::domain::Permission, Option<Value>)> {
    use ottsonly::domain::Permission::*;
    let today = chrono::Utc::now().with_timezone(&ottsonly::domain::report::ist()).date_naive();
    let range: &'static str = Box::leak(format!("/api/v1/exports/orders.csv?from={today}&to={today}").into_boxed_str());
    vec![
        (Method::GET, "/api/v1/audit-log", View, None),
        (Method::GET, "/api/v1/fraud-flags", View, None),
        (Method::GET, "/api/v1/fraud-flags/1", View, None),
        (Method::POST, "/api/v1/fraud-flags/1/resolve", Moderate, None),
        (Method::GET, "/api/v1/orders", View, None),
        (Method::GET, "/api/v1/orders/1", View, None),
        (Method::POST, "/api/v1/orders/1/refund", MoveMoney, Some(json!({ "reason": "matrix" }))),
        (Method::POST, "/api/v1/orders/2/resend-login", ResendLogin, Some(json!({}))),
        (Method::GET, "/api/v1/payments", View, None),
        (Method::GET, "/api/v1/payments/1", View, None),
        (Method::GET, "/api/v1/plans", View, None),
        (
            Method::POST,
            "/api/v1/plans",
            ManageCatalog,
            Some(json!({ "name": "Matrix", "price_paise": 100, "duration_days": 30 })),
        ),
        (Method::GET, "/api/v1/plans/1", View, None),
        (Method::PATCH, "/api/v1/plans/1", ManageCatalog, Some(json!({ "sort_order": 2 }))),
        (Method::GET, "/api/v1/plans/1/stock", ManageCatalog, None),
        (Method::POST, "/api/v1/plans/1/stock", ManageCatalog, Some(json!({ "credentials": ["matrix@x.test:pw"] }))),
        (Method::POST, "/api/v1/plans/1/stock/upload", ManageCatalog, Some(json!("ignored"))),
        (Method::POST, "/api/v1/plans/1/stock/1/retire", ManageCatalog, None),
        (Method::GET, "/api/v1/settings", View, None),
        (Method::PUT, "/api/v1/settings/referral.l1_rate", ChangeSettings, Some(json!({ "value": "30" }))),
        (Method::GET, "/api/v1/staff", View, None),
        (Method::PUT, "/api/v1/staff/2005", ManageStaff, Some(json!({ "role": "user" }))),
        (Method::GET, "/api/v1/upi-claims", View, None),
        (Method::GET, "/api/v1/upi-claims/1", View, None),
        (Method::GET, "/api/v1/upi-claims/1/screenshot", View, None),
        (Method::POST, "/api/v1/upi-claims/1/approve", DecidePayments, None),
        (Method::POST, "/api/v1/upi-claims/1/reject", DecidePayments, Some(json!({ "reason": "matrix" }))),
        (Method::GET, "/api/v1/users", View, None),
        (Method::GET, "/api/v1/users/2001", View, None),
        (Method::GET, "/api/v1/users/2001/ledger", View, None),
        (Method::POST, "/api/v1/users/2001/block", Moderate, Some(json!({}))),
        (Method::POST, "/api/v1/users/2001/unblock", Moderate, None),
        (Method::POST, "/api/v1/users/2001/credit", MoveMoney, Some(json!({ "amount_paise": 100 }))),
        (Method::POST, "/api/v1/users/2001/debit", MoveMoney, Some(json!({ "amount_paise": 100 }))),
        (Method::GET, "/api/v1/withdrawals", View, None),
        (Method::GET, "/api/v1/withdrawals/1", View, None),
        (Method::POST, "/api/v1/withdrawals/1/approve", DecidePayments, None),
        (Method::POST, "/api/v1/withdrawals/1/reject", DecidePayments, Some(json!({ "reason": "matrix" }))),
        (Method::POST, "/api/v1/withdrawals/1/paid", DecidePayments, Some(json!({ "utr": "412345678901" }))),
        (Method::POST, "/api/v1/withdrawals/1/payout-failed", DecidePayments, Some(json!({ "reason": "matrix" }))),
        (Method::GET, "/api/v1/approvals", View, None),
        (Method::GET, "/api/v1/approvals/1", View, None),
        (Method::POST, "/api/v1/approvals/1/approve", MoveMoney, None),
        (Method::POST, "/api/v1/approvals/1/reject", MoveMoney, Some(json!({ "reason": "matrix" }))),
        (Method::POST, "/api/v1/approvals/1/cancel", MoveMoney, None),
        (Method::GET, "/api/v1/promo-codes", View, None),
        (Method::POST, "/api/v1/promo-codes", ManageOffers, Some(json!({ "code": "MATRIX", "percent_off": 10 }))),
        (Method::GET, "/api/v1/promo-codes/1", View, None),
        (Method::POST, "/api/v1/promo-codes/1/disable", ManageOffers, None),
        (Method::GET, "/api/v1/broadcasts", ManageOffers, None),
        (
            Method::POST,
            "/api/v1/broadcasts/preview",
            ManageOffers,
            Some(json!({ "text": "Matrix", "audience": "everyone" })),
        ),
        (
            Method::POST,
            "/api/v1/broadcasts",
            ManageOffers,
            Some(json!({ "text": "Matrix", "audience": "everyone", "confirm": true })),
        ),
        (Method::GET, "/api/v1/broadcasts/1", ManageOffers, None),
        (Method::POST, "/api/v1/broadcasts/1/pause", ManageOffers, None),
        (Method::POST, "/api/v1/broadcasts/1/resume", ManageOffers, None),
        (Method::POST, "/api/v1/broadcasts/1/cancel", ManageOffers, None),
        (Method::GET, "/api/v1/stats", ViewReports, None),
        (Method::GET, "/api/v1/stats/daily", ViewReports, None),
        (Method::GET, "/api/v1/stats/chart.png", ViewReports, None),
        (Method::GET, range, ViewReports, None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_follows_the_role_matrix() {
    use ottsonly::domain::permission;
    for db in db::all().await {
        let conn = &db.conn;
        ottsonly::demo::seed(conn, Utc::now()).await.unwrap();
        // A pending two-person request to decide.
        let owner = Actor::new(ottsonly::demo::OWNER, Role::Owner, ottsonly::domain::Lang::En);
        ottsonly::services::wallet::admin_adjust(
            conn,
            &owner,
            2001,
            Money::from_rupees(2500),
            ottsonly::services::wallet::Direction::Credit,
            "big",
            "matrix",
            Utc::now(),
        )
        .await
        .unwrap();
        let api = serve_for(conn, ottsonly::demo::OWNER).await;
        // Every documented operation has a line.
        let listed: Vec<(Method, String)> =
            operations().iter().map(|(m, p, _, _)| (m.clone(), p.split('?').next().unwrap().to_owned())).collect();
        let document = serde_json::to_value(ottsonly::http::api::document()).unwrap();
        let mut documented = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                documented += 1;
                let pattern = regex_of(path);
                assert!(
                    listed.iter().any(|(m, p)| m.as_str().eq_ignore_ascii_case(method) && pattern(p)),
                    "{method} {path} has no line in operations()"
                );
            }
        }
        assert_eq!(documented, listed.len());
        // Support first (it changes nothing), then admin, then owner.
        for (role, token) in [(Role::Support, &api.support), (Role::Admin, &api.admin), (Role::Owner, &api.owner)] {
            for (method, path, needs, body) in operations() {
                let (status, _, answer) = api.call(method.clone(), path, Some(token), body).await;
                if permission::allows(role, needs) {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{role:?} {method} {path}: {answer}");
                    assert!(!status.is_server_error(), "{role:?} {method} {path}: {answer}");
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} {method} {path}: {answer}");
                }
            }
        }
    }
}

/// Matches a filled-in path against a documented one (`/users/{telegram_id}`).
fn regex_of(template: &str) -> impl Fn(&str) -> bool + '_ {
    move |path: &str| {
        let (a, b): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
        a.len() == b.len() && a.iter().zip(&b).all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
    }
}

#[tokio::test]
async fn promo_codes_are_made_used_and_switched_off_through_the_api() {
    for db in db::all().await {
        let conn = &db.conn;
        let api = serve(conn).await;
        let (status, made) = api
            .post(
                "/api/v1/promo-codes",
                &api.admin,
                json!({ "code": "api10", "percent_off": 10, "max_uses": 5, "first_purchase_only": true }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!((made["code"].as_str(), made["percent_off"].as_u64()), (Some("API10"), Some(10)));
        let id = made["id"].as_i64().unwrap();
        let (status, taken) =
            api.post("/api/v1/promo-codes", &api.owner, json!({ "code": "API10", "percent_off": 5 })).await;
        assert_eq!((status, taken["type"].as_str().unwrap().ends_with("code-taken")), (StatusCode::CONFLICT, true));
        for (bad, field) in [
            (json!({ "code": "x", "percent_off": 5 }), "code"),
            (json!({ "code": "BOTH", "percent_off": 5, "amount_off_paise": 100 }), "percent_off"),
            (json!({ "code": "NONE" }), "percent_off"),
            (json!({ "code": "ZERO", "percent_off": 5, "per_user": 0 }), "per_user"),
        ] {
            let (status, problem) = api.post("/api/v1/promo-codes", &api.admin, bad).await;
            assert_eq!(
                (status, problem["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{problem}"
            );
        }
        let (status, denied) =
            api.post("/api/v1/promo-codes", &api.support, json!({ "code": "SUP", "percent_off": 5 })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");

        // A customer uses it; the API shows the use.
        let plan = crate::support::fixtures::plan_with_stock(conn, "Api promo", 200, 50, 1).await;
        crate::support::fixtures::customer(conn, 2701).await;
        crate::support::fixtures::credit(conn, 2701, 200).await;
        let checkout = ottsonly::services::purchase::open_checkout(
            conn,
            2701,
            plan.id,
            ottsonly::services::purchase::WhenShort::Refuse,
            Utc::now(),
        )
        .await
        .unwrap();
        ottsonly::services::promos::apply(conn, 2701, checkout.order_id, "api10", Utc::now()).await.unwrap();
        ottsonly::services::purchase::confirm(conn, 2701, checkout.order_id, Utc::now()).await.unwrap();
        let (_, one) = api.get(&format!("/api/v1/promo-codes/{id}"), &api.support).await;
        assert_eq!(one["uses"], 1);
        assert_eq!(one["usage"]["orders"], 1);
        assert_eq!(one["usage"]["discount"]["paise"], 2000);
        assert_eq!(one["usage"]["paid"]["paise"], 18_000);
        let (_, listed) = api.get("/api/v1/promo-codes", &api.support).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let (status, off) = api.post(&format!("/api/v1/promo-codes/{id}/disable"), &api.admin, json!({})).await;
        assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)));
        let (status, _) = api.post(&format!("/api/v1/promo-codes/{id}/disable"), &api.admin, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = api.get("/api/v1/promo-codes/999", &api.admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
