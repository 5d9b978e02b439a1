//! The frame of every dashboard page: navigation by role, the notice of the last act, the
//! sign-out button, and small pieces pages share (forms with their CSRF token, money, times,
//! paging). Server-rendered with maud; one small stylesheet, no script, usable on a phone.
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_i18n::t;

use super::session::{clear_flash, Flash, Staff};
use crate::domain::report::ist;
use crate::domain::{Money, Permission};

const STYLE: &str = include_str!("style.css");

/// The pages in the menu, with the permission each needs.
const NAV: [(&str, &str, Permission); 13] = [
    ("/admin", "dashboard.nav.overview", Permission::View),
    ("/admin/orders", "dashboard.nav.orders", Permission::View),
    ("/admin/users", "dashboard.nav.users", Permission::View),
    ("/admin/claims", "dashboard.nav.claims", Permission::View),
    ("/admin/withdrawals", "dashboard.nav.withdrawals", Permission::View),
    ("/admin/flags", "dashboard.nav.flags", Permission::View),
    ("/admin/plans", "dashboard.nav.plans", Permission::View),
    ("/admin/promos", "dashboard.nav.promos", Permission::View),
    ("/admin/broadcasts", "dashboard.nav.broadcasts", Permission::ManageOffers),
    ("/admin/approvals", "dashboard.nav.approvals", Permission::View),
    ("/admin/settings", "dashboard.nav.settings", Permission::View),
    ("/admin/audit", "dashboard.nav.audit", Permission::View),
    ("/admin/staff", "dashboard.nav.staff", Permission::ManageStaff),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            title { (title) " · ottsonly" }
            style { (PreEscaped(STYLE)) }
        }
    }
}

/// A whole page for a signed-in staff member.
pub fn page(staff: &Staff, title: &str, body: Markup) -> Response {
    let lang = staff.lang();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang) {
            (head(title))
            body {
                header {
                    nav {
                        @for (href, key, needs) in NAV {
                            @if staff.can(needs) { a href=(href) { (t!(key, locale = lang)) } }
                        }
                    }
                    div.who {
                        span { (staff.session.name) " · " (crate::http::api::text(&staff.actor().role)) }
                        form method="post" action="/admin/logout" {
                            (csrf(staff))
                            button.link type="submit" { (t!("dashboard.sign_out", locale = lang)) }
                        }
                    }
                }
                main {
                    @match &staff.flash {
                        Some(Flash::Done(text)) => p.flash.ok role="status" { (text) },
                        Some(Flash::Refused(text)) => p.flash.no role="alert" { (text) },
                        None => {},
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    let mut response = Html(markup.into_string()).into_response();
    // Customers' wallets and ledgers: not for the browser's cache after signing out.
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    if staff.flash.is_some() {
        clear_flash(&mut response);
    }
    response
}

/// A page without the menu: sign-in, signed out, errors. `key` names its text.
pub fn bare(key: &str, detail: Option<&str>) -> Html<String> {
    let title_key = format!("{key}_title");
    let title = t!(&title_key, locale = "en");
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(&title))
                body.bare { main {
                    h1 { (title) }
                    p { (t!(key, locale = "en")) }
                    @if let Some(detail) = detail { p.detail { (detail) } }
                    p { a href="/admin" { (t!("dashboard.back_home", locale = "en")) } }
                } }
            }
        }
        .into_string(),
    )
}

/// The hidden CSRF field every form needs.
pub fn csrf(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.session.csrf); }
}

/// A form that is only a button (Approve, Resolve…).
pub fn button(staff: &Staff, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(staff))
            button class=(class) type="submit" { (label) }
        }
    }
}

pub fn money(paise: i64) -> String {
    Money::from_paise(paise).to_string()
}

/// A time in India's time zone, as staff read it.
pub fn when(at: DateTime<Utc>) -> String {
    at.with_timezone(&ist()).format("%d %b %Y, %H:%M").to_string()
}

/// "Older" for a list with more rows; `base` is the page's URL with its filters.
pub fn pager(staff: &Staff, base: &str, next: Option<i32>) -> Markup {
    let separator = if base.contains('?') { '&' } else { '?' };
    html! {
        @if let Some(next) = next {
            p.pager { a href=(format!("{base}{separator}before={next}")) { (t!("dashboard.older", locale = staff.lang())) } }
        }
    }
}

/// A table, or a line saying there is nothing, when `rows` is empty.
pub fn table(staff: &Staff, headers: &[&str], rows: Vec<Markup>) -> Markup {
    html! {
        @if rows.is_empty() {
            p.empty { (t!("dashboard.nothing", locale = staff.lang())) }
        } @else {
            div.scroll { table {
                thead { tr { @for h in headers { th { (t!(*h, locale = staff.lang())) } } } }
                tbody { @for row in rows { (row) } }
            } }
        }
    }
}

/// Links to the same list by status (`?status=name`), the current one in bold.
pub fn tabs(staff: &Staff, base: &str, current: &str, tabs: &[(&str, &str)]) -> Markup {
    html! {
        p.row { @for (name, key) in tabs {
            @if *name == current { b { (t!(*key, locale = staff.lang())) } }
            @else { a href=(format!("{base}?status={name}")) { (t!(*key, locale = staff.lang())) } }
        } }
    }
}
