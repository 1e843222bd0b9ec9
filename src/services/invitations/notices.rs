//! The messages about a session (invitation, reminder, update), each with its calendar file and
//! fresh reply links, and the facts they tell: when, where, the preparation and the pay.

use std::collections::HashMap;

use chrono::NaiveTime;
use secrecy::ExposeSecret;

use super::{group_name, name_of};
use crate::db::meetings::MeetingRow;
use crate::db::pay;
use crate::db::people::{self, MemberRow};
use crate::db::replies::{self as rows, ReplyTokenRow};
use crate::db::{self, DbConnection};
use crate::domain::calendar::{self, Event, Method, Person, When};
use crate::domain::formats::Formats;
use crate::domain::invitations::{duration_words, link_expires, Reply};
use crate::domain::rates::{self as domain_rates, Occasion};
use crate::domain::statement::pounds;
use crate::domain::Money;
use crate::mail::{self, Template};
use crate::services::actor::Actor;
use crate::services::{secrets, Result};

/// The session's start and length for a calendar.
pub(super) fn when(m: &MeetingRow) -> When {
    let minutes = i64::from(m.duration_minutes);
    match m
        .starts_at
        .as_deref()
        .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok())
    {
        Some(t) => When::At {
            start: m.meeting_date.and_time(t),
            minutes,
        },
        None => When::AllDay {
            date: m.meeting_date,
            minutes,
        },
    }
}

/// "Thursday 12 March 2026 at 10:00, for 2 hours".
pub fn when_words(m: &MeetingRow) -> String {
    let day = m.meeting_date.format("%A %-d %B %Y").to_string();
    let length = duration_words(m.duration_minutes);
    match &m.starts_at {
        Some(t) => format!("{day} at {t}, for {length}"),
        None => format!("{day}, for {length} (the start time is to be confirmed)"),
    }
}

pub fn place_words(m: &MeetingRow) -> String {
    match (&m.location, m.online) {
        (Some(l), true) => format!("{l}, or online"),
        (Some(l), false) => l.clone(),
        (None, true) => "Online".to_string(),
        (None, false) => "To be confirmed".to_string(),
    }
}

fn uid(m: &MeetingRow) -> String {
    format!("meeting-{}@coprod", m.id)
}

/// The calendar entry of a session, for one person or (with no attendee) for anyone who may see it.
pub(super) fn event(
    m: &MeetingRow,
    group: &str,
    organizer: &Person,
    attendee: Option<Person>,
) -> Event {
    let mut description = format!(
        "{} of {group}. {}. Where: {}.",
        m.title,
        when_words(m),
        place_words(m)
    );
    if m.prep_minutes_allowed > 0 {
        description.push_str(&format!(
            " Preparation allowed: up to {}.",
            duration_words(m.prep_minutes_allowed)
        ));
    }
    if let Some(r) = &m.cancel_reason {
        description = format!("Cancelled: {r}. {description}");
    }
    Event {
        uid: uid(m),
        sequence: m.calendar_sequence,
        stamp: db::now(),
        when: when(m),
        summary: m.title.clone(),
        description,
        location: m.location.clone(),
        organizer: organizer.clone(),
        attendees: attendee.into_iter().collect(),
        cancelled: m.cancelled_at.is_some(),
        url: None,
    }
}

pub(super) fn organizer(actor: &Actor, group: &str) -> Person {
    Person {
        name: format!("{group} coordinator"),
        email: actor.email.clone(),
    }
}

/// A fresh reply link for one person and one session: stored hashed, shown once in the message.
fn new_link(m: &MeetingRow, member_id: &str, base: &str) -> (String, ReplyTokenRow) {
    let (token, hash) = secrets::new_token(secrets::LINK_PREFIX);
    let row = ReplyTokenRow {
        token_hash: hash,
        meeting_id: m.id.clone(),
        member_id: member_id.to_string(),
        created_at: db::now(),
        expires_at: link_expires(m.meeting_date),
    };
    (
        format!(
            "{base}/meetings/{}/reply?token={}",
            m.id,
            token.expose_secret()
        ),
        row,
    )
}

