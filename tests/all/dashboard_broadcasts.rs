//! Broadcasts on the dashboard, over HTTP with the session cookie and CSRF token: the form,
//! a preview that writes nothing and shows the text safely, bad input shown again with its
//! values, Send (once, however often it is pressed), and Pause / Resume / Stop with Stop
//! asking first. Support may not open any of it. Both databases.
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::broadcast::{Audience, Content};
use ottsonly::domain::Lang;
use ottsonly::entities::audit_log;
use ottsonly::entities::broadcast::{self, BroadcastStatus};
use ottsonly::entities::broadcast_recipient::{self, RecipientStatus};
use ottsonly::entities::user::Role;
use ottsonly::http::HttpState;
use ottsonly::services::broadcasts::{self, Draft, StartOutcome};
use ottsonly::services::{staff, users, Actor};

use crate::support::dashboard::{serve, Dashboard};
use crate::support::db;
use crate::support::fixtures::{customer, profile};
use crate::support::locale_text::tr;

const OWNER: i64 = 7_400_001;
const ADMIN: i64 = 7_400_002;
const SUPPORT: i64 = 7_400_003;
const HINDI: [i64; 2] = [7_400_101, 7_400_102];
const ENGLISH: i64 = 7_400_201;
/// The three staff members (customers too), the Hindi speakers and one more.
const EVERYONE: u64 = 6;

/// The server, with an owner (ADMIN_IDS), an admin, a support member and customers.
async fn shop(conn: &DatabaseConnection) -> String {
    let now = Utc::now();
    customer(conn, OWNER).await;
    users::sync_staff_from_config(conn, &[OWNER].into(), None, now).await.unwrap();
    let owner = Actor::of(&users::find_by_telegram_id(conn, OWNER).await.unwrap().unwrap());
    for (id, role) in [(ADMIN, Role::Admin), (SUPPORT, Role::Support)] {
        customer(conn, id).await;
        staff::set_role(conn, &owner, id, role, now).await.unwrap();
    }
    for id in HINDI {
        let hindi = users::Profile { language_code: Some("hi".into()), ..profile(id) };
        users::sign_up(conn, &hindi, None, now).await.unwrap();
        users::set_language(conn, id, Lang::Hi).await.unwrap();
    }
    customer(conn, ENGLISH).await;
    serve(HttpState::new(conn.clone())).await
}

async fn written(conn: &DatabaseConnection) -> (u64, u64) {
    (
        broadcast::Entity::find().count(conn).await.unwrap(),
        broadcast_recipient::Entity::find().count(conn).await.unwrap(),
    )
}

