//! Rows and queries of `groups`, `members`, `memberships` and the reference tables `roles` and
//! `activity_kinds`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{activity_kinds, groups, members, memberships, roles};
use super::DbConnection;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = members, treat_none_as_null = true)]
pub struct MemberRow {
    pub id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub payee_reference: Option<String>,
    pub communication_needs: Option<String>,
    pub notes: Option<String>,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `domain::formats::Formats` as stored: a comma list of codes, empty for none.
    pub preferred_formats: String,
    pub postal_address: Option<String>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = memberships, treat_none_as_null = true)]
pub struct MembershipRow {
    pub id: String,
    pub group_id: String,
    pub member_id: String,
    pub role: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub code: String,
    pub label: String,
    pub created_at: NaiveDateTime,
}

// ---- groups ----

pub fn insert_group(conn: &mut DbConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::insert_into(groups::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_group(conn: &mut DbConnection, id: &str) -> QueryResult<Option<GroupRow>> {
    groups::table
        .find(id)
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
}

/// The names of some groups: (id, name).
pub fn group_names(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    crate::db::by_chunks(conn, ids, |conn, chunk| {
        groups::table
            .filter(groups::id.eq_any(chunk))
            .select((groups::id, groups::name))
            .load::<(String, String)>(conn)
    })
}

pub fn update_group(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    description: Option<&str>,
    archived_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(groups::table.find(id))
        .set((
            groups::name.eq(name),
            groups::description.eq(description),
            groups::archived_at.eq(archived_at),
            groups::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Groups by name then id, after the cursor `(name, id)`; only `only` when given.
pub fn list_groups(
    conn: &mut DbConnection,
    only: Option<&[String]>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    let mut q = groups::table.select(GroupRow::as_select()).into_boxed();
    if let Some(ids) = only {
        q = q.filter(groups::id.eq_any(ids.to_vec()));
    }
    if let Some((name, id)) = after {
        q = q.filter(
            groups::name.gt(name.to_string()).or(groups::name
                .eq(name.to_string())
                .and(groups::id.gt(id.to_string()))),
        );
    }
    q.order((groups::name.asc(), groups::id.asc()))
        .limit(limit)
        .load(conn)
}

// ---- members ----

pub fn insert_member(conn: &mut DbConnection, row: &MemberRow) -> QueryResult<()> {
    diesel::insert_into(members::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_member(conn: &mut DbConnection, id: &str) -> QueryResult<Option<MemberRow>> {
    members::table
        .find(id)
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

pub fn save_member(conn: &mut DbConnection, row: &MemberRow) -> QueryResult<()> {
    diesel::update(members::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct MemberFilter {
    /// Lower-cased text to find in the full or preferred name.
    pub q: Option<String>,
    pub include_archived: bool,
    /// A coordinator's groups: members with a membership in one of them, or with none at all.
    pub visible_to_groups: Option<Vec<String>>,
}

/// Escapes LIKE wildcards so a search for "50%" finds "50%".
pub fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn list_members(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut q = members::table.select(MemberRow::as_select()).into_boxed();
    if let Some(text) = &filter.q {
        let pattern = like_pattern(text);
        q = q.filter(
            lower(members::full_name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(diesel::dsl::sql::<diesel::sql_types::Text>(
                    "COALESCE(preferred_name, '')",
                ))
                .like(pattern)
                .escape('\\')),
        );
    }
    if !filter.include_archived {
        q = q.filter(members::archived_at.is_null());
    }
    if let Some(groups) = &filter.visible_to_groups {
        let in_groups = memberships::table
            .filter(memberships::group_id.eq_any(groups.clone()))
            .select(memberships::member_id);
        let any_membership = memberships::table.select(memberships::member_id);
        q = q.filter(
            members::id
                .eq_any(in_groups)
                .or(diesel::dsl::not(members::id.eq_any(any_membership))),
        );
    }
    if let Some((name, id)) = after {
        q = q.filter(
            members::full_name
                .gt(name.to_string())
                .or(members::full_name
                    .eq(name.to_string())
                    .and(members::id.gt(id.to_string()))),
        );
    }
    q.order((members::full_name.asc(), members::id.asc()))
        .limit(limit)
        .load(conn)
}

/// The groups a member has ever had a role in.
pub fn member_groups(conn: &mut DbConnection, member_id: &str) -> QueryResult<Vec<String>> {
    memberships::table
        .filter(memberships::member_id.eq(member_id))
        .select(memberships::group_id)
        .distinct()
        .load(conn)
}

/// Whether a coordinator of `groups` may see the member: a membership in one of them, or none.
pub fn member_visible_to(
    conn: &mut DbConnection,
    member_id: &str,
    groups: &[String],
) -> QueryResult<bool> {
    let all: Vec<String> = memberships::table
        .filter(memberships::member_id.eq(member_id))
        .select(memberships::group_id)
        .load(conn)?;
    Ok(all.is_empty() || all.iter().any(|g| groups.contains(g)))
}

// ---- memberships ----

pub fn insert_membership(conn: &mut DbConnection, row: &MembershipRow) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn save_membership(conn: &mut DbConnection, row: &MembershipRow) -> QueryResult<()> {
    diesel::update(memberships::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_membership(conn: &mut DbConnection, id: &str) -> QueryResult<Option<MembershipRow>> {
    memberships::table
        .find(id)
        .select(MembershipRow::as_select())
        .first(conn)
        .optional()
}

/// A member's memberships of one group (to check for overlaps).
pub fn memberships_of(
    conn: &mut DbConnection,
    group_id: &str,
    member_id: &str,
) -> QueryResult<Vec<MembershipRow>> {
    memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::member_id.eq(member_id))
        .select(MembershipRow::as_select())
        .load(conn)
}

/// Memberships of a group by start date, those in force on `on` if given, after the cursor.
pub fn list_memberships(
    conn: &mut DbConnection,
    group_id: &str,
    member_id: Option<&str>,
    on: Option<NaiveDate>,
    after: Option<(NaiveDate, &str)>,
    limit: i64,
) -> QueryResult<Vec<MembershipRow>> {
    let mut q = memberships::table
        .filter(memberships::group_id.eq(group_id.to_string()))
        .select(MembershipRow::as_select())
        .into_boxed();
    if let Some(m) = member_id {
        q = q.filter(memberships::member_id.eq(m.to_string()));
    }
    if let Some(d) = on {
        q = q.filter(memberships::starts_on.le(d)).filter(
            memberships::ends_on
                .is_null()
                .or(memberships::ends_on.ge(d)),
        );
    }
    if let Some((start, id)) = after {
        q = q.filter(
            memberships::starts_on.gt(start).or(memberships::starts_on
                .eq(start)
                .and(memberships::id.gt(id.to_string()))),
        );
    }
    q.order((memberships::starts_on.asc(), memberships::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Every membership of a member, in any group, with the group's name, by start date.
pub fn memberships_of_member(
    conn: &mut DbConnection,
    member_id: &str,
) -> QueryResult<Vec<(MembershipRow, String)>> {
    memberships::table
        .inner_join(groups::table)
        .filter(memberships::member_id.eq(member_id))
        .order((memberships::starts_on.asc(), memberships::id.asc()))
        .select((MembershipRow::as_select(), groups::name))
        .load(conn)
}

/// Everyone in a group on a date who is not archived, with their membership, by name: the register.
pub fn register_members(
    conn: &mut DbConnection,
    group_id: &str,
    on: NaiveDate,
) -> QueryResult<Vec<(MembershipRow, MemberRow)>> {
    memberships::table
        .inner_join(members::table)
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::starts_on.le(on))
        .filter(
            memberships::ends_on
                .is_null()
                .or(memberships::ends_on.ge(on)),
        )
        .filter(members::archived_at.is_null())
        .order((members::full_name.asc(), members::id.asc()))
        .select((MembershipRow::as_select(), MemberRow::as_select()))
        .load(conn)
}

/// Members by id, in one query.
pub fn members_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<MemberRow>> {
    super::by_chunks(conn, ids, |conn, chunk| {
        members::table
            .filter(members::id.eq_any(chunk))
            .select(MemberRow::as_select())
            .load(conn)
    })
}

// ---- reference data ----

pub fn list_roles(conn: &mut DbConnection) -> QueryResult<Vec<RoleRow>> {
    roles::table
        .order(roles::code.asc())
        .select(RoleRow::as_select())
        .load(conn)
}

pub fn insert_role(conn: &mut DbConnection, row: &RoleRow) -> QueryResult<()> {
    diesel::insert_into(roles::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn role_exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    let n: i64 = roles::table
        .filter(roles::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn list_activity_kinds(conn: &mut DbConnection) -> QueryResult<Vec<RoleRow>> {
    activity_kinds::table
        .order(activity_kinds::code.asc())
        .select((
            activity_kinds::code,
            activity_kinds::label,
            activity_kinds::created_at,
        ))
        .load(conn)
}

pub fn insert_activity_kind(conn: &mut DbConnection, row: &RoleRow) -> QueryResult<()> {
    diesel::insert_into(activity_kinds::table)
        .values((
            activity_kinds::code.eq(&row.code),
            activity_kinds::label.eq(&row.label),
            activity_kinds::created_at.eq(row.created_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn activity_kind_exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    let n: i64 = activity_kinds::table
        .filter(activity_kinds::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
