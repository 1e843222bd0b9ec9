//! The member's letter about their payments, for the Jobcentre or a benefits adviser: a PDF
//! download of the last 12 months (or `?tax_year=`, or `?from=&to=`), as the API makes it.

use actix_web::{web, HttpRequest, HttpResponse};

use super::member;
use crate::config::Settings;
use crate::db::Database;
use crate::web::downloads;

pub async fn benefits_letter(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<downloads::Asked>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => downloads::letter(&req, &db, &settings, actor, id, q.into_inner()).await,
        Err(res) => res,
    }
}

/// The routes of this page.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/benefits-letter").route(web::get().to(benefits_letter)));
}
