//! The finance reports as files: the payments report (CSV written as its rows are read, with a
//! totals trailer; XLSX with a constant-memory payments sheet and a summary) and the tax-year
//! report per member (CSV and XLSX, with a totals row). `services::reports` checks who may ask and
//! reads the rows.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format as Style, Workbook};
use serde::Serialize;

use super::format::{csv_error, finish_csv, money_number, safe_text, xlsx_error};
use super::Result;
use crate::domain::payrun::{Method, RunStatus};
use crate::domain::statement::Totals;
use crate::domain::Money;

/// A payment as the payments report writes it.
#[derive(Debug, Clone, Copy)]
pub struct ReportRow<'a> {
    pub payment_date: NaiveDate,
    pub status: RunStatus,
    pub paid_on: Option<NaiveDate>,
    pub pay_run_id: &'a str,
    /// The member's or the charity's name.
    pub payee_name: &'a str,
    /// `member` or `charity`.
    pub payee_type: &'a str,
    pub payee_reference: Option<&'a str>,
    pub member_id: &'a str,
    pub member_name: &'a str,
    pub method: Method,
    pub fee: Money,
    pub expenses: Money,
    pub total: Money,
}

/// What the payments report takes in, for its summary.
#[derive(Debug, Clone, Copy)]
pub struct PaymentsCriteria<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_id: Option<&'a str>,
    pub method: Option<Method>,
}

/// The columns of the payments report in CSV and XLSX.
pub const PAYMENT_COLUMNS: [&str; 13] = [
    "payment_date",
    "status",
    "paid_on",
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
];

fn payment_cells(p: &ReportRow) -> [String; 13] {
    [
        p.payment_date.to_string(),
        p.status.to_string(),
        p.paid_on.map(|d| d.to_string()).unwrap_or_default(),
        p.pay_run_id.to_string(),
        safe_text(p.payee_name),
        p.payee_type.to_string(),
        safe_text(p.payee_reference.unwrap_or_default()),
        p.member_id.to_string(),
        safe_text(p.member_name),
        p.method.to_string(),
        p.fee.to_string(),
        p.expenses.to_string(),
        p.total.to_string(),
    ]
}

/// The payments report as CSV, written a row at a time, with a totals trailer.
pub struct PaymentsCsv<W: Write> {
    w: csv::Writer<W>,
    count: i64,
    total: Money,
}

impl<W: Write> PaymentsCsv<W> {
    /// Writes the header row.
    pub fn new(out: W) -> Result<PaymentsCsv<W>> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(PAYMENT_COLUMNS).map_err(csv_error)?;
        Ok(PaymentsCsv {
            w,
            count: 0,
            total: Money::ZERO,
        })
    }

    pub fn row(&mut self, p: &ReportRow) -> Result<()> {
        self.count += 1;
        self.total += p.total;
        self.w.write_record(payment_cells(p)).map_err(csv_error)
    }

    /// Writes the trailer (the number of payments and their total) and hands back the output.
    pub fn finish(mut self) -> Result<W> {
        let mut trailer = vec![String::new(); PAYMENT_COLUMNS.len()];
        trailer[0] = "TOTAL".into();
        trailer[1] = format!("{} payments", self.count);
        trailer[12] = self.total.to_string();
        self.w.write_record(&trailer).map_err(csv_error)?;
        finish_csv(self.w)
    }
}

/// The payments report as XLSX: a summary sheet and a payments sheet (streamed to a temporary
/// file row by row, so only the finished file is held in memory).
pub struct PaymentsXlsx {
    book: Workbook,
    bold: Style,
    money: Style,
    row: u32,
    by_method: BTreeMap<Method, (i64, Money)>,
}

/// The payments sheet's index (the summary is the first sheet, written last).
const PAYMENTS_SHEET: usize = 1;

