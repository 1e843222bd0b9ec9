//! A member's own pages: what I have been paid and what is coming, my totals this tax year and
//! against my cap, my payment choices explained, and my statement to download.

mod coming;
mod letter;

pub use coming::coming_table;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

mod choices;
mod details;

use super::{day, error_page, pounds, redirect, signed_in, Ctx};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::payrun::RunStatus;
use crate::domain::periods::TaxYear;
use crate::domain::records::AttendanceStatus;
use crate::services::meetings::{self, MemberAttendance};
use crate::services::page::PageRequest;
use crate::services::payruns::{self, MemberRunView};
use crate::services::preferences;
use crate::services::statements;
use crate::services::{Actor, Error, Role};

/// The signed-in member, or where to send the browser instead.
pub(super) async fn member(req: &HttpRequest) -> Result<(Actor, String), HttpResponse> {
    match signed_in(req).await {
        None => Err(redirect("/sign-in")),
        Some(a) => match (a.role, a.member_id.clone()) {
            (Role::Member, Some(id)) => Ok((a, id)),
            _ => Err(redirect("/")),
        },
    }
}

fn status_words(run: &MemberRunView) -> &'static str {
    match run.status {
        RunStatus::Paid => "Paid",
        RunStatus::Approved | RunStatus::Exported => "Approved, not yet paid",
        // A member is shown approved runs only; a draft or cancelled run here is a fault upstream.
        RunStatus::Draft | RunStatus::Cancelled => "Not approved",
    }
}

fn runs_table(runs: &[MemberRunView]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label={ "Payments, newest first" } {
            table {
                caption { "Payments, newest first" }
                thead { tr {
                    th scope="col" { "Payment date" }
                    th scope="col" { "Status" }
                    th scope="col" { "For sessions" }
                    th scope="col" class="money" { "Paid to you" }
                    th scope="col" class="money" { "Held back" }
                    th scope="col" class="money" { "To charity" }
                } }
                tbody {
                    @for r in runs {
                        tr {
                            td { (day(r.payment_date)) }
                            td class="status" { (status_words(r))
                                @if let Some(d) = r.paid_on { br; span class="muted" { "on " (day(d)) } } }
                            td { (day(r.period_start)) " to " (day(r.period_end)) }
                            td class="money" { (pounds(r.total_to_member)) }
                            td class="money" { (pounds(r.carried_forward)) }
                            td class="money" { (pounds(r.donated)) }
                        }
                    }
                }
            }
        }
    }
}

/// The most recent sessions the home page lists.
const SESSIONS_SHOWN: usize = 20;

fn attendance_words(a: &MemberAttendance) -> String {
    match a.status {
        AttendanceStatus::Attended => "Came".to_string(),
        AttendanceStatus::Partial => format!(
            "Came for {} minutes",
            a.attended_minutes.unwrap_or_default()
        ),
        AttendanceStatus::Apologies => "Sent apologies".to_string(),
        AttendanceStatus::Absent => "Did not come".to_string(),
    }
}

fn sessions_table(sessions: &[MemberAttendance]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label={ "My latest sessions, newest first" } {
            table {
                caption { "My latest sessions, newest first" }
                thead { tr {
                    th scope="col" { "Date" }
                    th scope="col" { "Session" }
                    th scope="col" { "Attendance" }
                    th scope="col" class="money" { "Preparation" }
                } }
                tbody {
                    @for s in sessions {
                        tr {
                            td { (day(s.meeting.date)) }
                            td { (s.meeting.title) }
                            td { (attendance_words(s)) }
                            td class="money" { (s.prep_minutes) " min" }
                        }
                    }
                }
            }
        }
    }
}

