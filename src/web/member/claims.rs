//! Claim my expenses: for a session I came to (recent first), what it cost me, with the rate a
//! journey is paid at shown rather than typed, and a declaration I confirm. The claim waits for my
//! coordinator, who approves it or says why not.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{day, member};
use crate::db::Database;
use crate::domain::rates::{mileage_rate_words, MileageKind};
use crate::domain::records::{ClaimProgress, ExpenseKind, Miles};
use crate::domain::Money;
use crate::services::expenses::{self, NewExpense};
use crate::services::meetings::{self, MemberAttendance};
use crate::services::receipts::MemberClaim;
use crate::services::{receipts, Actor, Error, FieldError};
use crate::web::{
    csrf_failed, csrf_ok, error_page, in_page_words, redirect, Ctx, Form, FormErrors,
};

/// How many recent sessions the page offers to claim for.
const SESSIONS_OFFERED: usize = 12;

/// The kinds a member claims, in words, with what the page asks for each.
const KINDS: &[(ExpenseKind, &str)] = &[
    (ExpenseKind::Car, "Car: miles driven"),
    (ExpenseKind::Motorcycle, "Motorcycle: miles ridden"),
    (ExpenseKind::Bicycle, "Bicycle: miles cycled"),
    (ExpenseKind::PublicTransport, "Bus, train or tram fares"),
    (ExpenseKind::Taxi, "Taxi"),
    (ExpenseKind::Parking, "Parking"),
    (ExpenseKind::Care, "Care or childcare while you took part"),
    (ExpenseKind::Subsistence, "Food and drink while away"),
    (ExpenseKind::Other, "Something else (say what)"),
];

/// The questions of the form, by the service's field names.
const SUBJECTS: &[(&str, &str)] = &[
    ("kind", "What you claim for"),
    ("miles", "The miles"),
    ("passengers", "The passengers"),
    ("amount", "What it cost"),
    ("description", "What it was for"),
];

/// What a claim's kind is in words.
pub fn kind_words(kind: ExpenseKind) -> &'static str {
    match kind {
        ExpenseKind::Car => "Car journey",
        ExpenseKind::Motorcycle => "Motorcycle journey",
        ExpenseKind::Bicycle => "Bicycle journey",
        ExpenseKind::PublicTransport => "Fares",
        ExpenseKind::Taxi => "Taxi",
        ExpenseKind::Parking => "Parking",
        ExpenseKind::Care => "Care or childcare",
        ExpenseKind::Subsistence => "Food and drink",
        ExpenseKind::HomeAllowance => "Home working allowance",
        ExpenseKind::Other => "Other costs",
    }
}

fn mileage_kind(kind: ExpenseKind) -> Option<MileageKind> {
    match kind {
        ExpenseKind::Car => Some(MileageKind::Car),
        ExpenseKind::Motorcycle => Some(MileageKind::Motorcycle),
        ExpenseKind::Bicycle => Some(MileageKind::Bicycle),
        _ => None,
    }
}

