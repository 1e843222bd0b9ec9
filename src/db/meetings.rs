//! Rows and queries of `meetings`, `attendance` and `expense_claims`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{attendance, expense_claims, meetings};
use super::DbConnection;
use crate::domain::records::{AttendanceStatus, CareType, ClaimStatus, ExpenseKind};

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = meetings, treat_none_as_null = true)]
pub struct MeetingRow {
    pub id: String,
    pub group_id: String,
    pub title: String,
    pub activity_kind: String,
    pub meeting_date: NaiveDate,
    pub starts_at: Option<String>,
    pub duration_minutes: i32,
    pub prep_minutes_allowed: i32,
    pub location: Option<String>,
    pub online: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Days before the session that the reminder goes.
    pub reminder_days: i32,
    /// The calendar entry's SEQUENCE: one more for each change people were sent.
    pub calendar_sequence: i32,
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = attendance, treat_none_as_default_value = false)]
pub struct AttendanceRow {
    pub id: String,
    pub meeting_id: String,
    pub member_id: String,
    pub status: AttendanceStatus,
    pub attended_minutes: Option<i32>,
    pub prep_minutes: i32,
    pub role_override: Option<String>,
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = expense_claims)]
pub struct ExpenseRow {
    pub id: String,
    pub meeting_id: String,
    pub member_id: String,
    pub kind: ExpenseKind,
    pub care_type: Option<CareType>,
    pub miles_tenths: Option<i32>,
    pub passengers: i32,
    pub amount_pence: Option<i64>,
    pub receipt_ref: Option<String>,
    pub description: Option<String>,
    pub status: ClaimStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub rejection_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Why a coordinator approved it although its session was long past.
    pub late_reason: Option<String>,
}

