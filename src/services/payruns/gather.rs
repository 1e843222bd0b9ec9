//! The calculation's shell: load a run's inputs in a fixed number of statements, price them with
//! the pure `domain::draft::build`, and store the lines and payments in multi-row inserts.

use chrono::{Days, NaiveDate};

use super::views::payee_text;
use crate::db::pay::{self as rows, PayLineRow, PayRunRow, PaymentRow};
use crate::db::{self, DbConnection};
use crate::domain::draft::{self, Draft, Inputs};
use crate::domain::payrun::AdjustmentKind;
use crate::domain::periods::TaxYear;
use crate::domain::Money;
use crate::services::{preferences, rates, Result};

/// Loads everything a draft needs: a fixed number of queries, whatever the size of the run.
pub fn gather(
    conn: &mut DbConnection,
    group: Option<&str>,
    start: NaiveDate,
    end: NaiveDate,
    payment_date: NaiveDate,
) -> Result<Inputs> {
    let sessions: Vec<draft::Session> = rows::unpaid_sessions(conn, group, end)?
        .into_iter()
        .map(|s| draft::Session {
            attendance_id: s.attendance_id,
            member_id: s.member_id,
            group_id: s.group_id,
            meeting_id: s.meeting_id,
            meeting_title: s.title,
            meeting_date: s.meeting_date,
            activity_kind: s.activity_kind,
            role_override: s.role_override,
            attended_minutes: s.attended_minutes.unwrap_or(s.duration_minutes),
            prep_minutes: s.prep_minutes,
            prep_allowed: s.prep_minutes_allowed,
        })
        .collect();
    let claims: Vec<draft::Claim> = rows::unpaid_claims(conn, group, end)?
        .into_iter()
        .map(|c| draft::Claim {
            expense_id: c.expense_id,
            member_id: c.member_id,
            group_id: c.group_id,
            meeting_id: c.meeting_id,
            meeting_title: c.title,
            meeting_date: c.meeting_date,
            kind: c.kind,
            miles_tenths: c.miles_tenths,
            passengers: c.passengers,
            amount: c.amount_pence.map(Money::from_pence),
        })
        .collect();
    // Late sessions and claims of earlier periods are priced by the cards and mileage of their
    // own dates.
    let earliest = sessions
        .iter()
        .map(|s| s.meeting_date)
        .chain(claims.iter().map(|c| c.meeting_date))
        .fold(start, NaiveDate::min);
    let car_journeys = car_journeys(conn, earliest, end)?;
    let memberships = memberships(conn, group)?;
    let adjustments = adjustments(conn, group)?;
    let balances = balances(conn)?;
    let paid_fees = paid_fees_around(conn, payment_date)?;
    let choices = rows::preferences_until(conn, payment_date)?
        .iter()
        .map(preferences::choices_of)
        .collect();
    let card_rows = rows::cards_overlapping(conn, earliest, end)?;
    let ids: Vec<String> = card_rows.iter().map(|c| c.id.clone()).collect();
    let rule_rows = rows::rules_of(conn, &ids)?;
    Ok(Inputs {
        group: group.map(str::to_string),
        period_start: Some(start),
        payment_date: Some(payment_date),
        sessions,
        memberships,
        claims,
        car_journeys,
        adjustments,
        balances,
        paid_fees,
        choices,
        cards: rates::domain_cards(&card_rows, &rule_rows),
        limits: crate::services::limits::load(conn)?,
    })
}

