//! What a draft is computed from: unpaid sessions and claims, car journeys (for the mileage
//! rate), memberships, open balances and fees already paid in the cap periods around a run.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{PayLineRow, APPROVED};
use crate::db::schema::{expense_claims, meetings, memberships, pay_claims, pay_lines, pay_runs};
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::records::{AttendanceStatus, ClaimStatus, ExpenseKind};

/// A paid attendance record and its meeting, as the draft needs them.
#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub attendance_id: String,
    pub member_id: String,
    pub attended_minutes: Option<i32>,
    pub prep_minutes: i32,
    pub role_override: Option<String>,
    pub meeting_id: String,
    pub group_id: String,
    pub title: String,
    pub activity_kind: String,
    pub meeting_date: NaiveDate,
    pub duration_minutes: i32,
    pub prep_minutes_allowed: i32,
}

/// Attended and partial records of meetings up to the end of the period (and in the group) that
/// no approved run took: those of earlier periods, recorded late, are paid by the next run.
pub fn unpaid_sessions(
    conn: &mut DbConnection,
    group: Option<&str>,
    to: NaiveDate,
) -> QueryResult<Vec<SessionRow>> {
    use crate::db::schema::attendance;
    let mut q = attendance::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(attendance::status.eq_any([AttendanceStatus::Attended, AttendanceStatus::Partial]))
        // A cancelled session is never paid (it takes no register; this covers one taken before).
        .filter(meetings::cancelled_at.is_null())
        .filter(meetings::meeting_date.le(to))
        .select((
            attendance::id,
            attendance::member_id,
            attendance::attended_minutes,
            attendance::prep_minutes,
            attendance::role_override,
            meetings::id,
            meetings::group_id,
            meetings::title,
            meetings::activity_kind,
            meetings::meeting_date,
            meetings::duration_minutes,
            meetings::prep_minutes_allowed,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((meetings::meeting_date.asc(), attendance::id.asc()))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct ClaimRow {
    pub expense_id: String,
    pub member_id: String,
    pub kind: ExpenseKind,
    pub miles_tenths: Option<i32>,
    pub passengers: i32,
    pub amount_pence: Option<i64>,
    pub meeting_id: String,
    pub group_id: String,
    pub title: String,
    pub meeting_date: NaiveDate,
}

/// Approved expense claims of meetings up to the end of the period (and in the group) that no
/// approved run took: a claim of an earlier period, approved late, is paid by the next run.
pub fn unpaid_claims(
    conn: &mut DbConnection,
    group: Option<&str>,
    to: NaiveDate,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = expense_claims::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(expense_claims::status.eq(ClaimStatus::Approved))
        .filter(meetings::cancelled_at.is_null())
        .filter(meetings::meeting_date.le(to))
        .select((
            expense_claims::id,
            expense_claims::member_id,
            expense_claims::kind,
            expense_claims::miles_tenths,
            expense_claims::passengers,
            expense_claims::amount_pence,
            meetings::id,
            meetings::group_id,
            meetings::title,
            meetings::meeting_date,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((meetings::meeting_date.asc(), expense_claims::id.asc()))
        .load(conn)
}

/// An approved car journey: its distance and whether an approved run has paid it (journeys earlier
/// in the tax year decide the mileage rate).
#[derive(Debug, Clone, Queryable)]
pub struct JourneyRow {
    pub expense_id: String,
    pub member_id: String,
    pub meeting_date: NaiveDate,
    pub miles_tenths: Option<i32>,
    /// The approved run that paid it, if one has.
    pub paid_by: Option<String>,
}

/// A member's role in a group over time.
#[derive(Debug, Clone, Queryable)]
pub struct RoleRow {
    pub member_id: String,
    pub group_id: String,
    pub role: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// A fee line paid to a member by an approved run.
#[derive(Debug, Clone, Queryable)]
pub struct PaidRow {
    pub member_id: String,
    pub payment_date: NaiveDate,
    pub method: Option<Method>,
    pub amount_pence: i64,
}

/// Approved car journeys dated `from..=to`, in any group, paid or not.
pub fn car_journeys(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<JourneyRow>> {
    expense_claims::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(expense_claims::kind.eq(ExpenseKind::Car))
        .filter(expense_claims::status.eq(ClaimStatus::Approved))
        .filter(meetings::meeting_date.between(from, to))
        .select((
            expense_claims::id,
            expense_claims::member_id,
            meetings::meeting_date,
            expense_claims::miles_tenths,
            pay_claims::pay_run_id.nullable(),
        ))
        .load(conn)
}

/// Memberships of one group, or of all.
pub fn memberships_in(conn: &mut DbConnection, group: Option<&str>) -> QueryResult<Vec<RoleRow>> {
    let mut q = memberships::table
        .select((
            memberships::member_id,
            memberships::group_id,
            memberships::role,
            memberships::starts_on,
            memberships::ends_on,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(memberships::group_id.eq(g.to_string()));
    }
    q.load(conn)
}

/// Carried-forward lines of approved runs that no approved run has taken since, with the run's
/// payment date; for a group run, the group's.
pub fn open_balances(
    conn: &mut DbConnection,
    group: Option<&str>,
) -> QueryResult<Vec<(PayLineRow, NaiveDate)>> {
    let mut q = pay_lines::table
        .inner_join(pay_runs::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Carried)
                .and(pay_claims::source_id.eq(pay_lines::id))),
        )
        .filter(pay_claims::source_id.is_null())
        // Written out, not bound, so both backends use the partial index of carried lines
        // (`pay_lines_carried`) instead of reading every line ever drafted.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "pay_lines.disposition = '{}'",
            Disposition::CarriedForward.as_str()
        )))
        .filter(pay_runs::status.eq_any(APPROVED))
        .select((PayLineRow::as_select(), pay_runs::payment_date))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(pay_lines::group_id.eq(g.to_string()));
    }
    q.order((pay_runs::payment_date.asc(), pay_lines::position.asc()))
        .load(conn)
}

/// Fee lines paid to members by approved runs with a payment date in `from..=to`.
pub fn paid_fees_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<PaidRow>> {
    pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .filter(pay_lines::disposition.eq(Disposition::Paid))
        .filter(pay_lines::kind.ne(LineKind::Expense))
        .select((
            pay_lines::member_id,
            pay_runs::payment_date,
            pay_lines::method,
            pay_lines::amount_pence,
        ))
        .load(conn)
}
