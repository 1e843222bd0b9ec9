//! Coordinators' pages (and admins'): my groups and their members, meetings, the register of a
//! meeting on one page (quick on a phone: everyone listed, attended by default), and expense claims
//! to approve or reject.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    csrf_failed, csrf_ok, day, error_page, form_errors, pounds, redirect, Ctx, Form, FormErrors,
};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::records::{AttendanceStatus, ClaimStatus, ExpenseKind};
use crate::services::expenses::{self, ExpenseView, WaitingClaim};
use crate::services::groups::{self, CodeLabel, GroupView, Reference, RosterLine};
use crate::services::meetings::{self, MeetingFields, MeetingView, RecordInput, Register};
use crate::services::page::PageRequest;
use crate::services::{Actor, Error, FieldError, Role};

/// The signed-in coordinator or admin, or where to send the browser instead.
async fn staff(req: &HttpRequest) -> Result<Actor, HttpResponse> {
    super::signed_in_as(req, &[Role::Coordinator, Role::Admin]).await
}

fn name_of(full: &str, preferred: Option<&str>) -> String {
    match preferred {
        Some(p) if p != full => format!("{full} ({p})"),
        _ => full.to_string(),
    }
}

fn label_of(list: &[CodeLabel], code: &str) -> String {
    list.iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.replace('_', " "), |c| c.label.clone())
}

fn hours(minutes: i32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} minutes"),
        (1, 0) => "1 hour".to_string(),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// My groups, and how many claims wait for a decision.
pub async fn groups(req: HttpRequest, db: web::Data<Database>) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    let loaded = db
        .run(move |c| {
            let groups = groups::list_groups(c, &a, &PageRequest::first(100))?;
            let waiting = expenses::waiting(c, &a)?.len();
            Ok::<_, Error>((groups, waiting))
        })
        .await;
    let (page, waiting) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor.clone()));
    let body = html! {
        h1 { @if actor.role == Role::Admin { "Groups" } @else { "My groups" } }
        @if waiting > 0 {
            p class="notice" { a href="/claims" { (claims_words(waiting)) " waiting for a decision" } }
        }
        @if page.items.is_empty() {
            p { "You do not run any groups yet. An admin gives you your groups." }
        } @else {
            ul class="links" {
                @for g in &page.items {
                    li {
                        a href={ "/groups/" (g.id) } { (g.name) }
                        @if g.archived { " " span class="muted" { "(archived)" } }
                        @if let Some(d) = &g.description { br; span class="muted" { (d) } }
                    }
                }
            }
        }
        @if actor.role == Role::Admin {
            p { "Accounts, rate cards and settings are managed through the "
                a href="/api/docs/" { "API" } "." }
        }
    };
    ctx.page(StatusCode::OK, "Groups", body)
}

fn claims_words(n: usize) -> String {
    if n == 1 {
        "1 expense claim".to_string()
    } else {
        format!("{n} expense claims")
    }
}

struct GroupPage {
    group: GroupView,
    roster: Vec<RosterLine>,
    meetings: Vec<MeetingView>,
    kinds: Vec<CodeLabel>,
    roles: Vec<CodeLabel>,
}

async fn load_group(
    db: &Database,
    actor: &Actor,
    group_id: String,
    today: NaiveDate,
) -> Result<GroupPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let (group, roster) = groups::roster(c, &a, &group_id, today)?;
        let meetings =
            meetings::list(c, &a, Some(group_id), None, None, &PageRequest::first(50))?.items;
        let kinds = groups::list_reference(c, Reference::ActivityKinds)?;
        let roles = groups::list_reference(c, Reference::Roles)?;
        Ok(GroupPage {
            group,
            roster,
            meetings,
            kinds,
            roles,
        })
    })
    .await
}

/// What the new-meeting form holds (kept when it comes back with errors).
#[derive(Debug, Default, Deserialize)]
pub struct NewMeetingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    activity_kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    prep_minutes_allowed: String,
}