/// Car journeys of the tax years the run's items fall in: the mileage rate depends on the miles
/// driven so far in the tax year.
fn car_journeys(
    conn: &mut DbConnection,
    earliest: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<draft::CarJourney>> {
    Ok(rows::car_journeys(
        conn,
        TaxYear::containing(earliest).range().start,
        TaxYear::containing(end).range().end,
    )?
    .into_iter()
    .map(|j| draft::CarJourney {
        expense_id: j.expense_id,
        member_id: j.member_id,
        meeting_date: j.meeting_date,
        tenths: j.miles_tenths.unwrap_or(0),
        paid: j.paid_by.is_some(),
    })
    .collect())
}

/// Members' roles in the run's group (or every group) over time.
fn memberships(conn: &mut DbConnection, group: Option<&str>) -> Result<Vec<draft::Membership>> {
    Ok(rows::memberships_in(conn, group)?
        .into_iter()
        .map(|m| draft::Membership {
            member_id: m.member_id,
            group_id: m.group_id,
            role: m.role,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        })
        .collect())
}

/// Adjustments no run has paid yet, in the run's scope.
fn adjustments(conn: &mut DbConnection, group: Option<&str>) -> Result<Vec<draft::Adjustment>> {
    Ok(rows::pending_adjustments(conn, group)?
        .into_iter()
        .map(|a| draft::Adjustment {
            id: a.id,
            member_id: a.member_id,
            group_id: a.group_id,
            is_fee: a.kind == AdjustmentKind::Fee,
            amount: Money::from_pence(a.amount_pence),
            reason: a.reason,
        })
        .collect())
}

/// Every open balance: a member's balances are paid first in any run that pays them.
fn balances(conn: &mut DbConnection) -> Result<Vec<draft::Balance>> {
    Ok(rows::open_balances(conn, None)?
        .into_iter()
        .map(|(l, paid_on)| draft::Balance {
            line_id: l.id,
            member_id: l.member_id,
            group_id: l.group_id,
            meeting_id: l.meeting_id,
            meeting_date: l.meeting_date,
            amount: Money::from_pence(l.amount_pence),
            from_payment_date: paid_on,
        })
        .collect())
}

/// Fees already paid around the payment date: every cap period holding it lies within a year
/// either side of it.
fn paid_fees_around(
    conn: &mut DbConnection,
    payment_date: NaiveDate,
) -> Result<Vec<draft::PaidFee>> {
    Ok(rows::paid_fees_between(
        conn,
        payment_date - Days::new(367),
        payment_date + Days::new(367),
    )?
    .into_iter()
    .filter_map(|p| {
        Some(draft::PaidFee {
            member_id: p.member_id,
            payment_date: p.payment_date,
            method: p.method?,
            amount: Money::from_pence(p.amount_pence),
        })
    })
    .collect())
}

pub(super) fn compute(conn: &mut DbConnection, run: &PayRunRow) -> Result<Draft> {
    let inputs = gather(
        conn,
        run.group_id.as_deref(),
        run.period_start,
        run.period_end,
        run.payment_date,
    )?;
    Ok(draft::build(&inputs))
}

/// A draft as rows of the run.
pub(super) fn to_rows(run_id: &str, d: &Draft) -> (Vec<PayLineRow>, Vec<PaymentRow>) {
    let lines = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| PayLineRow {
            id: db::new_id(),
            pay_run_id: run_id.to_string(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            member_id: l.member_id.clone(),
            group_id: l.group_id.clone(),
            meeting_id: l.meeting_id.clone(),
            meeting_date: l.meeting_date,
            source_kind: l.source_kind,
            source_id: l.source_id.clone(),
            kind: l.kind,
            disposition: l.disposition,
            method: l.method,
            payee: l.payee.as_ref().map(payee_text),
            amount_pence: l.amount.pence(),
            minutes: l.minutes,
            rate_pence: l.rate.map(Money::pence),
            rate_card_id: l.rate_card_id.clone(),
            rule: l.rule.clone(),
            explanation: l.explanation.clone(),
        })
        .collect();
    let payments = d
        .payments
        .iter()
        .enumerate()
        .map(|(i, p)| PaymentRow {
            id: db::new_id(),
            pay_run_id: run_id.to_string(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            member_id: p.member_id.clone(),
            payee: payee_text(&p.payee),
            method: p.method,
            fee_pence: p.fee_amount.pence(),
            expenses_pence: p.expenses_amount.pence(),
            total_pence: p.total.pence(),
        })
        .collect();
    (lines, payments)
}

/// Writes a draft's lines and payments in place of the run's old ones, and its totals on the run.
pub(super) fn store(conn: &mut DbConnection, run: &mut PayRunRow, d: &Draft) -> Result<()> {
    let (lines, payments) = to_rows(&run.id, d);
    rows::replace_lines(conn, &run.id, &lines, &payments)?;
    run.payment_count = i32::try_from(payments.len()).unwrap_or(i32::MAX);
    run.line_count = i32::try_from(lines.len()).unwrap_or(i32::MAX);
    run.total_pence = d.total().pence();
    run.warnings = serde_json::to_string(&d.warnings).unwrap_or_else(|_| "[]".into());
    run.calculated_at = db::now();
    Ok(())
}
