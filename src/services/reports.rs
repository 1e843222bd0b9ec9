//! Finance reports: the payments of approved runs in a period (filtered by group and method) and
//! the tax-year report per member. JSON for screens; CSV streamed page by page; XLSX written with
//! constant-memory worksheets. Every report reads its rows a page at a time, so memory stays flat.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::exports::{csv_error, finish_csv, safe_text, xlsx_error};
use super::page::{decode_cursor, encode_cursor, PageRequest};
use super::payruns::{payee_view, PayeeView};
use super::statements::{entry_of, Span};
use super::{Error, Result};
use crate::db::pay as rows;
use crate::db::pay::PaymentRow;
use crate::db::people;
use crate::db::reports::{self as q, PaymentCursor, PaymentFilter, RunRow};
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{passes_trading_allowance, LineKind, Method, RunStatus};
use crate::domain::statement::Totals;
use crate::domain::Money;

/// Rows read per query when a report is written whole.
pub const PAGE: i64 = 1000;

/// The format of a report: `json`, `csv` or `xlsx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

impl ReportFormat {
    pub fn parse(s: Option<&str>) -> Result<ReportFormat> {
        match s.unwrap_or("json") {
            "json" => Ok(ReportFormat::Json),
            "csv" => Ok(ReportFormat::Csv),
            "xlsx" => Ok(ReportFormat::Xlsx),
            _ => Err(Error::invalid("format", "must be `json`, `csv` or `xlsx`")),
        }
    }
}

/// Checks a payments report's filter: finance only; a known group; a known method.
pub fn payment_filter(
    conn: &mut DbConnection,
    actor: &Actor,
    span: &Span,
    group_id: Option<String>,
    method: Option<String>,
) -> Result<PaymentFilter> {
    actor.require(&[Role::Finance])?;
    let method = match method.as_deref() {
        None => None,
        Some(m) => Some(Method::parse(m).ok_or_else(|| {
            Error::invalid("method", "must be `bank_transfer`, `payroll` or `voucher`")
        })?),
    };
    if let Some(g) = &group_id {
        if people::find_group(conn, g)?.is_none() {
            return Err(Error::invalid("group_id", "no group has this id"));
        }
    }
    Ok(PaymentFilter {
        from: span.range.start,
        to: span.range.end,
        group_id,
        method,
    })
}

/// A payment in a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportPayment {
    pub pay_run_id: String,
    pub payment_date: NaiveDate,
    /// `approved`, `exported` or `paid`.
    pub status: RunStatus,
    pub paid_on: Option<NaiveDate>,
    pub payee: PayeeView,
    /// The member's or the charity's name.
    pub payee_name: String,
    pub payee_reference: Option<String>,
    pub member_id: String,
    pub member_name: String,
    pub method: Method,
    #[schema(value_type = String, example = "75.00")]
    pub fee_amount: Money,
    #[schema(value_type = String, example = "12.60")]
    pub expenses_amount: Money,
    #[schema(value_type = String, example = "87.60")]
    pub total: Money,
}

/// A page of the payments report with totals over every page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_id: Option<String>,
    pub method: Option<Method>,
    pub payment_count: i64,
    #[schema(value_type = String, example = "1234.50")]
    pub total: Money,
    #[schema(value_type = HashMap<String, String>)]
    pub totals_by_method: BTreeMap<Method, Money>,
    pub items: Vec<ReportPayment>,
    pub next_cursor: Option<String>,
}

type Names = HashMap<String, (String, Option<String>)>;

