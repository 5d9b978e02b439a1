//! `/admin/promos`: the promo codes with their terms and use, a form to create one and a
//! Switch off button (`promos::create`, `promos::disable`, as /promo in chat). The form's
//! fields are read by the same parser as the chat command.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout::{self, button, csrf, when};
use super::session::{redirect_with, Flash, NoFields, PageResult, Posted, Staff};
use crate::domain::promo::{self, DraftError};
use crate::domain::Permission;
use crate::http::HttpState;
use crate::services::promos::{self, CreateOutcome, DisableOutcome};

pub fn routes() -> Router<HttpState> {
    Router::new().route("/admin/promos", get(list).post(create)).route("/admin/promos/{id}/disable", post(disable))
}

const LIST_LIMIT: u64 = 100;

async fn list(State(state): State<HttpState>, staff: Staff) -> PageResult {
    let lang = staff.lang();
    let codes = promos::list(&state.db, staff.actor(), LIST_LIMIT).await?;
    let manage = staff.can(Permission::ManageOffers);
    let rows = codes
        .iter()
        .map(|code| {
            let terms = promos::terms_of(code);
            let off = terms.off.to_string();
            let plans = terms.plan_list().unwrap_or_else(|| t!("offers.all_plans", locale = lang).into_owned());
            let uses = match terms.max_uses {
                Some(max) => format!("{} / {max}", code.uses),
                None => code.uses.to_string(),
            };
            let id = code.id;
            html! { tr #(format!("promo-{id}")) {
                td { b { (code.code) } br; span.muted { (off) } }
                td {
                    (plans) br;
                    span.muted { (when(terms.valid_from)) " – " (terms.valid_until.map(when).unwrap_or_else(|| t!("offers.no_end", locale = lang).into_owned())) }
                    @if terms.first_purchase_only { br; (t!("dashboard_ops.promos.first_only", locale = lang)) }
                    @if terms.min_price.is_positive() { br; (t!("dashboard_ops.promos.min_price", locale = lang, min = terms.min_price)) }
                }
                td { (uses) br; span.muted { (t!("dashboard_ops.promos.per_user", locale = lang, n = terms.per_user)) } }
                td {
                    @if code.is_active {
                        (t!("offers.active", locale = lang))
                        @if manage { br; (button(&staff, &format!("/admin/promos/{id}/disable"), &t!("dashboard_ops.promos.disable", locale = lang), "danger")) }
                    } @else { span.muted { (t!("offers.off", locale = lang)) } }
                }
            } }
        })
        .collect();
    let body = html! {
        (layout::table(&staff, &["dashboard_ops.promos.code", "dashboard_ops.promos.terms", "dashboard_ops.promos.uses", "dashboard.col.action"], rows))
        @if manage {
            h2 { (t!("dashboard_ops.promos.new", locale = lang)) }
            form.stack method="post" action="/admin/promos" {
                (csrf(&staff))
                label { (t!("dashboard_ops.promos.code", locale = lang)) input name="code" required maxlength="20" pattern="[A-Za-z0-9_-]{3,20}"; }
                label { (t!("dashboard_ops.promos.off", locale = lang)) input name="off" required placeholder="20% / 50"; }
                label { (t!("dashboard_ops.promos.plans", locale = lang)) input name="plans" placeholder="1,2"; }
                label { (t!("dashboard_ops.promos.from", locale = lang)) input type="date" name="from"; }
                label { (t!("dashboard_ops.promos.until", locale = lang)) input type="date" name="until"; }
                label { (t!("dashboard_ops.promos.max_uses", locale = lang)) input name="uses" inputmode="numeric"; }
                label { (t!("dashboard_ops.promos.per_user_field", locale = lang)) input name="per_user" value="1" inputmode="numeric"; }
                label { (t!("dashboard_ops.promos.min_rupees", locale = lang)) input name="min" inputmode="decimal"; }
                label.check { input type="checkbox" name="first" value="on"; " " (t!("dashboard_ops.promos.first_only", locale = lang)) }
                button.primary type="submit" { (t!("dashboard_ops.promos.create", locale = lang)) }
            }
        }
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.promos.title", locale = lang), body))
}

#[derive(Debug, Deserialize)]
pub struct NewCode {
    code: String,
    off: String,
    #[serde(default)]
    plans: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    uses: String,
    #[serde(default)]
    per_user: String,
    #[serde(default)]
    min: String,
    first: Option<String>,
}

impl NewCode {
    /// The form as a `/promo add` line, for the one parser.
    fn line(&self) -> String {
        let mut line = format!("{} {}", self.code.trim(), self.off.trim().replace(' ', ""));
        for (name, value) in [
            ("plans", &self.plans),
            ("from", &self.from),
            ("until", &self.until),
            ("uses", &self.uses),
            ("per_user", &self.per_user),
            ("min", &self.min),
        ] {
            let value = value.trim().replace(' ', "");
            if !value.is_empty() {
                line.push_str(&format!(" {name}={value}"));
            }
        }
        if self.first.is_some() {
            line.push_str(" first");
        }
        line
    }
}

fn draft_error(err: &DraftError, lang: &str) -> String {
    match err {
        DraftError::Code => t!("offers.bad_code", locale = lang).into_owned(),
        DraftError::Off => t!("offers.bad_off", locale = lang).into_owned(),
        DraftError::Option(word) => t!("offers.bad_option", locale = lang, option = word).into_owned(),
        DraftError::Value(name, example) => {
            t!("offers.bad_value", locale = lang, option = name, example = example).into_owned()
        }
        DraftError::Window => t!("offers.bad_window", locale = lang).into_owned(),
    }
}

async fn create(State(state): State<HttpState>, posted: Posted<NewCode>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let draft = match promo::parse_draft(&posted.form.line(), Utc::now()) {
        Ok(draft) => draft,
        Err(err) => return Ok(redirect_with("/admin/promos", Flash::Refused(draft_error(&err, lang)))),
    };
    let flash = match promos::create(&state.db, staff.actor(), &draft, Utc::now()).await? {
        CreateOutcome::Created(code) => {
            Flash::Done(t!("dashboard_ops.promos.created", locale = lang, code = code.code).into_owned())
        }
        CreateOutcome::CodeTaken => Flash::Refused(t!("offers.taken", locale = lang, code = draft.code).into_owned()),
    };
    Ok(redirect_with("/admin/promos", flash))
}

async fn disable(State(state): State<HttpState>, Path(id): Path<i32>, posted: Posted<NoFields>) -> PageResult {
    let (staff, lang) = (&posted.staff, posted.staff.lang());
    let flash = match promos::disable(&state.db, staff.actor(), id, Utc::now()).await? {
        DisableOutcome::Disabled(code) => {
            Flash::Done(t!("offers.disabled", locale = lang, code = code.code).into_owned())
        }
        DisableOutcome::AlreadyOff(code) => {
            Flash::Refused(t!("offers.already_off", locale = lang, code = code.code).into_owned())
        }
        DisableOutcome::Unknown => {
            Flash::Refused(t!("dashboard_ops.promos.unknown", locale = lang, id = id).into_owned())
        }
    };
    Ok(redirect_with("/admin/promos", flash))
}
