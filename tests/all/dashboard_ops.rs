//! The dashboard's operations pages: withdrawals, fraud flags, plans and stock, settings, staff
//! and tokens, exports. Each act goes through the same service as chat and the API, is audited
//! as done via the dashboard, and tells the customer once. Both databases.
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use ottsonly::domain::setting::SettingKey;
use ottsonly::domain::Money;
use ottsonly::entities::fraud_flag::{self, FlagStatus, FraudRule};
use ottsonly::entities::stock_item::{self, StockStatus};
use ottsonly::entities::user::Role;
use ottsonly::entities::withdrawal::{self, WithdrawalStatus};
use ottsonly::entities::{api_token, audit_log, plan};
use ottsonly::http::HttpState;
use ottsonly::services::outbox::Notice;
use ottsonly::services::{settings, sign_in, staff, tokens, users, withdrawals, Actor};

use crate::support::dashboard::{serve, Dashboard};
use crate::support::db;
use crate::support::fixtures::{customer, earn_withdrawable, outbox_notices, plan_with_stock};

const OWNER: i64 = 7_300_001;
const ADMIN: i64 = 7_300_002;
const SUPPORT: i64 = 7_300_003;
const EARNER: i64 = 7_300_010;
const BUYER: i64 = 7_300_011;

/// The server, with an owner (ADMIN_IDS), an admin and a support member signed up.
async fn shop(conn: &DatabaseConnection) -> String {
    let now = Utc::now();
    customer(conn, OWNER).await;
    users::sync_staff_from_config(conn, &[OWNER].into(), None, now).await.unwrap();
    let owner = Actor::of(&users::find_by_telegram_id(conn, OWNER).await.unwrap().unwrap());
    for (id, role) in [(ADMIN, Role::Admin), (SUPPORT, Role::Support)] {
        customer(conn, id).await;
        staff::set_role(conn, &owner, id, role, now).await.unwrap();
    }
    serve(HttpState::new(conn.clone())).await
}

async fn audit_rows(conn: &DatabaseConnection, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find().filter(audit_log::Column::Action.eq(action)).all(conn).await.unwrap()
}

