//! Rate cards for finance: every card with its dates, group and whether a run has paid with it;
//! a card's rules in a table a spreadsheet user can check; a new card with its rules (hourly, a
//! band with its boundary, fixed, and a preparation rate), for a group or as the default; and a
//! card that supersedes another from a date, its rules copied to start from.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::{drafts, finance};
use crate::db::Database;
use crate::domain::rates::BasisKind;
use crate::domain::Money;
use crate::services::groups::{self, CodeLabel, GroupView, Reference};
use crate::services::rates::{self, NewCard, RateCardView, RuleInput, RuleView};
use crate::services::{Actor, Error, FieldError};
use crate::web::{
    csrf_failed, csrf_ok, day, error_page, in_page_words, pounds, redirect, Ctx, Fields, Form,
    FormErrors,
};

/// The rule rows of the new-card form beyond the rules it starts with.
const SPARE_ROWS: usize = 3;

fn money_words(m: Option<Money>) -> String {
    m.map_or_else(|| "-".into(), pounds)
}

/// How a rule pays, in words a person can check against the policy.
pub fn pays_words(r: &RuleView) -> String {
    match r.basis {
        BasisKind::Hourly => format!("{} an hour", money_words(r.hourly_rate)),
        BasisKind::Fixed => format!("{} a session", money_words(r.fixed_amount)),
        BasisKind::Band => {
            let boundary = r.boundary_minutes.unwrap_or(240);
            let at = if r.boundary_is_full_day == Some(true) {
                "a full day from"
            } else {
                "a full day over"
            };
            let length = match (boundary / 60, boundary % 60) {
                (h, 0) => format!("{h} hours"),
                (0, m) => format!("{m} minutes"),
                (h, m) => format!("{h} hours {m} minutes"),
            };
            format!(
                "{} a half day; {} ({at} {length})",
                money_words(r.half_day_amount),
                money_words(r.full_day_amount),
            )
        }
    }
}

fn label(list: &[CodeLabel], code: Option<&str>, any: &str) -> String {
    match code {
        None => any.to_string(),
        Some(c) => list
            .iter()
            .find(|l| l.code == c)
            .map_or_else(|| c.to_string(), |l| l.label.clone()),
    }
}

struct Lists {
    groups: Vec<GroupView>,
    roles: Vec<CodeLabel>,
    kinds: Vec<CodeLabel>,
}

async fn lists(db: &web::Data<Database>, actor: &Actor) -> Result<Lists, Error> {
    let groups = drafts::groups_for(db, actor).await?;
    db.run(move |c| {
        Ok(Lists {
            roles: groups::list_reference(c, Reference::Roles)?,
            kinds: groups::list_reference(c, Reference::ActivityKinds)?,
            groups,
        })
    })
    .await
}

fn group_words(l: &Lists, id: Option<&str>) -> String {
    match id {
        None => "The default for every group".into(),
        Some(g) => l
            .groups
            .iter()
            .find(|x| x.id == g)
            .map_or_else(|| g.to_string(), |x| x.name.clone()),
    }
}

fn dates(c: &RateCardView) -> String {
    match c.effective_to {
        Some(to) => format!("{} to {}", day(c.effective_from), day(to)),
        None => format!("From {}", day(c.effective_from)),
    }
}

pub async fn cards(req: HttpRequest, db: web::Data<Database>) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    let found = match db.run(move |c| rates::list(c, &a, None)).await {
        Ok(c) => c,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let l = match lists(&db, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "Rate cards" }
        p { "A card says what each role is paid for each kind of session, from a date. A group's own card "
            "comes before the default card. Once a run has paid with a card, it cannot change: a new card "
            "supersedes it from a date." }
        p { a class="button" href="/rate-cards/new" { "Create a card" } }
        @if found.is_empty() {
            p { "There are no rate cards yet." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Rate cards" {
                table {
                    caption { "Rate cards" }
                    thead { tr {
                        th scope="col" { "Card" } th scope="col" { "For" } th scope="col" { "Dates" }
                        th scope="col" class="money" { "Rules" } th scope="col" { "Changes" }
                    } }
                    tbody {
                        @for c in &found {
                            tr {
                                th scope="row" { a href={ "/rate-cards/" (c.id) } { (c.name) } }
                                td { (group_words(&l, c.group_id.as_deref())) }
                                td { (dates(c)) }
                                td class="money" { (c.rules.len()) }
                                td { @if c.locked { "Locked: a run has paid with it" } @else { "Can change: no run has paid with it" } }
                            }
                        }
                    }
                }
            }
        }
    };
    ctx.page(StatusCode::OK, "Rate cards", body)
}

