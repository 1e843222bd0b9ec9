//! A member's page for their coordinator: details, roles over time in my groups (give a role,
//! change it from a date, end it), sessions, current choices in plain words, payments; editing
//! the details, and archiving (with what that means said first).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::people::{choices_of, date_of, member_fields, role_fields, MemberForm, SUBJECTS};
use super::{label_of, name_of, staff};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::formats::Format;
use crate::services::groups::{self, CodeLabel, MemberRole, NewMembership};
use crate::services::meetings::{self, MemberAttendance};
use crate::services::members::{self, MemberView};
use crate::services::page::PageRequest;
use crate::services::payruns::{self, MemberRunView};
use crate::services::preferences;
use crate::services::{Actor, Error};
use crate::web::{
    csrf_failed, csrf_ok, day, error_page, in_page_words, pounds, redirect, Ctx, Form, FormErrors,
};

/// Everything the member's page shows.
struct Loaded {
    member: MemberView,
    roles: Vec<MemberRole>,
    role_labels: Vec<CodeLabel>,
    sessions: Vec<MemberAttendance>,
    choices: Vec<String>,
    runs: Vec<MemberRunView>,
}

async fn load(
    db: &web::Data<Database>,
    actor: &Actor,
    id: String,
    today: chrono::NaiveDate,
) -> Result<Loaded, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let member = members::get(c, &a, &id)?;
        let mut sessions = meetings::of_member(c, &a, &id)?;
        sessions.truncate(12);
        Ok(Loaded {
            roles: groups::roles_of_member(c, &a, &id)?,
            role_labels: groups::list_reference(c, groups::Reference::Roles)?,
            sessions,
            choices: preferences::summary(&preferences::current(c, &a, &id, today)?),
            runs: payruns::of_member(c, &a, &id, &PageRequest::first(6))?.items,
            member,
        })
    })
    .await
}

fn details(m: &MemberView) -> Markup {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "Not given".into());
    html! {
        dl class="choices" {
            dt { "Preferred name" } dd { (or_none(&m.preferred_name)) }
            dt { "Email" } dd { (or_none(&m.email)) }
            dt { "Phone" } dd { (or_none(&m.phone)) }
            dt { "Communication needs and formats" } dd { (or_none(&m.communication_needs)) }
            dt { "Formats" } dd { @if m.preferred_formats.is_empty() { "None asked for" }
                @else { @for (i, f) in m.preferred_formats.iter().enumerate() { @if i > 0 { ", " } (f.as_str().replace('_', " ")) } } }
            dt { "Postal address" } dd { (or_none(&m.postal_address)) }
            dt { "Payee reference" } dd { (or_none(&m.payee_reference)) }
            dt { "Notes for staff" } dd { (or_none(&m.notes)) }
        }
    }
}

fn roles_table(ctx: &Ctx, p: &Loaded) -> Markup {
    html! {
        @if p.roles.is_empty() {
            p { "They have no role in any of your groups." }
        } @else {
            @for r in &p.roles {
                @let m = &r.membership;
                section class="claim" aria-labelledby={ "role-" (m.id) } {
                    h3 id={ "role-" (m.id) } { (label_of(&p.role_labels, &m.role)) " in " (r.group_name) }
                    p { "From " (day(m.starts_on))
                        @if let Some(e) = m.ends_on { " to " (day(e)) } @else { ", with no end date" } "." }
                    @if m.ends_on.is_none() {
                        form method="post" action={ "/memberships/" (m.id) "/change-role" } novalidate {
                            (ctx.csrf_field())
                            input type="hidden" name="member_id" value=(m.member_id);
                            @let role_id = format!("role-{}", m.id);
                            @let from_id = format!("from-{}", m.id);
                            label for=(role_id) { "New role" }
                            select id=(role_id) name="role" {
                                @for l in &p.role_labels {
                                    option value=(l.code) selected[l.code == m.role] { (l.label) }
                                }
                            }
                            label for=(from_id) { "From" span class="hint" { "The day the new role starts. The current one ends the day before." } }
                            input type="date" id=(from_id) name="starts_on";
                            div { button type="submit" class="secondary" { "Change the role" } }
                        }
                        form method="post" action={ "/memberships/" (m.id) "/end" } novalidate {
                            (ctx.csrf_field())
                            input type="hidden" name="member_id" value=(m.member_id);
                            @let end_id = format!("end-{}", m.id);
                            label for=(end_id) { "Last day in the group" }
                            input type="date" id=(end_id) name="ends_on";
                            div { button type="submit" class="secondary" { "End the membership" } }
                        }
                    }
                }
            }
        }
    }
}

