//! The OpenAPI document, generated from the handlers' annotations and served at
//! /api/v1/openapi.json, with interactive docs (assets compiled in) at /api/docs/.

use utoipa::OpenApi;

use super::{error, health};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "coprod",
        description = "Fair, exact and benefit-aware payments for people with lived experience in \
co-production. Money is a string with two decimals (\"150.00\"); dates are YYYY-MM-DD; instants are \
RFC 3339 in UTC. Every error is application/problem+json.",
    ),
    paths(health::health, health::ready, health::metrics),
    components(schemas(error::Problem, crate::services::FieldError, health::Status)),
    tags((name = "operations", description = "Health, readiness and metrics")),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
