//! Expense claims for a meeting: made by a coordinator, or by the member for themself; approved, or
//! rejected with a reason, by a coordinator. Mileage is claimed in miles: the remuneration engine
//! prices it at the approved rate for the tax year.

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::receipts::{self, ReceiptView};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::meetings::{self as rows, Decision, ExpenseRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::records::{is_late, CareType, ClaimStatus, ExpenseKind, Miles};
use crate::domain::Money;

/// When a claim is late: its session more than `after_days` days before `today`
/// (`expenses.late_after_days`). A late claim is approved only with a reason on the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    pub today: NaiveDate,
    pub after_days: u32,
}

impl Lateness {
    /// As the settings say, today in the organisation's time zone.
    pub fn from_settings(settings: &crate::config::Settings) -> Lateness {
        Lateness {
            today: settings.today(),
            after_days: settings.expenses.late_after_days,
        }
    }

    pub fn of(&self, session: NaiveDate) -> bool {
        is_late(session, self.today, self.after_days)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpenseView {
    pub id: String,
    pub meeting_id: String,
    pub member_id: String,
    pub kind: ExpenseKind,
    pub care_type: Option<CareType>,
    #[schema(value_type = Option<String>, example = "28")]
    pub miles: Option<Miles>,
    pub passengers: i32,
    /// Null for mileage, which is priced when paid.
    #[schema(value_type = Option<String>, example = "12.60")]
    pub amount: Option<Money>,
    pub receipt_ref: Option<String>,
    pub description: Option<String>,
    pub status: ClaimStatus,
    pub rejection_reason: Option<String>,
    /// Why it was approved although its session was long past (`expenses.late_after_days`).
    pub late_reason: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

impl From<&ExpenseRow> for ExpenseView {
    fn from(r: &ExpenseRow) -> ExpenseView {
        ExpenseView {
            id: r.id.clone(),
            meeting_id: r.meeting_id.clone(),
            member_id: r.member_id.clone(),
            kind: r.kind,
            care_type: r.care_type,
            miles: r.miles_tenths.map(Miles::from_tenths),
            passengers: r.passengers,
            amount: r.amount_pence.map(Money::from_pence),
            receipt_ref: r.receipt_ref.clone(),
            description: r.description.clone(),
            status: r.status,
            rejection_reason: r.rejection_reason.clone(),
            late_reason: r.late_reason.clone(),
            decided_at: r.decided_at.map(instant),
            created_at: instant(r.created_at),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewExpense {
    pub member_id: String,
    pub kind: ExpenseKind,
    pub care_type: Option<CareType>,
    pub miles: Option<Miles>,
    pub passengers: Option<i64>,
    pub amount: Option<Money>,
    pub receipt_ref: Option<String>,
    pub description: Option<String>,
}

/// The rules of a claim's fields for its kind.
fn check(e: &NewExpense) -> Result<()> {
    let mut errors = Vec::new();
    if e.kind.is_mileage() {
        if e.miles.is_none() {
            errors.push(FieldError::new("miles", "is needed for a mileage claim"));
        }
        if e.amount.is_some() {
            errors.push(FieldError::new(
                "amount",
                "is worked out from the miles at the approved rate; leave it out",
            ));
        }
    } else {
        match e.amount {
            None => errors.push(FieldError::new(
                "amount",
                "is needed for this kind of claim",
            )),
            Some(a) if !a.is_positive() => {
                errors.push(FieldError::new("amount", "must be more than 0.00"))
            }
            Some(a) if a > Money::from_pence(1_000_000) => errors.push(FieldError::new(
                "amount",
                "must be at most 10000.00 for one claim",
            )),
            Some(_) => {}
        }
        if e.miles.is_some() {
            errors.push(FieldError::new(
                "miles",
                "only mileage claims (car, motorcycle, bicycle) have miles",
            ));
        }
    }
    match e.passengers {
        None | Some(0) => {}
        Some(p) if e.kind == ExpenseKind::Car && (1..=8).contains(&p) => {}
        Some(_) if e.kind != ExpenseKind::Car => errors.push(FieldError::new(
            "passengers",
            "only car journeys carry passengers",
        )),
        Some(_) => errors.push(FieldError::new("passengers", "must be between 0 and 8")),
    }
    if e.care_type.is_some() && e.kind != ExpenseKind::Care {
        errors.push(FieldError::new("care_type", "is only for care claims"));
    }
    for (field, v, max) in [
        ("receipt_ref", &e.receipt_ref, 200),
        ("description", &e.description, 2000),
    ] {
        if v.as_ref().is_some_and(|v| v.chars().count() > max) {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }
    if e.kind == ExpenseKind::Other && e.description.as_deref().is_none_or(|d| d.trim().is_empty())
    {
        errors.push(FieldError::new(
            "description",
            "is needed to say what an `other` claim is for",
        ));
    }
    input::finish(errors)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
    input: NewExpense,
) -> Result<ExpenseView> {
    check(&input)?;
    write_tx(conn, |conn| {
        let meeting = rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
        let cancelled = meeting.cancelled_at.is_some();
        match actor.role {
            // A member claims for themself, for a meeting of a group they belong to.
            // Another member's records are not theirs to see: 404, as everywhere else.
            Role::Member => {
                if !actor.is_member(&input.member_id) {
                    return Err(Error::NotFound);
                }
            }
            _ => scope::group(actor, &meeting.group_id, Access::Write)?,
        }
        if cancelled {
            return Err(Error::Conflict(
                "The session was cancelled, so no expenses can be claimed for it.".into(),
            ));
        }
        crate::services::personal::refuse_if_erased(conn, &input.member_id)?;
        let in_group = people::register_members(conn, &meeting.group_id, meeting.meeting_date)?
            .into_iter()
            .any(|(_, m)| m.id == input.member_id);
        if !in_group {
            return match actor.role {
                Role::Member => Err(Error::NotFound),
                _ => Err(Error::invalid(
                    "member_id",
                    "is not a current member of this group on the meeting's date",
                )),
            };
        }
        let now = db::now();
        let row = ExpenseRow {
            id: db::new_id(),
            meeting_id: meeting_id.to_string(),
            member_id: input.member_id.clone(),
            kind: input.kind,
            care_type: input.care_type,
            miles_tenths: input.miles.map(Miles::tenths),
            passengers: input
                .passengers
                .and_then(|p| i32::try_from(p).ok())
                .unwrap_or(0),
            amount_pence: input.amount.map(Money::pence),
            receipt_ref: input.receipt_ref.clone(),
            description: input.description.clone(),
            status: ClaimStatus::Pending,
            decided_by: None,
            decided_at: None,
            rejection_reason: None,
            created_by: Some(actor.account_id.clone()),
            created_at: now,
            updated_at: now,
            late_reason: None,
        };
        rows::insert_expense(conn, &row)?;
        let view = ExpenseView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("expense.created", "expense", &row.id).after(&view),
        )?;
        Ok(view)
    })
}

/// Approves, or rejects with a reason, a pending claim. Coordinators of the group and admins. A
/// claim whose session is late (`late`) is approved only with a reason, kept as its `late_reason`.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    approve: bool,
    reason: Option<&str>,
    late: Lateness,
) -> Result<ExpenseView> {
    actor.require(&[Role::Admin, Role::Coordinator])?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(Error::invalid(
            "reason",
            "say why the claim is rejected; the member will see it",
        ));
    }
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(Error::invalid("reason", "must be at most 1000 characters"));
    }
    write_tx(conn, |conn| {
        let before = rows::find_expense(conn, id)?.ok_or(Error::NotFound)?;
        let meeting = rows::find_meeting(conn, &before.meeting_id)?.ok_or(Error::NotFound)?;
        scope::group(actor, &meeting.group_id, Access::Write)?;
        let decided = || Error::Conflict(format!("This claim was already {}.", before.status));
        if before.status != ClaimStatus::Pending {
            return Err(decided());
        }
        let overdue = late.of(meeting.meeting_date);
        if approve && overdue && reason.is_none() {
            return Err(Error::invalid(
                "reason",
                format!(
                    "is needed: the session was more than {} days ago, so say why this late claim is approved",
                    late.after_days
                ),
            ));
        }
        let decision = Decision {
            status: if approve {
                ClaimStatus::Approved
            } else {
                ClaimStatus::Rejected
            },
            by: &actor.account_id,
            rejection_reason: reason.filter(|_| !approve),
            late_reason: reason.filter(|_| approve && overdue),
        };
        if !rows::decide_expense(conn, id, decision, db::now())? {
            return Err(decided());
        }
        let after = rows::find_expense(conn, id)?.ok_or(Error::NotFound)?;
        let view = ExpenseView::from(&after);
        audit::record(
            conn,
            Some(actor),
            Change::new(
                if approve {
                    "expense.approved"
                } else {
                    "expense.rejected"
                },
                "expense",
                id,
            )
            .before(ExpenseView::from(&before))
            .after(&view)
            .reason(reason),
        )?;
        Ok(view)
    })
}

/// A meeting's claims: staff who may see its group.
pub fn of_meeting(
    conn: &mut DbConnection,
    actor: &Actor,
    meeting_id: &str,
) -> Result<Vec<ExpenseView>> {
    scope::require_staff(actor)?;
    let meeting = rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
    scope::group(actor, &meeting.group_id, Access::Read)?;
    Ok(rows::expenses_of_meeting(conn, meeting_id)?
        .iter()
        .map(ExpenseView::from)
        .collect())
}

/// A claim waiting for a decision, with what a coordinator needs to decide it.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingClaim {
    pub claim: ExpenseView,
    pub meeting_title: String,
    pub meeting_date: chrono::NaiveDate,
    pub member_name: String,
    /// Its session is long past: approving it needs a reason.
    pub late: bool,
    pub receipts: Vec<ReceiptView>,
}

/// The most waiting claims one list shows.
pub const MAX_WAITING: i64 = 500;

/// Claims waiting for a decision, oldest meeting first, with their receipts: a coordinator's own
/// groups, or every group for an admin. Three queries.
pub fn waiting(
    conn: &mut DbConnection,
    actor: &Actor,
    late: Lateness,
) -> Result<Vec<WaitingClaim>> {
    actor.require(&[Role::Admin, Role::Coordinator])?;
    let only = actor.is(Role::Coordinator).then(|| actor.group_ids.clone());
    let rows = rows::pending_expenses(conn, only.as_deref(), MAX_WAITING)?;
    let ids: Vec<String> = rows.iter().map(|(e, _)| e.member_id.clone()).collect();
    let names: std::collections::HashMap<String, String> = people::members_by_ids(conn, &ids)?
        .into_iter()
        .map(|m| (m.id, m.preferred_name.unwrap_or(m.full_name)))
        .collect();
    let claim_ids: Vec<String> = rows.iter().map(|(e, _)| e.id.clone()).collect();
    let mut files = receipts::of_claims(conn, &claim_ids)?;
    Ok(rows
        .into_iter()
        .map(|(e, m)| WaitingClaim {
            claim: ExpenseView::from(&e),
            late: late.of(m.meeting_date),
            meeting_title: m.title,
            meeting_date: m.meeting_date,
            member_name: names.get(&e.member_id).cloned().unwrap_or_default(),
            receipts: files.remove(&e.id).unwrap_or_default(),
        })
        .collect())
}
