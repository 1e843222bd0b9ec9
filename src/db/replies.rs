//! Rows and queries of `meeting_replies` (who was invited to a session and what they said) and
//! `reply_tokens` (the reply links sent by email, stored as hashes), and the calendar feed secret.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::meetings::MeetingRow;
use super::schema::{meeting_replies, meetings, members, reply_tokens};
use super::DbConnection;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = meeting_replies)]
pub struct ReplyRow {
    pub meeting_id: String,
    pub member_id: String,
    pub invited_at: Option<NaiveDateTime>,
    /// `none`, `attending`, `not_attending` or `maybe`.
    pub reply: String,
    /// `domain::invitations::AccessNeeds` as stored: a comma list of codes.
    pub access_needs: String,
    pub access_note: Option<String>,
    pub replied_at: Option<NaiveDateTime>,
    /// The account that recorded it; none when it came by an emailed link.
    pub replied_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = reply_tokens)]
pub struct ReplyTokenRow {
    pub token_hash: String,
    pub meeting_id: String,
    pub member_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Marks `member_ids` invited to the meeting at `at` (a row for each, kept if there is one).
pub fn mark_invited(
    conn: &mut DbConnection,
    meeting_id: &str,
    member_ids: &[String],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let rows: Vec<ReplyRow> = member_ids
        .iter()
        .map(|m| ReplyRow {
            meeting_id: meeting_id.to_string(),
            member_id: m.clone(),
            invited_at: Some(at),
            reply: "none".into(),
            access_needs: String::new(),
            access_note: None,
            replied_at: None,
            replied_by: None,
        })
        .collect();
    // One row at a time: SQLite takes no batch with ON CONFLICT through diesel.
    for row in &rows {
        crate::on_backend!(conn, |c| diesel::insert_into(meeting_replies::table)
            .values(row)
            .on_conflict((meeting_replies::meeting_id, meeting_replies::member_id))
            .do_nothing()
            .execute(c))?;
    }
    diesel::update(
        meeting_replies::table
            .filter(meeting_replies::meeting_id.eq(meeting_id))
            .filter(meeting_replies::member_id.eq_any(member_ids))
            .filter(meeting_replies::invited_at.is_null()),
    )
    .set(meeting_replies::invited_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// Records a reply (inserting the row for someone who was not invited).
pub fn save_reply(conn: &mut DbConnection, row: &ReplyRow) -> QueryResult<()> {
    use diesel::upsert::excluded;
    crate::on_backend!(conn, |c| diesel::insert_into(meeting_replies::table)
        .values(row)
        .on_conflict((meeting_replies::meeting_id, meeting_replies::member_id))
        .do_update()
        .set((
            meeting_replies::reply.eq(excluded(meeting_replies::reply)),
            meeting_replies::access_needs.eq(excluded(meeting_replies::access_needs)),
            meeting_replies::access_note.eq(excluded(meeting_replies::access_note)),
            meeting_replies::replied_at.eq(excluded(meeting_replies::replied_at)),
            meeting_replies::replied_by.eq(excluded(meeting_replies::replied_by)),
        ))
        .execute(c))?;
    Ok(())
}

pub fn reply_of(
    conn: &mut DbConnection,
    meeting_id: &str,
    member_id: &str,
) -> QueryResult<Option<ReplyRow>> {
    meeting_replies::table
        .find((meeting_id, member_id))
        .select(ReplyRow::as_select())
        .first(conn)
        .optional()
}

/// Every reply row of a meeting (invited or replied).
pub fn replies_of_meeting(conn: &mut DbConnection, meeting_id: &str) -> QueryResult<Vec<ReplyRow>> {
    meeting_replies::table
        .filter(meeting_replies::meeting_id.eq(meeting_id))
        .select(ReplyRow::as_select())
        .load(conn)
}

/// A member's replies to the meetings named.
pub fn replies_of_member(
    conn: &mut DbConnection,
    member_id: &str,
    meeting_ids: &[String],
) -> QueryResult<Vec<ReplyRow>> {
    crate::db::by_chunks(conn, meeting_ids, |conn, chunk| {
        meeting_replies::table
            .filter(meeting_replies::member_id.eq(member_id))
            .filter(meeting_replies::meeting_id.eq_any(chunk))
            .select(ReplyRow::as_select())
            .load(conn)
    })
}

/// Meetings of `group_ids` from `from` to `to` (cancelled ones too), soonest first.
pub fn meetings_between(
    conn: &mut DbConnection,
    group_ids: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .filter(meetings::group_id.eq_any(group_ids))
        .filter(meetings::meeting_date.between(from, to))
        .order((
            meetings::meeting_date.asc(),
            meetings::starts_at.asc(),
            meetings::id.asc(),
        ))
        .select(MeetingRow::as_select())
        .load(conn)
}

/// Sessions not cancelled from `from` to `to` of every group, for the reminders.
pub fn open_meetings_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .filter(meetings::meeting_date.between(from, to))
        .filter(meetings::cancelled_at.is_null())
        .order((meetings::meeting_date.asc(), meetings::id.asc()))
        .select(MeetingRow::as_select())
        .load(conn)
}

/// The invited of these meetings who have not said they cannot come.
pub fn to_remind(conn: &mut DbConnection, meeting_ids: &[String]) -> QueryResult<Vec<ReplyRow>> {
    crate::db::by_chunks(conn, meeting_ids, |conn, chunk| {
        meeting_replies::table
            .filter(meeting_replies::meeting_id.eq_any(chunk))
            .filter(meeting_replies::invited_at.is_not_null())
            .filter(meeting_replies::reply.ne("not_attending"))
            .select(ReplyRow::as_select())
            .load(conn)
    })
}

pub fn insert_token(conn: &mut DbConnection, row: &ReplyTokenRow) -> QueryResult<()> {
    diesel::insert_into(reply_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_token(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<ReplyTokenRow>> {
    reply_tokens::table
        .find(hash)
        .select(ReplyTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Every reply link of a meeting now works until `until` (its date moved).
pub fn extend_tokens(
    conn: &mut DbConnection,
    meeting_id: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(reply_tokens::table.filter(reply_tokens::meeting_id.eq(meeting_id)))
        .set(reply_tokens::expires_at.eq(until))
        .execute(conn)
}

/// The member whose calendar feed has this secret.
pub fn member_of_feed(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<String>> {
    members::table
        .filter(members::calendar_feed_hash.eq(hash))
        .filter(members::archived_at.is_null())
        .select(members::id)
        .first(conn)
        .optional()
}

pub fn set_feed(conn: &mut DbConnection, member_id: &str, hash: Option<&str>) -> QueryResult<()> {
    diesel::update(members::table.find(member_id))
        .set(members::calendar_feed_hash.eq(hash))
        .execute(conn)
        .map(|_| ())
}

pub fn has_feed(conn: &mut DbConnection, member_id: &str) -> QueryResult<bool> {
    members::table
        .find(member_id)
        .select(members::calendar_feed_hash.is_not_null())
        .first(conn)
}
