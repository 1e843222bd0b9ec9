//! Finance reports: the payments of approved runs in a period (filtered by group and method) and
//! the tax-year report per member. JSON for screens; CSV streamed page by page and XLSX with
//! constant-memory worksheets (`export::reports` writes both). Every report reads its rows a page
//! at a time, so memory stays flat.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
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
use crate::export::reports::{
    PaymentsCriteria, PaymentsCsv, PaymentsXlsx, ReportRow, TaxYearMember, TaxYearReport,
};

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
/// (exclusive), a page of every run's payments at a time (two statements a page), until `each` answers false.
fn walk(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    start: Option<&PaymentCursor>,
    page_size: i64,
    mut each: impl FnMut(&ReportPayment, PaymentCursor) -> Result<bool>,
) -> Result<()> {
    let mut after = start.cloned();
    loop {
        let (runs, page): (Vec<RunRow>, Vec<PaymentRow>) =
            q::payments_between(conn, filter, after.as_ref(), page_size)?
                .into_iter()
                .unzip();
        let names = names_of(conn, &page)?;
        for (run, p) in runs.iter().zip(&page) {
            let cursor = (run.1, run.0.clone(), p.position);
            if !each(&report_payment(run, p, &names), cursor)? {
                return Ok(());
            }
        }
        if i64::try_from(page.len()).unwrap_or(0) < page_size {
            return Ok(());
        }
        after = runs
            .last()
            .zip(page.last())
            .map(|(run, p)| (run.1, run.0.clone(), p.position));
    }
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

/// A payment as the report files write it.
fn file_row(p: &ReportPayment) -> ReportRow<'_> {
    ReportRow {
        payment_date: p.payment_date,
        status: p.status,
        paid_on: p.paid_on,
        pay_run_id: &p.pay_run_id,
        payee_name: &p.payee_name,
        payee_type: &p.payee.kind,
        payee_reference: p.payee_reference.as_deref(),
        member_id: &p.member_id,
        member_name: &p.member_name,
        method: p.method,
        fee: p.fee_amount,
        expenses: p.expenses_amount,
        total: p.total,
    }
}

/// The payments report as CSV, written as it is read, with a totals trailer.
pub fn write_payments_csv<W: Write>(
    conn: &mut DbConnection,
    filter: &PaymentFilter,
    out: W,
) -> Result<W> {
    let mut csv = PaymentsCsv::new(out)?;
    for_each_payment(conn, filter, |p| Ok(csv.row(&file_row(p))?))?;
    Ok(csv.finish()?)
}

/// The payments report as XLSX: a summary sheet and a payments sheet (streamed to a temporary
/// file row by row, so only the finished file is held in memory).
pub fn write_payments_xlsx(conn: &mut DbConnection, filter: &PaymentFilter) -> Result<Vec<u8>> {
    let mut book = PaymentsXlsx::new()?;
    for_each_payment(conn, filter, |p| Ok(book.row(&file_row(p))?))?;
    Ok(book.finish(&PaymentsCriteria {
        from: filter.from,
        to: filter.to,
        group_id: filter.group_id.as_deref(),
        method: filter.method,
    })?)
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
