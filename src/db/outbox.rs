//! Rows and queries of the `outbox` table. The rules (when to retry, what a message says) live in
//! `mail`; this module only reads and writes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::schema::outbox;
use super::DbConnection;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub dedupe_key: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts `row` unless a message with the same dedupe key exists; true when inserted. Runs in a
/// savepoint so a lost race on the unique key leaves the caller's transaction usable (PostgreSQL
/// aborts a transaction on any error otherwise).
pub fn insert_unless_exists(conn: &mut DbConnection, row: &OutboxRow) -> QueryResult<bool> {
    let exists: i64 = outbox::table
        .filter(outbox::dedupe_key.eq(&row.dedupe_key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    match conn.transaction(|c| diesel::insert_into(outbox::table).values(row).execute(c)) {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .filter(outbox::dedupe_key.eq(key))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// Messages whose time has come: pending ones, and ones left `sending` by a worker that stopped
/// before its lease (held in `next_attempt_at`) ran out. Oldest first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::status.eq_any([PENDING, SENDING]))
        .filter(outbox::next_attempt_at.le(now))
        .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Takes a message for sending, if nobody else took it since `seen` was read: sets it `sending`,
/// counts the attempt and holds it until `lease_until`. True when this caller won it.
pub fn claim(
    conn: &mut DbConnection,
    seen: &OutboxRow,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        outbox::table
            .filter(outbox::id.eq(&seen.id))
            .filter(outbox::status.eq(&seen.status))
            .filter(outbox::attempts.eq(seen.attempts)),
    )
    .set((
        outbox::status.eq(SENDING),
        outbox::attempts.eq(seen.attempts + 1),
        outbox::next_attempt_at.eq(lease_until),
        outbox::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn mark_sent(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(Some(now)),
            outbox::last_error.eq(None::<String>),
            outbox::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: back to `pending` at `retry_at`, or `failed` for good when `retry_at`
/// is `None`.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (status, next) = match retry_at {
        Some(at) => (PENDING, at),
        None => (FAILED, now),
    };
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status),
            outbox::next_attempt_at.eq(next),
            outbox::last_error.eq(Some(error)),
            outbox::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages by status, for /metrics.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}
