//! Before a session: invitations with a calendar file, replies (by an emailed link, signed in, or
//! by the coordinator on a member's behalf) with access needs, reminders, updates when the
//! session changes and notice when it is cancelled. Every message goes through the outbox, in
//! the same transaction as the change it tells of.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::meetings::{visible, MeetingView};
use super::scope::Access;
use super::{secrets, Error, FieldError, Result};
use crate::db::meetings::{self as meeting_rows, MeetingRow};
use crate::db::people::{self, MemberRow};
use crate::db::replies::{self as rows, ReplyRow};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::invitations::{
    needs_from_stored, stored_needs, suggested_needs, AccessNeed, Reply,
};
use crate::export::format::long_date;

/// The longest message a coordinator may add to an invitation, and the longest note of needs.
const MAX_MESSAGE_CHARS: usize = 2000;
const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invited {
    /// How many people were sent the invitation now.
    pub invited: usize,
    /// Those who could not be sent it, by name: they have no email address.
    pub without_email: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyView {
    pub member_id: String,
    pub name: String,
    pub reply: Reply,
    pub access_needs: Vec<AccessNeed>,
    /// Anything else they need, in their own words.
    pub access_note: Option<String>,
    pub replied_at: Option<NaiveDateTime>,
    pub invited_at: Option<NaiveDateTime>,
    /// In the group on the session's day (not archived): only they are reminded.
    pub in_group: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ReplyInput {
    pub reply: String,
    pub access_needs: Vec<String>,
    pub access_note: Option<String>,
}

/// What an emailed reply link is for: the session and the person.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub meeting: MeetingView,
    pub group_name: String,
    pub member_id: String,
    pub name: String,
    pub reply: Reply,
    pub access_needs: Vec<AccessNeed>,
    pub access_note: Option<String>,
    pub cancelled: Option<String>,
}

/// Why an emailed reply link does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link we sent, or one for another session.
    Unknown,
    /// The session has passed.
    Expired,
    /// The session is cancelled.
    Cancelled,
}

/// A session as a member sees it before it happens, with their reply.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyMeeting {
    pub meeting: MeetingView,
    pub group_name: String,
    pub reply: Reply,
    pub access_needs: Vec<AccessNeed>,
    pub access_note: Option<String>,
    /// Why it was cancelled, if it was.
    pub cancelled: Option<String>,
}

mod calendars;
mod changes;
mod notices;

pub use calendars::{calendar_file, feed, has_feed, reset_feed};
pub use changes::{cancel, changed, remind_waiting, reminder_job, send_reminders, REMINDER_EVERY};
use notices::{organizer, send, Notice};
pub use notices::{place_words, when_words, would_pay, WouldPay};

pub(super) fn name_of(m: &MemberRow) -> String {
    m.preferred_name
        .clone()
        .unwrap_or_else(|| m.full_name.clone())
}

pub(super) fn group_name(conn: &mut DbConnection, group_id: &str) -> Result<String> {
    Ok(people::find_group(conn, group_id)?
        .map(|g| g.name)
        .unwrap_or_default())
}

pub(super) fn refuse_if_cancelled(m: &MeetingRow) -> Result<()> {
    if m.cancelled_at.is_some() {
        return Err(Error::Conflict(
            "The session is cancelled, so there is nothing to invite people to or reply to.".into(),
        ));
    }
    Ok(())
}

