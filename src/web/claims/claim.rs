//! One claim: where it is, its receipts (a phone photo or a PDF, several if need be), and adding
//! or removing a receipt while it waits, by the member or by their coordinator for them. The
//! file's type is decided from its bytes by the same rule as the API's.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::{claim_words, claimant, progress_words, Claimant};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::receipts::{NotAReceipt, ReceiptFile};
use crate::domain::records::ClaimProgress;
use crate::http::upload::{self, UploadError};
use crate::services::receipts::{self, MemberClaim, ReceiptView};
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, day, error_page, redirect, Ctx, Form, FormErrors};

/// The member's claim and its receipts; another's is not found.
async fn load(
    db: &web::Data<Database>,
    actor: &Actor,
    member_id: &str,
    claim: &str,
) -> Result<(MemberClaim, Vec<ReceiptView>), Error> {
    let (a, m, id) = (actor.clone(), member_id.to_string(), claim.to_string());
    db.run(move |c| {
        let claim = receipts::of_member(c, &a, &m)?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(Error::NotFound)?;
        let files = receipts::of_claim(c, &a, &id)?;
        Ok((claim, files))
    })
    .await
}

fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / (1024 * 1024))
}

#[allow(clippy::too_many_arguments)]
fn claim_page(
    req: &HttpRequest,
    actor: Actor,
    who: &Claimant,
    claim: &MemberClaim,
    files: &[ReceiptView],
    max_bytes: u64,
    notice: Option<&str>,
    errors: &FormErrors,
) -> HttpResponse {
    // A member removes only the receipts they added; their coordinator's stay.
    let me = actor.account_id.clone();
    let ctx = Ctx::new(req, Some(actor));
    let status = errors.status();
    let waiting = claim.status == ClaimProgress::Waiting;
    let link = who.claim_link(&claim.id);
    let body = html! {
        (who.back())
        h1 { (claim_words(claim)) }
        @if let Some(n) = notice { div class="notice" role="status" { p { (n) } } }
        p { "For " (claim.meeting_title) ", " (day(claim.meeting_date)) "." }
        p { strong { (progress_words(claim, who.own)) } "." }
        @if !who.own && waiting { p { "Approve it or say why not on the " a href="/claims" { "expense claims" } " page." } }
        @if let Some(d) = &claim.description { p { "What it was for: " (d) } }
        h2 { "Receipts" }
        @if files.is_empty() {
            p { "No receipts yet." }
        } @else {
            ul class="links" {
                @for f in files {
                    li {
                        a href={ "/receipts/" (f.id) } { (f.filename) } " (" (f.content_type.words()) ")"
                        @if waiting && (!who.own || f.uploaded_by == me) {
                            form method="post" action={ (link) "/receipts/" (f.id) "/remove" } {
                                (ctx.csrf_field())
                                button type="submit" class="link-button" { "Remove " (f.filename) }
                            }
                        }
                    }
                }
            }
        }
        @if waiting {
            h3 { "Add a receipt" }
            (errors.summary())
            form method="post" action={ (link) "/receipts" } enctype="multipart/form-data" novalidate {
                (ctx.csrf_field())
                (errors.label("file", "A photo or PDF of the receipt", Some(&format!("A photo from your phone (JPEG, PNG or HEIC) or a PDF, up to {}.", megabytes(max_bytes)))))
                input type="file" id="file" name="file" accept="image/jpeg,image/png,image/heic,application/pdf"
                    aria-invalid=[errors.invalid("file")] aria-describedby=[errors.described_by("file", true)];
                div { button type="submit" { "Add this receipt" } }
            }
        } @else {
            p { "Receipts can be added only while the claim waits for a decision." }
        }
    };
    ctx.page(status, if who.own { "My claim" } else { "A claim" }, body)
}

#[derive(serde::Deserialize)]
pub struct Notice {
    sent: Option<String>,
    added: Option<String>,
}

/// The claim the path names.
fn claim_id(req: &HttpRequest) -> String {
    req.match_info()
        .get("claim")
        .unwrap_or_default()
        .to_string()
}

