//! My payment choices: what I have chosen and its history, and the form to change them, through
//! the shared choices pages (`web::choices::pages`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::member;
use crate::config::Settings;
use crate::db::Database;
use crate::web::choices::pages::{self, Subject};
use crate::web::choices::ChoicesForm;
use crate::web::Form;

fn mine(member_id: String) -> Subject {
    Subject {
        member_id,
        base: "/me/choices".into(),
        change: "/me/choices/change".into(),
        own: true,
        title: "My payment choices".into(),
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
    q: web::Query<Saved>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => {
            let saved = q.saved.is_some();
            pages::overview(&req, actor, &db, &settings, &mine(id), saved).await
        }
        Err(res) => res,
    }
}

async fn change(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => pages::change(&req, actor, &db, &settings, &mine(id)).await,
        Err(res) => res,
    }
}

async fn submitted(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    form: Form<ChoicesForm>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => {
            pages::submitted(&req, actor, &db, &settings, &mine(id), form.into_inner()).await
        }
        Err(res) => res,
    }
}

async fn save(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    form: Form<ChoicesForm>,
) -> HttpResponse {
    match member(&req).await {
        Ok((actor, id)) => {
            pages::save(&req, actor, &db, &settings, &mine(id), form.into_inner()).await
        }
        Err(res) => res,
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me/choices")
            .route(web::get().to(overview))
            .route(web::post().to(save)),
    )
    .service(
        web::resource("/me/choices/change")
            .route(web::get().to(change))
            .route(web::post().to(submitted)),
    );
}