fn sessions_list(sessions: &[MemberAttendance]) -> Markup {
    html! {
        @if sessions.is_empty() {
            p { "No sessions are recorded for them yet." }
        } @else {
            ul {
                @for s in sessions {
                    li { (day(s.meeting.date)) ": " a href={ "/meetings/" (s.meeting.id) } { (s.meeting.title) }
                        " (" (s.status.as_str().replace('_', " ")) ")" }
                }
            }
        }
    }
}

fn member_page(
    req: &HttpRequest,
    actor: Actor,
    p: &Loaded,
    notice: Option<&str>,
    errors: &FormErrors,
    lists: &(Vec<groups::GroupView>, Vec<CodeLabel>),
    add: &MemberForm,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let m = &p.member;
    let name = name_of(&m.full_name, m.preferred_name.as_deref());
    let status = errors.status();
    let body = html! {
        p { a href="/members" { "Back to people" } }
        h1 { (name) @if m.archived { " " span class="muted" { "(archived)" } } }
        @if let Some(n) = notice { div class="notice" role="status" { p { (n) } } }
        (errors.summary())
        @if let Some(msg) = errors.message("form") { p class="field-error" id="form" { (msg) } }
        (details(m))
        p { a href={ "/members/" (m.id) "/edit" } { "Change their details" } }
        h2 { "Roles in my groups" }
        (roles_table(&ctx, p))
        @if !m.archived && !lists.0.is_empty() {
            h3 { "Give a role in a group" }
            form method="post" action={ "/members/" (m.id) "/roles" } novalidate {
                (ctx.csrf_field())
                (role_fields(add, errors, &lists.0, &lists.1))
                div { button type="submit" { "Give this role" } }
            }
        }
        h2 { "Payment choices" }
        ul { @for l in &p.choices { li { (l) } } }
        p { a href={ "/members/" (m.id) "/choices" } { "See or record their choices" } }
        h2 { "Sessions" }
        (sessions_list(&p.sessions))
        h2 { "Expenses" }
        p { a href={ "/members/" (m.id) "/claims" } { "See their claims, or record one for them with its receipts" } }
        h2 { "Payments" }
        @if p.runs.is_empty() {
            p { "No approved payments yet." }
        } @else {
            ul { @for r in &p.runs { li { (pounds(r.total_to_member)) " on " (day(r.payment_date))
                " (" (r.status.as_str()) ")" } } }
        }
        @if !m.archived {
            h2 { "Archive" }
            p { a href={ "/members/" (m.id) "/archive" } { "Archive this member" } }
        }
        @if ctx.actor.as_ref().is_some_and(|a| a.is(crate::services::Role::Admin)) && m.full_name != crate::domain::personal::pseudonym(&m.id) {
            h2 { "Personal data" }
            p { a href={ "/members/" (m.id) "/erase" } { "Erase their personal details" } }
            p { a href={ "/members/" (m.id) "/data-export?format=pdf" } download { "Download everything we hold about them" } " (a PDF, for answering their request)" }
        }
    };
    ctx.page(status, &name, body)
}

#[derive(Deserialize)]
pub struct Notice {
    added: Option<String>,
    saved: Option<String>,
    roles: Option<String>,
    erased: Option<String>,
}

