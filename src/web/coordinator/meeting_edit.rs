//! Changing a meeting: its title, kind, date, time, length, preparation allowed and place. What
//! changes its pay (date, kind, length, preparation) is refused once an approved run has paid it,
//! with the service's reason at the top of the form.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::meeting_form::{self, MeetingForm};
use super::staff;
use crate::db::Database;
use crate::services::groups::{self, CodeLabel, Reference};
use crate::services::meetings;
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, error_page, form_errors, redirect, Ctx, Form, FormErrors};

fn edit_page(
    req: &HttpRequest,
    actor: Actor,
    id: &str,
    form: &MeetingForm,
    errors: &FormErrors,
    kinds: &[CodeLabel],
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let body = html! {
        p { a href={ "/meetings/" (id) } { "Back without changing anything" } }
        h1 { "Change the meeting" }
        p { "Once a pay run is approved for it, its date, kind, length and preparation cannot change. "
            "The title, time and place always can." }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action={ "/meetings/" (id) "/edit" } novalidate {
            (ctx.csrf_field())
            (meeting_form::fields(form, errors, kinds))
            div { button type="submit" { "Save the meeting" } }
        }
    };
    ctx.page(status, "Change the meeting", body)
}

async fn kinds(db: &web::Data<Database>) -> Result<Vec<CodeLabel>, Error> {
    db.run(|c| groups::list_reference(c, Reference::ActivityKinds))
        .await
}

pub async fn edit(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    let loaded = db.run(move |c| meetings::get(c, &a, &id)).await;
    match (loaded, kinds(&db).await) {
        (Ok(m), Ok(k)) => edit_page(
            &req,
            actor,
            &m.id,
            &MeetingForm::of(&m),
            &FormErrors::none(),
            &k,
        ),
        (Err(e), _) | (_, Err(e)) => error_page(&req, Some(actor), &e),
    }
}

pub async fn save(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<crate::config::Settings>,
    path: web::Path<String>,
    form: Form<MeetingForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let result = match form.read(None) {
        Ok(fields) => {
            let (a, target, base, today) = (
                actor.clone(),
                id.clone(),
                settings.public_base(),
                settings.today(),
            );
            db.run(move |c| {
                crate::services::invitations::update(c, &a, &target, fields, &base, today)
            })
            .await
        }
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(m) => redirect(&format!("/meetings/{}", m.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => match kinds(&db).await {
            Ok(k) => edit_page(&req, actor, &id, &form, &form_errors(&e), &k),
            Err(e) => error_page(&req, Some(actor), &e),
        },
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
