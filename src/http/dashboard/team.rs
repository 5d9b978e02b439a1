//! `/admin/staff` (owners): the team with a role change for each, and the API tokens with their
//! last use; create a token (its secret is shown once, on the answer to the form, and never
//! again) or revoke one. `staff::set_role` and `tokens::*`, as in chat.
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, when};
use super::session::{redirect_with, Failure, Flash, NoFields, PageResult, Posted, Staff};
use crate::bot::ui::format::role_name;
use crate::domain::Permission;
use crate::entities::user::Role;
use crate::http::HttpState;
use crate::services::staff::{self, RoleChange};
use crate::services::tokens::{self, CreateOutcome, RevokeOutcome};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/staff", get(page))
        .route("/admin/staff/role", post(set_role))
        .route("/admin/staff/tokens", post(create_token))
        .route("/admin/staff/tokens/{id}/revoke", post(revoke_token))
}

const BACK: &str = "/admin/staff";

fn allowed(staff: &Staff) -> Result<(), Failure> {
    if staff.can(Permission::ManageStaff) || staff.can(Permission::ManageTokens) {
        Ok(())
    } else {
        Err(Failure::Forbidden)
    }
}

fn role_options(lang: &str, roles: &[Role], selected: Role) -> Markup {
    html! {
        @for role in roles {
            option value=(crate::http::api::text(role)) selected[*role == selected] { (role_name(*role, lang)) }
        }
    }
}

async fn page(State(state): State<HttpState>, staff: Staff) -> PageResult {
    allowed(&staff)?;
    let lang = staff.lang();
    let grantable = [Role::Admin, Role::Support, Role::User];
    let team =
        if staff.can(Permission::ManageStaff) { Some(staff::list(&state.db, staff.actor()).await?) } else { None };
    let api_tokens =
        if staff.can(Permission::ManageTokens) { Some(tokens::list(&state.db, staff.actor()).await?) } else { None };
    let body = html! {
        @if let Some(team) = &team {
            h2 { (t!("dashboard_ops.team.staff", locale = lang)) }
            (layout::table(&staff, &["dashboard_ops.team.person", "dashboard_ops.team.role", "dashboard.col.action"], team.iter().map(|member| html! {
                tr #(format!("staff-{}", member.telegram_id)) {
                    td { (member.first_name) @if let Some(username) = &member.username { " @" (username) } br; span.muted { (member.telegram_id) } }
                    td { (role_name(member.role, lang)) }
                    td { @if member.role == Role::Owner {
                        span.muted { (t!("dashboard_ops.team.owner_fixed", locale = lang)) }
                    } @else {
                        form.inline method="post" action="/admin/staff/role" {
                            (csrf(&staff))
                            input type="hidden" name="telegram_id" value=(member.telegram_id);
                            select name="role" { (role_options(lang, &grantable, member.role)) }
                            button type="submit" { (t!("dashboard_ops.team.change_role", locale = lang)) }
                        }
                    } }
                }
            }).collect()))
            h2 { (t!("dashboard_ops.team.add", locale = lang)) }
            form.inline method="post" action="/admin/staff/role" {
                (csrf(&staff))
                input name="telegram_id" required inputmode="numeric" placeholder=(t!("dashboard_ops.team.telegram_id", locale = lang));
                select name="role" { (role_options(lang, &grantable[..2], Role::Support)) }
                button.primary type="submit" { (t!("dashboard_ops.team.give_role", locale = lang)) }
            }
        }
        @if let Some(api_tokens) = &api_tokens {
            h2 { (t!("dashboard_ops.team.tokens", locale = lang)) }
            (layout::table(&staff, &["dashboard_ops.team.token", "dashboard_ops.team.role", "dashboard_ops.team.created", "dashboard_ops.team.last_used", "dashboard.col.action"], api_tokens.iter().map(|token| html! {
                tr #(format!("token-{}", token.id)) {
                    td { b { (token.name) } br; code { (token.prefix) "…" } }
                    td { (role_name(token.role, lang)) }
                    td { (when(token.created_at)) br; span.muted { (token.created_by) } }
                    td { @match token.last_used_at { Some(at) => { (when(at)) }, None => { span.muted { (t!("dashboard_ops.team.never", locale = lang)) } } } }
                    td { @match token.revoked_at {
                        Some(at) => { span.muted { (t!("dashboard_ops.team.revoked_at", locale = lang, at = when(at))) } },
                        None => { (button(&staff, &format!("/admin/staff/tokens/{}/revoke", token.id), &t!("dashboard_ops.team.revoke", locale = lang), "danger")) },
                    } }
                }
            }).collect()))
            h2 { (t!("dashboard_ops.team.new_token", locale = lang)) }
            form.inline method="post" action="/admin/staff/tokens" {
                (csrf(&staff))
                input name="name" required maxlength="40" pattern="[A-Za-z0-9._-]{1,40}" placeholder=(t!("dashboard_ops.team.token_name", locale = lang));
                select name="role" { (role_options(lang, &[Role::Support, Role::Admin, Role::Owner], Role::Support)) }
                button.primary type="submit" { (t!("dashboard_ops.team.create_token", locale = lang)) }
            }
        }
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.team.title", locale = lang), body))
}