/// What kind of message a person is sent about a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice<'a> {
    Invitation,
    Reminder,
    Update(&'a [String]),
}

/// What every message about one session to its group shares: the session, the group's name,
/// who it is from, what it pays each person, the coordinator's message and the portal's address.
pub(super) struct Mailing<'a> {
    pub m: &'a MeetingRow,
    pub group: String,
    pub from: Person,
    pub pays: HashMap<String, WouldPay>,
    pub message: Option<&'a str>,
    pub base: &'a str,
}

impl<'a> Mailing<'a> {
    /// The messages about `m` to some of `in_group`, from `from`.
    pub fn new(
        conn: &mut DbConnection,
        m: &'a MeetingRow,
        group: String,
        from: Person,
        in_group: &[(people::MembershipRow, MemberRow)],
        base: &'a str,
    ) -> Result<Mailing<'a>> {
        Ok(Mailing {
            pays: pays_of(conn, m, in_group)?,
            m,
            group,
            from,
            message: None,
            base,
        })
    }
}

/// Builds and queues one message with its calendar file, and stores its reply link when it was
/// queued (a message already sent under the same key sends nothing and stores nothing).
pub(super) fn send(
    conn: &mut DbConnection,
    mailing: &Mailing<'_>,
    key: &str,
    notice: Notice<'_>,
    member: &MemberRow,
    email: &str,
) -> Result<bool> {
    let Mailing {
        m,
        group,
        from,
        message,
        base,
        ..
    } = mailing;
    let (m, base, message) = (*m, *base, *message);
    let pays = mailing.pays.get(&member.id);
    let (link, token) = new_link(m, &member.id, base);
    let answer = |r: Reply| format!("{link}&answer={}", r.as_str());
    let day = m.meeting_date.format("%A %-d %B").to_string();
    let subject = match notice {
        Notice::Invitation => format!("Invitation: {}, {day}", m.title),
        Notice::Reminder => format!("Reminder: {}, {day}", m.title),
        Notice::Update(_) => format!("Changed: {}, {day}", m.title),
    };
    let mut t = Template::new(subject).greeting(name_of(member));
    t = match notice {
        Notice::Invitation => t.paragraph(format!("You are invited to {} of {group}.", m.title)),
        Notice::Reminder => {
            t.paragraph(format!("A reminder: {} of {group} is coming up.", m.title))
        }
        Notice::Update(changes) => t
            .paragraph(format!("{} of {group} has changed.", m.title))
            .list(changes.iter().cloned()),
    };
    let mut facts = vec![
        format!("When: {}", when_words(m)),
        format!("Where: {}", place_words(m)),
    ];
    facts.push(if m.prep_minutes_allowed > 0 {
        match pays.and_then(|p| p.prep_hourly_rate) {
            Some(rate) => format!(
                "Preparation: up to {}, paid at {} an hour",
                duration_words(m.prep_minutes_allowed),
                pounds(rate)
            ),
            None => format!(
                "Preparation: up to {}",
                duration_words(m.prep_minutes_allowed)
            ),
        }
    } else {
        "Preparation: none is needed".to_string()
    });
    facts.push(match pays {
        Some(p) => format!("Pay for the whole session: {}", pounds(p.fee)),
        None => "Pay: your coordinator will tell you what this session pays".to_string(),
    });
    t = t.list(facts);
    if let Some(msg) = message.filter(|s| !s.trim().is_empty()) {
        t = t.paragraph(format!("A message from your coordinator: {}", msg.trim()));
    }
    t = t
        .paragraph("Please tell us if you can come, and anything you need to take part:")
        .secret_link(Reply::Attending.words(), answer(Reply::Attending))
        .secret_link(Reply::NotAttending.words(), answer(Reply::NotAttending))
        .secret_link(Reply::Maybe.words(), answer(Reply::Maybe))
        .paragraph("The calendar file with this email adds the session to your calendar.")
        .paragraph(format!(
            "Questions? Ask your coordinator at {}.",
            from.email
        ))
        .link("How we use your information", format!("{base}/privacy"))
        .large_print(Formats::from_stored(&member.preferred_formats).large_print());
    let who = Person {
        name: name_of(member),
        email: email.to_string(),
    };
    let ics = calendar::render(Method::Request, &[event(m, group, from, Some(who))], None);
    let msg = t.render(email).with_calendar(ics);
    let queued = mail::queue(conn, key, &msg)?;
    if queued {
        rows::insert_token(conn, &token)?;
    }
    Ok(queued)
}

