//! The one mapping from a service error to what a person is told: a status, the words, the fields
//! at fault, the reference of an internal error (logged here with its cause chain) and how long to
//! wait. The API sends it as problem+json (`api::error::Problem`); the portal shows the same words
//! on a page (`web::error_page`).

use actix_web::http::StatusCode;

use crate::services::{Error, FieldError};

/// What a client is told when there is nothing to see at an address, or they may not see it.
pub const NOT_FOUND: &str = "There is nothing here, or you may not see it.";

/// A service error as it is told.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// For server errors: a reference to quote when asking for help.
    pub error_id: Option<String>,
    pub retry_after_secs: Option<u32>,
}

impl Failure {
    fn new(status: StatusCode, detail: impl Into<String>) -> Failure {
        Failure {
            status,
            detail: detail.into(),
            errors: Vec::new(),
            error_id: None,
            retry_after_secs: None,
        }
    }

    /// The status's own name (`Not Found`).
    pub fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }

    pub fn of(e: &Error) -> Failure {
        match e {
            Error::NotFound => Failure::new(StatusCode::NOT_FOUND, NOT_FOUND),
            Error::Unauthorized(m) => Failure::new(StatusCode::UNAUTHORIZED, m.clone()),
            Error::Forbidden(m) => Failure::new(StatusCode::FORBIDDEN, m.clone()),
            Error::Conflict(m) => Failure::new(StatusCode::CONFLICT, m.clone()),
            Error::Validation(errors) => Failure {
                errors: errors.clone(),
                ..Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Some fields are not valid; see errors.",
                )
            },
            Error::TooManyRequests { retry_after_secs } => Failure {
                retry_after_secs: Some(u32::try_from(*retry_after_secs).unwrap_or(u32::MAX)),
                ..Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("Too many attempts. Try again in {retry_after_secs} seconds."),
                )
            },
            Error::Unavailable(cause) => {
                tracing::warn!(%cause, "answering 503");
                Failure {
                    retry_after_secs: Some(2),
                    ..Failure::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The service is busy for a moment. Please try again.",
                    )
                }
            }
            Error::Internal(cause) => internal(cause),
        }
    }
}

/// Logs `cause` with its chain and returns a 500 that shows only a reference.
pub fn internal(cause: &anyhow::Error) -> Failure {
    let id = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
    tracing::error!(error_id = %id, error = ?cause, "internal error");
    Failure {
        error_id: Some(id.clone()),
        ..Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Something went wrong on our side. If it happens again, quote reference {id}."),
        )
    }
}