async fn withdrawal_row(conn: &DatabaseConnection, id: i32) -> withdrawal::Model {
    withdrawal::Entity::find_by_id(id).one(conn).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_approves_a_withdrawal_and_marks_it_paid_once() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        customer(conn, EARNER).await;
        earn_withdrawable(conn, EARNER, BUYER, 600, Utc::now()).await;
        let id = match withdrawals::request(conn, EARNER, Money::from_rupees(600), "earner@ybl", Utc::now()).await {
            Ok(withdrawals::RequestOutcome::Requested { withdrawal, .. }) => withdrawal.id,
            other => panic!("{other:?}"),
        };

        // Support sees the queue but may not decide.
        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let page = support.get("/admin/withdrawals").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&format!("withdrawal-{id}")) && page.body.contains("earner@ybl"), "{}", page.body);
        assert!(!page.body.contains(&format!("/admin/withdrawals/{id}/approve")), "support gets no button");
        let refused = support.post(&format!("/admin/withdrawals/{id}/approve"), &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(withdrawal_row(conn, id).await.status, WithdrawalStatus::Pending);

        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let page = admin.get("/admin/withdrawals").await;
        assert!(page.body.contains(&format!("/admin/withdrawals/{id}/approve")), "{}", page.body);
        let done = admin.act(&format!("/admin/withdrawals/{id}/approve"), &[]).await;
        assert!(done.body.contains(&format!("Withdrawal #{id} approved")), "{}", done.body);
        let row = withdrawal_row(conn, id).await;
        assert_eq!((row.status, row.decided_by), (WithdrawalStatus::Approved, Some(ADMIN)));

        // A second press (another tab) moves nothing and says so.
        let again = admin.act(&format!("/admin/withdrawals/{id}/approve"), &[]).await;
        assert!(again.body.contains(&format!("Withdrawal #{id} is already Approved")), "{}", again.body);
        assert_eq!(withdrawal_row(conn, id).await.status, WithdrawalStatus::Approved);
        let approvals = audit_rows(conn, "withdrawal.approve").await;
        assert_eq!(approvals.len(), 1);
        assert_eq!((approvals[0].actor_telegram_id, approvals[0].via.as_deref()), (ADMIN, Some("dashboard")));

        // The payout tab, where the overview's link points, offers Mark paid.
        let payouts = admin.get("/admin/withdrawals?status=approved").await;
        assert!(payouts.body.contains(&format!("/admin/withdrawals/{id}/paid")), "{}", payouts.body);
        let bad = admin.act(&format!("/admin/withdrawals/{id}/paid"), &[("utr", "12ab")]).await;
        assert!(bad.body.contains("12 digits"), "{}", bad.body);
        assert_eq!(withdrawal_row(conn, id).await.status, WithdrawalStatus::Approved);
        let paid = admin.act(&format!("/admin/withdrawals/{id}/paid"), &[("utr", "412345678901")]).await;
        assert!(paid.body.contains(&format!("Withdrawal #{id} marked paid")), "{}", paid.body);
        let again = admin.act(&format!("/admin/withdrawals/{id}/paid"), &[("utr", "412345678901")]).await;
        assert!(again.body.contains("already"), "{}", again.body);

        let row = withdrawal_row(conn, id).await;
        assert_eq!(row.status, WithdrawalStatus::Paid);
        assert_eq!((row.payout_utr.as_deref(), row.paid_by), (Some("412345678901"), Some(ADMIN)));
        let paid_audit = audit_rows(conn, "withdrawal.paid").await;
        assert_eq!(paid_audit.len(), 1);
        assert_eq!(paid_audit[0].via.as_deref(), Some("dashboard"));
        let notices = outbox_notices(conn, EARNER).await;
        let approved = notices.iter().filter(|n| matches!(n, Notice::WithdrawalApproved { .. })).count();
        let paid =
            notices.iter().filter(|n| matches!(n, Notice::WithdrawalPaid { utr, .. } if utr == "412345678901")).count();
        assert_eq!((approved, paid), (1, 1), "{notices:?}");
        let paid_tab = admin.get("/admin/withdrawals?status=paid").await;
        assert!(paid_tab.body.contains("412345678901"), "{}", paid_tab.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_a_plan_and_adds_stock_from_a_textarea() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let plan = plan_with_stock(conn, "Netflix", 199, 50, 2).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;

        let list = admin.get("/admin/plans").await;
        assert!(
            list.body.contains(&format!("/admin/plans/{}", plan.id)) && list.body.contains("Netflix"),
            "{}",
            list.body
        );
        let detail = admin.get(&format!("/admin/plans/{}", plan.id)).await;
        assert_eq!(detail.status, 200, "{}", detail.body);
        assert!(detail.body.contains("Netflix-0@mail.test"), "the login is listed: {}", detail.body);
        assert!(!detail.body.contains("pw0") && !detail.body.contains("pw1"), "no password: {}", detail.body);

        let path = format!("/admin/plans/{}", plan.id);
        let fields = [
            ("name", "Netflix 4K"),
            ("price", "249.50"),
            ("cost", "60"),
            ("days", "30"),
            ("order", "2"),
            ("description", "4 screens"),
            ("active", "on"),
        ];
        let saved = admin.act(&path, &fields).await;
        assert!(saved.body.contains("Plan Netflix 4K saved"), "{}", saved.body);
        let row = plan::Entity::find_by_id(plan.id).one(conn).await.unwrap().unwrap();
        assert_eq!((row.price, row.cost, row.sort_order, row.is_active), (24950, 6000, 2, true));
        assert_eq!((row.name.as_str(), row.description.as_str()), ("Netflix 4K", "4 screens"));
        // A free price is refused by the same rules as chat; nothing changes.
        let free: Vec<_> = fields.iter().map(|&(k, v)| if k == "price" { (k, "0") } else { (k, v) }).collect();
        let free = admin.act(&path, &free).await;
        assert!(free.body.contains("more than zero"), "{}", free.body);
        assert_eq!(plan::Entity::find_by_id(plan.id).one(conn).await.unwrap().unwrap().price, 24950);
        // Unticked: hidden from customers.
        let hidden: Vec<_> = fields.iter().copied().filter(|(k, _)| *k != "active").collect();
        admin.act(&path, &hidden).await;
        assert!(!plan::Entity::find_by_id(plan.id).one(conn).await.unwrap().unwrap().is_active);

        let available = |conn: &DatabaseConnection| {
            let conn = conn.clone();
            async move {
                stock_item::Entity::find()
                    .filter(stock_item::Column::PlanId.eq(plan.id))
                    .filter(stock_item::Column::Status.eq(StockStatus::Available))
                    .count(&conn)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(available(conn).await, 2);
        let text = "new-1@mail.test:secret1\r\n\r\nnew-2@mail.test:secret2\nnew-1@mail.test:secret1\nNetflix-0@mail.test:pw0\n";
        let added = admin.act(&format!("{path}/stock"), &[("credentials", text), ("format", "lines")]).await;
        assert!(added.body.contains("2 logins added to Netflix 4K; 2 duplicates skipped"), "{}", added.body);
        assert_eq!(available(conn).await, 4);
        assert!(!added.body.contains("secret1"), "{}", added.body);
        let csv = "login\n\"csv-1@mail.test:a,b\"\n";
        let added = admin.act(&format!("{path}/stock"), &[("credentials", csv), ("format", "csv")]).await;
        assert!(added.body.contains("logins added"), "{}", added.body);
        assert!(available(conn).await >= 5);
        let empty = admin.act(&format!("{path}/stock"), &[("credentials", "  \n "), ("format", "lines")]).await;
        assert!(empty.body.contains("No logins found"), "{}", empty.body);

        // Retire one; a second retire is refused.
        let item = stock_item::Entity::find()
            .filter(stock_item::Column::PlanId.eq(plan.id))
            .filter(stock_item::Column::Credential.eq("new-2@mail.test:secret2"))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        let retired = admin.act(&format!("{path}/stock/{}/retire", item.id), &[]).await;
        assert!(retired.body.contains(&format!("Login #{} retired", item.id)), "{}", retired.body);
        let again = admin.act(&format!("{path}/stock/{}/retire", item.id), &[]).await;
        assert!(again.body.contains("is retired"), "{}", again.body);
        assert_eq!(
            stock_item::Entity::find_by_id(item.id).one(conn).await.unwrap().unwrap().status,
            StockStatus::Retired
        );
        assert_eq!(audit_rows(conn, "stock.retire").await.len(), 1);
        assert!(audit_rows(conn, "stock.add").await.iter().any(|a| a.via.as_deref() == Some("dashboard")));

        // A new plan from the form; the same form sent twice makes one plan.
        let new = [
            ("nonce", "abc123"),
            ("name", "Prime"),
            ("price", "99"),
            ("cost", "10"),
            ("days", "30"),
            ("description", ""),
        ];
        let created = admin.act("/admin/plans", &new).await;
        assert!(created.body.contains("Plan Prime created"), "{}", created.body);
        let twice = admin.act("/admin/plans", &new).await;
        assert!(twice.body.contains("already"), "{}", twice.body);
        assert_eq!(plan::Entity::find().filter(plan::Column::Name.eq("Prime")).count(conn).await.unwrap(), 1);

        // Support sees plans but no logins and no forms.
        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let seen = support.get(&path).await;
        assert_eq!(seen.status, 200);
        assert!(
            !seen.body.contains("Netflix-0@mail.test") && !seen.body.contains(&format!("{path}/stock")),
            "{}",
            seen.body
        );
        assert_eq!(support.post(&format!("{path}/stock"), &[("credentials", "x@y:z")]).await.status, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_change_is_validated() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let page = admin.get("/admin/settings").await;
        assert!(page.body.contains("referral.l1_rate") && page.body.contains("/admin/exports"), "{}", page.body);
        assert!(!page.body.contains("/admin/settings/admin.approval_threshold"), "admins get no safeguard form");

        let bad = admin.act("/admin/settings/referral.l1_rate", &[("value", "150")]).await;
        assert!(bad.body.contains("referral.l1_rate was not changed: expected a percentage"), "{}", bad.body);
        assert_eq!(settings::value(conn, SettingKey::L1Rate).await.unwrap(), "30");
        let good = admin.act("/admin/settings/referral.l1_rate", &[("value", "25%")]).await;
        assert!(good.body.contains("referral.l1_rate is now 25"), "{}", good.body);
        assert_eq!(settings::value(conn, SettingKey::L1Rate).await.unwrap(), "25");
        let audit = audit_rows(conn, "setting.change").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].via.as_deref(), Some("dashboard"));

        // The safeguards are the owners': the service refuses an admin.
        let forbidden = admin.post("/admin/settings/admin.approval_threshold", &[("value", "999999")]).await;
        assert_eq!(forbidden.status, 403, "{}", forbidden.body);
        assert_eq!(settings::value(conn, SettingKey::AdminApprovalThreshold).await.unwrap(), "2000.00");
        let mut owner = Dashboard::sign_in(conn, &base, OWNER).await;
        let done = owner.act("/admin/settings/admin.approval_threshold", &[("value", "2500")]).await;
        assert!(done.body.contains("admin.approval_threshold is now 2500.00"), "{}", done.body);
        assert_eq!(settings::value(conn, SettingKey::AdminApprovalThreshold).await.unwrap(), "2500.00");
        // Without the CSRF token nothing changes.
        let csrf = owner.post_raw("/admin/settings/referral.l1_rate", &[("value", "5")]).await;
        assert_eq!(csrf.status, 403);
        assert_eq!(settings::value(conn, SettingKey::L1Rate).await.unwrap(), "25");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_a_token_sees_its_secret_once_and_revokes_it() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut owner = Dashboard::sign_in(conn, &base, OWNER).await;
        let page = owner.get("/admin/staff").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&format!("staff-{ADMIN}")) && page.body.contains(&format!("staff-{SUPPORT}")));

        let answer = owner.post("/admin/staff/tokens", &[("name", "accounting"), ("role", "admin")]).await;
        assert_eq!(answer.status, 200, "the secret is on the answer itself, not behind a redirect");
        let start = answer.body.find("ott_").expect("the secret is shown");
        let secret: String =
            answer.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        assert_eq!(secret.len(), 44, "{secret}");
        let actor = tokens::authenticate(conn, &secret, Utc::now()).await.unwrap().expect("the secret works");
        assert_eq!(actor.role, Role::Admin);
        let token = api_token::Entity::find()
            .filter(api_token::Column::Name.eq("accounting"))
            .one(conn)
            .await
            .unwrap()
            .unwrap();

        // Never again: not on the list, not on the next page.
        let list = owner.get("/admin/staff").await;
        assert!(list.body.contains("accounting") && !list.body.contains(&secret), "{}", list.body);
        let taken = owner.act("/admin/staff/tokens", &[("name", "accounting"), ("role", "admin")]).await;
        assert!(taken.body.contains("exists already") && !taken.body.contains(&secret), "{}", taken.body);

        let revoked = owner.act(&format!("/admin/staff/tokens/{}/revoke", token.id), &[]).await;
        assert!(revoked.body.contains("Token accounting revoked"), "{}", revoked.body);
        assert!(api_token::Entity::find_by_id(token.id).one(conn).await.unwrap().unwrap().revoked_at.is_some());
        assert!(tokens::authenticate(conn, &secret, Utc::now()).await.unwrap().is_none());
        let again = owner.act(&format!("/admin/staff/tokens/{}/revoke", token.id), &[]).await;
        assert!(again.body.contains("revoked already"), "{}", again.body);
        let audit = audit_rows(conn, "token.revoke").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].via.as_deref(), Some("dashboard"));

        // Roles: support -> admin, told once.
        let changed = owner.act("/admin/staff/role", &[("telegram_id", &SUPPORT.to_string()), ("role", "admin")]).await;
        assert!(changed.body.contains("is now admin"), "{}", changed.body);
        assert_eq!(users::find_by_telegram_id(conn, SUPPORT).await.unwrap().unwrap().role, Role::Admin);
        let owner_fixed =
            owner.act("/admin/staff/role", &[("telegram_id", &OWNER.to_string()), ("role", "user")]).await;
        assert!(owner_fixed.body.contains("ADMIN_IDS"), "{}", owner_fixed.body);
        assert_eq!(users::find_by_telegram_id(conn, OWNER).await.unwrap().unwrap().role, Role::Owner);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_open_staff_and_tokens() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        assert_eq!(admin.get("/admin/staff").await.status, 403);
        assert!(!admin.get("/admin").await.body.contains("href=\"/admin/staff\""));
        let tried = admin.post("/admin/staff/tokens", &[("name", "sneaky"), ("role", "owner")]).await;
        assert_eq!(tried.status, 403, "{}", tried.body);
        assert_eq!(api_token::Entity::find().count(conn).await.unwrap(), 0);
        let tried = admin.post("/admin/staff/role", &[("telegram_id", &SUPPORT.to_string()), ("role", "admin")]).await;
        assert_eq!(tried.status, 403);
        assert_eq!(users::find_by_telegram_id(conn, SUPPORT).await.unwrap().unwrap().role, Role::Support);
    }
}

