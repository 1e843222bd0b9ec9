//! A letter about a member's payments, for the Jobcentre or a benefits adviser: the member asks
//! for their own; a coordinator of one of their groups, finance and admins for them (anyone else
//! finds no such member). It covers the last 12 months by default, or a tax year, or dates; its
//! figures are the statement's (`statements::build`), counted by the date money was paid, and its
//! rates are the rules `domain::rates::resolve` picks for each of the member's roles.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate, Weekday};

use super::actor::{Actor, Role};
use super::statements::{self, Span};
use super::{limits as limit_service, preferences, rates as rate_service, Error, Result};
use crate::db::meetings as meeting_rows;
use crate::db::pay::{self as rows};
use crate::db::people::{self, MembershipRow};
use crate::db::DbConnection;
use crate::domain::draft::{latest_in_force, CapAmount, Choices};
use crate::domain::formats::Formats;
use crate::domain::letter::{self as counting, Grouping, Session};
use crate::domain::limits;
use crate::domain::periods::DateRange;
use crate::domain::rates::{self, Occasion, RateCard};
use crate::domain::statement::Entry;
use crate::domain::Money;
use crate::export::format::long_date;
use crate::export::letter::{
    Letter, LetterCap, LetterMember, LetterRate, LetterRole, Organisation,
};

