//! Drafting pay runs, for finance and for coordinators (their own groups' runs): a run for a
//! period is worked out as a draft to review; a draft can be worked out again or cancelled.
//! Approval stays with finance.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::runs_staff;
use crate::db::Database;
use crate::services::groups::{self, GroupView};
use crate::services::page::PageRequest;
use crate::services::payruns::{self, NewRun, PayRunView};
use crate::services::{Actor, Error, FieldError, Role};
use crate::web::{
    csrf_failed, csrf_ok, error_page, form_errors, in_page_words, redirect, Ctx, Form, FormErrors,
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    csrf: String,
    group_id: String,
    period_start: String,
    period_end: String,
    payment_date: String,
}

impl DraftForm {
    /// A form for last month's sessions, paid on the first Friday after `today`: what a pay run
    /// usually is.
    pub fn usual(today: NaiveDate) -> DraftForm {
        use chrono::{Datelike, Weekday};
        let this_month = today.with_day(1).unwrap_or(today);
        let end = this_month.pred_opt().unwrap_or(today);
        let start = end.with_day(1).unwrap_or(end);
        let ahead =
            (Weekday::Fri.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
        let friday = today + chrono::Days::new(u64::from(if ahead == 0 { 7 } else { ahead }));
        DraftForm {
            period_start: start.to_string(),
            period_end: end.to_string(),
            payment_date: friday.to_string(),
            ..DraftForm::default()
        }
    }
}

const SUBJECTS: &[(&str, &str)] = &[
    ("group_id", "The group"),
    ("period_start", "The first day"),
    ("period_end", "The last day"),
    ("payment_date", "The payment date"),
];

/// The groups a run may be for: a coordinator's own (one must be chosen), or every group.
pub async fn groups_for(db: &web::Data<Database>, actor: &Actor) -> Result<Vec<GroupView>, Error> {
    let a = actor.clone();
    db.run(move |c| Ok(groups::list_groups(c, &a, &PageRequest::first(200))?.items))
        .await
}

/// The form that drafts a run.
pub fn draft_form(
    ctx: &Ctx,
    actor: &Actor,
    groups: &[GroupView],
    f: &DraftForm,
    errors: &FormErrors,
) -> Markup {
    html! {
        h2 id="draft" { "Draft a pay run" }
        p { "A draft works out every payment for sessions and approved claims in the period. "
            "Nothing is paid until finance approves it." }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/runs" novalidate {
            (ctx.csrf_field())
            (errors.label("group_id", "Group", None))
            select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")]
                aria-describedby=[errors.described_by("group_id", false)] {
                @if actor.role != Role::Coordinator { option value="" selected[f.group_id.is_empty()] { "Every group" } }
                @for g in groups { option value=(g.id) selected[f.group_id == g.id] { (g.name) } }
            }
            (errors.input("period_start", "First day of the period", "date", &f.period_start, None, "off"))
            (errors.input("period_end", "Last day of the period", "date", &f.period_end, None, "off"))
            (errors.input("payment_date", "Payment date", "date", &f.payment_date, Some("When the money should reach people"), "off"))
            div { button type="submit" { "Draft the run" } }
        }
    }
}

/// Recalculate and cancel, for a draft.
pub fn draft_actions(ctx: &Ctx, run: &PayRunView) -> Markup {
    html! {
        h2 { "Change the draft" }
        p { "Work it out again after a register or claim changed, or cancel it to start again. "
            "A cancelled run pays nothing." }
        form method="post" action={ "/runs/" (run.id) "/recalculate" } {
            (ctx.csrf_field())
            button type="submit" class="secondary" { "Work it out again" }
        }
        form method="post" action={ "/runs/" (run.id) "/cancel" } {
            (ctx.csrf_field())
            button type="submit" class="secondary" { "Cancel this draft" }
        }
    }
}

fn date(field: &str, typed: &str, errors: &mut Vec<FieldError>) -> NaiveDate {
    typed.trim().parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(field, "Enter a date, such as 2026-05-31"));
        NaiveDate::MIN
    })
}

async fn draft_page(
    req: &HttpRequest,
    db: &web::Data<Database>,
    actor: Actor,
    f: &DraftForm,
    errors: &FormErrors,
) -> HttpResponse {
    let groups = match groups_for(db, &actor).await {
        Ok(g) => g,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor.clone()));
    let body = html! {
        p { a href="/runs" { "Back to pay runs" } }
        h1 { "Draft a pay run" }
        (draft_form(&ctx, &actor, &groups, f, errors))
    };
    ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "Draft a pay run", body)
}

pub async fn draft(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<DraftForm>,
) -> HttpResponse {
    let f = form.into_inner();
    if !csrf_ok(&req, &f.csrf) {
        return csrf_failed(&req);
    }
    let actor = match runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let mut read = Vec::new();
    let new = NewRun {
        group_id: Some(f.group_id.trim().to_string()).filter(|g| !g.is_empty()),
        period_start: date("period_start", &f.period_start, &mut read),
        period_end: date("period_end", &f.period_end, &mut read),
        payment_date: date("payment_date", &f.payment_date, &mut read),
    };
    let result = if read.is_empty() {
        let a = actor.clone();
        db.run(move |c| payruns::create(c, &a, new)).await
    } else {
        Err(Error::Validation(read))
    };
    match result {
        Ok(run) => redirect(&format!("/runs/{}", run.id)),
        Err(Error::Validation(errors)) => {
            let errors = FormErrors(in_page_words(&errors, SUBJECTS));
            draft_page(&req, &db, actor, &f, &errors).await
        }
        Err(e @ Error::Conflict(_)) => draft_page(&req, &db, actor, &f, &form_errors(&e)).await,
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn act(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: CsrfOnly,
    cancel: bool,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    let done = db
        .run(move |c| {
            if cancel {
                payruns::cancel(c, &a, &id)
            } else {
                payruns::recalculate(c, &a, &id)
            }
        })
        .await;
    match done {
        Ok(run) => redirect(&format!("/runs/{}", run.id)),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn recalculate(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<CsrfOnly>,
) -> HttpResponse {
    act(req, db, path, form.into_inner(), false).await
}

pub async fn cancel(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<CsrfOnly>,
) -> HttpResponse {
    act(req, db, path, form.into_inner(), true).await
}

#[cfg(test)]
mod tests {
    use super::DraftForm;

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_usual_run_is_last_month_paid_the_next_friday() {
        let f = DraftForm::usual(d("2026-12-01"));
        assert_eq!(
            (
                f.period_start.as_str(),
                f.period_end.as_str(),
                f.payment_date.as_str()
            ),
            ("2026-11-01", "2026-11-30", "2026-12-04")
        );
        // On a Friday, the next one; in January, last December.
        let f = DraftForm::usual(d("2027-01-08"));
        assert_eq!(
            (
                f.period_start.as_str(),
                f.period_end.as_str(),
                f.payment_date.as_str()
            ),
            ("2026-12-01", "2026-12-31", "2027-01-15")
        );
    }
}
