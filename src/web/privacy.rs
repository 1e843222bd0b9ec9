//! The privacy notice (`/privacy`), for anyone, signed in or not: who holds the information and
//! why, what is kept and for how long (the figures are the retention settings themselves, so the
//! notice cannot drift from what coprod does), and the member's rights and how to use them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use crate::config::Settings;
use crate::services::Role;
use crate::web::{signed_in, Ctx};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/privacy").route(web::get().to(privacy)));
}

fn years(n: u32) -> String {
    if n == 1 {
        "1 year".into()
    } else {
        format!("{n} years")
    }
}

pub async fn privacy(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let actor = signed_in(&req).await;
    let member = actor.as_ref().is_some_and(|a| a.is(Role::Member));
    let org = settings.organisation.name.trim().to_string();
    let contact = settings.organisation.privacy_contact();
    let r = &settings.retention;
    let body = html! {
        h1 { "How we use your information" }
        p { (org) " uses coprod to pay people for their part in co-production. "
            "This page says what we keep about you, why, for how long, and what you can ask us to do." }
        h2 { "Who holds it" }
        p { (org) " holds your information and is responsible for it (the data controller). "
            "To ask about it, or to use any of your rights below, contact " strong { (contact) } "." }
        h2 { "What we keep, and why" }
        ul {
            li { "Your name and how to reach you: to invite you, pay you and send you your papers." }
            li { "Your roles in groups, the sessions you came to and your claims: this is what you are paid for." }
            li { "How you choose to be paid, and any limit you set: so a payment does not harm your benefits." }
            li { "Every payment, line by line: the law (HMRC) asks us to keep payment records for six years." }
            li { "Your communication and access needs, if you tell us them: so sessions and papers work for you. "
                "These may say something about your health, so the law gives them extra protection. "
                "Only your coordinator and our admins see them. Finance never does, and they are in no finance report." }
            li { "The emails we send you, and a record of each change made to your records (the audit trail): "
                "so we can show that nobody changed your pay without a record." }
        }
        p { "We use this information because we have an agreement with you to pay you for your time, "
            "and because the law asks us to keep payment records. We do not sell it or use it for marketing." }
        h2 { "How long we keep it" }
        ul {
            li { "Your personal details: " (years(r.erase_after_years)) " after the later of your last payment "
                "and the end of your last role. Then we erase them." }
            li { "Payment records (amounts and dates) stay after that, under a reference that does not name you, "
                "because every pay run must still add up." }
            li { "The text of an email we sent you: " (r.email_body_days) " days after we sent it. "
                "We keep only its subject, the address it went to, its date and whether it arrived." }
            li { "Receipts you send with a claim: " (years(r.receipt_years)) " after you send them. The claim stays." }
        }
        h2 { "Your rights" }
        ul {
            li { strong { "See what we hold." } " "
                @if member {
                    a href="/me/details" { "Download everything we hold about you" } " from your details page, "
                    "or ask us for it."
                } @else {
                    "Sign in and open My details to download everything we hold about you, or ask us for it."
                }
            }
            li { strong { "Put it right." } " Change your details yourself in My details, or ask your coordinator." }
            li { strong { "Have it erased." } " Ask us. We erase your details once nothing is owed to you; "
                "the payment records stay, under a reference that does not name you." }
            li { strong { "Object, or ask us to stop using it for a while." } " Ask us, and we will tell you what we can do." }
            li { strong { "Complain." } " If you are unhappy with how we use your information, tell us first. "
                "You can also complain to the Information Commissioner's Office: ico.org.uk, or 0303 123 1113." }
        }
    };
    Ctx::new(&req, actor).page(StatusCode::OK, "How we use your information", body)
}