fn names_of(conn: &mut DbConnection, page: &[PaymentRow]) -> Result<Names> {
    let mut ids: Vec<String> = page.iter().map(|p| p.member_id.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(rows::payees(conn, &ids)?
        .into_iter()
        .map(|(id, name, reference, _)| (id, (name, reference)))
        .collect())
}

fn report_payment(run: &RunRow, p: &PaymentRow, names: &Names) -> ReportPayment {
    let (_, payment_date, status, paid_on, _) = run;
    let (member_name, reference) = names
        .get(&p.member_id)
        .cloned()
        .unwrap_or_else(|| (String::new(), None));
    let payee = payee_view(&p.payee);
    ReportPayment {
        pay_run_id: p.pay_run_id.clone(),
        payment_date: *payment_date,
        status: *status,
        paid_on: *paid_on,
        payee_name: payee.name.clone().unwrap_or_else(|| member_name.clone()),
        payee_reference: if payee.kind == "member" {
            reference
        } else {
            None
        },
        payee,
        member_id: p.member_id.clone(),
        member_name,
        method: p.method,
        fee_amount: Money::from_pence(p.fee_pence),
        expenses_amount: Money::from_pence(p.expenses_pence),
        total: Money::from_pence(p.total_pence),
    }
}

/// Walks the payments the filter takes in (payment date, run, position) order from `start`
/// (exclusive), run by run and a page at a time, until `each` answers false.
fn walk(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    start: Option<&PaymentCursor>,
    page_size: i64,
    mut each: impl FnMut(&ReportPayment, PaymentCursor) -> Result<bool>,
) -> Result<()> {
    let runs = q::runs_paid_between(conn, filter.from, filter.to)?;
    for run in &runs {
        let mut after = match start {
            Some((d, id, pos)) if (run.1, &run.0) == (*d, id) => Some(*pos),
            Some((d, id, _)) if (run.1, &run.0) < (*d, id) => continue,
            _ => None,
        };
        loop {
            let page = q::run_payments(conn, &run.0, filter, after, page_size)?;
            let names = names_of(conn, &page)?;
            for p in &page {
                let cursor = (run.1, run.0.clone(), p.position);
                if !each(&report_payment(run, p, &names), cursor)? {
                    return Ok(());
                }
            }
            if i64::try_from(page.len()).unwrap_or(0) < page_size {
                break;
            }
            after = page.last().map(|p| p.position);
        }
    }
    Ok(())
}

/// Every payment the filter takes, a page at a time.
pub fn for_each_payment(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    mut each: impl FnMut(&ReportPayment) -> Result<()>,
) -> Result<()> {
    walk(conn, filter, None, PAGE, |p, _| each(p).map(|()| true))
}

/// The JSON report: one page of payments (`limit`, `cursor`) and the totals of all of them.
pub fn payments_page(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    page: &PageRequest,
) -> Result<PaymentsReport> {
    let limit = page.limit()?;
    let after = match &page.cursor {
        Some(c) => {
            let parts = decode_cursor(c, 3)?;
            let bad = super::page::bad_cursor;
            Some((
                parts[0].parse::<NaiveDate>().map_err(|_| bad())?,
                parts[1].clone(),
                parts[2].parse::<i32>().map_err(|_| bad())?,
            ))
        }
        None => None,
    };
    let mut count = 0i64;
    let mut total = Money::ZERO;
    let mut by_method: BTreeMap<Method, Money> = BTreeMap::new();
    for_each_payment(conn, filter, |p| {
        count += 1;
        total += p.total;
        *by_method.entry(p.method).or_insert(Money::ZERO) += p.total;
        Ok(())
    })?;
    let want = usize::try_from(limit).unwrap_or(0);
    let mut items = Vec::with_capacity(want);
    let mut last: Option<PaymentCursor> = None;
    let mut more = false;
    walk(conn, filter, after.as_ref(), limit + 1, |p, cursor| {
        if items.len() == want {
            more = true;
            return Ok(false);
        }
        items.push(p.clone());
        last = Some(cursor);
        Ok(true)
    })?;
    let next_cursor = if more {
        last.map(|(d, run, pos)| encode_cursor(&[&d.to_string(), &run, &pos.to_string()]))
    } else {
        None
    };
    Ok(PaymentsReport {
        from: filter.from,
        to: filter.to,
        group_id: filter.group_id.clone(),
        method: filter.method,
        payment_count: count,
        total,
        totals_by_method: by_method,
        items,
        next_cursor,
    })
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

fn payment_cells(p: &ReportPayment) -> [String; 13] {
    [
        p.payment_date.to_string(),
        p.status.to_string(),
        p.paid_on.map(|d| d.to_string()).unwrap_or_default(),
        p.pay_run_id.clone(),
        safe_text(&p.payee_name),
        p.payee.kind.clone(),
        safe_text(p.payee_reference.as_deref().unwrap_or_default()),
        p.member_id.clone(),
        safe_text(&p.member_name),
        p.method.to_string(),
        p.fee_amount.to_string(),
        p.expenses_amount.to_string(),
        p.total.to_string(),
    ]
}

/// The payments report as CSV, written as it is read, with a totals trailer.
pub fn write_payments_csv<W: Write>(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    out: W,
) -> Result<W> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(PAYMENT_COLUMNS).map_err(csv_error)?;
    let (mut count, mut total) = (0i64, Money::ZERO);
    for_each_payment(conn, filter, |p| {
        count += 1;
        total += p.total;
        w.write_record(payment_cells(p)).map_err(csv_error)
    })?;
    let mut trailer = vec![String::new(); PAYMENT_COLUMNS.len()];
    trailer[0] = "TOTAL".into();
    trailer[1] = format!("{count} payments");
    trailer[12] = total.to_string();
    w.write_record(&trailer).map_err(csv_error)?;
    finish_csv(w)
}

fn money_number(m: Money) -> f64 {
    super::exports::money_number(m.pence())
}

/// The payments report as XLSX: a summary sheet and a payments sheet (streamed to a temporary
/// file row by row, so only the finished file is held in memory).
pub fn write_payments_xlsx(conn: &mut DbConnection, filter: &PaymentFilter) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format as Style, Workbook};
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
    let mut r: u32 = 0;
    let mut by_method: BTreeMap<Method, (i64, Money)> = BTreeMap::new();
    for_each_payment(conn, filter, |p| {
        r += 1;
        let cells = payment_cells(p);
        for (c, v) in cells.iter().enumerate().take(10) {
            let c = u16::try_from(c).unwrap_or(0);
            sheet.write_string(r, c, v).map_err(xlsx_error)?;
        }
        for (c, m) in [(10, p.fee_amount), (11, p.expenses_amount), (12, p.total)] {
            sheet
                .write_number_with_format(r, c, money_number(m), &money)
                .map_err(xlsx_error)?;
        }
        let e = by_method.entry(p.method).or_insert((0, Money::ZERO));
        e.0 += 1;
        e.1 += p.total;
        Ok(())
    })?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet.autofilter(0, 0, r, 12).map_err(xlsx_error)?;

    let sheet = book.worksheet_from_index(0).map_err(xlsx_error)?;
    sheet.set_column_width(0, 24).map_err(xlsx_error)?;
    sheet.set_column_width(1, 16).map_err(xlsx_error)?;
    sheet.set_column_width(2, 16).map_err(xlsx_error)?;
    let facts = [
        ("From", filter.from.to_string()),
        ("To", filter.to.to_string()),
        (
            "Group",
            filter.group_id.clone().unwrap_or_else(|| "all".into()),
        ),
        (
            "Method",
            filter
                .method
                .map_or_else(|| "all".into(), |m| m.as_str().to_string()),
        ),
    ];
    let mut row = 0u32;
    for (k, v) in facts {
        sheet
            .write_string_with_format(row, 0, k, &bold)
            .map_err(xlsx_error)?;
        sheet.write_string(row, 1, v).map_err(xlsx_error)?;
        row += 1;
    }
    row += 1;
    for (c, h) in ["Method", "Payments", "Total"].iter().enumerate() {
        sheet
            .write_string_with_format(row, u16::try_from(c).unwrap_or(0), *h, &bold)
            .map_err(xlsx_error)?;
    }
    let (mut count, mut total) = (0i64, Money::ZERO);
    for (method, (n, sum)) in &by_method {
        row += 1;
        sheet
            .write_string(row, 0, method.as_str())
            .map_err(xlsx_error)?;
        sheet.write_number(row, 1, *n as f64).map_err(xlsx_error)?;
        sheet
            .write_number_with_format(row, 2, money_number(*sum), &money)
            .map_err(xlsx_error)?;
        count += n;
        total += *sum;
    }
    row += 1;
    sheet
        .write_string_with_format(row, 0, "All methods", &bold)
        .map_err(xlsx_error)?;
    sheet
        .write_number(row, 1, count as f64)
        .map_err(xlsx_error)?;
    sheet
        .write_number_with_format(row, 2, money_number(total), &money)
        .map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
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

