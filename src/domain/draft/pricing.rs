//! Pricing what was recorded: each paid attendance into a fee line (and a preparation line), each
//! approved expense claim into an expense line, by the rate card or mileage rate in force, each
//! line with its explanation and what it used.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::{CarJourney, Claim, Index, Info, Inputs, MemberWork, Membership, Session, SourceKind};
use crate::domain::money::Money;
use crate::domain::payrun::{Item, LineKind};
use crate::domain::periods::TaxYear;
use crate::domain::rates::{self, Basis, MileageKind, Occasion, Resolved};
use crate::domain::records::ExpenseKind;

fn rate_of(basis: &Basis, minutes: i32) -> Money {
    match basis {
        Basis::Hourly { hourly_rate } => *hourly_rate,
        Basis::Band {
            half_day_amount,
            full_day_amount,
            boundary_minutes,
            boundary_is_full_day,
        } => {
            if minutes > *boundary_minutes
                || (minutes == *boundary_minutes && *boundary_is_full_day)
            {
                *full_day_amount
            } else {
                *half_day_amount
            }
        }
        Basis::Fixed { fixed_amount } => *fixed_amount,
    }
}

fn role_on(
    memberships: &HashMap<(&str, &str), Vec<&Membership>>,
    member: &str,
    group: &str,
    date: NaiveDate,
) -> Option<String> {
    memberships.get(&(member, group)).and_then(|ms| {
        ms.iter()
            .find(|m| m.starts_on <= date && m.ends_on.is_none_or(|e| date <= e))
            .map(|m| m.role.clone())
    })
}

/// Fees and preparation, one line per attendance (and one per preparation), priced by the rule
/// in force for the member's role at that kind of activity. An attendance with no role or no rate
/// card is left out with a warning, so a member with nothing else to be paid has no work.
pub(super) fn price_sessions(
    inputs: &Inputs,
    index: &Index,
    work: &mut BTreeMap<String, MemberWork>,
    warnings: &mut Vec<String>,
) {
    for s in &inputs.sessions {
        let role = s.role_override.clone().or_else(|| {
            role_on(
                &index.memberships,
                &s.member_id,
                &s.group_id,
                s.meeting_date,
            )
        });
        let Some(role) = role else {
            warnings.push(format!(
                "Attendance {} at \"{}\" on {} is left out: the member has no role in the group on that date.",
                s.attendance_id, s.meeting_title, s.meeting_date
            ));
            continue;
        };
        let occasion = Occasion {
            member_id: &s.member_id,
            group_id: &s.group_id,
            role: &role,
            activity_kind: &s.activity_kind,
            date: s.meeting_date,
        };
        let Some(resolved) = rates::resolve(&inputs.cards, &occasion) else {
            warnings.push(format!(
                "Attendance {} at \"{}\" on {} is left out: no rate card in force covers role {} at a {}.",
                s.attendance_id, s.meeting_title, s.meeting_date, role, s.activity_kind
            ));
            continue;
        };
        price_session(s, &resolved, work.entry(s.member_id.clone()).or_default());
    }
}

