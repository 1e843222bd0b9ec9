//! A member's statement (PDF or CSV) and letter about their payments (PDF) as downloads, for
//! whoever may have them: the member from their pages, finance from the member's money page.
//! The services decide who may; these only read the dates asked for and send the file.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::error_page;
use crate::config::Settings;
use crate::db::Database;
use crate::export::letter::{self as letter_file, Organisation};
use crate::export::statement::{self as statement_file, Download};
use crate::http::download;
use crate::services::{letters, statements, Actor};

/// The dates a download covers (a tax year, or `from` and `to`; neither: the default), and for a
/// statement its format (`csv`, else PDF).
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    tax_year: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The member's statement for the dates asked.
pub async fn statement(
    req: &HttpRequest,
    db: &web::Data<Database>,
    settings: &Settings,
    actor: Actor,
    member_id: String,
    q: Asked,
) -> HttpResponse {
    let (today, allowance) = (settings.today(), settings.payruns.trading_allowance);
    let a = actor.clone();
    let d = match q.format.as_deref() {
        Some("csv") => Download::Csv,
        _ => Download::Pdf,
    };
    let built = db
        .run(move |c| {
            let span = statements::span(
                q.tax_year.as_deref(),
                q.from.as_deref(),
                q.to.as_deref(),
                today,
            )?;
            statements::statement(c, &a, &member_id, &span, allowance, today)
        })
        .await;
    let made = match built {
        Ok(s) => download::made(move || statement_file::file(&s, d)).await,
        Err(e) => Err(e),
    };
    made.unwrap_or_else(|e| error_page(req, Some(actor), &e))
}

/// The member's letter for the Jobcentre or a benefits adviser, for the dates asked (by default
/// the last twelve months).
pub async fn letter(
    req: &HttpRequest,
    db: &web::Data<Database>,
    settings: &Settings,
    actor: Actor,
    member_id: String,
    q: Asked,
) -> HttpResponse {
    let organisation = Organisation::from(&settings.organisation);
    let (today, allowance) = (settings.today(), settings.payruns.trading_allowance);
    let a = actor.clone();
    let built = db
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
    let made = match built {
        Ok(l) => download::made(move || letter_file::file(&l)).await,
        Err(e) => Err(e),
    };
    made.unwrap_or_else(|e| error_page(req, Some(actor), &e))
}
