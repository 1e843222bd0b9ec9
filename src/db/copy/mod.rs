//! `coprod db copy`: every row of one coprod database into a new, empty one, on the same or the
//! other backend (SQLite to PostgreSQL, PostgreSQL to SQLite), ids kept exactly.
//!
//! The source is read in one snapshot (a read transaction; REPEATABLE READ on PostgreSQL), so a
//! running service may keep writing to it. The target is migrated first, must hold nothing but
//! what its migrations wrote, and is filled in one transaction: tables in foreign-key order, rows
//! in key order, inserted in batches. Before that transaction commits the target is checked
//! against the source: row counts, the sum of every `*_pence` column, and a digest of every row as
//! the target reads it back (so a date, time or flag that did not round-trip exactly is caught).
//! Any difference rolls the whole copy back.
//!
//! Every table is listed once below with all its columns; the source's and target's own catalogues
//! are compared with that list before anything is copied, so a table or column this code does not
//! know is refused rather than silently left behind.

mod checks;
mod report;
mod tables;

pub use checks::{check_tables, list_columns, list_tables, summarise, TableSummary};
pub use report::{pounds, CopyError, CopyReport, MoneyCheck, TableCheck};
pub use tables::{CopyTable, Fingerprint, TABLES};

use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use crate::db::url::DatabaseUrl;
use crate::db::{run_migrations, write_tx, Database, DbConnection};
use checks::{check_migrations, join, tally};

/// Rows per INSERT and per page read, unless told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// Bound parameters one statement may carry, kept under SQLite's limit (32,766) and PostgreSQL's
/// (65,535): a batch of a wide table is made smaller to fit.
const MAX_PARAMETERS: usize = 30_000;

/// The table diesel keeps its record of applied migrations in: not copied (the target has its own).
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// The tables of `target` that hold rows, all of which must be exactly the rows a fresh set of
/// migrations writes (reference data such as roles); anything else means the target is in use.
fn seeded_tables(target: &mut DbConnection) -> Result<Vec<&'static dyn CopyTable>, CopyError> {
    let mut fresh: Option<DbConnection> = None;
    let mut seeded = Vec::new();
    let mut in_use = Vec::new();
    for table in TABLES {
        let (rows, _) = tally(target, *table)?;
        if rows == 0 {
            continue;
        }
        let fresh = match &mut fresh {
            Some(c) => c,
            None => fresh.insert(freshly_migrated()?),
        };
        if table.keys(target)? == table.keys(fresh)? {
            seeded.push(*table);
        } else {
            in_use.push(format!("{rows} row(s) in {}", table.name()));
        }
    }
    if in_use.is_empty() {
        return Ok(seeded);
    }
    let more = in_use.len().saturating_sub(3);
    let mut detail = in_use.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if more > 0 {
        detail.push_str(&format!(" and {more} more table(s)"));
    }
    Err(CopyError::NotEmpty { detail })
}

/// An in-memory database with every migration applied: what "empty" looks like.
fn freshly_migrated() -> Result<DbConnection, CopyError> {
    let conn = diesel::SqliteConnection::establish(":memory:")
        .map_err(|e| CopyError::Migrate(e.to_string()))?;
    let mut conn = DbConnection::Sqlite(conn);
    run_migrations(&mut conn).map_err(|e| CopyError::Migrate(e.to_string()))?;
    Ok(conn)
}

