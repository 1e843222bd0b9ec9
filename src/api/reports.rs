//! Member statements and finance reports: /members/{id}/statement, /reports/payments and
//! /reports/tax-year, as JSON, CSV (streamed where it can be large), XLSX and, for statements, PDF;
//! /members/{id}/benefits-letter, a letter about a member's payments (PDF); and /reports/summary,
//! finance at a glance.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::with_conn;
use super::error::Problem;
use crate::config::Settings;
use crate::db::Database;
use crate::export::letter::{self as letter_file, Organisation};
use crate::export::reports::{write_tax_year_csv, write_tax_year_xlsx, TaxYearReport};
use crate::export::statement::{self as statement_file, Download, Statement};
use crate::http::download;
use crate::services::page::PageRequest;
use crate::services::reports::{self, PaymentsReport, ReportFormat};
use crate::services::{letters, statements};
use crate::services::{Actor, Error};

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, IntoParams)]
pub struct StatementParams {
    /// A tax year such as `2025-26`; or give `from` and `to`. Neither: this tax year.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub tax_year: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `json` (default), `csv` or `pdf`.
    #[param(schema_with = super::schemas::statement_format)]
    pub format: Option<String>,
}

/// A member's statement for a tax year or between two dates: every line, totals by month and by
/// cap period, business miles and the trading-allowance flag. The member; finance; admins.
#[utoipa::path(get, path = "/api/v1/members/{id}/statement", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), StatementParams),
    responses((status = 200, description = "JSON; with format=csv or pdf, a download",
        content((Statement = "application/json"), (String = "text/csv"), (String = "application/pdf"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn statement(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<StatementParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let id = path.into_inner();
    let download = match q.format.as_deref().unwrap_or("json") {
        "json" => None,
        "csv" => Some(Download::Csv),
        "pdf" => Some(Download::Pdf),
        _ => return Err(Error::invalid("format", "must be `json`, `csv` or `pdf`").into()),
    };
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let s = with_conn(&db, move |c| {
        let span = statements::span(
            q.tax_year.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            today,
        )?;
        statements::statement(c, &actor, &id, &span, allowance, today)
    })
    .await?;
    match download {
        Some(d) => Ok(download::made(move || statement_file::file(&s, d)).await?),
        None => Ok(HttpResponse::Ok().json(s)),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct LetterParams {
    /// A tax year such as `2025-26`; or give `from` and `to`. Neither: the 12 months to today. A
    /// letter stops at today.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub tax_year: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `pdf` (the default).
    #[param(schema_with = super::schemas::letter_format)]
    pub format: Option<String>,
}

/// A letter about a member's payments for the Jobcentre or a benefits adviser, as a PDF: the
/// organisation (settings `organisation.*`), the member's roles and groups, how they are paid
/// (the rate card in force, the time they gave), their choices (a limit, declined and donated
/// fees), and the money paid by week or assessment period of their limit (by month without one),
/// counted by the date it was paid. In large print for a member who reads it. The member; a
/// coordinator of one of their groups; finance; admins. Anyone else: 404.
#[utoipa::path(get, path = "/api/v1/members/{id}/benefits-letter", operation_id = "benefits_letter", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), LetterParams),
    responses((status = 200, description = "The letter, a PDF download", content((String = "application/pdf"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn benefits_letter(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<LetterParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let id = path.into_inner();
    if q.format.as_deref().is_some_and(|f| f != "pdf") {
        return Err(Error::invalid("format", "must be `pdf`").into());
    }
    let organisation = Organisation::from(&settings.organisation);
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let letter = with_conn(&db, move |c| {
        let span = letters::span(
            q.tax_year.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            today,
        )?;
        letters::benefits_letter(c, &actor, &id, &span, organisation, allowance, today)
    })
    .await?;
    Ok(download::made(move || letter_file::file(&letter)).await?)
}

#[derive(Deserialize, IntoParams)]
pub struct PaymentsParams {
    /// Payment dates from here… (with `to`; neither: this tax year)
    pub from: Option<String>,
    /// …to here, inclusive.
    pub to: Option<String>,
    /// Payments with a line of this group.
    pub group_id: Option<String>,
    /// `bank_transfer`, `payroll` or `voucher`.
    #[param(value_type = Option<crate::domain::payrun::Method>)]
    pub method: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(schema_with = super::schemas::report_format)]
    pub format: Option<String>,
    /// JSON only: payments a page (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&PaymentsParams> for PageRequest {
    fn from(q: &PaymentsParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Payments of approved runs paid in a period, by group and method. Finance. JSON pages carry the
/// totals of every page; CSV is streamed with a totals trailer.
#[utoipa::path(get, path = "/api/v1/reports/payments", operation_id = "payments_report", tag = "pay-runs", security(("bearer" = [])),
    params(PaymentsParams),
    responses((status = 200, description = "JSON; with format=csv or xlsx, a download",
        content((PaymentsReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn payments(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<PaymentsParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let format = ReportFormat::parse(q.format.as_deref())?;
    let page = PageRequest::from(&q);
    let today = settings.today();
    let (from, to, group, method) = (q.from.clone(), q.to.clone(), q.group_id, q.method);
    let filter = with_conn(&db, move |c| {
        let span = statements::span(None, from.as_deref(), to.as_deref(), today)?;
        reports::payment_filter(c, &actor, &span, group, method)
    })
    .await?;
    let name = format!("coprod-payments-{}-to-{}", filter.from, filter.to);
    match format {
        ReportFormat::Json => {
            let report = with_conn(&db, move |c| reports::payments_page(c, &filter, &page)).await?;
            Ok(HttpResponse::Ok().json(report))
        }
        ReportFormat::Csv => Ok(download::stream(
            &db,
            CSV,
            &format!("{name}.csv"),
            move |c, w| reports::write_payments_csv(c, &filter, w),
        )),
        ReportFormat::Xlsx => {
            let bytes = with_conn(&db, move |c| reports::write_payments_xlsx(c, &filter)).await?;
            Ok(download::attachment(XLSX, &format!("{name}.xlsx"), bytes))
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct TaxYearParams {
    /// A tax year such as `2025-26`; absent: this tax year.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub tax_year: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(schema_with = super::schemas::report_format)]
    pub format: Option<String>,
}

/// Per member for a tax year: paid fees, vouchers, donated, declined, forgone, carried forward,
/// expenses, business miles and whether paid fees pass the trading allowance. Finance.
#[utoipa::path(get, path = "/api/v1/reports/tax-year", tag = "pay-runs", security(("bearer" = [])),
    params(TaxYearParams),
    responses((status = 200, description = "JSON; with format=csv or xlsx, a download",
        content((TaxYearReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn tax_year(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<TaxYearParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let format = ReportFormat::parse(q.format.as_deref())?;
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let report = with_conn(&db, move |c| {
        let span = statements::span(q.tax_year.as_deref(), None, None, today)?;
        reports::tax_year(c, &actor, &span, allowance)
    })
    .await?;
    let name = format!("coprod-tax-year-{}", report.tax_year);
    match format {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(report)),
        ReportFormat::Csv => {
            let bytes = write_tax_year_csv(&report, Vec::new()).map_err(Error::from)?;
            Ok(download::attachment(CSV, &format!("{name}.csv"), bytes))
        }
        ReportFormat::Xlsx => {
            let made =
                move || write_tax_year_xlsx(&report).map(|b| (b, XLSX, format!("{name}.xlsx")));
            Ok(download::made(made).await?)
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryParams {
    /// The first payment date counted; absent: the first day of the month eleven months before
    /// `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// The last payment date counted; absent: today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// One group's lines only.
    pub group_id: Option<String>,
}

/// Finance at a glance: what approved runs with a payment date in the period paid, donated,
/// declined, forwent and carried forward, by month, by group and by method; the median and 90th
/// percentile days from a session (or a claim's approval) to the payment date that paid it; and
/// the sessions and approved claims waiting longest. Finance and admins.
#[utoipa::path(get, path = "/api/v1/reports/summary", operation_id = "summary_report", tag = "pay-runs", security(("bearer" = [])),
    params(SummaryParams),
    responses((status = 200, body = crate::services::summary::Summary),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn summary(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<SummaryParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let today = settings.today();
    let found = with_conn(&db, move |c| {
        crate::services::summary::summary(
            c,
            &actor,
            q.from.as_deref(),
            q.to.as_deref(),
            q.group_id,
            today,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(found))
}
