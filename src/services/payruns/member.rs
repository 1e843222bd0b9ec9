//! A member's approved payments with their lines, newest first.

use chrono::NaiveDate;
use serde::Serialize;

use super::views::{LineView, PaymentView};
use crate::db::pay::{self as rows};
use crate::db::people;
use crate::db::DbConnection;
use crate::domain::payrun::{Disposition, RunStatus};
use crate::domain::Money;
use crate::services::actor::{Actor, Role};
use crate::services::page::{cursor_of, Page, PageRequest};
use crate::services::scope::{self, Access};
use crate::services::{Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberRunView {
    pub pay_run_id: String,
    /// `approved`, `exported` or `paid`.
    pub status: RunStatus,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    /// Paid to the member in this run (fees and expenses).
    #[schema(value_type = String, example = "207.60")]
    pub total_to_member: Money,
    #[schema(value_type = String, example = "179.50")]
    pub carried_forward: Money,
    #[schema(value_type = String, example = "0.00")]
    pub donated: Money,
    pub payments: Vec<PaymentView>,
    pub lines: Vec<LineView>,
}

/// A member's approved payments, newest first: the member, finance, admins and their coordinators.
pub fn of_member(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    page: &PageRequest,
) -> Result<Page<MemberRunView>> {
    // A member's own record exists (their account names it); anyone else's is looked up.
    if !actor.is_member(member_id) && people::find_member(conn, member_id)?.is_none() {
        return Err(Error::NotFound);
    }
    scope::member(conn, actor, member_id, Access::Read)?;
    let limit = page.limit()?;
    let before: Option<(NaiveDate, String)> = page.after()?;
    // Coordinators see the runs of their own groups; a member's pay from elsewhere is not theirs.
    let only = (actor.role == Role::Coordinator).then_some(actor.group_ids.as_slice());
    let runs = rows::member_runs(
        conn,
        member_id,
        only,
        before.as_ref().map(|(d, i)| (*d, i.as_str())),
        limit + 1,
    )?;
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let lines = rows::member_lines(conn, member_id, &ids)?;
    let pays = rows::member_payments(conn, member_id, &ids)?;
    Ok(Page::from_rows(
        runs,
        limit,
        |r| cursor_of(&(r.payment_date, r.id.clone())),
        |r| {
            let my_lines: Vec<LineView> = lines
                .iter()
                .filter(|l| l.pay_run_id == r.id)
                .map(LineView::from)
                .collect();
            let my_pays: Vec<PaymentView> = pays
                .iter()
                .filter(|p| p.pay_run_id == r.id)
                .map(PaymentView::from)
                .collect();
            let sum = |d: Disposition| -> Money {
                my_lines
                    .iter()
                    .filter(|l| l.disposition == d)
                    .map(|l| l.amount)
                    .sum()
            };
            MemberRunView {
                pay_run_id: r.id.clone(),
                status: r.status,
                period_start: r.period_start,
                period_end: r.period_end,
                payment_date: r.payment_date,
                paid_on: r.paid_on,
                total_to_member: my_pays
                    .iter()
                    .filter(|p| p.payee.kind == "member")
                    .map(|p| p.total)
                    .sum(),
                carried_forward: sum(Disposition::CarriedForward),
                donated: sum(Disposition::Donated),
                payments: my_pays,
                lines: my_lines,
            }
        },
    ))
}
