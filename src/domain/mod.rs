//! Pure rules and types: no I/O, no database, no HTTP. Money, periods, rate cards, preferences and
//! caps, expenses and the pay-run calculation live here, with their unit and property tests.

pub mod codes;
pub mod draft;
pub mod email;
pub mod limits;
pub mod money;
pub mod password;
pub mod payrun;
pub mod periods;
pub mod rates;
pub mod receipts;
pub mod records;
pub mod role;
pub mod statement;

pub use email::EmailAddress;
pub use money::Money;
pub use password::NewPassword;
pub use role::Role;