pub async fn home(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let a = actor.clone();
    let loaded = db
        .run(move |c| {
            let runs = payruns::of_member(c, &a, &member_id, &PageRequest::first(24))?;
            let span = statements::span(None, None, None, today)?;
            let st = statements::statement(c, &a, &member_id, &span, allowance, today)?;
            let pref = preferences::current(c, &a, &member_id, today)?;
            let mut sessions = meetings::of_member(c, &a, &member_id)?;
            sessions.truncate(SESSIONS_SHOWN);
            let mut next = crate::services::invitations::my_meetings(c, &a, today)?;
            next.truncate(3);
            Ok::<_, Error>((runs, st, pref, sessions, next))
        })
        .await;
    let (runs, st, pref, sessions, next) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let coming: Vec<&MemberRunView> = runs
        .items
        .iter()
        .filter(|r| r.status != RunStatus::Paid)
        .collect();
    let t = &st.figures.totals;
    let year = TaxYear::containing(today);
    let body = html! {
        h1 { "My payments" }
        @if !next.is_empty() {
            h2 { "Sessions coming up" }
            (coming_table(&next))
            p { a href="/me/sessions" { "All sessions coming up, and your calendar" } }
        }
        h2 { "Coming to you" }
        @if coming.is_empty() {
            p { "Nothing is waiting to be paid at the moment." }
        } @else {
            ul {
                @for r in &coming {
                    li { strong { (pounds(r.total_to_member)) } " will be paid on " (day(r.payment_date))
                        " (approved, not yet paid)." }
                }
            }
        }
        @if st.held_back_at_end.is_positive() {
            p { strong { (pounds(st.held_back_at_end)) } " is being held back to keep you within your limit. "
                "It will be paid in a later period." }
        }
        h2 { "This tax year (" (year) ")" }
        div class="cards" {
            div class="card" { span class="figure" { (pounds(t.paid_fees)) } "fees paid to you" }
            div class="card" { span class="figure" { (pounds(t.expenses_paid)) } "expenses repaid (not earnings)" }
            @if t.donated.is_positive() {
                div class="card" { span class="figure" { (pounds(t.donated)) } "given to charity for you" }
            }
        }
        @for y in &st.figures.tax_years {
            @if y.passes_trading_allowance {
                p { "Your fees this tax year are more than the " (pounds(y.trading_allowance))
                    " trading allowance. You may need to tell HMRC about this income." }
            } @else {
                p { "Your fees this tax year are within the " (pounds(y.trading_allowance)) " trading allowance." }
            }
        }
        @if let Some(p) = st.figures.cap_periods.last() {
            p { "Your limit: " (p.cap) ". In the latest period (" (day(p.start)) " to " (day(p.end)) ") "
                (pounds(p.counted)) " counted towards it." }
        }
        h2 { "Payments" }
        @if runs.items.is_empty() {
            p { "You have no payments yet. After a session, your coordinator records who attended, and "
                "finance pays in regular pay runs." }
        } @else {
            (runs_table(&runs.items))
        }
        h2 { "My sessions" }
        @if sessions.is_empty() {
            p { "No sessions are recorded for you yet." }
        } @else {
            (sessions_table(&sessions))
        }
        h2 { "My statement" }
        p { "A statement lists every payment with totals by month and by limit period. "
            "You can show it to a benefits adviser or use it for a tax return." }
        ul {
            li { a href={ "/me/statement?tax_year=" (year) "&format=pdf" } { "Download this tax year's statement (PDF)" } }
            li { a href={ "/me/statement?tax_year=" (year) "&format=csv" } { "Download it as a spreadsheet (CSV)" } }
            li { a href="/me/benefits-letter" { "A letter about your payments for the Jobcentre or a benefits adviser (PDF)" } }
        }
        h2 { "My payment choices" }
        ul { @for line in preferences::summary(&pref) { li { (line) } } }
        p { a href="/me/choices" { "What my choices mean" } }
    };
    ctx.page(StatusCode::OK, "My payments", body)
}

/// My statement, as a PDF or CSV download.
pub async fn statement(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<super::downloads::Asked>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => {
            super::downloads::statement(&req, &db, &settings, actor, id, q.into_inner()).await
        }
        Err(res) => res,
    }
}

/// The links of the main navigation for this audience.
pub const NAV: &[(&str, &str)] = &[
    ("/me", "My payments"),
    ("/me/sessions", "Coming up"),
    ("/me/choices", "My payment choices"),
    ("/me/claims", "My expenses"),
    ("/me/details", "My details"),
];

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me").route(web::get().to(home)))
        .configure(choices::routes)
        .configure(details::routes)
        // `/me/claims/new` (claims) before `/me/claims/{id}` (receipts), which would take it.
        .configure(letter::routes)
        .service(web::resource("/me/statement").route(web::get().to(statement)));
}
