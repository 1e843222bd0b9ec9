//! Rows and queries of rate cards, preferences, adjustments, pay runs, their lines and payments, and
//! `pay_claims` (what approved runs have taken), one file a job. Callers use `db::pay::…`.

mod adjustments;
mod inputs;
mod preferences;
mod rate_cards;
mod runs;

pub use adjustments::*;
pub use inputs::*;
pub use preferences::*;
pub use rate_cards::*;
pub use runs::*;

use crate::domain::payrun::RunStatus;

/// Statuses of a run that has been approved (and so holds its lines for good).
pub const APPROVED: [RunStatus; 3] = [RunStatus::Approved, RunStatus::Exported, RunStatus::Paid];
