//! The role matrix over the dashboard: every form, sent by support, an admin and an owner with
//! a valid CSRF token, is refused with 403 exactly when the role lacks the act's permission.
//! The list of forms is checked against the routes the dashboard's source declares, so a new
//! form cannot be left out.
use std::collections::BTreeSet;

use chrono::Utc;

use ottsonly::domain::permission::allows;
use ottsonly::domain::Permission;
use ottsonly::entities::user::Role;
use ottsonly::http::HttpState;
use ottsonly::services::{staff, users};

use crate::support::dashboard::{serve, Dashboard};
use crate::support::db;
use crate::support::fixtures::{customer, ADMIN};

const OWNER: i64 = 8300;
const ADMIN_USER: i64 = 8301;
const SUPPORT: i64 = 8302;
const NOBODY: &str = "999999";

/// A form: its route pattern, the path to send, its fields, and the permission its act needs.
type Form = (&'static str, String, Vec<(&'static str, &'static str)>, Permission);

fn forms() -> Vec<Form> {
    use Permission::*;
    let reason = vec![("reason", "checked by hand")];
    vec![
        ("/admin/claims/{id}/approve", format!("/admin/claims/{NOBODY}/approve"), vec![], DecidePayments),
        ("/admin/claims/{id}/reject", format!("/admin/claims/{NOBODY}/reject"), reason.clone(), DecidePayments),
        ("/admin/withdrawals/{id}/approve", format!("/admin/withdrawals/{NOBODY}/approve"), vec![], DecidePayments),
        (
            "/admin/withdrawals/{id}/reject",
            format!("/admin/withdrawals/{NOBODY}/reject"),
            reason.clone(),
            DecidePayments,
        ),
        (
            "/admin/withdrawals/{id}/paid",
            format!("/admin/withdrawals/{NOBODY}/paid"),
            vec![("utr", "412345678901")],
            DecidePayments,
        ),
        (
            "/admin/withdrawals/{id}/payout-failed",
            format!("/admin/withdrawals/{NOBODY}/payout-failed"),
            reason.clone(),
            DecidePayments,
        ),
        ("/admin/flags/{id}/resolve", format!("/admin/flags/{NOBODY}/resolve"), vec![], Moderate),
        ("/admin/flags/{id}/block", format!("/admin/flags/{NOBODY}/block"), reason.clone(), Moderate),
        ("/admin/users/{telegram_id}/block", format!("/admin/users/{NOBODY}/block"), reason.clone(), Moderate),
        ("/admin/users/{telegram_id}/unblock", format!("/admin/users/{NOBODY}/unblock"), reason.clone(), Moderate),
        (
            "/admin/users/{telegram_id}/credit",
            format!("/admin/users/{NOBODY}/credit"),
            vec![("amount", "10"), ("reason", "goodwill"), ("key", "k1")],
            MoveMoney,
        ),
        (
            "/admin/users/{telegram_id}/debit",
            format!("/admin/users/{NOBODY}/debit"),
            vec![("amount", "10"), ("reason", "correction"), ("key", "k2")],
            MoveMoney,
        ),
        ("/admin/orders/{id}/refund", format!("/admin/orders/{NOBODY}/refund"), reason.clone(), MoveMoney),
        ("/admin/orders/{id}/resend-login", format!("/admin/orders/{NOBODY}/resend-login"), vec![], ResendLogin),
        ("/admin/approvals/{id}/approve", format!("/admin/approvals/{NOBODY}/approve"), vec![], MoveMoney),
        ("/admin/approvals/{id}/reject", format!("/admin/approvals/{NOBODY}/reject"), reason.clone(), MoveMoney),
        ("/admin/approvals/{id}/cancel", format!("/admin/approvals/{NOBODY}/cancel"), vec![], MoveMoney),
        (
            "/admin/plans",
            "/admin/plans".into(),
            vec![("nonce", "n1"), ("name", "Probe"), ("price", "99"), ("cost", "50"), ("days", "30")],
            ManageCatalog,
        ),
        (
            "/admin/plans/{id}",
            format!("/admin/plans/{NOBODY}"),
            vec![("name", "Probe"), ("price", "99"), ("cost", "50"), ("days", "30"), ("order", "1")],
            ManageCatalog,
        ),
        (
            "/admin/plans/{id}/stock",
            format!("/admin/plans/{NOBODY}/stock"),
            vec![("credentials", "a@b.test:pw")],
            ManageCatalog,
        ),
        (
            "/admin/plans/{id}/stock/{stock_id}/retire",
            format!("/admin/plans/{NOBODY}/stock/{NOBODY}/retire"),
            vec![],
            ManageCatalog,
        ),
        ("/admin/settings/{key}", "/admin/settings/referral.l1_rate".into(), vec![("value", "30")], ChangeSettings),
        (
            "/admin/settings/{key}",
            "/admin/settings/admin.approval_threshold".into(),
            vec![("value", "2000")],
            ChangeSafeguards,
        ),
        (
            "/admin/staff/role",
            "/admin/staff/role".into(),
            vec![("telegram_id", NOBODY), ("role", "support")],
            ManageStaff,
        ),
        (
            "/admin/staff/tokens",
            "/admin/staff/tokens".into(),
            vec![("name", "probe"), ("role", "support")],
            ManageTokens,
        ),
        ("/admin/staff/tokens/{id}/revoke", format!("/admin/staff/tokens/{NOBODY}/revoke"), vec![], ManageTokens),
        ("/admin/promos", "/admin/promos".into(), vec![("code", "PROBE10"), ("off", "10%")], ManageOffers),
        ("/admin/promos/{id}/disable", format!("/admin/promos/{NOBODY}/disable"), vec![], ManageOffers),
        (
            "/admin/broadcasts",
            "/admin/broadcasts".into(),
            vec![("text", "Probe"), ("audience", "everyone"), ("key", "0123456789abcdef0123")],
            ManageOffers,
        ),
        (
            "/admin/broadcasts/preview",
            "/admin/broadcasts/preview".into(),
            vec![("text", "Probe"), ("audience", "everyone")],
            ManageOffers,
        ),
        ("/admin/broadcasts/{id}/pause", format!("/admin/broadcasts/{NOBODY}/pause"), vec![], ManageOffers),
        ("/admin/broadcasts/{id}/resume", format!("/admin/broadcasts/{NOBODY}/resume"), vec![], ManageOffers),
        (
            "/admin/broadcasts/{id}/stop",
            format!("/admin/broadcasts/{NOBODY}/stop"),
            vec![("confirm", "yes")],
            ManageOffers,
        ),
    ]
}

/// The POST routes the dashboard declares: `.route("<path>", post(…))` or `….post(…)`.
fn declared_posts() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/dashboard");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in source.split(".route(\"").skip(1) {
            let (path, rest) = part.split_once('"').unwrap();
            let handlers = rest.split(".route(").next().unwrap();
            if handlers.contains("post(") {
                found.insert(path.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_dashboard_form_is_in_the_matrix_test() {
    let tested: BTreeSet<String> = forms().into_iter().map(|(route, ..)| route.to_owned()).collect();
    let mut declared = declared_posts();
    // Signing in and out need no permission beyond being staff.
    for open in ["/admin/login", "/admin/logout"] {
        assert!(declared.remove(open), "{open} is declared");
    }
    assert_eq!(declared, tested);
}

#[tokio::test]
async fn every_dashboard_form_follows_the_role_matrix() {
    for db in db::all().await {
        let conn = &db.conn;
        for id in [OWNER, ADMIN_USER, SUPPORT] {
            customer(conn, id).await;
        }
        users::sync_staff_from_config(conn, &BTreeSet::from([OWNER]), None, Utc::now()).await.unwrap();
        staff::set_role(conn, &ADMIN, ADMIN_USER, Role::Admin, Utc::now()).await.unwrap();
        staff::set_role(conn, &ADMIN, SUPPORT, Role::Support, Utc::now()).await.unwrap();
        let base = serve(HttpState::new(conn.clone())).await;
        for (id, role) in [(SUPPORT, Role::Support), (ADMIN_USER, Role::Admin), (OWNER, Role::Owner)] {
            let mut page = Dashboard::sign_in(conn, &base, id).await;
            for (_, path, fields, needs) in forms() {
                let answer = page.post(&path, &fields).await;
                let refused = answer.status == 403;
                assert_eq!(
                    refused,
                    !allows(role, needs),
                    "{role:?} POST {path} ({needs:?}): {} {}",
                    answer.status,
                    answer.body
                );
                assert!(answer.status < 500, "{role:?} POST {path}: {}", answer.status);
            }
            // Pages follow the same matrix.
            let staff_page = page.get("/admin/staff").await.status;
            assert_eq!(staff_page == 403, !allows(role, Permission::ManageStaff), "{role:?} /admin/staff");
            let export = page.get("/admin/exports/orders.csv?from=2026-12-01&to=2026-12-02").await.status;
            assert_eq!(export == 403, !allows(role, Permission::ViewReports), "{role:?} export: {export}");
        }
    }
}
