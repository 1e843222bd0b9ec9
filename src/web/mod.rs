//! The portal: server-rendered pages (maud) that work without JavaScript, for members first. Every
//! page calls the same services as the API; a page adds words and forms, never rules.
//!
//! Security: the session is the API's session, carried in an HttpOnly, SameSite=Lax cookie (Secure
//! when `server.public_url` is https); every form carries a CSRF token that must match a second,
//! SameSite=Strict cookie (double submit); pages are sent with a Content-Security-Policy that
//! allows no script at all and styles only from this site.

pub mod account;
pub mod admin;
pub mod choices;
pub mod claims;
pub mod coordinator;
pub mod downloads;
pub mod finance;
pub mod member;
pub mod privacy;
pub mod receipts;
pub mod replies;
pub mod security;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use maud::{html, Markup, DOCTYPE};

use crate::config::Settings;
use crate::db::Database;
use crate::http::failure::Failure;
use crate::http::request_id::RequestId;
use crate::services::auth::{self, Policy};
use crate::services::{Actor, Error, FieldError, Role};

pub const SESSION_COOKIE: &str = "coprod_session";
pub const CSRF_COOKIE: &str = "coprod_csrf";
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("site.css");

/// The site's icon: the two overlapping circles of working together, in the accent colour.
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
<circle cx=\"12\" cy=\"16\" r=\"9\" fill=\"none\" stroke=\"#0b5394\" stroke-width=\"4\"/>\
<circle cx=\"20\" cy=\"16\" r=\"9\" fill=\"none\" stroke=\"#0b5394\" stroke-width=\"4\"/></svg>";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home)))
        .service(web::resource("/site.css").route(web::get().to(css)))
        .service(web::resource(["/favicon.svg", "/favicon.ico"]).route(web::get().to(icon)))
        .configure(account::routes)
        .configure(security::routes)
        .configure(member::routes)
        .configure(replies::routes)
        .configure(claims::routes)
        .configure(coordinator::routes)
        .configure(finance::routes)
        .configure(admin::routes)
        .configure(privacy::routes)
        .configure(receipts::routes);
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

async fn icon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(ICON)
}

/// Where each role starts.
async fn home(req: HttpRequest) -> HttpResponse {
    match signed_in(&req).await {
        Some(a) if a.role == Role::Member => redirect("/me"),
        Some(a) if a.role == Role::Finance => redirect("/finance"),
        Some(a) if a.role == Role::Admin => redirect("/accounts"),
        Some(_) => coordinator::start(),
        None => redirect("/sign-in"),
    }
}

/// A submitted form, as `actix_web::web::Form` reads it, but refused (400) when a field holds the
/// NUL character: no field has a use for it, and PostgreSQL can neither store nor compare it.
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let pairs = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move {
            let pairs = pairs.await?.into_inner();
            if pairs
                .iter()
                .any(|(k, v)| k.contains('\0') || v.contains('\0'))
            {
                return Err(actix_web::error::ErrorBadRequest(
                    "A field of this form holds the NUL character, which no field accepts.",
                ));
            }
            let encoded =
                serde_urlencoded::to_string(&pairs).map_err(actix_web::error::ErrorBadRequest)?;
            serde_urlencoded::from_str(&encoded)
                .map(Form)
                .map_err(actix_web::error::ErrorBadRequest)
        })
    }
}

/// A 303 to `to` (after a form, the browser GETs the next page).
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The actor of the session cookie, if it is a live session.
pub async fn signed_in(req: &HttpRequest) -> Option<Actor> {
    let token = req.cookie(SESSION_COOKIE)?.value().to_string();
    let db = req.app_data::<web::Data<Database>>()?.clone();
    let policy = req.app_data::<web::Data<Policy>>()?.clone();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    auth::actor_of_token(&db, policy.into_inner(), token, request_id)
        .await
        .ok()
}

/// The signed-in actor if their role is one of `roles`; otherwise the sign-in page (no session)
/// or a "not available to you" page (403).
pub async fn signed_in_as(req: &HttpRequest, roles: &[Role]) -> Result<Actor, HttpResponse> {
    match signed_in(req).await {
        None => Err(redirect("/sign-in")),
        Some(a) => match a.require(roles) {
            Ok(()) => Ok(a),
            Err(e) => Err(error_page(req, Some(a), &e)),
        },
    }
}

fn secure(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<Settings>>()
        .is_some_and(|s| s.server.public_url.starts_with("https://"))
}

/// The session cookie for a new session.
pub fn session_cookie(req: &HttpRequest, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(req))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(req: &HttpRequest) -> Cookie<'static> {
    let mut c = session_cookie(req, "");
    c.make_removal();
    c
}