/// The role each member has in the group on the session's day, for what it pays.
fn pays_of(
    conn: &mut DbConnection,
    m: &MeetingRow,
    in_group: &[(people::MembershipRow, MemberRow)],
) -> Result<HashMap<String, WouldPay>> {
    let who: Vec<(String, String)> = in_group
        .iter()
        .map(|(ms, member)| (member.id.clone(), ms.role.clone()))
        .collect();
    would_pay(conn, m, &who)
}

/// Queues a message for everyone invited to `m` who has an email address.
/// Everyone invited to the session who is not archived, with their email address.
pub(super) fn invited_people(
    conn: &mut DbConnection,
    m: &MeetingRow,
) -> Result<Vec<(MemberRow, String)>> {
    let invited: Vec<String> = rows::replies_of_meeting(conn, &m.id)?
        .into_iter()
        .filter(|r| r.invited_at.is_some())
        .map(|r| r.member_id)
        .collect();
    Ok(people::members_by_ids(conn, &invited)?
        .into_iter()
        .filter(|p| p.archived_at.is_none())
        .filter_map(|p| p.email.clone().map(|e| (p, e)))
        .collect())
}

pub(super) fn tell_invited(
    conn: &mut DbConnection,
    m: &MeetingRow,
    mut build: impl FnMut(&MemberRow, &str) -> (String, crate::mail::Email),
) -> Result<usize> {
    let mut n = 0;
    for (member, email) in invited_people(conn, m)? {
        let (key, msg) = build(&member, &email);
        if mail::queue(conn, &key, &msg)? {
            n += 1;
        }
    }
    Ok(n)
}

/// A coordinator of the group, as the organiser of its sessions' calendar entries.
pub(super) fn coordinator_of(conn: &mut DbConnection, group_id: &str) -> Result<Option<Person>> {
    let group = group_name(conn, group_id)?;
    Ok(crate::db::accounts::coordinator_emails(conn, group_id)?
        .into_iter()
        .next()
        .map(|email| Person {
            name: format!("{group} coordinator"),
            email,
        }))
}

/// What attending the whole of a meeting would pay, under the rule that would apply, for an
/// invitation to say: the fee and the preparation rate, if the rule pays preparation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldPay {
    pub fee: Money,
    pub prep_hourly_rate: Option<Money>,
}

/// `WouldPay` for each (member, role) of `who` at `meeting`; a member no rule covers is left out.
/// Two queries, however many members.
pub fn would_pay(
    conn: &mut DbConnection,
    meeting: &MeetingRow,
    who: &[(String, String)],
) -> Result<HashMap<String, WouldPay>> {
    let card_rows = pay::cards_overlapping(conn, meeting.meeting_date, meeting.meeting_date)?;
    let ids: Vec<String> = card_rows.iter().map(|c| c.id.clone()).collect();
    let rule_rows = pay::rules_of(conn, &ids)?;
    let cards = super::super::rates::domain_cards(&card_rows, &rule_rows);
    let mut out = HashMap::new();
    for (member_id, role) in who {
        let occasion = Occasion {
            member_id,
            group_id: &meeting.group_id,
            role,
            activity_kind: &meeting.activity_kind,
            date: meeting.meeting_date,
        };
        if let Some(r) = domain_rates::resolve(&cards, &occasion) {
            let (fee, _) = domain_rates::fee(&r.rule.basis, meeting.duration_minutes);
            out.insert(
                member_id.clone(),
                WouldPay {
                    fee,
                    prep_hourly_rate: r.rule.prep_hourly_rate,
                },
            );
        }
    }
    Ok(out)
}

/// The organiser named when a group has no coordinator account.
pub(super) fn fallback_organizer(group: &str) -> Person {
    Person {
        name: format!("{group} coordinator"),
        email: "no-reply@coprod".to_string(),
    }
}
