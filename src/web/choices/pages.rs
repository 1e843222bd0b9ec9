//! The pages of payment choices, for whoever may record them (the member, or a coordinator for a
//! member of their group): what is chosen now and its history; the form; the page that says what
//! the answers mean; and saving. Each audience's routes call these with its `Subject`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::{adviser, form, meaning, merged, ChoicesForm, FormPage};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::limits::BenefitLimit;
use crate::services::preferences::{self, PreferenceView};
use crate::services::{limits, Actor, Error};
use crate::web::{csrf_failed, csrf_ok, day, error_page, redirect, Ctx, FormErrors};

/// Whose choices a page is about, and where its pages live.
pub struct Subject {
    pub member_id: String,
    /// `/me/choices`, or `/members/{id}/choices`.
    pub base: String,
    /// The form: `/me/choices/change`, or `/members/{id}/choices/change`.
    pub change: String,
    /// The member themself (not someone recording for them).
    pub own: bool,
    /// The page's heading.
    pub title: String,
}

/// The choices in force, their history, and what each option means.
pub async fn overview(
    req: &HttpRequest,
    actor: Actor,
    db: &web::Data<Database>,
    settings: &Settings,
    who: &Subject,
    saved: bool,
) -> HttpResponse {
    let today = settings.today();
    let (a, id) = (actor.clone(), who.member_id.clone());
    let loaded = db
        .run(move |c| {
            let now = preferences::current(c, &a, &id, today)?;
            let all = preferences::history(c, &a, &id)?;
            Ok::<_, Error>((now, all))
        })
        .await;
    let (now, all) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = html! {
        h1 { (who.title) }
        @if saved {
            div class="notice" role="status" { p { "The new choices are saved." } }
        }
        h2 { "What is chosen now" }
        ul { @for line in preferences::summary(&now) { li { (line) } } }
        @if let Some(from) = now.effective_from { p class="muted" { "In force from " (day(from)) "." } }
        p { a class="button" href=(who.change) {
            @if who.own { "Change my choices" } @else { "Change these choices" } } }
        (adviser())
        h2 { "Choices recorded before" }
        (super::history(&all, who.own))
        h2 { "What each option means" }
        (explained(&now))
    };
    ctx.page(StatusCode::OK, &who.title, body)
}

fn explained(pref: &PreferenceView) -> Markup {
    html! {
        dl class="choices" {
            dt { "Full fee" }
            dd { "You are paid the full amount for every session." }
            dt { "Less than the full fee" }
            dd { "You take up to an amount you choose for each session. The rest is not paid. "
                "Some people do this to keep within a benefit rule." }
            dt { "No fee" }
            dd { "You take part without a fee. Your costs are still paid back, unless you say no." }
            dt { "Give my fee to a charity" }
            dd { "Your fee is paid straight to a charity you choose. It is not paid to you." }
            dt { "Bank, payroll or vouchers" }
            dd { "This is how you get your fees. Vouchers count as earnings for most benefits. "
                "Costs are always paid back by bank or payroll, never in vouchers." }
            dt { "A limit" }
            dd { "If you get benefits, you can set a limit for each week or month. "
                "We never pay fees above it in one period. "
                "What is over the limit is kept for later, not taken, or given to charity. You choose." }
        }
        p class="muted" { "These choices were "
            @if pref.is_default { "not set yet, so the full fee by bank transfer applies." }
            @else if pref.set_on_behalf { "recorded by a coordinator." }
            @else { "recorded by the member." } }
    }
}

async fn limits_of(db: &web::Data<Database>) -> Result<Vec<BenefitLimit>, Error> {
    db.run(limits::load).await
}

fn form_page(
    req: &HttpRequest,
    actor: Actor,
    who: &Subject,
    answers: &ChoicesForm,
    errors: &FormErrors,
    limits_table: &[BenefitLimit],
    today: chrono::NaiveDate,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let title = if who.own {
        "Change my payment choices".to_string()
    } else {
        format!("Change the {}", who.title.to_lowercase())
    };
    let body = html! {
        h1 { (title) }
        @if who.own {
            p { "Answer each question, then continue. You can check your answers before anything is saved." }
        } @else {
            p { "Ask the member each question and record their answers. They are emailed what you record, "
                "and can change it themselves." }
        }
        (adviser())
        (form(&FormPage {
            action: &who.change,
            csrf: ctx.csrf_field(),
            answers,
            errors,
            limits: limits_table,
            today,
        }))
        p { a href=(who.base) { "Back without changing anything" } }
    };
    ctx.page(status, &title, body)
}

