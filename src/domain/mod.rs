//! Pure rules and types: no I/O, no database, no HTTP. Money, periods, rate cards, preferences and
//! caps, expenses, the pay-run calculation, the formats members read in and the reading grade live
//! here, with their unit and property tests.

pub mod calendar;
pub mod codes;
pub mod draft;
pub mod email;
pub mod formats;
pub mod invitations;
pub mod letter;
pub mod limits;
pub mod money;
pub mod password;
pub mod payrun;
pub mod periods;
pub mod personal;
pub mod rates;
pub mod reading;
pub mod receipts;
pub mod records;
pub mod role;
pub mod statement;
pub mod summary;

pub use email::EmailAddress;
pub use money::Money;
pub use password::NewPassword;
pub use role::Role;