/// What the member's page shows besides the member: a note of what was just done, or the
/// problems with a form, and the "give a role" form as it was filled in.
struct Shown<'a> {
    notice: Option<&'a str>,
    errors: &'a FormErrors,
    add: &'a MemberForm,
}

async fn show(
    req: &HttpRequest,
    db: &web::Data<Database>,
    settings: &Settings,
    actor: Actor,
    id: String,
    shown: Shown<'_>,
) -> HttpResponse {
    let Shown {
        notice,
        errors,
        add,
    } = shown;
    let (loaded, lists) = (
        load(db, &actor, id, settings.today()).await,
        choices_of(db, &actor).await,
    );
    match (loaded, lists) {
        (Ok(p), Ok(lists)) => member_page(req, actor, &p, notice, errors, &lists, add),
        (Err(e), _) | (_, Err(e)) => error_page(req, Some(actor), &e),
    }
}

pub async fn member(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<Notice>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let notice = match (&q.added, &q.saved, &q.roles, &q.erased) {
        (Some(_), _, _, _) => Some("The member is added."),
        (_, Some(_), _, _) => Some("Their details are saved."),
        (_, _, Some(_), _) => Some("Their roles are saved."),
        (_, _, _, Some(_)) => {
            Some("Their personal details are erased. Their payments stay, under the name shown.")
        }
        _ => None,
    };
    let add = MemberForm {
        starts_on: settings.today().to_string(),
        ..MemberForm::default()
    };
    let id = path.into_inner();
    show(
        &req,
        &db,
        &settings,
        actor,
        id,
        Shown {
            notice,
            errors: &FormErrors::none(),
            add: &add,
        },
    )
    .await
}

