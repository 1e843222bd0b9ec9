//! Meetings and workshops, and their registers: who came, for how long, and their preparation.
//! A register is read and written in a fixed number of queries, however large the group.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::page::{cursor_of, Page, PageRequest};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::meetings::{self as rows, AttendanceRow, MeetingFilter, MeetingRow};
use crate::db::pay;
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::invitations::{needs_from_stored, AccessNeed, Reply};
use crate::domain::records::{check_attendance, AttendanceStatus, MAX_MINUTES};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: String,
    pub group_id: String,
    pub title: String,
    pub activity_kind: String,
    pub date: NaiveDate,
    /// HH:MM, local time.
    pub starts_at: Option<String>,
    pub duration_minutes: i32,
    pub prep_minutes_allowed: i32,
    pub location: Option<String>,
    pub online: bool,
    /// Days before the session that the reminder goes to those invited.
    pub reminder_days: i32,
    /// When it was cancelled, and why; a cancelled session takes no register and is never paid.
    pub cancelled_at: Option<chrono::NaiveDateTime>,
    pub cancel_reason: Option<String>,
}

impl From<&MeetingRow> for MeetingView {
    fn from(r: &MeetingRow) -> MeetingView {
        MeetingView {
            id: r.id.clone(),
            group_id: r.group_id.clone(),
            title: r.title.clone(),
            activity_kind: r.activity_kind.clone(),
            date: r.meeting_date,
            starts_at: r.starts_at.clone(),
            duration_minutes: r.duration_minutes,
            prep_minutes_allowed: r.prep_minutes_allowed,
            location: r.location.clone(),
            online: r.online,
            reminder_days: r.reminder_days,
            cancelled_at: r.cancelled_at,
            cancel_reason: r.cancel_reason.clone(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct MeetingFields {
    pub group_id: Option<String>,
    pub title: Option<String>,
    pub activity_kind: Option<String>,
    pub date: Option<NaiveDate>,
    pub starts_at: Option<Option<String>>,
    pub duration_minutes: Option<i64>,
    pub prep_minutes_allowed: Option<i64>,
    pub location: Option<Option<String>>,
    pub online: Option<bool>,
    pub reminder_days: Option<i64>,
}

fn minutes(field: &str, v: i64, min: i64, errors: &mut Vec<FieldError>) -> i32 {
    if v < min || v > i64::from(MAX_MINUTES) {
        errors.push(FieldError::new(
            field,
            format!("must be between {min} and {MAX_MINUTES} minutes"),
        ));
        return 0;
    }
    i32::try_from(v).unwrap_or(0)
}

fn apply(conn: &mut DbConnection, row: &mut MeetingRow, f: &MeetingFields) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(t) = &f.title {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 200 {
            errors.push(FieldError::new("title", "must be 1 to 200 characters"));
        }
        row.title = t.to_string();
    }
    if let Some(k) = &f.activity_kind {
        if !people::activity_kind_exists(conn, k)? {
            errors.push(FieldError::new(
                "activity_kind",
                "is not a known activity kind; see GET /api/v1/activity-kinds",
            ));
        }
        row.activity_kind = k.clone();
    }
    if let Some(d) = f.date {
        row.meeting_date = d;
    }
    if let Some(s) = &f.starts_at {
        row.starts_at = match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match NaiveTime::parse_from_str(s, "%H:%M") {
                Ok(t) => Some(t.format("%H:%M").to_string()),
                Err(_) => {
                    errors.push(FieldError::new("starts_at", "must be a time such as 14:30"));
                    None
                }
            },
            None => None,
        };
    }
    if let Some(m) = f.duration_minutes {
        row.duration_minutes = minutes("duration_minutes", m, 1, &mut errors);
    }
    if let Some(m) = f.prep_minutes_allowed {
        row.prep_minutes_allowed = minutes("prep_minutes_allowed", m, 0, &mut errors);
    }
    if let Some(l) = &f.location {
        let l = l.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if l.is_some_and(|l| l.chars().count() > 500) {
            errors.push(FieldError::new(
                "location",
                "must be at most 500 characters",
            ));
        }
        row.location = l.map(str::to_string);
    }
    if let Some(o) = f.online {
        row.online = o;
    }
    if let Some(d) = f.reminder_days {
        if !(0..=60).contains(&d) {
            errors.push(FieldError::new(
                "reminder_days",
                "must be between 0 and 60 days",
            ));
        }
        row.reminder_days = i32::try_from(d.clamp(0, 60)).unwrap_or(2);
    }
    input::finish(errors)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: MeetingFields,
) -> Result<MeetingView> {
    scope::require_staff(actor)?;
    let group_id = fields.group_id.clone().unwrap_or_default();
    let mut missing = Vec::new();
    for (name, present) in [
        ("title", fields.title.is_some()),
        ("activity_kind", fields.activity_kind.is_some()),
        ("date", fields.date.is_some()),
        ("duration_minutes", fields.duration_minutes.is_some()),
    ] {
        if !present {
            missing.push(FieldError::new(name, "is required"));
        }
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    scope::group(actor, &group_id, Access::Write).map_err(|e| match e {
        Error::NotFound => Error::invalid("group_id", "no group of yours has this id"),
        other => other,
    })?;
    write_tx(conn, |conn| {
        if people::find_group(conn, &group_id)?.is_none() {
            return Err(Error::invalid("group_id", "no group of yours has this id"));
        }
        let now = db::now();
        let mut row = MeetingRow {
            id: db::new_id(),
            group_id: group_id.clone(),
            title: String::new(),
            activity_kind: String::new(),
            meeting_date: NaiveDate::MIN,
            starts_at: None,
            duration_minutes: 0,
            prep_minutes_allowed: 0,
            location: None,
            online: false,
            created_at: now,
            updated_at: now,
            reminder_days: 2,
            calendar_sequence: 0,
            cancelled_at: None,
            cancel_reason: None,
        };
        apply(conn, &mut row, &fields)?;
        rows::insert_meeting(conn, &row)?;
        let view = MeetingView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("meeting.created", "meeting", &row.id).after(&view),
        )?;
        Ok(view)
    })
}

/// The meeting, if the actor may see its group.
pub(crate) fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    access: Access,
) -> Result<MeetingRow> {
    scope::require_staff(actor)?;
    let row = match access {
        // A change: the row is held until the transaction ends.
        Access::Write => rows::lock_meeting(conn, id)?,
        Access::Read => rows::find_meeting(conn, id)?,
    }
    .ok_or(Error::NotFound)?;
    scope::group(actor, &row.group_id, access)?;
    Ok(row)
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<MeetingView> {
    Ok(MeetingView::from(&visible(conn, actor, id, Access::Read)?))
}

/// Changes a session, in the caller's transaction (under the pay lock): the row before and after.
/// `invitations::update` is the use case, which also tells everyone invited what changed.
pub(crate) fn update_row(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    fields: MeetingFields,
) -> Result<(MeetingRow, MeetingRow)> {
    let before = visible(conn, actor, id, Access::Write)?;
    if fields
        .group_id
        .as_ref()
        .is_some_and(|g| *g != before.group_id)
    {
        return Err(Error::invalid(
            "group_id",
            "a meeting cannot move to another group",
        ));
    }
    let mut row = before.clone();
    apply(conn, &mut row, &fields)?;
    let priced_differently = row.meeting_date != before.meeting_date
        || row.duration_minutes != before.duration_minutes
        || row.prep_minutes_allowed != before.prep_minutes_allowed
        || row.activity_kind != before.activity_kind;
    if priced_differently
        && (!pay::claimed_attendance_of_meeting(conn, id)?.is_empty()
            || !pay::claimed_expenses_of_meeting(conn, id)?.is_empty())
    {
        return Err(Error::Conflict(LOCKED.into()));
    }
    if before.cancelled_at.is_some() {
        return Err(Error::Conflict(
            "The session was cancelled; make a new one instead of changing it.".into(),
        ));
    }
    row.updated_at = db::now();
    rows::save_meeting(conn, &row)?;
    audit::record(
        conn,
        Some(actor),
        Change::new("meeting.updated", "meeting", id)
            .before(MeetingView::from(&before))
            .after(MeetingView::from(&row)),
    )?;
    Ok((before, row))
}

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: &PageRequest,
) -> Result<Page<MeetingView>> {
    scope::require_staff(actor)?;
    if let Some(g) = &group_id {
        scope::group(actor, g, Access::Read)?;
    }
    let limit = page.limit()?;
    let before: Option<(NaiveDate, String)> = page.after()?;
    let filter = MeetingFilter {
        group_id,
        only_groups: actor.is(Role::Coordinator).then(|| actor.group_ids.clone()),
        from,
        to,
    };
    let rows = rows::list_meetings(
        conn,
        &filter,
        before.as_ref().map(|(d, i)| (*d, i.as_str())),
        limit + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| cursor_of(&(r.meeting_date, r.id.clone())),
        |r| MeetingView::from(&r),
    ))
}