/// The bytes of a GET, signed in as `telegram_id` (the BOM must survive: no text decoding).
async fn download(conn: &DatabaseConnection, base: &str, telegram_id: i64, path: &str) -> (u16, String, Vec<u8>) {
    let user = users::find_by_telegram_id(conn, telegram_id).await.unwrap().unwrap();
    let token = sign_in::create_link(conn, &Actor::of(&user), Utc::now()).await.unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = client.post(format!("{base}/admin/login")).form(&[("token", token.as_str())]).send().await.unwrap();
    let session = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ottsonly_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let answer = client.get(format!("{base}{path}")).header(reqwest::header::COOKIE, session).send().await.unwrap();
    let status = answer.status().as_u16();
    let kind =
        answer.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, kind, answer.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_downloads_csv_with_a_bom() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        customer(conn, EARNER).await;
        earn_withdrawable(conn, EARNER, BUYER, 600, Utc::now()).await;
        withdrawals::request(conn, EARNER, Money::from_rupees(600), "earner@ybl", Utc::now()).await.unwrap();
        let today = ottsonly::domain::report::ist_date(Utc::now()).format("%Y-%m-%d").to_string();

        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let form = admin.get("/admin/exports").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains("/admin/exports/download"), "{}", form.body);
        let chosen = admin.get(&format!("/admin/exports/download?kind=withdrawals&from={today}&to={today}")).await;
        assert_eq!(chosen.status, 303);
        let to = chosen.location.expect("a redirect");
        assert_eq!(to, format!("/admin/exports/withdrawals.csv?from={today}&to={today}"));
        let reversed = admin.get(&format!("/admin/exports/download?kind=orders&from={today}&to=2020-01-01")).await;
        assert_eq!((reversed.status, reversed.location.as_deref()), (303, Some("/admin/exports")));

        let (status, kind, bytes) = download(conn, &base, ADMIN, &to).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        assert!(kind.starts_with("text/csv"), "{kind}");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("withdrawal_id,"), "{text}");
        assert!(text.contains("earner@ybl") && text.contains(&EARNER.to_string()), "{text}");
        let (status, _, bytes) =
            download(conn, &base, ADMIN, &format!("/admin/exports/orders.csv?from={today}&to={today}")).await;
        assert_eq!(status, 200);
        assert!(String::from_utf8_lossy(&bytes).contains("order_id,"));
        assert_eq!(
            download(conn, &base, ADMIN, &format!("/admin/exports/bogus.csv?from={today}&to={today}")).await.0,
            404
        );
        // Support has no reports permission.
        assert_eq!(download(conn, &base, SUPPORT, &to).await.0, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_flag_is_resolved_and_its_customer_blocked() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let suspect = customer(conn, EARNER).await;
        let mut ids = Vec::new();
        for n in 0..2 {
            let inserted = fraud_flag::Entity::insert(fraud_flag::ActiveModel {
                user_id: Set(suspect.id),
                rule: Set(FraudRule::SharedUpi),
                reason: Set("UPI ID shared with another account".into()),
                evidence: Set(serde_json::json!({ "vpa": "shared@ybl", "other_users": [111, 222] }).to_string()),
                dedupe_key: Set(format!("test:{n}")),
                status: Set(FlagStatus::Open),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec(conn)
            .await
            .unwrap();
            ids.push(inserted.last_insert_id);
        }
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let page = admin.get("/admin/flags").await;
        assert!(page.body.contains(&format!("flag-{}", ids[0])), "{}", page.body);
        assert!(page.body.contains("shared@ybl") && page.body.contains("111, 222"), "evidence readable: {}", page.body);
        assert!(page.body.contains(&format!("/admin/users/{EARNER}")), "{}", page.body);

        let done = admin.act(&format!("/admin/flags/{}/resolve", ids[0]), &[]).await;
        assert!(done.body.contains(&format!("Flag #{} resolved", ids[0])), "{}", done.body);
        let flag = fraud_flag::Entity::find_by_id(ids[0]).one(conn).await.unwrap().unwrap();
        assert_eq!((flag.status, flag.resolved_by), (FlagStatus::Resolved, Some(ADMIN)));
        let again = admin.act(&format!("/admin/flags/{}/resolve", ids[0]), &[]).await;
        assert!(again.body.contains("resolved before"), "{}", again.body);
        let audit = audit_rows(conn, "fraud.resolve").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].via.as_deref(), Some("dashboard"));
        let resolved = admin.get("/admin/flags?status=resolved").await;
        assert!(resolved.body.contains(&format!("flag-{}", ids[0])), "{}", resolved.body);
        assert!(!admin.get("/admin/flags").await.body.contains(&format!("flag-{}\"", ids[0])));

        let blocked = admin.act(&format!("/admin/flags/{}/block", ids[1]), &[("reason", "")]).await;
        assert!(blocked.body.contains("is blocked"), "{}", blocked.body);
        assert!(users::find_by_telegram_id(conn, EARNER).await.unwrap().unwrap().is_blocked);
        let notices = outbox_notices(conn, EARNER).await;
        assert_eq!(notices.iter().filter(|n| matches!(n, Notice::Blocked)).count(), 1, "{notices:?}");
        let block_audit = audit_rows(conn, "user.block").await;
        assert_eq!(block_audit.len(), 1);
        assert!(block_audit[0].details.contains(&format!("fraud flag #{}", ids[1])), "{}", block_audit[0].details);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_withdrawal_and_a_failed_payout_give_the_money_back() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        customer(conn, EARNER).await;
        earn_withdrawable(conn, EARNER, BUYER, 1200, Utc::now()).await;
        let before = crate::support::fixtures::balance(conn, EARNER).await;
        let request = |amount| async move {
            match withdrawals::request(conn, EARNER, Money::from_rupees(amount), "earner@ybl", Utc::now()).await {
                Ok(withdrawals::RequestOutcome::Requested { withdrawal, .. }) => withdrawal.id,
                other => panic!("{other:?}"),
            }
        };
        let first = request(600).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let told = outbox_notices(conn, EARNER).await.len();
        let rejected = admin.act(&format!("/admin/withdrawals/{first}/reject"), &[("reason", "UPI ID is wrong")]).await;
        assert!(rejected.body.contains(&format!("Withdrawal #{first} rejected")), "{}", rejected.body);
        assert_eq!(withdrawal_row(conn, first).await.status, WithdrawalStatus::Rejected);
        assert_eq!(crate::support::fixtures::balance(conn, EARNER).await, before);

        let second = request(600).await;
        admin.act(&format!("/admin/withdrawals/{second}/approve"), &[]).await;
        let empty = admin.act(&format!("/admin/withdrawals/{second}/payout-failed"), &[("reason", "  ")]).await;
        assert!(empty.body.contains("1 to 200 characters"), "{}", empty.body);
        assert_eq!(withdrawal_row(conn, second).await.status, WithdrawalStatus::Approved);
        let failed =
            admin.act(&format!("/admin/withdrawals/{second}/payout-failed"), &[("reason", "bank bounced")]).await;
        assert!(failed.body.contains(&format!("#{second}")), "{}", failed.body);
        assert_eq!(withdrawal_row(conn, second).await.status, WithdrawalStatus::PayoutFailed);
        assert_eq!(crate::support::fixtures::balance(conn, EARNER).await, before);
        // Rejected, approved, payout failed: one message each.
        assert_eq!(outbox_notices(conn, EARNER).await.len(), told + 3);
        crate::support::fixtures::assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_credit_waits_for_a_second_person_on_the_approvals_page() {
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        customer(conn, BUYER).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let asked = admin
            .act(
                &format!("/admin/users/{BUYER}/credit"),
                &[("amount", "2500"), ("reason", "festival gift"), ("key", "gift-1")],
            )
            .await;
        assert_eq!(crate::support::fixtures::balance(conn, BUYER).await, Money::ZERO, "{}", asked.body);
        let request = ottsonly::entities::approval_request::Entity::find().one(conn).await.unwrap().expect("a request");

        // The requester sees Cancel, not Approve, and cannot approve by hand either.
        let own = admin.get("/admin/approvals").await;
        assert!(own.body.contains(&format!("/admin/approvals/{}/cancel", request.id)), "{}", own.body);
        assert!(!own.body.contains(&format!("/admin/approvals/{}/approve", request.id)));
        let refused = admin.act(&format!("/admin/approvals/{}/approve", request.id), &[]).await;
        assert!(refused.body.contains("is yours"), "{}", refused.body);
        assert_eq!(crate::support::fixtures::balance(conn, BUYER).await, Money::ZERO);

        let mut owner = Dashboard::sign_in(conn, &base, OWNER).await;
        let approved = owner.act(&format!("/admin/approvals/{}/approve", request.id), &[]).await;
        assert!(approved.body.contains(&format!("Request #{} approved", request.id)), "{}", approved.body);
        assert_eq!(crate::support::fixtures::balance(conn, BUYER).await, Money::from_rupees(2500));
        let again = owner.act(&format!("/admin/approvals/{}/approve", request.id), &[]).await;
        assert!(!again.body.contains("approved: the money moved"), "{}", again.body);
        assert_eq!(crate::support::fixtures::balance(conn, BUYER).await, Money::from_rupees(2500));
        let via_dashboard = audit_log::Entity::find()
            .filter(audit_log::Column::Via.eq("dashboard"))
            .filter(audit_log::Column::ActorTelegramId.eq(OWNER))
            .filter(audit_log::Column::Action.starts_with("approval."))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(via_dashboard, 1);
        crate::support::fixtures::assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn the_dashboard_speaks_the_staff_members_language() {
    let db = db::TestDb::sqlite().await;
    let conn = &db.conn;
    let base = shop(conn).await;
    users::set_language(conn, SUPPORT, ottsonly::domain::Lang::Hi).await.unwrap();
    let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
    let home = support.get("/admin").await;
    assert!(home.body.contains("सारांश") && home.body.contains("आपकी प्रतीक्षा में"), "{}", home.body);
    assert!(home.body.contains(r#"<html lang="hi">"#));
    let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
    assert!(admin.get("/admin").await.body.contains("Waiting for you"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_and_switches_off_a_promo_code_and_support_only_looks() {
    use ottsonly::entities::promo_code;
    use sea_orm::EntityTrait;
    for db in db::all().await {
        let conn = &db.conn;
        let base = shop(conn).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN).await;
        let page = admin.get("/admin/promos").await;
        assert!(page.body.contains("New promo code"), "{}", page.body);
        let bad = admin.act("/admin/promos", &[("code", "NY"), ("off", "10%")]).await;
        assert!(bad.body.contains("3 to 20 letters"), "{}", bad.body);
        let made = admin
            .act(
                "/admin/promos",
                &[
                    ("code", "newyear"),
                    ("off", "15%"),
                    ("until", "2099-01-31"),
                    ("uses", "50"),
                    ("per_user", "1"),
                    ("first", "on"),
                ],
            )
            .await;
        assert!(made.body.contains("Code NEWYEAR created."), "{}", made.body);
        let code = promo_code::Entity::find().one(conn).await.unwrap().unwrap();
        assert_eq!((code.value, code.max_uses, code.first_purchase_only), (15, Some(50), true));
        let again = admin.act("/admin/promos", &[("code", "NEWYEAR"), ("off", "5%")]).await;
        assert!(again.body.contains("exists already"), "{}", again.body);

        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let seen = support.get("/admin/promos").await;
        assert!(seen.body.contains("NEWYEAR") && !seen.body.contains("New promo code"), "{}", seen.body);
        let refused = support.post(&format!("/admin/promos/{}/disable", code.id), &[]).await;
        assert_eq!(refused.status, 403);

        let off = admin.act(&format!("/admin/promos/{}/disable", code.id), &[]).await;
        assert!(off.body.contains("Code NEWYEAR is off"), "{}", off.body);
        assert!(!promo_code::Entity::find_by_id(code.id).one(conn).await.unwrap().unwrap().is_active);
        assert_eq!(audit_rows(conn, "promo.disable").await[0].via.as_deref(), Some("dashboard"));
    }
}
