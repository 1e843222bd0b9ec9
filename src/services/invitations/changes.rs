//! What happens to a session after the invitations: it changes (an update to everyone invited),
//! it is cancelled (a cancellation for their calendars), or it comes near (one reminder each).

use chrono::{NaiveDate, TimeDelta};

use super::notices::{
    coordinator_of, event, fallback_organizer, organizer, send, tell_invited, Mailing, Notice,
};
use super::{group_name, name_of};
use crate::db::meetings::{self as meeting_rows, MeetingRow};
use crate::db::people;
use crate::db::replies as rows;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::calendar::{self, Method, Person};
use crate::domain::formats::Formats;
use crate::domain::invitations::{link_expires, reminder_due, Changed};
use crate::export::format::long_date;
use crate::mail::Template;
use crate::services::actor::{Actor, Role};
use crate::services::audit::{self, Change};
use crate::services::meetings::{visible, MeetingView};
use crate::services::scope::Access;
use crate::services::{Error, Result};

/// How far ahead the reminders look (the most `reminder_days` may be).
const REMINDER_HORIZON_DAYS: i64 = 60;

/// Cancels a session with a reason: everyone invited is sent the cancellation for their
/// calendar. A session whose register is taken cannot be cancelled (correct the register first).
pub fn cancel(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    reason: &str,
) -> Result<MeetingView> {
    actor.require(&[Role::Coordinator, Role::Admin])?;
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "Say why the session is cancelled, in at most 500 characters",
        ));
    }
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        let before = visible(conn, actor, meeting_id, Access::Write)?;
        if before.cancelled_at.is_some() {
            return Err(Error::Conflict("The session is already cancelled.".into()));
        }
        if meeting_rows::attendance_of_meeting(conn, meeting_id)?
            .iter()
            .any(|r| r.status.is_paid())
            || !crate::db::meetings::expenses_of_meeting(conn, meeting_id)?.is_empty()
        {
            return Err(Error::Conflict(
                "People are recorded as attending this session, or have claimed expenses for it; change the register and claims first."
                    .into(),
            ));
        }
        let mut m = before.clone();
        m.cancelled_at = Some(db::now());
        m.cancel_reason = Some(reason.clone());
        m.calendar_sequence += 1;
        m.updated_at = db::now();
        meeting_rows::save_meeting(conn, &m)?;
        let group = group_name(conn, &m.group_id)?;
        let from = organizer(actor, &group);
        tell_invited(conn, &m, |member, email| {
            let t = Template::new(format!(
                "Cancelled: {}, {}",
                m.title,
                m.meeting_date.format("%A %-d %B")
            ))
            .greeting(name_of(member))
            .paragraph(format!(
                "{} of {group} on {} is cancelled.",
                m.title,
                long_date(m.meeting_date)
            ))
            .paragraph(format!("The reason: {reason}"))
            .paragraph("The calendar file with this email takes it out of your calendar.")
            .paragraph(format!(
                "Questions? Ask your coordinator at {}.",
                from.email
            ))
            .large_print(Formats::from_stored(&member.preferred_formats).large_print());
            let who = Person {
                name: name_of(member),
                email: email.to_string(),
            };
            let ics =
                calendar::render(Method::Cancel, &[event(&m, &group, &from, Some(who))], None);
            (
                format!("meeting-cancelled:{}:{}", m.id, member.id),
                t.render(email).with_calendar(ics),
            )
        })?;
        let view = MeetingView::from(&m);
        audit::record(
            conn,
            Some(actor),
            Change::new("meeting.cancelled", "meeting", &m.id)
                .before(MeetingView::from(&before))
                .after(serde_json::json!({"reason": reason})),
        )?;
        Ok(view)
    })
}

/// After a session's date, time, length or place changed: one more calendar version, reply links
/// that work to its new day, and an update to everyone invited saying what changed. Called by
/// `meetings::update` in its transaction.
pub fn changed(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &MeetingRow,
    after: &mut MeetingRow,
    base: &str,
    today: NaiveDate,
) -> Result<()> {
    let change = Changed {
        date: (before.meeting_date, after.meeting_date),
        starts_at: (before.starts_at.as_deref(), after.starts_at.as_deref()),
        minutes: (before.duration_minutes, after.duration_minutes),
        place: (before.location.as_deref(), after.location.as_deref()),
    };
    let words = change.words();
    if words.is_empty() || after.cancelled_at.is_some() {
        return Ok(());
    }
    // The calendar entry's next version, whoever was told of the last one (a downloaded file or
    // the feed moves too).
    after.calendar_sequence += 1;
    meeting_rows::save_meeting(conn, after)?;
    rows::extend_tokens(conn, &after.id, link_expires(after.meeting_date))?;
    // A session moved into the past has nothing left to reply to.
    if after.meeting_date < today {
        return Ok(());
    }
    let invited = super::notices::invited_people(conn, after)?;
    if invited.is_empty() {
        return Ok(());
    }
    let group = group_name(conn, &after.group_id)?;
    let from = organizer(actor, &group);
    let in_group = people::register_members(conn, &after.group_id, after.meeting_date)?;
    let mailing = Mailing::new(conn, after, group, from, &in_group, base)?;
    for (member, email) in invited {
        let key = format!(
            "meeting-update:{}:{}:{}",
            after.id, member.id, after.calendar_sequence
        );
        send(
            conn,
            &mailing,
            &key,
            Notice::Update(&words),
            &member,
            &email,
        )?;
    }
    Ok(())
}

