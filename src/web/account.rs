//! Signing in and out, a forgotten password, accepting an invitation and setting a new password.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    clear_session_cookie, csrf_failed, csrf_ok, form_errors, redirect, session_cookie, signed_in,
    Ctx, Form, FormErrors,
};
use crate::config::Settings;
use crate::db::Database;
use crate::http::client::client_address;
use crate::services::auth::{self, LinkPurpose, Policy};
use crate::services::Error;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn sign_in_view(
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, None);
    let everywhere = status == StatusCode::OK && req.query_string() == "signed_out=everywhere";
    let body = html! {
        h1 { "Sign in" }
        @if everywhere {
            div class="notice" role="status" { p { "You are signed out of every device." } }
        }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/sign-in" novalidate {
            (ctx.csrf_field())
            (errors.input("email", "Email address", "email", email, None, "username"))
            (errors.input("password", "Password", "password", "", None, "current-password"))
            button type="submit" { "Sign in" }
        }
        p { a href="/forgot-password" { "I have forgotten my password" } }
        p class="muted" { "New to coprod? Your coordinator will send you an invitation by email." }
    };
    ctx.page(status, "Sign in", body)
}

pub async fn sign_in_page(req: HttpRequest) -> HttpResponse {
    if signed_in(&req).await.is_some() {
        return redirect("/");
    }
    sign_in_view(&req, StatusCode::OK, "", &FormErrors::none())
}

