//! The web dashboard at `/admin`: server-rendered pages over the same services as chat and the
//! API, signed in with a one-time link from `/dashboard` in chat. Every act is a POST carrying
//! the session's CSRF token, calls one service with the staff member as actor
//! (`Via::Dashboard`), and redirects back with a notice.
mod layout;
mod session;

mod sign_in;

mod approvals;
mod audit;
mod broadcasts;
mod claims;
mod exports;
mod flags;
mod orders;
mod overview;
mod plans;
mod promos;
mod settings;
mod team;
mod users;
mod withdrawals;

use axum::Router;

use crate::config::Config;
use crate::http::HttpState;

/// What the dashboard needs from the configuration.
#[derive(Debug, Clone)]
pub struct DashboardSettings {
    /// Cookies are marked Secure when the public URL is https.
    pub secure_cookies: bool,
    pub session_hours: u32,
}

impl Default for DashboardSettings {
    fn default() -> DashboardSettings {
        DashboardSettings { secure_cookies: false, session_hours: crate::services::sign_in::DEFAULT_SESSION_HOURS }
    }
}

impl DashboardSettings {
    pub fn of(config: &Config) -> DashboardSettings {
        DashboardSettings {
            secure_cookies: config.payments.public_url.as_ref().is_some_and(|url| url.scheme() == "https"),
            session_hours: config.session_hours,
        }
    }
}

pub fn router() -> Router<HttpState> {
    Router::new()
        .merge(sign_in::routes())
        .merge(overview::routes())
        .merge(claims::routes())
        .merge(users::routes())
        .merge(orders::routes())
        .merge(audit::routes())
        .merge(withdrawals::routes())
        .merge(flags::routes())
        .merge(plans::routes())
        .merge(promos::routes())
        .merge(broadcasts::routes())
        .merge(settings::routes())
        .merge(team::routes())
        .merge(approvals::routes())
        .merge(exports::routes())
}
