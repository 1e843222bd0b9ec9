//! What approval compares: every fact of every line of the stored draft against the run worked
//! out again, so a change that keeps the money is still seen and named.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::db::pay::PayLineRow;
use crate::db::people;
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::Money;
use crate::services::{Error, Result};

/// Everything a line says: what it pays, to whom, and how it was worked out. A line with the same
/// facts explains itself the same way; any other difference is a change the reviewer did not see.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LineFacts<'a> {
    member_id: &'a str,
    source_kind: SourceKind,
    source_id: &'a str,
    kind: LineKind,
    group_id: Option<&'a str>,
    meeting_id: Option<&'a str>,
    meeting_date: Option<NaiveDate>,
    disposition: Disposition,
    method: Option<Method>,
    payee: Option<&'a str>,
    amount_pence: i64,
    minutes: Option<i32>,
    rate_pence: Option<i64>,
    rate_card_id: Option<&'a str>,
    rule: Option<&'a str>,
    explanation: &'a str,
}

impl<'a> LineFacts<'a> {
    fn of(l: &'a PayLineRow) -> LineFacts<'a> {
        LineFacts {
            member_id: &l.member_id,
            source_kind: l.source_kind,
            source_id: &l.source_id,
            kind: l.kind,
            group_id: l.group_id.as_deref(),
            meeting_id: l.meeting_id.as_deref(),
            meeting_date: l.meeting_date,
            disposition: l.disposition,
            method: l.method,
            payee: l.payee.as_deref(),
            amount_pence: l.amount_pence,
            minutes: l.minutes,
            rate_pence: l.rate_pence,
            rate_card_id: l.rate_card_id.as_deref(),
            rule: l.rule.as_deref(),
            explanation: &l.explanation,
        }
    }

    /// The names of the facts that differ between two lines of one source, in words.
    fn differences(&self, now: &LineFacts) -> Vec<String> {
        let mut out = Vec::new();
        let opt = |v: Option<i32>| v.map_or_else(|| "none".to_string(), |m| m.to_string());
        let money = |p: Option<i64>| {
            p.map_or_else(
                || "none".to_string(),
                |p| format!("£{}", Money::from_pence(p)),
            )
        };
        if self.minutes != now.minutes {
            out.push(format!(
                "minutes {} → {}",
                opt(self.minutes),
                opt(now.minutes)
            ));
        }
        if self.amount_pence != now.amount_pence {
            out.push(format!(
                "amount {} → {}",
                money(Some(self.amount_pence)),
                money(Some(now.amount_pence))
            ));
        }
        if self.rate_pence != now.rate_pence {
            out.push(format!(
                "rate {} → {}",
                money(self.rate_pence),
                money(now.rate_pence)
            ));
        }
        if self.rate_card_id != now.rate_card_id {
            out.push("rate card".into());
        }
        if self.rule != now.rule {
            out.push(format!(
                "rule {} → {}",
                self.rule.unwrap_or("none"),
                now.rule.unwrap_or("none")
            ));
        }
        if self.disposition != now.disposition {
            out.push(format!(
                "outcome {} → {}",
                self.disposition, now.disposition
            ));
        }
        if self.method != now.method || self.payee != now.payee {
            out.push("who is paid, or how".into());
        }
        if self.meeting_id != now.meeting_id
            || self.meeting_date != now.meeting_date
            || self.group_id != now.group_id
        {
            out.push("session".into());
        }
        if out.is_empty() && self.explanation != now.explanation {
            out.push("how it is worked out".into());
        }
        out
    }
}

/// A change between the stored lines of a draft and the same run worked out again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LineChange {
    member_id: String,
    /// The source and kind, as `attendance fee`.
    what: String,
    /// In words: `minutes 240 → 200`, `new`, `gone`.
    how: String,
}

/// Every difference between two sets of lines, ignoring ids and order. Lines are matched by their
/// source and kind; where a source has one line on each side, the facts that changed are named.
pub(super) fn line_changes(stored: &[PayLineRow], fresh: &[PayLineRow]) -> Vec<LineChange> {
    type Source<'a> = (&'a str, SourceKind, &'a str, LineKind);
    fn group(lines: &[PayLineRow]) -> BTreeMap<Source<'_>, Vec<LineFacts<'_>>> {
        let mut by: BTreeMap<Source, Vec<LineFacts>> = BTreeMap::new();
        for l in lines {
            by.entry((&l.member_id, l.source_kind, &l.source_id, l.kind))
                .or_default()
                .push(LineFacts::of(l));
        }
        for v in by.values_mut() {
            v.sort();
        }
        by
    }
    let (was, now) = (group(stored), group(fresh));
    let mut changes = Vec::new();
    let sources: std::collections::BTreeSet<&Source> = was.keys().chain(now.keys()).collect();
    for source in sources {
        let (member_id, source_kind, _, kind) = *source;
        let change = |how: String| LineChange {
            member_id: member_id.to_string(),
            what: format!("{source_kind} {kind}"),
            how,
        };
        match (was.get(source), now.get(source)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) if a.len() == 1 && b.len() == 1 => {
                changes.push(change(a[0].differences(&b[0]).join(", ")));
            }
            (Some(_), Some(_)) => changes.push(change("its lines changed".into())),
            (Some(_), None) => changes.push(change("no longer in the run".into())),
            (None, Some(_)) => changes.push(change("new".into())),
            (None, None) => {}
        }
    }
    changes
}

/// The 409 for a draft that no longer matches its recomputation, naming whom and what changed.
pub(super) fn changed_conflict(conn: &mut DbConnection, changes: &[LineChange]) -> Result<Error> {
    let mut members: Vec<String> = changes.iter().map(|c| c.member_id.clone()).collect();
    members.sort_unstable();
    members.dedup();
    let names: HashMap<String, String> = people::members_by_ids(conn, &members)?
        .into_iter()
        .map(|m| (m.id, m.preferred_name.unwrap_or(m.full_name)))
        .collect();
    const SHOWN: usize = 5;
    let shown: Vec<String> = changes
        .iter()
        .take(SHOWN)
        .map(|c| {
            let who = names
                .get(&c.member_id)
                .map_or(c.member_id.as_str(), String::as_str);
            format!("{who}: {} ({})", c.what, c.how)
        })
        .collect();
    let more = changes.len().saturating_sub(SHOWN);
    Ok(Error::Conflict(format!(
        "The run has changed since it was calculated (attendance, expenses, choices, rates or another approved run), in {} line(s) for {} member(s): {}{}. Recalculate it, review it and approve again.",
        changes.len(),
        members.len(),
        shown.join("; "),
        if more > 0 { format!("; and {more} more") } else { String::new() }
    )))
}
