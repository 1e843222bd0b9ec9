//! Admins' pages: accounts and invitations, groups and their coordinators, reference data, benefit
//! limits, the mail queue and the audit trail. Admins also see every group's coordinators' pages.
//! Each page calls the services the API calls; what is here is words, forms and the way between
//! pages.

mod account;
mod accounts;
mod audit;
mod erase;
mod groups;
mod limits;
mod mail;
mod reference;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use crate::config::Settings;
use crate::services::page::{Page, PageRequest, MAX_LIMIT};
use crate::services::{Actor, Error, FieldError, Result, Role};
use crate::web::FormErrors;

/// The links of the main navigation for an admin.
pub const NAV: &[(&str, &str)] = &[
    ("/accounts", "Accounts"),
    ("/admin/groups", "Groups"),
    ("/groups", "Meetings"),
    ("/claims", "Expense claims"),
    ("/limits", "Benefit limits"),
    ("/reference-data", "Roles and kinds"),
    ("/mail", "Mail queue"),
    ("/audit", "Audit trail"),
];

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(accounts::routes)
        .configure(account::routes)
        .configure(groups::routes)
        .configure(reference::routes)
        .configure(limits::routes)
        .configure(mail::routes)
        .configure(audit::routes)
        .configure(erase::routes);
}

/// The signed-in admin, or where to send the browser instead.
async fn admin(req: &HttpRequest) -> std::result::Result<Actor, HttpResponse> {
    super::signed_in_as(req, &[Role::Admin]).await
}

/// `?saved=1` (or another word) after a form that worked.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    saved: Option<String>,
}

pub use crate::web::Fields;

