//! Every table of coprod, listed once with all its columns (`tables!`), and how each is copied and
//! digested: in key order, a page at a time, parents before children.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{DEFAULT_BATCH_ROWS, MAX_PARAMETERS};
use crate::db::DbConnection;

/// An order-independent digest of a table's rows: a sum of each row's SHA-256, so the same rows
/// read in any order on any backend give the same digest, and any change to any value does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: u64,
    pub digest: u128,
}

impl Fingerprint {
    pub(super) fn add(&mut self, row: &impl fmt::Debug) {
        let hash = Sha256::digest(format!("{row:?}").as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&hash[..16]);
        self.digest = self.digest.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }
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
pub(super) fn parents_first<R>(
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

/// The rows a table reads or writes at once: as many as fit, unless the table says fewer.
macro_rules! most_rows {
    () => {
        usize::MAX
    };
    ($most:expr) => {
        $most
    };
}

/// A file's bytes as a column: digested by their SHA-256 (a row's digest is made from its debug
/// text, which for megabytes of bytes would be slow and large).
#[derive(Clone, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Binary)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = Sha256::digest(&self.0)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        write!(f, "Blob({} bytes, sha256 {hex})", self.0.len())
    }
}

impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Binary, DB> for Blob
where
    [u8]: diesel::serialize::ToSql<diesel::sql_types::Binary, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <[u8] as diesel::serialize::ToSql<diesel::sql_types::Binary, DB>>::to_sql(&self.0, out)
    }
}

impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Binary, DB>
    for Blob
where
    Vec<u8>: diesel::deserialize::FromSql<diesel::sql_types::Binary, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        <Vec<u8> as diesel::deserialize::FromSql<diesel::sql_types::Binary, DB>>::from_sql(bytes)
            .map(Blob)
    }
}

/// For each table: its key, its self-reference if any, and every column with its Rust type. The
/// row type is loaded from exactly these columns (each field from the column of its name) and
/// inserted by name, so a type that does not match `schema.rs` does not compile.
macro_rules! tables {
    ($(
        $table:ident key($($key:ident),+) $(parent($parent:ident))? $(rows_per_batch($most:expr))? {
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

                /// Rows read or written at once: fewer for a table of files, so memory stays small.
                const MOST_ROWS: usize = most_rows!($($most)?);

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
                        let batch = batch.min(MAX_PARAMETERS / COLUMNS.len()).min(MOST_ROWS).max(1);
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
                        let page_rows = page_rows.min(MOST_ROWS).max(1);
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
                        let page_rows = DEFAULT_BATCH_ROWS.min(MOST_ROWS);
                        loop {
                            let rows = page(conn, last.as_ref(), page_rows)?;
                            keys.extend(rows.iter().map(key_of));
                            if rows.len() < page_rows {
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
        preferred_formats: String,
        postal_address: Option<String>,
        calendar_feed_hash: Option<String>,
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
        calendar: Option<String>,
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
        reminder_days: i32,
        calendar_sequence: i32,
        cancelled_at: Option<NaiveDateTime>,
        cancel_reason: Option<String>,
    }
    meeting_replies key(meeting_id, member_id) {
        meeting_id: String,
        member_id: String,
        invited_at: Option<NaiveDateTime>,
        reply: String,
        access_needs: String,
        access_note: Option<String>,
        replied_at: Option<NaiveDateTime>,
        replied_by: Option<String>,
    }
    reply_tokens key(token_hash) {
        token_hash: String,
        meeting_id: String,
        member_id: String,
        created_at: NaiveDateTime,
        expires_at: NaiveDateTime,
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
        late_reason: Option<String>,
    }
    // Up to `receipts.max_bytes` a row: a few at a time.
    receipts key(id) rows_per_batch(8) {
        id: String,
        expense_id: String,
        filename: String,
        content_type: String,
        size_bytes: i64,
        sha256: String,
        bytes: Blob,
        uploaded_by: String,
        uploaded_at: NaiveDateTime,
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
    erasures key(member_id) {
        member_id: String,
        erased_at: NaiveDateTime,
        erased_by: Option<String>,
        rule: Option<String>,
    }
    retention_runs key(run_on) {
        run_on: String,
        started_at: NaiveDateTime,
        removed: i64,
    }
}
