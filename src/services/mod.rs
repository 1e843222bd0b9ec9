//! Use cases: each function takes a connection and the acting account, runs in one transaction,
//! checks what the account may do, calls the domain, and writes rows, the audit event and any mail.
//! The API and the portal both call these; neither holds business logic.

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod auth;
pub mod error;
pub mod expenses;
pub mod exports;
pub mod groups;
pub mod input;
pub mod invitations;
pub mod letters;
pub mod limits;
pub mod meetings;
pub mod members;
pub mod outbox;
pub mod page;
pub mod payruns;
pub mod personal;
pub mod preferences;
pub mod rates;
pub mod receipts;
pub mod reports;
pub mod scope;
pub mod secrets;
pub mod statements;
pub mod summary;

pub use actor::{Actor, Role};
pub use error::{Error, FieldError, Result};
