//! How the shop writes dates, people and errors, in the reader's language. Values are
//! HTML-escaped here, so locale texts can be HTML.
use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_i18n::t;

use super::callback::Method;
use super::reply::escape;
use crate::bot::Ctx;
use crate::domain::plan_draft::PlanDraftError;
// India Standard Time: every date a person reads is in it.
use crate::domain::report::ist;
use crate::domain::{Money, MoneyError};
use crate::entities::approval_request::{ApprovalKind, ApprovalStatus};
use crate::entities::user;
use crate::services::outbox::Person;

/// A reason an admin types is shown to the customer: keep it a sentence.
pub const MAX_REASON_CHARS: usize = 200;

fn chrono_locale(lang: &str) -> chrono::Locale {
    match lang {
        "hi" => chrono::Locale::hi_IN,
        _ => chrono::Locale::en_IN,
    }
}

/// `22 Dec 2026` (`22 दिसंबर 2026` in Hindi).
pub fn date(at: DateTime<Utc>, lang: &str) -> String {
    at.with_timezone(&ist()).format_localized("%-d %b %Y", chrono_locale(lang)).to_string()
}

/// `22 Dec 2026, 14:05 IST`.
pub fn date_time(at: DateTime<Utc>, lang: &str) -> String {
    at.with_timezone(&ist()).format_localized("%-d %b %Y, %H:%M IST", chrono_locale(lang)).to_string()
}

/// `@username (id)` or `First (id)`, escaped, for staff.
pub fn person(p: &Person, lang: &str) -> String {
    match &p.username {
        Some(username) => {
            t!("admin.user_with_username", locale = lang, username = escape(username), id = p.telegram_id)
        }
        None => t!("admin.user_without_username", locale = lang, name = escape(&p.first_name), id = p.telegram_id),
    }
    .into_owned()
}

/// `@username` or the first name, unescaped and short: for button labels (plain text).
pub fn person_plain(p: &Person) -> String {
    match &p.username {
        Some(username) => short(&format!("@{username}")),
        None if !p.first_name.is_empty() => short(&p.first_name),
        None => p.telegram_id.to_string(),
    }
}

pub fn user_label(user: &user::Model, lang: &str) -> String {
    person(&user.into(), lang)
}

/// Whom customers contact: the configured contact, or a generic phrase.
pub fn support_contact(ctx: &Ctx, lang: &str) -> String {
    match &ctx.config.support_contact {
        Some(contact) => escape(contact),
        None => t!("help.default_support", locale = lang).into_owned(),
    }
}

pub fn money_error(err: &MoneyError, lang: &str) -> Cow<'static, str> {
    match err {
        MoneyError::NotANumber => t!("errors.money_not_a_number", locale = lang),
        MoneyError::TooPrecise => t!("errors.money_too_precise", locale = lang),
        MoneyError::Negative => t!("errors.money_negative", locale = lang),
        MoneyError::TooLarge => t!("errors.money_too_large", locale = lang),
    }
}

pub fn draft_error(err: &PlanDraftError, lang: &str) -> Cow<'static, str> {
    match err {
        PlanDraftError::Price(e) => t!("errors.price", locale = lang, error = money_error(e, lang)),
        PlanDraftError::FreePrice => t!("errors.free_price", locale = lang),
        PlanDraftError::Cost(e) => t!("errors.cost", locale = lang, error = money_error(e, lang)),
        PlanDraftError::Days => t!("errors.days", locale = lang),
        PlanDraftError::EmptyName => t!("errors.empty_name", locale = lang),
        PlanDraftError::LongName => t!("errors.long_name", locale = lang),
        PlanDraftError::Missing => t!("errors.missing", locale = lang),
        PlanDraftError::LongDescription => t!("errors.long_description", locale = lang),
    }
}

pub fn method_name(method: Method, lang: &str) -> Cow<'static, str> {
    match method {
        Method::Razorpay => t!("pay.razorpay_name", locale = lang),
        Method::Upi => t!("pay.upi_name", locale = lang),
        Method::Stars => t!("pay.stars_name", locale = lang),
    }
}

pub fn role_name(role: user::Role, lang: &str) -> String {
    match role {
        user::Role::User => t!("staff.role_user", locale = lang),
        user::Role::Support => t!("staff.role_support", locale = lang),
        user::Role::Admin => t!("staff.role_admin", locale = lang),
        user::Role::Owner => t!("staff.role_owner", locale = lang),
    }
    .into_owned()
}

/// `credit <b>₹2,500</b> to @ravi (42)` / `debit … from …`: what an approval request asks.
pub fn adjustment(kind: ApprovalKind, amount: Money, customer: &Person, lang: &str) -> String {
    let key = match kind {
        ApprovalKind::Credit => "approvals.credit",
        ApprovalKind::Debit => "approvals.debit",
    };
    t!(key, locale = lang, amount = amount, customer = person(customer, lang)).into_owned()
}

/// Where an approval request is: `waiting for a second approval`, `approved`, …
pub fn approval_status(status: ApprovalStatus, lang: &str) -> String {
    match status {
        ApprovalStatus::Pending => t!("approvals.status_pending", locale = lang),
        ApprovalStatus::Approved => t!("approvals.status_approved", locale = lang),
        ApprovalStatus::Rejected => t!("approvals.status_rejected", locale = lang),
        ApprovalStatus::Cancelled => t!("approvals.status_cancelled", locale = lang),
    }
    .into_owned()
}

/// `\nReason: …` (escaped), or nothing for an empty reason.
pub fn reason_line(reason: &str, lang: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        t!("wallet.reason", locale = lang, reason = escape(reason)).into_owned()
    }
}

/// Button labels are plain text; long names would be cut by the client anyway.
pub fn short(name: &str) -> String {
    if name.chars().count() <= 40 {
        name.to_owned()
    } else {
        name.chars().take(39).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_in_ist_and_the_readers_language() {
        // 18:40 UTC is past midnight in India.
        let at = Utc.with_ymd_and_hms(2026, 12, 21, 18, 40, 0).unwrap();
        assert_eq!(date(at, "en"), "22 Dec 2026");
        assert_eq!(date_time(at, "en"), "22 Dec 2026, 00:10 IST");
        let hindi = date(at, "hi");
        assert!(hindi.starts_with("22 ") && hindi.ends_with(" 2026"), "{hindi}");
        assert!(hindi.contains('द'), "the month in Devanagari: {hindi}");
    }
}
