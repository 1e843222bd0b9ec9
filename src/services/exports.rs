//! Pay-run exports for finance: a control CSV of payments, an XLSX workbook (summary, payments,
//! lines), a Xero bills import for bank transfers, and payroll lines. Every export is recorded (the
//! run becomes `exported`) and audited; a repeat says so in the file. Here the export is checked
//! and recorded and its rows read a page at a time; `export::payrun` writes the files.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::{Error, Result};
use crate::db::pay::{self as rows, PayLineRow, PayRunRow, PaymentRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::Money;
use crate::export::format::slug;
use crate::export::payrun::{self as files, Layout, Line, Payment, Run};

/// Rows read per query while writing an export.
const PAGE: i64 = 1000;

/// Accounts and payroll elements the finance formats use.
pub type ExportSettings = crate::config::ExportFormatSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Xlsx,
    Xero,
    Payroll,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "xero" => Ok(Format::Xero),
            "payroll" => Ok(Format::Payroll),
            "bacs" => Err(Error::invalid(
                "format",
                "coprod keeps no bank details, so it cannot write a BACS file; use `xero` or `csv` for your payments system",
            )),
            _ => Err(Error::invalid(
                "format",
                "must be `csv`, `xlsx`, `xero` or `payroll`",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xero => "xero",
            Format::Payroll => "payroll",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _ => "text/csv; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            _ => "csv",
        }
    }
}

/// An export under way: the run, what to call the file, and which export of the run it is.
#[derive(Debug, Clone)]
pub struct Export {
    pub run: PayRunRow,
    pub format: Format,
    pub group_name: Option<String>,
    pub filename: String,
    /// 1 for the first export of the run, 2 for the first repeat, …
    pub number: i32,
}

/// Checks and records an export (finance only; approved, exported or paid runs).
pub fn begin(conn: &mut DbConnection, actor: &Actor, run_id: &str, format: &str) -> Result<Export> {
    actor.require(&[Role::Finance])?;
    let format = Format::parse(format)?;
    write_tx(conn, |conn| {
        let run = rows::find_run(conn, run_id)?.ok_or(Error::NotFound)?;
        if !run.status.is_approved() {
            return Err(Error::Conflict(format!(
                "This run is {}; only an approved run can be exported.",
                run.status
            )));
        }
        let run = rows::record_export(conn, run_id, db::now())?.ok_or(Error::NotFound)?;
        let group_name = match &run.group_id {
            Some(g) => people::find_group(conn, g)?.map(|g| g.name),
            None => None,
        };
        let number = run.export_count;
        let mut filename = format!(
            "coprod-{}-{}-to-{}-run-{}",
            group_name
                .as_deref()
                .map_or_else(|| "all-groups".to_string(), slug),
            run.period_start,
            run.period_end,
            &run.id[run.id.len().saturating_sub(8)..],
        );
        if format != Format::Csv && format != Format::Xlsx {
            filename.push('-');
            filename.push_str(format.as_str());
        }
        if number > 1 {
            filename.push_str(&format!("-repeat-{number}"));
        }
        filename.push('.');
        filename.push_str(format.extension());
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.exported", "pay_run", run_id).after(serde_json::json!({
                "format": format.as_str(), "export_number": number, "repeat": number > 1,
                "status": run.status, "filename": filename,
            })),
        )?;
        Ok(Export {
            run,
            format,
            group_name,
            filename,
            number,
        })
    })
}

/// Members by id: (full name, payee reference, email).
type Members = HashMap<String, (String, Option<String>, Option<String>)>;

fn members_of(conn: &mut DbConnection, ids: &[String]) -> Result<Members> {
    Ok(rows::payees(conn, ids)?
        .into_iter()
        .map(|(id, name, reference, email)| (id, (name, reference, email)))
        .collect())
}

/// The run as the files name it.
fn run_of(export: &Export) -> Run {
    let run = &export.run;
    Run {
        id: run.id.clone(),
        period_start: run.period_start,
        period_end: run.period_end,
        payment_date: run.payment_date,
        status: run.status,
        group_name: export.group_name.clone(),
        number: export.number,
    }
}

