//! Queries behind statements and finance reports: lines and payments of approved runs by their
//! payment date, read a page at a time where a report can be large.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::pay::{PayLineRow, PaymentRow, APPROVED};
use super::schema::{expense_claims, pay_claims, pay_lines, pay_runs, payments};
use super::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, LineKind, Method, RunStatus};
use crate::domain::records::ExpenseKind;

/// A line of an approved run with its run's payment date, status and paid-on date.
pub type StatementRow = (PayLineRow, NaiveDate, RunStatus, Option<NaiveDate>);

/// A member's lines of approved runs paid in `from..=to`, in payment-date order.
pub fn member_lines_between(
    conn: &mut DbConnection,
    member_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<StatementRow>> {
    pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .select((
            PayLineRow::as_select(),
            pay_runs::payment_date,
            pay_runs::status,
            pay_runs::paid_on,
        ))
        .order((
            pay_runs::payment_date.asc(),
            pay_runs::id.asc(),
            pay_lines::position.asc(),
        ))
        .load(conn)
}

/// Tenths of a mile of the mileage claims (car, motorcycle, bicycle) among `ids`.
pub fn mileage_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, i64)>> {
    let found = crate::db::by_chunks(conn, ids, |conn, chunk| {
        expense_claims::table
            .filter(expense_claims::id.eq_any(chunk))
            .filter(expense_claims::kind.eq_any([
                ExpenseKind::Car,
                ExpenseKind::Motorcycle,
                ExpenseKind::Bicycle,
            ]))
            .select((expense_claims::id, expense_claims::miles_tenths))
            .load::<(String, Option<i32>)>(conn)
    })?;
    Ok(found
        .into_iter()
        .map(|(id, tenths)| (id, i64::from(tenths.unwrap_or(0))))
        .collect())
}

/// A member's carried-forward lines of approved runs paid on or before `end`: (pence, the run
/// that has taken the balance since, if any).
pub fn held_back(
    conn: &mut DbConnection,
    member_id: &str,
    end: NaiveDate,
) -> QueryResult<Vec<(i64, Option<String>)>> {
    pay_lines::table
        .inner_join(pay_runs::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Carried)
                .and(pay_claims::source_id.eq(pay_lines::id))),
        )
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_lines::disposition.eq(Disposition::CarriedForward))
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.le(end))
        .select((pay_lines::amount_pence, pay_claims::pay_run_id.nullable()))
        .load(conn)
}

/// Payment dates of runs by id.
pub fn payment_dates(
    conn: &mut DbConnection,
    run_ids: &[String],
) -> QueryResult<Vec<(String, NaiveDate)>> {
    crate::db::by_chunks(conn, run_ids, |conn, chunk| {
        pay_runs::table
            .filter(pay_runs::id.eq_any(chunk))
            .select((pay_runs::id, pay_runs::payment_date))
            .load::<(String, NaiveDate)>(conn)
    })
}

/// Which payments a finance report takes.
#[derive(Debug, Clone)]
pub struct PaymentFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Payments with a line of this group.
    pub group_id: Option<String>,
    pub method: Option<Method>,
}

/// Where a page of payments ends: (payment date, run, position).
pub type PaymentCursor = (NaiveDate, String, i32);

/// An approved run paid in a period: (id, payment date, status, paid on, group).
pub type RunRow = (
    String,
    NaiveDate,
    RunStatus,
    Option<NaiveDate>,
    Option<String>,
);

/// Approved runs with a payment date in `from..=to`, in (payment date, id) order.
/// The columns of a `RunRow`.
const RUN_COLUMNS: (
    pay_runs::id,
    pay_runs::payment_date,
    pay_runs::status,
    pay_runs::paid_on,
    pay_runs::group_id,
) = (
    pay_runs::id,
    pay_runs::payment_date,
    pay_runs::status,
    pay_runs::paid_on,
    pay_runs::group_id,
);

pub fn runs_paid_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<RunRow>> {
    pay_runs::table
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .select(RUN_COLUMNS)
        .order((pay_runs::payment_date.asc(), pay_runs::id.asc()))
        .load(conn)
}

