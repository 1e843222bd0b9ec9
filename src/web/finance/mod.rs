//! Finance's pages: pay runs, a run's review (payments, totals by method and disposition),
//! approving it against the total reviewed, marking it paid, and every download.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    csrf_failed, csrf_ok, day, error_page, form_errors, pounds, redirect, Ctx, Form, FormErrors,
};

use crate::config::Settings;
use crate::db::Database;
use crate::domain::payrun::{LineKind, RunStatus};
use crate::domain::Money;
use crate::http::download;
use crate::services::exports;
use crate::services::members;
use crate::services::page::PageRequest;
use crate::services::payruns::{self, PayRunView, PaymentView, RunPolicy};
use crate::services::{Actor, Error, Role};

mod cards;
mod drafts;
mod glance;
mod people;
mod reports;

/// The signed-in finance officer, or where to send the browser instead.
pub async fn finance(req: &HttpRequest) -> Result<Actor, HttpResponse> {
    super::signed_in_as(req, &[Role::Finance]).await
}

/// Finance, or a coordinator (who drafts, reviews, recalculates and cancels their groups' runs).
pub async fn runs_staff(req: &HttpRequest) -> Result<Actor, HttpResponse> {
    super::signed_in_as(req, &[Role::Finance, Role::Coordinator]).await
}

