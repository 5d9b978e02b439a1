//! Signing in to the dashboard: the one-time link (single use, 10 minutes, one session even
//! when opened twice at once), the session cookie and its expiry, sign-out, CSRF on every
//! form, and roles: what support sees and what a forged POST from support gets.
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::Money;
use ottsonly::entities::user::Role;
use ottsonly::entities::{audit_log, upi_claim};
use ottsonly::http::{DashboardSettings, HttpState};
use ottsonly::services::payments::Purpose;
use ottsonly::services::sign_in::{self, Redeemed};
use ottsonly::services::{staff, upi, users};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::dashboard::{serve, Dashboard};
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{balance, customer, outbox_notices, ADMIN};

const OWNER: i64 = 8100;
const ADMIN_USER: i64 = 8101;
const SUPPORT: i64 = 8102;
const BUYER: i64 = 8103;

async fn team(db: &DatabaseConnection) {
    for id in [OWNER, ADMIN_USER, SUPPORT, BUYER] {
        customer(db, id).await;
    }
    users::sync_staff_from_config(db, &BTreeSet::from([OWNER]), None, Utc::now()).await.unwrap();
    staff::set_role(db, &ADMIN, ADMIN_USER, Role::Admin, Utc::now()).await.unwrap();
    staff::set_role(db, &ADMIN, SUPPORT, Role::Support, Utc::now()).await.unwrap();
}

/// A ₹100 top-up by UPI, claimed with a UTR and waiting for staff.
async fn pending_claim(db: &DatabaseConnection) -> i32 {
    let now = Utc::now();
    let purpose = Purpose::TopUp { amount: Money::from_rupees(100) };
    let payment = upi::start(db, BUYER, purpose, chrono::Duration::hours(1), now).await.unwrap();
    match upi::claim(db, BUYER, payment.id, "412345678901", None, now).await.unwrap() {
        upi::ClaimOutcome::Created { claim, .. } => claim.id,
        other => panic!("no claim: {other:?}"),
    }
}

async fn claim_status(db: &DatabaseConnection, id: i32) -> String {
    let claim = upi_claim::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    sea_orm::ActiveEnum::to_value(&claim.status)
}

#[tokio::test]
async fn a_link_signs_in_once_within_ten_minutes() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let admin = users::find_by_telegram_id(conn, ADMIN_USER).await.unwrap().unwrap();
        let actor = ottsonly::services::Actor::of(&admin);
        let token = sign_in::create_link(conn, &actor, Utc::now()).await.unwrap();

        // Opening the link only shows a button: a link preview cannot spend it.
        let mut browser = Dashboard::signed_out(&base);
        let page = browser.get(&format!("/admin/login?token={token}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(r#"action="/admin/login""#) && page.body.contains(&token), "{}", page.body);
        let opened = browser.get("/admin").await;
        assert_eq!((opened.status, opened.location.as_deref()), (303, Some("/admin/signed-out")));

        let signed_in = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        // Another site posting the link (to sign a victim in as this staff member) is refused,
        // and the link is not spent.
        for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")] {
            let forged = signed_in
                .post(format!("{base}/admin/login"))
                .header(name, value)
                .form(&[("token", &token)])
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 403, "{name}");
            assert!(forged.headers().get("set-cookie").is_none());
        }
        let answer = signed_in.post(format!("{base}/admin/login")).form(&[("token", &token)]).send().await.unwrap();
        assert_eq!(answer.status(), 303);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
        for part in ["ottsonly_session=", "HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=43200"] {
            assert!(cookie.contains(part), "{part} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
        let session = cookie.split(';').next().unwrap().to_owned();
        let home = signed_in.get(format!("{base}/admin")).header("cookie", &session).send().await.unwrap();
        assert_eq!(home.status(), 200);
        assert!(home.text().await.unwrap().contains("Waiting for you"));

        // The same link again, a made-up one, and an expired one: all refused alike.
        let again = browser.post_raw("/admin/login", &[("token", &token)]).await;
        assert_eq!(again.status, 410, "{}", again.body);
        assert!(again.body.contains("no longer works"));
        assert_eq!(browser.post_raw("/admin/login", &[("token", "f00d")]).await.status, 410);
        let old = sign_in::create_link(conn, &actor, Utc::now() - chrono::Duration::minutes(11)).await.unwrap();
        assert_eq!(browser.post_raw("/admin/login", &[("token", &old)]).await.status, 410);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("dashboard.sign_in"))
            .filter(audit_log::Column::Via.eq("dashboard"))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(audited, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_opened_twice_at_once_gives_one_session() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let admin = users::find_by_telegram_id(conn, ADMIN_USER).await.unwrap().unwrap();
        let token = sign_in::create_link(conn, &ottsonly::services::Actor::of(&admin), Utc::now()).await.unwrap();
        let now = Utc::now();
        let tries: Vec<_> = (0..6)
            .map(|_| {
                let (conn, token) = (conn.clone(), token.clone());
                tokio::spawn(async move { sign_in::redeem(&conn, &token, 12, now).await })
            })
            .collect();
        let mut sessions = 0;
        for task in tries {
            if let Redeemed::SignedIn(_) = task.await.unwrap().unwrap() {
                sessions += 1;
            }
        }
        assert_eq!(sessions, 1, "{}", db.backend);
    }
}

