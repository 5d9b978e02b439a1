//! The dashboard's customer pages: search and the user page (wallet, ledger, orders,
//! referrals), credit and debit through `wallet::admin_adjust` (two-person rule included),
//! block, orders with refund and resend login, and the audit log. Each act is checked in the
//! database: one ledger row, one audit row via "dashboard", one outbox row for the customer.
//! Support sees no money forms, and a forged POST from support changes nothing.
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use ottsonly::domain::setting::SettingKey;
use ottsonly::domain::Money;
use ottsonly::entities::approval_request::{self, ApprovalStatus};
use ottsonly::entities::ledger_entry::LedgerKind;
use ottsonly::entities::order::{self, OrderStatus};
use ottsonly::entities::user::Role;
use ottsonly::entities::{audit_log, ledger_entry, outbox_message};
use ottsonly::http::HttpState;
use ottsonly::services::outbox::Notice;
use ottsonly::services::{settings, staff, users};

use crate::support::dashboard::{serve, Dashboard};
use crate::support::db;
use crate::support::fixtures::{
    assert_ledger_consistent, balance, buy, customer, ledger_of, outbox_notices, referee, ADMIN,
};

const OWNER: i64 = 8300;
const ADMIN_USER: i64 = 8301;
const SUPPORT: i64 = 8302;
const CUSTOMER: i64 = 8303;
const FRIEND: i64 = 8304;

async fn team(db: &DatabaseConnection) {
    for id in [OWNER, ADMIN_USER, SUPPORT, CUSTOMER] {
        customer(db, id).await;
    }
    users::sync_staff_from_config(db, &BTreeSet::from([OWNER]), None, Utc::now()).await.unwrap();
    staff::set_role(db, &ADMIN, ADMIN_USER, Role::Admin, Utc::now()).await.unwrap();
    staff::set_role(db, &ADMIN, SUPPORT, Role::Support, Utc::now()).await.unwrap();
    settings::set(db, SettingKey::AdminApprovalThreshold.key(), "1000", Utc::now()).await.unwrap();
}

/// Audit rows with this action and target: (actor, via).
async fn audited(db: &DatabaseConnection, action: &str, target: &str) -> Vec<(i64, Option<String>)> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::Target.eq(target))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.actor_telegram_id, row.via))
        .collect()
}

async fn counts(db: &DatabaseConnection) -> (u64, u64, u64) {
    (
        ledger_entry::Entity::find().count(db).await.unwrap(),
        audit_log::Entity::find().filter(audit_log::Column::Action.ne("dashboard.sign_in")).count(db).await.unwrap(),
        outbox_message::Entity::find().count(db).await.unwrap(),
    )
}

async fn order_status(db: &DatabaseConnection, id: i32) -> OrderStatus {
    order::Entity::find_by_id(id).one(db).await.unwrap().unwrap().status
}

