//! Members: the people paid for their time. No bank details are kept here: finance holds those,
//! matched by the payee reference. Archiving keeps every record and takes the member off registers.

use std::collections::HashMap;

use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::page::{cursor_of, Page, PageRequest};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::pay;
use crate::db::people::{self, MemberFilter, MemberRow};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::formats::{Format, Formats};
use crate::domain::EmailAddress;

/// The longest postal address, and its most lines.
const ADDRESS_MAX_CHARS: usize = 500;
const ADDRESS_MAX_LINES: usize = 8;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The member's reference in finance's own systems.
    pub payee_reference: Option<String>,
    /// Such as easy read or large print, in the member's own words.
    pub communication_needs: Option<String>,
    /// The formats statements, letters and emails are made in for this member: `large_print`
    /// (16 point or more on paper, larger text in emails) and `easy_read` (short sentences, the
    /// key figure first). Empty for the standard format.
    pub preferred_formats: Vec<Format>,
    /// Where letters reach the member, one line per line.
    pub postal_address: Option<String>,
    /// Seen by staff only.
    pub notes: Option<String>,
    pub archived: bool,
    pub created_at: String,
}

impl MemberView {
    fn new(r: &MemberRow, staff: bool) -> MemberView {
        MemberView {
            id: r.id.clone(),
            full_name: r.full_name.clone(),
            preferred_name: r.preferred_name.clone(),
            email: r.email.clone(),
            phone: r.phone.clone(),
            payee_reference: r.payee_reference.clone(),
            communication_needs: r.communication_needs.clone(),
            preferred_formats: Formats::from_stored(&r.preferred_formats).list(),
            postal_address: r.postal_address.clone(),
            notes: if staff { r.notes.clone() } else { None },
            archived: r.archived_at.is_some(),
            created_at: instant(r.created_at),
        }
    }
}

/// Every field a member record has; `None` in an update leaves the field alone, `Some(None)`
/// clears it.
#[derive(Debug, Default, Clone)]
pub struct MemberFields {
    pub full_name: Option<String>,
    pub preferred_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub payee_reference: Option<Option<String>>,
    pub communication_needs: Option<Option<String>>,
    /// Format codes (`large_print`, `easy_read`); an empty list is the standard format.
    pub preferred_formats: Option<Vec<String>>,
    pub postal_address: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub reason: Option<String>,
}

fn apply(row: &mut MemberRow, f: &MemberFields) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(name) = &f.full_name {
        match input::optional("full_name", Some(name), 200, &mut errors) {
            Some(n) => row.full_name = n,
            None => errors.push(FieldError::new("full_name", "must not be empty")),
        }
    }
    if let Some(v) = &f.preferred_name {
        row.preferred_name = input::optional("preferred_name", v.as_deref(), 100, &mut errors);
    }
    if let Some(v) = &f.phone {
        row.phone = input::optional("phone", v.as_deref(), 40, &mut errors);
    }
    if let Some(v) = &f.payee_reference {
        row.payee_reference = input::optional("payee_reference", v.as_deref(), 100, &mut errors);
    }
    if let Some(v) = &f.communication_needs {
        row.communication_needs =
            input::optional("communication_needs", v.as_deref(), 1000, &mut errors);
    }
    if let Some(v) = &f.notes {
        row.notes = input::optional("notes", v.as_deref(), 4000, &mut errors);
    }
    if let Some(codes) = &f.preferred_formats {
        match Formats::parse_codes(codes) {
            Ok(formats) => row.preferred_formats = formats.to_stored(),
            Err((i, message)) => {
                errors.push(FieldError::new(format!("preferred_formats[{i}]"), message))
            }
        }
    }
    if let Some(v) = &f.postal_address {
        row.postal_address = postal_address(v.as_deref(), &mut errors);
    }
    if let Some(v) = &f.email {
        row.email = match input::optional("email", v.as_deref(), 254, &mut errors) {
            Some(e) => match EmailAddress::parse(&e) {
                Ok(e) => Some(e.into_inner()),
                Err(err) => {
                    errors.push(FieldError::new("email", err.to_string()));
                    None
                }
            },
            None => None,
        };
    }
    input::finish(errors)
}

/// A postal address as lines: each trimmed, blank lines dropped, at most eight lines and 500
/// characters; none at all is absent.
fn postal_address(v: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let lines: Vec<&str> = v?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines.join("\n");
    if lines.len() > ADDRESS_MAX_LINES {
        errors.push(FieldError::new(
            "postal_address",
            format!("must be at most {ADDRESS_MAX_LINES} lines"),
        ));
    } else if joined.chars().count() > ADDRESS_MAX_CHARS {
        errors.push(FieldError::new(
            "postal_address",
            format!("must be at most {ADDRESS_MAX_CHARS} characters"),
        ));
    }
    (!lines.is_empty()).then_some(joined)
}

/// The formats of the member behind an account, if it is a member's (for the emails it is sent).
pub fn formats_of(conn: &mut DbConnection, member_id: Option<&str>) -> Result<Formats> {
    let Some(id) = member_id else {
        return Ok(Formats::NONE);
    };
    Ok(people::find_member(conn, id)?
        .map(|m| Formats::from_stored(&m.preferred_formats))
        .unwrap_or_default())
}

