//! A pay run's files for finance: a control CSV of payments (with a totals trailer), Xero bills for
//! bank transfers, payroll lines, and an XLSX workbook (summary, payments, lines). Text that a
//! spreadsheet could read as a formula is written with a leading apostrophe in CSV, and only ever
//! as a string cell in XLSX. `services::exports` records the export and feeds these writers a page
//! of rows at a time, so memory stays flat however large the run.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format as Style, Workbook};

use super::format::{csv_error, finish_csv, money_number, safe_text, xlsx_error};
use super::Result;
use crate::config::ExportFormatSettings;
use crate::domain::payrun::{Disposition, LineKind, Method, RunStatus};
use crate::domain::Money;

/// The run an export is of, and which export of it this is.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
    pub status: RunStatus,
    pub group_name: Option<String>,
    /// 1 for the first export of the run, 2 for the first repeat, …
    pub number: i32,
}

impl Run {
    /// The last eight characters of the run's id, which name its bills.
    fn short_id(&self) -> &str {
        &self.id[self.id.len().saturating_sub(8)..]
    }
}

/// A payment as the files show it.
#[derive(Debug, Clone)]
pub struct Payment {
    /// The member's name, or the charity's they give their fees to.
    pub payee_name: String,
    /// `member` or `charity`.
    pub payee_type: &'static str,
    /// The member's reference in finance's systems (empty for a charity or when there is none).
    pub payee_reference: String,
    /// The member's email address (empty for a charity or when there is none).
    pub payee_email: String,
    pub member_id: String,
    pub member_name: String,
    pub method: Method,
    pub fee: Money,
    pub expenses: Money,
    pub total: Money,
}

/// A line of the run as the workbook shows it.
#[derive(Debug, Clone)]
pub struct Line {
    pub member_id: String,
    pub member_name: String,
    pub meeting_id: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    /// `member`, or the charity's name (empty when the line pays no one).
    pub payee: String,
    pub minutes: Option<i32>,
    pub rate: Option<Money>,
    pub amount: Money,
    pub rule: Option<String>,
    pub explanation: String,
}

/// The CSV exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every payment, with control totals finance can check.
    Payments,
    /// Xero bills import: bank transfers only, one bill per payee, a line each for fees and
    /// expenses.
    Xero,
    /// Payroll lines: payroll only, fees taxable and expenses not.
    Payroll,
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

const XERO_COLUMNS: [&str; 12] = [
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
];

const PAYROLL_COLUMNS: [&str; 7] = [
    "payee_reference",
    "member_name",
    "element",
    "amount",
    "taxable",
    "payment_date",
    "run_id",
];

/// A CSV export being written: the header, then a page of payments at a time (each page flushed
/// to `out`, which may be a network stream), then the trailer.
pub struct Csv<'a, W: Write> {
    w: csv::Writer<W>,
    layout: Layout,
    run: &'a Run,
    settings: &'a ExportFormatSettings,
    count: i64,
    total: Money,
    /// Bills written so far (Xero), which number the next one.
    bills: u32,
}