impl PaymentsXlsx {
    /// Adds the sheets and the payments sheet's header row.
    pub fn new() -> Result<PaymentsXlsx> {
        let mut book = Workbook::new();
        let bold = Style::new().set_bold();
        let money = Style::new().set_num_format("#,##0.00");
        book.add_worksheet()
            .set_name("Summary")
            .map_err(xlsx_error)?;
        let sheet = book.add_worksheet_with_constant_memory();
        sheet.set_name("Payments").map_err(xlsx_error)?;
        for (c, h) in PAYMENT_COLUMNS.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(0);
            sheet.set_column_width(c, 16).map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, c, *h, &bold)
                .map_err(xlsx_error)?;
        }
        Ok(PaymentsXlsx {
            book,
            bold,
            money,
            row: 0,
            by_method: BTreeMap::new(),
        })
    }

    pub fn row(&mut self, p: &ReportRow) -> Result<()> {
        self.row += 1;
        let r = self.row;
        let sheet = self
            .book
            .worksheet_from_index(PAYMENTS_SHEET)
            .map_err(xlsx_error)?;
        let cells = payment_cells(p);
        for (c, v) in cells.iter().enumerate().take(10) {
            let c = u16::try_from(c).unwrap_or(0);
            sheet.write_string(r, c, v).map_err(xlsx_error)?;
        }
        for (c, m) in [(10, p.fee), (11, p.expenses), (12, p.total)] {
            sheet
                .write_number_with_format(r, c, money_number(m), &self.money)
                .map_err(xlsx_error)?;
        }
        let e = self.by_method.entry(p.method).or_insert((0, Money::ZERO));
        e.0 += 1;
        e.1 += p.total;
        Ok(())
    }

    /// Closes the payments sheet, writes the summary (what the report takes in, and the payments
    /// and their total by method) and hands back the file.
    pub fn finish(mut self, criteria: &PaymentsCriteria) -> Result<Vec<u8>> {
        let sheet = self
            .book
            .worksheet_from_index(PAYMENTS_SHEET)
            .map_err(xlsx_error)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet.autofilter(0, 0, self.row, 12).map_err(xlsx_error)?;
        self.summary(criteria)?;
        self.book.save_to_buffer().map_err(xlsx_error)
    }

    fn summary(&mut self, criteria: &PaymentsCriteria) -> Result<()> {
        let (bold, money) = (&self.bold, &self.money);
        let sheet = self.book.worksheet_from_index(0).map_err(xlsx_error)?;
        sheet.set_column_width(0, 24).map_err(xlsx_error)?;
        sheet.set_column_width(1, 16).map_err(xlsx_error)?;
        sheet.set_column_width(2, 16).map_err(xlsx_error)?;
        let facts = [
            ("From", criteria.from.to_string()),
            ("To", criteria.to.to_string()),
            (
                "Group",
                criteria
                    .group_id
                    .map_or_else(|| "all".into(), str::to_string),
            ),
            (
                "Method",
                criteria
                    .method
                    .map_or_else(|| "all".into(), |m| m.as_str().to_string()),
            ),
        ];
        let mut row = 0u32;
        for (k, v) in facts {
            sheet
                .write_string_with_format(row, 0, k, bold)
                .map_err(xlsx_error)?;
            sheet.write_string(row, 1, v).map_err(xlsx_error)?;
            row += 1;
        }
        row += 1;
        for (c, h) in ["Method", "Payments", "Total"].iter().enumerate() {
            sheet
                .write_string_with_format(row, u16::try_from(c).unwrap_or(0), *h, bold)
                .map_err(xlsx_error)?;
        }
        let (mut count, mut total) = (0i64, Money::ZERO);
        for (method, (n, sum)) in &self.by_method {
            row += 1;
            sheet
                .write_string(row, 0, method.as_str())
                .map_err(xlsx_error)?;
            sheet.write_number(row, 1, *n as f64).map_err(xlsx_error)?;
            sheet
                .write_number_with_format(row, 2, money_number(*sum), money)
                .map_err(xlsx_error)?;
            count += n;
            total += *sum;
        }
        row += 1;
        sheet
            .write_string_with_format(row, 0, "All methods", bold)
            .map_err(xlsx_error)?;
        sheet
            .write_number(row, 1, count as f64)
            .map_err(xlsx_error)?;
        sheet
            .write_number_with_format(row, 2, money_number(total), money)
            .map_err(xlsx_error)?;
        Ok(())
    }
}

