//! Finance's view of one person's money: find a member by name; on their page, this tax year's
//! statement on screen (totals and every line) with its PDF and CSV downloads and the letter for
//! the Jobcentre; their adjustments with the run that paid each; and a form to make one (a fee or
//! an expense, positive or negative, with a reason) that the next run in its scope pays.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{drafts, finance};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::periods::TaxYear;
use crate::export::statement::Statement;
use crate::services::groups::GroupView;
use crate::services::members::{self, MemberView};
use crate::services::page::PageRequest;
use crate::services::payruns::{self, AdjustmentView, NewAdjustment};
use crate::services::{statements, Actor, Error, FieldError};
use crate::web::{
    csrf_failed, csrf_ok, day, downloads, error_page, in_page_words, pounds, redirect, Ctx, Form,
    FormErrors,
};

#[derive(Deserialize)]
pub struct Find {
    q: Option<String>,
}

/// Members found by name, each with a link to their money.
pub async fn find(req: HttpRequest, db: web::Data<Database>, q: web::Query<Find>) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = q.into_inner().q.unwrap_or_default();
    let (a, asked) = (actor.clone(), q.clone());
    let found = match db
        .run(move |c| members::list(c, &a, Some(&asked), true, &PageRequest::first(50)))
        .await
    {
        Ok(p) => p.items,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "Members' money" }
        p { "Find a member to see their statement, download it or their letter for the Jobcentre, "
            "and make an adjustment. " a href="/finance/adjustments" { "Every adjustment, waiting or paid" } "." }
        form method="get" action="/finance/members" {
            label for="q" { "Name" span class="hint" { "Part of their name is enough" } }
            input type="text" id="q" name="q" value=(q) autocomplete="off";
            div { button type="submit" class="secondary" { "Find" } }
        }
        @if found.is_empty() {
            p { "No member has a name like that." }
        } @else {
            ul class="links" {
                @for m in &found {
                    li { a href={ "/finance/members/" (m.id) } { (m.full_name) }
                        @if let Some(r) = &m.payee_reference { " (" (r) ")" }
                        @if m.archived { " " span class="muted" { "archived" } } }
                }
            }
        }
    };
    ctx.page(StatusCode::OK, "Members' money", body)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdjustmentForm {
    csrf: String,
    kind: String,
    amount: String,
    group_id: String,
    reason: String,
}

const SUBJECTS: &[(&str, &str)] = &[
    ("kind", "What it corrects"),
    ("amount", "The amount"),
    ("group_id", "The group"),
    ("reason", "The reason"),
];

struct Loaded {
    member: MemberView,
    statement: Statement,
    adjustments: Vec<AdjustmentView>,
    groups: Vec<GroupView>,
}

async fn load(
    db: &web::Data<Database>,
    settings: &Settings,
    actor: &Actor,
    id: String,
) -> Result<Loaded, Error> {
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let a = actor.clone();
    let groups = drafts::groups_for(db, actor).await?;
    db.run(move |c| {
        let member = members::get(c, &a, &id)?;
        let span = statements::span(None, None, None, today)?;
        Ok(Loaded {
            statement: statements::statement(c, &a, &id, &span, allowance, today)?,
            adjustments: payruns::adjustments_of(c, &a, &id)?,
            member,
            groups,
        })
    })
    .await
}

