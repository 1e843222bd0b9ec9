//! The one error type of the use cases. The API turns it into problem+json; the portal into a page.

use serde::Serialize;

use crate::db::DbError;

/// A problem with one input field, named as the client sent it (`records[3].attended_minutes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Does not exist, or is not the caller's to see (never told apart, so ids cannot be probed).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The request is valid but the state of things does not allow it now.
    #[error("{0}")]
    Conflict(String),
    /// Well-formed input that breaks a rule.
    #[error("the request has {} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency (the database pool) is saturated or away for a moment.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Validation(vec![FieldError::new(field, message)])
    }
}

/// What a client is told when a write breaks a unique key: two people did the same thing at the
/// same moment (the checks before the write saw neither), or the thing exists already.
pub const UNIQUE_CONFLICT: &str =
    "This was changed at the same moment by someone else, or already exists; reload and try again.";

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        use diesel::result::{DatabaseErrorKind, Error as DieselError};
        match e {
            // A race the service's own checks cannot see is the client's to retry, not a 500.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = ?info.constraint_name(), "a unique key refused a write");
                Error::Conflict(UNIQUE_CONFLICT.into())
            }
            e => Error::Internal(anyhow::Error::new(e).context("database query failed")),
        }
    }
}

impl From<crate::export::Error> for Error {
    fn from(e: crate::export::Error) -> Error {
        Error::Internal(e.into_cause())
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Error {
        match e {
            DbError::Pool(p) => Error::Unavailable(format!("the database is busy: {p}")),
            DbError::Query(q) => Error::from(q),
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error as DieselError};

    fn unique_violation() -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key value violates unique constraint".to_string()),
        )
    }

    #[test]
    fn a_unique_key_violation_is_a_conflict_in_plain_words() {
        for e in [
            Error::from(unique_violation()),
            Error::from(DbError::Query(unique_violation())),
        ] {
            match e {
                Error::Conflict(m) => assert_eq!(m, UNIQUE_CONFLICT),
                other => panic!("expected a conflict, got {other:?}"),
            }
        }
    }

    #[test]
    fn other_database_errors_stay_internal_with_their_cause() {
        let e = Error::from(DieselError::DatabaseError(
            DatabaseErrorKind::ForeignKeyViolation,
            Box::new("insert or update violates foreign key constraint".to_string()),
        ));
        match e {
            Error::Internal(cause) => {
                let chain = format!("{cause:#}");
                assert!(chain.contains("database query failed"), "{chain}");
                assert!(chain.contains("foreign key"), "{chain}");
            }
            other => panic!("expected an internal error, got {other:?}"),
        }
        assert!(matches!(
            Error::from(DbError::Query(DieselError::NotFound)),
            Error::Internal(_)
        ));
    }
}