/// One reminder, `reminder_days` before each session, to everyone invited before then who is in
/// the group on its day and has not said they cannot come, with the calendar file again (someone
/// invited inside those days has just had the invitation). Never twice to one person for one day
/// of a session, however often this runs and on however many instances (the outbox key).
pub fn send_reminders(conn: &mut DbConnection, today: NaiveDate, base: &str) -> Result<usize> {
    let due: Vec<String> =
        rows::open_meetings_between(conn, today, today + TimeDelta::days(REMINDER_HORIZON_DAYS))?
            .into_iter()
            .filter(|m| reminder_due(m.meeting_date, m.reminder_days, today))
            .map(|m| m.id)
            .collect();
    let mut sent = 0;
    for id in &due {
        sent += write_tx(conn, |conn| remind_one(conn, id, today, base))?;
    }
    Ok(sent)
}

/// The reminders of one session, read again under its lock (it may have changed or been
/// cancelled since it was found due).
fn remind_one(conn: &mut DbConnection, id: &str, today: NaiveDate, base: &str) -> Result<usize> {
    let Some(m) = meeting_rows::lock_meeting(conn, id)? else {
        return Ok(0);
    };
    if m.cancelled_at.is_some() || !reminder_due(m.meeting_date, m.reminder_days, today) {
        return Ok(0);
    }
    let window = m.meeting_date - TimeDelta::days(i64::from(m.reminder_days));
    let mine: std::collections::HashSet<String> =
        rows::to_remind(conn, std::slice::from_ref(&m.id))?
            .into_iter()
            .filter(|r| r.invited_at.is_some_and(|at| at.date() < window))
            .map(|r| r.member_id)
            .collect();
    if mine.is_empty() {
        return Ok(0);
    }
    let group = group_name(conn, &m.group_id)?;
    let from = coordinator_of(conn, &m.group_id)?.unwrap_or_else(|| fallback_organizer(&group));
    let in_group = people::register_members(conn, &m.group_id, m.meeting_date)?;
    let mailing = Mailing::new(conn, &m, group, from, &in_group, base)?;
    let mut n = 0;
    for (_, member) in in_group.iter().filter(|(_, p)| mine.contains(&p.id)) {
        let Some(email) = member.email.clone() else {
            continue;
        };
        let key = format!("meeting-reminder:{}:{}:{}", m.id, member.id, m.meeting_date);
        if send(conn, &mailing, &key, Notice::Reminder, member, &email)? {
            n += 1;
        }
    }
    Ok(n)
}

/// The coordinator's reminder, from the session's page, to those invited and in the group on its
/// day who have not replied: at most once a day each.
pub fn remind_waiting(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    base: &str,
    today: NaiveDate,
) -> Result<usize> {
    actor.require(&[Role::Coordinator, Role::Admin])?;
    write_tx(conn, |conn| {
        let m = visible(conn, actor, meeting_id, Access::Write)?;
        super::refuse_if_cancelled(&m)?;
        if m.meeting_date < today {
            return Err(Error::Conflict(
                "The session has passed, so there is nothing to remind people of.".into(),
            ));
        }
        let waiting: std::collections::HashSet<String> = rows::replies_of_meeting(conn, &m.id)?
            .into_iter()
            .filter(|r| r.invited_at.is_some() && r.reply == "none")
            .map(|r| r.member_id)
            .collect();
        let group = group_name(conn, &m.group_id)?;
        let from = organizer(actor, &group);
        let in_group = people::register_members(conn, &m.group_id, m.meeting_date)?;
        let mailing = Mailing::new(conn, &m, group, from, &in_group, base)?;
        let mut n = 0;
        for (_, member) in in_group.iter().filter(|(_, p)| waiting.contains(&p.id)) {
            let Some(email) = member.email.clone() else {
                continue;
            };
            let key = format!("meeting-nudge:{}:{}:{today}", m.id, member.id);
            if send(conn, &mailing, &key, Notice::Reminder, member, &email)? {
                n += 1;
            }
        }
        audit::record(
            conn,
            Some(actor),
            Change::new("meeting.reminded", "meeting", &m.id)
                .after(serde_json::json!({ "reminded": n })),
        )?;
        Ok(n)
    })
}

/// How often the reminders are looked for.
pub const REMINDER_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// The reminders as a job of the mail worker: each pass sends those due today.
pub fn reminder_job(settings: std::sync::Arc<crate::config::Settings>) -> crate::mail::worker::Job {
    crate::mail::worker::Job {
        name: "reminders",
        every: REMINDER_EVERY,
        run: std::sync::Arc::new(move |db: &crate::db::Database| {
            let mut conn = db.get().map_err(|e| e.to_string())?;
            send_reminders(&mut conn, settings.today(), &settings.public_base())
                .map_err(|e| e.to_string())
        }),
    }
}