fn statement_view(st: &Statement) -> Markup {
    let t = &st.figures.totals;
    html! {
        div class="cards" {
            div class="card" { span class="figure" { (pounds(t.paid_fees)) } "fees paid" }
            div class="card" { span class="figure" { (pounds(t.expenses_paid)) } "expenses repaid" }
            div class="card" { span class="figure" { (pounds(t.donated)) } "given to charity" }
            div class="card" { span class="figure" { (pounds(st.held_back_at_end)) } "held back, to pay later" }
        }
        @if st.lines.is_empty() {
            p { "Nothing has been paid to them in this tax year." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Every line of the statement" {
                table {
                    caption { "Every line of the statement, by payment date" }
                    thead { tr {
                        th scope="col" { "Payment date" }
                        th scope="col" { "For" }
                        th scope="col" { "What became of it" }
                        th scope="col" class="money" { "Amount" }
                    } }
                    tbody {
                        @for l in &st.lines {
                            tr {
                                td { (day(l.payment_date)) }
                                td { (l.explanation) }
                                td { (l.disposition.words()) }
                                td class="money" { (pounds(l.amount)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn adjustments_view(list: &[AdjustmentView]) -> Markup {
    html! {
        @if list.is_empty() {
            p { "No adjustments." }
        } @else {
            ul {
                @for a in list {
                    li { strong { (pounds(a.amount)) } " " (a.kind.as_str()) ": " (a.reason) ". "
                        @match &a.paid_by_run {
                            Some(run) => { "Paid by " a href={ "/runs/" (run) } { "the run that paid this " (pounds(a.amount)) } "." }
                            None => { "Waiting for the next run." }
                        }
                    }
                }
            }
        }
    }
}

fn adjustment_form(ctx: &Ctx, p: &Loaded, f: &AdjustmentForm, errors: &FormErrors) -> Markup {
    html! {
        (errors.summary())
        form method="post" action={ "/finance/members/" (p.member.id) "/adjustments" } novalidate {
            (ctx.csrf_field())
            fieldset class="question" aria-describedby=[errors.described_by("kind", false)] {
                legend { "What does it correct?" }
                @if let Some(e) = errors.message("kind") {
                    span class="field-error" id="kind-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="radios" {
                    div class="radio" {
                        input type="radio" id="kind" name="kind" value="fee" checked[f.kind == "fee"];
                        label for="kind" { "A fee (earnings)" }
                    }
                    div class="radio" {
                        input type="radio" id="kind-expense" name="kind" value="expense" checked[f.kind == "expense"];
                        label for="kind-expense" { "An expense (not earnings)" }
                    }
                }
            }
            (errors.input("amount", "Amount, in pounds", "text", &f.amount,
                Some("More than 0 to pay them more; less than 0, such as -15.00, to take back an overpayment"), "off"))
            (errors.label("group_id", "Group (optional)", Some("Paid by the next run of this group, or by the next run of every group")))
            select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")]
                aria-describedby=[errors.described_by("group_id", true)] {
                option value="" selected[f.group_id.is_empty()] { "No group" }
                @for g in &p.groups { option value=(g.id) selected[f.group_id == g.id] { (g.name) } }
            }
            (errors.input("reason", "Reason", "text", &f.reason, Some("Kept with the adjustment and shown on their statement"), "off"))
            div { button type="submit" { "Make the adjustment" } }
        }
    }
}

fn member_page(
    req: &HttpRequest,
    actor: Actor,
    p: &Loaded,
    notice: Option<&str>,
    f: &AdjustmentForm,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let m = &p.member;
    let year = TaxYear::containing(p.statement.to);
    let base = format!("/finance/members/{}", m.id);
    let body = html! {
        p { a href="/finance/members" { "Back to members' money" } }
        h1 { (m.full_name) }
        @if let Some(n) = notice { div class="notice" role="status" { p { (n) } } }
        @if let Some(r) = &m.payee_reference { p { "Payee reference " (r) "." } }
        h2 { "This tax year (" (year) ")" }
        (statement_view(&p.statement))
        ul {
            li { a href={ (base) "/statement?tax_year=" (year) "&format=pdf" } { "Download the statement (PDF)" } }
            li { a href={ (base) "/statement?tax_year=" (year) "&format=csv" } { "Download it as a spreadsheet (CSV)" } }
            li { a href={ (base) "/benefits-letter" } { "The letter about their payments for the Jobcentre or a benefits adviser (PDF)" } }
        }
        h2 { "Adjustments" }
        (adjustments_view(&p.adjustments))
        h3 { "Make an adjustment" }
        (adjustment_form(&ctx, p, f, errors))
    };
    ctx.page(errors.status(), &m.full_name, body)
}

#[derive(Deserialize)]
pub struct Notice {
    adjusted: Option<String>,
}

pub async fn member(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<Notice>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    match load(&db, &settings, &actor, path.into_inner()).await {
        Ok(p) => {
            let notice = q
                .adjusted
                .as_ref()
                .map(|_| "The adjustment is made. The next run pays it.");
            let f = AdjustmentForm::default();
            member_page(&req, actor, &p, notice, &f, &FormErrors::none())
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn adjust(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<AdjustmentForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let mut errors: Vec<FieldError> = Vec::new();
    if form.kind.is_empty() {
        errors.push(FieldError::new(
            "kind",
            "Choose whether it corrects a fee or an expense",
        ));
    }
    let amount = FormErrors::typed_pounds("amount", &form.amount, &mut errors);
    if form.amount.trim().is_empty() {
        errors.push(FieldError::new(
            "amount",
            "Enter the amount, such as 15.00 or -15.00",
        ));
    }
    let result = match (errors.is_empty(), amount) {
        (true, Some(amount)) => {
            let (a, new) = (
                actor.clone(),
                NewAdjustment {
                    member_id: id.clone(),
                    group_id: Some(form.group_id.clone()).filter(|g| !g.is_empty()),
                    kind: form.kind.clone(),
                    amount,
                    reason: form.reason.clone(),
                },
            );
            db.run(move |c| payruns::adjust(c, &a, new))
                .await
                .map(|_| ())
        }
        _ => Err(Error::Validation(errors)),
    };
    match result {
        Ok(()) => redirect(&format!("/finance/members/{id}?adjusted=1")),
        Err(Error::Validation(errors)) => match load(&db, &settings, &actor, id).await {
            Ok(p) => {
                let errors = FormErrors(in_page_words(&errors, SUBJECTS));
                member_page(&req, actor, &p, None, &form, &errors)
            }
            Err(e) => error_page(&req, Some(actor), &e),
        },
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// A member's statement, as a PDF or CSV download.
pub async fn statement(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<downloads::Asked>,
) -> HttpResponse {
    match finance(&req).await {
        Ok(actor) => {
            downloads::statement(
                &req,
                &db,
                &settings,
                actor,
                path.into_inner(),
                q.into_inner(),
            )
            .await
        }
        Err(res) => res,
    }
}

/// The letter about a member's payments (PDF), by default of the last twelve months.
pub async fn letter(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<downloads::Asked>,
) -> HttpResponse {
    match finance(&req).await {
        Ok(actor) => {
            downloads::letter(
                &req,
                &db,
                &settings,
                actor,
                path.into_inner(),
                q.into_inner(),
            )
            .await
        }
        Err(res) => res,
    }
}

fn adjustments_table(caption: &str, list: &[(AdjustmentView, String)]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "Member" } th scope="col" { "For" } th scope="col" { "Reason" }
                    th scope="col" class="money" { "Amount" } th scope="col" { "Paid by" }
                } }
                tbody {
                    @for (a, name) in list {
                        tr {
                            td { a href={ "/finance/members/" (a.member_id) } { (name) } }
                            td { (a.kind.as_str()) }
                            td { (a.reason) }
                            td class="money" { (pounds(a.amount)) }
                            td { @match &a.paid_by_run { Some(r) => { a href={ "/runs/" (r) } { "The run that paid " (name) "'s " (pounds(a.amount)) } } None => { "Waiting" } } }
                        }
                    }
                }
            }
        }
    }
}

/// Every adjustment waiting for a run, and the latest that runs have paid.
pub async fn all(req: HttpRequest, db: web::Data<Database>) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    let (waiting, paid) = match db.run(move |c| payruns::all_adjustments(c, &a, 50)).await {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        p { a href="/finance/members" { "Back to members' money" } }
        h1 { "Adjustments" }
        p { "Adjustments are made from a member's page. The next run in each one's scope pays it." }
        h2 { "Waiting for a run" }
        @if waiting.is_empty() { p { "None are waiting." } } @else { (adjustments_table("Waiting for a run, oldest first", &waiting)) }
        h2 { "Paid" }
        @if paid.is_empty() { p { "None have been paid yet." } } @else { (adjustments_table("Paid by a run, newest first", &paid)) }
    };
    ctx.page(StatusCode::OK, "Adjustments", body)
}
