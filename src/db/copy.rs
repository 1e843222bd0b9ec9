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

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

use super::url::{DatabaseUrl, UrlError};
use super::{
    backend_of, known_migrations, run_migrations, write_tx, Backend, Database, DbConnection,
    DbError,
};

/// Rows per INSERT and per page read, unless told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// Bound parameters one statement may carry, kept under SQLite's limit (32,766) and PostgreSQL's
/// (65,535): a batch of a wide table is made smaller to fit.
const MAX_PARAMETERS: usize = 30_000;

/// The table diesel keeps its record of applied migrations in: not copied (the target has its own).
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

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
    fn url(which: &'static str, e: UrlError) -> CopyError {
        match e {
            UrlError::UnknownScheme(url) => CopyError::UnknownScheme { which, url },
            UrlError::EmptySqlitePath(url) => CopyError::EmptySqlitePath { which, url },
            UrlError::BadPostgres(url, reason) => CopyError::BadPostgres { which, url, reason },
        }
    }

    fn open(which: &'static str, e: DbError) -> CopyError {
        match e {
            DbError::Migration(m) => CopyError::Migrate(m),
            other => CopyError::Open(format!(
                "{} (the {which} database)",
                super::first_line(&other.to_string())
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

/// An order-independent digest of a table's rows: a sum of each row's SHA-256, so the same rows
/// read in any order on any backend give the same digest, and any change to any value does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: u64,
    pub digest: u128,
}

impl Fingerprint {
    fn add(&mut self, row: &impl fmt::Debug) {
        let hash = Sha256::digest(format!("{row:?}").as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&hash[..16]);
        self.digest = self.digest.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }
}

/// A table as one database holds it: rows, money totals, and the digest of every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub table: &'static str,
    pub rows: i64,
    pub money: Vec<(&'static str, i64)>,
    pub fingerprint: Fingerprint,
}

/// One table's copy, written once per table by `tables!`.
pub trait CopyTable: Sync {
    fn name(&self) -> &'static str;
    /// Every column, as in `schema.rs`.
    fn columns(&self) -> &'static [&'static str];
    /// Copies every row from `from` to `to`, `batch` rows per INSERT; returns the digest of the
    /// rows read.
    fn copy(
        &self,
        from: &mut DbConnection,
        to: &mut DbConnection,
        batch: usize,
    ) -> QueryResult<Fingerprint>;
    /// Reads every row and digests it.
    fn fingerprint(&self, conn: &mut DbConnection, page: usize) -> QueryResult<Fingerprint>;
    /// Every row's primary key, sorted.
    fn keys(&self, conn: &mut DbConnection) -> QueryResult<Vec<String>>;
    /// Deletes every row.
    fn clear(&self, conn: &mut DbConnection) -> QueryResult<usize>;
    /// The columns that hold money, in pence.
    fn money_columns(&self) -> Vec<&'static str> {
        self.columns()
            .iter()
            .copied()
            .filter(|c| c.ends_with("_pence"))
            .collect()
    }
}

/// Rows ordered so that a row comes after the row its `parent` names, for a table that refers to
/// itself (a rate card superseding another): foreign keys are checked row by row on PostgreSQL.
fn parents_first<R>(
    rows: Vec<R>,
    key: impl Fn(&R) -> String,
    parent: impl Fn(&R) -> Option<&str>,
) -> Vec<R> {
    let present: BTreeSet<String> = rows.iter().map(&key).collect();
    let mut placed = BTreeSet::new();
    let mut waiting = rows;
    let mut ordered = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let (ready, rest): (Vec<R>, Vec<R>) = waiting.into_iter().partition(|r| {
            parent(r).is_none_or(|p| placed.contains(p) || !present.contains(p) || p == key(r))
        });
        if ready.is_empty() {
            // A cycle cannot satisfy the foreign keys anyway; let the database say so.
            ordered.extend(rest);
            break;
        }
        placed.extend(ready.iter().map(&key));
        ordered.extend(ready);
        waiting = rest;
    }
    ordered
}

