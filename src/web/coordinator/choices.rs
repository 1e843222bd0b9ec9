//! A member's payment choices, recorded by their coordinator (or an admin) with them, through the
//! shared choices pages. The member is emailed what was recorded, with a link to see it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{name_of, staff};
use crate::config::Settings;
use crate::db::Database;
use crate::services::{members, Actor};
use crate::web::choices::pages::{self, Subject};
use crate::web::choices::ChoicesForm;
use crate::web::{error_page, Form};

/// The member the page is about, named, or the page to show instead (404 for a member outside the
/// coordinator's groups, as the API answers).
async fn theirs(
    req: &HttpRequest,
    db: &web::Data<Database>,
    id: String,
) -> Result<(Actor, Subject), HttpResponse> {
    let actor = staff(req).await?;
    let a = actor.clone();
    match db.run(move |c| members::get(c, &a, &id)).await {
        Ok(m) => Ok((
            actor,
            Subject {
                base: format!("/members/{}/choices", m.id),
                change: format!("/members/{}/choices/change", m.id),
                title: format!(
                    "Payment choices of {}",
                    name_of(&m.full_name, m.preferred_name.as_deref())
                ),
                member_id: m.id,
                own: false,
            },
        )),
        Err(e) => Err(error_page(req, Some(actor), &e)),
    }
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

async fn overview(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<Saved>,
) -> HttpResponse {
    match theirs(&req, &db, path.into_inner()).await {
        Ok((actor, who)) => {
            pages::overview(&req, actor, &db, &settings, &who, q.saved.is_some()).await
        }
        Err(res) => res,
    }
}

async fn change(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
) -> HttpResponse {
    match theirs(&req, &db, path.into_inner()).await {
        Ok((actor, who)) => pages::change(&req, actor, &db, &settings, &who).await,
        Err(res) => res,
    }
}

async fn submitted(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<ChoicesForm>,
) -> HttpResponse {
    match theirs(&req, &db, path.into_inner()).await {
        Ok((actor, who)) => {
            pages::submitted(&req, actor, &db, &settings, &who, form.into_inner()).await
        }
        Err(res) => res,
    }
}

async fn save(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<ChoicesForm>,
) -> HttpResponse {
    match theirs(&req, &db, path.into_inner()).await {
        Ok((actor, who)) => pages::save(&req, actor, &db, &settings, &who, form.into_inner()).await,
        Err(res) => res,
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/members/{id}/choices")
            .route(web::get().to(overview))
            .route(web::post().to(save)),
    )
    .service(
        web::resource("/members/{id}/choices/change")
            .route(web::get().to(change))
            .route(web::post().to(submitted)),
    );
}