// ---- the register ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterLine {
    pub member_id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    /// The member's role in the group on the meeting's date.
    pub membership_role: Option<String>,
    /// Null until a record is made.
    pub status: Option<AttendanceStatus>,
    pub attended_minutes: Option<i32>,
    pub prep_minutes: Option<i32>,
    /// A role for this meeting only, such as chairing it.
    pub role: Option<String>,
    pub notes: Option<String>,
    /// Paid by an approved pay run: the record cannot change (a correction is an adjustment).
    pub locked: bool,
    /// What they said before the session: `none` until they reply.
    pub reply: Reply,
    /// What they said they need to take part.
    pub access_needs: Vec<AccessNeed>,
    pub access_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Register {
    pub meeting: MeetingView,
    pub records: Vec<RegisterLine>,
}

/// Every member of the group on the meeting's date, with or without a record, and anyone else who
/// has a record, each saying whether an approved run has paid it. Four queries.
pub fn register(conn: &mut DbConnection, actor: &Actor, meeting_id: &str) -> Result<Register> {
    let meeting = visible(conn, actor, meeting_id, Access::Read)?;
    let in_group = people::register_members(conn, &meeting.group_id, meeting.meeting_date)?;
    let records = rows::attendance_of_meeting(conn, meeting_id)?;
    let paid: HashSet<String> = pay::claimed_attendance_of_meeting(conn, meeting_id)?
        .into_iter()
        .collect();
    let mut by_member: HashMap<String, AttendanceRow> = records
        .into_iter()
        .map(|r| (r.member_id.clone(), r))
        .collect();
    // Replies and access needs (health-related) for those who arrange the session, not finance.
    let replies: HashMap<String, crate::db::replies::ReplyRow> = if actor.is(Role::Finance) {
        HashMap::new()
    } else {
        crate::db::replies::replies_of_meeting(conn, meeting_id)?
            .into_iter()
            .map(|r| (r.member_id.clone(), r))
            .collect()
    };
    let line = |member: &people::MemberRow, role: Option<String>, rec: Option<AttendanceRow>| {
        let said = replies.get(&member.id);
        RegisterLine {
            reply: said
                .and_then(|r| Reply::parse(&r.reply))
                .unwrap_or(Reply::None),
            access_needs: said
                .map(|r| needs_from_stored(&r.access_needs))
                .unwrap_or_default(),
            access_note: said.and_then(|r| r.access_note.clone()),
            member_id: member.id.clone(),
            full_name: member.full_name.clone(),
            preferred_name: member.preferred_name.clone(),
            membership_role: role,
            status: rec.as_ref().map(|r| r.status),
            attended_minutes: rec.as_ref().and_then(|r| r.attended_minutes),
            prep_minutes: rec.as_ref().map(|r| r.prep_minutes),
            role: rec.as_ref().and_then(|r| r.role_override.clone()),
            locked: rec.as_ref().is_some_and(|r| paid.contains(&r.id)),
            notes: rec.and_then(|r| r.notes),
        }
    };
    let mut lines: Vec<RegisterLine> = in_group
        .iter()
        .map(|(m, member)| line(member, Some(m.role.clone()), by_member.remove(&member.id)))
        .collect();
    if !by_member.is_empty() {
        // Records of people no longer in the group (or since archived) still show.
        let ids: Vec<String> = by_member.keys().cloned().collect();
        for member in people::members_by_ids(conn, &ids)? {
            let rec = by_member.remove(&member.id);
            lines.push(line(&member, None, rec));
        }
    }
    Ok(Register {
        meeting: MeetingView::from(&meeting),
        records: lines,
    })
}

