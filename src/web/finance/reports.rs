//! Finance's reports on screen: the payments report (dates, group, method), a page at a time
//! with the totals of all of it, and the tax-year report per member; each with its CSV and XLSX
//! downloads, made by the same services as the API's.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{drafts, finance};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::payrun::Method;
use crate::domain::periods::TaxYear;
use crate::export::reports::{write_tax_year_csv, write_tax_year_xlsx, TaxYearReport};
use crate::http::download;
use crate::services::page::PageRequest;
use crate::services::reports::{self, PaymentsReport};
use crate::services::{statements, Actor, Error};
use crate::web::{day, error_page, in_page_words, pounds, Ctx, FormErrors};

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Payments shown a page.
const PAGE: i64 = 50;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PaymentsAsked {
    from: String,
    to: String,
    group_id: String,
    method: String,
    cursor: String,
    format: String,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl PaymentsAsked {
    /// The query of this report, for its links: the filter, without the page or the format.
    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("from", &self.from),
            ("to", &self.to),
            ("group_id", &self.group_id),
            ("method", &self.method),
        ])
        .unwrap_or_default()
    }
}

const SUBJECTS: &[(&str, &str)] = &[
    ("from", "The first payment date"),
    ("to", "The last payment date"),
    ("group_id", "The group"),
    ("method", "The method"),
    ("tax_year", "The tax year"),
    ("cursor", "The page"),
];

fn payments_table(r: &PaymentsReport) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Payments, by payment date" {
            table {
                caption { "Payments, by payment date" }
                thead { tr {
                    th scope="col" { "Payment date" }
                    th scope="col" { "Paid to" }
                    th scope="col" { "Member" }
                    th scope="col" { "Method" }
                    th scope="col" class="money" { "Fees" }
                    th scope="col" class="money" { "Expenses" }
                    th scope="col" class="money" { "Total" }
                } }
                tbody {
                    @for p in &r.items {
                        tr {
                            td { (day(p.payment_date)) }
                            td { (p.payee_name) }
                            td { (p.member_name) }
                            td { (p.method.words()) }
                            td class="money" { (pounds(p.fee_amount)) }
                            td class="money" { (pounds(p.expenses_amount)) }
                            td class="money" { (pounds(p.total)) }
                        }
                    }
                }
            }
        }
    }
}

fn payments_form(
    asked: &PaymentsAsked,
    groups: &[crate::services::groups::GroupView],
    errors: &FormErrors,
) -> Markup {
    html! {
        form method="get" action="/finance/reports" novalidate {
            div class="register-fields" {
                div { (errors.input("from", "From", "date", &asked.from, Some("The first payment date; empty for this tax year"), "off")) }
                div { (errors.input("to", "To", "date", &asked.to, Some("The last payment date"), "off")) }
                div {
                    (errors.label("group_id", "Group", None))
                    select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")] {
                        option value="" selected[asked.group_id.is_empty()] { "Every group" }
                        @for g in groups { option value=(g.id) selected[asked.group_id == g.id] { (g.name) } }
                    }
                }
                div {
                    (errors.label("method", "Method", None))
                    select id="method" name="method" aria-invalid=[errors.invalid("method")] {
                        option value="" selected[asked.method.is_empty()] { "Every method" }
                        @for m in Method::ALL { option value=(m.as_str()) selected[asked.method == m.as_str()] { (m.words()) } }
                    }
                }
            }
            div { button type="submit" class="secondary" { "Show" } }
        }
    }
}