/// A page of the payments of every approved run paid between the filter's dates that its method
/// and group take, in (payment date, run, position) order after `after`: one statement per page
/// whatever the number of runs.
pub fn payments_between(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    after: Option<&PaymentCursor>,
    limit: i64,
) -> QueryResult<Vec<(RunRow, PaymentRow)>> {
    let mut q = payments::table
        .inner_join(pay_runs::table)
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(filter.from, filter.to))
        .select((RUN_COLUMNS, PaymentRow::as_select()))
        .into_boxed();
    if let Some(m) = &filter.method {
        q = q.filter(payments::method.eq(*m));
    }
    if let Some(g) = &filter.group_id {
        q = q.filter(diesel::dsl::exists(
            pay_lines::table
                .filter(pay_lines::pay_run_id.eq(payments::pay_run_id))
                .filter(pay_lines::member_id.eq(payments::member_id))
                .filter(pay_lines::group_id.eq(g.clone())),
        ));
    }
    if let Some((d, run, position)) = after {
        q = q.filter(
            pay_runs::payment_date
                .gt(*d)
                .or(pay_runs::payment_date.eq(*d).and(
                    pay_runs::id.gt(run.clone()).or(pay_runs::id
                        .eq(run.clone())
                        .and(payments::position.gt(*position))),
                )),
        );
    }
    q.order((
        pay_runs::payment_date.asc(),
        pay_runs::id.asc(),
        payments::position.asc(),
    ))
    .limit(limit)
    .load(conn)
}

/// A line as a per-member report counts it: (member, kind, disposition, method, pence, source
/// kind, source id, position).
pub type TallyRow = (
    String,
    LineKind,
    Disposition,
    Option<Method>,
    i64,
    SourceKind,
    String,
    i32,
);

/// A page of one run's lines after `after` (a position), by the (run, position) key.
pub fn run_lines(
    conn: &mut DbConnection,
    run_id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<TallyRow>> {
    let mut q = pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select((
            pay_lines::member_id,
            pay_lines::kind,
            pay_lines::disposition,
            pay_lines::method,
            pay_lines::amount_pence,
            pay_lines::source_kind,
            pay_lines::source_id,
            pay_lines::position,
        ))
        .into_boxed();
    if let Some(p) = after {
        q = q.filter(pay_lines::position.gt(p));
    }
    q.order(pay_lines::position.asc()).limit(limit).load(conn)
}

/// Lines of approved runs paid in a period, summed by the database by (run, group, method, kind,
/// disposition): as many rows as runs, groups and kinds make, however many lines.
pub type SummaryRow = (
    String,
    Option<String>,
    Option<Method>,
    LineKind,
    Disposition,
    i64,
);

pub fn summary_lines(
    conn: &mut DbConnection,
    run_ids: &[String],
    group_id: Option<&str>,
) -> QueryResult<Vec<SummaryRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    crate::db::by_chunks(conn, run_ids, |conn, chunk| {
        let mut q = pay_lines::table
            .filter(pay_lines::pay_run_id.eq_any(chunk))
            .group_by((
                pay_lines::pay_run_id,
                pay_lines::group_id,
                pay_lines::method,
                pay_lines::kind,
                pay_lines::disposition,
            ))
            .select((
                pay_lines::pay_run_id,
                pay_lines::group_id,
                pay_lines::method,
                pay_lines::kind,
                pay_lines::disposition,
                sql::<BigInt>("CAST(SUM(pay_lines.amount_pence) AS BIGINT)"),
            ))
            .into_boxed();
        if let Some(g) = group_id {
            q = q.filter(pay_lines::group_id.eq(g.to_string()));
        }
        q.load(conn)
    })
}

