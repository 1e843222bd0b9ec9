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

/// What a message that held a single-use link says once it has been sent or has failed for good.
pub const REMOVED_TEXT: &str =
    "This message held a single-use link. Its text was removed once it was sent.";
pub const REMOVED_HTML: &str =
    "<p>This message held a single-use link. Its text was removed once it was sent.</p>";

/// What a message says once its text was erased with the personal details it held.
pub const ERASED_TEXT: &str =
    "The text of this message was erased with the personal details it held.";
pub const ERASED_HTML: &str =
    "<p>The text of this message was erased with the personal details it held.</p>";

/// What a sent message says once the retention rule removed its text.
pub const EXPIRED_TEXT: &str =
    "The text of this message was removed once it was older than our retention rules allow.";
pub const EXPIRED_HTML: &str =
    "<p>The text of this message was removed once it was older than our retention rules allow.</p>";

/// Every text that stands in for one removed: a message holding one has nothing left to remove.
pub const REPLACED_TEXTS: [&str; 3] = [REMOVED_TEXT, ERASED_TEXT, EXPIRED_TEXT];

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
    /// The body holds a single-use link, and is removed once the message is sent or fails for good.
    pub holds_secret: bool,
    /// An iCalendar file sent with the message (an invitation, an update, a cancellation).
    pub calendar: Option<String>,
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

/// Takes up to `limit` due messages for sending, in one transaction: each is set `sending`, its
/// attempt counted and held until `lease_until`; the rows are returned as they now are. On
/// PostgreSQL the due rows are locked with FOR UPDATE SKIP LOCKED, so several instances take
/// different messages at the same moment instead of waiting on each other; SQLite has one writer
/// at a time (the transaction begins IMMEDIATE).
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    super::write_tx(conn, |conn| {
        // Written once, typed once per backend.
        macro_rules! due {
            () => {
                outbox::table
                    .filter(outbox::status.eq_any([PENDING, SENDING]))
                    .filter(outbox::next_attempt_at.le(now))
                    .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                    .limit(limit)
                    .select(OutboxRow::as_select())
            };
        }
        let mut rows: Vec<OutboxRow> = match conn {
            DbConnection::Pg(c) => due!().for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => due!().load(c)?,
        };
        if rows.is_empty() {
            return Ok(rows);
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::status.eq(SENDING),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::next_attempt_at.eq(lease_until),
                outbox::updated_at.eq(now),
            ))
            .execute(conn)?;
        for r in &mut rows {
            r.status = SENDING.to_string();
            r.attempts += 1;
            r.next_attempt_at = lease_until;
            r.updated_at = now;
        }
        Ok(rows)
    })
}

/// Records a message as sent. A message that held a single-use link loses its body, in the same
/// statement.
pub fn mark_sent(conn: &mut DbConnection, row: &OutboxRow, now: NaiveDateTime) -> QueryResult<()> {
    let target = outbox::table.find(&row.id);
    let done = (
        outbox::status.eq(SENT),
        outbox::sent_at.eq(Some(now)),
        outbox::last_error.eq(None::<String>),
        outbox::updated_at.eq(now),
    );
    if row.holds_secret {
        diesel::update(target)
            .set((
                done,
                outbox::body_text.eq(REMOVED_TEXT),
                outbox::body_html.eq(REMOVED_HTML),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target).set(done).execute(conn)?;
    }
    Ok(())
}

/// Records a failed attempt: back to `pending` at `retry_at`, or `failed` for good when `retry_at`
/// is `None` (when a message that held a single-use link loses its body: it can no longer be
/// sent, and a new invitation or reset replaces it).
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (status, next) = match retry_at {
        Some(at) => (PENDING, at),
        None => (FAILED, now),
    };
    let target = outbox::table.find(&row.id);
    let change = (
        outbox::status.eq(status),
        outbox::next_attempt_at.eq(next),
        outbox::last_error.eq(Some(error)),
        outbox::updated_at.eq(now),
    );
    if retry_at.is_none() && row.holds_secret {
        diesel::update(target)
            .set((
                change,
                outbox::body_text.eq(REMOVED_TEXT),
                outbox::body_html.eq(REMOVED_HTML),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target).set(change).execute(conn)?;
    }
    Ok(())
}

/// The queue for admins, newest first: at most `limit` messages (of `status`, when given) older
/// than the message `before`.
pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox::table
        .select(OutboxRow::as_select())
        .order(outbox::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s.to_string()));
    }
    if let Some(b) = before {
        q = q.filter(outbox::id.lt(b.to_string()));
    }
    q.load(conn)
}

/// Makes a failed message due again with its attempts reset; false if it is not failed.
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(outbox::table.find(id).filter(outbox::status.eq(FAILED)))
        .set((
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Messages by status, for /metrics.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}