/// The sessions I came to, newest first.
async fn attended(
    db: &web::Data<Database>,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<MemberAttendance>, Error> {
    let (a, id) = (actor.clone(), member_id.to_string());
    let mut all = db.run(move |c| meetings::of_member(c, &a, &id)).await?;
    all.retain(|s| s.status.is_paid());
    Ok(all)
}

/// Where a claim is, in words.
pub fn progress_words(c: &MemberClaim) -> String {
    match c.status {
        ClaimProgress::Waiting => "Waiting for your coordinator".into(),
        ClaimProgress::Approved => "Approved: it will be paid in the next pay run".into(),
        ClaimProgress::Rejected => match &c.reason {
            Some(r) => format!("Not approved: {r}"),
            None => "Not approved".into(),
        },
        ClaimProgress::Paid => match (c.payment_date, c.paid_amount) {
            (Some(d), Some(a)) => format!("Paid {} on {}", crate::web::pounds(a), day(d)),
            _ => "Paid".into(),
        },
    }
}

/// What a claim was for, and its amount or miles.
pub fn claim_words(c: &MemberClaim) -> String {
    match (&c.miles, c.amount) {
        (Some(m), _) => format!(
            "{}, {} miles",
            kind_words(c.kind),
            m.as_decimal().normalize()
        ),
        (None, Some(a)) => format!("{}, {}", kind_words(c.kind), crate::web::pounds(a)),
        (None, None) => kind_words(c.kind).to_string(),
    }
}

fn claims_list(claims: &[MemberClaim]) -> Markup {
    html! {
        @if claims.is_empty() {
            p { "You have not claimed any costs yet." }
        } @else {
            ul class="links" {
                @for c in claims {
                    li {
                        a href={ "/me/claims/" (c.id) } { (claim_words(c)) }
                        " for " (c.meeting_title) ", " (day(c.meeting_date)) ". "
                        strong { (progress_words(c)) } "."
                        @if c.receipt_count > 0 { " " (c.receipt_count) " receipt" @if c.receipt_count > 1 { "s" } "." }
                    }
                }
            }
        }
    }
}

/// The sessions to claim for, each with its link.
pub fn sessions_to_claim(sessions: &[MemberAttendance]) -> Markup {
    html! {
        @if sessions.is_empty() {
            p { "There are no sessions recorded as attended by you yet. After a session, your coordinator records who came." }
        } @else {
            ul class="links" {
                @for s in sessions.iter().take(SESSIONS_OFFERED) {
                    li { a href={ "/me/claims/new?meeting=" (s.meeting.id) } {
                        "Claim costs for " (s.meeting.title) ", " (day(s.meeting.date)) } }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ForMeeting {
    meeting: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClaimForm {
    csrf: String,
    meeting: String,
    kind: String,
    miles: String,
    passengers: String,
    amount: String,
    description: String,
    declaration: String,
}

impl ClaimForm {
    /// The claim as the service takes it, and the problems in reading it.
    fn read(&self, member_id: &str) -> Result<NewExpense, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ExpenseKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose what you are claiming for"));
        }
        let mileage = kind.is_some_and(ExpenseKind::is_mileage);
        let miles = match (mileage, self.miles.trim()) {
            (false, _) => None,
            (true, "") => {
                errors.push(FieldError::new(
                    "miles",
                    "Enter how many miles, such as 12.5",
                ));
                None
            }
            (true, m) => match m.parse::<Miles>() {
                Ok(m) => Some(m),
                Err(_) => {
                    errors.push(FieldError::new(
                        "miles",
                        "Enter the miles as a number more than 0 and at most 2,000, such as 12.5",
                    ));
                    None
                }
            },
        };
        let passengers = match (kind == Some(ExpenseKind::Car), self.passengers.trim()) {
            (false, _) | (true, "") => None,
            (true, p) => match p.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::new("passengers", "Enter a number from 0 to 8"));
                    None
                }
            },
        };
        let amount = if mileage {
            None
        } else {
            self.amount(&mut errors)
        };
        if self.declaration != "yes" {
            errors.push(FieldError::new(
                "declaration",
                "Confirm that this is what it cost you, and that you have not claimed it elsewhere",
            ));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewExpense {
                member_id: member_id.to_string(),
                kind,
                care_type: None,
                miles,
                passengers,
                amount,
                receipt_ref: None,
                description: Some(self.description.trim().to_string()).filter(|d| !d.is_empty()),
            }),
            _ => Err(errors),
        }
    }

    fn amount(&self, errors: &mut Vec<FieldError>) -> Option<Money> {
        if self.amount.trim().is_empty() {
            errors.push(FieldError::new(
                "amount",
                "Enter what it cost, such as 12.50",
            ));
            return None;
        }
        let amount = FormErrors::typed_pounds("amount", &self.amount, errors)?;
        if !amount.is_positive() {
            errors.push(FieldError::new("amount", "Enter an amount more than £0"));
            return None;
        }
        Some(amount)
    }
}

fn claim_form(ctx: &Ctx, s: &MemberAttendance, f: &ClaimForm, errors: &FormErrors) -> Markup {
    html! {
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/me/claims/new" novalidate {
            (ctx.csrf_field())
            input type="hidden" name="meeting" value=(s.meeting.id);
            fieldset class="question" aria-describedby=[errors.described_by("kind", false)] {
                legend { "What are you claiming for?" }
                @if let Some(e) = errors.message("kind") {
                    span class="field-error" id="kind-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="radios" {
                    @for (n, (kind, words)) in KINDS.iter().enumerate() {
                        @let id = if n == 0 { "kind".to_string() } else { format!("kind-{}", kind.as_str()) };
                        div class="radio" {
                            input type="radio" id=(id) name="kind" value=(kind.as_str()) checked[f.kind == kind.as_str()]
                                aria-describedby=[mileage_kind(*kind).map(|_| format!("{id}-rate"))];
                            label for=(id) { (words) }
                            @if let Some(m) = mileage_kind(*kind) {
                                span class="hint" id={ (id) "-rate" } { "Paid at " (mileage_rate_words(m)) "." }
                            }
                        }
                    }
                }
            }
            (errors.input("miles", "For a journey: how many miles, there and back", "text", &f.miles,
                Some("We work out what is paid from the miles. You do not need to."), "off"))
            (errors.input("passengers", "For a car: how many passengers came with you", "text", &f.passengers,
                Some("People also coming to the session. Leave empty if none."), "off"))
            (errors.input("amount", "For anything else: what it cost, in pounds", "text", &f.amount,
                Some("For example, 12.50"), "off"))
            (errors.label("description", "What it was for", Some("For example: return bus fare from home. Needed for something else.")))
            textarea id="description" name="description" rows="3" aria-invalid=[errors.invalid("description")]
                aria-describedby=[errors.described_by("description", true)] { (f.description) }
            fieldset class="question" {
                legend { "Your declaration" }
                @if let Some(e) = errors.message("declaration") {
                    span class="field-error" id="declaration-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="radio" {
                    input type="checkbox" id="declaration" name="declaration" value="yes" checked[f.declaration == "yes"]
                        aria-describedby=[errors.described_by("declaration", false)];
                    label for="declaration" { "This is what it cost me, and I have not claimed it elsewhere." }
                }
            }
            div { button type="submit" { "Send my claim" } }
        }
        p { "After you send it, you can add a photo or PDF of each receipt." }
    }
}

