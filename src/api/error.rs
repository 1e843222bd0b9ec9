//! Every error a client sees is `application/problem+json` (RFC 9457): `type`, `title`, `status`,
//! `detail`, and `errors` for invalid fields. Internal errors are logged with their cause chain and
//! show the client only a reference to quote.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::http::failure::{Failure, NOT_FOUND};
use crate::services::{Error as ServiceError, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of every error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For server errors: a reference to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    #[serde(skip)]
    pub retry_after_secs: Option<u32>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        let kind = match status.as_u16() {
            400 => "urn:coprod:problem:bad-request",
            401 => "urn:coprod:problem:unauthorized",
            403 => "urn:coprod:problem:forbidden",
            404 => "urn:coprod:problem:not-found",
            405 => "urn:coprod:problem:method-not-allowed",
            409 => "urn:coprod:problem:conflict",
            413 => "urn:coprod:problem:payload-too-large",
            415 => "urn:coprod:problem:unsupported-media-type",
            422 => "urn:coprod:problem:unprocessable",
            429 => "urn:coprod:problem:too-many-requests",
            500 => "urn:coprod:problem:internal",
            503 => "urn:coprod:problem:unavailable",
            _ => "about:blank",
        };
        Problem {
            kind,
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            error_id: None,
            retry_after_secs: None,
        }
    }

    /// A more specific `type` than the status's own, for a problem a client may handle by name.
    pub fn with_kind(mut self, kind: &'static str) -> Problem {
        self.kind = kind;
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = errors;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, NOT_FOUND)
    }

    /// The problem for a status the framework produced without a body (unknown route, wrong method).
    pub fn for_status(status: StatusCode) -> Problem {
        let detail = match status.as_u16() {
            404 => NOT_FOUND,
            405 => {
                "This address does not accept that method; see /api/docs for what it does accept."
            }
            413 => "The request body is larger than the server accepts.",
            415 => "The request body must be JSON, sent with Content-Type: application/json.",
            401 => "Sign in first: send Authorization: Bearer <token>.",
            _ => "The request could not be handled.",
        };
        Problem::new(status, detail)
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type(PROBLEM_JSON);
        if self.status == 401 {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        builder.body(serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string()))
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        Problem::of(&e)
    }
}

impl From<Failure> for Problem {
    fn from(f: Failure) -> Problem {
        let mut p = Problem::new(f.status, f.detail).with_errors(f.errors);
        p.error_id = f.error_id;
        p.retry_after_secs = f.retry_after_secs;
        p
    }
}

impl Problem {
    /// A service error as problem+json: the status and words of `http::failure::Failure::of`, the
    /// one mapping, which the portal's pages show too.
    pub fn of(e: &ServiceError) -> Problem {
        Problem::from(Failure::of(e))
    }
}

/// For `ErrorHandlers`: gives any error response that has no problem body one (the framework's own
/// 404, 405, 413 and the like), keeping its status and headers such as `Allow`.
pub fn ensure_problem_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    // Pages of the portal and problem bodies are already what the client should see.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut new = match old.error() {
        // An error the framework raised and rendered as text (a bad query string, say): keep its words.
        Some(err) if status.is_client_error() && status != StatusCode::NOT_FOUND => {
            Problem::new(status, err.to_string()).error_response()
        }
        _ => Problem::for_status(status).error_response(),
    };
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
