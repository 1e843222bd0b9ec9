//! Member statements: every line of the member's approved runs paid in a tax year or between two
//! dates, totals by month, by cap period and by tax year, and notes in plain English that a member
//! can hand to a benefits adviser. JSON, CSV and a printable PDF carry the same figures.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::{limits as limit_service, preferences, Error, Result};
use crate::db::pay::{self as rows};
use crate::db::{people, reports, DbConnection};
use crate::domain::draft::{latest_in_force, CapAmount, Choices, SourceKind};
use crate::domain::limits;
use crate::domain::payrun::{Disposition, LineKind, Method, RunStatus};
use crate::domain::periods::{DateRange, PeriodRule, TaxYear};
use crate::domain::statement::{self, CapInForce, Entry, Figures, Miles};
use crate::domain::Money;

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

/// `4 July 2025`.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementMember {
    pub id: String,
    pub full_name: String,
    pub payee_reference: Option<String>,
}

/// One line of a statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub payment_date: NaiveDate,
    pub pay_run_id: String,
    /// `approved`, `exported` or `paid`.
    pub status: RunStatus,
    pub paid_on: Option<NaiveDate>,
    pub meeting_id: Option<String>,
    pub meeting_title: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    /// Who received it: `you`, or the charity's name.
    pub paid_to: Option<String>,
    pub minutes: Option<i32>,
    /// Business miles of a mileage claim.
    #[schema(value_type = Option<String>, example = "28.0")]
    pub miles: Option<Miles>,
    #[schema(value_type = String, example = "75.00")]
    pub amount: Money,
    pub explanation: String,
}

/// A member's statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub member: StatementMember,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `Tax year 2025-26`, or the dates.
    pub title: String,
    pub generated_on: NaiveDate,
    pub lines: Vec<StatementLine>,
    #[serde(flatten)]
    #[schema(inline)]
    pub figures: Figures,
    /// Money held back by a cap at the end of the statement, to be paid later.
    #[schema(value_type = String, example = "59.00")]
    pub held_back_at_end: Money,
    /// Plain-English notes for the member and a benefits adviser.
    pub notes: Vec<String>,
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

    // Held back at the end: carried forward by runs paid by then and not taken by a run paid by then.
    let held = reports::held_back(conn, member_id, range.end)?;
    let takers: Vec<String> = held.iter().filter_map(|(_, r)| r.clone()).collect();
    let taken_on: HashMap<String, NaiveDate> =
        reports::payment_dates(conn, &takers)?.into_iter().collect();
    let held_back_at_end: Money = held
        .iter()
        .filter(|(_, by)| {
            by.as_ref()
                .and_then(|r| taken_on.get(r))
                .is_none_or(|d| *d > range.end)
        })
        .map(|(p, _)| Money::from_pence(*p))
        .sum();

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
        .map(|(l, pay_date, status, paid_on)| StatementLine {
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
                .then(|| Miles(miles_of(l))),
            amount: Money::from_pence(l.amount_pence),
            explanation: l.explanation.clone(),
        })
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

/// The columns of a statement's lines in CSV.
pub const LINE_COLUMNS: [&str; 13] = [
    "payment_date",
    "status",
    "paid_on",
    "meeting_date",
    "meeting",
    "kind",
    "disposition",
    "method",
    "paid_to",
    "minutes",
    "miles",
    "amount",
    "explanation",
];

/// The columns of each totals table in CSV (after the period's own columns).
pub const TOTAL_COLUMNS: [&str; 12] = [
    "earned",
    "brought_forward",
    "paid_fees",
    "paid_in_vouchers",
    "donated",
    "declined",
    "forgone",
    "carried_forward",
    "expenses_paid",
    "expenses_declined",
    "paid_to_member",
    "business_miles",
];

fn total_cells(t: &statement::Totals) -> Vec<String> {
    [
        t.earned,
        t.brought_forward,
        t.paid_fees,
        t.paid_in_vouchers,
        t.donated,
        t.declined,
        t.forgone,
        t.carried_forward,
        t.expenses_paid,
        t.expenses_declined,
        t.paid_to_member,
    ]
    .iter()
    .map(Money::to_string)
    .chain(std::iter::once(t.business_miles.to_string()))
    .collect()
}

