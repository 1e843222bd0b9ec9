//! The data layer: one connection type over PostgreSQL and SQLite, its pool, the embedded migrations,
//! and one module per table group with its rows and queries. Nothing here knows about HTTP.

pub mod accounts;
pub mod actors;
pub mod audit;
pub mod backup;
pub mod codes;
pub mod copy;
pub mod erasure;
pub mod idempotency;
pub mod limits;
pub mod meetings;
pub mod outbox;
pub mod pay;
pub mod people;
pub mod personal;
pub mod receipts;
pub mod replies;
pub mod reports;
pub mod retention;
pub mod revocations;
pub mod schema;
pub mod sessions;
mod sqlite;
pub mod url;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use self::url::DatabaseUrl;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Runs the same diesel expression on the concrete connection of either backend, for the few
/// queries the multi-backend cannot express (multi-row inserts).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// A connection to either backend; queries written once against `schema.rs` run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Url(#[from] url::UrlError),
    #[error("the SQLite folder {folder} cannot be created: {reason}")]
    Folder { folder: String, reason: String },
    #[error("cannot open the {backend} database at {url}: {reason}")]
    Connect {
        backend: &'static str,
        url: String,
        reason: String,
    },
    #[error("the database migrations failed: {0}")]
    Migration(String),
    #[error("no database connection was free: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The pool, and what it is a pool of.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    backend: Backend,
    queries: Arc<AtomicU64>,
    /// SQLite's writers take turns on this (see `writer`); none for PostgreSQL.
    writer: Option<Arc<writer::WriterLock>>,
}

impl Database {
    /// Opens the database named by `raw_url`, checking it can be reached before anything else happens.
    pub fn connect(raw_url: &str, pool_size: u32, timeout: Duration) -> Result<Database, DbError> {
        let url = DatabaseUrl::parse(raw_url)?;
        sqlite::install();
        let (backend, conn_url, default_size) = match &url {
            DatabaseUrl::Sqlite(path) => {
                prepare_sqlite_folder(path)?;
                (Backend::Sqlite, path.display().to_string(), 8)
            }
            DatabaseUrl::Postgres(u) => (Backend::Postgres, with_connect_timeout(u, timeout), 16),
        };
        // One direct connection first: its error is clearer than the pool's time-out. It is made
        // on the concrete backend, whose error says why (the multi-backend's own hides it).
        let probe = match &url {
            DatabaseUrl::Sqlite(_) => {
                SqliteConnection::establish(&conn_url).map(DbConnection::Sqlite)
            }
            DatabaseUrl::Postgres(_) => PgConnection::establish(&conn_url).map(DbConnection::Pg),
        };
        let mut probe = probe.map_err(|e| DbError::Connect {
            backend: url.backend_name(),
            url: url.redacted(),
            reason: first_line(&e.to_string()),
        })?;
        configure(&mut probe).map_err(|e| DbError::Connect {
            backend: url.backend_name(),
            url: url.redacted(),
            reason: first_line(&e.to_string()),
        })?;
        drop(probe);

        let queries = Arc::new(AtomicU64::new(0));
        let size = if pool_size == 0 {
            default_size
        } else {
            pool_size
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .connection_customizer(Box::new(Configure {
                queries: queries.clone(),
            }))
            .build(ConnectionManager::new(conn_url))?;
        Ok(Database {
            pool,
            writer: (backend == Backend::Sqlite).then(Arc::default),
            backend,
            queries,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    }

    /// A connection from the pool; blocks, so call it on the blocking pool (`Database::run`).
    pub fn get(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, off the async executor.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        match tokio::task::spawn_blocking(move || {
            let _working = writer::Working::on(db.writer.clone());
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        {
            Ok(result) => result,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }

    /// Applies the migrations not yet applied; returns their names.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.get()?;
        run_migrations(&mut conn)
    }

    /// Statements run through this pool since it opened: for /metrics, and for tests that prove a
    /// request costs a fixed number of queries.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Connections in use and idle, for /metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (
            state.connections.saturating_sub(state.idle_connections),
            state.idle_connections,
        )
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// The versions of the migrations this build carries for `backend`, oldest first, as the
/// migrations table records them (`20261126000001`).
pub fn known_migrations(backend: Backend) -> Result<Vec<String>, DbError> {
    use diesel::migration::MigrationSource;
    fn versions<DB: diesel::backend::Backend>(
        source: &EmbeddedMigrations,
    ) -> Result<Vec<String>, DbError>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let migrations = MigrationSource::<DB>::migrations(source)
            .map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(migrations
            .iter()
            .map(|m| m.name().version().to_string())
            .collect())
    }
    match backend {
        Backend::Postgres => versions::<diesel::pg::Pg>(&PG_MIGRATIONS),
        Backend::Sqlite => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
    }
}

/// Runs `f` in a transaction that writes. On SQLite it begins IMMEDIATE, taking the write lock up
/// front, so a busy database makes the caller wait (busy_timeout) instead of failing half-way when a
/// read turns into a write. Nested calls become savepoints.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = DbConnection;
    let already_in_tx =
        <Tm as TransactionManager<DbConnection>>::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_err(E::from)?
            .is_some();
    if already_in_tx {
        return conn.transaction(f);
    }
    // SQLite's writers of this process queue for their turn here rather than in busy_timeout.
    let _turn = matches!(conn, DbConnection::Sqlite(_)).then(writer::Turn::take);
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c),
    }
    .map_err(E::from)?;
    let result = match f(conn) {
        Ok(value) => {
            if let Err(commit_err) =
                <Tm as TransactionManager<DbConnection>>::commit_transaction(conn)
            {
                let _ = <Tm as TransactionManager<DbConnection>>::rollback_transaction(conn);
                Err(commit_err.into())
            } else {
                Ok(value)
            }
        }
        Err(e) => match <Tm as TransactionManager<DbConnection>>::rollback_transaction(conn) {
            Ok(()) => Err(e),
            Err(rollback_err) => Err(E::from(rollback_err)),
        },
    };
    // What was remembered of sessions and accounts this transaction changed is stale once more,
    // now that the change is visible to every reader.
    revocations::transaction_ended();
    result
}

/// The key of the pay lock: approvals hold it exclusively, changes to what approval prices
/// (registers, meetings, preferences, rate cards) hold it shared.
const PAY_LOCK: i64 = 0x636f_7072_6f64;

/// Within a write transaction, serialises pay-run approvals against each other (exclusive) or
/// lets a change to priced records wait for an approval in progress (shared), so on PostgreSQL a
/// check of `pay_claims` or of earlier payments is never overtaken by an approval committing in
/// between. SQLite write transactions already run one at a time, so there it does nothing.
pub fn pay_lock(conn: &mut DbConnection, exclusive: bool) -> diesel::QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        let sql = if exclusive {
            format!("SELECT pg_advisory_xact_lock({PAY_LOCK})")
        } else {
            format!("SELECT pg_advisory_xact_lock_shared({PAY_LOCK})")
        };
        diesel::RunQueryDsl::execute(diesel::sql_query(sql), c)?;
    }
    Ok(())
}