/// The hidden form key of the credit form on a user page.
fn form_key(page: &str, form: &str) -> String {
    let start = page.find(&format!(r#"id="{form}""#)).expect("the form");
    let rest = &page[start..];
    let at = rest.find(r#"name="key" value=""#).expect("a key field") + r#"name="key" value=""#.len();
    rest[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn admin_searches_a_customer_and_opens_their_page() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        referee(conn, FRIEND, CUSTOMER, Utc::now()).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let link = format!(r#"href="/admin/users/{CUSTOMER}""#);

        let everyone = admin.get("/admin/users").await;
        assert_eq!(everyone.status, 200, "{}", everyone.body);
        assert!(everyone.body.contains(&link) && everyone.body.contains(&format!("/admin/users/{FRIEND}")));

        let code = users::find_by_telegram_id(conn, CUSTOMER).await.unwrap().unwrap().referral_code;
        let by_name = format!("/admin/users?q=User+{CUSTOMER}");
        for query in [format!("/admin/users?q={CUSTOMER}"), format!("/admin/users?q=%40u{CUSTOMER}"), by_name] {
            let found = admin.get(&query).await;
            assert_eq!(found.status, 200, "{query}");
            assert!(found.body.contains(&link), "{query}: {}", found.body);
            assert!(!found.body.contains(&format!(r#"id="user-{FRIEND}""#)), "{query} finds only the customer");
        }
        let by_code = admin.get(&format!("/admin/users?q={code}")).await;
        assert!(by_code.body.contains(&link) && !by_code.body.contains(&format!(r#"id="user-{OWNER}""#)));
        let nobody = admin.get("/admin/users?q=nobody-at-all").await;
        assert!(nobody.body.contains("Nothing here.") && !nobody.body.contains(&link));

        let page = admin.get(&format!("/admin/users/{CUSTOMER}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for part in [
            format!("Customer User {CUSTOMER}"),
            code.clone(),
            format!(r#"action="/admin/users/{CUSTOMER}/credit""#),
            format!(r#"action="/admin/users/{CUSTOMER}/debit""#),
            format!(r#"action="/admin/users/{CUSTOMER}/block""#),
            format!(r#"href="/admin/users/{FRIEND}""#),
        ] {
            assert!(page.body.contains(&part), "{part} on the user page");
        }
        // The referee's page names who referred them.
        let friend = admin.get(&format!("/admin/users/{FRIEND}")).await;
        assert!(friend.body.contains("Referred by:") && friend.body.contains(&link), "{}", friend.body);
        assert_eq!(admin.get("/admin/users/999999").await.status, 404);
    }
}

#[tokio::test]
async fn admin_credits_and_debits_a_wallet_once() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let path = format!("/admin/users/{CUSTOMER}");
        let page = admin.get(&path).await;
        let key = form_key(&page.body, "credit");

        let fields = [("amount", "150.50"), ("reason", "goodwill"), ("key", key.as_str())];
        let done = admin.act(&format!("{path}/credit"), &fields).await;
        assert!(done.body.contains("₹150.50 credited to User 8303"), "{}", done.body);
        assert_eq!(ledger_of(conn, CUSTOMER).await, vec![(LedgerKind::AdminCredit, Money::from_paise(15_050))]);
        assert_eq!(balance(conn, CUSTOMER).await, Money::from_paise(15_050));
        let target = format!("user:{CUSTOMER}");
        assert_eq!(audited(conn, "wallet.credit", &target).await, vec![(ADMIN_USER, Some("dashboard".to_owned()))]);
        let notices = outbox_notices(conn, CUSTOMER).await;
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            matches!(&notices[0], Notice::WalletCredited { amount: 15_050, reason, balance: 15_050 } if reason == "goodwill"),
            "{notices:?}"
        );
        // The new page shows the movement in the ledger.
        assert!(done.body.contains("Credit by staff") && done.body.contains("goodwill"));

        // The same form sent again (a double click, a reload) moves nothing.
        let again = admin.act(&format!("{path}/credit"), &fields).await;
        assert!(again.body.contains("This form was sent before"), "{}", again.body);
        assert_eq!(ledger_of(conn, CUSTOMER).await.len(), 1);
        assert_eq!(audited(conn, "wallet.credit", &target).await.len(), 1);
        assert_eq!(outbox_notices(conn, CUSTOMER).await.len(), 1);

        // A debit larger than the balance is refused; bad amounts and reasons never reach it.
        let key = form_key(&admin.get(&path).await.body, "debit");
        let too_much = admin.act(&format!("{path}/debit"), &[("amount", "500"), ("reason", "r"), ("key", &key)]).await;
        assert!(too_much.body.contains("The balance is only ₹150.50"), "{}", too_much.body);
        for (amount, reason, says) in [
            ("0", "x", "more than zero"),
            ("abc", "x", "not an amount"),
            ("1.234", "x", "two decimal places"),
            ("10", "", "1 to 200 characters"),
        ] {
            let refused = admin.act(&format!("{path}/debit"), &[("amount", amount), ("reason", reason)]).await;
            assert!(refused.body.contains(says), "{amount:?} {reason:?}: {}", refused.body);
        }
        let key = form_key(&admin.get(&path).await.body, "debit");
        let debited = admin.act(&format!("{path}/debit"), &[("amount", "50"), ("reason", "fix"), ("key", &key)]).await;
        assert!(debited.body.contains("₹50 debited from User 8303"), "{}", debited.body);
        assert_eq!(balance(conn, CUSTOMER).await, Money::from_paise(10_050));
        assert_eq!(audited(conn, "wallet.debit", &target).await, vec![(ADMIN_USER, Some("dashboard".to_owned()))]);

        // Above the threshold (₹1000): a request for a second approval, no money moved.
        let key = form_key(&admin.get(&path).await.body, "credit");
        let big = admin.act(&format!("{path}/credit"), &[("amount", "5000"), ("reason", "big"), ("key", &key)]).await;
        assert!(big.body.contains("waits for a second owner or admin"), "{}", big.body);
        assert_eq!(balance(conn, CUSTOMER).await, Money::from_paise(10_050));
        let requests = approval_request::Entity::find().all(conn).await.unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!((requests[0].amount, requests[0].status), (500_000, ApprovalStatus::Pending));
        assert_eq!(requests[0].requested_by, ADMIN_USER);
        let twice = admin.act(&format!("{path}/credit"), &[("amount", "5000"), ("reason", "big"), ("key", &key)]).await;
        assert!(twice.body.contains(&format!("request #{} is", requests[0].id)), "{}", twice.body);
        assert_eq!(approval_request::Entity::find().count(conn).await.unwrap(), 1);
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test]
async fn support_sees_no_money_forms_and_a_forged_post_changes_nothing() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let path = format!("/admin/users/{CUSTOMER}");
        let page = support.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&format!("Customer User {CUSTOMER}")));
        for form in ["credit", "debit", "block"] {
            assert!(!page.body.contains(&format!("{path}/{form}")), "support sees no {form} form");
        }

        let before = counts(conn).await;
        let forged = support.post(&format!("{path}/credit"), &[("amount", "100"), ("reason", "me")]).await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert!(forged.body.contains("Your role does not allow this."));
        assert_eq!(support.post(&format!("{path}/block"), &[("reason", "spam")]).await.status, 403);
        assert_eq!(counts(conn).await, before);
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);
        assert!(!users::find_by_telegram_id(conn, CUSTOMER).await.unwrap().unwrap().is_blocked);
    }
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let path = format!("/admin/users/{CUSTOMER}");
        let before = counts(conn).await;
        let no_token = admin.post_raw(&format!("{path}/credit"), &[("amount", "100"), ("reason", "x")]).await;
        assert_eq!(no_token.status, 403, "{}", no_token.body);
        let wrong = admin.post_raw(&format!("{path}/block"), &[("csrf", "0000"), ("reason", "x")]).await;
        assert_eq!(wrong.status, 403, "{}", wrong.body);
        assert_eq!(counts(conn).await, before);
        assert_eq!(balance(conn, CUSTOMER).await, Money::ZERO);

        // With the token it works: blocked, told, audited.
        let blocked = admin.act(&format!("{path}/block"), &[("reason", "spam")]).await;
        assert!(blocked.body.contains("is blocked and has been told"), "{}", blocked.body);
        assert!(users::find_by_telegram_id(conn, CUSTOMER).await.unwrap().unwrap().is_blocked);
        let target = format!("user:{CUSTOMER}");
        assert_eq!(audited(conn, "user.block", &target).await, vec![(ADMIN_USER, Some("dashboard".to_owned()))]);
        assert_eq!(outbox_notices(conn, CUSTOMER).await, vec![Notice::Blocked]);
        assert!(blocked.body.contains(&format!("{path}/unblock")), "the page now offers Unblock");
        let unblocked = admin.act(&format!("{path}/unblock"), &[("reason", "")]).await;
        assert!(unblocked.body.contains("is unblocked"), "{}", unblocked.body);
        assert!(!users::find_by_telegram_id(conn, CUSTOMER).await.unwrap().unwrap().is_blocked);
    }
}

#[tokio::test]
async fn admin_refunds_an_order_and_support_resends_its_login() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let delivery = buy(conn, CUSTOMER, 199, 100, Utc::now()).await;
        let id = delivery.order_id;
        let base = serve(HttpState::new(conn.clone())).await;
        let order_path = format!("/admin/orders/{id}");

        // Support: sees the order, may resend its login, may not refund.
        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let list = support.get("/admin/orders?status=paid").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains(&format!(r#"href="{order_path}""#)), "{}", list.body);
        assert!(!support.get("/admin/orders?status=refunded").await.body.contains(&format!(r#"href="{order_path}""#)));
        let page = support.get(&order_path).await;
        assert!(page.body.contains(&format!("{order_path}/resend-login")), "{}", page.body);
        assert!(!page.body.contains(&format!("{order_path}/refund")), "support sees no refund form");
        let outbox_before = outbox_notices(conn, CUSTOMER).await.len();
        let resent = support.act(&format!("{order_path}/resend-login"), &[]).await;
        assert!(resent.body.contains(&format!("is on its way to {CUSTOMER} again")), "{}", resent.body);
        let notices = outbox_notices(conn, CUSTOMER).await;
        assert_eq!(notices.len(), outbox_before + 1);
        assert!(
            matches!(notices.last(), Some(Notice::LoginDelivered { credential, .. }) if *credential == delivery.credential),
            "{notices:?}"
        );
        let target = format!("order:{id}");
        assert_eq!(audited(conn, "order.resend_login", &target).await, vec![(SUPPORT, Some("dashboard".to_owned()))]);
        let forged = support.post(&format!("{order_path}/refund"), &[("reason", "mine")]).await;
        assert_eq!(forged.status, 403);
        assert_eq!(order_status(conn, id).await, OrderStatus::Paid);

        // Admin: refunds it once.
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let page = admin.get(&order_path).await;
        assert!(page.body.contains(&format!(r#"action="{order_path}/refund""#)), "{}", page.body);
        let empty = admin.act(&format!("{order_path}/refund"), &[("reason", " ")]).await;
        assert!(empty.body.contains("1 to 200 characters"));
        assert_eq!(order_status(conn, id).await, OrderStatus::Paid);
        let refunded = admin.act(&format!("{order_path}/refund"), &[("reason", "did not work")]).await;
        assert!(refunded.body.contains(&format!("Order #{id} refunded: ₹199 back")), "{}", refunded.body);
        assert_eq!(order_status(conn, id).await, OrderStatus::Refunded);
        let refunds = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Kind.eq(LedgerKind::Refund))
            .all(conn)
            .await
            .unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].amount, 19_900);
        assert_eq!(balance(conn, CUSTOMER).await, Money::from_rupees(199));
        assert_eq!(audited(conn, "order.refund", &target).await, vec![(ADMIN_USER, Some("dashboard".to_owned()))]);
        assert!(!refunded.body.contains(&format!("{order_path}/refund")), "no refund form on a refunded order");
        assert!(!refunded.body.contains(&format!("{order_path}/resend-login")), "nothing to resend");

        let again = admin.post(&format!("{order_path}/refund"), &[("reason", "again")]).await;
        assert_eq!(again.status, 303);
        let again = admin.get(&again.location.unwrap()).await;
        assert!(again.body.contains(&format!("Order #{id} was refunded before.")), "{}", again.body);
        assert_eq!(
            ledger_entry::Entity::find()
                .filter(ledger_entry::Column::Kind.eq(LedgerKind::Refund))
                .count(conn)
                .await
                .unwrap(),
            1
        );
        let resend = admin.act(&format!("{order_path}/resend-login"), &[]).await;
        assert!(resend.body.contains("has no active subscription"), "{}", resend.body);
        assert_eq!(audited(conn, "order.resend_login", &target).await.len(), 1);
        assert_ledger_consistent(conn).await;

        // The customer's page lists the order; the order list filters by customer.
        let user_page = admin.get(&format!("/admin/users/{CUSTOMER}")).await;
        assert!(user_page.body.contains(&format!(r#"href="{order_path}""#)) && user_page.body.contains("Refunded"));
        let theirs = admin.get(&format!("/admin/orders?customer={CUSTOMER}")).await;
        assert!(theirs.body.contains(&format!(r#"href="{order_path}""#)), "{}", theirs.body);
        let others = admin.get(&format!("/admin/orders?customer={SUPPORT}")).await;
        assert!(!others.body.contains(&format!(r#"href="{order_path}""#)));
        assert_eq!(admin.get("/admin/orders/999999").await.status, 404);
    }
}

#[tokio::test]
async fn the_audit_page_lists_the_acts() {
    for db in db::all().await {
        let conn = &db.conn;
        team(conn).await;
        let base = serve(HttpState::new(conn.clone())).await;
        let mut admin = Dashboard::sign_in(conn, &base, ADMIN_USER).await;
        let path = format!("/admin/users/{CUSTOMER}");
        let key = form_key(&admin.get(&path).await.body, "credit");
        admin.act(&format!("{path}/credit"), &[("amount", "20"), ("reason", "welcome"), ("key", &key)]).await;
        admin.act(&format!("{path}/block"), &[("reason", "spam")]).await;

        let mut support = Dashboard::sign_in(conn, &base, SUPPORT).await;
        let audit = support.get("/admin/audit").await;
        assert_eq!(audit.status, 200, "{}", audit.body);
        let credit = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("wallet.credit"))
            .one(conn)
            .await
            .unwrap()
            .expect("the credit is audited");
        let row_start = audit.body.find(&format!(r#"id="audit-{}""#, credit.id)).expect("the credit's row");
        let row = &audit.body[row_start..row_start + audit.body[row_start..].find("</tr>").unwrap()];
        for part in [
            format!(r#"href="/admin/users/{ADMIN_USER}""#),
            "dashboard".to_owned(),
            "wallet.credit".to_owned(),
            format!(r#"href="/admin/users/{CUSTOMER}""#),
            "welcome".to_owned(),
        ] {
            assert!(row.contains(&part), "{part} in {row}");
        }
        assert!(audit.body.contains("user.block") && audit.body.contains("dashboard.sign_in"));
        // Newest first: the block above the credit.
        assert!(audit.body.find("user.block").unwrap() < audit.body.find("wallet.credit").unwrap());
    }
}