/// The status of a page sent back with its form's errors: 409 when the state of things refused
/// it, 422 for answers that break a rule.
fn refused(e: &Error) -> StatusCode {
    match e {
        Error::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// A service's errors in the words of a form. Each field is named by its question (`subjects`);
/// a field of a list (`group_ids[2]`) by the list's item (`group_ids[]`) and shown at the list;
/// a field shown at another question is moved there (`moved`: from, to); any other field, and a
/// refusal that names none (a conflict), is shown at `fallback`.
fn errors_of(
    e: &Error,
    subjects: &[(&str, &str)],
    moved: &[(&str, &str)],
    fallback: &str,
) -> FormErrors {
    let list = match e {
        Error::Validation(list) => list.clone(),
        Error::Conflict(msg) => return FormErrors::one(fallback, &msg.replace('`', "")),
        other => return crate::web::form_errors(other),
    };
    let has = |name: &str| subjects.iter().any(|(n, _)| *n == name);
    let keyed: Vec<FieldError> = list
        .into_iter()
        .map(|f| {
            let base = f.field.split('[').next().unwrap_or_default().to_string();
            let item = format!("{base}[]");
            let key = if f.field.contains('[') && has(&item) {
                item
            } else if has(&base) {
                base
            } else {
                fallback.to_string()
            };
            FieldError::new(key, f.message)
        })
        .collect();
    let mut shown: Vec<FieldError> = Vec::new();
    for f in super::in_page_words(&keyed, subjects) {
        let base = f.field.trim_end_matches("[]");
        let field = moved
            .iter()
            .find(|(from, _)| *from == base)
            .map_or(base, |(_, to)| *to)
            .to_string();
        if !shown.iter().any(|s| s.field == field) {
            shown.push(FieldError::new(field, f.message));
        }
    }
    FormErrors(shown)
}

/// Reads every page of a list (for a form's choices: groups, members, coordinators), at most
/// `pages` pages of the largest size.
fn every<T>(pages: usize, mut read: impl FnMut(&PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..pages {
        let page = read(&PageRequest::at(MAX_LIMIT, cursor))?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// A role in words.
fn role_words(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::Coordinator => "Coordinator",
        Role::Finance => "Finance",
        Role::Member => "Member",
    }
}

/// The roles with what each may do, for forms.
const ROLES: [(Role, &str); 4] = [
    (
        Role::Member,
        "Sees their own payments, sessions and choices. Needs their member record.",
    ),
    (
        Role::Coordinator,
        "Runs the groups ticked below: members, meetings, registers and claims.",
    ),
    (
        Role::Finance,
        "Reviews, approves and pays pay runs, and downloads the reports.",
    ),
    (
        Role::Admin,
        "Manages accounts, groups, reference data, benefit limits and the mail queue.",
    ),
];

/// An instant as the API gives it (RFC 3339, UTC) in the organisation's time zone:
/// `4 July 2025 at 09:30`.
fn at(settings: &Settings, instant: &str) -> String {
    let tz = settings
        .organisation
        .time_zone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::Europe::London);
    match chrono::DateTime::parse_from_rfc3339(instant) {
        Ok(t) => {
            let local = t.with_timezone(&tz);
            format!(
                "{} at {}",
                super::day(local.date_naive()),
                local.format("%H:%M")
            )
        }
        Err(_) => instant.to_string(),
    }
}

/// Radio buttons under one question: (value, words, what it means).
fn radios(
    errors: &FormErrors,
    name: &str,
    legend: &str,
    chosen: &str,
    options: &[(&str, &str, &str)],
) -> Markup {
    let described = errors.described_by(name, false);
    html! {
        fieldset class="question" aria-describedby=[described.as_deref()] {
            legend { (legend) }
            @if let Some(e) = errors.message(name) {
                span class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
            }
            div class="radios" {
                @for (n, (value, words, explained)) in options.iter().enumerate() {
                    @let id = if n == 0 { name.to_string() } else { format!("{name}-{value}") };
                    div class="radio" {
                        input type="radio" id=(id) name=(name) value=(value) checked[chosen == *value]
                            aria-invalid=[errors.invalid(name)]
                            aria-describedby=[(!explained.is_empty()).then(|| format!("{id}-about"))];
                        label for=(id) { (words) }
                        @if !explained.is_empty() { span class="hint" id={ (id) "-about" } { (explained) } }
                    }
                }
            }
        }
    }
}

/// Boxes to tick under one question: (value, words, a note).
fn checkboxes(
    errors: &FormErrors,
    name: &str,
    legend: &str,
    hint: Option<&str>,
    ticked: &[String],
    options: &[(String, String, String)],
) -> Markup {
    let described = errors.described_by(name, hint.is_some());
    html! {
        fieldset class="question" id=(name) tabindex="-1" aria-describedby=[described.as_deref()] {
            legend { (legend) }
            @if let Some(h) = hint { span class="hint" id={ (name) "-hint" } { (h) } }
            @if let Some(e) = errors.message(name) {
                span class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
            }
            div class="radios" {
                @for (n, (value, words, note)) in options.iter().enumerate() {
                    @let id = format!("{name}-{n}");
                    div class="radio" {
                        input type="checkbox" id=(id) name=(name) value=(value) checked[ticked.contains(value)]
                            aria-invalid=[errors.invalid(name)];
                        label for=(id) { (words) @if !note.is_empty() { " " span class="muted" { (note) } } }
                    }
                }
            }
        }
    }
}

/// The role radio buttons.
fn role_radios(errors: &FormErrors, chosen: &str) -> Markup {
    let options: Vec<(&str, &str, &str)> = ROLES
        .iter()
        .map(|(r, about)| (r.as_str(), role_words(*r), *about))
        .collect();
    radios(errors, "role", "Role", chosen, &options)
}

/// "Next page" for a list paged by keyset: the same address with the next cursor; and a way back
/// to the first page once past it.
fn pager(path: &str, query: &[(&str, &str)], next: Option<&str>, paged: bool) -> Markup {
    let keep: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .copied()
        .collect();
    let first = address(path, &keep);
    let next = next.map(|c| {
        let mut q = keep.clone();
        q.push(("cursor", c));
        address(path, &q)
    });
    html! {
        @if next.is_some() || paged {
            nav class="pager" aria-label="Pages" {
                ul class="links" {
                    @if paged { li { a href=(first) { "First page" } } }
                    @if let Some(n) = &next { li { a href=(n) { "Next page" } } }
                }
            }
        }
    }
}

fn address(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        let q = serde_urlencoded::to_string(query).unwrap_or_default();
        format!("{path}?{q}")
    }
}

/// The notice of a form that worked.
fn notice(words: &str) -> Markup {
    html! { div class="notice" role="status" { p { (words) } } }
}