pub async fn card(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    let (c, runs) = match db
        .run(move |conn| Ok((rates::get(conn, &a, &id)?, rates::runs_of(conn, &a, &id)?)))
        .await
    {
        Ok(c) => c,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let l = match lists(&db, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        p { a href="/rate-cards" { "Back to rate cards" } }
        h1 { (c.name) }
        p { (group_words(&l, c.group_id.as_deref())) ". " (dates(&c)) "." }
        @if c.locked {
            p { strong { "Locked." } " An approved run has paid with this card, so its rules stay as they were paid. "
                a href={ "/rate-cards/new?supersedes=" (c.id) } { "Supersede it from a date" } "." }
            h2 { "Runs that paid with it" }
            ul { @for r in &runs { li { a href={ "/runs/" (r.id) } { "Paid " (day(r.payment_date)) } " (" (r.status.words()) ")" } } }
        } @else {
            p { "No approved run has paid with this card yet." }
        }
        p { "Within a card, the most specific rule applies: a member's own rule, then a rule for the role "
            "and the kind of session, then one for the kind of session (any role), then one for the role (any kind)." }
        div class="table-wrap" tabindex="0" role="region" aria-label="The rules of this card" {
            table {
                caption { "The rules of this card" }
                thead { tr {
                    th scope="col" { "Role" } th scope="col" { "Kind of session" }
                    th scope="col" { "Pays" } th scope="col" { "Preparation" }
                } }
                tbody {
                    @for r in &c.rules {
                        tr {
                            td { (label(&l.roles, r.role.as_deref(), "Any role")) }
                            td { (label(&l.kinds, r.activity_kind.as_deref(), "Any kind")) }
                            td { (pays_words(r)) }
                            td { @match r.prep_hourly_rate { Some(p) => { (pounds(p)) " an hour" } None => { "Not paid" } } }
                        }
                    }
                }
            }
        }
    };
    ctx.page(StatusCode::OK, &c.name, body)
}

/// The new-card form as sent: its fields by name, rule rows numbered from 0.
struct CardForm {
    fields: Vec<(String, String)>,
    rows: usize,
}

impl CardForm {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn rule(&self, i: usize, f: &str) -> &str {
        self.get(&format!("rules[{i}].{f}"))
    }

    /// A form that starts from `rules` (a superseded card's), with spare rows.
    fn starting(
        name: &str,
        group: Option<&str>,
        supersedes: Option<&str>,
        rules: &[RuleView],
    ) -> CardForm {
        let mut fields = vec![
            ("name".to_string(), name.to_string()),
            (
                "group_id".to_string(),
                group.unwrap_or_default().to_string(),
            ),
            (
                "supersedes".to_string(),
                supersedes.unwrap_or_default().to_string(),
            ),
        ];
        let m = |v: Option<Money>| v.map(|m| m.to_string()).unwrap_or_default();
        for (i, r) in rules.iter().enumerate() {
            for (f, v) in [
                ("role", r.role.clone().unwrap_or_default()),
                ("activity_kind", r.activity_kind.clone().unwrap_or_default()),
                ("basis", r.basis.as_str().to_string()),
                ("hourly_rate", m(r.hourly_rate)),
                ("half_day_amount", m(r.half_day_amount)),
                ("full_day_amount", m(r.full_day_amount)),
                (
                    "boundary_minutes",
                    r.boundary_minutes
                        .map(|b| b.to_string())
                        .unwrap_or_default(),
                ),
                (
                    "boundary_is_full_day",
                    if r.boundary_is_full_day == Some(true) {
                        "yes".into()
                    } else {
                        String::new()
                    },
                ),
                ("fixed_amount", m(r.fixed_amount)),
                ("prep_hourly_rate", m(r.prep_hourly_rate)),
            ] {
                fields.push((format!("rules[{i}].{f}"), v));
            }
        }
        CardForm {
            fields,
            rows: rules.len() + SPARE_ROWS,
        }
    }

    /// The card as the service takes it, with the form row of each rule; or the problems.
    fn read(&self) -> Result<(NewCard, Vec<usize>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let from = self.get("effective_from").trim();
        let effective_from = match from.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "effective_from",
                    "Enter the first day the card pays, such as 2026-04-06",
                ));
                None
            }
        };
        let mut rules = Vec::new();
        let mut rows = Vec::new();
        for i in 0..self.rows {
            let basis = self.rule(i, "basis").trim();
            if basis.is_empty() {
                continue;
            }
            let mut money = |f: &str| {
                FormErrors::typed_pounds(&format!("rules[{i}].{f}"), self.rule(i, f), &mut errors)
            };
            let hourly_rate = money("hourly_rate");
            let half_day_amount = money("half_day_amount");
            let full_day_amount = money("full_day_amount");
            let fixed_amount = money("fixed_amount");
            let prep_hourly_rate = money("prep_hourly_rate");
            let boundary = self.rule(i, "boundary_minutes").trim();
            let boundary_minutes = match boundary {
                "" => None,
                b => match b.parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("rules[{i}].boundary_minutes"),
                            "Enter the boundary in minutes, such as 240",
                        ));
                        None
                    }
                },
            };
            let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
            rules.push(RuleInput {
                role: some(self.rule(i, "role")),
                activity_kind: some(self.rule(i, "activity_kind")),
                member_id: None,
                basis: basis.to_string(),
                hourly_rate,
                half_day_amount,
                full_day_amount,
                boundary_minutes,
                boundary_is_full_day: (basis == "band")
                    .then(|| self.rule(i, "boundary_is_full_day") == "yes"),
                fixed_amount,
                prep_hourly_rate,
            });
            rows.push(i);
        }
        match effective_from {
            Some(effective_from) if errors.is_empty() => Ok((
                NewCard {
                    name: self.get("name").to_string(),
                    group_id: Some(self.get("group_id").to_string()).filter(|g| !g.is_empty()),
                    effective_from,
                    effective_to: None,
                    supersedes: Some(self.get("supersedes").to_string()).filter(|g| !g.is_empty()),
                    rules,
                },
                rows,
            )),
            _ => Err(errors),
        }
    }
}

