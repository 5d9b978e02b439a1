//! `/admin/settings`: every runtime setting with what it means, its value and a form to change
//! it. `settings::change` checks the value and who may change it (the two-person thresholds are
//! owners' only), as in chat and the API.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, csrf};
use super::session::{redirect_with, Flash, PageResult, Posted, Staff};
use crate::domain::setting::{SettingError, SettingKey};
use crate::domain::Permission;
use crate::http::HttpState;
use crate::services::settings;

pub fn routes() -> Router<HttpState> {
    Router::new().route("/admin/settings", get(list)).route("/admin/settings/{key}", post(change))
}

async fn list(State(state): State<HttpState>, staff: Staff) -> PageResult {
    let lang = staff.lang();
    let all = settings::list(&state.db, staff.actor()).await?;
    let change = staff.can(Permission::ChangeSettings);
    let safeguards = staff.can(Permission::ChangeSafeguards);
    let rows = all
        .iter()
        .map(|(key, value)| {
            let name = key.key();
            html! { tr #(format!("setting-{}", name.replace('.', "-"))) {
                td { code { (name) } br; span.muted { (t!(format!("settings.help_{}", key.key().replace('.', "_")), locale = lang)) } }
                td { b { (value) } @if value != key.default_value() { br; span.muted { (t!("dashboard_ops.settings.default", locale = lang, value = key.default_value())) } } }
                td {
                    @if change && (!key.is_safeguard() || safeguards) {
                        form.inline method="post" action=(format!("/admin/settings/{name}")) {
                            (csrf(&staff))
                            input name="value" required value=(value) size="10";
                            button.primary type="submit" { (t!("dashboard_ops.settings.change", locale = lang)) }
                        }
                    } @else if key.is_safeguard() {
                        span.muted { (t!("dashboard_ops.settings.owners_only", locale = lang)) }
                    } @else { span.muted { "—" } }
                }
            } }
        })
        .collect();
    let body = html! {
        @if staff.can(Permission::ViewReports) {
            p.row { a href="/admin/exports" { (t!("dashboard_ops.exports.title", locale = lang)) } }
        }
        (layout::table(&staff, &["dashboard_ops.settings.setting", "dashboard_ops.settings.value", "dashboard.col.action"], rows))
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.settings.title", locale = lang), body))
}

#[derive(Debug, Deserialize)]
pub struct Value {
    value: String,
}

async fn change(State(state): State<HttpState>, Path(name): Path<String>, posted: Posted<Value>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let Ok(key) = name.parse::<SettingKey>() else {
        let text = t!("dashboard_ops.settings.unknown", locale = lang, key = name);
        return Ok(redirect_with("/admin/settings", Flash::Refused(text.into_owned())));
    };
    let flash = match settings::change(&state.db, staff.actor(), key, &posted.form.value, Utc::now()).await? {
        Ok(value) => Flash::Done(
            t!("dashboard_ops.settings.changed", locale = lang, key = key.key(), value = value).into_owned(),
        ),
        Err(err) => {
            let why = match err {
                SettingError::BadPercent => t!("settings.bad_percent", locale = lang),
                SettingError::BadWhole { min, max } => t!("settings.bad_whole", locale = lang, min = min, max = max),
                SettingError::BadRupees => t!("settings.bad_rupees", locale = lang),
                SettingError::UnknownKey => t!("dashboard_ops.settings.unknown", locale = lang, key = key.key()),
            };
            Flash::Refused(t!("dashboard_ops.settings.refused", locale = lang, key = key.key(), why = why).into_owned())
        }
    };
    state.outbox_wake.notify_one();
    Ok(redirect_with("/admin/settings", flash))
}
