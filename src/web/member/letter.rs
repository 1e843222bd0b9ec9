//! The member's letter about their payments, for the Jobcentre or a benefits adviser: a PDF
//! download of the last 12 months (or `?tax_year=`, or `?from=&to=`), as the API makes it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::error_page;
use super::member;
use crate::config::Settings;
use crate::db::Database;
use crate::export::letter::{self as letter_file, Letter, Organisation};
use crate::http::download;
use crate::services::{letters, Error};

#[derive(Deserialize)]
pub struct LetterQuery {
    tax_year: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn benefits_letter(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<LetterQuery>,
) -> HttpResponse {
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let q = q.into_inner();
    let organisation = Organisation::from(&settings.organisation);
    let today = settings.today();
    let allowance = settings.payruns.trading_allowance;
    let a = actor.clone();
    let built: Result<Letter, Error> = db
        .run(move |c| {
            let span = letters::span(
                q.tax_year.as_deref(),
                q.from.as_deref(),
                q.to.as_deref(),
                today,
            )?;
            letters::benefits_letter(c, &a, &member_id, &span, organisation, allowance, today)
        })
        .await;
    let letter = match built {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    match download::made(move || letter_file::file(&letter)).await {
        Ok(res) => res,
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The routes of this page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/benefits-letter").route(web::get().to(benefits_letter)));
}
