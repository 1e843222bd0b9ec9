//! Groups, members' roles in them over time (memberships), and the reference data an admin may
//! extend (roles in a group, kinds of activity).

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::page::{cursor_of, Page, PageRequest};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::accounts as account_rows;
use crate::db::people::{self, GroupRow, MembershipRow, RoleRow};
use crate::db::{self, write_tx, DbConnection};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub archived: bool,
    pub created_at: String,
}

impl From<&GroupRow> for GroupView {
    fn from(r: &GroupRow) -> GroupView {
        GroupView {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            archived: r.archived_at.is_some(),
            created_at: instant(r.created_at),
        }
    }
}

/// Creates a group. A coordinator who creates one coordinates it.
pub fn create_group(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
    description: Option<&str>,
) -> Result<GroupView> {
    actor.require(&[Role::Admin, Role::Coordinator])?;
    let mut errors = Vec::new();
    let name = input::required("name", name, 200, &mut errors);
    let description = input::optional("description", description, 2000, &mut errors);
    input::finish(errors)?;
    write_tx(conn, |conn| {
        let now = db::now();
        let row = GroupRow {
            id: db::new_id(),
            name,
            description,
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        people::insert_group(conn, &row)?;
        if actor.is(Role::Coordinator) {
            let mut groups = actor.group_ids.clone();
            groups.push(row.id.clone());
            account_rows::set_groups(conn, &actor.account_id, &groups)?;
        }
        let view = GroupView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("group.created", "group", &row.id).after(&view),
        )?;
        Ok(view)
    })
}

pub fn get_group(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<GroupView> {
    scope::group(actor, id, Access::Read)?;
    let row = people::find_group(conn, id)?.ok_or(Error::NotFound)?;
    Ok(GroupView::from(&row))
}

#[derive(Debug, Default, Clone)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub archived: Option<bool>,
}

pub fn update_group(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    changes: GroupUpdate,
) -> Result<GroupView> {
    scope::require_staff(actor)?;
    scope::group(actor, id, Access::Write)?;
    write_tx(conn, |conn| {
        let row = people::find_group(conn, id)?.ok_or(Error::NotFound)?;
        let mut errors = Vec::new();
        let name = match &changes.name {
            Some(n) => input::required("name", n, 200, &mut errors),
            None => row.name.clone(),
        };
        let description = match &changes.description {
            Some(d) => input::optional("description", d.as_deref(), 2000, &mut errors),
            None => row.description.clone(),
        };
        input::finish(errors)?;
        let now = db::now();
        let archived_at = match changes.archived {
            Some(true) => row.archived_at.or(Some(now)),
            Some(false) => None,
            None => row.archived_at,
        };
        people::update_group(conn, id, &name, description.as_deref(), archived_at, now)?;
        let after = people::find_group(conn, id)?.ok_or(Error::NotFound)?;
        let view = GroupView::from(&after);
        audit::record(
            conn,
            Some(actor),
            Change::new("group.updated", "group", id)
                .before(GroupView::from(&row))
                .after(&view),
        )?;
        Ok(view)
    })
}

/// Groups by name: all for admin and finance, their own for a coordinator.
pub fn list_groups(
    conn: &mut DbConnection,
    actor: &Actor,
    page: &PageRequest,
) -> Result<Page<GroupView>> {
    scope::require_staff(actor)?;
    let limit = page.limit()?;
    let after: Option<(String, String)> = page.after()?;
    let only = actor.is(Role::Coordinator).then(|| actor.group_ids.clone());
    let rows = people::list_groups(
        conn,
        only.as_deref(),
        after
            .as_ref()
            .map(|(name, id)| (name.as_str(), id.as_str())),
        limit + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| cursor_of(&(r.name.clone(), r.id.clone())),
        |r| GroupView::from(&r),
    ))
}

// ---- memberships ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub id: String,
    pub group_id: String,
    pub member_id: String,
    pub role: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl From<&MembershipRow> for MembershipView {
    fn from(r: &MembershipRow) -> MembershipView {
        MembershipView {
            id: r.id.clone(),
            group_id: r.group_id.clone(),
            member_id: r.member_id.clone(),
            role: r.role.clone(),
            starts_on: r.starts_on,
            ends_on: r.ends_on,
        }
    }
}

fn overlaps(
    a_start: NaiveDate,
    a_end: Option<NaiveDate>,
    b_start: NaiveDate,
    b_end: Option<NaiveDate>,
) -> bool {
    let a_end = a_end.unwrap_or(NaiveDate::MAX);
    let b_end = b_end.unwrap_or(NaiveDate::MAX);
    a_start <= b_end && b_start <= a_end
}

