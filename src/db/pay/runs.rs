//! Pay runs, their lines and payments, and `pay_claims` (the sources approved runs have taken).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::APPROVED;
use crate::db::schema::{expense_claims, meetings, pay_claims, pay_lines, pay_runs, payments};
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, LineKind, Method, RunStatus};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = pay_runs, treat_none_as_default_value = false)]
pub struct PayRunRow {
    pub id: String,
    pub group_id: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
    pub status: RunStatus,
    pub payment_count: i32,
    pub line_count: i32,
    pub total_pence: i64,
    pub warnings: String,
    pub calculated_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub exported_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    pub marked_paid_by: Option<String>,
    pub marked_paid_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub export_count: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = pay_lines, treat_none_as_default_value = false)]
pub struct PayLineRow {
    pub id: String,
    pub pay_run_id: String,
    pub position: i32,
    pub member_id: String,
    pub group_id: Option<String>,
    pub meeting_id: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub source_kind: SourceKind,
    pub source_id: String,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub payee: Option<String>,
    pub amount_pence: i64,
    pub minutes: Option<i32>,
    pub rate_pence: Option<i64>,
    pub rate_card_id: Option<String>,
    pub rule: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: String,
    pub pay_run_id: String,
    pub position: i32,
    pub member_id: String,
    pub payee: String,
    pub method: Method,
    pub fee_pence: i64,
    pub expenses_pence: i64,
    pub total_pence: i64,
}

