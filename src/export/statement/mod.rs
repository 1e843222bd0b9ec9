//! A member's statement as a document: every line of the member's approved runs paid in the dates
//! it covers, the figures (`domain::statement`) and the notes. `services::statements` fills it in;
//! the API sends it as JSON, and here it is written as CSV and as a printable PDF with the same
//! figures: in large print for a member who reads it, and for a member who asks for Easy Read,
//! with Easy Read pages (`easy_read`) before the full statement.

mod easy_read;

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::format::{csv_error, finish_csv, long_date, pounds, safe_text, slug};
use super::pdf::{Writer, LEFT, RIGHT};
use super::Result;
use crate::domain::formats::{Format, Formats};
use crate::domain::payrun::{Disposition, LineKind, Method, RunStatus};
use crate::domain::statement::{Entry, Figures, Miles, Totals};
use crate::domain::Money;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementMember {
    pub id: String,
    pub full_name: String,
    pub payee_reference: Option<String>,
    /// The formats the PDF is made in for this member.
    pub preferred_formats: Vec<Format>,
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

impl StatementLine {
    /// The line as the domain counts it (miles left out: they are totalled from the claims).
    pub fn entry(&self) -> Entry {
        Entry {
            payment_date: self.payment_date,
            kind: self.kind,
            disposition: self.disposition,
            method: self.method,
            amount: self.amount,
            miles_tenths: 0,
        }
    }
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
        Download::Pdf => (write_pdf(s)?, "application/pdf", filename(s, "pdf")),
    })
}

