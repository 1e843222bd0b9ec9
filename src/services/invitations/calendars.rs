//! A session as a calendar file, and a member's private calendar feed of their sessions.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, TimeDelta};
use secrecy::ExposeSecret;

use super::notices::{coordinator_of, event, fallback_organizer};
use super::{belongs, group_name};
use crate::db::meetings as meeting_rows;
use crate::db::people;
use crate::db::replies as rows;
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::{self, Event, Method, Person};
use crate::services::actor::{Actor, Role};
use crate::services::audit::{self, Change};
use crate::services::meetings::visible;
use crate::services::scope::Access;
use crate::services::{secrets, Error, Result};

/// The session as an iCalendar file, for anyone who may see it: staff of its group, or a member
/// of it.
pub fn calendar_file(conn: &mut DbConnection, actor: &Actor, meeting_id: &str) -> Result<String> {
    let m = if actor.is(Role::Member) {
        let member_id = actor.member_id.clone().ok_or(Error::NotFound)?;
        let m = meeting_rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
        if !belongs(conn, &m, &member_id)? {
            return Err(Error::NotFound);
        }
        m
    } else {
        visible(conn, actor, meeting_id, Access::Read)?
    };
    let group = group_name(conn, &m.group_id)?;
    let from = coordinator_of(conn, &m.group_id)?.unwrap_or(Person {
        name: format!("{group} coordinator"),
        email: actor.email.clone(),
    });
    Ok(calendar::render(
        Method::Publish,
        &[event(&m, &group, &from, None)],
        None,
    ))
}

/// A new secret address for the member's calendar feed; the old one stops working.
pub fn reset_feed(conn: &mut DbConnection, actor: &Actor, base: &str) -> Result<String> {
    actor.require(&[Role::Member])?;
    let member_id = actor.member_id.clone().ok_or(Error::NotFound)?;
    let (token, hash) = secrets::new_token("cpf_");
    write_tx(conn, |conn| {
        rows::set_feed(conn, &member_id, Some(&hash))?;
        audit::record(
            conn,
            Some(actor),
            Change::new("member.calendar_feed_reset", "member", &member_id),
        )?;
        Ok::<_, Error>(())
    })?;
    // In the query string: request logs carry the path, never the query.
    Ok(format!(
        "{base}/calendar/feed.ics?key={}",
        token.expose_secret()
    ))
}

/// Whether the member has a calendar feed address.
pub fn has_feed(conn: &mut DbConnection, actor: &Actor) -> Result<bool> {
    let member_id = actor.member_id.clone().ok_or(Error::NotFound)?;
    Ok(rows::has_feed(conn, &member_id)?)
}

/// The member's calendar feed, by its secret: their sessions from 90 days ago to a year ahead.
/// An unknown secret is not found.
pub fn feed(conn: &mut DbConnection, token: &str, today: NaiveDate) -> Result<String> {
    let member_id =
        rows::member_of_feed(conn, &secrets::hash_token(token))?.ok_or(Error::NotFound)?;
    let memberships = people::memberships_of_member(conn, &member_id)?;
    let groups: Vec<String> = memberships
        .iter()
        .map(|(ms, _)| ms.group_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let names: HashMap<String, String> = memberships
        .iter()
        .map(|(ms, name)| (ms.group_id.clone(), name.clone()))
        .collect();
    let from = today - TimeDelta::days(90);
    let events: Vec<Event> =
        rows::meetings_between(conn, &groups, from, today + TimeDelta::days(365))?
            .into_iter()
            .filter(|m| {
                memberships.iter().any(|(ms, _)| {
                    ms.group_id == m.group_id
                        && ms.starts_on <= m.meeting_date
                        && ms.ends_on.is_none_or(|e| m.meeting_date <= e)
                })
            })
            .map(|m| {
                let group = names.get(&m.group_id).cloned().unwrap_or_default();
                event(&m, &group, &fallback_organizer(&group), None)
            })
            .collect();
    Ok(calendar::render(
        Method::Publish,
        &events,
        Some("Co-production sessions"),
    ))
}
