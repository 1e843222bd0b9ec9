//! The audit trail: who did what and when, newest first, filtered by the person who did it, the
//! record it was done to and the days, paged like the API's list.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::{admin, at, errors_of, pager};
use crate::config::Settings;
use crate::db::Database;
use crate::services::accounts;
use crate::services::audit::{self, AuditEvent, AuditQuery};
use crate::services::page::{Page, PageRequest};
use crate::services::{Error, FieldError};
use crate::web::{error_page, Ctx, FormErrors};

const PAGE_SIZE: i64 = 50;

/// The kinds of record changes are made to, as the trail names them, with words.
const RECORDS: [(&str, &str); 13] = [
    ("account", "Account"),
    ("activity_kind", "Kind of session"),
    ("api_token", "API token"),
    ("benefit_limit", "Benefit limit"),
    ("expense", "Expense claim"),
    ("group", "Group"),
    ("meeting", "Meeting"),
    ("member", "Member"),
    ("membership", "Membership of a group"),
    ("outbox", "Email"),
    ("pay_run", "Pay run"),
    ("rate_card", "Rate card"),
    ("role", "Role in a group"),
];

const SUBJECTS: &[(&str, &str)] = &[
    ("person", "The person's email address"),
    ("email", "The person's email address"),
    ("entity_type", "The kind of record"),
    ("entity_id", "The record"),
    ("from", "The first day"),
    ("to", "The last day"),
    ("cursor", "The address of this page"),
];

/// The filters as typed in the address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    person: String,
    entity_type: String,
    entity_id: String,
    from: String,
    to: String,
    cursor: Option<String>,
}

impl Filters {
    fn pairs(&self) -> [(&str, &str); 5] {
        [
            ("person", self.person.trim()),
            ("entity_type", self.entity_type.trim()),
            ("entity_id", self.entity_id.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ]
    }
}

fn record_words(kind: &str) -> String {
    RECORDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| kind.replace('_', " "), |(_, w)| (*w).to_string())
}

/// `account.invitation_sent` as `Account: invitation sent`.
fn action_words(action: &str) -> String {
    match action.split_once('.') {
        Some((record, what)) => format!("{}: {}", record_words(record), what.replace('_', " ")),
        None => action.replace('_', " "),
    }
}

