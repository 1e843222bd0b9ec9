//! Member statements: every line of the member's approved runs paid in a tax year or between two
//! dates, totals by month, by cap period and by tax year, and notes in plain English that a member
//! can hand to a benefits adviser. JSON, CSV and a printable PDF (`export::statement`) carry the
//! same figures.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::actor::{Actor, Role};
use super::{limits as limit_service, preferences, Error, Result};
use crate::db::pay::{self as rows};
use crate::db::{people, reports, DbConnection};
use crate::domain::draft::{latest_in_force, CapAmount, Choices, SourceKind};
use crate::domain::formats::Formats;
use crate::domain::limits;
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::periods::{DateRange, PeriodRule, TaxYear};
use crate::domain::statement::{self, CapInForce, Entry, Miles};
use crate::domain::Money;
use crate::export::format::long_date;
use crate::export::statement::{Statement, StatementLine, StatementMember};

/// The longest range a statement or report may cover.
const MAX_DAYS: i64 = 6 * 366;

/// The dates a statement or report covers, and how to name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub range: DateRange,
    pub title: String,
    pub tax_year: Option<TaxYear>,
}

fn date(field: &str, s: &str) -> Result<NaiveDate> {
    s.trim()
        .parse::<NaiveDate>()
        .map_err(|_| Error::invalid(field, "must be a date such as 2025-06-30"))
}

/// `tax_year`, or `from` and `to`; neither means the tax year that holds `today`.
pub fn span(
    tax_year: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Span> {
    match (tax_year, from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Error::invalid(
            "tax_year",
            "give either a tax year or `from` and `to`, not both",
        )),
        (Some(y), None, None) => {
            let year = y
                .parse::<TaxYear>()
                .map_err(|m| Error::invalid("tax_year", m))?;
            Ok(Span {
                range: year.range(),
                title: format!("Tax year {year}"),
                tax_year: Some(year),
            })
        }
        (None, Some(f), Some(t)) => {
            let (f, t) = (date("from", f)?, date("to", t)?);
            let range = DateRange::new(f, t)
                .ok_or_else(|| Error::invalid("to", "must not be before `from`"))?;
            if range.days() > MAX_DAYS {
                return Err(Error::invalid(
                    "to",
                    "a statement or report covers at most six years",
                ));
            }
            Ok(Span {
                range,
                title: format!("{} to {}", long_date(f), long_date(t)),
                tax_year: None,
            })
        }
        (None, Some(_), None) => Err(Error::invalid("to", "is needed with `from`")),
        (None, None, Some(_)) => Err(Error::invalid("from", "is needed with `to`")),
        (None, None, None) => {
            let year = TaxYear::containing(today);
            Ok(Span {
                range: year.range(),
                title: format!("Tax year {year}"),
                tax_year: Some(year),
            })
        }
    }
}

fn cap_words(amount: &CapAmount, value: Money, rule: PeriodRule) -> String {
    let per = match rule {
        PeriodRule::Week { .. } => "a week",
        PeriodRule::Month { .. } => "a month",
        PeriodRule::TaxYear => "a tax year",
    };
    match amount {
        CapAmount::Limit(code) => format!(
            "{} (£{value} {per})",
            limits::words(code).unwrap_or(code.as_str())
        ),
        CapAmount::Fixed(_) => format!("Your own limit (£{value} {per})"),
    }
}

/// The cap in force on each payment date, from the member's history of choices.
fn caps_on(
    history: &[Choices],
    limits_table: &[limits::BenefitLimit],
    dates: impl IntoIterator<Item = NaiveDate>,
) -> HashMap<NaiveDate, CapInForce> {
    let mut out = HashMap::new();
    for d in dates {
        let Some(choices) = latest_in_force(history, d, |c| c.effective_from) else {
            continue;
        };
        let Some(cap) = &choices.cap else { continue };
        let value = match &cap.amount {
            CapAmount::Fixed(a) => Some(*a),
            CapAmount::Limit(code) => limits::in_force(limits_table, code, d).map(|l| l.amount),
        };
        let Some(value) = value else { continue };
        out.insert(
            d,
            CapInForce {
                period: cap.period.containing(d),
                amount: value,
                describe: cap_words(&cap.amount, value, cap.period),
                counts_methods: cap.counts_methods.clone(),
            },
        );
    }
    out
}

pub(crate) fn entry_of(
    kind: LineKind,
    disposition: Disposition,
    method: Option<Method>,
    pence: i64,
    payment_date: NaiveDate,
    miles_tenths: i64,
) -> Entry {
    Entry {
        payment_date,
        kind,
        disposition,
        method,
        amount: Money::from_pence(pence),
        miles_tenths,
    }
}

/// A member's statement: the member, finance and admins.
pub fn statement(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    span: &Span,
    allowance: Money,
    today: NaiveDate,
) -> Result<Statement> {
    actor.require(&[Role::Member, Role::Finance, Role::Admin])?;
    if actor.role == Role::Member && !actor.is_member(member_id) {
        return Err(Error::NotFound);
    }
    build(conn, member_id, span, allowance, today)
}

