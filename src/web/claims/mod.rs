//! Expense claims in the browser, by the member for themself (`/me/claims`) or by their
//! coordinator on their behalf (`/members/{member}/claims`): for a session they came to (recent
//! first), what it cost, with the rate a journey is paid at shown rather than typed, and a
//! declaration. The claim waits for a coordinator, who approves it or says why not. One set of
//! pages serves both; `OWN` says which, and `Claimant` carries the difference in words and paths.

pub mod claim;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use crate::db::Database;
use crate::domain::rates::{mileage_rate_words, MileageKind};
use crate::domain::records::{ClaimProgress, ExpenseKind, Miles};
use crate::domain::Money;
use crate::services::expenses::{self, NewExpense};
use crate::services::meetings::{self, MemberAttendance};
use crate::services::receipts::MemberClaim;
use crate::services::{members, receipts, Actor, Error, FieldError, Role};
use crate::web::{
    csrf_failed, csrf_ok, day, error_page, in_page_words, redirect, signed_in_as, Ctx, Form,
    FormErrors,
};

/// Whose claims a page is about, and who is looking: the member themself, or their coordinator
/// (or an admin) acting for them.
pub struct Claimant {
    pub member_id: String,
    /// Where their claims are listed: `/me/claims` or `/members/{id}/claims`.
    pub base: String,
    /// The member themself.
    pub own: bool,
    /// Their name, as staff pages say it.
    pub name: String,
}

impl Claimant {
    fn back(&self) -> Markup {
        html! {
            @if self.own {
                p { a href="/me/claims" { "Back to my expenses" } }
            } @else {
                p { a href=(self.base) { "Back to the expenses of " (self.name) } }
            }
        }
    }

    /// The page of one of their claims.
    fn claim_link(&self, claim_id: &str) -> String {
        let mut link = self.base.clone();
        link.push('/');
        link.push_str(claim_id);
        link
    }
}

/// The signed-in actor and whose claims the page is about, or the page to show instead. A
/// coordinator asking for a member outside their groups is answered 404, as the API answers.
pub async fn claimant<const OWN: bool>(
    req: &HttpRequest,
    db: &web::Data<Database>,
) -> Result<(Actor, Claimant), HttpResponse> {
    if OWN {
        let (actor, member_id) = crate::web::member::member(req).await?;
        return Ok((
            actor,
            Claimant {
                member_id,
                base: "/me/claims".into(),
                own: true,
                name: String::new(),
            },
        ));
    }
    let actor = signed_in_as(req, &[Role::Coordinator, Role::Admin]).await?;
    let id = req
        .match_info()
        .get("member")
        .unwrap_or_default()
        .to_string();
    let a = actor.clone();
    match db.run(move |c| members::get(c, &a, &id)).await {
        Ok(m) => Ok((
            actor,
            Claimant {
                base: format!("/members/{}/claims", m.id),
                own: false,
                name: m
                    .preferred_name
                    .clone()
                    .unwrap_or_else(|| m.full_name.clone()),
                member_id: m.id,
            },
        )),
        Err(e) => Err(error_page(req, Some(actor), &e)),
    }
}

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

/// The sessions the member came to (in the coordinator's groups, for a coordinator), newest first.
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