/// Checks a membership's role and dates, and that it overlaps no other of the same member in the
/// same group.
fn check_membership(conn: &mut DbConnection, row: &MembershipRow) -> Result<()> {
    let mut errors = Vec::new();
    if !people::role_exists(conn, &row.role)? {
        errors.push(FieldError::new(
            "role",
            "is not a known role; see GET /api/v1/roles",
        ));
    }
    if row.ends_on.is_some_and(|e| e < row.starts_on) {
        errors.push(FieldError::new("ends_on", "must not be before starts_on"));
    }
    input::finish(errors)?;
    let clash = people::memberships_of(conn, &row.group_id, &row.member_id)?
        .into_iter()
        .find(|m| m.id != row.id && overlaps(m.starts_on, m.ends_on, row.starts_on, row.ends_on));
    if let Some(m) = clash {
        return Err(Error::Conflict(format!(
            "This member already has a membership of this group from {} {}; end it first or choose other dates.",
            m.starts_on,
            m.ends_on.map_or("with no end".to_string(), |e| format!("to {e}"))
        )));
    }
    Ok(())
}

pub struct NewMembership {
    pub member_id: String,
    pub role: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

pub fn add_membership(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: &str,
    input: NewMembership,
) -> Result<MembershipView> {
    scope::group(actor, group_id, Access::Write)?;
    write_tx(conn, |conn| {
        people::find_group(conn, group_id)?.ok_or(Error::NotFound)?;
        let member = people::find_member(conn, &input.member_id)?;
        let visible = match &member {
            Some(_) => scope::member(conn, actor, &input.member_id, Access::Write).is_ok(),
            None => false,
        };
        if !visible {
            return Err(Error::invalid("member_id", "no member has this id"));
        }
        if member.is_some_and(|m| m.archived_at.is_some()) {
            return Err(Error::invalid("member_id", "this member is archived"));
        }
        let now = db::now();
        let row = MembershipRow {
            id: db::new_id(),
            group_id: group_id.to_string(),
            member_id: input.member_id,
            role: input.role,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            created_at: now,
            updated_at: now,
        };
        check_membership(conn, &row)?;
        people::insert_membership(conn, &row)?;
        let view = MembershipView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("membership.created", "membership", &row.id).after(&view),
        )?;
        Ok(view)
    })
}

#[derive(Debug, Default)]
pub struct MembershipUpdate {
    pub role: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<Option<NaiveDate>>,
    pub reason: Option<String>,
}

pub fn update_membership(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    changes: MembershipUpdate,
) -> Result<MembershipView> {
    scope::require_staff(actor)?;
    write_tx(conn, |conn| {
        let before = people::find_membership(conn, id)?.ok_or(Error::NotFound)?;
        scope::group(actor, &before.group_id, Access::Write)?;
        let mut row = before.clone();
        if let Some(r) = changes.role {
            row.role = r;
        }
        if let Some(s) = changes.starts_on {
            row.starts_on = s;
        }
        if let Some(e) = changes.ends_on {
            row.ends_on = e;
        }
        row.updated_at = db::now();
        check_membership(conn, &row)?;
        people::save_membership(conn, &row)?;
        let view = MembershipView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("membership.updated", "membership", id)
                .before(MembershipView::from(&before))
                .after(&view)
                .reason(changes.reason.as_deref()),
        )?;
        Ok(view)
    })
}

/// A member's role in a group, with the group's name.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRole {
    pub group_name: String,
    pub membership: MembershipView,
}

