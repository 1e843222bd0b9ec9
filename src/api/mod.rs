//! The HTTP API: thin handlers per resource that parse input, call a service with the acting
//! account, and shape the answer. Errors are problem+json; the OpenAPI document is generated here.

pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;

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
        );
}