pub fn insert_run(conn: &mut DbConnection, row: &PayRunRow) -> QueryResult<()> {
    diesel::insert_into(pay_runs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_run(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PayRunRow>> {
    pay_runs::table
        .find(id)
        .select(PayRunRow::as_select())
        .first(conn)
        .optional()
}

/// Runs newest first (created), before the cursor `(created_at, id)`.
pub fn list_runs(
    conn: &mut DbConnection,
    only_groups: Option<&[String]>,
    status: Option<&str>,
    before: Option<(NaiveDateTime, &str)>,
    limit: i64,
) -> QueryResult<Vec<PayRunRow>> {
    let mut q = pay_runs::table.select(PayRunRow::as_select()).into_boxed();
    if let Some(gs) = only_groups {
        q = q.filter(pay_runs::group_id.eq_any(gs.to_vec()));
    }
    if let Some(s) = status {
        q = q.filter(pay_runs::status.eq(s.to_string()));
    }
    if let Some((at, id)) = before {
        q = q.filter(
            pay_runs::created_at.lt(at).or(pay_runs::created_at
                .eq(at)
                .and(pay_runs::id.lt(id.to_string()))),
        );
    }
    q.order((pay_runs::created_at.desc(), pay_runs::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Moves a run from one status to another; false when it was not in `from` (someone got there
/// first). On PostgreSQL the row stays locked until the transaction ends.
pub fn transition(
    conn: &mut DbConnection,
    id: &str,
    from: &[RunStatus],
    to: RunStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        pay_runs::table
            .filter(pay_runs::id.eq(id))
            .filter(pay_runs::status.eq_any(from.to_vec())),
    )
    .set((pay_runs::status.eq(to), pay_runs::updated_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn save_run(conn: &mut DbConnection, row: &PayRunRow) -> QueryResult<()> {
    diesel::update(pay_runs::table.find(&row.id))
        .set((
            pay_runs::status.eq(&row.status),
            pay_runs::payment_count.eq(row.payment_count),
            pay_runs::line_count.eq(row.line_count),
            pay_runs::total_pence.eq(row.total_pence),
            pay_runs::warnings.eq(&row.warnings),
            pay_runs::calculated_at.eq(row.calculated_at),
            pay_runs::approved_by.eq(&row.approved_by),
            pay_runs::approved_at.eq(row.approved_at),
            pay_runs::exported_at.eq(row.exported_at),
            pay_runs::paid_on.eq(row.paid_on),
            pay_runs::paid_reference.eq(&row.paid_reference),
            pay_runs::marked_paid_by.eq(&row.marked_paid_by),
            pay_runs::marked_paid_at.eq(row.marked_paid_at),
            pay_runs::cancelled_by.eq(&row.cancelled_by),
            pay_runs::cancelled_at.eq(row.cancelled_at),
            pay_runs::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Counts an export of an approved run (it becomes `exported` unless already paid); returns the
/// run as it is now.
pub fn record_export(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PayRunRow>> {
    diesel::update(pay_runs::table.find(id))
        .set((
            pay_runs::export_count.eq(pay_runs::export_count + 1),
            pay_runs::exported_at.eq(now),
            pay_runs::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        pay_runs::table
            .filter(pay_runs::id.eq(id))
            .filter(pay_runs::status.eq(RunStatus::Approved)),
    )
    .set(pay_runs::status.eq(RunStatus::Exported))
    .execute(conn)?;
    find_run(conn, id)
}

/// A member as exports need them: (id, full name, payee reference, email).
pub type PayeeRow = (String, String, Option<String>, Option<String>);

/// Members by id with what exports need.
pub fn payees(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PayeeRow>> {
    use crate::db::schema::members;
    crate::db::by_chunks(conn, ids, |conn, chunk| {
        members::table
            .filter(members::id.eq_any(chunk))
            .select((
                members::id,
                members::full_name,
                members::payee_reference,
                members::email,
            ))
            .load::<PayeeRow>(conn)
    })
}

/// On PostgreSQL, where per-row foreign keys on lines and payments would cost more than writing
/// them (see the migration `pay_line_store`): that the run, and every member, group, meeting
/// and rate card the rows name, exist. One statement per kind of reference, whatever the count.
fn references_exist(
    c: &mut diesel::PgConnection,
    run_id: &str,
    lines: &[PayLineRow],
    pays: &[PaymentRow],
) -> QueryResult<()> {
    use crate::db::schema::{groups, meetings, members, rate_cards};
    use std::collections::BTreeSet;
    fn missing(table: &str, wanted: usize, found: i64) -> QueryResult<()> {
        if usize::try_from(found).ok() == Some(wanted) {
            return Ok(());
        }
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            Box::new(format!(
                "a pay line or payment names a row of {table} that does not exist"
            )),
        ))
    }
    if lines.is_empty() && pays.is_empty() {
        return Ok(());
    }
    let found = pay_runs::table.find(run_id).count().get_result(c)?;
    missing("pay_runs", 1, found)?;
    let distinct = |ids: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        ids.collect::<BTreeSet<_>>().into_iter().cloned().collect()
    };
    // Each kind: the distinct ids named, and how many of them the table holds.
    macro_rules! all_exist {
        ($table:ident, $ids:expr) => {{
            let ids = distinct(&mut $ids);
            if !ids.is_empty() {
                let found = $table::table
                    .filter($table::id.eq_any(&ids))
                    .count()
                    .get_result(c)?;
                missing(stringify!($table), ids.len(), found)?;
            }
        }};
    }
    all_exist!(
        members,
        lines
            .iter()
            .map(|l| &l.member_id)
            .chain(pays.iter().map(|p| &p.member_id))
    );
    all_exist!(groups, lines.iter().filter_map(|l| l.group_id.as_ref()));
    all_exist!(meetings, lines.iter().filter_map(|l| l.meeting_id.as_ref()));
    all_exist!(
        rate_cards,
        lines.iter().filter_map(|l| l.rate_card_id.as_ref())
    );
    Ok(())
}

/// Replaces a draft's lines and payments. PostgreSQL takes them with `COPY … FROM STDIN` in its
/// binary format (one statement each, several times faster than inserts for tens of thousands of
/// lines); SQLite with multi-row inserts in chunks under its parameter limit, where statements
/// cost no round trip.
pub fn replace_lines(
    conn: &mut DbConnection,
    run_id: &str,
    lines: &[PayLineRow],
    pays: &[PaymentRow],
) -> QueryResult<()> {
    diesel::delete(pay_lines::table.filter(pay_lines::pay_run_id.eq(run_id))).execute(conn)?;
    diesel::delete(payments::table.filter(payments::pay_run_id.eq(run_id))).execute(conn)?;
    match conn {
        DbConnection::Pg(c) => {
            references_exist(c, run_id, lines, pays)?;
            if !lines.is_empty() {
                diesel::copy_from(pay_lines::table)
                    .from_insertable(lines)
                    .execute(c)?;
            }
            if !pays.is_empty() {
                diesel::copy_from(payments::table)
                    .from_insertable(pays)
                    .execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            for chunk in lines.chunks(1000) {
                diesel::insert_into(pay_lines::table)
                    .values(chunk)
                    .execute(c)?;
            }
            for chunk in pays.chunks(2000) {
                diesel::insert_into(payments::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

pub fn lines_of(
    conn: &mut DbConnection,
    run_id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PayLineRow>> {
    let mut q = pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select(PayLineRow::as_select())
        .into_boxed();
    if let Some(p) = after {
        q = q.filter(pay_lines::position.gt(p));
    }
    q.order(pay_lines::position.asc()).limit(limit).load(conn)
}

pub fn all_lines_of(conn: &mut DbConnection, run_id: &str) -> QueryResult<Vec<PayLineRow>> {
    pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select(PayLineRow::as_select())
        .order(pay_lines::position.asc())
        .load(conn)
}

pub fn payments_of(
    conn: &mut DbConnection,
    run_id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PaymentRow>> {
    let mut q = payments::table
        .filter(payments::pay_run_id.eq(run_id))
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(p) = after {
        q = q.filter(payments::position.gt(p));
    }
    q.order(payments::position.asc()).limit(limit).load(conn)
}

/// Totals of a run's lines by disposition: (disposition, pence), one row per line.
/// Runs' line totals by disposition: `(run, disposition, pence)`, summed by the database. (SUM of
/// a BIGINT is NUMERIC on PostgreSQL, hence the cast, which SQLite reads the same way.)
pub fn line_amounts(
    conn: &mut DbConnection,
    run_ids: &[String],
) -> QueryResult<Vec<(String, String, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    pay_lines::table
        .filter(pay_lines::pay_run_id.eq_any(run_ids))
        .group_by((pay_lines::pay_run_id, pay_lines::disposition))
        .select((
            pay_lines::pay_run_id,
            pay_lines::disposition,
            sql::<BigInt>("CAST(SUM(pay_lines.amount_pence) AS BIGINT)"),
        ))
        .load(conn)
}

/// Runs' payment totals by method: `(run, method, pence)`, summed by the database.
pub fn payment_amounts(
    conn: &mut DbConnection,
    run_ids: &[String],
) -> QueryResult<Vec<(String, String, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    payments::table
        .filter(payments::pay_run_id.eq_any(run_ids))
        .group_by((payments::pay_run_id, payments::method))
        .select((
            payments::pay_run_id,
            payments::method,
            sql::<BigInt>("CAST(SUM(payments.total_pence) AS BIGINT)"),
        ))
        .load(conn)
}

/// Takes every source of a run's lines for the run. Fails with a unique violation when another
/// approved run already took one of them.
pub fn claim_sources(
    conn: &mut DbConnection,
    run_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let sources: Vec<(String, String)> = pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select((pay_lines::source_kind, pay_lines::source_id))
        .distinct()
        .load(conn)?;
    let rows: Vec<_> = sources
        .into_iter()
        .map(|(k, s)| {
            (
                pay_claims::source_kind.eq(k),
                pay_claims::source_id.eq(s),
                pay_claims::pay_run_id.eq(run_id.to_string()),
                pay_claims::created_at.eq(now),
            )
        })
        .collect();
    let mut n = 0;
    for chunk in rows.chunks(1000) {
        n += crate::on_backend!(conn, |c| diesel::insert_into(pay_claims::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// Attendance records of a meeting that approved runs took (one query, whatever the size).
pub fn claimed_attendance_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<String>> {
    use crate::db::schema::attendance;
    attendance::table
        .inner_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(attendance::meeting_id.eq(meeting_id))
        .select(attendance::id)
        .load(conn)
}

/// Expense claims of a meeting that approved runs took.
pub fn claimed_expenses_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<String>> {
    expense_claims::table
        .inner_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(expense_claims::meeting_id.eq(meeting_id))
        .select(expense_claims::id)
        .load(conn)
}

/// A line an approved run holds for an expense claim.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ExpenseLine {
    pub expense_id: String,
    pub pay_run_id: String,
    pub payment_date: NaiveDate,
    pub disposition: Disposition,
    pub amount_pence: i64,
}

/// The lines that approved runs (approved, exported or paid) hold for some expense claims.
pub fn expense_lines_in_approved_runs(
    conn: &mut DbConnection,
    expense_ids: &[String],
) -> QueryResult<Vec<ExpenseLine>> {
    crate::db::by_chunks(conn, expense_ids, |conn, chunk| {
        pay_lines::table
            .inner_join(pay_runs::table)
            .filter(pay_lines::source_kind.eq(SourceKind::Expense))
            .filter(pay_lines::source_id.eq_any(chunk))
            .filter(pay_runs::status.eq_any(APPROVED))
            .select((
                pay_lines::source_id,
                pay_runs::id,
                pay_runs::payment_date,
                pay_lines::disposition,
                pay_lines::amount_pence,
            ))
            .order((pay_lines::source_id.asc(), pay_lines::position.asc()))
            .load(conn)
    })
}

/// A member's lines of approved runs, newest run first: (line, run).
pub fn member_lines(
    conn: &mut DbConnection,
    member_id: &str,
    run_ids: &[String],
) -> QueryResult<Vec<PayLineRow>> {
    pay_lines::table
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_lines::pay_run_id.eq_any(run_ids))
        .select(PayLineRow::as_select())
        .order((pay_lines::pay_run_id.asc(), pay_lines::position.asc()))
        .load(conn)
}

/// Approved runs with something for the member, newest payment date first, before the cursor.
pub fn member_runs(
    conn: &mut DbConnection,
    member_id: &str,
    only_groups: Option<&[String]>,
    before: Option<(NaiveDate, &str)>,
    limit: i64,
) -> QueryResult<Vec<PayRunRow>> {
    let mut q = pay_runs::table
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(
            pay_runs::id.eq_any(
                pay_lines::table
                    .filter(pay_lines::member_id.eq(member_id))
                    .select(pay_lines::pay_run_id),
            ),
        )
        .select(PayRunRow::as_select())
        .into_boxed();
    if let Some(gs) = only_groups {
        q = q.filter(pay_runs::group_id.eq_any(gs.to_vec()));
    }
    if let Some((d, id)) = before {
        q = q.filter(
            pay_runs::payment_date.lt(d).or(pay_runs::payment_date
                .eq(d)
                .and(pay_runs::id.lt(id.to_string()))),
        );
    }
    q.order((pay_runs::payment_date.desc(), pay_runs::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn member_payments(
    conn: &mut DbConnection,
    member_id: &str,
    run_ids: &[String],
) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::member_id.eq(member_id))
        .filter(payments::pay_run_id.eq_any(run_ids))
        .select(PaymentRow::as_select())
        .order((payments::pay_run_id.asc(), payments::position.asc()))
        .load(conn)
}

/// Titles of meetings by id.
pub fn meeting_titles(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    crate::db::by_chunks(conn, ids, |conn, chunk| {
        meetings::table
            .filter(meetings::id.eq_any(chunk))
            .select((meetings::id, meetings::title))
            .load::<(String, String)>(conn)
    })
}