impl<'a, W: Write> Csv<'a, W> {
    /// Writes the header row.
    pub fn new(
        out: W,
        layout: Layout,
        run: &'a Run,
        settings: &'a ExportFormatSettings,
    ) -> Result<Csv<'a, W>> {
        let mut w = csv::WriterBuilder::new().from_writer(out);
        let header: &[&str] = match layout {
            Layout::Xero => &XERO_COLUMNS,
            Layout::Payroll => &PAYROLL_COLUMNS,
            Layout::Payments => &CSV_COLUMNS,
        };
        w.write_record(header).map_err(csv_error)?;
        Ok(Csv {
            w,
            layout,
            run,
            settings,
            count: 0,
            total: Money::ZERO,
            bills: 0,
        })
    }

    /// Writes a page of payments (those the layout takes) and flushes them out.
    pub fn page(&mut self, payments: &[Payment]) -> Result<()> {
        for p in payments {
            match self.layout {
                Layout::Xero => {
                    if p.method != Method::BankTransfer {
                        continue;
                    }
                    self.xero_bill(p)?;
                }
                Layout::Payroll => {
                    if p.method != Method::Payroll {
                        continue;
                    }
                    self.payroll_lines(p)?;
                }
                Layout::Payments => self.payment_row(p)?,
            }
            self.count += 1;
            self.total += p.total;
        }
        self.w.flush().map_err(csv_error)
    }

    /// A bill for a bank transfer: a line for the fees and one for the expenses, each when not zero.
    fn xero_bill(&mut self, p: &Payment) -> Result<()> {
        let (run, settings) = (self.run, self.settings);
        self.bills += 1;
        let contact = if p.payee_reference.is_empty() {
            &p.payee_name
        } else {
            &p.payee_reference
        };
        let invoice = format!("CP-{}-{:05}", run.short_id(), self.bills);
        let description = format!(
            "Co-production {} to {} for {}",
            run.period_start, run.period_end, p.payee_name
        );
        for (amount, account, what) in [
            (p.fee, &settings.xero_fee_account_code, "fees"),
            (p.expenses, &settings.xero_expense_account_code, "expenses"),
        ] {
            if amount.is_zero() {
                continue;
            }
            self.w
                .write_record([
                    safe_text(contact),
                    safe_text(&p.payee_email),
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
        Ok(())
    }

    /// Payroll elements for a payment through payroll: the fees (taxable) and the expenses (not),
    /// each when not zero.
    fn payroll_lines(&mut self, p: &Payment) -> Result<()> {
        let (run, settings) = (self.run, self.settings);
        for (amount, element, taxable) in [
            (p.fee, &settings.payroll_fee_element, "yes"),
            (p.expenses, &settings.payroll_expense_element, "no"),
        ] {
            if amount.is_zero() {
                continue;
            }
            self.w
                .write_record([
                    safe_text(&p.payee_reference),
                    safe_text(&p.payee_name),
                    element.clone(),
                    amount.to_string(),
                    taxable.to_string(),
                    run.payment_date.to_string(),
                    run.id.clone(),
                ])
                .map_err(csv_error)?;
        }
        Ok(())
    }

    fn payment_row(&mut self, p: &Payment) -> Result<()> {
        let run = self.run;
        self.w
            .write_record([
                run.id.clone(),
                safe_text(&p.payee_name),
                p.payee_type.to_string(),
                safe_text(&p.payee_reference),
                p.member_id.clone(),
                safe_text(&p.member_name),
                p.method.to_string(),
                p.fee.to_string(),
                p.expenses.to_string(),
                p.total.to_string(),
                run.payment_date.to_string(),
            ])
            .map_err(csv_error)
    }

    /// Writes the control totals (the payments CSV only) and hands back the output.
    pub fn finish(mut self) -> Result<W> {
        if self.layout == Layout::Payments {
            // Control totals finance can check: the number of payments and their sum.
            let number = self.run.number;
            let mark = if number > 1 {
                format!("TOTAL (repeat export {number} of this run)")
            } else {
                "TOTAL".to_string()
            };
            let mut trailer = vec![String::new(); CSV_COLUMNS.len()];
            trailer[0] = mark;
            trailer[1] = format!("{} payments", self.count);
            trailer[9] = self.total.to_string();
            self.w.write_record(&trailer).map_err(csv_error)?;
        }
        finish_csv(self.w)
    }
}

/// The columns of the workbook's lines sheet, in order.
const LINE_COLUMNS: [&str; 13] = [
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

/// The sheets of the workbook, in order; the summary is written last, when the totals are known.
const SUMMARY: usize = 0;
const PAYMENTS: usize = 1;
const LINES: usize = 2;

/// The XLSX workbook: a summary sheet (totals by method and by disposition), the payments and
/// every line. Money is a number shown with two decimals; headers are frozen and filtered. The
/// payments and lines sheets are constant-memory worksheets filled a page of rows at a time, so
/// only the finished (compressed) file is held in memory, however large the run. Fill it in order:
/// `payments` page by page, then `lines` page by page, then `finish`.
pub struct Xlsx {
    book: Workbook,
    bold: Style,
    money: Style,
    /// The sheet being filled and its last row written.
    sheet: usize,
    row: u32,
    by_method: BTreeMap<&'static str, (i32, Money)>,
    // Keyed by code, so the sheet lists them in the same (alphabetical) order as always.
    by_disposition: BTreeMap<&'static str, Money>,
}

impl Xlsx {
    /// Adds the summary sheet and the payments sheet with its header row.
    pub fn new() -> Result<Xlsx> {
        let mut book = Workbook::new();
        let bold = Style::new().set_bold();
        let money = Style::new().set_num_format("#,##0.00");
        book.add_worksheet()
            .set_name("Summary")
            .map_err(xlsx_error)?;
        let sheet = book.add_worksheet_with_constant_memory();
        sheet.set_name("Payments").map_err(xlsx_error)?;
        for (c, h) in CSV_COLUMNS.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(0);
            sheet.set_column_width(c, 16).map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, c, *h, &bold)
                .map_err(xlsx_error)?;
        }
        Ok(Xlsx {
            book,
            bold,
            money,
            sheet: PAYMENTS,
            row: 0,
            by_method: BTreeMap::new(),
            by_disposition: BTreeMap::new(),
        })
    }

    /// Writes a page of payments.
    pub fn payments(&mut self, run: &Run, payments: &[Payment]) -> Result<()> {
        debug_assert_eq!(self.sheet, PAYMENTS, "payments come before lines");
        let sheet = self
            .book
            .worksheet_from_index(PAYMENTS)
            .map_err(xlsx_error)?;
        for p in payments {
            self.row += 1;
            let r = self.row;
            let texts = [
                (0, run.id.clone()),
                (1, p.payee_name.clone()),
                (2, p.payee_type.to_string()),
                (3, p.payee_reference.clone()),
                (4, p.member_id.clone()),
                (5, p.member_name.clone()),
                (6, p.method.to_string()),
            ];
            for (c, v) in texts {
                sheet
                    .write_string(r, c, safe_text(&v))
                    .map_err(xlsx_error)?;
            }
            for (c, m) in [(7, p.fee), (8, p.expenses), (9, p.total)] {
                sheet
                    .write_number_with_format(r, c, money_number(m), &self.money)
                    .map_err(xlsx_error)?;
            }
            sheet
                .write_string(r, 10, run.payment_date.to_string())
                .map_err(xlsx_error)?;
            let e = self
                .by_method
                .entry(p.method.as_str())
                .or_insert((0, Money::ZERO));
            e.0 += 1;
            e.1 += p.total;
        }
        Ok(())
    }

    /// Closes the payments sheet and adds the lines sheet with its header row.
    fn start_lines(&mut self) -> Result<()> {
        if self.sheet != PAYMENTS {
            return Ok(());
        }
        let sheet = self
            .book
            .worksheet_from_index(PAYMENTS)
            .map_err(xlsx_error)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet.autofilter(0, 0, self.row, 10).map_err(xlsx_error)?;
        let sheet = self.book.add_worksheet_with_constant_memory();
        sheet.set_name("Lines").map_err(xlsx_error)?;
        for (c, h) in LINE_COLUMNS.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(0);
            sheet
                .set_column_width(c, if c >= 11 { 60 } else { 16 })
                .map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, c, *h, &self.bold)
                .map_err(xlsx_error)?;
        }
        self.sheet = LINES;
        self.row = 0;
        Ok(())
    }

    /// Writes a page of lines.
    pub fn lines(&mut self, lines: &[Line]) -> Result<()> {
        self.start_lines()?;
        let sheet = self.book.worksheet_from_index(LINES).map_err(xlsx_error)?;
        for l in lines {
            self.row += 1;
            let r = self.row;
            *self
                .by_disposition
                .entry(l.disposition.as_str())
                .or_insert(Money::ZERO) += l.amount;
            let texts = [
                (0, l.member_id.clone()),
                (1, l.member_name.clone()),
                (2, l.meeting_id.clone().unwrap_or_default()),
                (3, l.meeting_date.map(|d| d.to_string()).unwrap_or_default()),
                (4, l.kind.to_string()),
                (5, l.disposition.to_string()),
                (
                    6,
                    l.method.map(Method::as_str).unwrap_or_default().to_string(),
                ),
                (7, l.payee.clone()),
            ];
            for (c, v) in texts {
                sheet
                    .write_string(r, c, safe_text(&v))
                    .map_err(xlsx_error)?;
            }
            if let Some(m) = l.minutes {
                sheet.write_number(r, 8, f64::from(m)).map_err(xlsx_error)?;
            }
            if let Some(rate) = l.rate {
                sheet
                    .write_number_with_format(r, 9, money_number(rate), &self.money)
                    .map_err(xlsx_error)?;
            }
            sheet
                .write_number_with_format(r, 10, money_number(l.amount), &self.money)
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
        Ok(())
    }

    /// Closes the lines sheet, writes the summary and hands back the file.
    pub fn finish(mut self, run: &Run) -> Result<Vec<u8>> {
        self.start_lines()?;
        let sheet = self.book.worksheet_from_index(LINES).map_err(xlsx_error)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet.autofilter(0, 0, self.row, 12).map_err(xlsx_error)?;
        self.summary(run)?;
        self.book.save_to_buffer().map_err(xlsx_error)
    }

    /// The run's facts, then payments and their total by method, then amounts by disposition.
    fn summary(&mut self, run: &Run) -> Result<()> {
        let (bold, money) = (&self.bold, &self.money);
        let sheet = self
            .book
            .worksheet_from_index(SUMMARY)
            .map_err(xlsx_error)?;
        sheet.set_column_width(0, 28).map_err(xlsx_error)?;
        sheet.set_column_width(1, 40).map_err(xlsx_error)?;
        let facts = [
            ("Pay run", run.id.clone()),
            (
                "Group",
                run.group_name
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
                if run.number > 1 {
                    format!("repeat export {} of this run", run.number)
                } else {
                    "first export".to_string()
                },
            ),
        ];
        let mut r: u32 = 0;
        for (k, v) in facts {
            sheet
                .write_string_with_format(r, 0, k, bold)
                .map_err(xlsx_error)?;
            sheet
                .write_string(r, 1, safe_text(&v))
                .map_err(xlsx_error)?;
            r += 1;
        }
        r += 1;
        for (c, h) in ["Method", "Payments", "Total"].iter().enumerate() {
            sheet
                .write_string_with_format(r, u16::try_from(c).unwrap_or(0), *h, bold)
                .map_err(xlsx_error)?;
        }
        r += 1;
        let (mut count, mut total) = (0i32, Money::ZERO);
        for (method, (n, sum)) in &self.by_method {
            sheet.write_string(r, 0, *method).map_err(xlsx_error)?;
            sheet
                .write_number(r, 1, f64::from(*n))
                .map_err(xlsx_error)?;
            sheet
                .write_number_with_format(r, 2, money_number(*sum), money)
                .map_err(xlsx_error)?;
            count += n;
            total += *sum;
            r += 1;
        }
        sheet
            .write_string_with_format(r, 0, "All methods", bold)
            .map_err(xlsx_error)?;
        sheet
            .write_number(r, 1, f64::from(count))
            .map_err(xlsx_error)?;
        sheet
            .write_number_with_format(r, 2, money_number(total), money)
            .map_err(xlsx_error)?;
        r += 2;
        sheet
            .write_string_with_format(r, 0, "Disposition", bold)
            .map_err(xlsx_error)?;
        sheet
            .write_string_with_format(r, 2, "Amount", bold)
            .map_err(xlsx_error)?;
        r += 1;
        for (d, sum) in &self.by_disposition {
            sheet.write_string(r, 0, *d).map_err(xlsx_error)?;
            sheet
                .write_number_with_format(r, 2, money_number(*sum), money)
                .map_err(xlsx_error)?;
            r += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn run(number: i32) -> Run {
        Run {
            id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            period_start: date("2025-06-01"),
            period_end: date("2025-06-30"),
            payment_date: date("2025-07-04"),
            status: RunStatus::Approved,
            group_name: None,
            number,
        }
    }

    fn settings() -> ExportFormatSettings {
        ExportFormatSettings {
            xero_fee_account_code: "6100".into(),
            xero_expense_account_code: "6110".into(),
            xero_tax_type: "No VAT".into(),
            payroll_fee_element: "Co-production fee".into(),
            payroll_expense_element: "Expenses".into(),
        }
    }

    /// Five payments: bank transfers and payroll, one to a charity, one whose name is a formula.
    fn payments() -> Vec<Payment> {
        let pay = |name: &str, method, fee: i64, expenses: i64| Payment {
            payee_name: name.into(),
            payee_type: "member",
            payee_reference: format!("P-{name}"),
            payee_email: String::new(),
            member_id: format!("id-{name}"),
            member_name: name.into(),
            method,
            fee: Money::from_pence(fee),
            expenses: Money::from_pence(expenses),
            total: Money::from_pence(fee + expenses),
        };
        vec![
            pay("Ann", Method::BankTransfer, 7_500, 1_260),
            pay("Bob", Method::Payroll, 15_000, 0),
            Payment {
                payee_type: "charity",
                payee_reference: String::new(),
                ..pay("Mind", Method::BankTransfer, 3_750, 0)
            },
            pay("=HYPERLINK(\"x\")", Method::BankTransfer, 0, 420),
            pay("Dee", Method::Payroll, 7_500, 600),
        ]
    }

    fn csv(layout: Layout, number: i32, page: usize) -> String {
        let (run, settings) = (run(number), settings());
        let mut w = Csv::new(Vec::new(), layout, &run, &settings).unwrap();
        for chunk in payments().chunks(page) {
            w.page(chunk).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn a_file_written_page_by_page_is_the_file_written_at_once() {
        for layout in [Layout::Payments, Layout::Xero, Layout::Payroll] {
            let whole = csv(layout, 1, 1000);
            for page in [1, 2, 3] {
                assert_eq!(csv(layout, 1, page), whole, "{layout:?} in pages of {page}");
            }
        }
    }

    #[test]
    fn the_control_csv_totals_every_page_and_says_it_is_a_repeat() {
        let first = csv(Layout::Payments, 1, 2);
        let lines: Vec<&str> = first.lines().collect();
        assert_eq!(lines.len(), 7, "{first}");
        assert_eq!(lines[6], "TOTAL,5 payments,,,,,,,,360.30,");
        assert!(lines[4].contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{first}");
        let repeat = csv(Layout::Payments, 3, 2);
        assert!(repeat.ends_with("TOTAL (repeat export 3 of this run),5 payments,,,,,,,,360.30,\n"));
    }

    #[test]
    fn xero_bills_bank_transfers_numbered_across_pages_and_payroll_takes_the_rest() {
        let xero = csv(Layout::Xero, 1, 2);
        let bills: Vec<&str> = xero.lines().skip(1).collect();
        // Ann's fees and expenses, Mind's fees, the formula's expenses: three bills, four lines.
        assert_eq!(bills.len(), 4, "{xero}");
        assert!(bills[0].starts_with("P-Ann,,CP-2e3f4a5b-00001,"), "{xero}");
        assert!(
            bills[1].contains(",6110,") && bills[1].contains(",12.60,"),
            "{xero}"
        );
        assert!(bills[2].starts_with("Mind,,CP-2e3f4a5b-00002,"), "{xero}");
        assert!(bills[3].contains("CP-2e3f4a5b-00003"), "{xero}");
        let payroll = csv(Layout::Payroll, 1, 2);
        assert_eq!(
            payroll.lines().skip(1).collect::<Vec<_>>(),
            [
                "P-Bob,Bob,Co-production fee,150.00,yes,2025-07-04,0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                "P-Dee,Dee,Co-production fee,75.00,yes,2025-07-04,0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                "P-Dee,Dee,Expenses,6.00,no,2025-07-04,0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            ]
        );
    }
}