/// A file name for the statement: `coprod-statement-<name>-<from>-to-<to>.<ext>`.
pub fn filename(s: &Statement, extension: &str) -> String {
    let name = slug(&s.member.full_name);
    format!(
        "coprod-statement-{}-{}-to-{}.{extension}",
        if name.is_empty() { "member" } else { &name },
        s.from,
        s.to
    )
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

fn total_cells(t: &Totals) -> Vec<String> {
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
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    csv_lines(&mut w, s)?;
    csv_totals(&mut w, s)?;
    csv_tax_years(&mut w, &s.figures)?;
    csv_notes(&mut w, &s.notes)?;
    finish_csv(w)
}

/// Who and when, then every line.
fn csv_lines<W: Write>(w: &mut csv::Writer<W>, s: &Statement) -> Result<()> {
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
    Ok(())
}

/// A table of totals after a blank row: its header (the period's own columns, then the totals')
/// and its rows.
fn csv_table<W: Write>(
    w: &mut csv::Writer<W>,
    first: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<()> {
    w.write_record([""]).map_err(csv_error)?;
    let header: Vec<&str> = first.iter().copied().chain(TOTAL_COLUMNS).collect();
    w.write_record(&header).map_err(csv_error)?;
    for r in rows {
        w.write_record(&r).map_err(csv_error)?;
    }
    Ok(())
}

/// Totals by month, by cap period (when a cap applied), for the whole statement, and what is held
/// back at its end.
fn csv_totals<W: Write>(w: &mut csv::Writer<W>, s: &Statement) -> Result<()> {
    let f = &s.figures;
    csv_table(
        w,
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
        csv_table(
            w,
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
    csv_table(
        w,
        &["total"],
        vec![std::iter::once("TOTAL".to_string())
            .chain(total_cells(&f.totals))
            .collect()],
    )?;
    w.write_record(["held_back_at_end", &s.held_back_at_end.to_string()])
        .map_err(csv_error)
}

/// Paid fees and business miles by tax year, against the trading allowance.
fn csv_tax_years<W: Write>(w: &mut csv::Writer<W>, f: &Figures) -> Result<()> {
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
    Ok(())
}

fn csv_notes<W: Write>(w: &mut csv::Writer<W>, notes: &[String]) -> Result<()> {
    w.write_record([""]).map_err(csv_error)?;
    w.write_record(["notes"]).map_err(csv_error)?;
    for n in notes {
        w.write_record([n.as_str()]).map_err(csv_error)?;
    }
    Ok(())
}

/// The statement as a PDF: who and when, a summary, totals by month and by limit period, every
/// payment, and the notes; in large print, and with Easy Read pages first, as the member prefers.
pub fn write_pdf(s: &Statement) -> Result<Vec<u8>> {
    let formats = Formats::of(&s.member.preferred_formats);
    let title = format!("Payment statement: {}", s.member.full_name);
    let mut w = Writer::new(
        &title,
        format!(
            "{} · {} · made on {}",
            s.member.full_name,
            s.title,
            long_date(s.generated_on)
        ),
        formats.large_print(),
    )?;
    if formats.easy_read() {
        easy_read::write(&mut w, s);
        w.new_page();
    }
    pdf_heading(&mut w, s);
    if formats.easy_read() {
        w.down(1.5, 0.0);
        w.paragraph(
            "This is the full statement, with every payment, for you or an adviser who helps you.",
            10.0,
        );
    }
    pdf_summary(&mut w, s);
    pdf_months(&mut w, s);
    pdf_cap_periods(&mut w, s);
    pdf_payments(&mut w, s);
    pdf_notes(&mut w, s);
    w.save()
}

/// The title, the member, their reference and the dates covered.
fn pdf_heading(w: &mut Writer, s: &Statement) {
    w.text(LEFT, "Payment statement", 18.0, true);
    w.down(9.0, 0.0);
    w.text(LEFT, &s.member.full_name, 12.0, false);
    if let Some(r) = &s.member.payee_reference {
        w.right(RIGHT, &format!("Reference {r}"), 10.0, false);
    }
    w.down(1.5, 0.0);
    w.paragraph(
        &format!("{}: {} to {}", s.title, long_date(s.from), long_date(s.to)),
        10.0,
    );
}

/// What was paid, given, declined and held back, and the fees of each tax year.
fn pdf_summary(w: &mut Writer, s: &Statement) {
    let t = &s.figures.totals;
    w.heading("Summary");
    let facts: Vec<(String, String)> = [
        ("Fees paid to you", pounds(t.paid_fees)),
        ("of which in vouchers", pounds(t.paid_in_vouchers)),
        (
            "Expenses repaid to you (not earnings)",
            pounds(t.expenses_paid),
        ),
        ("Total paid to you", pounds(t.paid_to_member)),
        ("Fees given to charity at your request", pounds(t.donated)),
        ("Fees you chose not to take", pounds(t.declined)),
        ("Fees over your limit, not paid", pounds(t.forgone)),
        (
            "Held back by your limit, to be paid later",
            pounds(s.held_back_at_end),
        ),
        ("Business miles repaid", t.business_miles.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(s.figures.tax_years.iter().map(|y| {
        (
            format!("Fees in tax year {}", y.tax_year),
            format!(
                "{} ({} the {} trading allowance)",
                pounds(y.paid_fees),
                if y.passes_trading_allowance {
                    "more than"
                } else {
                    "within"
                },
                pounds(y.trading_allowance)
            ),
        )
    }))
    .collect();
    w.down(1.5, 0.0);
    for (k, v) in facts {
        w.fact(&k, &v, 10.0);
    }
}

fn money_row(label: String, t: &Totals) -> Vec<String> {
    vec![
        label,
        pounds(t.earned + t.brought_forward),
        pounds(t.paid_fees),
        pounds(t.expenses_paid),
        pounds(t.donated),
        pounds(t.declined + t.forgone),
        pounds(t.carried_forward),
    ]
}

fn pdf_months(w: &mut Writer, s: &Statement) {
    let columns = [
        ("Month", LEFT),
        ("Due", 72.0),
        ("Paid fees", 95.0),
        ("Expenses", 118.0),
        ("To charity", 142.0),
        ("Not taken", 166.0),
        ("Held back", RIGHT),
    ];
    w.heading("By month");
    let mut rows: Vec<Vec<String>> = s
        .figures
        .months
        .iter()
        .map(|m| money_row(m.label.clone(), &m.totals))
        .collect();
    rows.push(money_row("Total".into(), &s.figures.totals));
    w.table(&columns, &rows, 9.0);
}

/// Each period of the member's limit, when one applied.
fn pdf_cap_periods(w: &mut Writer, s: &Statement) {
    if s.figures.cap_periods.is_empty() {
        return;
    }
    w.heading("By limit period");
    let rows: Vec<Vec<String>> = s
        .figures
        .cap_periods
        .iter()
        .map(|p| {
            vec![
                format!("{} to {}", p.start, p.end),
                pounds(p.limit),
                pounds(p.counted),
                pounds(p.totals.carried_forward),
                if p.within_limit { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    w.table(
        &[
            ("Period", LEFT),
            ("Limit", 110.0),
            ("Counted", 135.0),
            ("Held back", 160.0),
            ("Within", RIGHT),
        ],
        &rows,
        9.0,
    );
    if let Some(first) = s.figures.cap_periods.first() {
        w.down(1.5, 0.0);
        w.paragraph(&format!("Your limit: {}.", first.cap), 9.0);
    }
}

/// Every line, in words: what it was for and what became of it.
fn pdf_payments(w: &mut Writer, s: &Statement) {
    w.heading("Every payment");
    let rows: Vec<Vec<String>> = s
        .lines
        .iter()
        .map(|l| {
            let what = match l.kind {
                LineKind::Fee => "Fee",
                LineKind::Prep => "Preparation",
                LineKind::Expense => "Expenses",
                LineKind::Carried => "Held back earlier",
                LineKind::Adjustment => "Correction",
            };
            let outcome = match l.disposition {
                Disposition::Paid if l.status == RunStatus::Paid => "paid",
                Disposition::Paid => "to be paid",
                Disposition::CarriedForward => "held back",
                Disposition::Donated => "to charity",
                Disposition::Declined => "not taken",
                Disposition::Forgone => "over limit",
            };
            vec![
                format!(
                    "{} {}",
                    l.payment_date,
                    l.meeting_title.as_deref().unwrap_or("")
                ),
                what.to_string(),
                outcome.to_string(),
                pounds(l.amount),
            ]
        })
        .collect();
    if rows.is_empty() {
        w.down(1.5, 0.0);
        w.paragraph("Nothing was paid in these dates.", 10.0);
    } else {
        w.table(
            &[
                ("Date and meeting", LEFT),
                ("What", 140.0),
                ("Outcome", 165.0),
                ("Amount", RIGHT),
            ],
            &rows,
            8.5,
        );
    }
}

fn pdf_notes(w: &mut Writer, s: &Statement) {
    w.heading("Notes");
    for n in &s.notes {
        w.paragraph(n, 9.5);
        w.down(1.5, 0.0);
    }
}