fn role_of(text: &str) -> Option<Role> {
    match text.trim() {
        "admin" => Some(Role::Admin),
        "support" => Some(Role::Support),
        "user" => Some(Role::User),
        "owner" => Some(Role::Owner),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    telegram_id: String,
    role: String,
}

async fn set_role(State(state): State<HttpState>, posted: Posted<RoleForm>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    let refused = |text: std::borrow::Cow<'_, str>| Ok(redirect_with(BACK, Flash::Refused(text.into_owned())));
    let Ok(telegram_id) = form.telegram_id.trim().parse::<i64>() else {
        return refused(t!("dashboard_ops.team.bad_id", locale = lang));
    };
    let Some(role) = role_of(&form.role).filter(|r| *r != Role::Owner) else {
        return refused(t!("dashboard_ops.team.bad_role", locale = lang));
    };
    let flash = match staff::set_role(&state.db, staff.actor(), telegram_id, role, Utc::now()).await? {
        RoleChange::Changed { user, .. } => Flash::Done(
            t!("dashboard_ops.team.role_changed", locale = lang, name = user.first_name, role = role_name(role, lang))
                .into_owned(),
        ),
        RoleChange::Unchanged(user) => Flash::Refused(
            t!(
                "dashboard_ops.team.role_same",
                locale = lang,
                name = user.first_name,
                role = role_name(user.role, lang)
            )
            .into_owned(),
        ),
        RoleChange::OwnerFixed(user) => Flash::Refused(
            t!("dashboard_ops.team.owner_fixed_named", locale = lang, name = user.first_name).into_owned(),
        ),
        RoleChange::UnknownUser => {
            Flash::Refused(t!("dashboard_ops.team.unknown_user", locale = lang, id = telegram_id).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with(BACK, flash))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    role: String,
}

async fn create_token(State(state): State<HttpState>, posted: Posted<TokenForm>) -> PageResult {
    let (staff, lang, form) = (&posted.staff, posted.staff.lang(), &posted.form);
    let refused = |text: std::borrow::Cow<'_, str>| Ok(redirect_with(BACK, Flash::Refused(text.into_owned())));
    let Some(role) = role_of(&form.role) else {
        return refused(t!("dashboard_ops.team.bad_role", locale = lang));
    };
    let name = form.name.trim();
    let outcome = tokens::create(&state.db, staff.actor(), name, role, Utc::now()).await?;
    state.outbox_wake.notify_one();
    match outcome {
        CreateOutcome::Created { token, secret } => {
            // Shown here once: not in a redirect, a cookie or a log, and not kept by the browser.
            let body = html! {
                p.flash.ok role="status" { (t!("dashboard_ops.team.token_created", locale = lang, name = token.name, role = role_name(token.role, lang))) }
                p { (t!("dashboard_ops.team.secret_once", locale = lang)) }
                p { code.secret #token-secret { (secret) } }
                p { a href=(BACK) { (t!("dashboard_ops.team.secret_saved", locale = lang)) } }
            };
            let mut response = layout::page(staff, &t!("dashboard_ops.team.new_token", locale = lang), body);
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(response.into_response())
        }
        CreateOutcome::NameTaken => refused(t!("dashboard_ops.team.name_taken", locale = lang, name = name)),
        CreateOutcome::BadName => refused(t!("dashboard_ops.team.bad_name", locale = lang)),
        CreateOutcome::BadRole => refused(t!("dashboard_ops.team.bad_role", locale = lang)),
    }
}

async fn revoke_token(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let flash = match tokens::revoke(&state.db, staff.actor(), id, Utc::now()).await? {
        RevokeOutcome::Revoked(token) => {
            Flash::Done(t!("dashboard_ops.team.revoked", locale = lang, name = token.name).into_owned())
        }
        RevokeOutcome::AlreadyRevoked(token) => {
            Flash::Refused(t!("dashboard_ops.team.already_revoked", locale = lang, name = token.name).into_owned())
        }
        RevokeOutcome::UnknownToken => {
            Flash::Refused(t!("dashboard_ops.team.unknown_token", locale = lang, id = id).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with(BACK, flash))
}
