//! Benefit limits: each limit's dated figures, which is in force today, and adding next April's
//! figure when the government publishes it. A new figure must start after the latest one
//! (`services::limits::create` says so), so no figure is back-dated under payments it capped.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};

use super::{admin, errors_of, notice, refused, Done, Fields};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::limits::{words, LimitPeriod};
use crate::domain::Money;
use crate::services::limits::{self, LimitView, NewLimit};
use crate::services::{Actor, Error, FieldError};
use crate::web::{csrf_failed, csrf_ok, day, error_page, pounds, redirect, Ctx, Form, FormErrors};

const SUBJECTS: &[(&str, &str)] = &[
    ("code", "The limit"),
    ("amount", "The amount"),
    ("effective_from", "The date it starts"),
    ("period", "The limit"),
];

/// The form as typed.
#[derive(Debug, Clone, Default)]
struct Typed {
    code: String,
    amount: String,
    effective_from: String,
}

fn name_of(code: &str) -> String {
    words(code).map_or_else(|| code.replace('_', " "), str::to_string)
}

fn period_words(p: LimitPeriod) -> &'static str {
    match p {
        LimitPeriod::Week => "a week",
        LimitPeriod::Month => "a month",
    }
}

/// The codes in the order listed, each with its figures (oldest first).
fn by_code(all: &[LimitView]) -> Vec<(&str, Vec<&LimitView>)> {
    let mut out: Vec<(&str, Vec<&LimitView>)> = Vec::new();
    for l in all {
        match out.last_mut() {
            Some((code, list)) if *code == l.code => list.push(l),
            _ => out.push((l.code.as_str(), vec![l])),
        }
    }
    out
}

fn figures(code: &str, list: &[&LimitView], today: NaiveDate) -> Markup {
    let current = list
        .iter()
        .filter(|l| l.effective_from <= today)
        .map(|l| l.effective_from)
        .max();
    let caption = format!("{} figures", name_of(code));
    html! {
        h2 { (name_of(code)) }
        p class="muted" { "Code " code { (code) } ", counted by the " (list.first().map_or("week", |l| l.period.as_str())) "." }
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "From" }
                    th scope="col" class="money" { "Amount" }
                    th scope="col" { "In force" }
                } }
                tbody {
                    @for l in list {
                        tr {
                            td { (day(l.effective_from)) }
                            td class="money" { (pounds(l.amount)) " " (period_words(l.period)) }
                            td {
                                @if Some(l.effective_from) == current { strong { "Today" } }
                                @else if l.effective_from > today { "Not yet" }
                                @else { span class="muted" { "Replaced" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn body(
    ctx: &Ctx,
    all: &[LimitView],
    today: NaiveDate,
    f: &Typed,
    errors: &FormErrors,
    done: bool,
) -> Markup {
    let codes = by_code(all);
    html! {
        h1 { "Benefit limits" }
        @if done { (notice("The new figure is saved. Caps that use this limit follow it from its date.")) }
        p { "Members who choose a benefit limit as their cap are kept to the figure in force on each payment date. "
            "Add next April's figures here when they are published." }
        @for (code, list) in &codes { (figures(code, list, today)) }
        h2 id="add" { "Add a figure" }
        (errors.summary())
        form method="post" action="/limits" novalidate {
            (ctx.csrf_field())
            (errors.label("code", "Limit", None))
            select id="code" name="code" aria-invalid=[errors.invalid("code")]
                aria-describedby=[errors.described_by("code", false)] {
                @for (code, _) in &codes {
                    option value=(code) selected[*code == f.code] { (name_of(code)) }
                }
            }
            (errors.input("amount", "Amount, in pounds", "text", &f.amount,
                Some("For the limit's own period (a week or a month), for example 203.00"), "off"))
            (errors.input("effective_from", "The date it starts", "date", &f.effective_from,
                Some("After the date of the limit's latest figure: usually the first Monday of the tax year, for example 2027-04-05"), "off"))
            div { button type="submit" { "Add the figure" } }
        }
    }
}

async fn page(
    req: &HttpRequest,
    db: &Database,
    settings: &Settings,
    actor: Actor,
    f: &Typed,
    (status, errors): (StatusCode, FormErrors),
    done: bool,
) -> HttpResponse {
    let a = actor.clone();
    let all = match db.run(move |c| limits::list(c, &a, None)).await {
        Ok(l) => l,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = body(&ctx, &all, settings.today(), f, &errors, done);
    ctx.page(status, "Benefit limits", body)
}

async fn show(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<Done>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let done = q.saved.is_some();
    let f = Typed::default();
    let shown = (StatusCode::OK, FormErrors::none());
    page(&req, &db, &settings, actor, &f, shown, done).await
}

/// An amount of pounds as typed (`£203`, `1,020.50`), or the words for one that is not.
fn amount(typed: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    let cleaned: String = typed
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    match cleaned.parse::<Money>() {
        Ok(m) => Some(m),
        Err(_) => {
            errors.push(FieldError::new(
                "amount",
                "Enter the amount in pounds and pence, such as 203.00",
            ));
            None
        }
    }
}

/// Reads the form into the service's input: the limit's period is its own (from its figures).
fn read(f: &Typed, all: &[LimitView]) -> Result<NewLimit, Error> {
    let mut errors = Vec::new();
    let period = all.iter().find(|l| l.code == f.code).map(|l| l.period);
    if period.is_none() {
        errors.push(FieldError::new("code", "Choose one of the limits"));
    }
    let money = amount(&f.amount, &mut errors);
    let from = match NaiveDate::parse_from_str(f.effective_from.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                "effective_from",
                "Enter the date it starts as year-month-day, such as 2027-04-05",
            ));
            None
        }
    };
    match (period, money, from) {
        (Some(period), Some(amount), Some(effective_from)) if errors.is_empty() => Ok(NewLimit {
            code: f.code.clone(),
            period,
            amount,
            effective_from,
        }),
        _ => Err(Error::Validation(errors)),
    }
}

async fn add(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let f = Typed {
        code: fields.one("code").trim().to_string(),
        amount: fields.one("amount").to_string(),
        effective_from: fields.one("effective_from").to_string(),
    };
    let (a, typed) = (actor.clone(), f.clone());
    let result = db
        .run(move |c| {
            let all = limits::list(c, &a, None)?;
            limits::create(c, &a, read(&typed, &all)?)
        })
        .await;
    match result {
        Ok(_) => redirect("/limits?saved=1"),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let errors = errors_of(&e, SUBJECTS, &[("period", "code")], "effective_from");
            page(
                &req,
                &db,
                &settings,
                actor,
                &f,
                (refused(&e), errors),
                false,
            )
            .await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/limits")
            .route(web::get().to(show))
            .route(web::post().to(add)),
    );
}
