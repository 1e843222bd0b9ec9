//! Expense claims waiting for a decision, each with its receipts to open: approve (a late claim
//! with a reason on the record), or reject with a reason the member sees.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::register::claim_words;
use super::staff;
use crate::config::Settings;
use crate::db::Database;
use crate::domain::records::ExpenseKind;
use crate::services::expenses::{self, Lateness, WaitingClaim};
use crate::services::receipts::ReceiptView;
use crate::services::{Actor, Error, FieldError};
use crate::web::{csrf_failed, csrf_ok, day, error_page, redirect, Ctx, Form, FormErrors};

/// `1.2 MB`, `340 KB`: how big a file is, roughly.
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", (b + 500) / 1_000),
        b => format!("{b} bytes"),
    }
}

/// A claim's receipts, each a link that downloads it.
fn receipts_list(receipts: &[ReceiptView]) -> Markup {
    html! {
        @if receipts.is_empty() {
            p class="muted" { "No receipt has been uploaded for this claim." }
        } @else {
            p { @if receipts.len() == 1 { "Receipt:" } @else { (receipts.len()) " receipts:" } }
            ul class="links receipts" {
                @for r in receipts {
                    li {
                        a href={ "/receipts/" (r.id) } download=(r.filename) { (r.filename) }
                        span class="muted" { " (" (r.content_type.words()) ", " (size(r.size_bytes)) ", downloads)" }
                    }
                }
            }
        }
    }
}

fn claims_body(
    ctx: &Ctx,
    claims: &[WaitingClaim],
    late_after_days: u32,
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
                @if let Some(r) = &e.receipt_ref { p { "Receipt reference: " (r) } }
                (receipts_list(&c.receipts))
                @if c.late {
                    p class="status" { "This claim is late: the session was more than " (late_after_days)
                        " days ago. To approve it, say why below; the reason is kept with the claim." }
                }
                form method="post" action={ "/claims/" (e.id) } novalidate {
                    (ctx.csrf_field())
                    @if c.late {
                        (errors.label(&reason, "Reason", Some("Needed to approve this late claim, or to reject it. The member will see a reason for rejecting it.")))
                        textarea id=(reason) name="reason" rows="2" aria-invalid=[errors.invalid(&reason)]
                            aria-describedby=[errors.described_by(&reason, true)] {}
                        button type="submit" name="decision" value="approve" { "Approve late claim" }
                        " "
                        button type="submit" class="secondary" name="decision" value="reject" { "Reject" }
                    } @else {
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
}

async fn claims_page(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    late: Lateness,
    status: StatusCode,
    errors: &FormErrors,
    done: Option<&str>,
) -> HttpResponse {
    let a = actor.clone();
    let claims = match db.run(move |c| expenses::waiting(c, &a, late)).await {
        Ok(c) => c,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = claims_body(&ctx, &claims, late.after_days, errors, done);
    ctx.page(status, "Expense claims", body)
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn claims(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
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
    let late = Lateness::from_settings(&settings);
    let none = FormErrors::none();
    claims_page(&req, &db, actor, late, StatusCode::OK, &none, done).await
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
    settings: web::Data<Settings>,
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
    let late = Lateness::from_settings(&settings);
    let result = db
        .run(move |c| expenses::decide(c, &a, &claim, approve, Some(reason.as_str()), late))
        .await;
    match result {
        Ok(_) if approve => redirect("/claims?done=approved"),
        Ok(_) => redirect("/claims?done=rejected"),
        Err(Error::Validation(list)) => {
            let errors = FormErrors(
                list.into_iter()
                    .map(|e| {
                        let words = if approve {
                            format!("A reason {}", e.message)
                        } else {
                            format!("To reject a claim, {}", e.message)
                        };
                        FieldError::new(format!("reason-{id}"), words)
                    })
                    .collect(),
            );
            claims_page(
                &req,
                &db,
                actor,
                late,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                None,
            )
            .await
        }
        Err(Error::Conflict(msg)) => {
            let errors = FormErrors::one("form", &msg);
            claims_page(&req, &db, actor, late, StatusCode::CONFLICT, &errors, None).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