/// The rows after `last` in key order: one key column, or two.
macro_rules! after_key {
    ($q:expr, $t:ident, $last:expr, $a:ident) => {
        $q.filter(crate::db::schema::$t::$a.gt(&$last.$a))
    };
    ($q:expr, $t:ident, $last:expr, $a:ident, $b:ident) => {
        $q.filter(
            crate::db::schema::$t::$a
                .gt(&$last.$a)
                .or(crate::db::schema::$t::$a
                    .eq(&$last.$a)
                    .and(crate::db::schema::$t::$b.gt(&$last.$b))),
        )
    };
}

/// Whether a table refers to itself, and through which column.
macro_rules! parent_of {
    () => {
        const SELF_REFERENCE: bool = false;
        fn parent_of(_: &Row) -> Option<&str> {
            None
        }
    };
    ($p:ident) => {
        const SELF_REFERENCE: bool = true;
        fn parent_of(r: &Row) -> Option<&str> {
            r.$p.as_deref()
        }
    };
}

/// For each table: its key, its self-reference if any, and every column with its Rust type. The
/// row type is loaded from exactly these columns (each field from the column of its name) and
/// inserted by name, so a type that does not match `schema.rs` does not compile.
macro_rules! tables {
    ($(
        $table:ident key($($key:ident),+) $(parent($parent:ident))? {
            $($col:ident: $ty:ty),+ $(,)?
        }
    )+) => {
        $(
            #[allow(non_camel_case_types)]
            mod $table {
                use super::*;

                #[derive(Debug, Clone, Queryable, Insertable)]
                #[diesel(table_name = crate::db::schema::$table, treat_none_as_default_value = false)]
                pub struct Row {
                    $(pub $col: $ty,)+
                }

                parent_of!($($parent)?);

                const COLUMNS: &[&str] = &[$(stringify!($col)),+];

                fn page(conn: &mut DbConnection, after: Option<&Row>, limit: usize) -> QueryResult<Vec<Row>> {
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    macro_rules! ordered {
                        () => {
                            crate::db::schema::$table::table
                                .select(($(crate::db::schema::$table::$col,)+))
                                .order(($(crate::db::schema::$table::$key.asc(),)+))
                                .limit(limit)
                        };
                    }
                    match after {
                        None => ordered!().load(conn),
                        Some(last) => after_key!(ordered!(), $table, last, $($key),+).load(conn),
                    }
                }

                fn key_of(r: &Row) -> String {
                    [$(r.$key.as_str()),+].join("\u{1f}")
                }

                fn insert(conn: &mut DbConnection, rows: &[Row], batch: usize) -> QueryResult<()> {
                    for chunk in rows.chunks(batch) {
                        crate::on_backend!(conn, |c| diesel::insert_into(crate::db::schema::$table::table)
                            .values(chunk)
                            .execute(c))?;
                    }
                    Ok(())
                }

                pub struct Table;

                impl CopyTable for Table {
                    fn name(&self) -> &'static str {
                        stringify!($table)
                    }

                    fn columns(&self) -> &'static [&'static str] {
                        COLUMNS
                    }

                    fn copy(&self, from: &mut DbConnection, to: &mut DbConnection, batch: usize) -> QueryResult<Fingerprint> {
                        let batch = batch.min(MAX_PARAMETERS / COLUMNS.len()).max(1);
                        let mut fingerprint = Fingerprint::default();
                        let mut held = Vec::new();
                        let mut last: Option<Row> = None;
                        loop {
                            let rows = page(from, last.as_ref(), batch)?;
                            for r in &rows {
                                fingerprint.add(r);
                            }
                            let done = rows.len() < batch;
                            last = rows.last().cloned();
                            if SELF_REFERENCE {
                                held.extend(rows);
                            } else {
                                insert(to, &rows, batch)?;
                            }
                            if done {
                                break;
                            }
                        }
                        if SELF_REFERENCE {
                            insert(to, &parents_first(held, key_of, parent_of), batch)?;
                        }
                        Ok(fingerprint)
                    }

                    fn fingerprint(&self, conn: &mut DbConnection, page_rows: usize) -> QueryResult<Fingerprint> {
                        let page_rows = page_rows.max(1);
                        let mut fingerprint = Fingerprint::default();
                        let mut last: Option<Row> = None;
                        loop {
                            let rows = page(conn, last.as_ref(), page_rows)?;
                            for r in &rows {
                                fingerprint.add(r);
                            }
                            if rows.len() < page_rows {
                                return Ok(fingerprint);
                            }
                            last = rows.last().cloned();
                        }
                    }

                    fn keys(&self, conn: &mut DbConnection) -> QueryResult<Vec<String>> {
                        let mut keys = Vec::new();
                        let mut last: Option<Row> = None;
                        loop {
                            let rows = page(conn, last.as_ref(), DEFAULT_BATCH_ROWS)?;
                            keys.extend(rows.iter().map(key_of));
                            if rows.len() < DEFAULT_BATCH_ROWS {
                                keys.sort();
                                return Ok(keys);
                            }
                            last = rows.last().cloned();
                        }
                    }

                    fn clear(&self, conn: &mut DbConnection) -> QueryResult<usize> {
                        diesel::delete(crate::db::schema::$table::table).execute(conn)
                    }
                }
            }
        )+

        /// Every table, parents before children.
        pub static TABLES: &[&dyn CopyTable] = &[$(&$table::Table),+];
    };
}

