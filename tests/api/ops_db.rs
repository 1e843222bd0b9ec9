//! `coprod db backup` and `coprod db copy`, as an operator relies on them: a backup taken while
//! coprod writes is a consistent, working database; a copy from SQLite to PostgreSQL and back keeps
//! every table, id, row and money total, serves the same pay runs and can carry on paying; a copy
//! taken while the source is written to is one consistent snapshot; and every refusal is one clear
//! sentence that changes nothing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coprod::app::Application;
use coprod::db::copy::{self, CopyError, TableSummary, TABLES};
use coprod::db::{Backend, Database, DbConnection};
use coprod::demo::FINANCE;
use coprod::services::members::{self, MemberFields};
use coprod::services::{Actor, Role};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::both_backends;
use crate::cli::{coprod, text};
use crate::helpers::{test_settings, TestBackend};

fn open(url: &str) -> Database {
    Database::connect(url, 4, Duration::from_secs(10)).expect("the database opens")
}

/// A migrated, empty database on `backend`.
fn fresh(backend: &TestBackend, dir: &Path) -> (String, Database) {
    let url = backend.fresh_database_url(dir);
    let db = open(&url);
    db.migrate().expect("migrations apply");
    (url, db)
}

/// A SQLite database holding the demo sample (members, sessions, claims, a paid and a draft run).
async fn seeded_sqlite(dir: &Path) -> (String, Database) {
    let (url, db) = fresh(&TestBackend::Sqlite, dir);
    let settings = test_settings(&url, dir);
    let seeding = db.clone();
    tokio::task::spawn_blocking(move || {
        coprod::demo::seed(&seeding, &settings, settings.today()).expect("the sample is made")
    })
    .await
    .unwrap();
    (url, db)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("finished")
}

async fn summary(db: &Database) -> Vec<TableSummary> {
    let db = db.clone();
    blocking(move || copy::summarise(&mut db.get().unwrap()).expect("summary")).await
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Members, and the audit events that record their creation: written in one transaction, so a
/// consistent snapshot always has as many of one as of the other.
fn members_and_their_audit(conn: &mut DbConnection) -> (i64, i64) {
    (
        count(conn, "SELECT COUNT(*) AS n FROM members"),
        count(
            conn,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'member.created'",
        ),
    )
}

/// A thread adding members through the service (each with its audit event) until told to stop;
/// it returns how many it added.
fn keep_adding_members(db: Database, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let admin = Actor {
            account_id: "ops-test-writer".into(),
            email: "writer@example.org".into(),
            role: Role::Admin,
            member_id: None,
            group_ids: Vec::new(),
            session_id: "ops-test".into(),
            request_id: None,
        };
        let mut added = 0;
        while !stop.load(Ordering::Relaxed) || added < 5 {
            let mut conn = db.get().expect("a connection");
            members::create(
                &mut conn,
                &admin,
                MemberFields {
                    full_name: Some(format!("Written during the copy {added}")),
                    ..MemberFields::default()
                },
            )
            .expect("a member is added");
            added += 1;
        }
        added
    })
}