/// A service's `rules[j].x` is the form's row of the j-th rule sent.
fn to_rows(errors: Vec<FieldError>, rows: &[usize]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let field = e
                .field
                .strip_prefix("rules[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(j, tail)| {
                    Some(format!(
                        "rules[{}]{tail}",
                        rows.get(j.parse::<usize>().ok()?)?
                    ))
                })
                .unwrap_or(e.field);
            FieldError::new(field, e.message)
        })
        .collect()
}

const SUBJECTS: &[(&str, &str)] = &[
    ("name", "The name"),
    ("group_id", "The group"),
    ("effective_from", "The first day"),
    ("supersedes", "The card it supersedes"),
    ("rules", "The card"),
];

fn rule_row(i: usize, f: &CardForm, l: &Lists, errors: &FormErrors) -> Markup {
    let id = |x: &str| format!("rules[{i}].{x}");
    let select = |x: &str, any: &str, list: &[CodeLabel]| {
        html! {
            (errors.label(&id(x), if x == "role" { "Role" } else { "Kind of session" }, None))
            select id=(id(x)) name=(id(x)) aria-invalid=[errors.invalid(&id(x))]
                aria-describedby=[errors.described_by(&id(x), false)] {
                option value="" selected[f.rule(i, x).is_empty()] { (any) }
                @for c in list { option value=(c.code) selected[f.rule(i, x) == c.code] { (c.label) } }
            }
        }
    };
    html! {
        fieldset class="question" {
            legend { "Rule " (i + 1) }
            div class="register-fields" {
                div { (select("role", "Any role", &l.roles)) }
                div { (select("activity_kind", "Any kind", &l.kinds)) }
                div {
                    (errors.label(&id("basis"), "Paid", None))
                    select id=(id("basis")) name=(id("basis")) aria-invalid=[errors.invalid(&id("basis"))]
                        aria-describedby=[errors.described_by(&id("basis"), false)] {
                        option value="" selected[f.rule(i, "basis").is_empty()] { "Not used" }
                        @for (code, words) in [("hourly", "By the hour"), ("band", "Half or full day"), ("fixed", "A fixed fee")] {
                            option value=(code) selected[f.rule(i, "basis") == code] { (words) }
                        }
                    }
                }
                @for (x, words) in [("hourly_rate", "Hourly rate (£)"), ("half_day_amount", "Half day (£)"),
                    ("full_day_amount", "Full day (£)"), ("boundary_minutes", "Full day over (minutes)"),
                    ("fixed_amount", "Fixed fee (£)"), ("prep_hourly_rate", "Preparation an hour (£)")] {
                    div { (errors.input(&id(x), words, "text", f.rule(i, x), None, "off")) }
                }
            }
            div class="radio" {
                input type="checkbox" id=(id("boundary_is_full_day")) name=(id("boundary_is_full_day")) value="yes"
                    checked[f.rule(i, "boundary_is_full_day") == "yes"];
                label for=(id("boundary_is_full_day")) { "A session of exactly the boundary is a full day" }
            }
        }
    }
}