#[derive(Debug, Clone)]
pub struct RecordInput {
    pub member_id: String,
    pub status: AttendanceStatus,
    pub attended_minutes: Option<i64>,
    pub prep_minutes: Option<i64>,
    pub role: Option<String>,
    pub notes: Option<String>,
}

/// What a change to paid attendance is told.
pub const LOCKED: &str = "This attendance has been paid by an approved pay run, so it cannot change. Ask finance to record an adjustment (POST /api/v1/adjustments), which the next run pays";

/// The most records one register write takes.
pub const MAX_RECORDS: usize = 500;

/// Writes many records of one register in one transaction: every record is checked first, and if
/// any is wrong nothing is written. A fixed number of queries whatever the number of records.
pub fn save_register(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    records: Vec<RecordInput>,
) -> Result<Register> {
    if records.len() > MAX_RECORDS {
        return Err(Error::invalid(
            "records",
            format!("at most {MAX_RECORDS} records at once"),
        ));
    }
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        let meeting = visible(conn, actor, meeting_id, Access::Write)?;
        if meeting.cancelled_at.is_some() {
            return Err(Error::Conflict(
                "The session was cancelled, so it takes no register and pays nothing.".into(),
            ));
        }
        let known = Known {
            in_group: people::register_members(conn, &meeting.group_id, meeting.meeting_date)?
                .into_iter()
                .map(|(_, m)| m.id)
                .collect(),
            existing: rows::attendance_of_meeting(conn, meeting_id)?
                .into_iter()
                .map(|r| (r.member_id.clone(), r))
                .collect(),
            roles: people::list_roles(conn)?
                .into_iter()
                .map(|r| r.code)
                .collect(),
        };
        let out = check_records(&meeting, &known, &records)?;
        refuse_locked_changes(conn, &meeting, &known.existing, &out)?;
        rows::upsert_attendance(conn, &out)?;
        let summary: Vec<serde_json::Value> = out
            .iter()
            .map(|r| {
                serde_json::json!({
                    "member_id": r.member_id, "status": r.status,
                    "attended_minutes": r.attended_minutes, "prep_minutes": r.prep_minutes,
                    "role": r.role_override,
                })
            })
            .collect();
        audit::record(
            conn,
            Some(actor),
            Change::new("attendance.saved", "meeting", meeting_id)
                .after(serde_json::json!({ "records": summary })),
        )?;
        register(conn, actor, meeting_id)
    })
}

