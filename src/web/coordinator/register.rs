//! A meeting's page and its register on one page: everyone in the group listed and marked as there
//! by default, so only those who did not come, or came for part of it, need changing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{hours, label_of, name_of, staff};
use crate::db::Database;
use crate::domain::invitations::Reply;
use crate::domain::records::{AttendanceStatus, ClaimStatus};
use crate::services::expenses::{self, ExpenseView};
use crate::services::groups::{self, CodeLabel, Reference};
use crate::services::invitations::{self, ReplyView};
use crate::services::meetings::{self, RecordInput, Register, RegisterLine};
use crate::services::{Actor, Error, FieldError};
use crate::web::{
    csrf_failed, csrf_ok, day, error_page, form_errors, pounds, redirect, Ctx, Form, FormErrors,
};

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
    /// Paid by an approved run: shown, and said to be unchangeable.
    locked: bool,
    /// What they said before the session, and what they need, in words.
    said: Option<String>,
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
            // Until the register is taken: there, unless they said they could not come.
            status: l
                .status
                .unwrap_or(if l.reply == Reply::NotAttending {
                    AttendanceStatus::Apologies
                } else {
                    AttendanceStatus::Attended
                })
                .as_str()
                .to_string(),
            said: said_words(l),
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
            locked: l.locked,
        })
        .collect()
}

/// "Said they cannot come. Needs: a step-free room", or nothing before any reply.
fn said_words(l: &RegisterLine) -> Option<String> {
    let mut needs: Vec<String> = l
        .access_needs
        .iter()
        .map(|n| n.words().to_string())
        .collect();
    needs.extend(l.access_note.clone());
    let reply = match l.reply {
        Reply::None => None,
        r => Some(format!("Replied: {}.", r.status_words().to_lowercase())),
    };
    match (reply, needs.is_empty()) {
        (None, true) => None,
        (r, true) => r,
        (r, false) => Some(format!(
            "{}Needs: {}.",
            r.map(|r| format!("{r} ")).unwrap_or_default(),
            needs.join("; ")
        )),
    }
}

struct MeetingPage {
    register: Register,
    replies: Vec<ReplyView>,
    claims: Vec<ExpenseView>,
    group_name: String,
    roles: Vec<CodeLabel>,
    kinds: Vec<CodeLabel>,
}

async fn load_meeting(db: &Database, actor: &Actor, id: String) -> Result<MeetingPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let register = meetings::register(c, &a, &id)?;
        let replies = invitations::replies(c, &a, &id)?;
        let claims = expenses::of_meeting(c, &a, &id)?;
        let group_name = groups::get_group(c, &a, &register.meeting.group_id)?.name;
        let roles = groups::list_reference(c, Reference::Roles)?;
        let kinds = groups::list_reference(c, Reference::ActivityKinds)?;
        Ok(MeetingPage {
            register,
            replies,
            claims,
            group_name,
            roles,
            kinds,
        })
    })
    .await
}

pub(super) fn claim_words(e: &ExpenseView) -> String {
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
    before_errors: &FormErrors,
    notice: Option<String>,
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
        p { a href={ "/meetings/" (m.id) "/edit" } { "Change the meeting" } }
        @if let Some(n) = notice {
            div class="notice" role="status" { p { (n) } }
        }
        (super::before::section(ctx, m, &p.replies, before_errors))
        h2 { "Register" }
        (errors.summary())
        @if let Some(msg) = errors.message("form") { p class="field-error" id="form" { (msg) } }
        @if m.cancelled_at.is_some() {
            p { "A cancelled session takes no register." }
        } @else if rows.is_empty() {
            p { "Nobody was in this group on the meeting's date." }
        } @else {
            p { "Everyone in the group is listed as having come for all of it. Change only the people who did not come, or came for part of it, then save." }
            form method="post" action={ "/meetings/" (m.id) "/register" } novalidate {
                (ctx.csrf_field())
                @for (i, r) in rows.iter().enumerate() {
                    fieldset class="register-row" {
                        legend { (r.name)
                            @if let Some(role) = &r.role { span class="muted" { ", " (label_of(&p.roles, role)) } } }
                        @if let Some(said) = &r.said { p class="muted" { (said) } }
                        @if r.locked {
                            p class="muted" { "Paid by an approved pay run, so this record cannot change. "
                                "If it is wrong, finance records an adjustment that the next run pays." }
                        }
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
    sent: Option<usize>,
    without_email: Option<usize>,
    reminded: Option<usize>,
}

impl Saved {
    /// What the last form on the page did, in words.
    fn notice(&self) -> Option<String> {
        if self.saved.is_some() {
            return Some("The register is saved.".into());
        }
        if let Some(n) = self.sent {
            let people = if n == 1 { "person" } else { "people" };
            let mut words = format!("The invitation is on its way to {n} {people}.");
            if let Some(w) = self.without_email.filter(|w| *w > 0) {
                words.push_str(&format!(
                    " {w} in the group have no email address: tell them yourself."
                ));
            }
            return Some(words);
        }
        self.reminded
            .map(|n| format!("A reminder is on its way to {n}."))
    }
}

/// The meeting's page again, with what was wrong with a form before the session.
pub(super) async fn meeting_with_error(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    id: String,
    e: Error,
) -> HttpResponse {
    let status = match &e {
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Conflict(_) => StatusCode::CONFLICT,
        _ => return error_page(req, Some(actor), &e),
    };
    let p = match load_meeting(db, &actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let rows = rows_of(&p.register);
    let title = p.register.meeting.title.clone();
    let errors = form_errors(&e);
    ctx.page(
        status,
        &title,
        meeting_body(&ctx, &p, &rows, &FormErrors::none(), &errors, None),
    )
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
        meeting_body(
            &ctx,
            &p,
            &rows,
            &FormErrors::none(),
            &FormErrors::none(),
            query.notice(),
        ),
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
            locked: false,
            said: None,
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
                    r.locked = k.locked;
                }
            }
            let errors = register_errors(&e, &rows);
            let ctx = Ctx::new(&req, Some(actor));
            let title = format!("Register: {}", p.register.meeting.title);
            ctx.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &title,
                meeting_body(&ctx, &p, &rows, &errors, &FormErrors::none(), None),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
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
            locked: false,
            said: None,
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