/// Opens the source for reading only. Unlike `Database::connect` it changes nothing about a SQLite
/// file (no switch to write-ahead logging), and refuses a path where there is no file.
fn open_source(url: &DatabaseUrl, raw: &str, timeout: Duration) -> Result<DbConnection, CopyError> {
    let which = "source";
    let mut conn = match url {
        DatabaseUrl::Sqlite(path) => {
            if !path.is_file() {
                return Err(CopyError::NoSource(path.display().to_string()));
            }
            let conn =
                diesel::SqliteConnection::establish(&path.display().to_string()).map_err(|e| {
                    CopyError::Open(format!(
                        "cannot open the {which} database at {}: {}",
                        url.redacted(),
                        super::first_line(&e.to_string())
                    ))
                })?;
            DbConnection::Sqlite(conn)
        }
        DatabaseUrl::Postgres(_) => {
            let conn = diesel::PgConnection::establish(&super::with_connect_timeout(raw, timeout))
                .map_err(|e| {
                    CopyError::Open(format!(
                        "cannot open the {which} database at {}: {}",
                        url.redacted(),
                        super::first_line(&e.to_string())
                    ))
                })?;
            DbConnection::Pg(conn)
        }
    };
    let setup = match &conn {
        DbConnection::Sqlite(_) => "PRAGMA busy_timeout = 10000;",
        DbConnection::Pg(_) => "SET TIME ZONE 'UTC'",
    };
    conn.batch_execute(setup)?;
    Ok(conn)
}

/// Runs `f` in one read transaction: a single snapshot of every table (REPEATABLE READ on
/// PostgreSQL; on SQLite the snapshot taken by the first read).
fn read_snapshot<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, CopyError>,
) -> Result<T, CopyError> {
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        ),
    }?;
    let result = f(conn);
    // Nothing was written: ending the transaction either way releases the snapshot.
    let end = <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
    match (result, end) {
        (Ok(value), Ok(())) => Ok(value),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}

