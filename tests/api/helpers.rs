//! The test harness: `spawn_app` starts the real server on port 0 with a fresh database and returns
//! a `TestApp` to talk to it over HTTP. `both_backends!` runs each test on SQLite and, when
//! COPROD_TEST_POSTGRES_URL is set, on PostgreSQL too.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use coprod::app::Application;
use coprod::config::{Settings, Sources};
use coprod::db::{Database, DbConnection};
use diesel::prelude::*;
use secrecy::SecretString;
use tempfile::TempDir;

/// Writes one test twice: `mod sqlite { fn name() }` and `mod postgres { fn name() }`, each calling
/// `name(TestBackend)` defined beside the macro call. Tests that mean something only on PostgreSQL
/// (several servers on one database, races SQLite's single writer cannot have) follow
/// `postgres only:` and get only the `postgres` variant, so they never pass on SQLite by doing
/// nothing.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $crate::both_backends!($($name),+ ; postgres only:);
    };
    ($($name:ident),+ ; postgres only: $($pg_only:ident),* $(,)?) => {
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
            $(
                #[tokio::test]
                async fn $pg_only() {
                    if let Some(backend) = $crate::helpers::TestBackend::postgres() {
                        super::$pg_only(backend).await;
                    }
                }
            )*
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

/// Every log line of every server in this test process, kept so tests can read them
/// (`captured_logs`), and shown on standard error when TEST_LOG is set.
static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(Default::default);

#[derive(Clone)]
struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        if std::env::var("TEST_LOG").is_ok() {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    let log = coprod::config::LogSettings {
        format: coprod::config::LogFormat::Json,
        level: "coprod=trace,actix_web=debug,actix_server=info,warn".into(),
    };
    coprod::telemetry::init_with_writer(&log, || Capture);
});

/// Everything logged so far by any test server in this process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

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
    // Tests record sessions on fixed dates, long past: lateness is counted from today, so only the
    // tests of late claims turn it on.
    settings.expenses.late_after_days = u32::MAX;
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
    assert_problem_type(&body);
    body
}

/// The `type` of each status's problem (as `Problem::new` in `src/api/error.rs` names it).
pub fn problem_type(status: u16) -> &'static str {
    match status {
        400 => "urn:coprod:problem:bad-request",
        401 => "urn:coprod:problem:unauthorized",
        403 => "urn:coprod:problem:forbidden",
        404 => "urn:coprod:problem:not-found",
        405 => "urn:coprod:problem:method-not-allowed",
        409 => "urn:coprod:problem:conflict",
        413 => "urn:coprod:problem:payload-too-large",
        415 => "urn:coprod:problem:unsupported-media-type",
        422 => "urn:coprod:problem:unprocessable",
        429 => "urn:coprod:problem:too-many-requests",
        500 => "urn:coprod:problem:internal",
        503 => "urn:coprod:problem:unavailable",
        other => panic!("no problem type is defined for status {other}"),
    }
}

/// More specific types a client may handle by name, each for one status (`Problem::with_kind`).
const SPECIFIC_PROBLEM_TYPES: [(&str, u16); 2] = [
    ("urn:coprod:problem:idempotency-secret-not-replayed", 409),
    ("urn:coprod:problem:receipt-type-not-accepted", 415),
];

/// A problem's `type` is its status's own URN, or one of the named specific types for that status.
pub fn assert_problem_type(body: &serde_json::Value) {
    let status = body["status"].as_u64().expect("a numeric status") as u16;
    let kind = body["type"].as_str().expect("a string type");
    let specific = SPECIFIC_PROBLEM_TYPES
        .iter()
        .any(|(k, s)| *k == kind && *s == status);
    assert!(
        kind == problem_type(status) || specific,
        "type {kind:?} for status {status}: {body}"
    );
}

/// The password every test account signs in with.
pub const PASSWORD: &str = "Marmalade-Lighthouse-Tuesday";

/// Hashing is slow by design: hash the test password once.
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| {
    let pw = secrecy::SecretString::from(PASSWORD.to_string());
    let pw = coprod::domain::NewPassword::parse(&pw, &[]).expect("a strong test password");
    coprod::services::secrets::hash_password(&pw).expect("hash")
});

/// A signed-in test account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
    pub role: Role,
    pub member_id: Option<String>,
    #[allow(dead_code)]
    pub group_ids: Vec<String>,
}

pub use coprod::services::Role;