/// Where a claim is, in words: to the member (`own`), or to staff.
pub fn progress_words(c: &MemberClaim, own: bool) -> String {
    match c.status {
        ClaimProgress::Waiting if own => "Waiting for your coordinator".into(),
        ClaimProgress::Waiting => "Waiting for a coordinator's decision".into(),
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

fn claims_list(who: &Claimant, claims: &[MemberClaim]) -> Markup {
    html! {
        @if claims.is_empty() {
            p { @if who.own { "You have not claimed any costs yet." } @else { "No claims yet." } }
        } @else {
            ul class="links" {
                @for c in claims {
                    li {
                        a href=(who.claim_link(&c.id)) { (claim_words(c)) }
                        " for " (c.meeting_title) ", " (day(c.meeting_date)) ". "
                        strong { (progress_words(c, who.own)) } "."
                        @if c.receipt_count > 0 { " " (c.receipt_count) " receipt" @if c.receipt_count > 1 { "s" } "." }
                    }
                }
            }
        }
    }
}

/// The sessions to claim for, each with its link.
fn sessions_to_claim(who: &Claimant, sessions: &[MemberAttendance]) -> Markup {
    html! {
        @if sessions.is_empty() {
            @if who.own {
                p { "There are no sessions recorded as attended by you yet. After a session, your coordinator records who came." }
            } @else {
                p { "No session of your groups has them recorded as attended. Take the register of the session first." }
            }
        } @else {
            ul class="links" {
                @for s in sessions.iter().take(SESSIONS_OFFERED) {
                    li { a href={ (who.base) "/new?meeting=" (s.meeting.id) } {
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
    fn read(&self, who: &Claimant) -> Result<NewExpense, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ExpenseKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose what the claim is for"));
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
            let words = if who.own {
                "Confirm that this is what it cost you, and that you have not claimed it elsewhere"
                    .to_string()
            } else {
                format!(
                    "Confirm that {} told you this is what it cost, and that it has not been claimed elsewhere",
                    who.name
                )
            };
            errors.push(FieldError::new("declaration", words));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewExpense {
                member_id: who.member_id.clone(),
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

fn claim_form(
    ctx: &Ctx,
    who: &Claimant,
    s: &MemberAttendance,
    f: &ClaimForm,
    errors: &FormErrors,
) -> Markup {
    html! {
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action={ (who.base) "/new" } novalidate {
            (ctx.csrf_field())
            input type="hidden" name="meeting" value=(s.meeting.id);
            fieldset class="question" aria-describedby=[errors.described_by("kind", false)] {
                legend { "What is the claim for?" }
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
                Some("What is paid is worked out from the miles."), "off"))
            (errors.input("passengers", "For a car: how many passengers came too", "text", &f.passengers,
                Some("People also coming to the session. Leave empty if none."), "off"))
            (errors.input("amount", "For anything else: what it cost, in pounds", "text", &f.amount,
                Some("For example, 12.50"), "off"))
            (errors.label("description", "What it was for", Some("For example: return bus fare from home. Needed for something else.")))
            textarea id="description" name="description" rows="3" aria-invalid=[errors.invalid("description")]
                aria-describedby=[errors.described_by("description", true)] { (f.description) }
            fieldset class="question" {
                legend { @if who.own { "Your declaration" } @else { "Declaration" } }
                @if let Some(e) = errors.message("declaration") {
                    span class="field-error" id="declaration-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="radio" {
                    input type="checkbox" id="declaration" name="declaration" value="yes" checked[f.declaration == "yes"]
                        aria-describedby=[errors.described_by("declaration", false)];
                    label for="declaration" {
                        @if who.own { "This is what it cost me, and I have not claimed it elsewhere." }
                        @else { (who.name) " told me this is what it cost them, and that they have not claimed it elsewhere." }
                    }
                }
            }
            div { button type="submit" { @if who.own { "Send my claim" } @else { "Record this claim" } } }
        }
        p { "After it is sent, a photo or PDF of each receipt can be added." }
    }
}

fn new_claim_page(
    req: &HttpRequest,
    actor: Actor,
    who: &Claimant,
    s: &MemberAttendance,
    f: &ClaimForm,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let title = if who.own {
        "Claim my costs".to_string()
    } else {
        format!("Record a claim for {}", who.name)
    };
    let body = html! {
        (who.back())
        h1 { (title) }
        @if !who.own {
            p { "You are recording this on their behalf, as they asked. They can follow it on their own expenses page." }
        }
        p { "For " strong { (s.meeting.title) } " on " (day(s.meeting.date)) "." }
        (claim_form(&ctx, who, s, f, errors))
    };
    ctx.page(status, &title, body)
}

/// The session of a claim, among those the member came to; any other is not found.
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

async fn new_claim<const OWN: bool>(
    req: HttpRequest,
    db: web::Data<Database>,
    q: web::Query<ForMeeting>,
) -> HttpResponse {
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let Some(meeting) = q.into_inner().meeting else {
        return redirect(&who.base);
    };
    match session_of(&db, &actor, &who.member_id, &meeting).await {
        Ok(s) => {
            let f = ClaimForm::default();
            new_claim_page(&req, actor, &who, &s, &f, &FormErrors::none())
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn send_claim<const OWN: bool>(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<ClaimForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let s = match session_of(&db, &actor, &who.member_id, &form.meeting).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let claim = match form.read(&who) {
        Ok(c) => c,
        Err(errors) => {
            return new_claim_page(&req, actor, &who, &s, &form, &FormErrors(errors));
        }
    };
    let (a, meeting) = (actor.clone(), s.meeting.id.clone());
    match db
        .run(move |c| expenses::create(c, &a, &meeting, claim))
        .await
    {
        Ok(e) => redirect(&format!("{}?sent=1", who.claim_link(&e.id))),
        Err(Error::Validation(errors)) => {
            let errors = FormErrors(in_page_words(&errors, SUBJECTS));
            new_claim_page(&req, actor, &who, &s, &form, &errors)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The member's expenses: the sessions to claim for, and their claims.
async fn claims<const OWN: bool>(req: HttpRequest, db: web::Data<Database>) -> HttpResponse {
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let sessions = match attended(&db, &actor, &who.member_id).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let (a, id) = (actor.clone(), who.member_id.clone());
    let claims = match db.run(move |c| receipts::of_member(c, &a, &id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let title = if who.own {
        "My expenses".to_string()
    } else {
        format!("Expenses of {}", who.name)
    };
    let body = html! {
        @if !who.own {
            p { a href={ "/members/" (who.member_id) } { "Back to " (who.name) } }
        }
        h1 { (title) }
        @if who.own {
            p { "You can claim what it cost you to take part: travel, parking, care, food and drink. "
                "Costs paid back are not earnings." }
        } @else {
            p { "Record a claim they asked you to make for them: travel, parking, care, food and drink. "
                "It waits for a decision on the " a href="/claims" { "expense claims" } " page like any other." }
        }
        h2 { "Claim for a session" }
        (sessions_to_claim(&who, &sessions))
        h2 { @if who.own { "My claims" } @else { "Their claims" } }
        (claims_list(&who, &claims))
    };
    ctx.page(StatusCode::OK, &title, body)
}

/// The claims pages of a member for themself, and of a member for their coordinator, with each
/// claim's receipts pages: the same handlers, told apart by `OWN`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/claims").route(web::get().to(claims::<true>)))
        .service(
            web::resource("/me/claims/new")
                .route(web::get().to(new_claim::<true>))
                .route(web::post().to(send_claim::<true>)),
        )
        .service(web::resource("/members/{member}/claims").route(web::get().to(claims::<false>)))
        .service(
            web::resource("/members/{member}/claims/new")
                .route(web::get().to(new_claim::<false>))
                .route(web::post().to(send_claim::<false>)),
        )
        .configure(claim::routes);
}