fn same_database(from: &DatabaseUrl, to: &DatabaseUrl) -> bool {
    match (from, to) {
        (DatabaseUrl::Sqlite(a), DatabaseUrl::Sqlite(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
        }
        (DatabaseUrl::Postgres(a), DatabaseUrl::Postgres(b)) => a.trim() == b.trim(),
        _ => false,
    }
}

/// Copies every table of the coprod database at `from` into the new, empty coprod database at
/// `to` (created and migrated if need be), then checks the copy. Blocking: run it off the async
/// executor. On any error or difference the target's transaction is rolled back.
pub fn copy(
    from: &str,
    to: &str,
    batch_rows: usize,
    timeout: Duration,
) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    let from_url = DatabaseUrl::parse(from).map_err(|e| CopyError::url("--from", e))?;
    let to_url = DatabaseUrl::parse(to).map_err(|e| CopyError::url("--to", e))?;
    if same_database(&from_url, &to_url) {
        return Err(CopyError::SameDatabase);
    }
    let batch = batch_rows.max(1);

    let mut source = open_source(&from_url, from, timeout)?;
    check_migrations(&mut source, "source", true)?;
    check_tables(&mut source, "source")?;

    let target_db = Database::connect(to, 1, timeout).map_err(|e| CopyError::open("target", e))?;
    let mut target = target_db.get().map_err(|e| CopyError::open("target", e))?;
    // Another application's database is refused before coprod's tables are added to it.
    let existing = list_tables(&mut target)?;
    if !existing.is_empty() {
        if !existing.iter().any(|t| t == MIGRATIONS_TABLE) {
            return Err(CopyError::NotEmpty {
                detail: format!(
                    "it is not a coprod database but has tables such as {}",
                    join(existing.iter().take(3).map(String::as_str))
                ),
            });
        }
        check_migrations(&mut target, "target", false)?;
    }
    let applied = run_migrations(&mut target).map_err(|e| CopyError::open("target", e))?;
    check_tables(&mut target, "target")?;
    let seeded = seeded_tables(&mut target)?;

    let mut report = read_snapshot(&mut source, |source| {
        write_tx(&mut target, |target| {
            // What the target's migrations wrote makes way for the source's own rows.
            for table in seeded.iter().rev() {
                table.clear(target).map_err(|e| CopyError::Table {
                    table: table.name(),
                    reason: super::first_line(&e.to_string()),
                })?;
            }
            let mut checks = Vec::with_capacity(TABLES.len());
            let mut digests = Vec::with_capacity(TABLES.len());
            for table in TABLES {
                let (rows_from, money_from) = tally(source, *table)?;
                let digest = table
                    .copy(source, target, batch)
                    .map_err(|e| CopyError::Table {
                        table: table.name(),
                        reason: super::first_line(&e.to_string()),
                    })?;
                digests.push(digest);
                checks.push((rows_from, money_from));
            }
            // Read the target back inside its own transaction, so a difference can still be undone.
            let mut tables = Vec::with_capacity(TABLES.len());
            for ((table, (rows_from, money_from)), digest) in TABLES.iter().zip(checks).zip(digests)
            {
                let (rows_to, money_to) = tally(target, *table)?;
                let read_back = table.fingerprint(target, batch)?;
                let money = money_from
                    .into_iter()
                    .zip(money_to)
                    .map(|(f, t)| MoneyCheck {
                        column: f.column,
                        from: f.from,
                        to: t.to,
                    })
                    .collect();
                tables.push(TableCheck {
                    table: table.name(),
                    rows_from,
                    rows_to,
                    identical: digest == read_back
                        && i64::try_from(digest.rows).is_ok_and(|n| n == rows_from),
                    money,
                });
            }
            let report = CopyReport {
                from: from_url.redacted(),
                from_backend: from_url.backend_name(),
                to: to_url.redacted(),
                to_backend: to_url.backend_name(),
                migrations_applied: applied.len(),
                tables,
                elapsed: Duration::ZERO,
            };
            if report.matches() {
                Ok(report)
            } else {
                Err(CopyError::Mismatch(Box::new(report)))
            }
        })
    })?;
    if let DbConnection::Pg(c) = &mut *target {
        // Fresh statistics, so the planner knows the tables are no longer empty.
        c.batch_execute("ANALYZE")?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::checks::identifier;
    use super::tables::parents_first;
    use super::*;

    #[test]
    fn pence_print_as_pounds() {
        assert_eq!(pounds(0), "0.00");
        assert_eq!(pounds(5), "0.05");
        assert_eq!(pounds(123_456), "1234.56");
        assert_eq!(pounds(-1205), "-12.05");
        assert_eq!(pounds(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn a_digest_ignores_order_and_notices_any_change() {
        let mut a = Fingerprint::default();
        let mut b = Fingerprint::default();
        let mut c = Fingerprint::default();
        for r in ["one", "two", "three"] {
            a.add(&r);
        }
        for r in ["three", "one", "two"] {
            b.add(&r);
        }
        for r in ["one", "two", "thre"] {
            c.add(&r);
        }
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn superseded_cards_come_first() {
        let rows = vec![
            ("c", Some("b")),
            ("a", None),
            ("b", Some("a")),
            ("d", Some("gone")),
        ];
        let ordered = parents_first(rows, |r| r.0.to_string(), |r| r.1);
        let names: Vec<&str> = ordered.iter().map(|r| r.0).collect();
        assert_eq!(names, ["a", "d", "b", "c"]);
    }

    #[test]
    fn a_difference_is_named() {
        let report = CopyReport {
            from: "sqlite://a.sqlite3".into(),
            from_backend: "SQLite",
            to: "sqlite://b.sqlite3".into(),
            to_backend: "SQLite",
            migrations_applied: 0,
            tables: vec![
                TableCheck {
                    table: "payments",
                    rows_from: 2,
                    rows_to: 2,
                    identical: true,
                    money: vec![MoneyCheck {
                        column: "total_pence",
                        from: 1000,
                        to: 999,
                    }],
                },
                TableCheck {
                    table: "members",
                    rows_from: 3,
                    rows_to: 2,
                    identical: false,
                    money: Vec::new(),
                },
            ],
            elapsed: Duration::ZERO,
        };
        assert!(!report.matches());
        let text = report.to_string();
        assert!(
            text.contains("payments.total_pence: 10.00 in the source, 9.99 in the target"),
            "{text}"
        );
        assert!(
            text.contains("members: 3 rows in the source, 2 in the target"),
            "{text}"
        );
        assert!(text.contains("DIFFERENT"), "{text}");
    }

    #[test]
    fn names_are_checked_before_they_reach_sql() {
        assert!(identifier("pay_lines").is_ok());
        assert!(identifier("x'; DROP TABLE members; --").is_err());
        assert!(identifier("").is_err());
    }

    #[test]
    fn every_table_once() {
        let names: BTreeSet<&str> = TABLES.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), TABLES.len());
    }
}