/// One attendance's fee line, and its preparation line when the rule pays preparation and some
/// was logged and allowed, each rounded once.
fn price_session(s: &Session, resolved: &Resolved, w: &mut MemberWork) {
    let (amount, how) = rates::fee(&resolved.rule.basis, s.attended_minutes);
    let key = format!("f:{}", s.attendance_id);
    let base = Info {
        source: Some((SourceKind::Attendance, s.attendance_id.clone())),
        group_id: Some(s.group_id.clone()),
        meeting_id: Some(s.meeting_id.clone()),
        meeting_title: Some(s.meeting_title.clone()),
        meeting_date: Some(s.meeting_date),
        minutes: Some(s.attended_minutes),
        rate: Some(rate_of(&resolved.rule.basis, s.attended_minutes)),
        rate_card_id: Some(resolved.card.id.clone()),
        rule: Some(resolved.reason.clone()),
    };
    w.info.insert(key.clone(), base.clone());
    w.fees.push((
        s.meeting_date,
        Item {
            source_id: key,
            kind: LineKind::Fee,
            activity: Some(s.meeting_id.clone()),
            amount,
            explanation: format!("\"{}\" on {}: {how}", s.meeting_title, s.meeting_date),
        },
    ));
    if let Some(prep_rate) = resolved.rule.prep_hourly_rate {
        if s.prep_minutes > 0 && s.prep_allowed > 0 {
            let (amount, minutes, how) = rates::prep(prep_rate, s.prep_minutes, s.prep_allowed);
            let key = format!("p:{}", s.attendance_id);
            w.info.insert(
                key.clone(),
                Info {
                    minutes: Some(minutes),
                    rate: Some(prep_rate),
                    ..base
                },
            );
            w.fees.push((
                s.meeting_date,
                Item {
                    source_id: key,
                    kind: LineKind::Prep,
                    activity: Some(s.meeting_id.clone()),
                    amount,
                    explanation: format!("\"{}\" on {}: {how}", s.meeting_title, s.meeting_date),
                },
            ));
        }
    }
}

/// One expense line per approved claim: mileage at the rate for the miles so far in the tax year,
/// anything else at the amount claimed.
pub(super) fn price_claims(
    inputs: &Inputs,
    index: &Index,
    work: &mut BTreeMap<String, MemberWork>,
) {
    for c in &inputs.claims {
        let w = work.entry(c.member_id.clone()).or_default();
        let (amount, how, rate) = match (c.kind, c.miles_tenths) {
            (ExpenseKind::Car | ExpenseKind::Motorcycle | ExpenseKind::Bicycle, Some(tenths)) => {
                let kind = match c.kind {
                    ExpenseKind::Car => MileageKind::Car,
                    ExpenseKind::Motorcycle => MileageKind::Motorcycle,
                    _ => MileageKind::Bicycle,
                };
                let before: i64 = if kind == MileageKind::Car {
                    car_tenths_before(c, &index.journeys)
                } else {
                    0
                };
                let (amount, how) =
                    rates::mileage(kind, before, i64::from(tenths), i64::from(c.passengers));
                (amount, format!("{} mileage: {how}", c.kind.as_str()), None)
            }
            (_, _) => {
                let amount = c.amount.unwrap_or(Money::ZERO);
                (
                    amount,
                    format!("{} £{amount}", c.kind.as_str().replace('_', " ")),
                    Some(amount),
                )
            }
        };
        let key = format!("e:{}", c.expense_id);
        w.info.insert(
            key.clone(),
            Info {
                source: Some((SourceKind::Expense, c.expense_id.clone())),
                group_id: Some(c.group_id.clone()),
                meeting_id: Some(c.meeting_id.clone()),
                meeting_title: Some(c.meeting_title.clone()),
                meeting_date: Some(c.meeting_date),
                minutes: None,
                rate,
                rate_card_id: None,
                rule: None,
            },
        );
        w.expenses.push((
            c.meeting_date,
            Item {
                source_id: key,
                kind: LineKind::Expense,
                activity: Some(c.meeting_id.clone()),
                amount,
                explanation: format!("\"{}\" on {}: {how}", c.meeting_title, c.meeting_date),
            },
        ));
    }
}

/// The tenths of a mile the member drove in the claim's tax year before this car claim, for the
/// 10,000-mile switch.
fn car_tenths_before(c: &Claim, journeys: &HashMap<&str, Vec<&CarJourney>>) -> i64 {
    let year = TaxYear::containing(c.meeting_date).range();
    journeys
        .get(c.member_id.as_str())
        .map(|js| {
            // Miles already paid this tax year, and unpaid miles driven earlier.
            js.iter()
                .filter(|j| year.contains(j.meeting_date) && j.expense_id != c.expense_id)
                .filter(|j| {
                    j.paid || (j.meeting_date, &j.expense_id) < (c.meeting_date, &c.expense_id)
                })
                .map(|j| i64::from(j.tenths))
                .sum()
        })
        .unwrap_or(0)
}
