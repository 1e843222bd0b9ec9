//! People: find a member by name (paged by name, as the API pages), and add a member with their
//! first role in one of my groups.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::{name_of, staff};
use crate::config::Settings;
use crate::db::Database;
use crate::services::groups::{self, CodeLabel, GroupView, Reference};
use crate::services::members::{self, MemberFields};
use crate::services::page::PageRequest;
use crate::services::{Actor, Error, FieldError};
use crate::web::{
    csrf_failed, csrf_ok, error_page, formats_question, in_page_words, redirect, Ctx, Form,
    FormErrors,
};

/// How many people a page of the list shows.
const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct Find {
    q: Option<String>,
    cursor: Option<String>,
}

pub async fn people(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<Find>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let Find { q, cursor } = q.into_inner();
    let (a, text) = (actor.clone(), q.clone());
    let found = db
        .run(move |c| {
            members::list(
                c,
                &a,
                text.as_deref(),
                false,
                &PageRequest::at(PER_PAGE, cursor),
            )
        })
        .await;
    let page = match found {
        Ok(p) => p,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let q = q.unwrap_or_default();
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "People" }
        p { a class="button" href="/members/new" { "Add a member" } }
        form method="get" action="/members" role="search" {
            label for="q" { "Find a member by name" }
            input type="text" id="q" name="q" value=(q) autocomplete="off";
            div { button type="submit" class="secondary" { "Find" } }
        }
        @if page.items.is_empty() {
            p { @if q.is_empty() { "There is nobody in your groups yet." } @else { "Nobody's name has “" (q) "” in it." } }
        } @else {
            ul class="links" {
                @for m in &page.items {
                    li { a href={ "/members/" (m.id) } { (name_of(&m.full_name, m.preferred_name.as_deref())) } }
                }
            }
            @if let Some(next) = &page.next_cursor {
                p { a href={ "/members?q=" (urlencode(&q)) "&cursor=" (next) } { "Next " (PER_PAGE) " people" } }
            }
        }
    };
    ctx.page(StatusCode::OK, "People", body)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The fields of a member record, as a form sends them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub csrf: String,
    pub full_name: String,
    pub preferred_name: String,
    pub email: String,
    pub phone: String,
    pub communication_needs: String,
    pub payee_reference: String,
    pub notes: String,
    pub postal_address: String,
    pub large_print: String,
    pub easy_read: String,
    pub group_id: String,
    pub role: String,
    pub starts_on: String,
}

impl MemberForm {
    /// The fields, an empty one clearing what was there.
    pub fn fields(&self) -> MemberFields {
        let set = |s: &str| Some(Some(s.trim().to_string()).filter(|t| !t.is_empty()));
        MemberFields {
            full_name: Some(self.full_name.trim().to_string()),
            preferred_name: set(&self.preferred_name),
            email: set(&self.email),
            phone: set(&self.phone),
            payee_reference: set(&self.payee_reference),
            communication_needs: set(&self.communication_needs),
            postal_address: set(&self.postal_address),
            preferred_formats: Some(crate::web::formats_ticked(
                &self.large_print,
                &self.easy_read,
            )),
            notes: set(&self.notes),
            reason: None,
        }
    }
}

/// The questions of a member form, by the service's field names.
pub const SUBJECTS: &[(&str, &str)] = &[
    ("full_name", "The full name"),
    ("preferred_name", "The preferred name"),
    ("email", "The email address"),
    ("phone", "The phone number"),
    ("communication_needs", "What helps them take part"),
    ("payee_reference", "The payee reference"),
    ("notes", "The notes"),
    ("postal_address", "The postal address"),
    ("member_id", "The member"),
    ("role", "The role"),
    ("starts_on", "The date"),
    ("ends_on", "The end date"),
];