/// Sends the session to everyone in the group on its day (or to `member_ids`, who must be in it):
/// an email with what, when, where, how long, the preparation, what it pays and links to reply,
/// and a calendar invitation. Once a day at most per person and version of the session.
pub fn invite(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    member_ids: Option<Vec<String>>,
    message: Option<String>,
    base: &str,
    today: NaiveDate,
) -> Result<Invited> {
    actor.require(&[Role::Coordinator, Role::Admin])?;
    write_tx(conn, |conn| {
        let m = visible(conn, actor, meeting_id, Access::Write)?;
        refuse_if_cancelled(&m)?;
        if m.meeting_date < today {
            return Err(Error::Conflict(
                "The session has passed, so invitations to it cannot be sent.".into(),
            ));
        }
        if message
            .as_deref()
            .is_some_and(|s| s.chars().count() > MAX_MESSAGE_CHARS)
        {
            return Err(Error::invalid(
                "message",
                format!("must be at most {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        let mut in_group = people::register_members(conn, &m.group_id, m.meeting_date)?;
        if let Some(ids) = &member_ids {
            let known: HashSet<&str> = in_group.iter().map(|(_, p)| p.id.as_str()).collect();
            let errors: Vec<FieldError> = ids
                .iter()
                .enumerate()
                .filter(|(_, id)| !known.contains(id.as_str()))
                .map(|(i, _)| {
                    FieldError::new(
                        format!("member_ids[{i}]"),
                        format!("is not in the group on {}", long_date(m.meeting_date)),
                    )
                })
                .collect();
            if !errors.is_empty() {
                return Err(Error::Validation(errors));
            }
            if ids.is_empty() {
                return Err(Error::invalid("member_ids", "name at least one member"));
            }
            in_group.retain(|(_, p)| ids.contains(&p.id));
        }
        let group = group_name(conn, &m.group_id)?;
        let from = organizer(actor, &group);
        let mut mailing = notices::Mailing::new(conn, &m, group, from, &in_group, base)?;
        mailing.message = message.as_deref();
        let mut out = Invited {
            invited: 0,
            without_email: Vec::new(),
        };
        let mut invited = Vec::new();
        for (_, member) in &in_group {
            let Some(email) = member.email.clone() else {
                out.without_email.push(member.full_name.clone());
                continue;
            };
            invited.push(member.id.clone());
            let key = format!(
                "meeting-invitation:{}:{}:{}:{today}",
                m.id, member.id, m.calendar_sequence
            );
            if send(conn, &mailing, &key, Notice::Invitation, member, &email)? {
                out.invited += 1;
            }
        }
        rows::mark_invited(conn, &m.id, &invited, db::now())?;
        audit::record(
            conn,
            Some(actor),
            Change::new("meeting.invited", "meeting", &m.id).after(serde_json::json!({
                "invited": out.invited, "member_ids": invited, "without_email": out.without_email.len()
            })),
        )?;
        Ok(out)
    })
}

/// Everyone in the group on the session's day, and anyone else invited or who replied, with
/// what they said; by name.
/// Changes a session; when its date, time, length or place changed, everyone invited is sent an
/// update saying what changed, with the calendar entry's next version. `base` is the portal's
/// address, for their reply links.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    fields: super::meetings::MeetingFields,
    base: &str,
    today: NaiveDate,
) -> Result<MeetingView> {
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        let (before, mut after) = super::meetings::update_row(conn, actor, id, fields)?;
        changed(conn, actor, &before, &mut after, base, today)?;
        Ok(MeetingView::from(&after))
    })
}

pub fn replies(conn: &mut DbConnection, actor: &Actor, meeting_id: &str) -> Result<Vec<ReplyView>> {
    // Access needs are health-related: for those who arrange the session, not finance.
    actor.require(&[Role::Coordinator, Role::Admin])?;
    let m = visible(conn, actor, meeting_id, Access::Read)?;
    let in_group = people::register_members(conn, &m.group_id, m.meeting_date)?;
    let mut by_member: HashMap<String, ReplyRow> = rows::replies_of_meeting(conn, &m.id)?
        .into_iter()
        .map(|r| (r.member_id.clone(), r))
        .collect();
    let view = |member: &MemberRow, r: Option<ReplyRow>, in_group: bool| ReplyView {
        in_group,
        member_id: member.id.clone(),
        name: member.full_name.clone(),
        reply: r
            .as_ref()
            .and_then(|r| Reply::parse(&r.reply))
            .unwrap_or(Reply::None),
        access_needs: r
            .as_ref()
            .map(|r| needs_from_stored(&r.access_needs))
            .unwrap_or_default(),
        access_note: r.as_ref().and_then(|r| r.access_note.clone()),
        replied_at: r.as_ref().and_then(|r| r.replied_at),
        invited_at: r.and_then(|r| r.invited_at),
    };
    let mut out: Vec<ReplyView> = in_group
        .iter()
        .map(|(_, member)| view(member, by_member.remove(&member.id), true))
        .collect();
    if !by_member.is_empty() {
        let ids: Vec<String> = by_member.keys().cloned().collect();
        for member in people::members_by_ids(conn, &ids)? {
            let r = by_member.remove(&member.id);
            out.push(view(&member, r, false));
        }
    }
    Ok(out)
}

/// Checks a reply: one of the three answers, known needs, a note of a sensible length.
fn checked(input: &ReplyInput) -> Result<(Reply, Vec<AccessNeed>, Option<String>)> {
    let mut errors = Vec::new();
    let reply = match Reply::parse(input.reply.trim()) {
        Some(r) if r != Reply::None => r,
        _ => {
            errors.push(FieldError::new(
                "reply",
                "must be attending, not_attending or maybe",
            ));
            Reply::None
        }
    };
    let mut needs = Vec::new();
    for (i, code) in input.access_needs.iter().enumerate() {
        match AccessNeed::parse(code) {
            Some(n) => needs.push(n),
            None => errors.push(FieldError::new(
                format!("access_needs[{i}]"),
                "must be interpreter, large_print_papers, step_free, quiet_space or companion",
            )),
        }
    }
    let note = input
        .access_note
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        errors.push(FieldError::new(
            "access_note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    super::input::finish(errors)?;
    Ok((reply, needs, note))
}

fn save(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    m: &MeetingRow,
    member_id: &str,
    input: &ReplyInput,
) -> Result<ReplyView> {
    let (reply, needs, note) = checked(input)?;
    let before = rows::reply_of(conn, &m.id, member_id)?;
    let row = ReplyRow {
        meeting_id: m.id.clone(),
        member_id: member_id.to_string(),
        invited_at: before.as_ref().and_then(|b| b.invited_at),
        reply: reply.as_str().to_string(),
        access_needs: stored_needs(&needs),
        access_note: note.clone(),
        replied_at: Some(db::now()),
        replied_by: actor.map(|a| a.account_id.clone()),
    };
    rows::save_reply(conn, &row)?;
    let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let view = ReplyView {
        member_id: member_id.to_string(),
        name: member.full_name,
        reply,
        access_needs: needs,
        access_note: note,
        replied_at: row.replied_at,
        invited_at: row.invited_at,
        in_group: true,
    };
    audit::record(
        conn,
        actor,
        Change::new("meeting.replied", "meeting", &m.id).after(serde_json::json!({
            // Not the access needs: they are health-related and kept with the reply only.
            "member_id": member_id, "reply": reply, "by_link": actor.is_none()
        })),
    )?;
    Ok(view)
}

/// Whether the member is (or was invited as) one of the session's people.
fn belongs(conn: &mut DbConnection, m: &MeetingRow, member_id: &str) -> Result<bool> {
    let in_group = people::register_members(conn, &m.group_id, m.meeting_date)?
        .iter()
        .any(|(_, p)| p.id == member_id);
    Ok(in_group || rows::reply_of(conn, &m.id, member_id)?.is_some_and(|r| r.invited_at.is_some()))
}

/// A reply by the member themself (signed in) or by a coordinator on their behalf. A session not
/// theirs is not found; a cancelled or past one cannot be replied to.
pub fn reply(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    member_id: &str,
    input: &ReplyInput,
    today: NaiveDate,
) -> Result<ReplyView> {
    write_tx(conn, |conn| {
        let m = if actor.is(Role::Member) {
            if !actor.is_member(member_id) {
                return Err(Error::NotFound);
            }
            let m = meeting_rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
            if !belongs(conn, &m, member_id)? {
                return Err(Error::NotFound);
            }
            m
        } else {
            actor.require(&[Role::Coordinator, Role::Admin])?;
            let m = visible(conn, actor, meeting_id, Access::Write)?;
            if !belongs(conn, &m, member_id)? {
                return Err(Error::NotFound);
            }
            m
        };
        refuse_if_cancelled(&m)?;
        if m.meeting_date < today {
            return Err(Error::Conflict(
                "The session has passed; its register says who came.".into(),
            ));
        }
        save(conn, Some(actor), &m, member_id, input)
    })
}

/// What an emailed link is for, without changing anything (mail scanners open links).
pub fn link(
    conn: &mut DbConnection,
    meeting_id: &str,
    token: &str,
    now: NaiveDateTime,
) -> Result<std::result::Result<LinkTarget, LinkProblem>> {
    let Some(t) = rows::find_token(conn, &secrets::hash_token(token))? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if t.meeting_id != meeting_id {
        return Ok(Err(LinkProblem::Unknown));
    }
    if t.expires_at <= now {
        return Ok(Err(LinkProblem::Expired));
    }
    let m = meeting_rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
    let Some(member) = people::find_member(conn, &t.member_id)? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if member.archived_at.is_some() {
        return Ok(Err(LinkProblem::Unknown));
    }
    let r = rows::reply_of(conn, &m.id, &member.id)?;
    let replied = r.as_ref().is_some_and(|r| r.replied_at.is_some());
    Ok(Ok(LinkTarget {
        group_name: group_name(conn, &m.group_id)?,
        meeting: MeetingView::from(&m),
        member_id: member.id.clone(),
        name: name_of(&member),
        reply: r
            .as_ref()
            .and_then(|r| Reply::parse(&r.reply))
            .unwrap_or(Reply::None),
        // Until they have replied, what their communication needs suggest.
        access_needs: if replied {
            r.as_ref()
                .map(|r| needs_from_stored(&r.access_needs))
                .unwrap_or_default()
        } else {
            suggested_needs(member.communication_needs.as_deref())
        },
        access_note: r.and_then(|r| r.access_note),
        cancelled: m
            .cancelled_at
            .map(|_| m.cancel_reason.clone().unwrap_or_default()),
    }))
}

/// A reply confirmed on the page an emailed link opened.
pub fn reply_by_link(
    conn: &mut DbConnection,
    meeting_id: &str,
    token: &str,
    input: &ReplyInput,
    now: NaiveDateTime,
) -> Result<std::result::Result<ReplyView, LinkProblem>> {
    write_tx(conn, |conn| {
        let target = match link(conn, meeting_id, token, now)? {
            Ok(t) => t,
            Err(p) => return Ok(Err(p)),
        };
        let m = meeting_rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
        if m.cancelled_at.is_some() {
            return Ok(Err(LinkProblem::Cancelled));
        }
        save(conn, None, &m, &target.member_id, input).map(Ok)
    })
}

/// The member's sessions from `today` on (a year ahead at most), with their replies; cancelled
/// ones say so.
pub fn my_meetings(
    conn: &mut DbConnection,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Vec<MyMeeting>> {
    actor.require(&[Role::Member])?;
    let member_id = actor.member_id.clone().ok_or(Error::NotFound)?;
    let member = people::find_member(conn, &member_id)?.ok_or(Error::NotFound)?;
    let memberships = people::memberships_of_member(conn, &member_id)?;
    let until = today + TimeDelta::days(365);
    let groups: Vec<String> = memberships
        .iter()
        .filter(|(ms, _)| ms.ends_on.is_none_or(|e| e >= today))
        .map(|(ms, _)| ms.group_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let names: HashMap<String, String> = memberships
        .iter()
        .map(|(ms, name)| (ms.group_id.clone(), name.clone()))
        .collect();
    // Sessions on days they are in the group.
    let meetings: Vec<MeetingRow> = rows::meetings_between(conn, &groups, today, until)?
        .into_iter()
        .filter(|m| {
            memberships.iter().any(|(ms, _)| {
                ms.group_id == m.group_id
                    && ms.starts_on <= m.meeting_date
                    && ms.ends_on.is_none_or(|e| m.meeting_date <= e)
            })
        })
        .collect();
    let ids: Vec<String> = meetings.iter().map(|m| m.id.clone()).collect();
    let replies: HashMap<String, ReplyRow> = rows::replies_of_member(conn, &member_id, &ids)?
        .into_iter()
        .map(|r| (r.meeting_id.clone(), r))
        .collect();
    Ok(meetings
        .iter()
        .map(|m| {
            let r = replies.get(&m.id);
            let replied = r.is_some_and(|r| r.replied_at.is_some());
            MyMeeting {
                meeting: MeetingView::from(m),
                group_name: names.get(&m.group_id).cloned().unwrap_or_default(),
                reply: r
                    .and_then(|r| Reply::parse(&r.reply))
                    .unwrap_or(Reply::None),
                access_needs: if replied {
                    r.map(|r| needs_from_stored(&r.access_needs))
                        .unwrap_or_default()
                } else {
                    suggested_needs(member.communication_needs.as_deref())
                },
                access_note: r.and_then(|r| r.access_note.clone()),
                cancelled: m
                    .cancelled_at
                    .map(|_| m.cancel_reason.clone().unwrap_or_default()),
            }
        })
        .collect())
}
