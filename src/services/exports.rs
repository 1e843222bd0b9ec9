//! Pay-run exports for finance: a control CSV of payments, an XLSX workbook (summary, payments,
//! lines), a Xero bills import for bank transfers, and payroll lines. Every export is recorded (the
//! run becomes `exported`) and audited; a repeat says so in the file. Text that a spreadsheet could
//! read as a formula (starting with = + - @, a tab or a carriage return) is written with a leading
//! apostrophe in CSV, and only ever as a string cell in XLSX.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::{Error, Result};
use crate::db::pay::{self as rows, PayLineRow, PayRunRow, PaymentRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::payrun::Method;
use crate::domain::Money;

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

/// Lower-case ASCII letters and digits joined by single hyphens (for file names), at most 40.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(40).collect()
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

/// Text as a spreadsheet will never run it: a leading apostrophe before = + - @, tab or CR.
pub fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Who a payment goes to: (name, reference, email).
type Payee = (String, String, String);

/// Members by id: (full name, payee reference, email).
type Members = HashMap<String, (String, Option<String>, Option<String>)>;

fn payee_of(
    p: &PaymentRow,
    members: &HashMap<String, (String, Option<String>, Option<String>)>,
) -> Payee {
    match p.payee.strip_prefix("charity:") {
        Some(charity) => (charity.to_string(), String::new(), String::new()),
        None => members.get(&p.member_id).map_or_else(
            || (p.member_id.clone(), String::new(), String::new()),
            |(name, reference, email)| {
                (
                    name.clone(),
                    reference.clone().unwrap_or_default(),
                    email.clone().unwrap_or_default(),
                )
            },
        ),
    }
}

fn members_of(conn: &mut DbConnection, payments: &[PaymentRow]) -> Result<Members> {
    let ids: Vec<String> = payments.iter().map(|p| p.member_id.clone()).collect();
    Ok(rows::payees(conn, &ids)?
        .into_iter()
        .map(|(id, name, reference, email)| (id, (name, reference, email)))
        .collect())
}

/// A CSV write that failed (the client went away, say).
pub(crate) fn csv_error(e: impl Into<csv::Error>) -> Error {
    Error::Internal(anyhow::Error::new(e.into()).context("writing the file failed"))
}

/// Flushes a CSV writer and hands back what it wrote to.
pub(crate) fn finish_csv<W: Write>(w: csv::Writer<W>) -> Result<W> {
    w.into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("writing the file failed: {e}")))
}

/// The columns of the payments CSV, in order.
pub const CSV_COLUMNS: [&str; 11] = [
    "run_id",
    "payee",
    "payee_type",
    "payee_reference",
    "member_id",
    "member_name",
    "method",
    "fee_amount",
    "expenses_amount",
    "total",
    "payment_date",
];

