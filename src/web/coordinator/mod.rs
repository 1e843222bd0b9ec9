//! Coordinators' pages (and admins'): my groups and their members, meetings, the register of a
//! meeting on one page (quick on a phone: everyone listed, attended by default), and expense claims
//! to approve or reject.

mod before;
mod choices;
mod claims;
mod groups;
mod invitations;
mod meeting_edit;
mod meeting_form;
mod member;
mod people;
mod register;

pub use claims::{claims, decide};
pub use groups::{add_meeting, group, groups};
pub use register::{meeting, save_register};

use actix_web::{web, HttpRequest, HttpResponse};

use crate::services::groups::CodeLabel;
use crate::services::{Actor, Role};
use crate::web::redirect;

/// The signed-in coordinator or admin, or where to send the browser instead.
async fn staff(req: &HttpRequest) -> Result<Actor, HttpResponse> {
    super::signed_in_as(req, &[Role::Coordinator, Role::Admin]).await
}

fn name_of(full: &str, preferred: Option<&str>) -> String {
    match preferred {
        Some(p) if p != full => format!("{full} ({p})"),
        _ => full.to_string(),
    }
}

fn label_of(list: &[CodeLabel], code: &str) -> String {
    list.iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.replace('_', " "), |c| c.label.clone())
}

fn hours(minutes: i32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} minutes"),
        (1, 0) => "1 hour".to_string(),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Coordinators and admins start at their groups.
pub fn start() -> HttpResponse {
    redirect("/groups")
}

/// The links of the main navigation for this audience.
pub const NAV: &[(&str, &str)] = &[
    ("/groups", "My groups"),
    ("/members", "People"),
    ("/claims", "Expense claims"),
    ("/runs", "Pay runs"),
];

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(choices::routes)
        .service(web::resource("/members").route(web::get().to(people::people)))
        .service(
            web::resource("/members/new")
                .route(web::get().to(people::new_member))
                .route(web::post().to(people::add_member)),
        )
        .service(web::resource("/members/{id}").route(web::get().to(member::member)))
        .service(
            web::resource("/members/{id}/edit")
                .route(web::get().to(member::edit))
                .route(web::post().to(member::save)),
        )
        .service(
            web::resource("/members/{id}/archive")
                .route(web::get().to(member::archive_page))
                .route(web::post().to(member::archive)),
        )
        .service(
            web::resource("/meetings/{id}/edit")
                .route(web::get().to(meeting_edit::edit))
                .route(web::post().to(meeting_edit::save)),
        )
        .service(web::resource("/members/{id}/roles").route(web::post().to(member::add_role)))
        .service(
            web::resource("/memberships/{id}/change-role")
                .route(web::post().to(member::change_role)),
        )
        .service(
            web::resource("/memberships/{id}/end").route(web::post().to(member::end_membership)),
        )
        .service(web::resource("/groups").route(web::get().to(groups)))
        .service(web::resource("/groups/{id}").route(web::get().to(group)))
        .service(web::resource("/groups/{id}/meetings").route(web::post().to(add_meeting)))
        .service(web::resource("/meetings/{id}").route(web::get().to(meeting)))
        .configure(invitations::routes)
        .service(web::resource("/meetings/{id}/register").route(web::post().to(save_register)))
        .service(web::resource("/claims").route(web::get().to(claims)))
        .service(web::resource("/claims/{id}").route(web::post().to(decide)));
}