/// The tax-year report (finance), totalled a page of lines at a time.
pub fn tax_year(
    conn: &mut DbConnection,
    actor: &Actor,
    span: &Span,
    allowance: Money,
) -> Result<TaxYearReport> {
    actor.require(&[Role::Finance])?;
    let year = span
        .tax_year
        .ok_or_else(|| Error::invalid("tax_year", "must be a tax year such as 2025-26"))?;
    let (from, to) = (span.range.start, span.range.end);
    let mut per: BTreeMap<String, Totals> = BTreeMap::new();
    for (run_id, date, ..) in q::runs_paid_between(conn, from, to)? {
        let mut after: Option<i32> = None;
        loop {
            let page = q::run_lines(conn, &run_id, after, PAGE)?;
            let claims: Vec<String> = page
                .iter()
                .filter(|r| r.1 == LineKind::Expense && r.5 == SourceKind::Expense)
                .map(|r| r.6.clone())
                .collect();
            let miles: HashMap<String, i64> = q::mileage_of(conn, &claims)?.into_iter().collect();
            for (member, kind, disposition, method, pence, _, source, _) in &page {
                let tenths = if *kind == LineKind::Expense {
                    miles.get(source).copied().unwrap_or(0)
                } else {
                    0
                };
                per.entry(member.clone()).or_default().add(&entry_of(
                    *kind,
                    *disposition,
                    *method,
                    *pence,
                    date,
                    tenths,
                ));
            }
            if i64::try_from(page.len()).unwrap_or(0) < PAGE {
                break;
            }
            after = page.last().map(|r| r.7);
        }
    }
    let ids: Vec<String> = per.keys().cloned().collect();
    let names: HashMap<String, (String, Option<String>)> = rows::payees(conn, &ids)?
        .into_iter()
        .map(|(id, name, reference, _)| (id, (name, reference)))
        .collect();
    let mut total = Totals::default();
    let mut members: Vec<TaxYearMember> = per
        .into_iter()
        .map(|(id, t)| {
            let (full_name, payee_reference) = names.get(&id).cloned().unwrap_or_default();
            total.merge(&t);
            TaxYearMember {
                member_id: id,
                full_name,
                payee_reference,
                passes_trading_allowance: passes_trading_allowance(t.paid_fees, allowance),
                totals: t,
            }
        })
        .collect();
    members.sort_by(|a, b| {
        (a.full_name.to_lowercase(), &a.member_id).cmp(&(b.full_name.to_lowercase(), &b.member_id))
    });
    Ok(TaxYearReport {
        tax_year: year.to_string(),
        from,
        to,
        trading_allowance: allowance,
        members_passing_allowance: members
            .iter()
            .filter(|m| m.passes_trading_allowance)
            .count(),
        totals: total,
        members,
    })
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
    use rust_xlsxwriter::{Format as Style, Workbook};
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