/// The form, filled in with the choices in force, from today.
pub async fn change(
    req: &HttpRequest,
    actor: Actor,
    db: &web::Data<Database>,
    settings: &Settings,
    who: &Subject,
) -> HttpResponse {
    let today = settings.today();
    let (a, id) = (actor.clone(), who.member_id.clone());
    let loaded = db
        .run(move |c| {
            let now = preferences::current(c, &a, &id, today)?;
            Ok::<_, Error>((now, limits::load(c)?))
        })
        .await;
    let (now, limits_table) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let answers = ChoicesForm::from_view(&now, today);
    form_page(
        req,
        actor,
        who,
        &answers,
        &FormErrors::none(),
        &limits_table,
        today,
    )
}

/// The problems with the answers, as the page shows them, or what they would record.
async fn checked(
    db: &web::Data<Database>,
    actor: &Actor,
    who: &Subject,
    answers: &ChoicesForm,
    limits_table: &[BenefitLimit],
) -> Result<Result<PreferenceView, FormErrors>, Error> {
    let (input, read) = answers.input(limits_table);
    let (a, id) = (actor.clone(), who.member_id.clone());
    match db
        .run(move |c| preferences::preview(c, &a, &id, &input))
        .await
    {
        Ok(v) if read.is_empty() => Ok(Ok(v)),
        Ok(_) => Ok(Err(merged(read, &[]))),
        Err(Error::Validation(service)) => Ok(Err(merged(read, &service))),
        Err(e) => Err(e),
    }
}

/// The answers sent: back to the form to change them (`step=edit`), or, when they are all right,
/// the page that says what they mean, with the button that saves them.
pub async fn submitted(
    req: &HttpRequest,
    actor: Actor,
    db: &web::Data<Database>,
    settings: &Settings,
    who: &Subject,
    answers: ChoicesForm,
) -> HttpResponse {
    if !csrf_ok(req, &answers.csrf) {
        return csrf_failed(req);
    }
    let today = settings.today();
    let limits_table = match limits_of(db).await {
        Ok(l) => l,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    if answers.step == "edit" {
        let none = FormErrors::none();
        return form_page(req, actor, who, &answers, &none, &limits_table, today);
    }
    let view = match checked(db, &actor, who, &answers, &limits_table).await {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => {
            return form_page(req, actor, who, &answers, &errors, &limits_table, today)
        }
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = html! {
        h1 { "Check the new choices" }
        p { "This is what the answers mean. Nothing is saved until you press the button." }
        (meaning(&view))
        (adviser())
        form method="post" action=(who.base) {
            (ctx.csrf_field())
            (answers.hidden())
            button type="submit" { "Save these choices" }
        }
        form method="post" action=(who.change) {
            (ctx.csrf_field())
            (answers.hidden())
            button type="submit" class="secondary" { "Change the answers" }
        }
    };
    ctx.page(StatusCode::OK, "Check the new choices", body)
}

/// Saves checked answers, and goes back to the choices with a note that they are saved.
pub async fn save(
    req: &HttpRequest,
    actor: Actor,
    db: &web::Data<Database>,
    settings: &Settings,
    who: &Subject,
    answers: ChoicesForm,
) -> HttpResponse {
    if !csrf_ok(req, &answers.csrf) {
        return csrf_failed(req);
    }
    let today = settings.today();
    let limits_table = match limits_of(db).await {
        Ok(l) => l,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let (input, read) = answers.input(&limits_table);
    if !read.is_empty() {
        let errors = merged(read, &[]);
        return form_page(req, actor, who, &answers, &errors, &limits_table, today);
    }
    let base_url = settings.public_base();
    let (a, id) = (actor.clone(), who.member_id.clone());
    match db
        .run(move |c| preferences::set(c, &a, &id, input, &base_url))
        .await
    {
        Ok(_) => redirect(&format!("{}?saved=1", who.base)),
        Err(Error::Validation(service)) => {
            let errors = merged(Vec::new(), &service);
            form_page(req, actor, who, &answers, &errors, &limits_table, today)
        }
        Err(e) => error_page(req, Some(actor), &e),
    }
}