/// One member's year in the tax-year report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaxYearMember {
    pub member_id: String,
    pub full_name: String,
    pub payee_reference: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
    pub passes_trading_allowance: bool,
}

/// The tax-year report: every member paid anything in the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaxYearReport {
    pub tax_year: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = String, example = "1000.00")]
    pub trading_allowance: Money,
    /// How many members' paid fees pass the trading allowance.
    pub members_passing_allowance: usize,
    pub totals: Totals,
    pub members: Vec<TaxYearMember>,
}

/// The columns of the tax-year report in CSV and XLSX.
pub const TAX_YEAR_COLUMNS: [&str; 15] = [
    "member_id",
    "member_name",
    "payee_reference",
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
    "business_miles",
    "passes_trading_allowance",
];

fn tax_year_amounts(t: &Totals) -> [Money; 10] {
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
    ]
}

/// The tax-year report as CSV, with a totals trailer.
pub fn write_tax_year_csv<W: Write>(report: &TaxYearReport, out: W) -> Result<W> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(TAX_YEAR_COLUMNS).map_err(csv_error)?;
    let row = |first: [String; 3], t: &Totals, flag: String| -> Vec<String> {
        first
            .into_iter()
            .chain(tax_year_amounts(t).iter().map(Money::to_string))
            .chain([t.business_miles.to_string(), flag])
            .collect()
    };
    for m in &report.members {
        w.write_record(row(
            [
                m.member_id.clone(),
                safe_text(&m.full_name),
                safe_text(m.payee_reference.as_deref().unwrap_or_default()),
            ],
            &m.totals,
            if m.passes_trading_allowance {
                "yes"
            } else {
                "no"
            }
            .into(),
        ))
        .map_err(csv_error)?;
    }
    w.write_record(row(
        [
            "TOTAL".into(),
            format!("{} members", report.members.len()),
            String::new(),
        ],
        &report.totals,
        format!("{} pass", report.members_passing_allowance),
    ))
    .map_err(csv_error)?;
    finish_csv(w)
}

/// The tax-year report as XLSX: one row per member and a totals row.
pub fn write_tax_year_xlsx(report: &TaxYearReport) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Style::new().set_bold();
    let money = Style::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet
        .set_name(format!("Tax year {}", report.tax_year))
        .map_err(xlsx_error)?;
    for (c, h) in TAX_YEAR_COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        sheet.set_column_width(c, 16).map_err(xlsx_error)?;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(xlsx_error)?;
    }
    let mut r = 0u32;
    let mut put = |r: u32, first: [String; 3], t: &Totals, flag: String| -> Result<()> {
        for (c, v) in first.iter().enumerate() {
            sheet
                .write_string(r, u16::try_from(c).unwrap_or(0), safe_text(v))
                .map_err(xlsx_error)?;
        }
        for (i, m) in tax_year_amounts(t).iter().enumerate() {
            sheet
                .write_number_with_format(
                    r,
                    3 + u16::try_from(i).unwrap_or(0),
                    money_number(*m),
                    &money,
                )
                .map_err(xlsx_error)?;
        }
        sheet
            .write_number(r, 13, t.business_miles.0 as f64 / 10.0)
            .map_err(xlsx_error)?;
        sheet.write_string(r, 14, flag).map_err(xlsx_error)?;
        Ok(())
    };
    for m in &report.members {
        r += 1;
        put(
            r,
            [
                m.member_id.clone(),
                m.full_name.clone(),
                m.payee_reference.clone().unwrap_or_default(),
            ],
            &m.totals,
            if m.passes_trading_allowance {
                "yes"
            } else {
                "no"
            }
            .into(),
        )?;
    }
    r += 1;
    put(
        r,
        [
            "TOTAL".into(),
            format!("{} members", report.members.len()),
            String::new(),
        ],
        &report.totals,
        format!("{} pass", report.members_passing_allowance),
    )?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet
        .autofilter(0, 0, r.saturating_sub(1), 14)
        .map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}
