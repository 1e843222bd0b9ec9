//! Receipts for expense claims, and a member's claims as they follow them. A receipt is added by
//! the member for their own claim while it waits, by the group's coordinator or by finance; seen
//! by whoever may see the claim; removed by whoever uploaded it, or the coordinator, while the
//! claim waits. Someone else's claim is "not found", as everywhere.

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::scope::{self, Access};
use super::{Error, Result};
use crate::db::meetings::{self as claims, ExpenseRow, MeetingRow};
use crate::db::receipts::{self as rows, ReceiptInfo, ReceiptRow};
use crate::db::{self, pay, people, write_tx, DbConnection};
use crate::domain::payrun::Disposition;
use crate::domain::receipts::{ReceiptFile, ReceiptType};
use crate::domain::records::{ClaimProgress, ClaimStatus, ExpenseKind, Miles};
use crate::domain::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    pub id: String,
    pub expense_id: String,
    /// The name it was uploaded with, made safe to send back.
    pub filename: String,
    /// Decided from the file's bytes when it was uploaded.
    pub content_type: ReceiptType,
    pub size_bytes: i64,
    /// SHA-256 of the file, in lower-case hex.
    pub sha256: String,
    /// The account that uploaded it.
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl From<&ReceiptInfo> for ReceiptView {
    fn from(r: &ReceiptInfo) -> ReceiptView {
        ReceiptView {
            id: r.id.clone(),
            expense_id: r.expense_id.clone(),
            filename: r.filename.clone(),
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            uploaded_by: r.uploaded_by.clone(),
            uploaded_at: instant(r.uploaded_at),
        }
    }
}

/// A receipt with its file, to send.
#[derive(Debug, Clone)]
pub struct Download {
    pub filename: String,
    pub content_type: ReceiptType,
    pub bytes: Vec<u8>,
}

/// What the actor wants to do with a claim's receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    See,
    Add,
}

const ONLY_WHILE_WAITING: &str =
    "This claim has been decided, so its receipts can no longer be added or removed.";

/// The claim and its meeting, if the actor may do `want` with its receipts: a member their own
/// claims (others' are not found), a coordinator their groups' claims, finance and admins all.
/// A member adds only while the claim waits.
fn claim_for(
    conn: &mut DbConnection,
    actor: &Actor,
    expense_id: &str,
    want: Want,
) -> Result<(ExpenseRow, MeetingRow)> {
    let claim = claims::find_expense(conn, expense_id)?.ok_or(Error::NotFound)?;
    let meeting = claims::find_meeting(conn, &claim.meeting_id)?.ok_or(Error::NotFound)?;
    match actor.role {
        Role::Member if !actor.is_member(&claim.member_id) => return Err(Error::NotFound),
        Role::Member | Role::Finance => {}
        Role::Coordinator | Role::Admin => {
            let access = if want == Want::See {
                Access::Read
            } else {
                Access::Write
            };
            scope::group(actor, &meeting.group_id, access)?;
        }
    }
    if want == Want::Add && actor.is(Role::Member) && claim.status != ClaimStatus::Pending {
        return Err(Error::Conflict(ONLY_WHILE_WAITING.into()));
    }
    Ok((claim, meeting))
}

/// Whether the actor may add a receipt to the claim, asked before its file is read, so that a file
/// for a claim that is not theirs, or decided, is not taken in first. `upload` asks again.
pub fn may_upload(conn: &mut DbConnection, actor: &Actor, expense_id: &str) -> Result<()> {
    claim_for(conn, actor, expense_id, Want::Add).map(|_| ())
}

/// Adds a checked file to a claim.
pub fn upload(
    conn: &mut DbConnection,
    actor: &Actor,
    expense_id: &str,
    file: ReceiptFile,
) -> Result<ReceiptView> {
    write_tx(conn, |conn| {
        claim_for(conn, actor, expense_id, Want::Add)?;
        let size_bytes =
            i64::try_from(file.len()).map_err(|_| Error::invalid("file", "is too large"))?;
        let row = ReceiptRow {
            id: db::new_id(),
            expense_id: expense_id.to_string(),
            filename: file.filename().to_string(),
            content_type: file.kind(),
            size_bytes,
            sha256: file.sha256().to_string(),
            uploaded_by: actor.account_id.clone(),
            uploaded_at: db::now(),
            bytes: file.into_bytes(),
        };
        rows::insert(conn, &row)?;
        let info = ReceiptInfo {
            id: row.id,
            expense_id: row.expense_id,
            filename: row.filename,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            uploaded_by: row.uploaded_by,
            uploaded_at: row.uploaded_at,
        };
        let view = ReceiptView::from(&info);
        audit::record(
            conn,
            Some(actor),
            Change::new("receipt.uploaded", "receipt", &view.id).after(&view),
        )?;
        Ok(view)
    })
}

/// A claim's receipts, oldest first.
pub fn of_claim(
    conn: &mut DbConnection,
    actor: &Actor,
    expense_id: &str,
) -> Result<Vec<ReceiptView>> {
    claim_for(conn, actor, expense_id, Want::See)?;
    Ok(rows::of_expenses(conn, &[expense_id.to_string()])?
        .iter()
        .map(ReceiptView::from)
        .collect())
}