/// The payments report on screen, or as CSV (streamed) or XLSX with `format`.
pub async fn payments(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<PaymentsAsked>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let asked = q.into_inner();
    let today = settings.today();
    let (a, f) = (actor.clone(), asked.clone());
    let filter = db
        .run(move |c| {
            let (from, to) = (given(&f.from), given(&f.to));
            // One date alone runs to the end (or from the start) of this tax year.
            let year = TaxYear::containing(today).range();
            let span = match (from, to) {
                (None, None) => statements::span(None, None, None, today)?,
                (from, to) => statements::span(
                    None,
                    Some(&from.unwrap_or_else(|| year.start.to_string())),
                    Some(&to.unwrap_or_else(|| year.end.to_string())),
                    today,
                )?,
            };
            reports::payment_filter(c, &a, &span, given(&f.group_id), given(&f.method))
        })
        .await;
    let name =
        |f: &crate::db::reports::PaymentFilter| format!("coprod-payments-{}-to-{}", f.from, f.to);
    let (report, errors) = match (filter, asked.format.as_str()) {
        (Ok(f), "csv") => {
            let file = format!("{}.csv", name(&f));
            return download::stream(&db, CSV, &file, move |c, w| {
                reports::write_payments_csv(c, &f, w)
            });
        }
        (Ok(f), "xlsx") => {
            let file = format!("{}.xlsx", name(&f));
            let made = db.run(move |c| reports::write_payments_xlsx(c, &f)).await;
            return match made {
                Ok(bytes) => download::attachment(XLSX, &file, bytes),
                Err(e) => error_page(&req, Some(actor), &e),
            };
        }
        (Ok(f), _) => {
            let page = PageRequest::at(PAGE, given(&asked.cursor));
            match db.run(move |c| reports::payments_page(c, &f, &page)).await {
                Ok(r) => (Some(r), FormErrors::none()),
                Err(Error::Validation(e)) => (None, FormErrors(in_page_words(&e, SUBJECTS))),
                Err(e) => return error_page(&req, Some(actor), &e),
            }
        }
        (Err(Error::Validation(e)), _) => (None, FormErrors(in_page_words(&e, SUBJECTS))),
        (Err(e), _) => return error_page(&req, Some(actor), &e),
    };
    let groups = match drafts::groups_for(&db, &actor).await {
        Ok(g) => g,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let query = asked.query();
    let body = html! {
        h1 { "Payments report" }
        p { a href="/finance/reports/tax-year" { "The tax-year report, per member" } }
        (errors.summary())
        (payments_form(&asked, &groups, &errors))
        @if let Some(r) = &report {
            p { strong { (r.payment_count) @if r.payment_count == 1 { " payment, " } @else { " payments, " } (pounds(r.total)) }
                " with a payment date from "
                (day(r.from)) " to " (day(r.to)) "." }
            ul {
                @for (m, t) in &r.totals_by_method { li { (m.words()) ": " (pounds(*t)) } }
            }
            ul {
                li { a href={ "/finance/reports?" (query) "&format=csv" } { "Download the report (CSV)" } }
                li { a href={ "/finance/reports?" (query) "&format=xlsx" } { "Download the report (XLSX)" } }
            }
            @if r.items.is_empty() {
                p { "No payments match." }
            } @else {
                (payments_table(r))
                @if let Some(next) = &r.next_cursor {
                    p { a href={ "/finance/reports?" (query) "&cursor=" (next) } { "The next " (PAGE) " payments" } }
                }
            }
        }
    };
    ctx.page(errors.status(), "Payments report", body)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaxYearAsked {
    tax_year: String,
    format: String,
}

fn tax_year_table(r: &TaxYearReport) -> Markup {
    let row = |t: &crate::domain::statement::Totals| {
        html! {
            td class="money" { (pounds(t.paid_fees)) }
            td class="money" { (pounds(t.paid_in_vouchers)) }
            td class="money" { (pounds(t.donated)) }
            td class="money" { (pounds(t.carried_forward)) }
            td class="money" { (pounds(t.expenses_paid)) }
            td class="money" { (t.business_miles) }
        }
    };
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Each member's tax year" {
            table {
                caption { "Each member's tax year" }
                thead { tr {
                    th scope="col" { "Member" }
                    th scope="col" class="money" { "Fees paid" }
                    th scope="col" class="money" { "In vouchers" }
                    th scope="col" class="money" { "Donated" }
                    th scope="col" class="money" { "Carried forward" }
                    th scope="col" class="money" { "Expenses" }
                    th scope="col" class="money" { "Business miles" }
                    th scope="col" { "Over the trading allowance" }
                } }
                tbody {
                    @for m in &r.members {
                        tr {
                            th scope="row" { a href={ "/finance/members/" (m.member_id) } { (m.full_name) } }
                            (row(&m.totals))
                            td { @if m.passes_trading_allowance { "Yes" } @else { "No" } }
                        }
                    }
                }
                tfoot { tr { th scope="row" { "Total" } (row(&r.totals))
                    td { (r.members_passing_allowance) " members" } } }
            }
        }
    }
}

/// The tax-year report on screen, or as CSV or XLSX with `format`.
pub async fn tax_year(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<TaxYearAsked>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let asked = q.into_inner();
    let (today, allowance) = (settings.today(), settings.payruns.trading_allowance);
    let (a, y) = (actor.clone(), given(&asked.tax_year));
    let found = db
        .run(move |c| {
            let span = statements::span(y.as_deref(), None, None, today)?;
            reports::tax_year(c, &a, &span, allowance)
        })
        .await;
    let (report, errors) = match found {
        Ok(r) => (Some(r), FormErrors::none()),
        Err(Error::Validation(e)) => (None, FormErrors(in_page_words(&e, SUBJECTS))),
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    if let (Some(r), "csv" | "xlsx") = (&report, asked.format.as_str()) {
        return download_tax_year(&req, actor, r.clone(), &asked.format).await;
    }
    let ctx = Ctx::new(&req, Some(actor));
    let shown = report
        .as_ref()
        .map_or(asked.tax_year.clone(), |r| r.tax_year.clone());
    let this = TaxYear::containing(today);
    let body = html! {
        h1 { "Tax-year report" }
        p { a href="/finance/reports" { "The payments report" } }
        (errors.summary())
        form method="get" action="/finance/reports/tax-year" novalidate {
            (errors.input("tax_year", "Tax year", "text", &shown, Some(&format!("Such as {this}")), "off"))
            div { button type="submit" class="secondary" { "Show" } }
        }
        @if let Some(r) = &report {
            p { "Every member paid anything with a payment date from " (day(r.from)) " to " (day(r.to))
                ". The trading allowance is " (pounds(r.trading_allowance)) "." }
            ul {
                li { a href={ "/finance/reports/tax-year?tax_year=" (r.tax_year) "&format=csv" } { "Download the report (CSV)" } }
                li { a href={ "/finance/reports/tax-year?tax_year=" (r.tax_year) "&format=xlsx" } { "Download the report (XLSX)" } }
            }
            @if r.members.is_empty() { p { "Nobody was paid in this tax year." } } @else { (tax_year_table(r)) }
        }
    };
    ctx.page(errors.status(), "Tax-year report", body)
}

async fn download_tax_year(
    req: &HttpRequest,
    actor: Actor,
    r: TaxYearReport,
    format: &str,
) -> HttpResponse {
    let name = format!("coprod-tax-year-{}", r.tax_year);
    let made = if format == "csv" {
        download::made(move || {
            write_tax_year_csv(&r, Vec::new()).map(|b| (b, CSV, format!("{name}.csv")))
        })
        .await
    } else {
        download::made(move || write_tax_year_xlsx(&r).map(|b| (b, XLSX, format!("{name}.xlsx"))))
            .await
    };
    match made {
        Ok(res) => res,
        Err(e) => error_page(req, Some(actor), &e),
    }
}