/// What every page needs: who is signed in, and the CSRF token for its forms (and the cookie to
/// set when the browser has none yet).
pub struct Ctx {
    pub actor: Option<Actor>,
    pub csrf: String,
    new_cookie: Option<Cookie<'static>>,
}

impl Ctx {
    pub fn new(req: &HttpRequest, actor: Option<Actor>) -> Ctx {
        match req.cookie(CSRF_COOKIE) {
            Some(c) if c.value().len() >= 32 => Ctx {
                actor,
                csrf: c.value().to_string(),
                new_cookie: None,
            },
            _ => {
                let (token, _) = crate::services::secrets::new_token("");
                let value = secrecy::ExposeSecret::expose_secret(&token).to_string();
                let cookie = Cookie::build(CSRF_COOKIE, value.clone())
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Strict)
                    .secure(secure(req))
                    .finish();
                Ctx {
                    actor,
                    csrf: value,
                    new_cookie: Some(cookie),
                }
            }
        }
    }

    /// The hidden field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// A whole page.
    pub fn page(&self, status: StatusCode, title: &str, body: Markup) -> HttpResponse {
        let markup = html! {
            (DOCTYPE)
            html lang="en-GB" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " – coprod" }
                    link rel="stylesheet" href="/site.css";
                    link rel="icon" href="/favicon.svg" type="image/svg+xml";
                }
                body {
                    a class="skip" href="#content" { "Skip to main content" }
                    header class="site" {
                        a class="brand" href="/" { "coprod" }
                        @if let Some(a) = &self.actor {
                            nav aria-label="Main" {
                                ul {
                                    @for (href, words) in nav_of(a.role).iter().chain(security::NAV) {
                                        li { a href=(href) { (words) } }
                                    }
                                }
                            }
                            form method="post" action="/sign-out" {
                                (self.csrf_field())
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                    main id="content" tabindex="-1" { (body) }
                    footer class="site" {
                        p { "coprod pays people fairly for their part in co-production. "
                            "Questions about a payment? Ask your group's coordinator." }
                        p { a href="/privacy" { "How we use your information" } }
                    }
                }
            }
        };
        let mut res = HttpResponse::build(status);
        res.content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(c) = &self.new_cookie {
            res.cookie(c.clone());
        }
        res.body(markup.into_string())
    }
}

/// The main navigation of a role: each audience's pages name their own links.
fn nav_of(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Member => member::NAV,
        Role::Finance => finance::NAV,
        Role::Coordinator => coordinator::NAV,
        Role::Admin => admin::NAV,
    }
}

/// Whether a submitted CSRF token matches the browser's cookie.
pub fn csrf_ok(req: &HttpRequest, submitted: &str) -> bool {
    match req.cookie(CSRF_COOKIE) {
        Some(c) => {
            let (a, b) = (c.value().as_bytes(), submitted.as_bytes());
            a.len() >= 32
                && a.len() == b.len()
                && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
        }
        None => false,
    }
}

/// The page for a form whose CSRF token did not match (an old tab, or another site's form).
pub fn csrf_failed(req: &HttpRequest) -> HttpResponse {
    Ctx::new(req, None).page(
        StatusCode::FORBIDDEN,
        "Please try again",
        html! {
            h1 { "Please try again" }
            p { "This form had expired or did not come from this site, so nothing was changed. "
                "Go back, reload the page and send it again." }
        },
    )
}

