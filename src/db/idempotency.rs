//! Rows of `idempotency_keys`: the first response to a creating request, kept per account and key.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::schema::idempotency_keys;
use super::DbConnection;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub account_id: String,
    pub idem_key: String,
    pub request_hash: String,
    pub status_code: Option<i32>,
    pub response_body: Option<String>,
    pub location: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    account_id: &str,
    key: &str,
) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .find((account_id, key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}

/// Claims a key for a request in flight; false if another request holds it already.
pub fn claim(conn: &mut DbConnection, row: &IdempotencyRow) -> QueryResult<bool> {
    match conn.transaction(|c| {
        diesel::insert_into(idempotency_keys::table)
            .values(row)
            .execute(c)
    }) {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Takes over a key whose request was cut off (still without a response at `abandoned_before`,
/// as after a crash): true when this caller now holds it.
pub fn retake(
    conn: &mut DbConnection,
    account_id: &str,
    key: &str,
    abandoned_before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        idempotency_keys::table
            .find((account_id, key))
            .filter(idempotency_keys::status_code.is_null())
            .filter(idempotency_keys::created_at.lt(abandoned_before)),
    )
    .set(idempotency_keys::created_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records the response to a key's request; `body` is None for a response that held a secret.
pub fn complete(
    conn: &mut DbConnection,
    account_id: &str,
    key: &str,
    status: i32,
    body: Option<&str>,
    location: Option<&str>,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((account_id, key)))
        .set((
            idempotency_keys::status_code.eq(Some(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::location.eq(location),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn release(conn: &mut DbConnection, account_id: &str, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((account_id, key)))
        .execute(conn)
        .map(|_| ())
}

pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn)
}
