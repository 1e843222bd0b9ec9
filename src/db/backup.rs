//! `coprod db backup FILE`: a consistent copy of the SQLite database while coprod keeps running.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees it, so writers carry on
//! (write-ahead logging lets them) and the copy holds every committed change up to one moment and
//! nothing after it. The copy is written beside FILE under a temporary name, switched to a single
//! self-contained file (no write-ahead log), checked with `PRAGMA integrity_check`, flushed to
//! disk, and only then given its name; an existing FILE is never replaced. PostgreSQL has its own
//! tools (pg_dump), so it is refused.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;

use super::url::{DatabaseUrl, UrlError};

/// Tables whose row counts the report shows: enough to recognise the database at a glance.
const COUNTED: [&str; 10] = [
    "groups",
    "members",
    "accounts",
    "meetings",
    "attendance",
    "expense_claims",
    "pay_runs",
    "payments",
    "outbox",
    "audit_events",
];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("database.url names a PostgreSQL database, which coprod does not back up itself: use pg_dump, for example `pg_dump --format=custom --file=coprod.dump \"$COPROD__DATABASE__URL\"` (and pg_restore to restore it)")]
    Postgres,
    #[error("{0} already exists: coprod db backup never overwrites a file, so give a new name (for example one with today's date in it)")]
    Exists(String),
    #[error("there is no SQLite database at {0} to back up (check database.url)")]
    NoDatabase(String),
    #[error("the folder {0} to write the backup in does not exist")]
    NoFolder(String),
    #[error("the backup could not be made ({0}); no file was written")]
    Failed(String),
    #[error("the backup failed its integrity check ({0}), so it was deleted")]
    Corrupt(String),
}

/// What was written.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The database backed up, as database.url names it.
    pub database: String,
    /// The backup, as an absolute path.
    pub file: PathBuf,
    pub bytes: u64,
    /// Migrations recorded in the backup.
    pub migrations: i64,
    pub counts: Vec<(&'static str, i64)>,
    pub elapsed: Duration,
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Backed up {} to {} ({} bytes, {}) in {:.1} s.",
            self.database,
            self.file.display(),
            self.bytes,
            human_size(self.bytes),
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "Integrity check: ok. Migrations applied: {}.",
            self.migrations
        )?;
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(table, n)| format!("{table} {n}"))
            .collect();
        writeln!(f, "Rows: {}.", counts.join(", "))
    }
}

fn human_size(bytes: u64) -> String {
    // Display only: the loss of precision in the conversion does not matter.
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Backs up the SQLite database `database_url` names to `file`, which must not exist. Blocking.
pub fn backup(database_url: &str, file: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let url = DatabaseUrl::parse(database_url)?;
    let source = match &url {
        DatabaseUrl::Postgres(_) => return Err(BackupError::Postgres),
        DatabaseUrl::Sqlite(path) => path.clone(),
    };
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    if file.symlink_metadata().is_ok() {
        return Err(BackupError::Exists(file.display().to_string()));
    }
    let name = file
        .file_name()
        .ok_or_else(|| BackupError::Failed(format!("{} names no file", file.display())))?;
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // An absolute path: SQLite could take a relative name beginning `file:` for a URI.
    let folder = folder
        .canonicalize()
        .ok()
        .filter(|f| f.is_dir())
        .ok_or_else(|| BackupError::NoFolder(folder.display().to_string()))?;
    let target = folder.join(name);
    let partial = folder.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        uuid::Uuid::now_v7().simple()
    ));

    let result = write_and_check(&source, &partial).and_then(|(migrations, counts)| {
        publish(&partial, &target)?;
        Ok((migrations, counts))
    });
    if partial.exists() {
        let _ = std::fs::remove_file(&partial);
    }
    let (migrations, counts) = result?;
    let bytes = std::fs::metadata(&target)
        .map(|m| m.len())
        .map_err(|e| BackupError::Failed(e.to_string()))?;
    Ok(BackupReport {
        database: url.redacted(),
        file: target,
        bytes,
        migrations,
        counts,
        elapsed: started.elapsed(),
    })
}