fn new_card_page(
    req: &HttpRequest,
    actor: Actor,
    f: &CardForm,
    l: &Lists,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let body = html! {
        p { a href="/rate-cards" { "Back to rate cards" } }
        h1 { "Create a rate card" }
        @if !f.get("supersedes").is_empty() {
            p { "This card supersedes another from its first day: the other ends the day before. Its rules are copied below to start from." }
        }
        (errors.summary())
        @if let Some(m) = errors.message("rules") { p class="field-error" id="rules" { (m) } }
        form method="post" action="/rate-cards/new" novalidate {
            (ctx.csrf_field())
            input type="hidden" name="supersedes" value=(f.get("supersedes"));
            (errors.input("name", "Name", "text", f.get("name"), Some("Such as Regional 2026"), "off"))
            (errors.label("group_id", "For", None))
            select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")] {
                option value="" selected[f.get("group_id").is_empty()] { "The default for every group" }
                @for g in &l.groups { option value=(g.id) selected[f.get("group_id") == g.id] { (g.name) } }
            }
            (errors.input("effective_from", "First day it pays", "date", f.get("effective_from"), None, "off"))
            @for i in 0..f.rows { (rule_row(i, f, l, errors)) }
            div { button type="submit" { "Create the card" } }
        }
    };
    ctx.page(errors.status(), "Create a rate card", body)
}

#[derive(Deserialize)]
pub struct Supersede {
    supersedes: Option<String>,
}

pub async fn new_card(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<Supersede>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let form = match q.into_inner().supersedes {
        None => CardForm::starting("", None, None, &[]),
        Some(id) => {
            let a = actor.clone();
            match db.run(move |c| rates::get(c, &a, &id)).await {
                Ok(old) => CardForm::starting(
                    &old.name,
                    old.group_id.as_deref(),
                    Some(&old.id),
                    &old.rules,
                ),
                Err(e) => return error_page(&req, Some(actor), &e),
            }
        }
    };
    match lists(&db, &actor).await {
        Ok(l) => new_card_page(&req, actor, &form, &l, &FormErrors::none()),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub async fn create(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    // Rows are numbered from 0; a row not sent at all is read as empty.
    let rows = fields
        .0
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix("rules[")?
                .split_once(']')?
                .0
                .parse::<usize>()
                .ok()
        })
        .filter(|i| *i < 200)
        .max()
        .map_or(0, |i| i + 1);
    let form = CardForm {
        rows,
        fields: fields.0,
    };
    let result = match form.read() {
        Ok((card, rows)) => {
            let a = actor.clone();
            db.run(move |c| rates::create(c, &a, card))
                .await
                .map_err(|e| match e {
                    Error::Validation(errors) => Error::Validation(to_rows(errors, &rows)),
                    other => other,
                })
        }
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(c) => redirect(&format!("/rate-cards/{}", c.id)),
        Err(Error::Validation(errors)) => match lists(&db, &actor).await {
            Ok(l) => {
                let errors = FormErrors(in_page_words(&errors, SUBJECTS));
                new_card_page(&req, actor, &form, &l, &errors)
            }
            Err(e) => error_page(&req, Some(actor), &e),
        },
        Err(Error::Conflict(m)) => match lists(&db, &actor).await {
            Ok(l) => new_card_page(&req, actor, &form, &l, &FormErrors::one("rules", &m)),
            Err(e) => error_page(&req, Some(actor), &e),
        },
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

#[derive(Deserialize)]
pub struct Which {
    member_id: Option<String>,
    meeting_id: Option<String>,
}

/// Which rule pays this member for this session, and why: the card, the rule, the reason in words
/// and what their attendance record pays under it.
pub async fn which(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<Which>,
) -> HttpResponse {
    let actor = match super::runs_staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = q.into_inner();
    let (Some(member), Some(meeting)) = (q.member_id, q.meeting_id) else {
        return error_page(&req, Some(actor), &Error::NotFound);
    };
    let a = actor.clone();
    let sees_cards = actor.role == crate::services::Role::Finance;
    let found = db
        .run(move |c| {
            let r = rates::resolve(c, &a, &member, &meeting)?;
            let names = crate::services::members::names(c, &a, std::slice::from_ref(&member))?;
            Ok((r, names.get(&member).cloned().unwrap_or(member)))
        })
        .await;
    let (r, name) = match found {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "Which rule pays " (name) }
        p { "For the session on " (day(r.date)) ": a " (r.activity_kind.replace('_', " ")) ", as "
            (r.role.as_deref().map_or_else(|| "no role".to_string(), |x| x.replace('_', " "))) "." }
        p { strong { (r.reason) } }
        @if let (Some(id), Some(card)) = (&r.rate_card_id, &r.rate_card_name) {
            @if sees_cards { p { "Card: " a href={ "/rate-cards/" (id) } { (card) } "." } }
            @else { p { "Card: " (card) "." } }
        }
        @if let Some(rule) = &r.rule { p { "The rule pays " (pays_words(rule)) "." } }
        @if let Some(fee) = r.fee {
            p { "Their attendance record is paid " (pounds(fee))
                @if let Some(p) = r.prep { ", and " (pounds(p)) " for preparation" } "." }
        }
        @if let Some(e) = &r.explanation { p { "Worked out: " (e) "." } }
    };
    ctx.page(StatusCode::OK, "Which rule pays", body)
}