/// The backend of a connection, for the few queries that must differ.
pub fn backend_of(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Pg(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// A new id: a UUIDv7 string, time-ordered, unguessable, the same on both backends.
/// Ids per `IN (…)` list: well under SQLite's limit of bound parameters.
pub const IDS_PER_QUERY: usize = 1000;

/// Runs `query` over `ids` a chunk of `IDS_PER_QUERY` at a time and gathers what each returns: a
/// lookup by many ids in as few statements as the parameter limit allows.
pub fn by_chunks<T>(
    conn: &mut DbConnection,
    ids: &[String],
    mut query: impl FnMut(&mut DbConnection, &[String]) -> diesel::QueryResult<Vec<T>>,
) -> diesel::QueryResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        out.extend(query(conn, chunk)?);
    }
    Ok(out)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in UTC, to the microsecond: what both backends store exactly.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

fn prepare_sqlite_folder(path: &Path) -> Result<(), DbError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    std::fs::create_dir_all(folder).map_err(|e| DbError::Folder {
        folder: folder.display().to_string(),
        reason: e.to_string(),
    })
}

/// Adds libpq's `connect_timeout` when the URL does not set one, so an unreachable server fails fast.
pub(crate) fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={}", timeout.as_secs().max(1))
}

pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

/// Per-connection settings. SQLite: busy_timeout first (so the rest wait for a lock instead of
/// failing), then write-ahead logging, NORMAL sync (safe with WAL), foreign keys, and a page cache
/// of 16 MiB (SQLite's default of 2 MiB spills a pay run's tens of thousands of lines to the log
/// half-way through its transaction).
fn configure(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -16384;",
        ),
        DbConnection::Pg(c) => c.batch_execute("SET TIME ZONE 'UTC'"),
    }
}

#[derive(Debug)]
struct Configure {
    queries: Arc<AtomicU64>,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for Configure {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        configure(conn).map_err(diesel::r2d2::Error::QueryError)?;
        let queries = self.queries.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                queries.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_is_added_once() {
        assert_eq!(
            with_connect_timeout("postgres://h/db", Duration::from_secs(5)),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=require", Duration::from_secs(5)),
            "postgres://h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=2", Duration::from_secs(5)),
            "postgres://h/db?connect_timeout=2"
        );
    }

    #[test]
    fn sqlite_pragmas_are_set_on_every_connection() {
        use diesel::sql_types::{BigInt, Text};
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Mode {
            #[diesel(sql_type = Text)]
            journal_mode: String,
        }
        #[derive(diesel::QueryableByName)]
        struct Fk {
            #[diesel(sql_type = BigInt)]
            foreign_keys: i64,
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/t.sqlite3", dir.path().display());
        let db = Database::connect(&url, 2, Duration::from_secs(5)).unwrap();
        let mut conn = db.get().unwrap();
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(mode.journal_mode, "wal");
        let fk: Fk = diesel::sql_query("PRAGMA foreign_keys")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(fk.foreign_keys, 1);
        assert!(dir.path().join("nested/t.sqlite3").exists());
    }

    #[test]
    fn migrations_apply_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/m.sqlite3", dir.path().display());
        let db = Database::connect(&url, 2, Duration::from_secs(5)).unwrap();
        assert!(!db.migrate().unwrap().is_empty());
        assert!(
            db.migrate().unwrap().is_empty(),
            "a second run applies nothing"
        );
    }

    #[test]
    fn a_typo_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("postgress://{}/x", dir.path().display());
        let err = Database::connect(&url, 2, Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(err.to_string().contains("postgres://"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn write_tx_rolls_back_on_error_and_nests() {
        use diesel::RunQueryDsl;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.sqlite3", dir.path().display());
        let db = Database::connect(&url, 1, Duration::from_secs(5)).unwrap();
        let mut conn = db.get().unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let r: Result<(), diesel::result::Error> = write_tx(&mut conn, |c| {
            diesel::sql_query("INSERT INTO t VALUES (1)").execute(c)?;
            write_tx(c, |c| {
                diesel::sql_query("INSERT INTO t VALUES (2)").execute(c)?;
                Ok::<_, diesel::result::Error>(())
            })?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(r.is_err());
        write_tx(&mut conn, |c| {
            diesel::sql_query("INSERT INTO t VALUES (3)").execute(c)?;
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(n.n, 1);
    }
}
