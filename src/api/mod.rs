//! The HTTP API: thin handlers per resource that parse input, call a service with the acting
//! account, and shape the answer. Errors are problem+json; the OpenAPI document is generated here.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod sessions;

use actix_web::web;
use utoipa_swagger_ui::SwaggerUi;

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(web::redirect("/api/docs", "/api/docs/"))
        .service(
            SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", openapi::document()),
        )
        .service(web::scope("/api/v1").configure(v1));
}

fn v1(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/login").route(web::post().to(sessions::login)))
        .service(web::resource("/auth/logout").route(web::post().to(sessions::logout)))
        .service(
            web::resource("/auth/password/forgot").route(web::post().to(sessions::forgot_password)),
        )
        .service(
            web::resource("/auth/password/reset").route(web::post().to(sessions::reset_password)),
        )
        .service(
            web::resource("/auth/invitations/accept")
                .route(web::post().to(sessions::accept_invitation)),
        )
        .service(web::resource("/me").route(web::get().to(sessions::me)))
        .service(web::resource("/me/password").route(web::put().to(sessions::change_password)))
        .service(
            web::resource("/me/tokens")
                .route(web::get().to(sessions::list_tokens))
                .route(web::post().to(sessions::create_token)),
        )
        .service(web::resource("/me/tokens/{id}").route(web::delete().to(sessions::revoke_token)))
        .service(
            web::resource("/accounts")
                .route(web::get().to(accounts::list))
                .route(web::post().to(accounts::create)),
        )
        .service(
            web::resource("/accounts/{id}")
                .route(web::get().to(accounts::get))
                .route(web::patch().to(accounts::update)),
        )
        .service(web::resource("/audit").route(web::get().to(audit::list)));
}