pub async fn sign_in(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    settings: web::Data<Settings>,
    form: Form<SignInForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let mut errors = Vec::new();
    if form.email.trim().is_empty() {
        errors.push(crate::services::FieldError::new(
            "email",
            "Enter your email address",
        ));
    }
    if form.password.is_empty() {
        errors.push(crate::services::FieldError::new(
            "password",
            "Enter your password",
        ));
    }
    if !errors.is_empty() {
        return sign_in_view(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.email,
            &FormErrors(errors),
        );
    }
    let client = client_address(&req, settings.server.trust_forwarded_for);
    let (email, password) = (form.email.clone(), SecretString::from(form.password));
    let db = db.into_inner();
    let result = web::block(move || auth::login(&db, &policy, &email, &password, &client)).await;
    match result {
        Ok(Ok(signed)) => {
            let mut res = redirect("/");
            let _ = res.add_cookie(&session_cookie(&req, signed.token.expose_secret()));
            res
        }
        Ok(Err(Error::Unauthorized(_))) => sign_in_view(
            &req,
            StatusCode::UNAUTHORIZED,
            &form.email,
            &FormErrors::one("email", "The email address or password is not right"),
        ),
        Ok(Err(e)) => {
            let status = match &e {
                Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            sign_in_view(&req, status, &form.email, &form_errors(&e))
        }
        Err(_) => super::error_page(
            &req,
            None,
            &Error::Internal(anyhow::anyhow!("sign-in task failed")),
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    if let Some(actor) = signed_in(&req).await {
        let _ = db.run(move |c| auth::logout(c, &actor)).await;
    }
    let mut res = redirect("/sign-in");
    let _ = res.add_cookie(&clear_session_cookie(&req));
    res
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

fn forgot_view(
    req: &HttpRequest,
    status: StatusCode,
    sent: bool,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, None);
    let body = html! {
        h1 { "Forgotten password" }
        @if sent {
            div class="notice" role="status" {
                p { "If that address belongs to an account, we have sent it a link to set a new password. "
                    "The link works for an hour." }
            }
        } @else {
            (errors.summary())
            p { "Enter the email address you sign in with. We will email you a link to set a new password." }
            form method="post" action="/forgot-password" novalidate {
                (ctx.csrf_field())
                (errors.input("email", "Email address", "email", "", None, "email"))
                button type="submit" { "Send me a link" }
            }
        }
        p { a href="/sign-in" { "Back to sign in" } }
    };
    ctx.page(status, "Forgotten password", body)
}

pub async fn forgot_page(req: HttpRequest) -> HttpResponse {
    forgot_view(&req, StatusCode::OK, false, &FormErrors::none())
}

pub async fn forgot(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    form: Form<ForgotForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    if form.email.trim().is_empty() {
        return forgot_view(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            &FormErrors::one("email", "Enter your email address"),
        );
    }
    let email = form.email.clone();
    match db
        .run(move |c| auth::forgot_password(c, &policy, &email))
        .await
    {
        Ok(()) => forgot_view(&req, StatusCode::OK, true, &FormErrors::none()),
        Err(e @ Error::Validation(_)) => forgot_view(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            &form_errors(&e),
        ),
        Err(e) => super::error_page(&req, None, &e),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

fn password_view(
    req: &HttpRequest,
    status: StatusCode,
    invitation: bool,
    token: &str,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, None);
    let (title, action, button) = if invitation {
        (
            "Welcome to coprod",
            "/accept-invitation",
            "Set my password and sign in",
        )
    } else {
        (
            "Set a new password",
            "/reset-password",
            "Set my new password",
        )
    };
    let password_hint = format!(
        "At least {} characters. A few unrelated words make a strong password that is easy to remember.",
        crate::domain::password::MIN_CHARS
    );
    let body = html! {
        h1 { (title) }
        (errors.summary())
        @if let Some(m) = errors.message("token") { p class="field-error" id="token" { (m) } }
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        @if invitation {
            p { "Choose a password to finish setting up your account. You will use it with your email address to sign in." }
        }
        form method="post" action=(action) novalidate {
            (ctx.csrf_field())
            input type="hidden" name="token" value=(token);
            (errors.input("password", "New password", "password", "",
                Some(&password_hint),
                "new-password"))
            button type="submit" { (button) }
        }
    };
    ctx.page(status, title, body)
}

pub async fn invitation_page(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<TokenQuery>,
) -> HttpResponse {
    link_page(&req, &db, true, &q.token).await
}

pub async fn reset_page(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<TokenQuery>,
) -> HttpResponse {
    link_page(&req, &db, false, &q.token).await
}

/// The page an emailed link opens: the password form, or at once the news that the link can no
/// longer be used (and how to get a new one). Opening it changes nothing.
async fn link_page(
    req: &HttpRequest,
    db: &Database,
    invitation: bool,
    token: &str,
) -> HttpResponse {
    let purpose = if invitation {
        LinkPurpose::Invitation
    } else {
        LinkPurpose::PasswordReset
    };
    let t = token.to_string();
    match db.run(move |c| auth::check_link(c, purpose, &t)).await {
        Ok(()) => password_view(req, StatusCode::OK, invitation, token, &FormErrors::none()),
        Err(Error::Validation(_)) => dead_link(req, invitation),
        Err(e) => super::error_page(req, None, &e),
    }
}

/// A link that has expired or was used: what to do next, in plain words.
fn dead_link(req: &HttpRequest, invitation: bool) -> HttpResponse {
    let ctx = Ctx::new(req, None);
    let body = html! {
        h1 { "This link can no longer be used" }
        p { "Links in our emails work once, and only for a short time. This one has expired or has already been used." }
        @if invitation {
            p { "If you have already chosen a password, " a href="/sign-in" { "sign in" } ". "
                "If not, ask your coordinator to send you a new invitation." }
        } @else {
            p { a href="/forgot-password" { "Ask for a new link" } " to reset your password, or "
                a href="/sign-in" { "sign in" } " if you remember it." }
        }
    };
    ctx.page(StatusCode::GONE, "This link can no longer be used", body)
}

pub async fn accept_invitation(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    form: Form<PasswordForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let token = form.token.clone();
    let password = SecretString::from(form.password);
    let db = db.into_inner();
    match web::block(move || auth::accept_invitation(&db, &policy, &token, &password)).await {
        Ok(Ok(signed)) => {
            let mut res = redirect("/");
            let _ = res.add_cookie(&session_cookie(&req, signed.token.expose_secret()));
            res
        }
        Ok(Err(e)) => password_view(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            true,
            &form.token,
            &form_errors(&e),
        ),
        Err(_) => super::error_page(&req, None, &Error::Internal(anyhow::anyhow!("task failed"))),
    }
}

pub async fn reset(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    form: Form<PasswordForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let token = form.token.clone();
    let password = SecretString::from(form.password);
    let db_for_page = db.clone();
    let db = db.into_inner();
    match web::block(move || auth::reset_password(&db, &policy, &token, &password, true)).await {
        Ok(Ok(Some(signed))) => {
            // The page is shown as the person now signed in, with their navigation.
            let session = signed.token.expose_secret().to_string();
            let actor = match req.app_data::<web::Data<Policy>>() {
                Some(policy) => auth::actor_of_token(
                    &db_for_page,
                    policy.clone().into_inner(),
                    session.clone(),
                    None,
                )
                .await
                .ok(),
                None => None,
            };
            let ctx = Ctx::new(&req, actor);
            let mut res = ctx.page(
                StatusCode::OK,
                "Password changed",
                html! {
                    h1 { "Your password has been changed" }
                    p { "You are signed in. For your safety, you have been signed out everywhere else, "
                        "and any API tokens made for your account have stopped working." }
                    p { a class="button" href="/" { "Continue" } }
                },
            );
            let _ = res.add_cookie(&session_cookie(&req, &session));
            res
        }
        Ok(Ok(None)) => redirect("/sign-in"),
        Ok(Err(e)) => password_view(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            &form.token,
            &form_errors(&e),
        ),
        Err(_) => super::error_page(&req, None, &Error::Internal(anyhow::anyhow!("task failed"))),
    }
}

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/sign-in")
            .route(web::get().to(sign_in_page))
            .route(web::post().to(sign_in)),
    )
    .service(web::resource("/sign-out").route(web::post().to(sign_out)))
    .service(
        web::resource("/forgot-password")
            .route(web::get().to(forgot_page))
            .route(web::post().to(forgot)),
    )
    .service(
        web::resource("/accept-invitation")
            .route(web::get().to(invitation_page))
            .route(web::post().to(accept_invitation)),
    )
    .service(
        web::resource("/reset-password")
            .route(web::get().to(reset_page))
            .route(web::post().to(reset)),
    );
}
