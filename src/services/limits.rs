//! Benefit limits as reference data: everyone signed in reads them; an admin adds next April's
//! figures without a release.

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::{input, Error, FieldError, Result};
use crate::db::limits::{self as rows, LimitRow};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::limits::{BenefitLimit, LimitPeriod};
use crate::domain::Money;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LimitView {
    pub id: String,
    pub code: String,
    pub period: LimitPeriod,
    #[schema(value_type = String, example = "195.50")]
    pub amount: Money,
    pub effective_from: NaiveDate,
}

impl From<&LimitRow> for LimitView {
    fn from(r: &LimitRow) -> LimitView {
        LimitView {
            id: r.id.clone(),
            code: r.code.clone(),
            period: r.period,
            amount: Money::from_pence(r.amount_pence),
            effective_from: r.effective_from,
        }
    }
}

/// The figures as the domain uses them.
pub fn load(conn: &mut DbConnection) -> Result<Vec<BenefitLimit>> {
    Ok(rows::all(conn, None)?
        .into_iter()
        .map(|r| BenefitLimit {
            period: r.period,
            amount: Money::from_pence(r.amount_pence),
            code: r.code,
            effective_from: r.effective_from,
        })
        .collect())
}

pub fn list(conn: &mut DbConnection, _actor: &Actor, code: Option<&str>) -> Result<Vec<LimitView>> {
    Ok(rows::all(conn, code)?.iter().map(LimitView::from).collect())
}

pub struct NewLimit {
    pub code: String,
    pub period: LimitPeriod,
    pub amount: Money,
    pub effective_from: NaiveDate,
}

/// Adds a dated figure. A code keeps its period; one figure per code and date; a new figure starts
/// after the code's latest one, so no figure is back-dated under payments it capped.
pub fn create(conn: &mut DbConnection, actor: &Actor, new: NewLimit) -> Result<LimitView> {
    actor.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let code = input::required("code", &new.code, 60, &mut errors);
    if !code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.push(FieldError::new(
            "code",
            "must be lower-case letters, digits or _",
        ));
    }
    if !new.amount.is_positive() {
        errors.push(FieldError::new("amount", "must be more than 0.00"));
    }
    input::finish(errors)?;
    let period = new.period;
    write_tx(conn, |conn| {
        let existing = rows::all(conn, Some(&code))?;
        if let Some(other) = existing.iter().find(|r| r.period != period) {
            return Err(Error::invalid(
                "period",
                format!("`{code}` is counted by the {}", other.period),
            ));
        }
        if existing
            .iter()
            .any(|r| r.effective_from == new.effective_from)
        {
            return Err(Error::Conflict(format!(
                "`{code}` already has a figure from {}.",
                new.effective_from
            )));
        }
        // Figures follow one another: a date before the latest would rewrite what was in force
        // when earlier payments were capped.
        if let Some(latest) = existing.iter().map(|r| r.effective_from).max() {
            if new.effective_from <= latest {
                return Err(Error::invalid(
                    "effective_from",
                    format!("must be after {latest}, the start of the latest figure for `{code}`"),
                ));
            }
        }
        let row = LimitRow {
            id: db::new_id(),
            code: code.clone(),
            period,
            amount_pence: new.amount.pence(),
            effective_from: new.effective_from,
            created_at: db::now(),
        };
        rows::insert(conn, &row)?;
        let view = LimitView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("benefit_limit.created", "benefit_limit", &row.id).after(&view),
        )?;
        Ok(view)
    })
}