/// What a register is checked against: who is in the group that day, the records already saved,
/// and the roles there are.
struct Known {
    in_group: HashSet<String>,
    existing: HashMap<String, AttendanceRow>,
    roles: HashSet<String>,
}

/// Every record checked (all problems at once, each named by its place in the list), as the rows
/// to write.
fn check_records(
    meeting: &MeetingRow,
    known: &Known,
    records: &[RecordInput],
) -> Result<Vec<AttendanceRow>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let now = db::now();
    let mut out = Vec::with_capacity(records.len());
    for (i, rec) in records.iter().enumerate() {
        let at = |f: &str| format!("records[{i}].{f}");
        if !seen.insert(rec.member_id.clone()) {
            errors.push(FieldError::new(
                at("member_id"),
                "appears twice in this register",
            ));
            continue;
        }
        if !known.in_group.contains(&rec.member_id) && !known.existing.contains_key(&rec.member_id)
        {
            errors.push(FieldError::new(
                at("member_id"),
                "is not a current member of this group on the meeting's date",
            ));
            continue;
        }
        if let Some(role) = &rec.role {
            if !known.roles.contains(role) {
                errors.push(FieldError::new(at("role"), "is not a known role"));
            }
        }
        if rec.notes.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            errors.push(FieldError::new(
                at("notes"),
                "must be at most 2000 characters",
            ));
        }
        match check_attendance(
            meeting.duration_minutes,
            rec.status,
            rec.attended_minutes,
            rec.prep_minutes,
        ) {
            Ok(checked) => {
                let prior = known.existing.get(&rec.member_id);
                out.push(AttendanceRow {
                    id: prior.map_or_else(db::new_id, |p| p.id.clone()),
                    meeting_id: meeting.id.clone(),
                    member_id: rec.member_id.clone(),
                    status: checked.status,
                    attended_minutes: Some(checked.attended_minutes),
                    prep_minutes: checked.prep_minutes,
                    role_override: rec.role.clone(),
                    notes: rec
                        .notes
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                    created_at: prior.map_or(now, |p| p.created_at),
                    updated_at: now,
                });
            }
            Err(errs) => errors.extend(errs.into_iter().map(|(f, m)| FieldError::new(at(f), m))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(errors))
    }
}