pub fn insert_meeting(conn: &mut DbConnection, row: &MeetingRow) -> QueryResult<()> {
    diesel::insert_into(meetings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn save_meeting(conn: &mut DbConnection, row: &MeetingRow) -> QueryResult<()> {
    diesel::update(meetings::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

/// The meeting, locked until the transaction ends on PostgreSQL (SQLite's writer holds the whole
/// database already), so that two changes to one session never interleave.
pub fn lock_meeting(conn: &mut DbConnection, id: &str) -> QueryResult<Option<MeetingRow>> {
    match conn {
        DbConnection::Pg(c) => meetings::table
            .find(id)
            .select(MeetingRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        DbConnection::Sqlite(_) => find_meeting(conn, id),
    }
}

pub fn find_meeting(conn: &mut DbConnection, id: &str) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Default, Clone)]
pub struct MeetingFilter {
    pub group_id: Option<String>,
    pub only_groups: Option<Vec<String>>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Meetings newest first (date, then id), before the cursor `(date, id)`.
pub fn list_meetings(
    conn: &mut DbConnection,
    filter: &MeetingFilter,
    before: Option<(NaiveDate, &str)>,
    limit: i64,
) -> QueryResult<Vec<MeetingRow>> {
    let mut q = meetings::table.select(MeetingRow::as_select()).into_boxed();
    if let Some(g) = &filter.group_id {
        q = q.filter(meetings::group_id.eq(g.clone()));
    }
    if let Some(groups) = &filter.only_groups {
        q = q.filter(meetings::group_id.eq_any(groups.clone()));
    }
    if let Some(d) = filter.from {
        q = q.filter(meetings::meeting_date.ge(d));
    }
    if let Some(d) = filter.to {
        q = q.filter(meetings::meeting_date.le(d));
    }
    if let Some((date, id)) = before {
        q = q.filter(
            meetings::meeting_date.lt(date).or(meetings::meeting_date
                .eq(date)
                .and(meetings::id.lt(id.to_string()))),
        );
    }
    q.order((meetings::meeting_date.desc(), meetings::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn attendance_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<AttendanceRow>> {
    attendance::table
        .filter(attendance::meeting_id.eq(meeting_id))
        .select(AttendanceRow::as_select())
        .load(conn)
}

/// A member's attendance with its meetings, newest first.
pub fn attendance_of_member(
    conn: &mut DbConnection,
    member_id: &str,
    only_groups: Option<&[String]>,
) -> QueryResult<Vec<(AttendanceRow, MeetingRow)>> {
    let mut q = attendance::table
        .inner_join(meetings::table)
        .filter(attendance::member_id.eq(member_id.to_string()))
        .select((AttendanceRow::as_select(), MeetingRow::as_select()))
        .into_boxed();
    if let Some(groups) = only_groups {
        q = q.filter(meetings::group_id.eq_any(groups.to_vec()));
    }
    q.order((meetings::meeting_date.desc(), meetings::id.desc()))
        .load(conn)
}

/// Inserts or updates many records of one meeting in one statement (keyed on meeting and member).
pub fn upsert_attendance(conn: &mut DbConnection, rows: &[AttendanceRow]) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    if rows.is_empty() {
        return Ok(0);
    }
    crate::on_backend!(conn, |c| diesel::insert_into(attendance::table)
        .values(rows)
        .on_conflict((attendance::meeting_id, attendance::member_id))
        .do_update()
        .set((
            attendance::status.eq(excluded(attendance::status)),
            attendance::attended_minutes.eq(excluded(attendance::attended_minutes)),
            attendance::prep_minutes.eq(excluded(attendance::prep_minutes)),
            attendance::role_override.eq(excluded(attendance::role_override)),
            attendance::notes.eq(excluded(attendance::notes)),
            attendance::updated_at.eq(excluded(attendance::updated_at)),
        ))
        .execute(c))
}

pub fn insert_expense(conn: &mut DbConnection, row: &ExpenseRow) -> QueryResult<()> {
    diesel::insert_into(expense_claims::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_expense(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ExpenseRow>> {
    expense_claims::table
        .find(id)
        .select(ExpenseRow::as_select())
        .first(conn)
        .optional()
}

pub fn expenses_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<ExpenseRow>> {
    expense_claims::table
        .filter(expense_claims::meeting_id.eq(meeting_id))
        .order(expense_claims::id.asc())
        .select(ExpenseRow::as_select())
        .load(conn)
}

/// What a coordinator decided about a pending claim.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub status: ClaimStatus,
    pub by: &'a str,
    pub rejection_reason: Option<&'a str>,
    pub late_reason: Option<&'a str>,
}

/// Records a decision on a pending claim; false when it was no longer pending.
pub fn decide_expense(
    conn: &mut DbConnection,
    id: &str,
    decision: Decision<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        expense_claims::table
            .find(id)
            .filter(expense_claims::status.eq(ClaimStatus::Pending)),
    )
    .set((
        expense_claims::status.eq(decision.status),
        expense_claims::decided_by.eq(Some(decision.by)),
        expense_claims::decided_at.eq(Some(now)),
        expense_claims::rejection_reason.eq(decision.rejection_reason),
        expense_claims::late_reason.eq(decision.late_reason),
        expense_claims::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A member's claims with their meetings, newest session first, in the given groups (all groups
/// when `None`).
pub fn expenses_of_member(
    conn: &mut DbConnection,
    member_id: &str,
    only_groups: Option<&[String]>,
) -> QueryResult<Vec<(ExpenseRow, MeetingRow)>> {
    let mut q = expense_claims::table
        .inner_join(meetings::table)
        .filter(expense_claims::member_id.eq(member_id.to_string()))
        .select((ExpenseRow::as_select(), MeetingRow::as_select()))
        .into_boxed();
    if let Some(groups) = only_groups {
        q = q.filter(meetings::group_id.eq_any(groups.to_vec()));
    }
    q.order((meetings::meeting_date.desc(), expense_claims::id.desc()))
        .load(conn)
}

/// Claims waiting for a decision with their meetings, oldest meeting first, in the given groups
/// (all groups when `None`).
pub fn pending_expenses(
    conn: &mut DbConnection,
    only_groups: Option<&[String]>,
    limit: i64,
) -> QueryResult<Vec<(ExpenseRow, MeetingRow)>> {
    let mut q = expense_claims::table
        .inner_join(meetings::table)
        .filter(expense_claims::status.eq(ClaimStatus::Pending))
        .select((ExpenseRow::as_select(), MeetingRow::as_select()))
        .into_boxed();
    if let Some(groups) = only_groups {
        q = q.filter(meetings::group_id.eq_any(groups.to_vec()));
    }
    q.order((meetings::meeting_date.asc(), expense_claims::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Titles and dates of meetings by id: (id, title, date).
pub fn titles_and_dates(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String, NaiveDate)>> {
    super::by_chunks(conn, ids, |conn, chunk| {
        meetings::table
            .filter(meetings::id.eq_any(chunk))
            .select((meetings::id, meetings::title, meetings::meeting_date))
            .load(conn)
    })
}