pub async fn runs(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let actor = match runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    let page = match db
        .run(move |c| payruns::list(c, &a, None, &PageRequest::first(100)))
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let groups = match drafts::groups_for(&db, &actor).await {
        Ok(g) => g,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let new = drafts::DraftForm::usual(settings.today());
    let ctx = Ctx::new(&req, Some(actor.clone()));
    let body = html! {
        h1 { "Pay runs" }
        @if page.items.is_empty() {
            p { "There are no pay runs yet. Draft one for a period below." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Pay runs, newest first" } {
                table {
                    caption { "Pay runs, newest first" }
                    thead { tr {
                        th scope="col" { "Sessions from" }
                        th scope="col" { "Payment date" }
                        th scope="col" { "Status" }
                        th scope="col" class="money" { "Payments" }
                        th scope="col" class="money" { "Total" }
                    } }
                    tbody {
                        @for r in &page.items {
                            tr {
                                td { a href={ "/runs/" (r.id) } { (day(r.period_start)) " to " (day(r.period_end)) } }
                                td { (day(r.payment_date)) }
                                td class="status" { (r.status.words()) }
                                td class="money" { (r.payment_count) }
                                td class="money" { (pounds(r.total)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let body =
        html! { (body) (drafts::draft_form(&ctx, &actor, &groups, &new, &FormErrors::none())) };
    ctx.page(StatusCode::OK, "Pay runs", body)
}

fn totals_table(
    caption: &str,
    head: &str,
    rows: &std::collections::BTreeMap<String, Money>,
) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label={ (caption) } {
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (head) } th scope="col" class="money" { "Amount" } } }
                tbody {
                    @for (k, v) in rows {
                        tr { td { (k.replace('_', " ")) } td class="money" { (pounds(*v)) } }
                    }
                }
            }
        }
    }
}

fn review(
    ctx: &Ctx,
    run: &PayRunView,
    payments: Option<&[PaymentView]>,
    names: &std::collections::HashMap<String, String>,
    errors: &FormErrors,
) -> Markup {
    let finance = payments.is_some();
    html! {
        h1 { "Pay run: " (day(run.period_start)) " to " (day(run.period_end)) }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        p { "Status: " strong { (run.status.words()) } ". Payment date " (day(run.payment_date)) "." }
        div class="cards" {
            div class="card" { span class="figure" { (pounds(run.total)) } "total" }
            div class="card" { span class="figure" { (run.payment_count) } "payments" }
            div class="card" { span class="figure" { (run.line_count) } "lines" }
        }
        @if !run.warnings.is_empty() {
            h2 { "Warnings" }
            ul { @for w in &run.warnings { li { (w) } } }
        }
        (totals_table("Totals by method", "Method", &run.totals_by_method))
        (totals_table("Totals by outcome", "Outcome", &run.totals_by_disposition))
        @if run.status == RunStatus::Draft {
            (drafts::draft_actions(ctx, run))
        }
        @if run.status == RunStatus::Draft && !finance {
            p { "Finance reviews and approves the run." }
        }
        @if run.status == RunStatus::Draft && finance {
            h2 { "Approve" }
            p { "Approving checks the run again. It is refused if anything changed since it was worked out, "
                "or if the figures below are not the ones you reviewed." }
            form method="post" action={ "/runs/" (run.id) "/approve" } novalidate {
                (ctx.csrf_field())
                (errors.input("expected_total", "Total you reviewed, in pounds", "text", &run.total.to_string(), Some("For example 1234.50"), "off"))
                (errors.input("expected_count", "Number of payments you reviewed", "text", &run.payment_count.to_string(), None, "off"))
                button type="submit" { "Approve " (pounds(run.total)) }
            }
        }
        @if finance && matches!(run.status, RunStatus::Approved | RunStatus::Exported) {
            h2 { "Mark as paid" }
            form method="post" action={ "/runs/" (run.id) "/mark-paid" } novalidate {
                (ctx.csrf_field())
                (errors.input("paid_on", "Date paid", "date", &run.payment_date.to_string(), None, "off"))
                (errors.input("reference", "Payment reference (optional)", "text", "", Some("The BACS or payroll reference"), "off"))
                button type="submit" { "Mark as paid" }
            }
        }
        @if finance && run.status.is_approved() {
            h2 { "Downloads" }
            p { "The first download marks the run exported; later ones are marked as repeats." }
            ul class="downloads" {
                @for (format, label) in EXPORTS {
                    li {
                        form method="post" action={ "/runs/" (run.id) "/export" } {
                            (ctx.csrf_field())
                            input type="hidden" name="format" value=(format);
                            button type="submit" class="link-button" { "Download " (label) }
                        }
                    }
                }
            }
        }
        @if let Some(payments) = payments {
        h2 { "Payments" }
        @if i64::try_from(payments.len()).unwrap_or(0) < i64::from(run.payment_count) {
            p { "Showing the first " (payments.len()) " of " (run.payment_count)
                " payments. The review workbook has every one." }
        }
        div class="table-wrap" tabindex="0" role="region" aria-label={ "One payment per payee" } {
            table {
                caption { "One payment per payee" }
                thead { tr {
                    th scope="col" { "Payee" }
                    th scope="col" { "Method" }
                    th scope="col" class="money" { "Fees" }
                    th scope="col" class="money" { "Expenses" }
                    th scope="col" class="money" { "Total" }
                } }
                tbody {
                    @for p in payments {
                        tr {
                            td { @if let Some(n) = &p.payee.name { (n) " (charity, for " (names.get(&p.member_id).cloned().unwrap_or_default()) ")" }
                                 @else { (names.get(&p.member_id).cloned().unwrap_or_else(|| p.member_id.clone())) } }
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
        p { a href={ "/runs/" (run.id) "/lines" } { "Every line of this run, with how it was worked out" } }
        p { a href="/runs" { "All pay runs" } }
    }
}

async fn show(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    id: String,
    status: StatusCode,
    errors: FormErrors,
) -> HttpResponse {
    let a = actor.clone();
    let finance = actor.role == Role::Finance;
    let loaded = db
        .run(move |c| {
            let run = payruns::get(c, &a, &id)?;
            let mut pays = Vec::new();
            let mut cursor = None;
            // Coordinators see a run's totals and lines; its payments are finance's.
            if finance {
                loop {
                    let page = payruns::payments(c, &a, &id, &PageRequest::at(200, cursor))?;
                    pays.extend(page.items);
                    match page.next_cursor {
                        Some(next) if pays.len() < 2000 => cursor = Some(next),
                        _ => break,
                    }
                }
            }
            let ids: Vec<String> = pays.iter().map(|p| p.member_id.clone()).collect();
            let names = members::names(c, &a, &ids)?;
            Ok::<_, Error>((run, pays, names))
        })
        .await;
    match loaded {
        Ok((run, pays, names)) => {
            let ctx = Ctx::new(req, Some(actor));
            let payments = finance.then_some(pays.as_slice());
            let body = review(&ctx, &run, payments, &names, &errors);
            ctx.page(status, "Pay run", body)
        }
        Err(e) => error_page(req, Some(actor), &e),
    }
}

pub async fn run(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    show(
        &req,
        &db,
        actor,
        path.into_inner(),
        StatusCode::OK,
        FormErrors::none(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    expected_total: String,
    #[serde(default)]
    expected_count: String,
}

pub async fn approve(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<RunPolicy>,
    path: web::Path<String>,
    form: Form<ApproveForm>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let id = path.into_inner();
    let mut errors = Vec::new();
    let total = form
        .expected_total
        .trim()
        .trim_start_matches('£')
        .replace(',', "")
        .parse::<Money>();
    if total.is_err() {
        errors.push(crate::services::FieldError::new(
            "expected_total",
            "Enter the total in pounds and pence, such as 1234.50",
        ));
    }
    let count = form.expected_count.trim().parse::<i64>();
    if count.is_err() {
        errors.push(crate::services::FieldError::new(
            "expected_count",
            "Enter the number of payments, such as 12",
        ));
    }
    let (Ok(total), Ok(count)) = (total, count) else {
        return show(
            &req,
            &db,
            actor,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormErrors(errors),
        )
        .await;
    };
    let (a, run_id) = (actor.clone(), id.clone());
    let done = db
        .run(move |c| payruns::approve(c, &a, &policy, &run_id, total, count))
        .await;
    after(&req, &db, actor, id, done).await
}

#[derive(Deserialize)]
pub struct PaidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    reference: String,
}

pub async fn mark_paid(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<RunPolicy>,
    path: web::Path<String>,
    form: Form<PaidForm>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let id = path.into_inner();
    let Ok(paid_on) = form.paid_on.trim().parse::<chrono::NaiveDate>() else {
        return show(
            &req,
            &db,
            actor,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormErrors::one("paid_on", "Enter the date it was paid"),
        )
        .await;
    };
    let reference = Some(form.reference.trim().to_string()).filter(|r| !r.is_empty());
    let (a, run_id) = (actor.clone(), id.clone());
    let done = db
        .run(move |c| payruns::mark_paid(c, &a, &policy, &run_id, paid_on, reference))
        .await;
    after(&req, &db, actor, id, done).await
}

/// After a form on a run: back to the run, or the run again with what was wrong.
async fn after<T>(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    id: String,
    done: Result<T, Error>,
) -> HttpResponse {
    match done {
        Ok(_) => redirect(&format!("/runs/{id}")),
        Err(e @ Error::Validation(_)) => {
            show(
                req,
                db,
                actor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                form_errors(&e),
            )
            .await
        }
        Err(Error::Conflict(m)) => {
            show(
                req,
                db,
                actor,
                id,
                StatusCode::CONFLICT,
                FormErrors::one("form", &m),
            )
            .await
        }
        Err(e) => error_page(req, Some(actor), &e),
    }
}

/// The downloads of a run, as the API names their formats.
const EXPORTS: [(&str, &str); 4] = [
    ("csv", "payments with control totals (CSV)"),
    ("xlsx", "review workbook (XLSX)"),
    ("xero", "Xero bills import (CSV)"),
    ("payroll", "payroll lines (CSV)"),
];

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    format: Option<String>,
}

/// The same download as the API's export, for the signed-in browser. A POST with the form's CSRF
/// token, because the download marks the run exported: no GET of the portal changes anything.
pub async fn export(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<ExportForm>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (a, id) = (actor.clone(), path.into_inner());
    let format = form.format.unwrap_or_else(|| "csv".into());
    let plan = match db.run(move |c| exports::begin(c, &a, &id, &format)).await {
        Ok(p) => p,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    match download::export(&db, settings.exports.clone(), plan).await {
        Ok(res) => res,
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// Lines shown on one page of a run's lines.
const LINES_PER_PAGE: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct LinesQuery {
    cursor: Option<String>,
}

/// A run's lines, a page at a time: who, for what, the outcome, the amount and how it was worked
/// out.
pub async fn lines(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    query: web::Query<LinesQuery>,
) -> HttpResponse {
    let actor = match runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id, cursor) = (actor.clone(), path.into_inner(), query.into_inner().cursor);
    let loaded = db
        .run(move |c| {
            let run = payruns::get(c, &a, &id)?;
            let page = payruns::lines(c, &a, &id, &PageRequest::at(LINES_PER_PAGE, cursor))?;
            let ids: Vec<String> = page.items.iter().map(|l| l.member_id.clone()).collect();
            let names = members::names(c, &a, &ids)?;
            Ok::<_, Error>((run, page, names))
        })
        .await;
    let (run, page, names) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        p { a href={ "/runs/" (run.id) } { "Back to the run" } }
        h1 { "Lines of the pay run: " (day(run.period_start)) " to " (day(run.period_end)) }
        p { (run.line_count) " lines. Each says how its amount was worked out." }
        div class="table-wrap" tabindex="0" role="region" aria-label="Lines, in order" {
            table {
                caption { "Lines, in order" }
                thead { tr {
                    th scope="col" { "Member" }
                    th scope="col" { "Session date" }
                    th scope="col" { "Kind" }
                    th scope="col" { "Outcome" }
                    th scope="col" class="money" { "Amount" }
                    th scope="col" { "How it was worked out" }
                } }
                tbody {
                    @for l in &page.items {
                        tr {
                            td { (names.get(&l.member_id).cloned().unwrap_or_else(|| l.member_id.clone())) }
                            td { @if let Some(d) = l.meeting_date { (day(d)) } }
                            td { (l.kind.words()) }
                            td { (l.disposition.words()) }
                            td class="money" { (pounds(l.amount)) }
                            td { (l.explanation)
                                @if let (Some(m), LineKind::Fee) = (&l.meeting_id, l.kind) {
                                    " " a href={ "/rate-cards/which?member_id=" (l.member_id) "&meeting_id=" (m) } { "Which rule, and why" }
                                } }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &page.next_cursor {
            p { a href={ "/runs/" (run.id) "/lines?cursor=" (next) } { "Next " (LINES_PER_PAGE) " lines" } }
        }
    };
    ctx.page(StatusCode::OK, "Lines of a pay run", body)
}

/// The links of the main navigation for this audience.
pub const NAV: &[(&str, &str)] = &[
    ("/finance", "At a glance"),
    ("/runs", "Pay runs"),
    ("/finance/members", "Members' money"),
    ("/rate-cards", "Rate cards"),
    ("/finance/reports", "Reports"),
];

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/finance").route(web::get().to(glance::home)))
        .service(web::resource("/finance/members").route(web::get().to(people::find)))
        .service(web::resource("/finance/adjustments").route(web::get().to(people::all)))
        .service(web::resource("/rate-cards").route(web::get().to(cards::cards)))
        .service(
            web::resource("/rate-cards/new")
                .route(web::get().to(cards::new_card))
                .route(web::post().to(cards::create)),
        )
        .service(web::resource("/rate-cards/which").route(web::get().to(cards::which)))
        .service(web::resource("/rate-cards/{id}").route(web::get().to(cards::card)))
        .service(web::resource("/finance/reports").route(web::get().to(reports::payments)))
        .service(web::resource("/finance/reports/tax-year").route(web::get().to(reports::tax_year)))
        .service(web::resource("/finance/members/{id}").route(web::get().to(people::member)))
        .service(
            web::resource("/finance/members/{id}/adjustments")
                .route(web::post().to(people::adjust)),
        )
        .service(
            web::resource("/finance/members/{id}/statement")
                .route(web::get().to(people::statement)),
        )
        .service(
            web::resource("/finance/members/{id}/benefits-letter")
                .route(web::get().to(people::letter)),
        )
        .service(
            web::resource("/runs")
                .route(web::get().to(runs))
                .route(web::post().to(drafts::draft)),
        )
        .service(web::resource("/runs/{id}/recalculate").route(web::post().to(drafts::recalculate)))
        .service(web::resource("/runs/{id}/cancel").route(web::post().to(drafts::cancel)))
        .service(web::resource("/runs/{id}").route(web::get().to(run)))
        .service(web::resource("/runs/{id}/approve").route(web::post().to(approve)))
        .service(web::resource("/runs/{id}/mark-paid").route(web::post().to(mark_paid)))
        .service(web::resource("/runs/{id}/lines").route(web::get().to(lines)))
        .service(web::resource("/runs/{id}/export").route(web::post().to(export)));
}
