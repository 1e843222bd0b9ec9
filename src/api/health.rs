//! Liveness, readiness and metrics: what load balancers and monitoring call.

use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;

use super::error::Problem;
use super::metrics::{Gauges, Metrics};
use crate::db::{self, Database};
use crate::services::Error;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` (process up) or `ready` (database reachable).
    pub status: &'static str,
    pub version: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is up", body = Status)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The database answers a query.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Status),
        (status = 503, description = "The database cannot be reached", body = Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn ready(db: web::Data<Database>) -> Result<HttpResponse, Problem> {
    let probe = db
        .run(|conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(Error::from)
        })
        .await;
    match probe {
        Ok(_) => Ok(HttpResponse::Ok().json(Status {
            status: "ready",
            version: env!("CARGO_PKG_VERSION"),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database did not answer");
            let mut p = Problem::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "The database cannot be reached.",
            );
            p.retry_after_secs = Some(5);
            Err(p)
        }
    }
}

/// Prometheus text: requests by route and status, latency, pool use, outbox by status.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus exposition format", body = String,
        content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(db: web::Data<Database>, metrics: web::Data<Metrics>) -> HttpResponse {
    let (pool_in_use, pool_idle) = db.pool_state();
    let outbox = db
        .run(|conn| db::outbox::count_by_status(conn).map_err(Error::from))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "metrics: outbox counts unavailable");
            Vec::new()
        });
    let body = metrics.render(&Gauges {
        pool_in_use,
        pool_idle,
        queries: db.queries(),
        outbox,
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