async fn claim<const OWN: bool>(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<Notice>,
) -> HttpResponse {
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let notice = match (&q.sent, &q.added) {
        (Some(_), _) if OWN => {
            Some("Your claim is sent. You can add a photo or PDF of each receipt below.")
        }
        (Some(_), _) => {
            Some("The claim is recorded. You can add a photo or PDF of each receipt below.")
        }
        (_, Some(_)) => Some("The receipt is added."),
        _ => None,
    };
    match load(&db, &actor, &who.member_id, &claim_id(&req)).await {
        Ok((c, files)) => {
            let max = settings.receipts.max_bytes;
            claim_page(
                &req,
                actor,
                &who,
                &c,
                &files,
                max,
                notice,
                &FormErrors::none(),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// What went wrong with a file, in a page's words.
fn file_problem(e: &UploadError, max: u64) -> String {
    match e {
        UploadError::TooLarge => format!(
            "The file is larger than {}. Take the photo again at a smaller size, or scan it as a PDF.",
            megabytes(max)
        ),
        UploadError::NoFile => "Choose one file to add".into(),
        UploadError::Unreadable => "The file could not be read. Please try again.".into(),
    }
}

async fn add<const OWN: bool>(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    payload: web::Payload,
) -> HttpResponse {
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let claim_id = claim_id(&req);
    // Another member's claim, or one outside the coordinator's groups, is not found before its
    // file is read.
    if let Err(e) = load(&db, &actor, &who.member_id, &claim_id).await {
        return error_page(&req, Some(actor), &e);
    }
    let max = settings.receipts.max_bytes;
    let read = upload::read(Multipart::new(req.headers(), payload), max).await;
    if let Ok(u) = &read {
        if !csrf_ok(&req, u.field("csrf")) {
            return csrf_failed(&req);
        }
    }
    let problem = match read {
        Err(e) => Err(file_problem(&e, max)),
        Ok(u) => match u.file {
            None => Err("Choose a photo or PDF of the receipt".to_string()),
            Some((name, bytes)) => ReceiptFile::parse(&name, bytes, max).map_err(|e| match e {
                NotAReceipt::Empty => "The file is empty. Choose the photo or PDF again.".into(),
                NotAReceipt::TooLarge { .. } => file_problem(&UploadError::TooLarge, max),
                NotAReceipt::NotAccepted => "This file is not a photo (JPEG, PNG or HEIC) or a PDF. Choose the photo or PDF of your receipt.".into(),
            }),
        },
    };
    let result = match problem {
        Ok(file) => {
            let (a, id) = (actor.clone(), claim_id.clone());
            db.run(move |c| receipts::upload(c, &a, &id, file))
                .await
                .map_err(|e| match e {
                    Error::Conflict(m) => Ok(m),
                    other => Err(other),
                })
        }
        Err(words) => Err(Ok(words)),
    };
    match result {
        Ok(_) => redirect(&format!("{}?added=1", who.claim_link(&claim_id))),
        Err(Ok(words)) => match load(&db, &actor, &who.member_id, &claim_id).await {
            Ok((c, files)) => {
                let errors = FormErrors::one("file", &words);
                claim_page(&req, actor, &who, &c, &files, max, None, &errors)
            }
            Err(e) => error_page(&req, Some(actor), &e),
        },
        Err(Err(e)) => error_page(&req, Some(actor), &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn remove<const OWN: bool>(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (actor, who) = match claimant::<OWN>(&req, &db).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let claim_id = claim_id(&req);
    let receipt_id = req
        .match_info()
        .get("receipt")
        .unwrap_or_default()
        .to_string();
    let (a, m, c_id) = (actor.clone(), who.member_id.clone(), claim_id.clone());
    // The receipt must belong to the claim the path names, and the claim to the member.
    let removed = db
        .run(move |c| {
            let files = receipts::of_claim(c, &a, &c_id)?;
            let claim = receipts::of_member(c, &a, &m)?;
            if !claim.iter().any(|x| x.id == c_id) || !files.iter().any(|f| f.id == receipt_id) {
                return Err(Error::NotFound);
            }
            receipts::delete(c, &a, &receipt_id)
        })
        .await;
    match removed {
        Ok(()) => redirect(&who.claim_link(&claim_id)),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/claims/{claim}").route(web::get().to(claim::<true>)))
        .service(web::resource("/me/claims/{claim}/receipts").route(web::post().to(add::<true>)))
        .service(
            web::resource("/me/claims/{claim}/receipts/{receipt}/remove")
                .route(web::post().to(remove::<true>)),
        )
        .service(
            web::resource("/members/{member}/claims/{claim}").route(web::get().to(claim::<false>)),
        )
        .service(
            web::resource("/members/{member}/claims/{claim}/receipts")
                .route(web::post().to(add::<false>)),
        )
        .service(
            web::resource("/members/{member}/claims/{claim}/receipts/{receipt}/remove")
                .route(web::post().to(remove::<false>)),
        );
}
