//! The signed-in person's own account, whatever their role: their password (the current one is
//! needed to change it), and signing out of every device at once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;

use super::{
    clear_session_cookie, csrf_failed, csrf_ok, error_page, form_errors, redirect, signed_in, Ctx,
    Form, FormErrors,
};
use crate::db::Database;
use crate::services::auth::{self, Policy};
use crate::services::{Actor, Error};

async fn anyone(req: &HttpRequest) -> Result<Actor, HttpResponse> {
    signed_in(req).await.ok_or_else(|| redirect("/sign-in"))
}

#[derive(Deserialize)]
pub struct Done {
    changed: Option<String>,
}

fn password_page(
    req: &HttpRequest,
    actor: Actor,
    errors: &FormErrors,
    changed: bool,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let body = html! {
        h1 { "Change my password" }
        @if changed {
            div class="notice" role="status" {
                p { "Your password is changed. You are still signed in here, and signed out everywhere else. "
                    "We have sent you an email to say so." }
            }
        }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/account/password" novalidate {
            (ctx.csrf_field())
            (errors.input("current_password", "Your password now", "password", "", None, "current-password"))
            (errors.input("new_password", "Your new password", "password", "",
                Some("At least 12 characters. A few words you will remember work well."), "new-password"))
            div { button type="submit" { "Change my password" } }
        }
        p { "Changing your password signs you out everywhere but here. API tokens you made keep working." }
        p { a href="/account" { "Back to my account" } }
    };
    ctx.page(status, "Change my password", body)
}

async fn password(req: HttpRequest, q: web::Query<Done>) -> HttpResponse {
    match anyone(&req).await {
        Ok(actor) => password_page(&req, actor, &FormErrors::none(), q.changed.is_some()),
        Err(res) => res,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    form: Form<PasswordForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match anyone(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (current, new) = (
        SecretString::from(form.current_password),
        SecretString::from(form.new_password),
    );
    let (db, a) = (db.into_inner(), actor.clone());
    let done = web::block(move || auth::change_password(&db, &policy, &a, &current, &new)).await;
    match done {
        Ok(Ok(())) => redirect("/account/password?changed=1"),
        Ok(Err(e @ Error::Validation(_))) => password_page(&req, actor, &form_errors(&e), false),
        Ok(Err(e)) => error_page(&req, Some(actor), &e),
        Err(_) => error_page(
            &req,
            Some(actor),
            &Error::Unavailable("the password could not be checked".into()),
        ),
    }
}

async fn account(req: HttpRequest) -> HttpResponse {
    let actor = match anyone(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(actor.clone()));
    let body = html! {
        h1 { "My account" }
        p { "You sign in as " strong { (actor.email) } "." }
        @if actor.member_id.is_some() {
            p { a href="/me/details" { "My contact details" } }
        }
        h2 { "Password" }
        p { a href="/account/password" { "Change my password" } }
        h2 { "Signed in somewhere else?" }
        p { "If you signed in on a phone you have lost, or a computer others use, sign out of every device. "
            "You will need your password to sign in again." }
        form method="post" action="/account/sign-out-everywhere" {
            (ctx.csrf_field())
            button type="submit" class="secondary" { "Sign out of every device" }
        }
    };
    ctx.page(StatusCode::OK, "My account", body)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn sign_out_everywhere(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match anyone(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    match db.run(move |c| auth::logout_everywhere(c, &a)).await {
        Ok(_) => {
            let mut res = redirect("/sign-in?signed_out=everywhere");
            let _ = res.add_cookie(&clear_session_cookie(&req));
            res
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The links of the navigation every signed-in person has.
pub const NAV: &[(&str, &str)] = &[("/account", "My account")];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/account").route(web::get().to(account)))
        .service(
            web::resource("/account/password")
                .route(web::get().to(password))
                .route(web::post().to(change_password)),
        )
        .service(
            web::resource("/account/sign-out-everywhere")
                .route(web::post().to(sign_out_everywhere)),
        );
}