/// How many sessions and approved claims approved runs paid in a period (to the member or their
/// charity: not what was held back, declined or forgone), by (the day they were taken part in or
/// approved, the payment date): counted by the database, one row per pair of
/// days however many were paid. `paid_on` is the period's approved runs and their payment dates.
pub fn paid_after(
    conn: &mut DbConnection,
    paid_on: &std::collections::HashMap<String, NaiveDate>,
    from: NaiveDate,
    to: NaiveDate,
    group_id: Option<&str>,
) -> QueryResult<Vec<(NaiveDate, NaiveDate, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Date};
    // Sessions from the runs' own lines, which carry the session's date: one table, read by run.
    let ids: Vec<String> = paid_on.keys().cloned().collect();
    let by_run = crate::db::by_chunks(conn, &ids, |conn, chunk| {
        let mut q = pay_lines::table
            .filter(pay_lines::pay_run_id.eq_any(chunk))
            // Money that reached the member (or their charity): a session's fee, or a balance held
            // back earlier and paid now, dated by its session.
            .filter(pay_lines::source_kind.eq_any([SourceKind::Attendance, SourceKind::Carried]))
            .filter(pay_lines::disposition.eq_any([Disposition::Paid, Disposition::Donated]))
            .filter(pay_lines::meeting_date.is_not_null())
            .group_by((pay_lines::pay_run_id, pay_lines::meeting_date))
            .select((
                pay_lines::pay_run_id,
                pay_lines::meeting_date,
                sql::<BigInt>("COUNT(DISTINCT pay_lines.source_id)"),
            ))
            .into_boxed();
        if let Some(g) = group_id {
            q = q.filter(pay_lines::group_id.eq(g.to_string()));
        }
        q.load::<(String, Option<NaiveDate>, i64)>(conn)
    })?;
    let mut found: Vec<(NaiveDate, NaiveDate, i64)> = by_run
        .into_iter()
        .filter_map(|(run, day, n)| Some((day?, *paid_on.get(&run)?, n)))
        .collect();
    // The day a claim was approved: the date part of a timestamp, said in each dialect.
    let approved_on = match conn {
        DbConnection::Pg(_) => "CAST(expense_claims.decided_at AS DATE)",
        DbConnection::Sqlite(_) => "date(expense_claims.decided_at)",
    };
    // Said as SQL whole: the grouping mixes a computed day with a column of another table.
    let mut claims = pay_lines::table
        .inner_join(pay_runs::table)
        .inner_join(expense_claims::table.on(expense_claims::id.eq(pay_lines::source_id)))
        .filter(pay_lines::source_kind.eq(SourceKind::Expense))
        .filter(pay_lines::disposition.eq(Disposition::Paid))
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .filter(expense_claims::decided_at.is_not_null())
        .group_by(sql::<Date>(&format!(
            "{approved_on}, pay_runs.payment_date"
        )))
        .select((
            sql::<Date>(approved_on),
            sql::<Date>("pay_runs.payment_date"),
            sql::<BigInt>("COUNT(DISTINCT pay_lines.source_id)"),
        ))
        .into_boxed();
    if let Some(g) = group_id {
        claims = claims.filter(pay_lines::group_id.eq(g.to_string()));
    }
    found.extend(claims.load::<(NaiveDate, NaiveDate, i64)>(conn)?);
    Ok(found)
}

/// Something taken part in or approved that no approved run has paid yet: (member, member's
/// name, meeting, meeting's title, the day the wait began).
pub type WaitingRow = (String, String, String, String, NaiveDate);

/// Attended sessions up to `today` that no approved run took, oldest first, at most `limit`.
pub fn sessions_waiting(
    conn: &mut DbConnection,
    today: NaiveDate,
    group_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<WaitingRow>> {
    use crate::db::schema::{attendance, meetings, members};
    use crate::domain::records::AttendanceStatus;
    let mut q = attendance::table
        .inner_join(meetings::table)
        .inner_join(members::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(attendance::status.eq_any([AttendanceStatus::Attended, AttendanceStatus::Partial]))
        .filter(meetings::meeting_date.le(today))
        .select((
            members::id,
            members::full_name,
            meetings::id,
            meetings::title,
            meetings::meeting_date,
        ))
        .into_boxed();
    if let Some(g) = group_id {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((meetings::meeting_date.asc(), attendance::id.asc()))
        .limit(limit)
        .load(conn)
}

/// An approved claim waiting: (member, name, meeting, title, approved at).
pub type ClaimWaitingRow = (
    String,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
);

/// Approved claims that no approved run took, longest approved first, at most `limit`.
pub fn claims_waiting(
    conn: &mut DbConnection,
    group_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ClaimWaitingRow>> {
    use crate::db::schema::{meetings, members};
    use crate::domain::records::ClaimStatus;
    let mut q = expense_claims::table
        .inner_join(meetings::table)
        .inner_join(members::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(expense_claims::status.eq(ClaimStatus::Approved))
        .filter(expense_claims::decided_at.is_not_null())
        .select((
            members::id,
            members::full_name,
            meetings::id,
            meetings::title,
            expense_claims::decided_at,
        ))
        .into_boxed();
    if let Some(g) = group_id {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((expense_claims::decided_at.asc(), expense_claims::id.asc()))
        .limit(limit)
        .load(conn)
}
