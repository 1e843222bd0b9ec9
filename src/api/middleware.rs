//! Every request gets an id (`http::request_id`: a sane incoming X-Request-Id, or new), a tracing
//! span that carries it onto every log line, one log line when answered, an X-Request-Id response
//! header, and a place in the metrics. Paths are logged without their query strings. URLs holding
//! the NUL character are refused before they reach a handler.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use tracing::Instrument;

use super::error::Problem;
use super::metrics::Metrics;
use crate::http::request_id::{RequestId, REQUEST_ID};

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let RequestId(id) = RequestId::for_request(&req);
    let method = req.method().to_string();
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let started = Instant::now();

    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_string());
            if let Some(m) = &metrics {
                m.observe(&method, &route, status, elapsed);
            }
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, v);
            }
            let latency_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
            if status >= 500 {
                tracing::error!(status, latency_ms, %route, "answered");
            } else {
                tracing::info!(status, latency_ms, %route, "answered");
            }
            Ok(res)
        }
        Err(e) => {
            tracing::error!(error = %e, "request failed before an answer");
            Err(e)
        }
    }
}

/// Whether a percent-encoded URL part holds the NUL character.
fn encodes_nul(part: &str) -> bool {
    part.contains("%00")
}

/// No id, code or search has a use for the NUL character, and PostgreSQL cannot store or compare
/// text holding it: a path holding one is not found (404), a query string holding one is refused
/// (400), before any handler sees them, so both backends answer alike.
pub async fn refuse_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let problem = if encodes_nul(req.path()) {
        Some(Problem::not_found())
    } else if encodes_nul(req.query_string()) {
        Some(Problem::bad_request(
            "The query string is not valid: it holds the NUL character (%00).",
        ))
    } else {
        None
    };
    match problem {
        Some(p) => Ok(req.into_response(p.error_response())),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}