/// `tax_year`, or `from` and `to` (as for a statement); neither means the 12 months to today.
pub fn span(
    tax_year: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Span> {
    if tax_year.is_some() || from.is_some() || to.is_some() {
        return statements::span(tax_year, from, to, today);
    }
    let start = today
        .checked_sub_months(Months::new(12))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(today);
    Ok(Span {
        range: DateRange { start, end: today },
        title: format!("The 12 months to {}", long_date(today)),
        tax_year: None,
    })
}

/// Who may have a member's letter: the member, a coordinator of one of their groups, finance and
/// admins. Anyone else is told there is no such member.
fn may_see(conn: &mut DbConnection, actor: &Actor, member_id: &str) -> Result<()> {
    let allowed = match actor.role {
        Role::Member => actor.is_member(member_id),
        Role::Coordinator => people::member_groups(conn, member_id)?
            .iter()
            .any(|g| actor.coordinates(g)),
        Role::Finance | Role::Admin => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The letter about a member's payments in `span` up to today, from `organisation`.
pub fn benefits_letter(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    span: &Span,
    organisation: Organisation,
    allowance: Money,
    today: NaiveDate,
) -> Result<Letter> {
    may_see(conn, actor, member_id)?;
    let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    // A letter says what has happened: it stops at today.
    let range = DateRange::new(span.range.start, span.range.end.min(today)).ok_or_else(|| {
        Error::invalid(
            if span.tax_year.is_some() {
                "tax_year"
            } else {
                "from"
            },
            "a letter covers dates up to today, not after",
        )
    })?;
    let span = Span {
        range,
        ..span.clone()
    };
    let as_of = range.end;
    let statement = statements::build(conn, member_id, &span, allowance, today)?;
    let history: Vec<Choices> = rows::preferences_of(conn, member_id)?
        .iter()
        .map(preferences::choices_of)
        .collect();
    let choices = latest_in_force(&history, as_of, |c| c.effective_from).cloned();
    let cap = cap_of(conn, choices.as_ref(), as_of)?;
    let grouping = Grouping::for_cap(cap.as_ref().map(|c| c.period));
    let entries: Vec<Entry> = statement.lines.iter().map(|l| l.entry()).collect();
    let memberships: Vec<(MembershipRow, String)> = people::memberships_of_member(conn, member_id)?
        .into_iter()
        .filter(|(m, _)| m.starts_on <= range.end && m.ends_on.is_none_or(|e| e >= range.start))
        .collect();
    let role_labels = labels(people::list_roles(conn)?);
    let week = match grouping {
        Grouping::Week { starts_on } => starts_on,
        _ => Weekday::Mon,
    };
    Ok(Letter {
        organisation,
        member: LetterMember {
            full_name: member.full_name.clone(),
            postal_address: member
                .postal_address
                .as_deref()
                .map(|a| a.lines().map(str::to_string).collect())
                .unwrap_or_default(),
            payee_reference: member.payee_reference.clone(),
            large_print: Formats::from_stored(&member.preferred_formats).large_print(),
        },
        generated_on: today,
        from: range.start,
        to: range.end,
        as_of,
        roles: roles(&memberships, &role_labels),
        rates: rates_of(conn, member_id, &memberships, &role_labels, as_of)?,
        involvement: counting::involvement(range, week, &sessions(conn, member_id, range)?),
        choices,
        cap,
        grouping,
        periods: counting::by_period(range, grouping, &entries),
        totals: statement.figures.totals,
        held_back_at_end: statement.held_back_at_end,
    })
}

/// The cap in force on `on`, with its name and amount that day.
fn cap_of(
    conn: &mut DbConnection,
    choices: Option<&Choices>,
    on: NaiveDate,
) -> Result<Option<LetterCap>> {
    let Some(cap) = choices.and_then(|c| c.cap.as_ref()) else {
        return Ok(None);
    };
    let (name, amount) = match &cap.amount {
        CapAmount::Fixed(a) => ("a limit of their own".to_string(), Some(*a)),
        CapAmount::Limit(code) => {
            let table = limit_service::load(conn)?;
            (
                limits::words(code).unwrap_or(code.as_str()).to_string(),
                limits::in_force(&table, code, on).map(|l| l.amount),
            )
        }
    };
    Ok(amount.map(|amount| LetterCap {
        name,
        amount,
        period: cap.period,
    }))
}

fn labels(rows: Vec<people::RoleRow>) -> HashMap<String, String> {
    rows.into_iter().map(|r| (r.code, r.label)).collect()
}

/// The member's roles in the letter's dates, by their labels.
fn roles(
    memberships: &[(MembershipRow, String)],
    role_labels: &HashMap<String, String>,
) -> Vec<LetterRole> {
    memberships
        .iter()
        .map(|(m, group)| LetterRole {
            role: role_labels.get(&m.role).cloned().unwrap_or(m.role.clone()),
            group: group.clone(),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        })
        .collect()
}

/// For each role, the rule that pays each kind of activity on the day of the letter (or the last
/// day of a role that ended before it), activities paid the same way put together.
fn rates_of(
    conn: &mut DbConnection,
    member_id: &str,
    memberships: &[(MembershipRow, String)],
    role_labels: &HashMap<String, String>,
    as_of: NaiveDate,
) -> Result<Vec<LetterRate>> {
    let Some(earliest) = memberships
        .iter()
        .map(|(m, _)| m.ends_on.unwrap_or(as_of).min(as_of))
        .min()
    else {
        return Ok(Vec::new());
    };
    let card_rows = rows::cards_overlapping(conn, earliest, as_of)?;
    let ids: Vec<String> = card_rows.iter().map(|c| c.id.clone()).collect();
    let cards: Vec<RateCard> = rate_service::domain_cards(&card_rows, &rows::rules_of(conn, &ids)?);
    let kinds = people::list_activity_kinds(conn)?;
    let mut out: Vec<LetterRate> = Vec::new();
    for (m, group) in memberships {
        let date = m.ends_on.unwrap_or(as_of).min(as_of);
        for kind in &kinds {
            let occasion = Occasion {
                member_id,
                group_id: &m.group_id,
                role: &m.role,
                activity_kind: &kind.code,
                date,
            };
            let Some(r) = rates::resolve(&cards, &occasion) else {
                continue;
            };
            let role = role_labels.get(&m.role).cloned().unwrap_or(m.role.clone());
            let same = out.iter_mut().find(|x| {
                x.role == role
                    && &x.group == group
                    && x.card == r.card.name
                    && x.basis == r.rule.basis
                    && x.prep_hourly_rate == r.rule.prep_hourly_rate
            });
            match same {
                Some(x) => x.activities.push(kind.label.clone()),
                None => out.push(LetterRate {
                    role,
                    group: group.clone(),
                    activities: vec![kind.label.clone()],
                    card: r.card.name.clone(),
                    basis: r.rule.basis.clone(),
                    prep_hourly_rate: r.rule.prep_hourly_rate,
                }),
            }
        }
    }
    Ok(out)
}

/// The member's paid attendance in `range`: the minutes attended (the whole session unless
/// recorded otherwise) and the preparation logged.
fn sessions(conn: &mut DbConnection, member_id: &str, range: DateRange) -> Result<Vec<Session>> {
    Ok(meeting_rows::attendance_of_member(conn, member_id, None)?
        .into_iter()
        .filter(|(a, m)| a.status.is_paid() && range.contains(m.meeting_date))
        .map(|(a, m)| Session {
            date: m.meeting_date,
            minutes: i64::from(a.attended_minutes.unwrap_or(m.duration_minutes))
                + i64::from(a.prep_minutes),
        })
        .collect())
}
