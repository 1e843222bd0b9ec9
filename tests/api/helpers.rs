//! The test harness: `spawn_app` starts the real server on port 0 with a fresh database and returns
//! a `TestApp` to talk to it over HTTP. `both_backends!` runs each test on SQLite and, when
//! COPROD_TEST_POSTGRES_URL is set, on PostgreSQL too.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use coprod::app::Application;
use coprod::config::{Settings, Sources};
use coprod::db::{Database, DbConnection};
use diesel::{Connection, RunQueryDsl};
use secrecy::SecretString;
use tempfile::TempDir;

/// Writes one test twice: `mod sqlite { fn name() }` and `mod postgres { fn name() }`, each calling
/// `name(TestBackend)` defined beside the macro call.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::TestBackend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::TestBackend::postgres() {
                        super::$name(backend).await;
                    }
                }
            )+
        }
    };
}

#[derive(Debug, Clone)]
pub enum TestBackend {
    Sqlite,
    /// The URL of a server where test databases may be created.
    Postgres(String),
}

impl TestBackend {
    /// The PostgreSQL backend, or None (and a note) when no server was given. With
    /// COPROD_TEST_REQUIRE_POSTGRES=1, a missing server fails the test instead.
    pub fn postgres() -> Option<TestBackend> {
        match std::env::var("COPROD_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(TestBackend::Postgres(url)),
            _ => {
                if std::env::var("COPROD_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!(
                        "COPROD_TEST_REQUIRE_POSTGRES=1 but COPROD_TEST_POSTGRES_URL is not set"
                    );
                }
                eprintln!("skipped: COPROD_TEST_POSTGRES_URL not set, so this PostgreSQL variant did not run");
                None
            }
        }
    }

    /// A new, empty database on this backend; the folder keeps SQLite files and mail.
    pub fn fresh_database_url(&self, dir: &std::path::Path) -> String {
        match self {
            TestBackend::Sqlite => format!("sqlite://{}/coprod.sqlite3", dir.display()),
            TestBackend::Postgres(admin_url) => {
                let name = format!("coprod_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = diesel::PgConnection::establish(admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach COPROD_TEST_POSTGRES_URL: {e}"));
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .expect("create a test database");
                let mut url =
                    url::Url::parse(admin_url).expect("COPROD_TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                url.to_string()
            }
        }
    }
}

/// Logs go to the test output only when TEST_LOG is set (`TEST_LOG=1 cargo test`).
static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        let log = coprod::config::LogSettings {
            format: coprod::config::LogFormat::Pretty,
            level: "debug".into(),
        };
        coprod::telemetry::init(&log);
    }
});

/// Settings for a test server: port 0, one worker, quick mail polling and retries.
pub fn test_settings(database_url: &str, dir: &std::path::Path) -> Settings {
    let mut settings = Settings::load_from(&Sources {
        config_dir: PathBuf::from("config"),
        ..Sources::default()
    })
    .expect("default settings load");
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.url = SecretString::from(database_url.to_string());
    settings.database.pool_size = 4;
    settings.mail.dir = dir.join("mail");
    settings.mail.poll_interval_ms = 50;
    settings.mail.retry_base_secs = 1;
    settings.mail.retry_max_secs = 2;
    settings
}

#[allow(dead_code)] // not every test reads every field; `dir` must live as long as the app
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: Database,
    pub client: reqwest::Client,
    pub backend: TestBackend,
    pub settings: Settings,
    pub dir: TempDir,
}

pub async fn spawn_app(backend: TestBackend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the server after `adjust` has had its way with the settings.
pub async fn spawn_app_with(backend: TestBackend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = backend.fresh_database_url(dir.path());
    let mut settings = test_settings(&url, dir.path());
    adjust(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("the application starts");
    let port = app.port();
    let db = app.database().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client"),
        backend,
        settings,
        dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Runs `f` with a database connection, off the async executor.
    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().expect("a database connection");
            f(&mut conn)
        })
        .await
        .expect("database work finished")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.settings.mail.dir.clone()
    }
}

/// Polls `check` every 50 ms until it returns Some, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts a response is problem+json with `status`, and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: serde_json::Value = res.json().await.expect("a JSON body");
    assert_eq!(body["status"], status, "status in body: {body}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}