fn failed(e: impl fmt::Display) -> BackupError {
    BackupError::Failed(super::first_line(&e.to_string()))
}

type Contents = (i64, Vec<(&'static str, i64)>);

/// Writes the snapshot to `partial`, makes it one self-contained file, checks it, and returns what
/// it holds.
fn write_and_check(source: &Path, partial: &Path) -> Result<Contents, BackupError> {
    let into = partial
        .to_str()
        .ok_or_else(|| BackupError::Failed("the backup's path is not valid UTF-8".into()))?;
    {
        let mut conn =
            SqliteConnection::establish(&source.display().to_string()).map_err(failed)?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;")
            .map_err(failed)?;
        diesel::sql_query(format!("VACUUM INTO '{}'", into.replace('\'', "''")))
            .execute(&mut conn)
            .map_err(failed)?;
    }
    let mut copy = SqliteConnection::establish(into).map_err(failed)?;
    copy.batch_execute("PRAGMA journal_mode = DELETE;")
        .map_err(failed)?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut copy)
        .map_err(failed)?;
    let verdict: Vec<String> = checks.into_iter().map(|c| c.integrity_check).collect();
    if verdict != ["ok"] {
        return Err(BackupError::Corrupt(
            verdict.into_iter().take(3).collect::<Vec<_>>().join("; "),
        ));
    }
    let count = |conn: &mut SqliteConnection, table: &str| -> Result<i64, BackupError> {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Number>(conn)
            .map(|r| r.n)
            .map_err(|e| {
                BackupError::Failed(format!(
                    "database.url does not look like a coprod database: {}",
                    super::first_line(&e.to_string())
                ))
            })
    };
    let migrations = count(&mut copy, "__diesel_schema_migrations")?;
    let mut counts = Vec::with_capacity(COUNTED.len());
    for table in COUNTED {
        counts.push((table, count(&mut copy, table)?));
    }
    drop(copy);
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(failed)?;
    Ok((migrations, counts))
}

/// Gives the checked backup its name, refusing (atomically, where the file system can link) to
/// replace a file that appeared meanwhile.
fn publish(partial: &Path, target: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(partial, target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(target.display().to_string()));
        }
        // A file system without hard links: a plain rename, after one more look.
        Err(_) => {
            if target.exists() {
                return Err(BackupError::Exists(target.display().to_string()));
            }
            std::fs::rename(partial, target).map_err(failed)?;
        }
    }
    if let Some(folder) = target.parent() {
        // The new name is durable once its folder is flushed too (not possible everywhere).
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(2_048), "2.0 kB");
        assert_eq!(human_size(3_400_000), "3.4 MB");
        assert_eq!(human_size(12_000_000_000), "12.0 GB");
    }

    #[test]
    fn refusals_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite3");
        let url = format!("sqlite://{}", db.display());
        let out = dir.path().join("b.sqlite3");

        let err = backup(&url, &out).unwrap_err();
        assert!(matches!(err, BackupError::NoDatabase(_)), "{err}");
        assert!(!db.exists(), "no database is created by looking for it");

        let err = backup("postgres://u:secret@localhost/coprod", &out).unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");

        std::fs::write(&db, b"").unwrap();
        std::fs::write(&out, b"keep me").unwrap();
        let err = backup(&url, &out).unwrap_err();
        assert!(matches!(err, BackupError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&out).unwrap(), b"keep me");

        let err = backup(&url, &dir.path().join("no/such/folder/b.sqlite3")).unwrap_err();
        assert!(matches!(err, BackupError::NoFolder(_)), "{err}");
    }

    #[test]
    fn a_quote_in_the_name_is_no_trouble_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite3");
        let url = format!("sqlite://{}", db.display());
        let database = crate::db::Database::connect(&url, 1, Duration::from_secs(5)).unwrap();
        database.migrate().unwrap();
        let out = dir.path().join("it's here.sqlite3");
        let report = backup(&url, &out).unwrap();
        assert!(report.bytes > 0 && out.is_file());
        assert!(report.migrations > 0);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
        assert!(
            !names.iter().any(|n| n.starts_with("it's here.sqlite3-")),
            "one self-contained file: {names:?}"
        );
    }
}