pub fn create(conn: &mut DbConnection, actor: &Actor, fields: MemberFields) -> Result<MemberView> {
    actor.require(&[Role::Admin, Role::Coordinator])?;
    if fields
        .full_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(Error::invalid("full_name", "must not be empty"));
    }
    let now = db::now();
    let mut row = MemberRow {
        id: db::new_id(),
        full_name: String::new(),
        preferred_name: None,
        email: None,
        phone: None,
        payee_reference: None,
        communication_needs: None,
        notes: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
        preferred_formats: String::new(),
        postal_address: None,
    };
    apply(&mut row, &fields)?;
    write_tx(conn, |conn| {
        people::insert_member(conn, &row)?;
        let view = MemberView::new(&row, true);
        audit::record(
            conn,
            Some(actor),
            Change::new("member.created", "member", &row.id).after(&view),
        )?;
        Ok(view)
    })
}

/// A new member with their first role in a group, in one transaction: a coordinator adds people
/// to the groups they run.
pub fn create_in_group(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: MemberFields,
    group_id: &str,
    role: String,
    starts_on: chrono::NaiveDate,
) -> Result<MemberView> {
    super::scope::group(actor, group_id, Access::Write)?;
    write_tx(conn, |conn| {
        let member = create(conn, actor, fields)?;
        super::groups::add_membership(
            conn,
            actor,
            group_id,
            super::groups::NewMembership {
                member_id: member.id.clone(),
                role,
                starts_on,
                ends_on: None,
            },
        )?;
        Ok(member)
    })
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<MemberView> {
    scope::member(conn, actor, id, Access::Read)?;
    let row = people::find_member(conn, id)?.ok_or(Error::NotFound)?;
    Ok(MemberView::new(&row, !actor.is(Role::Member)))
}

/// Staff change any field; a member only their own contact details, communication needs,
/// formats and postal address.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    fields: MemberFields,
) -> Result<MemberView> {
    scope::member(conn, actor, id, Access::Write)?;
    if actor.is(Role::Member) {
        let mut errors = Vec::new();
        for (name, set) in [
            ("full_name", fields.full_name.is_some()),
            ("payee_reference", fields.payee_reference.is_some()),
            ("notes", fields.notes.is_some()),
        ] {
            if set {
                errors.push(FieldError::new(name, "ask your coordinator to change this"));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
    }
    write_tx(conn, |conn| {
        let before = people::find_member(conn, id)?.ok_or(Error::NotFound)?;
        crate::services::personal::refuse_if_erased(conn, id)?;
        let mut row = before.clone();
        apply(&mut row, &fields)?;
        row.updated_at = db::now();
        people::save_member(conn, &row)?;
        let view = MemberView::new(&row, !actor.is(Role::Member));
        audit::record(
            conn,
            Some(actor),
            Change::new("member.updated", "member", id)
                .before(MemberView::new(&before, true))
                .after(MemberView::new(&row, true))
                .reason(fields.reason.as_deref()),
        )?;
        Ok(view)
    })
}

/// Takes a member off registers; every record stays.
pub fn archive(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    reason: Option<&str>,
) -> Result<MemberView> {
    actor.require(&[Role::Admin, Role::Coordinator])?;
    scope::member(conn, actor, id, Access::Write)?;
    write_tx(conn, |conn| {
        let before = people::find_member(conn, id)?.ok_or(Error::NotFound)?;
        if before.archived_at.is_some() {
            return Ok(MemberView::new(&before, true));
        }
        let mut row = before.clone();
        let now = db::now();
        row.archived_at = Some(now);
        row.updated_at = now;
        people::save_member(conn, &row)?;
        let view = MemberView::new(&row, true);
        audit::record(
            conn,
            Some(actor),
            Change::new("member.archived", "member", id)
                .before(MemberView::new(&before, true))
                .after(&view)
                .reason(reason),
        )?;
        Ok(view)
    })
}

/// Members by name; `q` finds text in the full or preferred name, whatever its case.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    q: Option<&str>,
    include_archived: bool,
    page: &PageRequest,
) -> Result<Page<MemberView>> {
    scope::require_staff(actor)?;
    let limit = page.limit()?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(Error::invalid("q", "must be at most 100 characters"));
    }
    let after: Option<(String, String)> = page.after()?;
    let filter = MemberFilter {
        q: q.map(str::to_lowercase),
        include_archived,
        visible_to_groups: actor.is(Role::Coordinator).then(|| actor.group_ids.clone()),
    };
    let rows = people::list_members(
        conn,
        &filter,
        after
            .as_ref()
            .map(|(name, id)| (name.as_str(), id.as_str())),
        limit + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| cursor_of(&(r.full_name.clone(), r.id.clone())),
        |r| MemberView::new(&r, true),
    ))
}

/// Members' full names by id, for the pages that list a run's payments and lines: finance and
/// admins read every member's record, a coordinator those of their groups. An unknown id, or one
/// the actor may not see, is left out.
pub fn names(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[String],
) -> Result<HashMap<String, String>> {
    actor.require(&[Role::Admin, Role::Finance, Role::Coordinator])?;
    let mut out = HashMap::new();
    for (id, name, _, _) in pay::payees(conn, ids)? {
        if actor.is(Role::Coordinator) && !people::member_visible_to(conn, &id, &actor.group_ids)? {
            continue;
        }
        out.insert(id, name);
    }
    Ok(out)
}