/// Gives the member a role in one of my groups from a date.
pub async fn add_role(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
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
    let id = path.into_inner();
    let mut read = Vec::new();
    let result = match date_of("starts_on", &f.starts_on, &mut read) {
        Some(starts_on) => {
            let (a, group, new) = (
                actor.clone(),
                f.group_id.clone(),
                NewMembership {
                    member_id: id.clone(),
                    role: f.role.clone(),
                    starts_on,
                    ends_on: None,
                },
            );
            db.run(move |c| groups::add_membership(c, &a, &group, new))
                .await
                .map(|_| ())
        }
        None => Err(Error::Validation(read)),
    };
    match result {
        Ok(()) => redirect(&format!("/members/{id}?roles=1")),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let errors = page_errors(&e);
            show(
                &req,
                &db,
                &settings,
                actor,
                id,
                Shown {
                    notice: None,
                    errors: &errors,
                    add: &f,
                },
            )
            .await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// A service's refusal as the page shows it: next to the field, or at the top for a clash.
fn page_errors(e: &Error) -> FormErrors {
    match e {
        Error::Validation(errors) => FormErrors(in_page_words(errors, SUBJECTS)),
        Error::Conflict(message) => FormErrors::one("form", message),
        other => FormErrors::one("form", &crate::http::failure::Failure::of(other).detail),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleChange {
    csrf: String,
    /// Whose page to show again with the problem.
    member_id: String,
    role: String,
    starts_on: String,
    ends_on: String,
}

async fn membership_change(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: RoleChange,
    end: bool,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let membership = path.into_inner();
    let mut read = Vec::new();
    let field = if end { "ends_on" } else { "starts_on" };
    let typed = if end { &form.ends_on } else { &form.starts_on };
    let date = date_of(field, typed, &mut read);
    let (a, id, role) = (actor.clone(), membership, form.role.clone());
    let result = match date {
        None => Err(Error::Validation(read)),
        Some(d) => {
            db.run(move |c| {
                let m = if end {
                    groups::update_membership(
                        c,
                        &a,
                        &id,
                        groups::MembershipUpdate {
                            ends_on: Some(Some(d)),
                            ..Default::default()
                        },
                    )?
                } else {
                    groups::change_role(c, &a, &id, &role, d)?
                };
                Ok(m)
            })
            .await
        }
    };
    match result {
        Ok(m) => redirect(&format!("/members/{}?roles=1", m.member_id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let add = MemberForm {
                starts_on: settings.today().to_string(),
                ..MemberForm::default()
            };
            let errors = page_errors(&e);
            show(
                &req,
                &db,
                &settings,
                actor,
                form.member_id,
                Shown {
                    notice: None,
                    errors: &errors,
                    add: &add,
                },
            )
            .await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn change_role(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<RoleChange>,
) -> HttpResponse {
    membership_change(req, db, settings, path, form.into_inner(), false).await
}

pub async fn end_membership(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<RoleChange>,
) -> HttpResponse {
    membership_change(req, db, settings, path, form.into_inner(), true).await
}

fn edit_page(
    req: &HttpRequest,
    actor: Actor,
    id: &str,
    f: &MemberForm,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let body = html! {
        p { a href={ "/members/" (id) } { "Back without changing anything" } }
        h1 { "Change their details" }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action={ "/members/" (id) "/edit" } novalidate {
            (ctx.csrf_field())
            (member_fields(f, errors))
            div { button type="submit" { "Save their details" } }
        }
    };
    ctx.page(status, "Change their details", body)
}

fn tick(on: bool) -> String {
    if on { "yes" } else { "" }.to_string()
}

fn form_of(m: &MemberView) -> MemberForm {
    let or = |v: &Option<String>| v.clone().unwrap_or_default();
    MemberForm {
        full_name: m.full_name.clone(),
        preferred_name: or(&m.preferred_name),
        email: or(&m.email),
        phone: or(&m.phone),
        communication_needs: or(&m.communication_needs),
        payee_reference: or(&m.payee_reference),
        notes: or(&m.notes),
        postal_address: or(&m.postal_address),
        large_print: tick(m.preferred_formats.contains(&Format::LargePrint)),
        easy_read: tick(m.preferred_formats.contains(&Format::EasyRead)),
        ..MemberForm::default()
    }
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
    match db.run(move |c| members::get(c, &a, &id)).await {
        Ok(m) => edit_page(&req, actor, &m.id, &form_of(&m), &FormErrors::none()),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn save(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
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
    let (a, id, fields) = (actor.clone(), path.into_inner(), f.fields());
    let target = id.clone();
    match db
        .run(move |c| members::update(c, &a, &target, fields))
        .await
    {
        Ok(_) => redirect(&format!("/members/{id}?saved=1")),
        Err(e @ Error::Validation(_)) => edit_page(&req, actor, &id, &f, &page_errors(&e)),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArchiveForm {
    csrf: String,
    reason: String,
}

pub async fn archive_page(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    let m = match db.run(move |c| members::get(c, &a, &id)).await {
        Ok(m) => m,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let name = name_of(&m.full_name, m.preferred_name.as_deref());
    let body = html! {
        p { a href={ "/members/" (m.id) } { "Back without archiving" } }
        h1 { "Archive " (name) "?" }
        p { "Archiving takes them off registers from now on. Everything already recorded stays: "
            "their sessions, claims, choices and payments, and what they are still owed is still paid. "
            "Their account, if they have one, is not changed." }
        form method="post" action={ "/members/" (m.id) "/archive" } novalidate {
            (ctx.csrf_field())
            label for="reason" { "Why (optional)" span class="hint" { "For the audit trail, such as: left the group" } }
            input type="text" id="reason" name="reason" autocomplete="off";
            div { button type="submit" { "Archive this member" } }
        }
    };
    ctx.page(StatusCode::OK, "Archive a member", body)
}

pub async fn archive(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<ArchiveForm>,
) -> HttpResponse {
    let f = form.into_inner();
    if !csrf_ok(&req, &f.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    let reason = Some(f.reason.trim().to_string()).filter(|r| !r.is_empty());
    let target = id.clone();
    match db
        .run(move |c| members::archive(c, &a, &target, reason.as_deref()))
        .await
    {
        Ok(_) => redirect(&format!("/members/{id}?saved=1")),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