async fn row(conn: &DatabaseConnection, id: i32) -> broadcast::Model {
    broadcast::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

async fn recipients(conn: &DatabaseConnection, id: i32, status: RecipientStatus) -> Vec<i64> {
    let mut chats: Vec<i64> = broadcast_recipient::Entity::find()
        .filter(broadcast_recipient::Column::BroadcastId.eq(id))
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

/// The value of the hidden `name` input in a page.
fn hidden_value(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker)? + marker.len();
    page[start..].split('"').next().map(str::to_owned)
}

const TEXT: &str = "<b>Diwali sale</b> &amp; a free week\n<a href=\"https://shop.example/plans\">See plans</a>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_previews_a_broadcast_and_sends_it_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        assert!(admin.get("/admin").await.body.contains(r#"href="/admin/broadcasts""#), "the menu has it");

        // The form offers the audiences with how many each reaches.
        let form = admin.get("/admin/broadcasts/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let hindi = tr("en", "dashboard_broadcasts.audience_hindi", &[]);
        let everyone = tr("en", "dashboard_broadcasts.audience_everyone", &[]);
        for (name, count) in [(&hindi, 2), (&everyone, EVERYONE)] {
            let option = tr("en", "dashboard_broadcasts.audience_option", &[("audience", name), ("count", &count)]);
            assert!(form.body.contains(&option), "{option}: {}", form.body);
        }
        for code in
            ["everyone", "active", "expired:7", "expired:30", "expired:90", "never_bought", "lang:en", "lang:hi"]
        {
            assert!(form.body.contains(&format!(r#"value="{code}""#)), "{code}");
        }

        // The preview: the text as customers see it, the count, and nothing written.
        let fields = [
            ("text", TEXT),
            ("button_text", "Shop now"),
            ("button_url", "https://shop.example"),
            ("audience", "lang:hi"),
        ];
        let preview = admin.post("/admin/broadcasts/preview", &fields).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(preview.body.contains("<b>Diwali sale</b> &amp; a free week"), "{}", preview.body);
        assert!(
            preview.body.contains(r#"<a href="https://shop.example/plans" rel="noopener noreferrer nofollow""#),
            "{}",
            preview.body
        );
        let to = tr("en", "dashboard_broadcasts.to", &[("audience", &hindi), ("count", &2)]);
        assert!(preview.body.contains(&to), "{to}: {}", preview.body);
        let send = tr("en", "dashboard_broadcasts.send_button", &[("count", &2)]);
        assert!(preview.body.contains(&send), "{}", preview.body);
        assert!(preview.body.contains("Shop now") && preview.body.contains(r#"name="audience" value="lang:hi""#));
        assert_eq!(written(conn).await, (0, 0), "{}: a preview writes nothing", db.backend);

        // Change: back to the form with the values.
        let edit = admin
            .post("/admin/broadcasts/preview", &[("step", "edit"), fields[0], fields[1], fields[2], fields[3]])
            .await;
        assert_eq!(edit.status, 200);
        assert!(
            edit.body.contains("&lt;b&gt;Diwali sale&lt;/b&gt; &amp;amp; a free week"),
            "the text is kept: {}",
            edit.body
        );
        assert!(
            edit.body.contains(r#"value="https://shop.example""#) && edit.body.contains(r#"value="lang:hi" selected"#)
        );

        // Send, from the preview's own form: the row and one recipient per Hindi speaker.
        let key = hidden_value(&preview.body, "key").expect("the Send form has a key");
        let mut confirm = fields.to_vec();
        confirm.push(("key", key.as_str()));
        let sent = admin.act("/admin/broadcasts", &confirm).await;
        let b = broadcast::Entity::find().one(conn).await.unwrap().expect("a broadcast");
        let started = tr("en", "dashboard_broadcasts.started", &[("id", &b.id), ("total", &2)]);
        assert!(sent.body.contains(&started), "{started}: {}", sent.body);
        assert!(sent.body.contains(&format!("broadcast-{}", b.id)), "{}", sent.body);
        assert_eq!(
            (b.total, b.status, b.audience.as_str(), b.created_by),
            (2, BroadcastStatus::Queued, "lang:hi", ADMIN)
        );
        assert_eq!(
            (b.text.as_str(), b.button_text.as_deref(), b.button_url.as_deref()),
            (TEXT, Some("Shop now"), Some("https://shop.example"))
        );
        assert_eq!(recipients(conn, b.id, RecipientStatus::Pending).await, HINDI.to_vec());
        let audit =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("broadcast.start")).all(conn).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].actor_telegram_id, audit[0].via.as_deref()), (ADMIN, Some("dashboard")));

        // Send pressed again (a double click, a reload): nothing more is sent.
        let again = admin.act("/admin/broadcasts", &confirm).await;
        let already = tr("en", "dashboard_broadcasts.already_started", &[("id", &b.id)]);
        assert!(again.body.contains(&already), "{already}: {}", again.body);
        assert_eq!(written(conn).await, (1, 2), "{}: one broadcast", db.backend);
        // A new preview is a new broadcast.
        let preview = admin.post("/admin/broadcasts/preview", &[("text", "Hello"), ("audience", "everyone")]).await;
        let key = hidden_value(&preview.body, "key").unwrap();
        admin.act("/admin/broadcasts", &[("text", "Hello"), ("audience", "everyone"), ("key", &key)]).await;
        assert_eq!(written(conn).await, (2, 2 + EVERYONE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_shown_again_with_what_was_typed() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
            (
                vec![("text", "<script>alert(1)</script>"), ("audience", "everyone")],
                tr("en", "dashboard_broadcasts.html_unknown_tag", &[("tag", &"&lt;script&gt;")]),
            ),
            (
                vec![("text", "<b>sale"), ("audience", "everyone")],
                tr("en", "dashboard_broadcasts.html_unclosed", &[("tag", &"&lt;b&gt;")]),
            ),
            (vec![("text", "fish & chips"), ("audience", "everyone")], tr("en", "dashboard_broadcasts.html_bare", &[])),
            (vec![("text", "  "), ("audience", "everyone")], tr("en", "dashboard_broadcasts.html_empty", &[])),
            (
                vec![
                    ("text", "Sale"),
                    ("button_text", "Go"),
                    ("button_url", "ftp://files.example"),
                    ("audience", "everyone"),
                ],
                tr("en", "dashboard_broadcasts.button_url", &[]),
            ),
            (
                vec![("text", "Sale"), ("button_text", "Go"), ("audience", "everyone")],
                tr("en", "dashboard_broadcasts.button_both", &[]),
            ),
            (vec![("text", "Sale"), ("audience", "all")], tr("en", "dashboard_broadcasts.bad_audience", &[])),
            (
                vec![("text", "Sale"), ("audience", "active")],
                tr(
                    "en",
                    "dashboard_broadcasts.nobody",
                    &[("audience", &tr("en", "dashboard_broadcasts.audience_active", &[]))],
                ),
            ),
        ];
        for (fields, error) in cases {
            // Both the preview and Send (hidden fields can be edited) check the draft.
            for path in ["/admin/broadcasts/preview", "/admin/broadcasts"] {
                let page = admin.post(path, &fields).await;
                assert_eq!(page.status, 422, "{path} {fields:?}: {}", page.body);
                assert!(page.body.contains(&error), "{path} {fields:?}: {error}: {}", page.body);
                assert!(page.body.contains(r#"action="/admin/broadcasts/preview""#), "the form again");
            }
        }
        // What was typed is kept, escaped: never markup on the page.
        let page = admin
            .post(
                "/admin/broadcasts/preview",
                &[
                    ("text", "<script>alert(1)</script>"),
                    ("button_text", "Go \"now\""),
                    ("button_url", "ftp://x.example"),
                    ("audience", "lang:en"),
                ],
            )
            .await;
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", page.body);
        assert!(!page.body.contains("<script>"), "{}", page.body);
        assert!(
            page.body.contains(r#"value="Go &quot;now&quot;""#) && page.body.contains(r#"value="ftp://x.example""#),
            "{}",
            page.body
        );
        assert!(page.body.contains(r#"value="lang:en" selected"#), "{}", page.body);
        // A preview never renders what Telegram would not: attributes and script links go.
        let preview = admin
            .post(
                "/admin/broadcasts/preview",
                &[
                    ("text", "<b onclick=\"alert(1)\">Hi</b> <a href=\"javascript:alert(2)\">x</a>"),
                    ("audience", "everyone"),
                ],
            )
            .await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(preview.body.contains("<b>Hi</b> <a>x</a>"), "{}", preview.body);
        assert!(
            !preview.body.contains("onclick=\"alert") && !preview.body.contains("href=\"javascript"),
            "{}",
            preview.body
        );
        assert_eq!(written(conn).await, (0, 0), "{}: nothing was written", db.backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_stop_with_a_confirmation() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let admin_actor = Actor::new(ADMIN, Role::Admin, Lang::En);
        let draft = Draft {
            content: Content { text: TEXT.into(), photo_file_id: None, button: None },
            audience: Audience::Everyone,
        };
        let StartOutcome::Queued { broadcast: b, .. } =
            broadcasts::start(conn, &admin_actor, &draft, Utc::now()).await.unwrap()
        else {
            panic!("not started");
        };
        let id = b.id;
        // The sender took it.
        broadcast::Entity::update_many()
            .col_expr(broadcast::Column::Status, Expr::value("running"))
            .filter(broadcast::Column::Id.eq(id))
            .exec(conn)
            .await
            .unwrap();
        let path = |verb: &str| format!("/admin/broadcasts/{id}/{verb}");

        // Support: no menu entry, no page, no act.
        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        assert!(!support.get("/admin").await.body.contains(r#"href="/admin/broadcasts""#));
        assert_eq!(support.get("/admin/broadcasts").await.status, 403);
        assert_eq!(support.get("/admin/broadcasts/new").await.status, 403);
        for (to, fields) in [
            (path("pause"), vec![]),
            (path("stop"), vec![("confirm", "yes")]),
            ("/admin/broadcasts/preview".to_owned(), vec![("text", "Hi"), ("audience", "everyone")]),
            (
                "/admin/broadcasts".to_owned(),
                vec![("text", "Hi"), ("audience", "everyone"), ("key", "0123456789abcdef0123")],
            ),
        ] {
            assert_eq!(support.post(&to, &fields).await.status, 403, "{to}");
        }
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Running);
        assert_eq!(written(conn).await.0, 1);

        // A running one offers Pause and Stop.
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let list = admin.get("/admin/broadcasts").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(
            list.body.contains(&format!("broadcast-{id}")) && list.body.contains("Diwali sale &amp; a free week"),
            "{}",
            list.body
        );
        assert!(
            list.body.contains(&path("pause"))
                && list.body.contains(&path("stop"))
                && !list.body.contains(&path("resume"))
        );
        let percent = tr("en", "dashboard_broadcasts.percent_of", &[("percent", &0), ("total", &EVERYONE)]);
        assert!(list.body.contains(&percent), "{percent}: {}", list.body);

        let paused = admin.act(&path("pause"), &[]).await;
        assert!(paused.body.contains(&tr("en", "dashboard_broadcasts.paused", &[("id", &id)])), "{}", paused.body);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Paused);
        assert!(paused.body.contains(&path("resume")) && !paused.body.contains(&path("pause")), "{}", paused.body);
        let again = admin.act(&path("pause"), &[]).await;
        assert!(again.body.contains(&tr("en", "dashboard_broadcasts.not_running", &[("id", &id)])), "{}", again.body);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Paused);

        let resumed = admin.act(&path("resume"), &[]).await;
        assert!(resumed.body.contains(&tr("en", "dashboard_broadcasts.resumed", &[("id", &id)])), "{}", resumed.body);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Queued);

        // Stop asks first, and changes nothing until confirmed.
        let ask = admin.post(&path("stop"), &[]).await;
        assert_eq!(ask.status, 200, "{}", ask.body);
        let question = tr("en", "dashboard_broadcasts.stop_ask", &[("id", &id), ("remaining", &EVERYONE)]);
        assert!(ask.body.contains(&question), "{question}: {}", ask.body);
        assert!(ask.body.contains(r#"name="confirm" value="yes""#), "{}", ask.body);
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Queued);
        assert_eq!(recipients(conn, id, RecipientStatus::Pending).await.len() as u64, EVERYONE);

        let stopped = admin.act(&path("stop"), &[("confirm", "yes")]).await;
        assert!(stopped.body.contains(&tr("en", "dashboard_broadcasts.stopped", &[("id", &id)])), "{}", stopped.body);
        let stored = row(conn, id).await;
        assert_eq!(stored.status, BroadcastStatus::Cancelled);
        assert!(stored.finished_at.is_some());
        assert_eq!(recipients(conn, id, RecipientStatus::Skipped).await.len() as u64, EVERYONE);
        assert!(!stopped.body.contains(&path("stop")), "an ended one has no buttons: {}", stopped.body);
        let cancels =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("broadcast.cancel")).all(conn).await.unwrap();
        assert_eq!((cancels.len(), cancels[0].via.as_deref()), (1, Some("dashboard")));

        // Over, or unknown: said so, nothing moves.
        let over = tr("en", "dashboard_broadcasts.already_over", &[("id", &id)]);
        assert!(admin.act(&path("stop"), &[]).await.body.contains(&over));
        assert!(admin.act(&path("stop"), &[("confirm", "yes")]).await.body.contains(&over));
        assert!(admin.act(&path("resume"), &[]).await.body.contains(&over));
        let unknown = tr("en", "dashboard_broadcasts.unknown", &[("id", &999_999)]);
        assert!(admin.act("/admin/broadcasts/999999/pause", &[]).await.body.contains(&unknown));
        assert!(admin.act("/admin/broadcasts/999999/stop", &[]).await.body.contains(&unknown));
        assert_eq!(row(conn, id).await.status, BroadcastStatus::Cancelled);
        // Without the CSRF token, nothing at all.
        let forged = admin.post_raw(&path("resume"), &[]).await;
        assert_eq!(forged.status, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_the_staff_members_language() {
    let db = db::TestDb::sqlite().await;
    let conn = &db.conn;
    let base = shop(conn).await;
    users::set_language(conn, ADMIN, Lang::Hi).await.unwrap();
    let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
    let list = admin.get("/admin/broadcasts").await;
    assert!(list.body.contains(&tr("hi", "dashboard_broadcasts.title", &[])), "{}", list.body);
    let preview = admin.post("/admin/broadcasts/preview", &[("text", "नमस्ते"), ("audience", "lang:hi")]).await;
    // The admin speaks Hindi now too.
    let send = tr("hi", "dashboard_broadcasts.send_button", &[("count", &3)]);
    assert!(preview.body.contains(&send), "{send}: {}", preview.body);
}

/// A form: its route pattern, the path to send, and its fields.
type Form = (&'static str, String, Vec<(&'static str, &'static str)>);

/// The broadcast forms, with fields they accept: all need Permission::ManageOffers.
/// (The same lines belong in `forms()` of tests/all/dashboard_roles.rs.)
fn forms() -> Vec<Form> {
    const NOBODY: &str = "999999";
    vec![
        (
            "/admin/broadcasts",
            "/admin/broadcasts".into(),
            vec![("text", "Probe"), ("audience", "everyone"), ("key", "0123456789abcdef0123")],
        ),
        (
            "/admin/broadcasts/preview",
            "/admin/broadcasts/preview".into(),
            vec![("text", "Probe"), ("audience", "everyone")],
        ),
        ("/admin/broadcasts/{id}/pause", format!("/admin/broadcasts/{NOBODY}/pause"), vec![]),
        ("/admin/broadcasts/{id}/resume", format!("/admin/broadcasts/{NOBODY}/resume"), vec![]),
        ("/admin/broadcasts/{id}/stop", format!("/admin/broadcasts/{NOBODY}/stop"), vec![("confirm", "yes")]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broadcast_form_follows_the_role_matrix() {
    use ottsonly::domain::permission::allows;
    use ottsonly::domain::Permission;
    // Every POST route the page declares has a line.
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/dashboard/broadcasts.rs")).unwrap();
    let mut declared: Vec<&str> = source
        .split(".route(\"")
        .skip(1)
        .filter_map(|part| {
            let (path, rest) = part.split_once('"')?;
            rest.split(".route(").next()?.contains("post(").then_some(path)
        })
        .collect();
    let mut tested: Vec<&str> = forms().iter().map(|(route, ..)| *route).collect();
    declared.sort();
    tested.sort();
    assert_eq!(declared, tested);
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        for (id, role) in [(SUPPORT, Role::Support), (ADMIN, Role::Admin), (OWNER, Role::Owner)] {
            let mut page = Dashboard::sign_in(conn, &base, id).await;
            for (_, path, fields) in forms() {
                let answer = page.post(&path, &fields).await;
                assert_eq!(
                    answer.status == 403,
                    !allows(role, Permission::ManageOffers),
                    "{role:?} POST {path}: {} {}",
                    answer.status,
                    answer.body
                );
                assert!(answer.status < 500, "{role:?} POST {path}: {}", answer.status);
            }
        }
        // Support's turn wrote nothing; the admin's and the owner's Send did.
        assert_eq!(written(conn).await.0, 2, "{}", db.backend);
    }
}
