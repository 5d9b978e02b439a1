//! `/admin/exports`: a form for a CSV export (orders, ledger, withdrawals, commissions over IST
//! days) that downloads `/admin/exports/{kind}.csv?from=…&to=…`, streamed page by page from
//! `exports::open` exactly as the API serves it (UTF-8 with BOM). Needs the reports permission.
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};
use maud::html;
use rust_i18n::t;
use serde::Deserialize;

use super::layout;
use super::session::{redirect_with, Failure, Flash, PageResult, Staff};
use crate::domain::report::{ist_date, DateRange, RangeError};
use crate::domain::Permission;
use crate::http::HttpState;
use crate::services::exports::{self, ExportKind};

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/admin/exports", get(form))
        .route("/admin/exports/download", get(download))
        .route("/admin/exports/{file}", get(export))
}

fn kind_label(lang: &str, kind: ExportKind) -> String {
    match kind {
        ExportKind::Orders => t!("dashboard_ops.exports.orders", locale = lang),
        ExportKind::Ledger => t!("dashboard_ops.exports.ledger", locale = lang),
        ExportKind::Withdrawals => t!("dashboard_ops.exports.withdrawals", locale = lang),
        ExportKind::Commissions => t!("dashboard_ops.exports.commissions", locale = lang),
    }
    .into_owned()
}

async fn form(staff: Staff) -> PageResult {
    if !staff.can(Permission::ViewReports) {
        return Err(Failure::Forbidden);
    }
    let lang = staff.lang();
    let to = ist_date(Utc::now());
    let from = to - Duration::days(29);
    let body = html! {
        p.muted { (t!("dashboard_ops.exports.intro", locale = lang)) }
        form.stack method="get" action="/admin/exports/download" {
            label { (t!("dashboard_ops.exports.kind", locale = lang))
                select name="kind" { @for kind in ExportKind::ALL {
                    option value=(kind.name()) { (kind_label(lang, kind)) }
                } }
            }
            label { (t!("dashboard_ops.exports.from", locale = lang)) input type="date" name="from" required value=(from.format("%Y-%m-%d")); }
            label { (t!("dashboard_ops.exports.to", locale = lang)) input type="date" name="to" required value=(to.format("%Y-%m-%d")); }
            button.primary type="submit" { (t!("dashboard_ops.exports.download", locale = lang)) }
        }
    };
    Ok(layout::page(&staff, &t!("dashboard_ops.exports.title", locale = lang), body))
}

#[derive(Debug, Deserialize)]
pub struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn range_error(lang: &str, err: RangeError) -> String {
    match err {
        RangeError::BadDate(_) => t!("dashboard_ops.exports.bad_date", locale = lang),
        RangeError::Reversed => t!("dashboard_ops.exports.reversed", locale = lang),
    }
    .into_owned()
}

/// The form's answer: checked here so a mistake comes back as a notice, then the download.
async fn download(staff: Staff, Query(choice): Query<Choice>) -> PageResult {
    let lang = staff.lang();
    let Some(kind) = ExportKind::parse(&choice.kind) else {
        let text = t!("dashboard_ops.exports.bad_kind", locale = lang).into_owned();
        return Ok(redirect_with("/admin/exports", Flash::Refused(text)));
    };
    if let Err(err) = DateRange::parse(&choice.from, &choice.to) {
        return Ok(redirect_with("/admin/exports", Flash::Refused(range_error(lang, err))));
    }
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", choice.from.trim())
        .append_pair("to", choice.to.trim())
        .finish();
    Ok(Redirect::to(&format!("/admin/exports/{}.csv?{query}", kind.name())).into_response())
}

async fn export(
    State(state): State<HttpState>,
    staff: Staff,
    Path(file): Path<String>,
    Query(range): Query<Range>,
) -> PageResult {
    let lang = staff.lang();
    let kind = ExportKind::parse(&file)
        .filter(|_| file.ends_with(".csv"))
        .ok_or_else(|| Failure::NotFound(t!("dashboard_ops.exports.bad_kind", locale = lang).into_owned()))?;
    let range = DateRange::parse(&range.from, &range.to).map_err(|err| Failure::BadRequest(range_error(lang, err)))?;
    let export = exports::open(&state.db, staff.actor(), kind, range)?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let body = Body::from_stream(export.into_stream());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
