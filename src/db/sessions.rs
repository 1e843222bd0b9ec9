//! Rows and queries of `sessions` (sign-in sessions and API tokens), `one_time_tokens` (invitation
//! and reset links) and `login_failures` (throttling). Tokens are only ever looked up by hash.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_failures, one_time_tokens, sessions};
use super::DbConnection;

pub const SESSION: &str = "session";
pub const API_TOKEN: &str = "api_token";
pub const INVITATION: &str = "invitation";
pub const PASSWORD_RESET: &str = "password_reset";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn touch(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_used_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

pub fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    let ended = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(at)))
    .execute(conn);
    super::revocations::changed();
    ended
}

/// Revokes an account's live rows of `kinds`, except `keep`; returns how many.
pub fn revoke_all(
    conn: &mut DbConnection,
    account_id: &str,
    kinds: &[&str],
    keep: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::kind.eq_any(kinds))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or("")));
    let ended = diesel::update(target)
        .set(sessions::revoked_at.eq(Some(at)))
        .execute(conn);
    super::revocations::changed();
    ended
}

/// An account's API tokens that are neither revoked nor expired, newest first.
pub fn live_api_tokens(
    conn: &mut DbConnection,
    account_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::kind.eq(API_TOKEN))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::id.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn find_for_account(
    conn: &mut DbConnection,
    account_id: &str,
    id: &str,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::id.eq(id))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = one_time_tokens)]
pub struct OneTimeTokenRow {
    pub id: String,
    pub account_id: String,
    pub purpose: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert_one_time(conn: &mut DbConnection, row: &OneTimeTokenRow) -> QueryResult<()> {
    diesel::insert_into(one_time_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_one_time(
    conn: &mut DbConnection,
    purpose: &str,
    hash: &str,
) -> QueryResult<Option<OneTimeTokenRow>> {
    one_time_tokens::table
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::token_hash.eq(hash))
        .select(OneTimeTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Uses a token: true only for the one caller that marks it, so a link works once even when raced.
pub fn use_one_time(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        one_time_tokens::table
            .find(id)
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every unused link of `purpose` for an account (a newer link replaces older ones).
pub fn void_one_time(
    conn: &mut DbConnection,
    account_id: &str,
    purpose: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::account_id.eq(account_id))
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(at)))
    .execute(conn)
}

/// The newest link of `purpose` made for an account since `since`, if any.
pub fn latest_one_time_since(
    conn: &mut DbConnection,
    account_id: &str,
    purpose: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<OneTimeTokenRow>> {
    one_time_tokens::table
        .filter(one_time_tokens::account_id.eq(account_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::created_at.gt(since))
        .order(one_time_tokens::created_at.desc())
        .select(OneTimeTokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn record_failure(
    conn: &mut DbConnection,
    id: &str,
    scope: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(id),
            login_failures::scope.eq(scope),
            login_failures::failed_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Failures of `scope` since `since`: how many, and when the oldest of them happened.
pub fn failures_since(
    conn: &mut DbConnection,
    scope: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let q = login_failures::table
        .filter(login_failures::scope.eq(scope))
        .filter(login_failures::failed_at.gt(since));
    let count: i64 = q.count().get_result(conn)?;
    let oldest: Option<NaiveDateTime> = q
        .select(diesel::dsl::min(login_failures::failed_at))
        .first(conn)?;
    Ok((count, oldest))
}

pub fn clear_failures(conn: &mut DbConnection, scopes: &[String]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::scope.eq_any(scopes))).execute(conn)
}

/// Clears every count that names the account (alone, or with an address): its owner has just
/// proved they control its email.
pub fn clear_account_failures(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    let escaped = email
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    diesel::delete(
        login_failures::table.filter(
            login_failures::scope
                .eq(format!("acct:{email}"))
                .or(login_failures::scope
                    .like(format!("acct:{escaped}|addr:%"))
                    .escape('\\')),
        ),
    )
    .execute(conn)
}

pub fn prune_failures(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}
