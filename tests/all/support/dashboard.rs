//! A browser-less dashboard client: signs a staff member in with a real one-time link, keeps
//! the cookies (session and notice), and sends forms with the session's CSRF token.
use std::collections::HashMap;

use chrono::Utc;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use sea_orm::DatabaseConnection;

use ottsonly::http::{router, HttpState};
use ottsonly::services::{sign_in, users, Actor, Via};

/// Serves the whole HTTP router (API, dashboard) on a free port; returns its base URL.
pub async fn serve(state: HttpState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    base
}

pub struct Answer {
    pub status: u16,
    /// Where a redirect points.
    pub location: Option<String>,
    pub body: String,
}

pub struct Dashboard {
    pub base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    pub csrf: String,
}

/// The value of `name="csrf" value="…"` in a page.
pub fn csrf_of(page: &str) -> Option<String> {
    let start = page.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    page[start..].split('"').next().map(str::to_owned)
}

impl Dashboard {
    /// Signs `telegram_id` (who must be staff) in through a fresh link, as the chat would.
    pub async fn sign_in(db: &DatabaseConnection, base: &str, telegram_id: i64) -> Dashboard {
        let user = users::find_by_telegram_id(db, telegram_id).await.expect("db").expect("a user");
        let token = sign_in::create_link(db, &Actor::of(&user), Utc::now()).await.expect("a link");
        let mut dashboard = Dashboard::signed_out(base);
        let answer = dashboard.post_raw("/admin/login", &[("token", token.as_str())]).await;
        assert_eq!(answer.status, 303, "sign-in: {}", answer.body);
        let home = dashboard.get("/admin").await;
        assert_eq!(home.status, 200, "{}", home.body);
        dashboard.csrf = csrf_of(&home.body).expect("a CSRF token on the page");
        dashboard
    }

    pub fn signed_out(base: &str) -> Dashboard {
        let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
        Dashboard { base: base.to_owned(), client, cookies: HashMap::new(), csrf: String::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn read(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Answer { status, location, body: response.text().await.unwrap_or_default() }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.read(response).await
    }

    /// A form exactly as given: no CSRF token added.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    /// A form with the session's CSRF token, as the page would send it.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POSTs the form, follows its redirect, and returns the page with its notice.
    pub async fn act(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let answer = self.post(path, fields).await;
        assert_eq!(answer.status, 303, "POST {path}: {} {}", answer.status, answer.body);
        let to = answer.location.expect("a redirect");
        self.get(&to).await
    }
}

/// The actor a dashboard act is recorded as.
pub fn via_dashboard(actor: Actor) -> Actor {
    actor.via(Via::Dashboard)
}