/// Records an approved run has paid are locked: resending them unchanged is fine, changing them is
/// a conflict.
fn refuse_locked_changes(
    conn: &mut DbConnection,
    meeting: &MeetingRow,
    existing: &HashMap<String, AttendanceRow>,
    out: &[AttendanceRow],
) -> Result<()> {
    let locked: HashSet<String> = pay::claimed_attendance_of_meeting(conn, &meeting.id)?
        .into_iter()
        .collect();
    if locked.is_empty() {
        return Ok(());
    }
    for (i, new) in out.iter().enumerate() {
        let Some(old) = existing.get(&new.member_id) else {
            continue;
        };
        let same = old.status == new.status
            && old.attended_minutes.unwrap_or(meeting.duration_minutes)
                == new.attended_minutes.unwrap_or(meeting.duration_minutes)
            && old.prep_minutes == new.prep_minutes
            && old.role_override == new.role_override;
        if locked.contains(&old.id) && !same {
            return Err(Error::Conflict(format!(
                "{LOCKED} (records[{i}], member {})",
                new.member_id
            )));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberAttendance {
    pub meeting: MeetingView,
    pub status: AttendanceStatus,
    pub attended_minutes: Option<i32>,
    pub prep_minutes: i32,
    pub role: Option<String>,
}

/// A member's attendance, newest first: the member themself, finance, admins, and coordinators
/// (for their own groups' meetings).
pub fn of_member(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<MemberAttendance>> {
    scope::member(conn, actor, member_id, Access::Read)?;
    people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let only = actor
        .is(super::Role::Coordinator)
        .then(|| actor.group_ids.clone());
    Ok(
        rows::attendance_of_member(conn, member_id, only.as_deref())?
            .into_iter()
            .map(|(a, m)| MemberAttendance {
                meeting: MeetingView::from(&m),
                status: a.status,
                attended_minutes: a.attended_minutes,
                prep_minutes: a.prep_minutes,
                role: a.role_override,
            })
            .collect(),
    )
}
