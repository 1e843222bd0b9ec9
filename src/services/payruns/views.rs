//! What callers see of a run: its totals by method and outcome, its lines and payments, and who
//! is paid (the member, or a charity).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::pay::{self as rows, PayLineRow, PayRunRow, PaymentRow};
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, LineKind, Method, Payee, RunStatus};
use crate::domain::Money;
use crate::services::audit::instant;
use crate::services::{Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayeeView {
    /// `member` or `charity`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The charity's name; null for the member.
    pub name: Option<String>,
}

pub(super) fn payee_text(p: &Payee) -> String {
    match p {
        Payee::Member => "member".into(),
        Payee::Charity(name) => format!("charity:{name}"),
    }
}

pub fn payee_view(s: &str) -> PayeeView {
    match s.strip_prefix("charity:") {
        Some(name) => PayeeView {
            kind: "charity".into(),
            name: Some(name.to_string()),
        },
        None => PayeeView {
            kind: "member".into(),
            name: None,
        },
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayRunView {
    pub id: String,
    pub group_id: Option<String>,
    pub status: RunStatus,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
    pub payment_count: i32,
    pub line_count: i32,
    /// Money paid out: the sum of the payments (to members and to charities).
    #[schema(value_type = String, example = "195.50")]
    pub total: Money,
    #[schema(value_type = BTreeMap<String, String>)]
    pub totals_by_method: BTreeMap<String, Money>,
    #[schema(value_type = BTreeMap<String, String>)]
    pub totals_by_disposition: BTreeMap<String, Money>,
    /// What was left out of the draft and why (no rate card, no role, no benefit-limit figure).
    pub warnings: Vec<String>,
    pub calculated_at: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub exported_at: Option<String>,
    /// How many times finance has exported the run.
    pub export_count: i32,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    pub marked_paid_by: Option<String>,
    pub cancelled_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub id: String,
    pub pay_run_id: String,
    pub member_id: String,
    pub meeting_id: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub kind: LineKind,
    /// What the line pays for: `attendance`, `expense`, `adjustment` or `carried` (a balance).
    pub source_kind: SourceKind,
    pub source_id: String,
    pub rate_card_id: Option<String>,
    /// The rule used, and why it applies.
    pub rule: Option<String>,
    /// The hourly rate, band amount, fixed amount or claimed amount used.
    #[schema(value_type = Option<String>, example = "25.00")]
    pub rate: Option<Money>,
    pub minutes: Option<i32>,
    #[schema(value_type = String, example = "41.67")]
    pub amount: Money,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub payee: Option<PayeeView>,
    /// How the amount was worked out, in words.
    pub explanation: String,
}

impl From<&PayLineRow> for LineView {
    fn from(l: &PayLineRow) -> LineView {
        LineView {
            id: l.id.clone(),
            pay_run_id: l.pay_run_id.clone(),
            member_id: l.member_id.clone(),
            meeting_id: l.meeting_id.clone(),
            meeting_date: l.meeting_date,
            kind: l.kind,
            source_kind: l.source_kind,
            source_id: l.source_id.clone(),
            rate_card_id: l.rate_card_id.clone(),
            rule: l.rule.clone(),
            rate: l.rate_pence.map(Money::from_pence),
            minutes: l.minutes,
            amount: Money::from_pence(l.amount_pence),
            disposition: l.disposition,
            method: l.method,
            payee: l.payee.as_deref().map(payee_view),
            explanation: l.explanation.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub pay_run_id: String,
    pub payee: PayeeView,
    pub member_id: String,
    pub method: Method,
    #[schema(value_type = String, example = "150.00")]
    pub fee_amount: Money,
    #[schema(value_type = String, example = "12.60")]
    pub expenses_amount: Money,
    #[schema(value_type = String, example = "162.60")]
    pub total: Money,
}

impl From<&PaymentRow> for PaymentView {
    fn from(p: &PaymentRow) -> PaymentView {
        PaymentView {
            id: p.id.clone(),
            pay_run_id: p.pay_run_id.clone(),
            payee: payee_view(&p.payee),
            member_id: p.member_id.clone(),
            method: p.method,
            fee_amount: Money::from_pence(p.fee_pence),
            expenses_amount: Money::from_pence(p.expenses_pence),
            total: Money::from_pence(p.total_pence),
        }
    }
}

pub(super) fn run_view(conn: &mut DbConnection, r: &PayRunRow) -> Result<PayRunView> {
    let mut views = run_views(conn, std::slice::from_ref(r))?;
    views.pop().ok_or(Error::NotFound)
}

/// The views of runs, with their totals by method and by disposition: two grouped queries for any
/// number of runs.
pub(super) fn run_views(conn: &mut DbConnection, runs: &[PayRunRow]) -> Result<Vec<PayRunView>> {
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    type Sums = HashMap<String, BTreeMap<String, Money>>;
    let mut by_method: Sums = HashMap::new();
    for (run, method, pence) in rows::payment_amounts(conn, &ids)? {
        *by_method
            .entry(run)
            .or_default()
            .entry(method)
            .or_insert(Money::ZERO) += Money::from_pence(pence);
    }
    let mut by_disposition: Sums = HashMap::new();
    for (run, d, pence) in rows::line_amounts(conn, &ids)? {
        *by_disposition
            .entry(run)
            .or_default()
            .entry(d)
            .or_insert(Money::ZERO) += Money::from_pence(pence);
    }
    Ok(runs
        .iter()
        .map(|r| {
            view_of(
                r,
                by_method.remove(&r.id).unwrap_or_default(),
                by_disposition.remove(&r.id).unwrap_or_default(),
            )
        })
        .collect())
}

fn view_of(
    r: &PayRunRow,
    by_method: BTreeMap<String, Money>,
    by_disposition: BTreeMap<String, Money>,
) -> PayRunView {
    PayRunView {
        id: r.id.clone(),
        group_id: r.group_id.clone(),
        status: r.status,
        period_start: r.period_start,
        period_end: r.period_end,
        payment_date: r.payment_date,
        payment_count: r.payment_count,
        line_count: r.line_count,
        total: Money::from_pence(r.total_pence),
        totals_by_method: by_method,
        totals_by_disposition: by_disposition,
        warnings: serde_json::from_str(&r.warnings).unwrap_or_default(),
        calculated_at: instant(r.calculated_at),
        created_by: r.created_by.clone(),
        created_at: instant(r.created_at),
        approved_by: r.approved_by.clone(),
        approved_at: r.approved_at.map(instant),
        exported_at: r.exported_at.map(instant),
        export_count: r.export_count,
        paid_on: r.paid_on,
        paid_reference: r.paid_reference.clone(),
        marked_paid_by: r.marked_paid_by.clone(),
        cancelled_at: r.cancelled_at.map(instant),
    }
}