/// Errors of a form: a summary at the top, each linked to its field, and the message for a field.
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn none() -> FormErrors {
        FormErrors(Vec::new())
    }

    pub fn one(field: &str, message: &str) -> FormErrors {
        FormErrors(vec![FieldError::new(field, message)])
    }

    pub fn message(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The status of the page that shows the form: 200, or 422 when it comes back with problems.
    pub fn status(&self) -> StatusCode {
        if self.0.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    /// An amount of pounds as a person types it ("£1,020.5", "12.50"): `None` when empty, and a
    /// problem on `field` in a page's words when it is not pounds and pence.
    pub fn typed_pounds(
        field: &str,
        typed: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<crate::domain::Money> {
        use crate::domain::money::MoneyError;
        let cleaned: String = typed
            .trim()
            .trim_start_matches('£')
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if cleaned.is_empty() {
            return None;
        }
        match cleaned.parse::<crate::domain::Money>() {
            Ok(m) => Some(m),
            Err(MoneyError::TooManyDecimals) => {
                errors.push(FieldError::new(
                    field,
                    "Enter the amount in pounds and pence, with no more than 2 numbers after the point, such as 12.50",
                ));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    "Enter an amount in pounds and pence, such as 12.50",
                ));
                None
            }
        }
    }

    /// The summary at the top of the form.
    pub fn summary(&self) -> Markup {
        html! {
            @if !self.0.is_empty() {
                div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 id="error-summary-title" { "There is a problem" }
                    ul {
                        @for e in &self.0 {
                            li { a href={ "#" (e.field) } { (e.message) } }
                        }
                    }
                }
            }
        }
    }

    /// A labelled input with its hint and error, linked for screen readers.
    pub fn input(
        &self,
        name: &str,
        label: &str,
        kind: &str,
        value: &str,
        hint: Option<&str>,
        autocomplete: &str,
    ) -> Markup {
        let error = self.message(name);
        let described = self.described_by(name, hint.is_some());
        html! {
            (self.label(name, label, hint))
            input type=(kind) id=(name) name=(name) value=(value) autocomplete=(autocomplete)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described.as_deref()];
        }
    }

    /// The label of a field, its hint, and its error if it has one.
    pub fn label(&self, name: &str, label: &str, hint: Option<&str>) -> Markup {
        html! {
            label for=(name) {
                (label)
                @if let Some(h) = hint { span class="hint" id={ (name) "-hint" } { (h) } }
            }
            @if let Some(e) = self.message(name) {
                span class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
            }
        }
    }

    /// The ids that describe a field (its hint and its error), for `aria-describedby`.
    pub fn described_by(&self, name: &str, has_hint: bool) -> Option<String> {
        let error = self.message(name).is_some();
        match (has_hint, error) {
            (true, true) => Some(format!("{name}-hint {name}-error")),
            (true, false) => Some(format!("{name}-hint")),
            (false, true) => Some(format!("{name}-error")),
            (false, false) => None,
        }
    }

    /// `Some("true")` for a field with an error, for `aria-invalid`.
    pub fn invalid(&self, name: &str) -> Option<&'static str> {
        self.message(name).map(|_| "true")
    }
}

/// A service's field errors in a page's words: the service names a field by its API name and
/// starts its message in lower case ("is needed ..."); a page names the question (`subjects`:
/// field, words) and removes the code marks.
pub fn in_page_words(errors: &[FieldError], subjects: &[(&str, &str)]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| {
            let subject = subjects
                .iter()
                .find(|(f, _)| *f == e.field)
                .map_or("This answer", |(_, w)| *w);
            let message = e.message.replace('`', "");
            let starts_lower = message.chars().next().is_some_and(char::is_lowercase);
            FieldError::new(
                e.field.clone(),
                if starts_lower {
                    format!("{subject} {message}")
                } else {
                    message
                },
            )
        })
        .collect()
}

/// A form's fields as sent, for forms whose names repeat or are numbered.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "" when it was not sent.
    pub fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in the order sent, the empty ones left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// The field errors of a service error, or a general one.
pub fn form_errors(e: &Error) -> FormErrors {
    match e {
        Error::Validation(errors) => FormErrors(errors.clone()),
        Error::TooManyRequests { retry_after_secs } => FormErrors::one(
            "email",
            &format!(
                "Too many attempts. Please wait {} minutes and try again.",
                retry_after_secs.div_ceil(60)
            ),
        ),
        // The API's words (an internal error is logged, and only its reference shown).
        other => FormErrors::one("form", &Failure::of(other).detail),
    }
}