fn short(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".to_string(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// What changed, field by field, where the event kept the record before and after.
fn changes(e: &AuditEvent) -> Vec<String> {
    match (&e.before, &e.after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| {
                let was = b.get(k).map_or_else(|| "none".to_string(), short);
                format!("{}: {} → {}", k.replace('_', " "), was, short(v))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The page of the record itself, where there is one for an admin.
fn record_page(e: &AuditEvent) -> Option<String> {
    match e.entity_type.as_str() {
        "account" => Some(format!("/accounts/{}", e.entity_id)),
        "group" => Some(format!("/admin/groups/{}", e.entity_id)),
        "meeting" => Some(format!("/meetings/{}", e.entity_id)),
        _ => None,
    }
}

fn filter_form(f: &Filters, errors: &FormErrors) -> Markup {
    html! {
        form method="get" action="/audit" novalidate {
            (errors.input("person", "Who did it (optional)", "email", f.person.trim(), Some("Their email address"), "off"))
            (errors.label("entity_type", "Kind of record (optional)", None))
            select id="entity_type" name="entity_type" aria-invalid=[errors.invalid("entity_type")]
                aria-describedby=[errors.described_by("entity_type", false)] {
                option value="" selected[f.entity_type.is_empty()] { "Any" }
                @for (code, words) in RECORDS { option value=(code) selected[f.entity_type == code] { (words) } }
            }
            (errors.input("entity_id", "Record (optional)", "text", f.entity_id.trim(), Some("Its id, as the record's page or the API shows it"), "off"))
            (errors.input("from", "From (optional)", "date", f.from.trim(), Some("The first day, for example 2026-04-06"), "off"))
            (errors.input("to", "To (optional)", "date", f.to.trim(), Some("The last day, included"), "off"))
            div { button type="submit" { "Show the changes" } }
        }
        p { a href="/audit" { "Clear the filters" } }
    }
}

fn event_row(settings: &Settings, e: &AuditEvent, emails: &HashMap<String, String>) -> Markup {
    let only = serde_urlencoded::to_string([
        ("entity_type", e.entity_type.as_str()),
        ("entity_id", e.entity_id.as_str()),
    ])
    .unwrap_or_default();
    html! {
        tr {
            td { (at(settings, &e.occurred_at)) }
            td { @match &e.actor_id {
                Some(id) => { (emails.get(id).map_or(id.as_str(), String::as_str)) },
                None => { span class="muted" { "coprod itself, or its command line" } },
            } }
            td { (action_words(&e.action))
                 @if let Some(r) = &e.reason { br; span class="muted" { "Why: " (r) } } }
            td {
                @match record_page(e) {
                    Some(href) => { a href=(href) { (record_words(&e.entity_type)) } },
                    None => { (record_words(&e.entity_type)) },
                }
                br; a class="muted" href={ "/audit?" (only) } { "Only this record" }
            }
            td { ul class="links" { @for c in changes(e) { li { (c) } } } }
        }
    }
}

fn body(
    settings: &Settings,
    f: &Filters,
    errors: &FormErrors,
    found: Option<&(Page<AuditEvent>, HashMap<String, String>)>,
) -> Markup {
    html! {
        h1 { "Audit trail" }
        p { "Every change to people, money and permissions, with who made it and when, newest first." }
        (errors.summary())
        (filter_form(f, errors))
        @if let Some((page, emails)) = found {
            @if page.items.is_empty() {
                p { "No changes match these filters." }
            } @else {
                div class="table-wrap" tabindex="0" role="region" aria-label="Changes, newest first" {
                    table {
                        caption { "Changes, newest first" }
                        thead { tr {
                            th scope="col" { "When" }
                            th scope="col" { "Who" }
                            th scope="col" { "What" }
                            th scope="col" { "Record" }
                            th scope="col" { "What changed" }
                        } }
                        tbody { @for e in &page.items { (event_row(settings, e, emails)) } }
                    }
                }
            }
            (pager("/audit", &f.pairs(), page.next_cursor.as_deref(), f.cursor.is_some()))
        }
    }
}

fn day_of(field: &str, typed: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let t = typed.trim();
    if t.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "Enter the day as year-month-day, such as 2026-04-06",
            ));
            None
        }
    }
}

async fn show(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<Filters>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let f = q.into_inner();
    let mut read = Vec::new();
    let (from, to) = (
        day_of("from", &f.from, &mut read),
        day_of("to", &f.to, &mut read),
    );
    let text = |s: &str| Some(s.trim().to_string()).filter(|t| !t.is_empty());
    let (a, person) = (actor.clone(), text(&f.person));
    let mut query = AuditQuery {
        entity_type: text(&f.entity_type),
        entity_id: text(&f.entity_id),
        actor_id: None,
        from,
        to,
    };
    let request = PageRequest::at(PAGE_SIZE, f.cursor.clone());
    let found = db
        .run(move |c| {
            if let Some(email) = person {
                match accounts::find_by_email(c, &a, &email)? {
                    Some(account) => query.actor_id = Some(account.id),
                    None => read.push(FieldError::new(
                        "person",
                        "No account has this email address",
                    )),
                }
            }
            if !read.is_empty() {
                return Err(Error::Validation(read));
            }
            let page = audit::list(c, &a, query, &request)?;
            let ids: Vec<String> = page
                .items
                .iter()
                .filter_map(|e| e.actor_id.clone())
                .collect();
            let emails = accounts::emails(c, &a, &ids)?;
            Ok((page, emails))
        })
        .await;
    let ctx = Ctx::new(&req, Some(actor.clone()));
    match found {
        Ok(found) => {
            let body = body(&settings, &f, &FormErrors::none(), Some(&found));
            ctx.page(StatusCode::OK, "Audit trail", body)
        }
        Err(e @ Error::Validation(_)) => {
            let errors = errors_of(
                &e,
                SUBJECTS,
                &[("email", "person"), ("cursor", "from")],
                "from",
            );
            let body = body(&settings, &f, &errors, None);
            ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "Audit trail", body)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/audit").route(web::get().to(show)));
}
