//! The catalogues of both databases against the list of tables, and each table's summary (rows,
//! money totals, digest).

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::report::{CopyError, MoneyCheck};
use super::tables::{CopyTable, Fingerprint, TABLES};
use super::{DEFAULT_BATCH_ROWS, MIGRATIONS_TABLE};
use crate::db::{backend_of, known_migrations, Backend, DbConnection};

/// A table as one database holds it: rows, money totals, and the digest of every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub table: &'static str,
    pub rows: i64,
    pub money: Vec<(&'static str, i64)>,
    pub fingerprint: Fingerprint,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The tables of the database (in the current schema on PostgreSQL), sorted by bytes, diesel's
/// own migrations table included.
pub fn list_tables(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let sql = match backend_of(conn) {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let rows: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    names.sort();
    Ok(names)
}

/// The columns of `table` as the database has them, sorted by bytes.
pub fn list_columns(conn: &mut DbConnection, table: &str) -> QueryResult<Vec<String>> {
    let table = identifier(table)?;
    let sql = match backend_of(conn) {
        Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name"),
        Backend::Postgres => format!(
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY 1"
        ),
    };
    let rows: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    names.sort();
    Ok(names)
}

/// A table or column name fit to write into SQL: only the lower-case letters, digits and
/// underscores every coprod name is made of.
pub(super) fn identifier(name: &str) -> QueryResult<&str> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(diesel::result::Error::QueryBuilderError(
            format!("`{name}` is not a table or column name").into(),
        ))
    }
}

/// Rows of `table`, and the sum of each of its money columns, counted by the database.
pub(super) fn tally(
    conn: &mut DbConnection,
    table: &dyn CopyTable,
) -> QueryResult<(i64, Vec<MoneyCheck>)> {
    let name = identifier(table.name())?;
    let rows = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {name}"))
        .get_result::<Number>(conn)?
        .n;
    let mut money = Vec::new();
    for column in table.money_columns() {
        let column = identifier(column)?;
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
        let total = diesel::sql_query(format!(
            "SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS n FROM {name}"
        ))
        .get_result::<Number>(conn)?
        .n;
        money.push(MoneyCheck {
            column,
            from: total,
            to: total,
        });
    }
    Ok((rows, money))
}

/// Every table of a coprod database: rows, money totals and a digest of every row. Two databases
/// with equal summaries hold the same rows.
pub fn summarise(conn: &mut DbConnection) -> QueryResult<Vec<TableSummary>> {
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let (rows, money) = tally(conn, *table)?;
        out.push(TableSummary {
            table: table.name(),
            rows,
            money: money.into_iter().map(|m| (m.column, m.from)).collect(),
            fingerprint: table.fingerprint(conn, DEFAULT_BATCH_ROWS)?,
        });
    }
    Ok(out)
}

/// Refuses a database whose tables or columns differ from what this code copies, so nothing is
/// ever left behind unnoticed.
pub fn check_tables(conn: &mut DbConnection, which: &'static str) -> Result<(), CopyError> {
    let present: BTreeSet<String> = list_tables(conn)?.into_iter().collect();
    if !present.contains(MIGRATIONS_TABLE) {
        return Err(CopyError::NotCoprod { which });
    }
    let mut problems = Vec::new();
    let unknown: Vec<&str> = present
        .iter()
        .map(String::as_str)
        .filter(|t| *t != MIGRATIONS_TABLE && !TABLES.iter().any(|c| c.name() == *t))
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "it has table(s) this coprod does not copy: {}",
            unknown.join(", ")
        ));
    }
    for table in TABLES {
        if !present.contains(table.name()) {
            problems.push(format!("it has no table {}", table.name()));
            continue;
        }
        let have: BTreeSet<String> = list_columns(conn, table.name())?.into_iter().collect();
        let want: BTreeSet<String> = table.columns().iter().map(|c| c.to_string()).collect();
        let missing: Vec<&String> = want.difference(&have).collect();
        let unknown: Vec<&String> = have.difference(&want).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{} lacks {}",
                table.name(),
                join(missing.iter().map(|c| c.as_str()))
            ));
        }
        if !unknown.is_empty() {
            problems.push(format!(
                "{} has column(s) this coprod does not copy: {}",
                table.name(),
                join(unknown.iter().map(|c| c.as_str()))
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CopyError::Schema {
            which,
            detail: problems.join("; "),
        })
    }
}

pub(super) fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Refuses a database that has migrations this build does not know, and a source that lacks some.
pub(super) fn check_migrations(
    conn: &mut DbConnection,
    which: &'static str,
    must_be_complete: bool,
) -> Result<(), CopyError> {
    if !list_tables(conn)?.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Err(CopyError::NotCoprod { which });
    }
    let known = known_migrations(backend_of(conn)).map_err(|e| CopyError::open(which, e))?;
    let applied: BTreeSet<String> = diesel::sql_query(format!(
        "SELECT CAST(version AS TEXT) AS name FROM {MIGRATIONS_TABLE}"
    ))
    .load::<Name>(conn)?
    .into_iter()
    .map(|r| r.name)
    .collect();
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|v| !known.contains(v))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(CopyError::Newer {
            which,
            versions: unknown.join(", "),
        });
    }
    let missing: Vec<&String> = known.iter().filter(|v| !applied.contains(*v)).collect();
    if must_be_complete {
        if let Some(first) = missing.first() {
            return Err(CopyError::SourceBehind {
                count: missing.len(),
                first: (*first).clone(),
            });
        }
    }
    Ok(())
}
