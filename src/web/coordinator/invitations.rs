//! The forms before a session, on its page: invite the group, remind those who have not replied,
//! cancel it with a reason; and its calendar file.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::staff;
use crate::config::Settings;
use crate::db::Database;
use crate::services::invitations::{self};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect};

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    message: String,
}

pub async fn invite(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
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
    let (a, target, base, today) = (
        actor.clone(),
        id.clone(),
        settings.public_base(),
        settings.today(),
    );
    let message = Some(form.message).filter(|m| !m.trim().is_empty());
    match db
        .run(move |c| invitations::invite(c, &a, &target, None, message, &base, today))
        .await
    {
        Ok(out) => redirect(&format!(
            "/meetings/{id}?sent={}&without_email={}#before",
            out.invited,
            out.without_email.len()
        )),
        Err(e) => super::register::meeting_with_error(&req, &db, actor, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// The invitation again to those invited who have not replied.
pub async fn remind(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let (a, target, base, today) = (
        actor.clone(),
        id.clone(),
        settings.public_base(),
        settings.today(),
    );
    let result = db
        .run(move |c| invitations::remind_waiting(c, &a, &target, &base, today))
        .await;
    match result {
        Ok(n) => redirect(&format!("/meetings/{id}?reminded={n}#before")),
        Err(e) => super::register::meeting_with_error(&req, &db, actor, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn cancel(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: web::Form<CancelForm>,
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
    let (a, target) = (actor.clone(), id.clone());
    match db
        .run(move |c| invitations::cancel(c, &a, &target, &form.reason))
        .await
    {
        Ok(_) => redirect(&format!("/meetings/{id}#before")),
        Err(e) => super::register::meeting_with_error(&req, &db, actor, id, e).await,
    }
}

/// The session's calendar file, for the coordinator's own calendar.
pub async fn calendar_file(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    match db
        .run(move |c| invitations::calendar_file(c, &a, &id))
        .await
    {
        Ok(ics) => crate::http::download::calendar(ics),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The routes of these forms.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/meetings/{id}/invitations").route(web::post().to(invite)))
        .service(web::resource("/meetings/{id}/remind").route(web::post().to(remind)))
        .service(web::resource("/meetings/{id}/cancel").route(web::post().to(cancel)))
        .service(web::resource("/meetings/{id}/calendar.ics").route(web::get().to(calendar_file)));
}
