//! A real headless browser for dashboard tests: Debian's chromium driven through its
//! chromedriver (WebDriver) with fantoccini. `.ci/run` installs both; nothing is downloaded.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port()
}

impl Browser {
    pub async fn start() -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
        );
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let status = format!("http://127.0.0.1:{port}/status");
        let mut ready = false;
        for _ in 0..200 {
            if reqwest::get(&status).await.is_ok_and(|r| r.status().is_success()) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not answer on port {port}");
        let profile = tempfile::tempdir().expect("profile dir").keep();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--user-data-dir={}", profile.display())],
            }),
        );
        // Two TLS back ends are linked in; chromedriver is plain http, but the builder wants one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("a TLS setup")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser { client, driver }
    }

    /// The page's visible text (empty while a page is loading).
    pub async fn text(&self) -> String {
        let script = "return document.body ? document.body.innerText : ''";
        match self.client.execute(script, vec![]).await {
            Ok(value) => value.as_str().unwrap_or_default().to_owned(),
            Err(_) => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Whether an element matches `css` on the current page.
    pub async fn has(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.expect("find").is_empty()
    }

    /// Runs `fetch` in the page and returns the HTTP status, as a script on the page could.
    pub async fn post_from_page(&self, path: &str, fields: &[(&str, &str)]) -> u16 {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let script = "const [path, body, done] = arguments; \
            fetch(path, {method: 'POST', body, redirect: 'manual', headers: {'content-type': 'application/x-www-form-urlencoded'}}) \
            .then(r => done(r.status)).catch(e => done(-1));";
        let value = self
            .client
            .execute_async(script, vec![serde_json::json!(path), serde_json::json!(body)])
            .await
            .expect("script runs");
        value.as_u64().expect("a status") as u16
    }

    /// Ends the browser session; dropping stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
