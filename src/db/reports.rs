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
pub fn runs_paid_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<RunRow>> {
    pay_runs::table
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .select((
            pay_runs::id,
            pay_runs::payment_date,
            pay_runs::status,
            pay_runs::paid_on,
            pay_runs::group_id,
        ))
        .order((pay_runs::payment_date.asc(), pay_runs::id.asc()))
        .load(conn)
}

/// A page of one run's payments that the filter's method and group take, after `after` (a
/// position): a seek on the (run, position) key, so every page costs the same.
pub fn run_payments(
    conn: &mut DbConnection,
    run_id: &str,
    filter: &PaymentFilter,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PaymentRow>> {
    let mut q = payments::table
        .filter(payments::pay_run_id.eq(run_id))
        .select(PaymentRow::as_select())
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
    if let Some(p) = after {
        q = q.filter(payments::position.gt(p));
    }
    q.order(payments::position.asc()).limit(limit).load(conn)
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
