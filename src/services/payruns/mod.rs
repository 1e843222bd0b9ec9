//! Pay runs: a draft computed from what has been recorded, recalculated or cancelled while a draft,
//! approved by finance against the total and count they reviewed, then marked paid. Approval takes
//! every source of the run's lines in `pay_claims`, whose primary key makes it impossible for a
//! source to be in two approved runs however approvals interleave; taken sources (attendance,
//! expenses) are locked from then on, and corrections are adjustments paid by the next run.

mod adjustments;
mod compare;
mod gather;
mod member;
mod notices;
mod views;
mod workflow;

pub use adjustments::{adjust, adjustments_of, all_adjustments, AdjustmentView, NewAdjustment};
pub use gather::gather;
pub use member::{of_member, MemberRunView};
pub use views::{payee_view, LineView, PayRunView, PayeeView, PaymentView};
pub use workflow::{
    approve, cancel, create, get, lines, list, mark_paid, payments, recalculate, NewRun,
};

/// Settings of the pay-run workflow.
#[derive(Debug, Clone)]
pub struct RunPolicy {
    /// Refuse an approver who created the run (four eyes).
    pub approver_must_differ: bool,
    /// `server.public_url` without a trailing slash, for links in the payment emails.
    pub base_url: String,
}

/// The longest period one run may cover.
pub(super) const MAX_PERIOD_DAYS: i64 = 400;