/// One receipt with its file.
pub fn download(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<Download> {
    let info = rows::find(conn, id)?.ok_or(Error::NotFound)?;
    claim_for(conn, actor, &info.expense_id, Want::See)?;
    let row = rows::find_file(conn, id)?.ok_or(Error::NotFound)?;
    Ok(Download {
        filename: row.filename,
        content_type: row.content_type,
        bytes: row.bytes,
    })
}

/// Removes a receipt: whoever uploaded it, or the group's coordinator (or an admin), while the
/// claim waits.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<()> {
    write_tx(conn, |conn| {
        let info = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        // Whoever may not see the claim learns nothing, not even that it was decided.
        let (claim, meeting) = claim_for(conn, actor, &info.expense_id, Want::See)?;
        let coordinates = matches!(actor.role, Role::Coordinator | Role::Admin)
            && scope::group(actor, &meeting.group_id, Access::Write).is_ok();
        if info.uploaded_by != actor.account_id && !coordinates {
            return Err(Error::Forbidden(
                "Only the person who uploaded a receipt, or the group's coordinator, may remove it."
                    .into(),
            ));
        }
        if claim.status != ClaimStatus::Pending {
            return Err(Error::Conflict(ONLY_WHILE_WAITING.into()));
        }
        if !rows::delete(conn, id)? {
            return Err(Error::NotFound);
        }
        audit::record(
            conn,
            Some(actor),
            Change::new("receipt.deleted", "receipt", id).before(ReceiptView::from(&info)),
        )?;
        Ok(())
    })
}

/// The receipts of some claims, by claim: for pages that list claims.
pub fn of_claims(
    conn: &mut DbConnection,
    expense_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<ReceiptView>>> {
    let mut by_claim = std::collections::HashMap::<String, Vec<ReceiptView>>::new();
    for r in rows::of_expenses(conn, expense_ids)? {
        by_claim
            .entry(r.expense_id.clone())
            .or_default()
            .push(ReceiptView::from(&r));
    }
    Ok(by_claim)
}

/// One of a member's claims, as they follow it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberClaim {
    pub id: String,
    pub meeting_id: String,
    pub meeting_title: String,
    pub meeting_date: NaiveDate,
    pub kind: ExpenseKind,
    #[schema(value_type = Option<String>, example = "28")]
    pub miles: Option<Miles>,
    /// What was claimed; null for mileage, which is priced when paid.
    #[schema(value_type = Option<String>, example = "12.60")]
    pub amount: Option<Money>,
    pub description: Option<String>,
    /// `waiting`, `approved` (for the next pay run), `rejected` or `paid`.
    pub status: ClaimProgress,
    /// Why it was rejected (for `rejected`).
    pub reason: Option<String>,
    /// The approved pay run that took it (for `paid`).
    pub pay_run_id: Option<String>,
    /// That run's payment date.
    pub payment_date: Option<NaiveDate>,
    /// What that run gave for it (mileage priced at the approved rate).
    #[schema(value_type = Option<String>, example = "12.60")]
    pub paid_amount: Option<Money>,
    /// What became of it in that run: `paid`, or `declined` when the member declines expenses.
    pub disposition: Option<Disposition>,
    pub receipt_count: i64,
    pub created_at: String,
}

/// A member's claims, newest session first: the member themself, finance and admins all of them,
/// a coordinator those of their groups. Four queries, however many claims.
pub fn of_member(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<MemberClaim>> {
    scope::member(conn, actor, member_id, Access::Read)?;
    people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let only = actor.is(Role::Coordinator).then(|| actor.group_ids.clone());
    let found = claims::expenses_of_member(conn, member_id, only.as_deref())?;
    let ids: Vec<String> = found.iter().map(|(e, _)| e.id.clone()).collect();
    let counts: std::collections::HashMap<String, i64> =
        rows::counts(conn, &ids)?.into_iter().collect();
    // A claim's lines in its run (one, as a rule), added up.
    let mut taken = std::collections::HashMap::<String, pay::ExpenseLine>::new();
    for line in pay::expense_lines_in_approved_runs(conn, &ids)? {
        match taken.get_mut(&line.expense_id) {
            Some(first) => first.amount_pence += line.amount_pence,
            None => {
                taken.insert(line.expense_id.clone(), line);
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|(e, m)| {
            let run = taken.get(&e.id);
            MemberClaim {
                status: ClaimProgress::of(e.status, run.is_some()),
                reason: e
                    .rejection_reason
                    .clone()
                    .filter(|_| e.status == ClaimStatus::Rejected),
                pay_run_id: run.map(|r| r.pay_run_id.clone()),
                payment_date: run.map(|r| r.payment_date),
                disposition: run.map(|r| r.disposition),
                paid_amount: run.map(|r| Money::from_pence(r.amount_pence)),
                receipt_count: counts.get(&e.id).copied().unwrap_or(0),
                meeting_title: m.title,
                meeting_date: m.meeting_date,
                id: e.id,
                meeting_id: e.meeting_id,
                kind: e.kind,
                miles: e.miles_tenths.map(Miles::from_tenths),
                amount: e.amount_pence.map(Money::from_pence),
                description: e.description,
                created_at: instant(e.created_at),
            }
        })
        .collect())
}
