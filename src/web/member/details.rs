//! My details: the name I like to be called, where notices go, my phone, and what helps me take
//! part. My full name and payee reference stay with my coordinator and finance.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::member;
use crate::config::Settings;
use crate::db::Database;
use crate::domain::formats::Format;
use crate::services::members::{self, MemberFields, MemberView};
use crate::services::{Actor, Error};
use crate::web::{
    csrf_failed, csrf_ok, error_page, form_errors, formats_question, redirect, Ctx, Form,
    FormErrors,
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    csrf: String,
    preferred_name: String,
    email: String,
    phone: String,
    communication_needs: String,
    postal_address: String,
    large_print: String,
    easy_read: String,
}

impl DetailsForm {
    fn of(m: &MemberView) -> DetailsForm {
        DetailsForm {
            csrf: String::new(),
            preferred_name: m.preferred_name.clone().unwrap_or_default(),
            email: m.email.clone().unwrap_or_default(),
            phone: m.phone.clone().unwrap_or_default(),
            communication_needs: m.communication_needs.clone().unwrap_or_default(),
            postal_address: m.postal_address.clone().unwrap_or_default(),
            large_print: yes(m.preferred_formats.contains(&Format::LargePrint)),
            easy_read: yes(m.preferred_formats.contains(&Format::EasyRead)),
        }
    }

    /// Every field is sent: an empty one clears what was there.
    fn fields(&self) -> MemberFields {
        let set = |s: &str| Some(Some(s.trim().to_string()).filter(|t| !t.is_empty()));
        MemberFields {
            full_name: None,
            preferred_name: set(&self.preferred_name),
            email: set(&self.email),
            phone: set(&self.phone),
            payee_reference: None,
            communication_needs: set(&self.communication_needs),
            postal_address: set(&self.postal_address),
            preferred_formats: Some(crate::web::formats_ticked(
                &self.large_print,
                &self.easy_read,
            )),
            notes: None,
            reason: None,
        }
    }
}

fn details_page(
    req: &HttpRequest,
    actor: Actor,
    full_name: &str,
    f: &DetailsForm,
    errors: &FormErrors,
    saved: bool,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let needs_hint =
        "For example: large print, Easy Read, a hearing loop, breaks, someone with me.";
    let body = html! {
        h1 { "My details" }
        @if saved { div class="notice" role="status" { p { "Your details are saved." } } }
        p { "Your name on our records is " strong { (full_name) } ". To change it, ask your coordinator." }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/me/details" novalidate {
            (ctx.csrf_field())
            (errors.input("preferred_name", "The name you like to be called", "text", &f.preferred_name, None, "nickname"))
            (errors.input("email", "Email for notices about payments", "email", &f.email,
                Some("We email you when a payment is approved and when it is paid."), "email"))
            (errors.input("phone", "Phone", "tel", &f.phone, None, "tel"))
            (errors.label("communication_needs", "What helps you take part", Some(needs_hint)))
            textarea id="communication_needs" name="communication_needs" rows="4"
                aria-invalid=[errors.invalid("communication_needs")]
                aria-describedby=[errors.described_by("communication_needs", true)] { (f.communication_needs) }
            (errors.label("postal_address", "Postal address", Some("For letters. One line for each part of the address.")))
            textarea id="postal_address" name="postal_address" rows="4" autocomplete="street-address"
                aria-invalid=[errors.invalid("postal_address")]
                aria-describedby=[errors.described_by("postal_address", true)] { (f.postal_address) }
            (formats_question(errors, f.large_print == "yes", f.easy_read == "yes"))
            div { button type="submit" { "Save my details" } }
        }
        h2 { "What we hold about you" }
        p { "You can have a copy of everything we keep about you: your details, your roles, the sessions you came to, "
            "your claims, your payment choices, your payments and the emails we sent you." }
        p { a href="/me/data-export?format=pdf" download { "Download everything we hold about you" } " (a PDF to read or print)" }
        p { a href="/me/data-export" download { "The same as a file a computer can read" } " (called JSON)" }
        h2 { "Password and devices" }
        ul class="links" {
            li { a href="/account/password" { "Change my password" } }
            li { a href="/account" { "Sign out of every device" } }
        }
    };
    ctx.page(status, "My details", body)
}

fn yes(ticked: bool) -> String {
    if ticked { "yes" } else { "" }.to_string()
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

async fn details(req: HttpRequest, db: web::Data<Database>, q: web::Query<Saved>) -> HttpResponse {
    let (actor, id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let a = actor.clone();
    match db.run(move |c| members::get(c, &a, &id)).await {
        Ok(m) => {
            let f = DetailsForm::of(&m);
            details_page(
                &req,
                actor,
                &m.full_name,
                &f,
                &FormErrors::none(),
                q.saved.is_some(),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn save(req: HttpRequest, db: web::Data<Database>, form: Form<DetailsForm>) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (actor, id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let (a, fields) = (actor.clone(), form.fields());
    let done = db
        .run(move |c| match members::update(c, &a, &id, fields) {
            Ok(m) => Ok(Ok(m)),
            Err(e @ Error::Validation(_)) => Ok(Err((e, members::get(c, &a, &id)?))),
            Err(e) => Err(e),
        })
        .await;
    match done {
        Ok(Ok(_)) => redirect("/me/details?saved=1"),
        Ok(Err((e, m))) => details_page(&req, actor, &m.full_name, &form, &form_errors(&e), false),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me/details")
            .route(web::get().to(details))
            .route(web::post().to(save)),
    )
    .service(web::resource("/me/data-export").route(web::get().to(data_export)));
}

/// The member's copy of everything held about them, to save: a PDF to read (`?format=pdf`)
/// or a JSON file for a computer.
pub async fn data_export(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<crate::http::download::CopyAsked>,
) -> HttpResponse {
    let (actor, member_id) = match super::member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let format = q.into_inner().format;
    crate::http::download::personal_copy(
        &db,
        &settings,
        actor.clone(),
        member_id,
        format.as_deref(),
    )
    .await
    .unwrap_or_else(|e| crate::web::error_page(&req, Some(actor), &e))
}