/// The statement as CSV: the lines, then tables of totals (by month, by cap period, for the whole
/// statement, by tax year) and the notes, each table with its own header row.
pub fn write_csv<W: Write>(s: &Statement, out: W) -> Result<W> {
    use super::exports::{csv_error, finish_csv, safe_text};
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let opt = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    w.write_record([
        "Statement",
        &safe_text(&s.member.full_name),
        &s.title,
        &format!("{} to {}", s.from, s.to),
    ])
    .map_err(csv_error)?;
    w.write_record([""]).map_err(csv_error)?;
    w.write_record(LINE_COLUMNS).map_err(csv_error)?;
    for l in &s.lines {
        w.write_record([
            l.payment_date.to_string(),
            l.status.to_string(),
            opt(l.paid_on),
            opt(l.meeting_date),
            safe_text(l.meeting_title.as_deref().unwrap_or_default()),
            l.kind.to_string(),
            l.disposition.to_string(),
            l.method.map(Method::as_str).unwrap_or_default().to_string(),
            safe_text(l.paid_to.as_deref().unwrap_or_default()),
            l.minutes.map(|m| m.to_string()).unwrap_or_default(),
            l.miles.map(|m| m.to_string()).unwrap_or_default(),
            l.amount.to_string(),
            safe_text(&l.explanation),
        ])
        .map_err(csv_error)?;
    }
    let table = |w: &mut csv::Writer<W>, first: &[&str], rows: Vec<Vec<String>>| -> Result<()> {
        w.write_record([""]).map_err(csv_error)?;
        let header: Vec<&str> = first.iter().copied().chain(TOTAL_COLUMNS).collect();
        w.write_record(&header).map_err(csv_error)?;
        for r in rows {
            w.write_record(&r).map_err(csv_error)?;
        }
        Ok(())
    };
    let f = &s.figures;
    table(
        &mut w,
        &["month"],
        f.months
            .iter()
            .map(|m| {
                std::iter::once(m.month.clone())
                    .chain(total_cells(&m.totals))
                    .collect()
            })
            .collect(),
    )?;
    if !f.cap_periods.is_empty() {
        table(
            &mut w,
            &[
                "cap_period_start",
                "cap_period_end",
                "cap",
                "limit",
                "counted",
                "within_limit",
            ],
            f.cap_periods
                .iter()
                .map(|p| {
                    [
                        p.start.to_string(),
                        p.end.to_string(),
                        p.cap.clone(),
                        p.limit.to_string(),
                        p.counted.to_string(),
                        if p.within_limit { "yes" } else { "no" }.to_string(),
                    ]
                    .into_iter()
                    .chain(total_cells(&p.totals))
                    .collect()
                })
                .collect(),
        )?;
    }
    table(
        &mut w,
        &["total"],
        vec![std::iter::once("TOTAL".to_string())
            .chain(total_cells(&f.totals))
            .collect()],
    )?;
    w.write_record(["held_back_at_end", &s.held_back_at_end.to_string()])
        .map_err(csv_error)?;
    w.write_record([""]).map_err(csv_error)?;
    w.write_record([
        "tax_year",
        "paid_fees",
        "business_miles",
        "trading_allowance",
        "passes_trading_allowance",
    ])
    .map_err(csv_error)?;
    for y in &f.tax_years {
        w.write_record([
            y.tax_year.clone(),
            y.paid_fees.to_string(),
            y.business_miles.to_string(),
            y.trading_allowance.to_string(),
            if y.passes_trading_allowance {
                "yes"
            } else {
                "no"
            }
            .to_string(),
        ])
        .map_err(csv_error)?;
    }
    w.write_record([""]).map_err(csv_error)?;
    w.write_record(["notes"]).map_err(csv_error)?;
    for n in &s.notes {
        w.write_record([n.as_str()]).map_err(csv_error)?;
    }
    finish_csv(w)
}

/// A statement's downloadable forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Csv,
    Pdf,
}

/// A file to send: its bytes, content type and name.
pub type File = (Vec<u8>, &'static str, String);

/// The statement as a file (the PDF takes a moment: call it off the async threads).
pub fn file(s: &Statement, d: Download) -> Result<File> {
    Ok(match d {
        Download::Csv => (
            write_csv(s, Vec::new())?,
            "text/csv; charset=utf-8",
            filename(s, "csv"),
        ),
        Download::Pdf => (
            super::pdf::statement(s)?,
            "application/pdf",
            filename(s, "pdf"),
        ),
    })
}

/// A file name for the statement: `coprod-statement-<name>-<from>-to-<to>.<ext>`.
pub fn filename(s: &Statement, extension: &str) -> String {
    let name = super::exports::slug(&s.member.full_name);
    format!(
        "coprod-statement-{}-{}-to-{}.{extension}",
        if name.is_empty() { "member" } else { &name },
        s.from,
        s.to
    )
}