#[tokio::test]
async fn sessions_expire_end_at_sign_out_and_follow_the_role() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let admin = users::find_by_telegram_id(conn, ADMIN_USER).await.unwrap().unwrap();
        let now = Utc::now();
        let token = sign_in::create_link(conn, &ottsonly::services::Actor::of(&admin), now).await.unwrap();
        let Redeemed::SignedIn(session) = sign_in::redeem(conn, &token, 12, now).await.unwrap() else {
            panic!("not signed in")
        };
        assert!(sign_in::session(conn, &session.secret, now + chrono::Duration::hours(11)).await.unwrap().is_some());
        assert!(sign_in::session(conn, &session.secret, now + chrono::Duration::hours(12)).await.unwrap().is_none());

        let base = serve(HttpState::new(conn.clone())).await;
        let mut page = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let out = page.post("/admin/logout", &[]).await;
        assert_eq!((out.status, out.location.as_deref()), (303, Some("/admin/signed-out")));
        assert_eq!(page.get("/admin").await.location.as_deref(), Some("/admin/signed-out"));
        let gone = page.get("/admin/signed-out").await;
        assert!(gone.body.contains("Send /dashboard"), "{}", gone.body);

        // Demoted staff lose the dashboard at their next click.
        let mut demoted = Dashboard::sign_in(conn, &base, SUPPORT).await;
        staff::set_role(conn, &ADMIN, SUPPORT, Role::User, Utc::now()).await.unwrap();
        assert_eq!(demoted.get("/admin").await.location.as_deref(), Some("/admin/signed-out"));
        // A customer's link is refused.
        let customer = users::find_by_telegram_id(conn, BUYER).await.unwrap().unwrap();
        assert!(sign_in::create_link(conn, &ottsonly::services::Actor::of(&customer), now).await.is_err());
    }
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let db = db::TestDb::sqlite().await;
    team(&db.conn).await;
    let state = HttpState {
        dashboard: DashboardSettings { secure_cookies: true, session_hours: 2 },
        metrics_token: None,
        telegram_webhook: Default::default(),
        ..HttpState::new(db.conn.clone())
    };
    let base = serve(state).await;
    let admin = users::find_by_telegram_id(&db.conn, ADMIN_USER).await.unwrap().unwrap();
    let token = sign_in::create_link(&db.conn, &ottsonly::services::Actor::of(&admin), Utc::now()).await.unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = client.post(format!("{base}/admin/login")).form(&[("token", &token)]).send().await.unwrap();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure") && cookie.contains("Max-Age=7200"), "{cookie}");
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_the_role() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let claim = pending_claim(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let approve = format!("/admin/claims/{claim}/approve");

        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let list = support.get("/admin/claims").await;
        assert!(list.body.contains("412345678901"), "support sees the queue: {}", list.body);
        assert!(!list.body.contains(&approve), "support has no Approve button");
        let forged = support.post(&approve, &[]).await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert!(forged.body.contains("does not allow"), "{}", forged.body);

        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let list = admin.get("/admin/claims").await;
        assert!(list.body.contains(&approve), "{}", list.body);
        let no_token = admin.post_raw(&approve, &[]).await;
        assert_eq!(no_token.status, 403);
        assert!(no_token.body.contains("not sent from your dashboard session"), "{}", no_token.body);
        let wrong = admin.post_raw(&approve, &[("csrf", &support.csrf)]).await;
        assert_eq!(wrong.status, 403, "another session's token");
        assert_eq!(claim_status(conn, claim).await, "pending");
        assert_eq!(balance(conn, BUYER).await, Money::ZERO);

        let done = admin.act(&approve, &[]).await;
        assert!(done.body.contains(&format!("Claim #{claim} approved")), "{}", done.body);
        assert_eq!(claim_status(conn, claim).await, "approved");
        assert_eq!(balance(conn, BUYER).await, Money::from_rupees(100));
        let again = admin.act(&approve, &[]).await;
        assert!(again.body.contains("already approved"), "{}", again.body);
        assert_eq!(balance(conn, BUYER).await, Money::from_rupees(100));
        let by_dashboard = audit_log::Entity::find()
            .filter(audit_log::Column::Via.eq("dashboard"))
            .filter(audit_log::Column::ActorTelegramId.eq(ADMIN_USER))
            .filter(audit_log::Column::Action.ne("dashboard.sign_in"))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(by_dashboard, 1);
        assert_eq!(outbox_notices(conn, BUYER).await.len(), 1, "the customer is told once");
        // The notice is shown once, then gone.
        let later = admin.get("/admin/claims").await;
        assert!(!later.body.contains("already approved"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_get_a_sign_in_link_in_chat() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        owner.say("/dashboard");
        let link = owner.reply_containing("Web dashboard").await;
        let prefix = format!("{}/admin/login?token=", bot.http);
        assert!(link.text.contains(&prefix), "{}", link.text);
        let token: String = link.text.split(&prefix).nth(1).unwrap().chars().take(64).collect();
        let mut browser = Dashboard::signed_out(&bot.http);
        let answer = browser.post_raw("/admin/login", &[("token", &token)]).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(browser.get("/admin").await.status, 200);

        let mut customer = Chat::new(&fake, 8199, "Asha");
        customer.say("/dashboard");
        customer.reply_containing("for shop admins only").await;
        bot.stop().await;
        fake.assert_nothing_refused();
    }
}