/// A page for a failure outside a form: the status and words the API gives for the same error
/// (`Failure::of`, the one mapping), under the portal's own heading. An internal error is logged
/// there with its cause chain, and the page shows only the reference to quote.
pub fn error_page(req: &HttpRequest, actor: Option<Actor>, e: &Error) -> HttpResponse {
    let problem = Failure::of(e);
    let status = problem.status;
    let title = match status.as_u16() {
        401 => "Please sign in again",
        403 => "Not available to you",
        404 => "Page not found",
        409 => "This cannot be done now",
        422 => "Please check the address",
        429 => "Too many attempts",
        503 => "Busy for a moment",
        _ if status.is_server_error() => "Sorry, something went wrong",
        _ => problem.title(),
    };
    let body = html! {
        h1 { (title) }
        @if let Some(reference) = &problem.error_id {
            p { "Something went wrong on our side. Nothing was lost: please try again in a few minutes." }
            p { "If it happens again, quote this reference: " strong class="reference" { (reference) } }
        } @else if problem.detail.is_empty() {
            p { "Your account cannot open this page." }
        } @else {
            p { (problem.detail) }
        }
        @if !problem.errors.is_empty() {
            ul {
                @for e in &problem.errors {
                    li { (e.message) }
                }
            }
        }
        @if status == StatusCode::UNAUTHORIZED {
            p { a href="/sign-in" { "Sign in" } }
        }
    };
    let mut res = Ctx::new(req, actor).page(status, title, body);
    if let Some(secs) = problem.retry_after_secs {
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

/// The question of the formats a member reads in: two boxes to tick, `large_print` and
/// `easy_read`, sent as "yes".
pub fn formats_question(errors: &FormErrors, large_print: bool, easy_read: bool) -> Markup {
    html! {
        fieldset class="question" aria-describedby="formats-hint" {
            legend { "Formats" }
            span class="hint" id="formats-hint" { "Letters, statements and emails can come in these. Tick any that help." }
            @if let Some(e) = errors.message("preferred_formats[0]") {
                span class="field-error" { span class="visually-hidden" { "Error: " } (e) }
            }
            div class="radio" {
                input type="checkbox" id="large_print" name="large_print" value="yes" checked[large_print];
                label for="large_print" { "Large print" }
            }
            div class="radio" {
                input type="checkbox" id="easy_read" name="easy_read" value="yes" checked[easy_read];
                label for="easy_read" { "Easy Read" }
            }
        }
    }
}

/// The formats ticked, as their codes.
pub fn formats_ticked(large_print: &str, easy_read: &str) -> Vec<String> {
    let mut out = Vec::new();
    if large_print == "yes" {
        out.push(
            crate::domain::formats::Format::LargePrint
                .as_str()
                .to_string(),
        );
    }
    if easy_read == "yes" {
        out.push(
            crate::domain::formats::Format::EasyRead
                .as_str()
                .to_string(),
        );
    }
    out
}

/// Pounds for people: `£1,020.00`.
pub fn pounds(m: crate::domain::Money) -> String {
    crate::domain::statement::pounds(m)
}

/// `4 July 2025`.
pub fn day(d: chrono::NaiveDate) -> String {
    crate::export::format::long_date(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn shown(e: &Error) -> (StatusCode, Option<String>, String) {
        let req = actix_web::test::TestRequest::default().to_http_request();
        let res = error_page(&req, None, e);
        let status = res.status();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let body = res.into_body().try_into_bytes().unwrap();
        (status, retry, String::from_utf8(body.to_vec()).unwrap())
    }

    /// Every kind of failure gets the API's status and words, and the API's Retry-After.
    #[test]
    fn error_pages_say_what_the_api_says() {
        for e in [
            Error::NotFound,
            Error::Unauthorized("Your session has ended. Please sign in again.".into()),
            Error::Forbidden("Your role (member) may not do this.".into()),
            Error::Conflict("This run is paid; only a draft can be approved.".into()),
            Error::invalid("format", "must be one of csv, xlsx"),
            Error::TooManyRequests {
                retry_after_secs: 840,
            },
            Error::Unavailable("no connection was free".into()),
        ] {
            let problem = Failure::of(&e);
            let (status, retry, html) = shown(&e);
            assert_eq!(status, problem.status, "{e:?}");
            assert!(
                html.contains(&html! { (problem.detail) }.into_string()),
                "{e:?}: {html}"
            );
            assert_eq!(
                retry,
                problem.retry_after_secs.map(|s| s.to_string()),
                "{e:?}"
            );
            for field in &problem.errors {
                assert!(
                    html.contains(&html! { (field.message) }.into_string()),
                    "{html}"
                );
            }
        }
        let (_, retry, html) = shown(&Error::TooManyRequests {
            retry_after_secs: 840,
        });
        assert_eq!(retry.as_deref(), Some("840"));
        assert!(html.contains("<h1>Too many attempts</h1>"), "{html}");
        assert!(html.contains("Try again in 840 seconds."), "{html}");
        let (_, _, html) = shown(&Error::Unauthorized("Please sign in.".into()));
        assert!(html.contains("href=\"/sign-in\""), "{html}");
    }

    /// An internal error shows a reference and none of its cause.
    #[test]
    fn an_internal_error_page_shows_only_a_reference() {
        let e = Error::Internal(anyhow::anyhow!("secret detail of the database").context("query"));
        let (status, _, html) = shown(&e);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!html.contains("secret detail"), "{html}");
        let reference = html
            .split("quote this reference: <strong class=\"reference\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("a reference");
        assert_eq!(reference.len(), 12, "{reference}");
        assert!(
            reference.chars().all(|c| c.is_ascii_hexdigit()),
            "{reference}"
        );
    }
}
