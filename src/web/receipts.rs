//! A receipt's file in the browser: whoever may see the claim (its member, the group's
//! coordinator, finance, admins) opens it from a link, signed in by the session cookie. It is
//! sent as a download with its stored type and `nosniff`, exactly as the API sends it.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::Database;
use crate::http::download::private_file;
use crate::services::{receipts, Role};
use crate::web::{error_page, signed_in_as};

async fn receipt(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let every_role = [Role::Member, Role::Coordinator, Role::Finance, Role::Admin];
    let actor = match signed_in_as(&req, &every_role).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    match db.run(move |c| receipts::download(c, &a, &id)).await {
        Ok(file) => private_file(file.content_type.as_str(), &file.filename, file.bytes),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/receipts/{id}").route(web::get().to(receipt)));
}