fn group_body(ctx: &Ctx, g: &GroupPage, form: &NewMeetingForm, errors: &FormErrors) -> Markup {
    let kind = if form.activity_kind.is_empty() {
        g.kinds.first().map(|k| k.code.clone()).unwrap_or_default()
    } else {
        form.activity_kind.clone()
    };
    html! {
        h1 { (g.group.name) }
        @if let Some(d) = &g.group.description { p { (d) } }
        h2 { "Meetings" }
        @if g.meetings.is_empty() {
            p { "No meetings yet. Add one below, then take its register." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Meetings, newest first" } {
                table {
                    caption { "Meetings, newest first" }
                    thead { tr {
                        th scope="col" { "Date" }
                        th scope="col" { "Meeting" }
                        th scope="col" { "Length" }
                    } }
                    tbody {
                        @for m in &g.meetings {
                            tr {
                                td { (day(m.date)) }
                                td { a href={ "/meetings/" (m.id) } { (m.title) } br;
                                     span class="muted" { (label_of(&g.kinds, &m.activity_kind)) } }
                                td { (hours(m.duration_minutes)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Members today" }
        @if g.roster.is_empty() {
            p { "Nobody is in this group today." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Members of " (g.group.name) } {
                table {
                    caption { "Members of " (g.group.name) }
                    thead { tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Role" }
                        th scope="col" { "Since" }
                    } }
                    tbody {
                        @for r in &g.roster {
                            tr {
                                td { (name_of(&r.full_name, r.preferred_name.as_deref())) }
                                td { (label_of(&g.roles, &r.role)) }
                                td { (day(r.since)) }
                            }
                        }
                    }
                }
            }
        }
        h2 id="add-meeting" { "Add a meeting" }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action={ "/groups/" (g.group.id) "/meetings" } novalidate {
            (ctx.csrf_field())
            (errors.input("title", "Title", "text", &form.title, Some("For example: Advisory group meeting"), "off"))
            (errors.label("activity_kind", "Kind of session", None))
            select id="activity_kind" name="activity_kind" aria-invalid=[errors.invalid("activity_kind")]
                aria-describedby=[errors.described_by("activity_kind", false)] {
                @for k in &g.kinds {
                    option value=(k.code) selected[k.code == kind] { (k.label) }
                }
            }
            (errors.input("date", "Date", "date", &form.date, Some("For example: 2026-11-20"), "off"))
            (errors.input("duration_minutes", "Length in minutes", "number", &form.duration_minutes, Some("For example: 120 for two hours"), "off"))
            (errors.input("prep_minutes_allowed", "Preparation allowed, in minutes", "number",
                &form.prep_minutes_allowed, Some("Time members may claim for reading papers beforehand; 0 if none"), "off"))
            button type="submit" { "Add the meeting" }
        }
    }
}

pub async fn group(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let g = match load_group(&db, &actor, path.into_inner(), settings.today()).await {
        Ok(g) => g,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let form = NewMeetingForm {
        date: settings.today().to_string(),
        duration_minutes: "120".to_string(),
        prep_minutes_allowed: "0".to_string(),
        ..NewMeetingForm::default()
    };
    let title = g.group.name.clone();
    ctx.page(
        StatusCode::OK,
        &title,
        group_body(&ctx, &g, &form, &FormErrors::none()),
    )
}

/// A whole number in a form field, or an error for it.
fn whole(field: &str, label: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) if v.trim().is_empty() => {
            errors.push(FieldError::new(field, format!("Enter the {label}")));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("The {label} must be a whole number, such as 90"),
            ));
            None
        }
    }
}

pub async fn add_meeting(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<NewMeetingForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let group_id = path.into_inner();
    let mut errors = Vec::new();
    let date = match NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                "date",
                "Enter the date as year-month-day, such as 2026-11-20",
            ));
            None
        }
    };
    let duration = whole(
        "duration_minutes",
        "length",
        &form.duration_minutes,
        &mut errors,
    );
    let prep = if form.prep_minutes_allowed.trim().is_empty() {
        Some(0)
    } else {
        whole(
            "prep_minutes_allowed",
            "preparation allowed",
            &form.prep_minutes_allowed,
            &mut errors,
        )
    };
    let result = if errors.is_empty() {
        let fields = MeetingFields {
            group_id: Some(group_id.clone()),
            title: Some(form.title.clone()),
            activity_kind: Some(form.activity_kind.clone()),
            date,
            duration_minutes: duration,
            prep_minutes_allowed: prep,
            ..MeetingFields::default()
        };
        let a = actor.clone();
        db.run(move |c| meetings::create(c, &a, fields)).await
    } else {
        Err(Error::Validation(errors))
    };
    match result {
        Ok(m) => redirect(&format!("/meetings/{}", m.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let g = match load_group(&db, &actor, group_id, settings.today()).await {
                Ok(g) => g,
                Err(e) => return error_page(&req, Some(actor), &e),
            };
            let ctx = Ctx::new(&req, Some(actor));
            let title = format!("Add a meeting: {}", g.group.name);
            ctx.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &title,
                group_body(&ctx, &g, &form, &form_errors(&e)),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

// ---- the register ----

const STATUSES: [(AttendanceStatus, &str); 4] = [
    (AttendanceStatus::Attended, "Came for all of it"),
    (AttendanceStatus::Partial, "Came for part of it"),
    (AttendanceStatus::Apologies, "Sent apologies"),
    (AttendanceStatus::Absent, "Did not come"),
];

/// One line of the register as the form shows it.
struct Row {
    member_id: String,
    name: String,
    role: Option<String>,
    status: String,
    attended: String,
    prep: String,
    meeting_role: String,
    notes: String,
}

fn rows_of(register: &Register) -> Vec<Row> {
    let m = &register.meeting;
    register
        .records
        .iter()
        .map(|l| Row {
            member_id: l.member_id.clone(),
            name: name_of(&l.full_name, l.preferred_name.as_deref()),
            role: l.membership_role.clone(),
            status: l
                .status
                .unwrap_or(AttendanceStatus::Attended)
                .as_str()
                .to_string(),
            attended: match l.status {
                Some(AttendanceStatus::Partial) => l
                    .attended_minutes
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            },
            prep: l.prep_minutes.unwrap_or(m.prep_minutes_allowed).to_string(),
            meeting_role: l.role.clone().unwrap_or_default(),
            notes: l.notes.clone().unwrap_or_default(),
        })
        .collect()
}

struct MeetingPage {
    register: Register,
    claims: Vec<ExpenseView>,
    group_name: String,
    roles: Vec<CodeLabel>,
    kinds: Vec<CodeLabel>,
}

async fn load_meeting(db: &Database, actor: &Actor, id: String) -> Result<MeetingPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let register = meetings::register(c, &a, &id)?;
        let claims = expenses::of_meeting(c, &a, &id)?;
        let group_name = groups::get_group(c, &a, &register.meeting.group_id)?.name;
        let roles = groups::list_reference(c, Reference::Roles)?;
        let kinds = groups::list_reference(c, Reference::ActivityKinds)?;
        Ok(MeetingPage {
            register,
            claims,
            group_name,
            roles,
            kinds,
        })
    })
    .await
}

fn claim_words(e: &ExpenseView) -> String {
    let what = e.kind.as_str().replace('_', " ");
    match (&e.miles, e.amount) {
        (Some(m), _) => format!("{what}, {} miles", m.as_decimal().normalize()),
        (None, Some(a)) => format!("{what}, {}", pounds(a)),
        (None, None) => what,
    }
}

fn meeting_body(
    ctx: &Ctx,
    p: &MeetingPage,
    rows: &[Row],
    errors: &FormErrors,
    saved: bool,
) -> Markup {
    let m = &p.register.meeting;
    let names: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.member_id.as_str(), r.name.as_str()))
        .collect();
    html! {
        p { a href={ "/groups/" (m.group_id) } { "Back to " (p.group_name) } }
        h1 { (m.title) }
        p { (day(m.date)) @if let Some(t) = &m.starts_at { " at " (t) } ", " (hours(m.duration_minutes)) ". "
            (label_of(&p.kinds, &m.activity_kind)) "."
            @if m.prep_minutes_allowed > 0 { " Up to " (hours(m.prep_minutes_allowed)) " of preparation may be claimed." } }
        @if saved {
            div class="notice" role="status" { p { "The register is saved." } }
        }
        h2 { "Register" }
        (errors.summary())
        @if let Some(msg) = errors.message("form") { p class="field-error" id="form" { (msg) } }
        @if rows.is_empty() {
            p { "Nobody was in this group on the meeting's date." }
        } @else {
            p { "Everyone in the group is listed as having come for all of it. Change only the people who did not come, or came for part of it, then save." }
            form method="post" action={ "/meetings/" (m.id) "/register" } novalidate {
                (ctx.csrf_field())
                @for (i, r) in rows.iter().enumerate() {
                    fieldset class="register-row" {
                        legend { (r.name)
                            @if let Some(role) = &r.role { span class="muted" { ", " (label_of(&p.roles, role)) } } }
                        input type="hidden" name={ "m" (i) } value=(r.member_id);
                        input type="hidden" name={ "r" (i) } value=(r.meeting_role);
                        input type="hidden" name={ "n" (i) } value=(r.notes);
                        div class="register-fields" {
                            div {
                                @let s = format!("s{i}");
                                (errors.label(&s, "Attendance", None))
                                select id=(s) name=(s) aria-invalid=[errors.invalid(&s)]
                                    aria-describedby=[errors.described_by(&s, false)] {
                                    @for (status, words) in STATUSES {
                                        option value=(status.as_str()) selected[status.as_str() == r.status] { (words) }
                                    }
                                }
                            }
                            div {
                                @let a = format!("a{i}");
                                (errors.label(&a, "Minutes there", Some("Only if they came for part of it")))
                                input type="number" inputmode="numeric" min="1" max=(m.duration_minutes)
                                    id=(a) name=(a) value=(r.attended) aria-invalid=[errors.invalid(&a)]
                                    aria-describedby=[errors.described_by(&a, true)];
                            }
                            div {
                                @let pr = format!("p{i}");
                                (errors.label(&pr, "Preparation minutes", Some("Not paid for apologies or absence")))
                                input type="number" inputmode="numeric" min="0"
                                    id=(pr) name=(pr) value=(r.prep) aria-invalid=[errors.invalid(&pr)]
                                    aria-describedby=[errors.described_by(&pr, true)];
                            }
                        }
                    }
                }
                button type="submit" { "Save the register" }
            }
        }
        h2 { "Expense claims" }
        @if p.claims.is_empty() {
            p { "No expense claims for this meeting." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Claims for this meeting" } {
                table {
                    caption { "Claims for this meeting" }
                    thead { tr {
                        th scope="col" { "Member" }
                        th scope="col" { "Claim" }
                        th scope="col" { "Decision" }
                    } }
                    tbody {
                        @for e in &p.claims {
                            tr {
                                td { (names.get(e.member_id.as_str()).copied().unwrap_or("A former member")) }
                                td { (claim_words(e)) @if let Some(d) = &e.description { br; span class="muted" { (d) } } }
                                td class="status" {
                                    @match e.status {
                                        ClaimStatus::Pending => { a href="/claims" { "Waiting: decide" } }
                                        ClaimStatus::Approved => { "Approved" }
                                        ClaimStatus::Rejected => { "Rejected" @if let Some(r) = &e.rejection_reason { br; span class="muted" { (r) } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn meeting(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    query: web::Query<Saved>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let p = match load_meeting(&db, &actor, path.into_inner()).await {
        Ok(p) => p,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let rows = rows_of(&p.register);
    let title = p.register.meeting.title.clone();
    ctx.page(
        StatusCode::OK,
        &title,
        meeting_body(&ctx, &p, &rows, &FormErrors::none(), query.saved.is_some()),
    )
}

/// The register as typed, the records to save, and errors in numbers that are not numbers.
type ReadRegister = (Vec<Row>, Vec<RecordInput>, Vec<FieldError>);

/// Reads the register form (`m0`, `s0`, `a0`, `p0`, `r0`, `n0`, `m1`, …) into rows as typed and
/// the records to save, with errors for numbers that are not numbers.
fn read_register(fields: &[(String, String)]) -> Result<ReadRegister, Error> {
    let by_name: HashMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut rows = Vec::new();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for i in 0..=meetings::MAX_RECORDS {
        let Some(member_id) = by_name.get(format!("m{i}").as_str()) else {
            break;
        };
        if i == meetings::MAX_RECORDS {
            return Err(Error::invalid(
                "form",
                format!("A register takes at most {} people", meetings::MAX_RECORDS),
            ));
        }
        let get = |k: &str| {
            by_name
                .get(format!("{k}{i}").as_str())
                .copied()
                .unwrap_or("")
                .to_string()
        };
        let row = Row {
            member_id: member_id.to_string(),
            name: String::new(),
            role: None,
            status: get("s"),
            attended: get("a"),
            prep: get("p"),
            meeting_role: get("r"),
            notes: get("n"),
        };
        let status = AttendanceStatus::parse(&row.status);
        if status.is_none() {
            errors.push(FieldError::new(format!("s{i}"), "Choose an attendance"));
        }
        let number = |k: &str, v: &str, what: &str, errors: &mut Vec<FieldError>| match v
            .trim()
            .parse::<i64>()
        {
            Ok(n) => Some(n),
            Err(_) if v.trim().is_empty() => None,
            Err(_) => {
                errors.push(FieldError::new(
                    format!("{k}{i}"),
                    format!("The {what} must be a whole number of minutes, such as 45"),
                ));
                None
            }
        };
        let paid = status.is_some_and(AttendanceStatus::is_paid);
        // Only what matters for the status chosen is read: minutes for part of a meeting, and
        // preparation for someone who came.
        let attended = if status == Some(AttendanceStatus::Partial) {
            number("a", &row.attended, "minutes there", &mut errors)
        } else {
            None
        };
        let prep = if paid {
            number("p", &row.prep, "preparation", &mut errors)
        } else {
            None
        };
        if let Some(status) = status {
            records.push(RecordInput {
                member_id: row.member_id.clone(),
                status,
                attended_minutes: attended,
                prep_minutes: prep,
                role: Some(row.meeting_role.clone()).filter(|r| !r.is_empty()),
                notes: Some(row.notes.clone()).filter(|n| !n.trim().is_empty()),
            });
        }
        rows.push(row);
    }
    Ok((rows, records, errors))
}

/// Service errors about `records[i].field` become errors on the form's fields, named for the
/// person they are about.
fn register_errors(e: &Error, rows: &[Row]) -> FormErrors {
    let Error::Validation(list) = e else {
        return form_errors(e);
    };
    FormErrors(
        list.iter()
            .map(|fe| {
                let parsed = fe.field.strip_prefix("records[").and_then(|rest| {
                    let (i, field) = rest.split_once("].")?;
                    Some((i.parse::<usize>().ok()?, field))
                });
                match parsed {
                    Some((i, field)) => {
                        let key = match field {
                            "attended_minutes" => "a",
                            "prep_minutes" => "p",
                            _ => "s",
                        };
                        let who = rows.get(i).map_or("", |r| r.name.as_str());
                        let what = match field {
                            "attended_minutes" => "minutes there",
                            "prep_minutes" => "preparation",
                            "status" => "attendance",
                            _ => "record",
                        };
                        FieldError::new(
                            format!("{key}{i}"),
                            format!("{who}: {what} {}", fe.message),
                        )
                    }
                    None => FieldError::new("form", fe.message.clone()),
                }
            })
            .collect(),
    )
}

pub async fn save_register(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = form.into_inner();
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    if !csrf_ok(&req, csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let meeting_id = path.into_inner();
    let (mut rows, records, errors) = match read_register(&fields) {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let result = if errors.is_empty() {
        let (a, id) = (actor.clone(), meeting_id.clone());
        db.run(move |c| meetings::save_register(c, &a, &id, records))
            .await
            .map(|_| ())
    } else {
        Err(Error::Validation(errors))
    };
    match result {
        Ok(()) => redirect(&format!("/meetings/{meeting_id}?saved=1")),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let p = match load_meeting(&db, &actor, meeting_id).await {
                Ok(p) => p,
                Err(e) => return error_page(&req, Some(actor), &e),
            };
            // Names and roles come from the register, the rest as typed.
            let known: HashMap<String, Row> = rows_of(&p.register)
                .into_iter()
                .map(|r| (r.member_id.clone(), r))
                .collect();
            for r in &mut rows {
                if let Some(k) = known.get(&r.member_id) {
                    r.name = k.name.clone();
                    r.role = k.role.clone();
                }
            }
            let errors = register_errors(&e, &rows);
            let ctx = Ctx::new(&req, Some(actor));
            let title = format!("Register: {}", p.register.meeting.title);
            ctx.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &title,
                meeting_body(&ctx, &p, &rows, &errors, false),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

// ---- expense claims ----

fn claims_body(
    ctx: &Ctx,
    claims: &[WaitingClaim],
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    html! {
        h1 { "Expense claims to decide" }
        @if let Some(d) = done {
            div class="notice" role="status" { p { (d) } }
        }
        (errors.summary())
        @if claims.is_empty() {
            p { "No claims are waiting for a decision." }
        }
        @for c in claims {
            @let e = &c.claim;
            @let reason = format!("reason-{}", e.id);
            section class="claim" aria-labelledby={ "claim-" (e.id) } {
                h2 id={ "claim-" (e.id) } { (c.member_name) ": " (claim_words(e)) }
                p { "For " (c.meeting_title) " on " (day(c.meeting_date)) "."
                    @if e.kind == ExpenseKind::Car && e.passengers > 0 { " With " (e.passengers) " passengers." }
                    @if e.kind.is_mileage() { " Mileage is paid at the approved rate for the tax year." } }
                @if let Some(d) = &e.description { p { "“" (d) "”" } }
                @if let Some(r) = &e.receipt_ref { p { "Receipt: " (r) } }
                form method="post" action={ "/claims/" (e.id) } novalidate {
                    (ctx.csrf_field())
                    button type="submit" name="decision" value="approve" { "Approve" }
                    (errors.label(&reason, "Reason, if you reject it", Some("The member will see this")))
                    textarea id=(reason) name="reason" rows="2" aria-invalid=[errors.invalid(&reason)]
                        aria-describedby=[errors.described_by(&reason, true)] {}
                    button type="submit" class="secondary" name="decision" value="reject" { "Reject" }
                }
            }
        }
    }
}

async fn claims_page(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    status: StatusCode,
    errors: &FormErrors,
    done: Option<&str>,
) -> HttpResponse {
    let a = actor.clone();
    let claims = match db.run(move |c| expenses::waiting(c, &a)).await {
        Ok(c) => c,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = claims_body(&ctx, &claims, errors, done);
    ctx.page(status, "Expense claims", body)
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn claims(
    req: HttpRequest,
    db: web::Data<Database>,
    query: web::Query<Done>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let done = match query.done.as_deref() {
        Some("approved") => Some("The claim is approved. The next pay run repays it."),
        Some("rejected") => Some("The claim is rejected. The member can see your reason."),
        _ => None,
    };
    claims_page(&req, &db, actor, StatusCode::OK, &FormErrors::none(), done).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<DecisionForm>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let e = Error::invalid("decision", "must be approve or reject");
            return error_page(&req, Some(actor), &e);
        }
    };
    let (a, claim, reason) = (actor.clone(), id.clone(), form.reason.clone());
    let result = db
        .run(move |c| expenses::decide(c, &a, &claim, approve, Some(reason.as_str())))
        .await;
    match result {
        Ok(_) if approve => redirect("/claims?done=approved"),
        Ok(_) => redirect("/claims?done=rejected"),
        Err(Error::Validation(list)) => {
            let errors = FormErrors(
                list.into_iter()
                    .map(|e| {
                        FieldError::new(
                            format!("reason-{id}"),
                            format!("To reject a claim, {}", e.message),
                        )
                    })
                    .collect(),
            );
            claims_page(
                &req,
                &db,
                actor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                None,
            )
            .await
        }
        Err(Error::Conflict(msg)) => {
            let errors = FormErrors::one("form", &msg);
            claims_page(&req, &db, actor, StatusCode::CONFLICT, &errors, None).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// Coordinators and admins start at their groups.
pub fn start() -> HttpResponse {
    redirect("/groups")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_register_form_reads_only_what_the_status_needs() {
        let (rows, records, errors) = read_register(&form(&[
            ("csrf", "x"),
            ("m0", "a"),
            ("s0", "attended"),
            ("a0", "junk ignored"),
            ("p0", "30"),
            ("m1", "b"),
            ("s1", "apologies"),
            ("p1", "30"),
            ("m2", "c"),
            ("s2", "partial"),
            ("a2", "45"),
            ("p2", ""),
        ]))
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 3);
        assert_eq!(records[0].prep_minutes, Some(30));
        assert_eq!(records[0].attended_minutes, None);
        assert_eq!(records[1].prep_minutes, None);
        assert_eq!(records[2].attended_minutes, Some(45));
        assert_eq!(records[2].prep_minutes, None);
    }

    #[test]
    fn the_register_form_names_its_bad_numbers() {
        let (_, _, errors) = read_register(&form(&[
            ("m0", "a"),
            ("s0", "partial"),
            ("a0", "an hour"),
            ("m1", "b"),
            ("s1", "maybe"),
        ]))
        .unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a0", "s1"]);
    }

    #[test]
    fn service_errors_land_on_the_fields_of_the_person() {
        let rows = vec![Row {
            member_id: "a".into(),
            name: "Sam Jones".into(),
            role: None,
            status: "partial".into(),
            attended: "500".into(),
            prep: String::new(),
            meeting_role: String::new(),
            notes: String::new(),
        }];
        let e = Error::Validation(vec![FieldError::new(
            "records[0].attended_minutes",
            "must be less than 120",
        )]);
        let f = register_errors(&e, &rows);
        assert_eq!(
            f.message("a0"),
            Some("Sam Jones: minutes there must be less than 120")
        );
    }
}