/// A payment as the files show it: to the member (their name, reference and email), or to the
/// charity they give their fees to.
fn payment_of(p: &PaymentRow, members: &Members) -> Payment {
    let member = members.get(&p.member_id);
    let (payee_name, payee_reference, payee_email) = match p.payee.strip_prefix("charity:") {
        Some(charity) => (charity.to_string(), String::new(), String::new()),
        None => member.map_or_else(
            || (p.member_id.clone(), String::new(), String::new()),
            |(name, reference, email)| {
                (
                    name.clone(),
                    reference.clone().unwrap_or_default(),
                    email.clone().unwrap_or_default(),
                )
            },
        ),
    };
    Payment {
        payee_name,
        payee_type: if p.payee == "member" {
            "member"
        } else {
            "charity"
        },
        payee_reference,
        payee_email,
        member_id: p.member_id.clone(),
        member_name: member.map(|m| m.0.clone()).unwrap_or_default(),
        method: p.method,
        fee: Money::from_pence(p.fee_pence),
        expenses: Money::from_pence(p.expenses_pence),
        total: Money::from_pence(p.total_pence),
    }
}

fn line_of(l: &PayLineRow, members: &Members) -> Line {
    Line {
        member_id: l.member_id.clone(),
        member_name: members
            .get(&l.member_id)
            .map(|m| m.0.clone())
            .unwrap_or_default(),
        meeting_id: l.meeting_id.clone(),
        meeting_date: l.meeting_date,
        kind: l.kind,
        disposition: l.disposition,
        method: l.method,
        payee: l
            .payee
            .as_deref()
            .map(|p| p.strip_prefix("charity:").unwrap_or(p).to_string())
            .unwrap_or_default(),
        minutes: l.minutes,
        rate: l.rate_pence.map(Money::from_pence),
        amount: Money::from_pence(l.amount_pence),
        rule: l.rule.clone(),
        explanation: l.explanation.clone(),
    }
}

/// Hands `each` the run's payments `page` at a time (one query for the payments and one for their
/// members per page), in order.
fn payment_pages(
    conn: &mut DbConnection,
    run_id: &str,
    page: i64,
    mut each: impl FnMut(&[Payment]) -> Result<()>,
) -> Result<()> {
    let mut after = None;
    loop {
        let payments = rows::payments_of(conn, run_id, after, page)?;
        let ids: Vec<String> = payments.iter().map(|p| p.member_id.clone()).collect();
        let members = members_of(conn, &ids)?;
        let shown: Vec<Payment> = payments.iter().map(|p| payment_of(p, &members)).collect();
        each(&shown)?;
        match payments.last() {
            Some(last) if i64::try_from(payments.len()).unwrap_or(0) == page => {
                after = Some(last.position)
            }
            _ => return Ok(()),
        }
    }
}

/// Hands `each` the run's lines `PAGE` at a time, in order.
fn line_pages(
    conn: &mut DbConnection,
    run_id: &str,
    mut each: impl FnMut(&[Line]) -> Result<()>,
) -> Result<()> {
    let mut after = None;
    loop {
        let lines: Vec<PayLineRow> = rows::lines_of(conn, run_id, after, PAGE)?;
        let mut ids: Vec<String> = lines.iter().map(|l| l.member_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let members = members_of(conn, &ids)?;
        let shown: Vec<Line> = lines.iter().map(|l| line_of(l, &members)).collect();
        each(&shown)?;
        match lines.last() {
            Some(last) if i64::try_from(lines.len()).unwrap_or(0) == PAGE => {
                after = Some(last.position)
            }
            _ => return Ok(()),
        }
    }
}

/// Writes a CSV export page by page (`page` payments at a time, one query each), so memory stays
/// flat however large the run. `out` may be a network stream.
pub fn write_csv<W: Write>(
    conn: &mut DbConnection,
    export: &Export,
    settings: &ExportSettings,
    page: i64,
    out: W,
) -> Result<W> {
    let layout = match export.format {
        Format::Xero => Layout::Xero,
        Format::Payroll => Layout::Payroll,
        Format::Csv | Format::Xlsx => Layout::Payments,
    };
    let run = run_of(export);
    let mut csv = files::Csv::new(out, layout, &run, settings)?;
    payment_pages(conn, &export.run.id, page, |payments| {
        Ok(csv.page(payments)?)
    })?;
    Ok(csv.finish()?)
}

/// The XLSX workbook (`export::payrun::Xlsx`), filled a page of payments and then a page of lines
/// at a time.
pub fn write_xlsx(conn: &mut DbConnection, export: &Export) -> Result<Vec<u8>> {
    let run = run_of(export);
    let mut book = files::Xlsx::new()?;
    payment_pages(conn, &run.id, PAGE, |payments| {
        Ok(book.payments(&run, payments)?)
    })?;
    line_pages(conn, &run.id, |lines| Ok(book.lines(lines)?))?;
    Ok(book.finish(&run)?)
}