impl TestApp {
    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post_as(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_as(
            "/api/v1/auth/login",
            None,
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs in and returns the token, failing the test if that does not work.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "sign in as {email}");
        let body: serde_json::Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// A member record, straight into the database (its endpoints come later).
    pub async fn insert_member(&self, full_name: &str) -> String {
        let name = full_name.to_string();
        self.with_db(move |c| {
            use coprod::db::schema::members::dsl as m;
            let id = coprod::db::new_id();
            let now = coprod::db::now();
            diesel::insert_into(m::members)
                .values((
                    m::id.eq(&id),
                    m::full_name.eq(&name),
                    m::created_at.eq(now),
                    m::updated_at.eq(now),
                ))
                .execute(c)
                .unwrap();
            id
        })
        .await
    }

    /// A group, straight into the database.
    pub async fn insert_group(&self, name: &str) -> String {
        let name = name.to_string();
        self.with_db(move |c| {
            use coprod::db::schema::groups::dsl as g;
            let id = coprod::db::new_id();
            let now = coprod::db::now();
            diesel::insert_into(g::groups)
                .values((
                    g::id.eq(&id),
                    g::name.eq(&name),
                    g::created_at.eq(now),
                    g::updated_at.eq(now),
                ))
                .execute(c)
                .unwrap();
            id
        })
        .await
    }

    /// An account of `role` with the test password, signed in. Members get a member record and
    /// coordinators a group.
    pub async fn user(&self, role: Role) -> User {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let member_id = match role {
            Role::Member => Some(self.insert_member("Sam Member").await),
            _ => None,
        };
        let group_ids = match role {
            Role::Coordinator => vec![self.insert_group("Regional advisory group").await],
            _ => Vec::new(),
        };
        let (e, m, g) = (email.clone(), member_id.clone(), group_ids.clone());
        let id = self
            .with_db(move |c| {
                let now = coprod::db::now();
                let row = coprod::db::accounts::AccountRow {
                    id: coprod::db::new_id(),
                    email: e,
                    password_hash: Some(PASSWORD_HASH.clone()),
                    role,
                    member_id: m,
                    disabled: false,
                    password_changed_at: Some(now),
                    last_login_at: None,
                    created_at: now,
                    updated_at: now,
                };
                coprod::db::accounts::insert(c, &row).unwrap();
                coprod::db::accounts::set_groups(c, &row.id, &g).unwrap();
                row.id
            })
            .await;
        let token = self.token(&email, PASSWORD).await;
        User {
            id,
            email,
            token,
            role,
            member_id,
            group_ids,
        }
    }

    /// Messages queued for `to`, oldest first.
    pub async fn emails_to(&self, to: &str) -> Vec<coprod::db::outbox::OutboxRow> {
        let to = to.to_string();
        self.with_db(move |c| {
            use coprod::db::schema::outbox::dsl as o;
            o::outbox
                .filter(o::recipient.eq(to))
                .order(o::created_at.asc())
                .select(coprod::db::outbox::OutboxRow::as_select())
                .load(c)
                .unwrap()
        })
        .await
    }

    /// Audit events about `entity_id`, oldest first.
    pub async fn audit_of(&self, entity_id: &str) -> Vec<coprod::db::audit::AuditRow> {
        let id = entity_id.to_string();
        self.with_db(move |c| {
            use coprod::db::schema::audit_events::dsl as a;
            a::audit_events
                .filter(a::entity_id.eq(id))
                .order(a::id.asc())
                .select(coprod::db::audit::AuditRow::as_select())
                .load(c)
                .unwrap()
        })
        .await
    }
}

/// A message as it was delivered (the `.eml` file the file transport wrote), decoded as a mail
/// client would.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Parts other than the text and HTML bodies: (content type, body).
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Delivered {
    pub fn parse(raw: &[u8]) -> Delivered {
        use mailparse::MailHeaderMap;
        let mail = mailparse::parse_mail(raw).expect("a delivered message parses");
        let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
        let mut delivered = Delivered {
            to: header("To"),
            subject: header("Subject"),
            text: String::new(),
            html: String::new(),
            attachments: Vec::new(),
        };
        fn walk(part: &mailparse::ParsedMail, out: &mut Delivered) {
            if !part.subparts.is_empty() {
                for p in &part.subparts {
                    walk(p, out);
                }
                return;
            }
            let mime = part.ctype.mimetype.to_ascii_lowercase();
            let disposition = part.get_content_disposition().disposition;
            match (mime.as_str(), disposition) {
                ("text/plain", mailparse::DispositionType::Inline) if out.text.is_empty() => {
                    out.text = part.get_body().expect("a text body");
                }
                ("text/html", mailparse::DispositionType::Inline) if out.html.is_empty() => {
                    out.html = part.get_body().expect("an HTML body");
                }
                _ => out
                    .attachments
                    .push((mime, part.get_body_raw().expect("a part's body"))),
            }
        }
        walk(&mail, &mut delivered);
        delivered
    }

    /// Every web address in the plain-text body, as written.
    pub fn links(&self) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_string())
            .collect()
    }

    /// The address given under `label` (a link is written as `label:` and the address below it).
    pub fn link(&self, label: &str) -> String {
        let mut lines = self.text.lines();
        while let Some(line) = lines.next() {
            if line.trim() == format!("{label}:") {
                if let Some(url) = lines.next() {
                    return url.trim().to_string();
                }
            }
        }
        panic!("no link labelled {label:?} in:\n{}", self.text)
    }
}

impl TestApp {
    /// Every message delivered so far, oldest first (file names are the outbox ids, which sort by
    /// time).
    pub fn delivered(&self) -> Vec<Delivered> {
        let Ok(entries) = std::fs::read_dir(self.mail_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|raw| Delivered::parse(&raw))
            .collect()
    }

    /// The newest message delivered to `to` whose subject contains `subject` (waiting up to 20 s).
    pub async fn delivered_mail(&self, to: &str, subject: &str) -> Delivered {
        eventually(
            &format!("a message about {subject:?} delivered to {to}"),
            Duration::from_secs(20),
            || async {
                self.delivered()
                    .into_iter()
                    .rev()
                    .find(|m| m.to.contains(to) && m.subject.contains(subject))
            },
        )
        .await
    }

    /// The token of the single-use link in the newest message to `to` about `subject`, read from
    /// the address as delivered, for tests of the API that sends it back.
    pub async fn delivered_token(&self, to: &str, subject: &str) -> String {
        let mail = self.delivered_mail(to, subject).await;
        let link = mail
            .links()
            .into_iter()
            .find(|l| l.contains("token="))
            .unwrap_or_else(|| panic!("no link with a token in:\n{}", mail.text));
        link_token(&link)
    }
}

/// The token in a link (`...?token=XYZ`).
pub fn link_token(link: &str) -> String {
    let url = url::Url::parse(link).expect("a link is an absolute address");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a link with a token")
}