/// The fields every member form has.
pub fn member_fields(f: &MemberForm, errors: &FormErrors) -> Markup {
    html! {
        (errors.input("full_name", "Full name", "text", &f.full_name, Some("As on their bank account, for payments"), "off"))
        (errors.input("preferred_name", "Preferred name (optional)", "text", &f.preferred_name, Some("What they like to be called"), "off"))
        (errors.input("email", "Email (optional)", "email", &f.email, Some("For notices about payments"), "off"))
        (errors.input("phone", "Phone (optional)", "tel", &f.phone, None, "off"))
        (errors.label("communication_needs", "Communication needs and formats (optional)", Some("For example: large print, Easy Read, a hearing loop, breaks")))
        textarea id="communication_needs" name="communication_needs" rows="3" aria-invalid=[errors.invalid("communication_needs")]
            aria-describedby=[errors.described_by("communication_needs", true)] { (f.communication_needs) }
        (formats_question(errors, f.large_print == "yes", f.easy_read == "yes"))
        (errors.label("postal_address", "Postal address (optional)", Some("For letters")))
        textarea id="postal_address" name="postal_address" rows="3" aria-invalid=[errors.invalid("postal_address")]
            aria-describedby=[errors.described_by("postal_address", true)] { (f.postal_address) }
        (errors.input("payee_reference", "Payee reference (optional)", "text", &f.payee_reference, Some("Their reference in finance's own systems"), "off"))
        (errors.label("notes", "Notes for staff (optional)", Some("Members never see these")))
        textarea id="notes" name="notes" rows="3" aria-invalid=[errors.invalid("notes")]
            aria-describedby=[errors.described_by("notes", true)] { (f.notes) }
    }
}

/// A group, a role and a start date: the role a member has in one of my groups.
pub fn role_fields(
    f: &MemberForm,
    errors: &FormErrors,
    my_groups: &[GroupView],
    roles: &[CodeLabel],
) -> Markup {
    html! {
        (errors.label("group_id", "Group", None))
        select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")]
            aria-describedby=[errors.described_by("group_id", false)] {
            @for g in my_groups { option value=(g.id) selected[f.group_id == g.id] { (g.name) } }
        }
        (errors.label("role", "Role", None))
        select id="role" name="role" aria-invalid=[errors.invalid("role")]
            aria-describedby=[errors.described_by("role", false)] {
            @for r in roles {
                option value=(r.code) selected[f.role == r.code || (f.role.is_empty() && r.code == "member")] { (r.label) }
            }
        }
        (errors.input("starts_on", "From", "date", &f.starts_on, Some("The first day they have this role"), "off"))
    }
}

/// My groups and the roles to choose from.
pub async fn choices_of(
    db: &web::Data<Database>,
    actor: &Actor,
) -> Result<(Vec<GroupView>, Vec<CodeLabel>), Error> {
    let a = actor.clone();
    db.run(move |c| {
        let mine = groups::list_groups(c, &a, &PageRequest::first(200))?.items;
        let roles = groups::list_reference(c, Reference::Roles)?;
        Ok((mine, roles))
    })
    .await
}

fn new_member_page(
    req: &HttpRequest,
    actor: Actor,
    f: &MemberForm,
    errors: &FormErrors,
    (my_groups, roles): &(Vec<GroupView>, Vec<CodeLabel>),
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let body = html! {
        p { a href="/members" { "Back to people" } }
        h1 { "Add a member" }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        @if my_groups.is_empty() {
            p { "You run no groups yet, so there is no group to add them to. An admin gives you your groups." }
        } @else {
            form method="post" action="/members/new" novalidate {
                (ctx.csrf_field())
                (member_fields(f, errors))
                h2 { "Their role" }
                (role_fields(f, errors, my_groups, roles))
                div { button type="submit" { "Add this member" } }
            }
        }
    };
    ctx.page(status, "Add a member", body)
}

pub async fn new_member(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let lists = match choices_of(&db, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let f = MemberForm {
        starts_on: settings.today().to_string(),
        ..MemberForm::default()
    };
    new_member_page(&req, actor, &f, &FormErrors::none(), &lists)
}

/// A date as a form sends it, or the problem with it.
pub fn date_of(field: &str, typed: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match typed.trim().parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "Enter a date, such as 2026-05-01"));
            None
        }
    }
}

pub async fn add_member(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<MemberForm>,
) -> HttpResponse {
    let f = form.into_inner();
    if !csrf_ok(&req, &f.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let lists = match choices_of(&db, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let mut read = Vec::new();
    let starts_on = date_of("starts_on", &f.starts_on, &mut read);
    let result = match starts_on {
        Some(from) if read.is_empty() => {
            let (a, fields, group, role) = (
                actor.clone(),
                f.fields(),
                f.group_id.clone(),
                f.role.clone(),
            );
            db.run(move |c| members::create_in_group(c, &a, fields, &group, role, from))
                .await
        }
        _ => Err(Error::Validation(read)),
    };
    match result {
        Ok(m) => redirect(&format!("/members/{}?added=1", m.id)),
        Err(Error::Validation(errors)) => {
            let errors = FormErrors(in_page_words(&errors, SUBJECTS));
            new_member_page(&req, actor, &f, &errors, &lists)
        }
        Err(Error::NotFound) => {
            let errors = FormErrors::one("group_id", "Choose one of your groups");
            new_member_page(&req, actor, &f, &errors, &lists)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