fn new_claim_page(
    req: &HttpRequest,
    actor: Actor,
    s: &MemberAttendance,
    f: &ClaimForm,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let body = html! {
        p { a href="/me/claims" { "Back to my expenses" } }
        h1 { "Claim my costs" }
        p { "For " strong { (s.meeting.title) } " on " (day(s.meeting.date)) "." }
        (claim_form(&ctx, s, f, errors))
    };
    ctx.page(status, "Claim my costs", body)
}

/// The session of a claim, among those I came to; a session I did not come to is not found.
async fn session_of(
    db: &web::Data<Database>,
    actor: &Actor,
    member_id: &str,
    meeting_id: &str,
) -> Result<MemberAttendance, Error> {
    attended(db, actor, member_id)
        .await?
        .into_iter()
        .find(|s| s.meeting.id == meeting_id)
        .ok_or(Error::NotFound)
}

async fn new_claim(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<ForMeeting>,
) -> HttpResponse {
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let Some(meeting) = q.into_inner().meeting else {
        return redirect("/me/claims");
    };
    match session_of(&db, &actor, &member_id, &meeting).await {
        Ok(s) => {
            let f = ClaimForm::default();
            new_claim_page(&req, actor, &s, &f, &FormErrors::none())
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn send_claim(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<ClaimForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let s = match session_of(&db, &actor, &member_id, &form.meeting).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let claim = match form.read(&member_id) {
        Ok(c) => c,
        Err(errors) => {
            return new_claim_page(&req, actor, &s, &form, &FormErrors(errors));
        }
    };
    let (a, meeting) = (actor.clone(), s.meeting.id.clone());
    match db
        .run(move |c| expenses::create(c, &a, &meeting, claim))
        .await
    {
        Ok(e) => redirect(&format!("/me/claims/{}?sent=1", e.id)),
        Err(Error::Validation(errors)) => {
            let errors = FormErrors(in_page_words(&errors, SUBJECTS));
            new_claim_page(&req, actor, &s, &form, &errors)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

#[derive(Deserialize)]
pub struct Sent {
    sent: Option<String>,
}

/// My expenses: the sessions to claim for.
async fn my_claims(req: HttpRequest, db: web::Data<Database>, q: web::Query<Sent>) -> HttpResponse {
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let sessions = match attended(&db, &actor, &member_id).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let (a, id) = (actor.clone(), member_id.clone());
    let claims = match db.run(move |c| receipts::of_member(c, &a, &id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "My expenses" }
        @if q.sent.is_some() {
            div class="notice" role="status" { p { "Your claim is sent. Your coordinator will look at it." } }
        }
        p { "You can claim what it cost you to take part: travel, parking, care, food and drink. "
            "Costs paid back are not earnings." }
        h2 { "Claim for a session" }
        (sessions_to_claim(&sessions))
        h2 { "My claims" }
        (claims_list(&claims))
    };
    ctx.page(StatusCode::OK, "My expenses", body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/claims").route(web::get().to(my_claims)))
        .service(
            web::resource("/me/claims/new")
                .route(web::get().to(new_claim))
                .route(web::post().to(send_claim)),
        );
}