/// A member's roles over time in the groups the actor may see: by group name, then start date.
pub fn roles_of_member(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<MemberRole>> {
    scope::require_staff(actor)?;
    scope::member(conn, actor, member_id, Access::Read)?;
    people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let mut out = Vec::new();
    for group_id in people::member_groups(conn, member_id)? {
        if scope::group(actor, &group_id, Access::Read).is_err() {
            continue;
        }
        let Some(group) = people::find_group(conn, &group_id)? else {
            continue;
        };
        for m in people::memberships_of(conn, &group_id, member_id)? {
            out.push(MemberRole {
                group_name: group.name.clone(),
                membership: MembershipView::from(&m),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.group_name, a.membership.starts_on).cmp(&(&b.group_name, b.membership.starts_on))
    });
    Ok(out)
}

/// A new role from a date: the membership ends the day before `from`, and one with `role` starts
/// on `from` (until the old one's end, if it had one). One transaction; both changes audited.
pub fn change_role(
    conn: &mut DbConnection,
    actor: &Actor,
    membership_id: &str,
    role: &str,
    from: NaiveDate,
) -> Result<MembershipView> {
    scope::require_staff(actor)?;
    write_tx(conn, |conn| {
        let old = people::find_membership(conn, membership_id)?.ok_or(Error::NotFound)?;
        scope::group(actor, &old.group_id, Access::Write)?;
        let mut errors = Vec::new();
        if from <= old.starts_on {
            errors.push(FieldError::new(
                "starts_on",
                format!(
                    "must be after {}, when the current role started (to correct that role, change the membership itself)",
                    old.starts_on
                ),
            ));
        }
        if let Some(end) = old.ends_on.filter(|e| from > *e) {
            errors.push(FieldError::new(
                "starts_on",
                format!("must be on or before {end}, when this membership ends"),
            ));
        }
        if role == old.role {
            errors.push(FieldError::new("role", "is the role they have already"));
        }
        input::finish(errors)?;
        let now = db::now();
        let mut ended = old.clone();
        ended.ends_on = from.pred_opt();
        ended.updated_at = now;
        people::save_membership(conn, &ended)?;
        let next = MembershipRow {
            id: db::new_id(),
            group_id: old.group_id.clone(),
            member_id: old.member_id.clone(),
            role: role.to_string(),
            starts_on: from,
            ends_on: old.ends_on,
            created_at: now,
            updated_at: now,
        };
        check_membership(conn, &next)?;
        people::insert_membership(conn, &next)?;
        let view = MembershipView::from(&next);
        audit::record(
            conn,
            Some(actor),
            Change::new("membership.updated", "membership", &old.id)
                .before(MembershipView::from(&old))
                .after(MembershipView::from(&ended))
                .reason(Some("role changed")),
        )?;
        audit::record(
            conn,
            Some(actor),
            Change::new("membership.created", "membership", &next.id).after(&view),
        )?;
        Ok(view)
    })
}

/// A group's memberships by start date; `on` keeps those in force that day (the role on a date).
pub fn list_memberships(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: &str,
    member_id: Option<&str>,
    on: Option<NaiveDate>,
    page: &PageRequest,
) -> Result<Page<MembershipView>> {
    scope::group(actor, group_id, Access::Read)?;
    people::find_group(conn, group_id)?.ok_or(Error::NotFound)?;
    let limit = page.limit()?;
    let after: Option<(NaiveDate, String)> = page.after()?;
    let rows = people::list_memberships(
        conn,
        group_id,
        member_id,
        on,
        after.as_ref().map(|(d, id)| (*d, id.as_str())),
        limit + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| cursor_of(&(r.starts_on, r.id.clone())),
        |r| MembershipView::from(&r),
    ))
}

// ---- reference data ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeLabel {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy)]
pub enum Reference {
    Roles,
    ActivityKinds,
}

pub fn list_reference(conn: &mut DbConnection, kind: Reference) -> Result<Vec<CodeLabel>> {
    let rows = match kind {
        Reference::Roles => people::list_roles(conn)?,
        Reference::ActivityKinds => people::list_activity_kinds(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| CodeLabel {
            code: r.code,
            label: r.label,
        })
        .collect())
}

/// Adds a role or an activity kind. Admin only; codes are lower-case words joined by `_`.
pub fn add_reference(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: Reference,
    code: &str,
    label: &str,
) -> Result<CodeLabel> {
    actor.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let code = code.trim();
    let code_ok = !code.is_empty()
        && code.len() <= 50
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && code.starts_with(|c: char| c.is_ascii_lowercase());
    if !code_ok {
        errors.push(FieldError::new(
            "code",
            "must be 1 to 50 lower-case letters, digits or _, starting with a letter",
        ));
    }
    let label = input::required("label", label, 100, &mut errors);
    input::finish(errors)?;
    write_tx(conn, |conn| {
        let exists = match kind {
            Reference::Roles => people::role_exists(conn, code)?,
            Reference::ActivityKinds => people::activity_kind_exists(conn, code)?,
        };
        if exists {
            return Err(Error::Conflict(format!(
                "The code `{code}` is already in use."
            )));
        }
        let row = RoleRow {
            code: code.to_string(),
            label: label.clone(),
            created_at: db::now(),
        };
        let entity = match kind {
            Reference::Roles => {
                people::insert_role(conn, &row)?;
                "role"
            }
            Reference::ActivityKinds => {
                people::insert_activity_kind(conn, &row)?;
                "activity_kind"
            }
        };
        let view = CodeLabel {
            code: row.code,
            label: row.label,
        };
        audit::record(
            conn,
            Some(actor),
            Change::new(&format!("{entity}.created"), entity, &view.code).after(&view),
        )?;
        Ok(view)
    })
}

/// One person in a group on a day, for the people who run it.
#[derive(Debug, Clone, Serialize)]
pub struct RosterLine {
    pub member_id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub role: String,
    pub since: NaiveDate,
}

/// The group and everyone in it on `on`, by name. Two queries.
pub fn roster(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: &str,
    on: NaiveDate,
) -> Result<(GroupView, Vec<RosterLine>)> {
    scope::group(actor, group_id, Access::Read)?;
    let group = people::find_group(conn, group_id)?.ok_or(Error::NotFound)?;
    let mut lines: Vec<RosterLine> = people::register_members(conn, group_id, on)?
        .into_iter()
        .map(|(m, p)| RosterLine {
            member_id: p.id,
            full_name: p.full_name,
            preferred_name: p.preferred_name,
            role: m.role,
            since: m.starts_on,
        })
        .collect();
    lines.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok((GroupView::from(&group), lines))
}
