//! Rows and queries of `accounts` and `account_groups`, and the member and group lookups accounts
//! need.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{account_groups, accounts, groups, members};
use super::DbConnection;
use crate::domain::Role;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub member_id: Option<String>,
    pub disabled: bool,
    pub password_changed_at: Option<NaiveDateTime>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an update may change; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct AccountChanges {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub password_changed_at: Option<Option<NaiveDateTime>>,
    pub last_login_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &AccountRow) -> QueryResult<()> {
    diesel::insert_into(accounts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()
}

/// An account and, for a member's account, its member record: one statement.
pub fn find_with_member(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(AccountRow, Option<super::people::MemberRow>)>> {
    use super::schema::members;
    accounts::table
        .left_join(members::table)
        .filter(accounts::id.eq(id))
        .select((
            AccountRow::as_select(),
            Option::<super::people::MemberRow>::as_select(),
        ))
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .filter(accounts::email.eq(email))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_member(conn: &mut DbConnection, member_id: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .filter(accounts::member_id.eq(member_id))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &AccountChanges) -> QueryResult<()> {
    let updated = diesel::update(accounts::table.find(id))
        .set(changes)
        .execute(conn)
        .map(|_| ());
    if changes.role.is_some() || changes.disabled.is_some() || changes.password_hash.is_some() {
        super::revocations::changed();
    }
    updated
}

/// Accounts ordered by id (creation order), after `cursor`, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    role: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AccountRow>> {
    let mut q = accounts::table.select(AccountRow::as_select()).into_boxed();
    if let Some(role) = role {
        q = q.filter(accounts::role.eq(role.to_string()));
    }
    if let Some(cursor) = cursor {
        q = q.filter(accounts::id.gt(cursor.to_string()));
    }
    q.order(accounts::id.asc()).limit(limit).load(conn)
}

pub fn active_admin_exists(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = accounts::table
        .filter(accounts::role.eq(Role::Admin))
        .filter(accounts::disabled.eq(false))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether an active admin other than `except` exists.
pub fn other_active_admin_exists(conn: &mut DbConnection, except: &str) -> QueryResult<bool> {
    let n: i64 = accounts::table
        .filter(accounts::role.eq(Role::Admin))
        .filter(accounts::disabled.eq(false))
        .filter(accounts::id.ne(except))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Group ids coordinated by each of `account_ids`, in one query.
pub fn group_ids_of(
    conn: &mut DbConnection,
    account_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    account_groups::table
        .filter(account_groups::account_id.eq_any(account_ids))
        .select((account_groups::account_id, account_groups::group_id))
        .order((account_groups::account_id, account_groups::group_id))
        .load(conn)
}

/// Replaces the groups an account coordinates.
pub fn set_groups(
    conn: &mut DbConnection,
    account_id: &str,
    group_ids: &[String],
) -> QueryResult<()> {
    super::revocations::changed();
    diesel::delete(account_groups::table.filter(account_groups::account_id.eq(account_id)))
        .execute(conn)?;
    let rows: Vec<_> = group_ids
        .iter()
        .map(|g| {
            (
                account_groups::account_id.eq(account_id),
                account_groups::group_id.eq(g),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(account_groups::table)
            .values(&rows)
            .execute(c))?;
    }
    super::revocations::changed();
    Ok(())
}

/// Which of `ids` name existing groups.
pub fn existing_groups(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    groups::table
        .filter(groups::id.eq_any(ids))
        .select(groups::id)
        .load(conn)
}

pub fn member_exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n: i64 = members::table
        .filter(members::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// (id, email) of each of `ids` that names an account, in one query.
pub fn emails_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    accounts::table
        .filter(accounts::id.eq_any(ids))
        .select((accounts::id, accounts::email))
        .load(conn)
}

/// The email addresses of a group's coordinators whose accounts work, oldest account first.
pub fn coordinator_emails(conn: &mut DbConnection, group_id: &str) -> QueryResult<Vec<String>> {
    accounts::table
        .inner_join(account_groups::table)
        .filter(account_groups::group_id.eq(group_id))
        .filter(accounts::role.eq("coordinator"))
        .filter(accounts::disabled.eq(false))
        .order((accounts::created_at.asc(), accounts::id.asc()))
        .select(accounts::email)
        .load(conn)
}