/// The statement itself, for a caller that has checked who may see it.
pub(crate) fn build(
    conn: &mut DbConnection,
    member_id: &str,
    span: &Span,
    allowance: Money,
    today: NaiveDate,
) -> Result<Statement> {
    let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let range = span.range;
    // Whole tax years, so that each one the statement touches is totalled in full.
    let wide = DateRange {
        start: TaxYear::containing(range.start).range().start,
        end: TaxYear::containing(range.end).range().end,
    };
    let rows_wide = reports::member_lines_between(conn, member_id, wide.start, wide.end)?;
    let claim_ids: Vec<String> = rows_wide
        .iter()
        .filter(|(l, ..)| l.kind == LineKind::Expense && l.source_kind == SourceKind::Expense)
        .map(|(l, ..)| l.source_id.clone())
        .collect();
    let miles: HashMap<String, i64> = reports::mileage_of(conn, &claim_ids)?.into_iter().collect();
    let miles_of = |l: &rows::PayLineRow| -> i64 {
        if l.kind == LineKind::Expense && l.disposition != Disposition::Declined {
            miles.get(&l.source_id).copied().unwrap_or(0)
        } else {
            0
        }
    };
    let entries: Vec<Entry> = rows_wide
        .iter()
        .map(|(l, pay_date, ..)| {
            entry_of(
                l.kind,
                l.disposition,
                l.method,
                l.amount_pence,
                *pay_date,
                miles_of(l),
            )
        })
        .collect();
    let history: Vec<Choices> = rows::preferences_of(conn, member_id)?
        .iter()
        .map(preferences::choices_of)
        .collect();
    let limits_table = limit_service::load(conn)?;
    let dates: HashSet<NaiveDate> = rows_wide.iter().map(|(_, d, ..)| *d).collect();
    let caps = caps_on(&history, &limits_table, dates);
    let figures = statement::figures(range, &entries, &caps, allowance);

    let held_back_at_end = held_back_at(conn, member_id, range.end)?;

    let inside: Vec<&reports::StatementRow> = rows_wide
        .iter()
        .filter(|(_, d, ..)| range.contains(*d))
        .collect();
    let meeting_ids: Vec<String> = inside
        .iter()
        .filter_map(|(l, ..)| l.meeting_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let titles: HashMap<String, String> = rows::meeting_titles(conn, &meeting_ids)?
        .into_iter()
        .collect();
    let lines = inside
        .iter()
        .map(|row| statement_line(row, &titles, &miles))
        .collect();
    let charity = inside
        .iter()
        .rev()
        .find_map(|(l, ..)| l.payee.as_deref().and_then(|p| p.strip_prefix("charity:")));
    let notes = statement::notes(&figures, charity, held_back_at_end);
    Ok(Statement {
        member: StatementMember {
            id: member.id.clone(),
            full_name: member.full_name.clone(),
            payee_reference: member.payee_reference.clone(),
            preferred_formats: Formats::from_stored(&member.preferred_formats).list(),
        },
        from: range.start,
        to: range.end,
        title: span.title.clone(),
        generated_on: today,
        lines,
        figures,
        held_back_at_end,
        notes,
    })
}

/// Held back at `end`: carried forward by runs paid by then and not taken by a run paid by then.
fn held_back_at(conn: &mut DbConnection, member_id: &str, end: NaiveDate) -> Result<Money> {
    let held = reports::held_back(conn, member_id, end)?;
    let takers: Vec<String> = held.iter().filter_map(|(_, r)| r.clone()).collect();
    let taken_on: HashMap<String, NaiveDate> =
        reports::payment_dates(conn, &takers)?.into_iter().collect();
    Ok(held
        .iter()
        .filter(|(_, by)| {
            by.as_ref()
                .and_then(|r| taken_on.get(r))
                .is_none_or(|d| *d > end)
        })
        .map(|(p, _)| Money::from_pence(*p))
        .sum())
}

/// One line of the statement: when it was paid, for which session, what became of it and how it
/// was worked out.
fn statement_line(
    (l, pay_date, status, paid_on): &reports::StatementRow,
    titles: &HashMap<String, String>,
    miles: &HashMap<String, i64>,
) -> StatementLine {
    let mileage = (l.kind == LineKind::Expense && l.disposition != Disposition::Declined)
        .then(|| miles.get(&l.source_id).copied())
        .flatten();
    StatementLine {
        payment_date: *pay_date,
        pay_run_id: l.pay_run_id.clone(),
        status: *status,
        paid_on: *paid_on,
        meeting_id: l.meeting_id.clone(),
        meeting_title: l.meeting_id.as_ref().and_then(|m| titles.get(m).cloned()),
        meeting_date: l.meeting_date,
        kind: l.kind,
        disposition: l.disposition,
        method: l.method,
        paid_to: l.payee.as_deref().map(|p| {
            p.strip_prefix("charity:")
                .map_or_else(|| "you".to_string(), str::to_string)
        }),
        minutes: l.minutes,
        miles: (l.kind == LineKind::Expense && miles.contains_key(&l.source_id))
            .then(|| Miles(mileage.unwrap_or(0))),
        amount: Money::from_pence(l.amount_pence),
        explanation: l.explanation.clone(),
    }
}