/// The tables each table's foreign keys point at, from the database's own catalogue.
fn referenced(conn: &mut DbConnection, backend: Backend, table: &str) -> Vec<String> {
    let sql = match backend {
        Backend::Sqlite => {
            format!("SELECT \"table\" AS name FROM pragma_foreign_key_list('{table}')")
        }
        Backend::Postgres => format!(
            "SELECT CAST(ccu.table_name AS TEXT) AS name \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() \
               AND tc.table_name = '{table}'"
        ),
    };
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

async fn every_table_and_column_is_copied_parents_first(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (_, db) = fresh(&backend, dir.path());
    blocking(move || {
        let mut conn = db.get().unwrap();
        let kind = db.backend();
        let mut in_database = copy::list_tables(&mut conn).unwrap();
        in_database.retain(|t| t != "__diesel_schema_migrations");
        let mut copied: Vec<String> = TABLES.iter().map(|t| t.name().to_string()).collect();
        copied.sort();
        assert_eq!(
            in_database, copied,
            "a table the migrations make must be added to db::copy, or it would not be copied"
        );
        for (i, table) in TABLES.iter().enumerate() {
            let mut want: Vec<&str> = table.columns().to_vec();
            want.sort_unstable();
            assert_eq!(
                copy::list_columns(&mut conn, table.name()).unwrap(),
                want,
                "the columns of {} in db::copy",
                table.name()
            );
            for parent in referenced(&mut conn, kind, table.name()) {
                let at = TABLES
                    .iter()
                    .position(|t| t.name() == parent)
                    .unwrap_or_else(|| {
                        panic!("{} refers to {parent}, which is not copied", table.name())
                    });
                assert!(
                    at <= i,
                    "{} refers to {parent}, which must be copied before it",
                    table.name()
                );
            }
        }
        copy::check_tables(&mut conn, "target").expect("a fresh database passes the check");
    })
    .await;
}

async fn a_backup_taken_while_writing_is_consistent_and_works(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, db) = fresh(&backend, dir.path());

    if let TestBackend::Postgres(_) = backend {
        // PostgreSQL is backed up with its own tools: the command says which, and writes nothing.
        let out = coprod(
            dir.path(),
            &["db", "backup", "backup.sqlite3"],
            &[("COPROD__DATABASE__URL", url.as_str())],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(err.contains("pg_dump"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        assert!(!dir.path().join("backup.sqlite3").exists());
        return;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_adding_members(db.clone(), stop.clone());
    // Let the writer get going, then back up three times while it writes.
    while blocking({
        let db = db.clone();
        move || members_and_their_audit(&mut db.get().unwrap()).0
    })
    .await
        < 20
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut backups = Vec::new();
    for i in 0..3 {
        let file = dir.path().join(format!("backup-{i}.sqlite3"));
        let (u, f) = (url.clone(), file.clone());
        let report = blocking(move || coprod::db::backup::backup(&u, &f))
            .await
            .expect("the backup is made");
        assert_eq!(report.file, file.canonicalize().unwrap());
        assert!(report.bytes > 0);
        backups.push((file, report));
    }
    // One more through the command itself, with the writer still writing.
    let out = coprod(
        dir.path(),
        &["db", "backup", "by-command.sqlite3"],
        &[("COPROD__DATABASE__URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("by-command.sqlite3"), "{printed}");
    assert!(printed.contains("Integrity check: ok"), "{printed}");
    assert!(printed.contains("members "), "{printed}");
    assert!(printed.contains("bytes"), "{printed}");
    stop.store(true, Ordering::Relaxed);
    let added = blocking(move || writer.join().unwrap()).await;
    let (total, _) = blocking({
        let db = db.clone();
        move || members_and_their_audit(&mut db.get().unwrap())
    })
    .await;
    assert_eq!(total, i64::try_from(added).unwrap());

    let known = coprod::db::known_migrations(Backend::Sqlite).unwrap();
    let mut seen = Vec::new();
    for (file, report) in backups
        .iter()
        .map(|(f, r)| (f.clone(), Some(r.clone())))
        .chain([(dir.path().join("by-command.sqlite3"), None)])
    {
        let backup_url = format!("sqlite://{}", file.display());
        let known = known.clone();
        let (members, audited) = blocking(move || {
            let mut conn = DbConnection::Sqlite(
                diesel::SqliteConnection::establish(&file.display().to_string()).unwrap(),
            );
            let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
                .load(&mut conn)
                .unwrap();
            assert_eq!(check.len(), 1);
            assert_eq!(check[0].integrity_check, "ok");
            let versions: Vec<String> = diesel::sql_query(
                "SELECT version AS name FROM __diesel_schema_migrations ORDER BY version",
            )
            .load::<Name>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
            assert_eq!(versions, known, "every migration is recorded in the backup");
            let (m, a) = members_and_their_audit(&mut conn);
            // Only one file: a restore is a copy of this file and nothing else.
            assert!(!Path::new(&format!("{}-wal", file.display())).exists());
            (m, a)
        })
        .await;
        assert_eq!(
            members, audited,
            "{backup_url}: every member has its audit event, and no event lacks its member"
        );
        assert!(
            (20..=total).contains(&members),
            "{backup_url}: {members} members"
        );
        if let Some(report) = report {
            let reported = report
                .counts
                .iter()
                .find(|(t, _)| *t == "members")
                .unwrap()
                .1;
            assert_eq!(reported, members, "the report counts what the file holds");
        }
        seen.push(members);
    }
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "later backups hold at least as much: {seen:?}"
    );

    // Restoring is starting coprod on the file: it is ready and up to date.
    let restored = dir.path().join("backup-2.sqlite3");
    let restored_url = format!("sqlite://{}", restored.display());
    let app = Application::build(test_settings(&restored_url, dir.path()))
        .await
        .expect("coprod starts on the backup");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let ready = reqwest::get(format!("{address}/ready")).await.unwrap();
    assert_eq!(ready.status(), 200);

    // A file that exists is never replaced.
    let before = std::fs::read(&restored).unwrap();
    let out = coprod(
        dir.path(),
        &["db", "backup", "backup-0.sqlite3"],
        &[("COPROD__DATABASE__URL", url.as_str())],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert_eq!(std::fs::read(&restored).unwrap(), before);
}

/// A server on an existing database, and a token for the demo finance sign-in.
struct Served {
    address: String,
    client: reqwest::Client,
    token: String,
}

impl Served {
    async fn start(url: &str, dir: &Path) -> Served {
        let app = Application::build(test_settings(url, dir))
            .await
            .expect("coprod starts on the copy");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let res = client
            .post(format!("{address}/api/v1/auth/login"))
            .json(&json!({"email": FINANCE.email, "password": FINANCE.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the copied password hash still signs in");
        let token = res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        Served {
            address,
            client,
            token,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let res = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// Every item of a paged list, following its cursors.
    async fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = match &cursor {
                None => self.get(&format!("{path}?limit=200")).await,
                Some(c) => self.get(&format!("{path}?limit=200&cursor={c}")).await,
            };
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
    }

    /// Every pay run with all its lines and payments, as finance sees them.
    async fn runs(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for run in self.all("/api/v1/pay-runs").await {
            let id = run["id"].as_str().unwrap();
            out.push(json!({
                "run": self.get(&format!("/api/v1/pay-runs/{id}")).await,
                "lines": self.all(&format!("/api/v1/pay-runs/{id}/lines")).await,
                "payments": self.all(&format!("/api/v1/pay-runs/{id}/payments")).await,
            }));
        }
        out
    }
}

async fn run_copy(from: &str, to: &str) -> Result<copy::CopyReport, CopyError> {
    let (from, to) = (from.to_string(), to.to_string());
    blocking(move || {
        copy::copy(
            &from,
            &to,
            copy::DEFAULT_BATCH_ROWS,
            Duration::from_secs(10),
        )
    })
    .await
}

/// SQLite → PostgreSQL → SQLite: the three databases hold the same rows, serve the same pay runs,
/// and can each approve the waiting draft with the same result.
#[tokio::test]
async fn sqlite_to_postgres_and_back_keeps_every_row() {
    let Some(pg) = TestBackend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir, c_dir, e_dir) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
        dir.path().join("e"),
    );
    for d in [&a_dir, &b_dir, &c_dir, &e_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let (a_url, a) = seeded_sqlite(&a_dir).await;
    let b_url = pg.fresh_database_url(&b_dir);
    let c_url = TestBackend::Sqlite.fresh_database_url(&c_dir);

    let started = Instant::now();
    let to_pg = run_copy(&a_url, &b_url)
        .await
        .expect("SQLite to PostgreSQL");
    eprintln!(
        "copied the demo data ({} rows) from SQLite to PostgreSQL in {:?}",
        to_pg.rows(),
        started.elapsed()
    );
    assert!(to_pg.matches(), "{to_pg}");
    assert_eq!(
        to_pg.migrations_applied,
        coprod::db::known_migrations(Backend::Postgres)
            .unwrap()
            .len()
    );
    let started = Instant::now();
    let to_sqlite = run_copy(&b_url, &c_url)
        .await
        .expect("PostgreSQL to SQLite");
    eprintln!(
        "copied it back from PostgreSQL to SQLite in {:?}",
        started.elapsed()
    );
    assert!(to_sqlite.matches(), "{to_sqlite}");

    let (b, c) = (open(&b_url), open(&c_url));
    let (sa, sb, sc) = (summary(&a).await, summary(&b).await, summary(&c).await);
    assert_eq!(sa, sb, "SQLite and its PostgreSQL copy");
    assert_eq!(sa, sc, "SQLite and the copy of the copy");
    for table in [
        "members",
        "meetings",
        "attendance",
        "expense_claims",
        "pay_runs",
        "pay_lines",
        "payments",
        "audit_events",
    ] {
        let s = sa.iter().find(|s| s.table == table).unwrap();
        assert!(s.rows > 0, "the sample has {table}");
    }
    let money: i64 = sa
        .iter()
        .filter(|s| s.table == "payments")
        .flat_map(|s| s.money.iter())
        .filter(|(c, _)| *c == "total_pence")
        .map(|(_, p)| *p)
        .sum();
    assert!(money > 0);
    let report_rows: i64 = to_pg.tables.iter().map(|t| t.rows_to).sum();
    assert_eq!(report_rows, sa.iter().map(|s| s.rows).sum::<i64>());

    // The same pay runs, lines and payments, to the penny and to the microsecond, through the API.
    let (wa, wb, wc) = (
        Served::start(&a_url, &a_dir).await,
        Served::start(&b_url, &b_dir).await,
        Served::start(&c_url, &c_dir).await,
    );
    let runs = wa.runs().await;
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs,
        wb.runs().await,
        "the PostgreSQL copy serves the same runs"
    );
    assert_eq!(
        runs,
        wc.runs().await,
        "the copy of the copy serves the same runs"
    );

    // The copies carry on: finance approves the waiting draft on each, with the same result.
    let draft = runs
        .iter()
        .map(|r| &r["run"])
        .find(|r| r["status"] == "draft")
        .unwrap()
        .clone();
    let id = draft["id"].as_str().unwrap();
    let body = json!({"expected_total": draft["total"], "expected_count": draft["payment_count"]});
    let mut approved = Vec::new();
    for w in [&wa, &wb, &wc] {
        let v = w
            .post(&format!("/api/v1/pay-runs/{id}/approve"), body.clone())
            .await;
        approved.push(json!({
            "status": v["status"], "total": v["total"], "payment_count": v["payment_count"],
            "line_count": v["line_count"], "totals_by_method": v["totals_by_method"],
            "totals_by_disposition": v["totals_by_disposition"],
        }));
    }
    assert_eq!(approved[0]["status"], "approved");
    assert_eq!(approved[0], approved[1]);
    assert_eq!(approved[0], approved[2]);

    // A copy taken while the PostgreSQL source is being written to is one consistent snapshot.
    let e_url = TestBackend::Sqlite.fresh_database_url(&e_dir);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_adding_members(b.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let live = run_copy(&b_url, &e_url)
        .await
        .expect("a copy of a busy source");
    stop.store(true, Ordering::Relaxed);
    blocking(move || writer.join().unwrap()).await;
    assert!(live.matches(), "{live}");
    let e = open(&e_url);
    let (members, audited) = blocking(move || members_and_their_audit(&mut e.get().unwrap())).await;
    assert_eq!(
        members, audited,
        "no member without its audit event, nor the reverse"
    );

    // A value PostgreSQL cannot hold exactly (a time to the nanosecond, written by hand into
    // SQLite) is caught by the check, and the whole copy is rolled back.
    let f_dir = dir.path().join("f");
    std::fs::create_dir_all(&f_dir).unwrap();
    let (odd_url, odd) = fresh(&TestBackend::Sqlite, &f_dir);
    blocking(move || {
        diesel::sql_query(
            "INSERT INTO login_failures (id, scope, failed_at) \
             VALUES ('01900000-0000-7000-8000-00000000000f', 'address:192.0.2.1', '2025-06-01 10:00:00.123456789')",
        )
        .execute(&mut odd.get().unwrap())
        .unwrap();
    })
    .await;
    let g_url = pg.fresh_database_url(&f_dir);
    let refused = run_copy(&odd_url, &g_url).await.unwrap_err();
    let CopyError::Mismatch(report) = &refused else {
        panic!("expected a mismatch, got {refused}");
    };
    assert_eq!(
        report.differences(),
        ["login_failures: rows differ after the copy"],
        "{report}"
    );
    assert!(refused.to_string().contains("rolled back"), "{refused}");
    let g = open(&g_url);
    let left = blocking(move || {
        count(
            &mut g.get().unwrap(),
            "SELECT COUNT(*) AS n FROM login_failures",
        )
    })
    .await;
    assert_eq!(left, 0, "nothing of the refused copy remains");
    // And the rolled-back target is still a fine, empty target.
    assert!(run_copy(&a_url, &g_url)
        .await
        .expect("a good copy")
        .matches());

    // The PostgreSQL copy now holds data: a second copy into it is refused and changes nothing.
    let before = summary(&b).await;
    let again = run_copy(&a_url, &b_url).await.unwrap_err();
    assert!(matches!(again, CopyError::NotEmpty { .. }), "{again}");
    assert!(again.to_string().contains("already holds data"), "{again}");
    assert_eq!(summary(&b).await, before);
}

/// The command copies a SQLite database that coprod is writing to into `backend`, prints its
/// check, and refuses what it should in one sentence.
async fn the_command_copies_a_busy_database_and_refuses_clearly(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, t_dir) = (dir.path().join("a"), dir.path().join("t"));
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&t_dir).unwrap();
    let (a_url, a) = seeded_sqlite(&a_dir).await;
    let target = backend.fresh_database_url(&t_dir);

    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_adding_members(a.clone(), stop.clone());
    let out = coprod(
        dir.path(),
        &["db", "copy", "--from", &a_url, "--to", &target],
        &[],
    );
    stop.store(true, Ordering::Relaxed);
    blocking(move || writer.join().unwrap()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    for expected in [
        "Every table, row and money total matches",
        "pay_lines.amount_pence",
        "payments.total_pence",
        "audit_events",
        "Point database.url at the target",
    ] {
        assert!(printed.contains(expected), "{expected}: {printed}");
    }
    let t = open(&target);
    let (members, audited) = blocking({
        let t = t.clone();
        move || members_and_their_audit(&mut t.get().unwrap())
    })
    .await;
    assert_eq!(members, audited, "one consistent snapshot of a busy source");

    // The same again: the target is in use now.
    let before = summary(&t).await;
    let out = coprod(
        dir.path(),
        &["db", "copy", "--from", &a_url, "--to", &target],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("already holds data"), "{err}");
    assert!(err.contains("nothing was copied"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert_eq!(summary(&t).await, before, "the target is unchanged");

    // Mistakes in the URLs: one sentence each, no password echoed, nothing created.
    let empty = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            vec![
                "db",
                "copy",
                "--from",
                a_url.as_str(),
                "--to",
                "postgress://u:hunter2@localhost/x",
            ],
            "--to `postgress://u:***@localhost/x` is not understood",
        ),
        (
            vec![
                "db",
                "copy",
                "--from",
                "sqlite://missing.sqlite3",
                "--to",
                "sqlite://new.sqlite3",
            ],
            "there is no SQLite database at missing.sqlite3",
        ),
        (
            vec![
                "db",
                "copy",
                "--from",
                a_url.as_str(),
                "--to",
                a_url.as_str(),
            ],
            "the same database",
        ),
    ] {
        let out = coprod(empty.path(), &args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "nothing created"
    );

    // Passwords may come from the environment instead of the command line, and help hides them.
    let out = coprod(
        empty.path(),
        &["db", "copy", "--help"],
        &[("COPROD_COPY_FROM", "postgres://u:hunter2@localhost/x")],
    );
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("COPROD_COPY_FROM") && !help.contains("hunter2"),
        "{help}"
    );
    for args in [vec!["db", "--help"], vec!["db", "backup", "--help"]] {
        let out = coprod(empty.path(), &args, &[]);
        assert!(
            out.status.success() && text(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

both_backends!(
    every_table_and_column_is_copied_parents_first,
    a_backup_taken_while_writing_is_consistent_and_works,
    the_command_copies_a_busy_database_and_refuses_clearly,
);