/// Writes a CSV export page by page (`page` payments at a time, one query each), so memory stays
/// flat however large the run. `out` may be a network stream.
pub fn write_csv<W: Write>(
    conn: &mut DbConnection,
    export: &Export,
    settings: &ExportSettings,
    page: i64,
    out: W,
) -> Result<W> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let run = &export.run;
    let header: Vec<&str> = match export.format {
        Format::Xero => vec![
            "*ContactName",
            "EmailAddress",
            "*InvoiceNumber",
            "Reference",
            "*InvoiceDate",
            "*DueDate",
            "Description",
            "*Quantity",
            "*UnitAmount",
            "*AccountCode",
            "*TaxType",
            "Currency",
        ],
        Format::Payroll => vec![
            "payee_reference",
            "member_name",
            "element",
            "amount",
            "taxable",
            "payment_date",
            "run_id",
        ],
        _ => CSV_COLUMNS.to_vec(),
    };
    w.write_record(&header).map_err(csv_error)?;
    let mut after = None;
    let mut count: i64 = 0;
    let mut total = Money::ZERO;
    let mut bill = 0;
    loop {
        let payments = rows::payments_of(conn, &run.id, after, page)?;
        let members = members_of(conn, &payments)?;
        for p in &payments {
            let (name, reference, email) = payee_of(p, &members);
            let fee = Money::from_pence(p.fee_pence);
            let expenses = Money::from_pence(p.expenses_pence);
            match export.format {
                Format::Xero => {
                    if p.method != Method::BankTransfer {
                        continue;
                    }
                    bill += 1;
                    let contact = if reference.is_empty() {
                        name.clone()
                    } else {
                        reference.clone()
                    };
                    let invoice =
                        format!("CP-{}-{bill:05}", &run.id[run.id.len().saturating_sub(8)..]);
                    let description = format!(
                        "Co-production {} to {} for {}",
                        run.period_start, run.period_end, name
                    );
                    for (amount, account, what) in [
                        (fee, &settings.xero_fee_account_code, "fees"),
                        (expenses, &settings.xero_expense_account_code, "expenses"),
                    ] {
                        if amount.is_zero() {
                            continue;
                        }
                        w.write_record([
                            safe_text(&contact),
                            safe_text(&email),
                            invoice.clone(),
                            safe_text(&format!("coprod run {}", run.id)),
                            run.payment_date.to_string(),
                            run.payment_date.to_string(),
                            safe_text(&format!("{description}: {what}")),
                            "1".to_string(),
                            amount.to_string(),
                            account.clone(),
                            settings.xero_tax_type.clone(),
                            "GBP".to_string(),
                        ])
                        .map_err(csv_error)?;
                    }
                }
                Format::Payroll => {
                    if p.method != Method::Payroll {
                        continue;
                    }
                    for (amount, element, taxable) in [
                        (fee, &settings.payroll_fee_element, "yes"),
                        (expenses, &settings.payroll_expense_element, "no"),
                    ] {
                        if amount.is_zero() {
                            continue;
                        }
                        w.write_record([
                            safe_text(&reference),
                            safe_text(&name),
                            element.clone(),
                            amount.to_string(),
                            taxable.to_string(),
                            run.payment_date.to_string(),
                            run.id.clone(),
                        ])
                        .map_err(csv_error)?;
                    }
                }
                _ => {
                    let member_name = members
                        .get(&p.member_id)
                        .map(|m| m.0.clone())
                        .unwrap_or_default();
                    w.write_record([
                        run.id.clone(),
                        safe_text(&name),
                        if p.payee == "member" {
                            "member"
                        } else {
                            "charity"
                        }
                        .to_string(),
                        safe_text(&reference),
                        p.member_id.clone(),
                        safe_text(&member_name),
                        p.method.to_string(),
                        fee.to_string(),
                        expenses.to_string(),
                        Money::from_pence(p.total_pence).to_string(),
                        run.payment_date.to_string(),
                    ])
                    .map_err(csv_error)?;
                }
            }
            count += 1;
            total += Money::from_pence(p.total_pence);
        }
        w.flush().map_err(csv_error)?;
        match payments.last() {
            Some(last) if i64::try_from(payments.len()).unwrap_or(0) == page => {
                after = Some(last.position)
            }
            _ => break,
        }
    }
    if export.format == Format::Csv {
        // Control totals finance can check: the number of payments and their sum.
        let mark = if export.number > 1 {
            format!("TOTAL (repeat export {} of this run)", export.number)
        } else {
            "TOTAL".to_string()
        };
        let mut trailer = vec![String::new(); CSV_COLUMNS.len()];
        trailer[0] = mark;
        trailer[1] = format!("{count} payments");
        trailer[9] = total.to_string();
        w.write_record(&trailer).map_err(csv_error)?;
    }
    finish_csv(w)
}

pub(crate) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Internal(anyhow::Error::new(e).context("writing the workbook failed"))
}

/// Pence as a spreadsheet number.
pub(crate) fn money_number(pence: i64) -> f64 {
    // Exact for any amount of pence a run can hold (well below 2^53).
    pence as f64 / 100.0
}

