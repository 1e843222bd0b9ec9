//! Erasing a member's personal details, for an admin: a page that says what will go, what must
//! stay and why, and what to settle first; then the reason and a confirmation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::{admin, errors_of, refused};
use crate::db::Database;
use crate::services::personal::{self, Preview, GOES, STAYS};
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/members/{id}/erase")
            .route(web::get().to(page))
            .route(web::post().to(erase)),
    )
    .service(web::resource("/members/{id}/data-export").route(web::get().to(data_export)));
}

/// A member's copy of everything held about them, for an admin answering their request.
pub async fn data_export(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<crate::config::Settings>,
    path: web::Path<String>,
    q: web::Query<crate::http::download::CopyAsked>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let format = q.into_inner().format;
    crate::http::download::personal_copy(
        &db,
        &settings,
        actor.clone(),
        path.into_inner(),
        format.as_deref(),
    )
    .await
    .unwrap_or_else(|e| error_page(&req, Some(actor), &e))
}

#[derive(Debug, Default, Deserialize)]
pub struct EraseForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: Option<String>,
}

const SUBJECTS: &[(&str, &str)] = &[("reason", "Why"), ("confirm", "Confirm")];

fn erase_page(
    req: &HttpRequest,
    actor: Actor,
    p: &Preview,
    reason: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let body = html! {
        p { a href={ "/members/" (p.member_id) } { "Back without erasing" } }
        h1 { "Erase " (p.full_name) "’s personal details?" }
        (errors.summary())
        @if let Some(at) = p.erased_at {
            p { "Their details were erased on " (crate::web::day(at.date())) ". There is nothing more to erase." }
        } @else {
            p { "Do this when they ask us to (UK GDPR gives them the right), or when the time we keep records for has passed. "
                "It cannot be undone." }
            h2 { "What will go" }
            ul { @for g in GOES { li { (g) } } }
            h2 { "What must stay, and why" }
            ul { @for s in STAYS { li { (s) } } }
            @if !p.settle.is_empty() {
                h2 { "Settle these first" }
                p { "Their details cannot be erased while money is owed to them or a pay run not yet paid holds them:" }
                ul class="settle" { @for s in &p.settle { li { (s) } } }
            } @else {
                form method="post" action={ "/members/" (p.member_id) "/erase" } novalidate {
                    (ctx.csrf_field())
                    (errors.label("reason", "Why", Some("For the audit trail, such as: they asked us to by email on 3 March")))
                    textarea id="reason" name="reason" rows="3" autocomplete="off"
                        aria-invalid=[errors.message("reason").map(|_| "true")]
                        aria-describedby=[errors.described_by("reason", true)] { (reason) }
                    div class="radio" {
                        input type="checkbox" id="confirm" name="confirm" value="yes"
                            aria-invalid=[errors.message("confirm").map(|_| "true")]
                            aria-describedby=[errors.described_by("confirm", false)];
                        label for="confirm" { "I understand their details will be erased for good" }
                        @if let Some(e) = errors.message("confirm") {
                            span class="field-error hint" id="confirm-error" { span class="visually-hidden" { "Error: " } (e) }
                        }
                    }
                    div { button type="submit" { "Erase their personal details" } }
                }
            }
        }
    };
    ctx.page(status, "Erase a member's details", body)
}

async fn preview(db: &web::Data<Database>, actor: &Actor, id: String) -> Result<Preview, Error> {
    let a = actor.clone();
    db.run(move |c| personal::preview(c, &a, &id)).await
}

pub async fn page(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    match preview(&db, &actor, path.into_inner()).await {
        Ok(p) => erase_page(&req, actor, &p, "", &FormErrors::none(), StatusCode::OK),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn erase(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<EraseForm>,
) -> HttpResponse {
    let f = form.into_inner();
    if !csrf_ok(&req, &f.csrf) {
        return csrf_failed(&req);
    }
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let refusal = if f.confirm.as_deref() != Some("yes") {
        Error::invalid(
            "confirm",
            "Tick the box to confirm their details are to be erased",
        )
    } else {
        let (a, target, reason) = (actor.clone(), id.clone(), f.reason.clone());
        match db
            .run(move |c| personal::erase(c, Some(&a), &target, &reason, None))
            .await
        {
            Ok(_) => return redirect(&format!("/members/{id}?erased=1")),
            Err(e) => e,
        }
    };
    match preview(&db, &actor, id).await {
        Ok(p) => {
            let errors = errors_of(&refusal, SUBJECTS, &[], "reason");
            erase_page(&req, actor, &p, &f.reason, &errors, refused(&refusal))
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
