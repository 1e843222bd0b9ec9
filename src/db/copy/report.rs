//! What a copy found: the errors it can end with, and the report it prints (every table's rows,
//! money totals and digest, on both sides).

use std::fmt;
use std::time::Duration;

use crate::db::url::UrlError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{which} `{url}` is not understood: it must start with sqlite:// (a file) or postgres:// (a server)")]
    UnknownScheme { which: &'static str, url: String },
    #[error("{which} `{url}` names no SQLite file: write it as sqlite://data/coprod.sqlite3 or sqlite:///absolute/path.sqlite3")]
    EmptySqlitePath { which: &'static str, url: String },
    #[error("{which} `{url}` is not a valid PostgreSQL URL: {reason}")]
    BadPostgres {
        which: &'static str,
        url: String,
        reason: String,
    },
    #[error("--from and --to name the same database; copy into a new, empty one")]
    SameDatabase,
    #[error("there is no SQLite database at {0} to copy from (check --from)")]
    NoSource(String),
    #[error("{0}")]
    Open(String),
    #[error("the {which} database is not a coprod database (it has no record of migrations)")]
    NotCoprod { which: &'static str },
    #[error("the source database is missing {count} migration(s) this coprod has (the first is {first}): bring it up to date by running `coprod migrate` with database.url set to it, then copy again")]
    SourceBehind { count: usize, first: String },
    #[error("the {which} database has migrations this coprod does not know ({versions}): it was made by a newer coprod, so copy it with that version")]
    Newer {
        which: &'static str,
        versions: String,
    },
    #[error("the {which} database's tables are not the ones this coprod copies: {detail}")]
    Schema { which: &'static str, detail: String },
    #[error("the target database already holds data ({detail}): coprod db copy only fills a new, empty database, so nothing was copied")]
    NotEmpty { detail: String },
    #[error("copying {table} failed ({reason}); the target was rolled back and holds no data")]
    Table { table: &'static str, reason: String },
    #[error("the copy did not match the source ({}), so it was rolled back and the target holds no data", .0.differences().join("; "))]
    Mismatch(Box<CopyReport>),
    #[error("the copy failed ({0}); the target was rolled back and holds no data")]
    Query(#[from] diesel::result::Error),
    #[error("the target database could not be prepared: {0}")]
    Migrate(String),
}

impl CopyError {
    pub(super) fn url(which: &'static str, e: UrlError) -> CopyError {
        match e {
            UrlError::UnknownScheme(url) => CopyError::UnknownScheme { which, url },
            UrlError::EmptySqlitePath(url) => CopyError::EmptySqlitePath { which, url },
            UrlError::BadPostgres(url, reason) => CopyError::BadPostgres { which, url, reason },
        }
    }

    pub(super) fn open(which: &'static str, e: DbError) -> CopyError {
        match e {
            DbError::Migration(m) => CopyError::Migrate(m),
            other => CopyError::Open(format!(
                "{} (the {which} database)",
                crate::db::first_line(&other.to_string())
            )),
        }
    }
}

/// What a copy did and what its check found.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub from: String,
    pub from_backend: &'static str,
    pub to: String,
    pub to_backend: &'static str,
    /// Migrations applied to the target before the copy.
    pub migrations_applied: usize,
    pub tables: Vec<TableCheck>,
    pub elapsed: Duration,
}

/// One table: rows in the source snapshot and in the target, whether every row read back from the
/// target equals the row read from the source, and its money columns' totals on both sides.
#[derive(Debug, Clone)]
pub struct TableCheck {
    pub table: &'static str,
    pub rows_from: i64,
    pub rows_to: i64,
    pub identical: bool,
    pub money: Vec<MoneyCheck>,
}

/// The sum of one `*_pence` column, in pence, in the source and in the target.
#[derive(Debug, Clone)]
pub struct MoneyCheck {
    pub column: &'static str,
    pub from: i64,
    pub to: i64,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.rows_from == self.rows_to
            && self.identical
            && self.money.iter().all(|m| m.from == m.to)
    }
}

impl CopyReport {
    /// True when every count, total and row agrees.
    pub fn matches(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }

    /// Rows copied, all tables together.
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows_to).sum()
    }

    /// What disagrees, one phrase per difference.
    pub fn differences(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tables {
            if t.rows_from != t.rows_to {
                out.push(format!(
                    "{}: {} rows in the source, {} in the target",
                    t.table, t.rows_from, t.rows_to
                ));
            } else if !t.identical {
                out.push(format!("{}: rows differ after the copy", t.table));
            }
            for m in t.money.iter().filter(|m| m.from != m.to) {
                out.push(format!(
                    "{}.{}: {} in the source, {} in the target",
                    t.table,
                    m.column,
                    pounds(m.from),
                    pounds(m.to)
                ));
            }
        }
        out
    }
}

impl fmt::Display for CopyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "From {} ({}) to {} ({}).",
            self.from, self.from_backend, self.to, self.to_backend
        )?;
        if self.migrations_applied > 0 {
            writeln!(
                f,
                "Applied {} migration(s) to the target first.",
                self.migrations_applied
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<20} {:>10} {:>10}  rows identical",
            "table", "source", "target"
        )?;
        for t in &self.tables {
            let mark = match (t.rows_from == t.rows_to, t.identical) {
                (true, true) => "yes",
                (false, _) => "NO (counts differ)",
                (true, false) => "NO",
            };
            writeln!(
                f,
                "{:<20} {:>10} {:>10}  {mark}",
                t.table, t.rows_from, t.rows_to
            )?;
        }
        let from: i64 = self.tables.iter().map(|t| t.rows_from).sum();
        writeln!(f, "{:<20} {:>10} {:>10}", "all tables", from, self.rows())?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<36} {:>14} {:>14}",
            "money column (pounds)", "source", "target"
        )?;
        for t in &self.tables {
            for m in &t.money {
                let mark = if m.from == m.to { "ok" } else { "DIFFERENT" };
                writeln!(
                    f,
                    "{:<36} {:>14} {:>14}  {mark}",
                    format!("{}.{}", t.table, m.column),
                    pounds(m.from),
                    pounds(m.to)
                )?;
            }
        }
        writeln!(f)?;
        if self.matches() {
            writeln!(
                f,
                "Every table, row and money total matches: {} rows in {} tables copied in {:.1} s.",
                self.rows(),
                self.tables.len(),
                self.elapsed.as_secs_f64()
            )
        } else {
            writeln!(
                f,
                "The copy does NOT match the source: {}.",
                self.differences().join("; ")
            )
        }
    }
}

/// Pence as pounds with two decimals: `-12.05`.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let abs = pence.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}