tables! {
    roles key(code) {
        code: String,
        label: String,
        created_at: NaiveDateTime,
    }
    activity_kinds key(code) {
        code: String,
        label: String,
        created_at: NaiveDateTime,
    }
    benefit_limits key(id) {
        id: String,
        code: String,
        period: String,
        amount_pence: i64,
        effective_from: NaiveDate,
        created_at: NaiveDateTime,
    }
    groups key(id) {
        id: String,
        name: String,
        description: Option<String>,
        archived_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    members key(id) {
        id: String,
        full_name: String,
        preferred_name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        payee_reference: Option<String>,
        communication_needs: Option<String>,
        notes: Option<String>,
        archived_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    accounts key(id) {
        id: String,
        email: String,
        password_hash: Option<String>,
        role: String,
        member_id: Option<String>,
        disabled: bool,
        password_changed_at: Option<NaiveDateTime>,
        last_login_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    account_groups key(account_id, group_id) {
        account_id: String,
        group_id: String,
    }
    sessions key(id) {
        id: String,
        account_id: String,
        kind: String,
        name: Option<String>,
        token_hash: String,
        created_at: NaiveDateTime,
        expires_at: NaiveDateTime,
        last_used_at: NaiveDateTime,
        revoked_at: Option<NaiveDateTime>,
    }
    one_time_tokens key(id) {
        id: String,
        account_id: String,
        purpose: String,
        token_hash: String,
        created_at: NaiveDateTime,
        expires_at: NaiveDateTime,
        used_at: Option<NaiveDateTime>,
    }
    login_failures key(id) {
        id: String,
        scope: String,
        failed_at: NaiveDateTime,
    }
    audit_events key(id) {
        id: String,
        occurred_at: NaiveDateTime,
        actor_id: Option<String>,
        action: String,
        entity_type: String,
        entity_id: String,
        before_json: Option<String>,
        after_json: Option<String>,
        reason: Option<String>,
        request_id: Option<String>,
    }
    idempotency_keys key(account_id, idem_key) {
        account_id: String,
        idem_key: String,
        request_hash: String,
        status_code: Option<i32>,
        response_body: Option<String>,
        location: Option<String>,
        created_at: NaiveDateTime,
    }
    outbox key(id) {
        id: String,
        dedupe_key: String,
        recipient: String,
        subject: String,
        body_text: String,
        body_html: String,
        status: String,
        attempts: i32,
        next_attempt_at: NaiveDateTime,
        last_error: Option<String>,
        sent_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        holds_secret: bool,
    }
    memberships key(id) {
        id: String,
        group_id: String,
        member_id: String,
        role: String,
        starts_on: NaiveDate,
        ends_on: Option<NaiveDate>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    meetings key(id) {
        id: String,
        group_id: String,
        title: String,
        activity_kind: String,
        meeting_date: NaiveDate,
        starts_at: Option<String>,
        duration_minutes: i32,
        prep_minutes_allowed: i32,
        location: Option<String>,
        online: bool,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    attendance key(id) {
        id: String,
        meeting_id: String,
        member_id: String,
        status: String,
        attended_minutes: Option<i32>,
        prep_minutes: i32,
        role_override: Option<String>,
        notes: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    expense_claims key(id) {
        id: String,
        meeting_id: String,
        member_id: String,
        kind: String,
        care_type: Option<String>,
        miles_tenths: Option<i32>,
        passengers: i32,
        amount_pence: Option<i64>,
        receipt_ref: Option<String>,
        description: Option<String>,
        status: String,
        decided_by: Option<String>,
        decided_at: Option<NaiveDateTime>,
        rejection_reason: Option<String>,
        created_by: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    rate_cards key(id) parent(supersedes) {
        id: String,
        name: String,
        group_id: Option<String>,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        supersedes: Option<String>,
        created_by: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    rate_rules key(id) {
        id: String,
        rate_card_id: String,
        position: i32,
        role: Option<String>,
        activity_kind: Option<String>,
        member_id: Option<String>,
        basis: String,
        hourly_rate_pence: Option<i64>,
        half_day_pence: Option<i64>,
        full_day_pence: Option<i64>,
        boundary_minutes: Option<i32>,
        boundary_is_full_day: bool,
        fixed_pence: Option<i64>,
        prep_hourly_rate_pence: Option<i64>,
    }
    preferences key(id) {
        id: String,
        member_id: String,
        effective_from: NaiveDate,
        fee_choice: String,
        reduced_max_pence: Option<i64>,
        decline_expenses: bool,
        method: String,
        voucher_provider: Option<String>,
        charity: Option<String>,
        cap_amount_pence: Option<i64>,
        cap_limit_code: Option<String>,
        cap_period: Option<String>,
        cap_week_starts_on: Option<String>,
        cap_month_anchor_day: Option<i32>,
        cap_counts_methods: Option<String>,
        over_cap: String,
        notify_by_email: bool,
        set_by: Option<String>,
        created_at: NaiveDateTime,
    }
    adjustments key(id) {
        id: String,
        member_id: String,
        group_id: Option<String>,
        kind: String,
        amount_pence: i64,
        reason: String,
        created_by: Option<String>,
        created_at: NaiveDateTime,
    }
    pay_runs key(id) {
        id: String,
        group_id: Option<String>,
        period_start: NaiveDate,
        period_end: NaiveDate,
        payment_date: NaiveDate,
        status: String,
        payment_count: i32,
        line_count: i32,
        total_pence: i64,
        warnings: String,
        calculated_at: NaiveDateTime,
        created_by: Option<String>,
        created_at: NaiveDateTime,
        approved_by: Option<String>,
        approved_at: Option<NaiveDateTime>,
        exported_at: Option<NaiveDateTime>,
        paid_on: Option<NaiveDate>,
        paid_reference: Option<String>,
        marked_paid_by: Option<String>,
        marked_paid_at: Option<NaiveDateTime>,
        cancelled_by: Option<String>,
        cancelled_at: Option<NaiveDateTime>,
        updated_at: NaiveDateTime,
        export_count: i32,
    }
    pay_lines key(id) {
        id: String,
        pay_run_id: String,
        position: i32,
        member_id: String,
        group_id: Option<String>,
        meeting_id: Option<String>,
        meeting_date: Option<NaiveDate>,
        source_kind: String,
        source_id: String,
        kind: String,
        disposition: String,
        method: Option<String>,
        payee: Option<String>,
        amount_pence: i64,
        minutes: Option<i32>,
        rate_pence: Option<i64>,
        rate_card_id: Option<String>,
        rule: Option<String>,
        explanation: String,
    }
    payments key(id) {
        id: String,
        pay_run_id: String,
        position: i32,
        member_id: String,
        payee: String,
        method: String,
        fee_pence: i64,
        expenses_pence: i64,
        total_pence: i64,
    }
    pay_claims key(source_kind, source_id) {
        source_kind: String,
        source_id: String,
        pay_run_id: String,
        created_at: NaiveDateTime,
    }
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
fn identifier(name: &str) -> QueryResult<&str> {
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
fn tally(conn: &mut DbConnection, table: &dyn CopyTable) -> QueryResult<(i64, Vec<MoneyCheck>)> {
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

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Refuses a database that has migrations this build does not know, and a source that lacks some.
fn check_migrations(
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