/// The XLSX workbook: a summary sheet (totals by method and by disposition), the payments and
/// every line. Money is a number shown with two decimals; headers are frozen and filtered. The
/// payments and lines sheets are constant-memory worksheets filled a page of rows at a time, so
/// only the finished (compressed) file is held in memory, however large the run.
pub fn write_xlsx(conn: &mut DbConnection, export: &Export) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let run = &export.run;
    let mut book = Workbook::new();
    let bold = Style::new().set_bold();
    let money = Style::new().set_num_format("#,##0.00");
    book.add_worksheet()
        .set_name("Summary")
        .map_err(xlsx_error)?;

    // Payments.
    let mut by_method: BTreeMap<&str, (i32, i64)> = BTreeMap::new();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name("Payments").map_err(xlsx_error)?;
    for (c, h) in CSV_COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        sheet.set_column_width(c, 16).map_err(xlsx_error)?;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(xlsx_error)?;
    }
    let mut r: u32 = 0;
    let mut after = None;
    loop {
        let payments = rows::payments_of(conn, &run.id, after, PAGE)?;
        let names = members_of(conn, &payments)?;
        for p in &payments {
            r += 1;
            let (name, reference, _) = payee_of(p, &names);
            let member_name = names
                .get(&p.member_id)
                .map(|m| m.0.clone())
                .unwrap_or_default();
            let texts = [
                (0, run.id.clone()),
                (1, name),
                (
                    2,
                    if p.payee == "member" {
                        "member"
                    } else {
                        "charity"
                    }
                    .to_string(),
                ),
                (3, reference),
                (4, p.member_id.clone()),
                (5, member_name),
                (6, p.method.to_string()),
            ];
            for (c, v) in texts {
                sheet
                    .write_string(r, c, safe_text(&v))
                    .map_err(xlsx_error)?;
            }
            for (c, pence) in [(7, p.fee_pence), (8, p.expenses_pence), (9, p.total_pence)] {
                sheet
                    .write_number_with_format(r, c, money_number(pence), &money)
                    .map_err(xlsx_error)?;
            }
            sheet
                .write_string(r, 10, run.payment_date.to_string())
                .map_err(xlsx_error)?;
            let e = by_method.entry(p.method.as_str()).or_insert((0, 0));
            e.0 += 1;
            e.1 += p.total_pence;
        }
        match payments.last() {
            Some(last) if i64::try_from(payments.len()).unwrap_or(0) == PAGE => {
                after = Some(last.position)
            }
            _ => break,
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet.autofilter(0, 0, r, 10).map_err(xlsx_error)?;

    // Lines.
    // Keyed by code, so the sheet lists them in the same (alphabetical) order as always.
    let mut by_disposition: BTreeMap<&str, i64> = BTreeMap::new();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name("Lines").map_err(xlsx_error)?;
    let headers = [
        "member_id",
        "member_name",
        "meeting_id",
        "meeting_date",
        "kind",
        "disposition",
        "method",
        "payee",
        "minutes",
        "rate",
        "amount",
        "rule",
        "explanation",
    ];
    for (c, h) in headers.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        sheet
            .set_column_width(c, if c >= 11 { 60 } else { 16 })
            .map_err(xlsx_error)?;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(xlsx_error)?;
    }
    let mut r: u32 = 0;
    let mut after = None;
    loop {
        let lines: Vec<PayLineRow> = rows::lines_of(conn, &run.id, after, PAGE)?;
        let mut ids: Vec<String> = lines.iter().map(|l| l.member_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let names: Members = rows::payees(conn, &ids)?
            .into_iter()
            .map(|(id, name, reference, email)| (id, (name, reference, email)))
            .collect();
        for l in &lines {
            r += 1;
            *by_disposition.entry(l.disposition.as_str()).or_insert(0) += l.amount_pence;
            let member_name = names
                .get(&l.member_id)
                .map(|m| m.0.clone())
                .unwrap_or_default();
            let payee = l
                .payee
                .as_deref()
                .map(|p| p.strip_prefix("charity:").unwrap_or(p).to_string())
                .unwrap_or_default();
            let texts = [
                (0, l.member_id.clone()),
                (1, member_name),
                (2, l.meeting_id.clone().unwrap_or_default()),
                (3, l.meeting_date.map(|d| d.to_string()).unwrap_or_default()),
                (4, l.kind.to_string()),
                (5, l.disposition.to_string()),
                (
                    6,
                    l.method.map(Method::as_str).unwrap_or_default().to_string(),
                ),
                (7, payee),
            ];
            for (c, v) in texts {
                sheet
                    .write_string(r, c, safe_text(&v))
                    .map_err(xlsx_error)?;
            }
            if let Some(m) = l.minutes {
                sheet.write_number(r, 8, f64::from(m)).map_err(xlsx_error)?;
            }
            if let Some(rate) = l.rate_pence {
                sheet
                    .write_number_with_format(r, 9, money_number(rate), &money)
                    .map_err(xlsx_error)?;
            }
            sheet
                .write_number_with_format(r, 10, money_number(l.amount_pence), &money)
                .map_err(xlsx_error)?;
            for (c, v) in [
                (11, l.rule.clone().unwrap_or_default()),
                (12, l.explanation.clone()),
            ] {
                sheet
                    .write_string(r, c, safe_text(&v))
                    .map_err(xlsx_error)?;
            }
        }
        match lines.last() {
            Some(last) if i64::try_from(lines.len()).unwrap_or(0) == PAGE => {
                after = Some(last.position)
            }
            _ => break,
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet.autofilter(0, 0, r, 12).map_err(xlsx_error)?;

    // Summary, now that the totals are known.
    let sheet = book.worksheet_from_index(0).map_err(xlsx_error)?;
    sheet.set_column_width(0, 28).map_err(xlsx_error)?;
    sheet.set_column_width(1, 40).map_err(xlsx_error)?;
    let facts = [
        ("Pay run", run.id.clone()),
        (
            "Group",
            export
                .group_name
                .clone()
                .unwrap_or_else(|| "All groups".into()),
        ),
        (
            "Period",
            format!("{} to {}", run.period_start, run.period_end),
        ),
        ("Payment date", run.payment_date.to_string()),
        ("Status", run.status.to_string()),
        (
            "Export",
            if export.number > 1 {
                format!("repeat export {} of this run", export.number)
            } else {
                "first export".to_string()
            },
        ),
    ];
    let mut r: u32 = 0;
    for (k, v) in facts {
        sheet
            .write_string_with_format(r, 0, k, &bold)
            .map_err(xlsx_error)?;
        sheet
            .write_string(r, 1, safe_text(&v))
            .map_err(xlsx_error)?;
        r += 1;
    }
    r += 1;
    for (c, h) in ["Method", "Payments", "Total"].iter().enumerate() {
        sheet
            .write_string_with_format(r, u16::try_from(c).unwrap_or(0), *h, &bold)
            .map_err(xlsx_error)?;
    }
    r += 1;
    let (mut count, mut total): (i32, i64) = (0, 0);
    for (method, (n, pence)) in &by_method {
        sheet.write_string(r, 0, *method).map_err(xlsx_error)?;
        sheet
            .write_number(r, 1, f64::from(*n))
            .map_err(xlsx_error)?;
        sheet
            .write_number_with_format(r, 2, money_number(*pence), &money)
            .map_err(xlsx_error)?;
        count += n;
        total += pence;
        r += 1;
    }
    sheet
        .write_string_with_format(r, 0, "All methods", &bold)
        .map_err(xlsx_error)?;
    sheet
        .write_number(r, 1, f64::from(count))
        .map_err(xlsx_error)?;
    sheet
        .write_number_with_format(r, 2, money_number(total), &money)
        .map_err(xlsx_error)?;
    r += 2;
    sheet
        .write_string_with_format(r, 0, "Disposition", &bold)
        .map_err(xlsx_error)?;
    sheet
        .write_string_with_format(r, 2, "Amount", &bold)
        .map_err(xlsx_error)?;
    r += 1;
    for (d, pence) in &by_disposition {
        sheet.write_string(r, 0, *d).map_err(xlsx_error)?;
        sheet
            .write_number_with_format(r, 2, money_number(*pence), &money)
            .map_err(xlsx_error)?;
        r += 1;
    }
    book.save_to_buffer().map_err(xlsx_error)
}
