//! Corrections, positive or negative, that the next run in their scope pays.

use serde::Serialize;

use crate::db::pay::{self as rows, AdjustmentRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::payrun::AdjustmentKind;
use crate::domain::Money;
use crate::services::actor::{Actor, Role};
use crate::services::audit::{self, instant, Change};
use crate::services::scope::{self, Access};
use crate::services::{input, Error, FieldError, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdjustmentView {
    pub id: String,
    pub member_id: String,
    pub group_id: Option<String>,
    pub kind: AdjustmentKind,
    #[schema(value_type = String, example = "-15.00")]
    pub amount: Money,
    pub reason: String,
    /// The approved run that paid it, once one has.
    pub paid_by_run: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
}

fn adjustment_view(a: &AdjustmentRow, run: Option<String>) -> AdjustmentView {
    AdjustmentView {
        id: a.id.clone(),
        member_id: a.member_id.clone(),
        group_id: a.group_id.clone(),
        kind: a.kind,
        amount: Money::from_pence(a.amount_pence),
        reason: a.reason.clone(),
        paid_by_run: run,
        created_by: a.created_by.clone(),
        created_at: instant(a.created_at),
    }
}

#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub member_id: String,
    pub group_id: Option<String>,
    pub kind: String,
    pub amount: Money,
    pub reason: String,
}

/// A correction, positive or negative, that the next run in its scope pays.
pub fn adjust(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewAdjustment,
) -> Result<AdjustmentView> {
    actor.require(&[Role::Finance])?;
    let mut errors = Vec::new();
    let kind = AdjustmentKind::parse(&new.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "must be `fee` or `expense`"));
    }
    if new.amount.is_zero() {
        errors.push(FieldError::new("amount", "must not be 0.00"));
    } else if new.amount.pence().abs() > 1_000_000 {
        errors.push(FieldError::new(
            "amount",
            "must be between -10000.00 and 10000.00",
        ));
    }
    let reason = input::required("reason", &new.reason, 1000, &mut errors);
    input::finish(errors)?;
    let kind = kind.ok_or_else(|| Error::invalid("kind", "must be `fee` or `expense`"))?;
    write_tx(conn, |conn| {
        if people::find_member(conn, &new.member_id)?.is_none() {
            return Err(Error::invalid("member_id", "is not a known member"));
        }
        crate::services::personal::refuse_if_erased(conn, &new.member_id)?;
        if let Some(g) = &new.group_id {
            if people::find_group(conn, g)?.is_none() {
                return Err(Error::invalid("group_id", "is not a known group"));
            }
        }
        let row = AdjustmentRow {
            id: db::new_id(),
            member_id: new.member_id.clone(),
            group_id: new.group_id.clone(),
            kind,
            amount_pence: new.amount.pence(),
            reason,
            created_by: Some(actor.account_id.clone()),
            created_at: db::now(),
        };
        rows::insert_adjustment(conn, &row)?;
        let v = adjustment_view(&row, None);
        audit::record(
            conn,
            Some(actor),
            Change::new("adjustment.created", "member", &row.member_id).after(&v),
        )?;
        Ok(v)
    })
}

pub fn adjustments_of(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<AdjustmentView>> {
    if people::find_member(conn, member_id)?.is_none() {
        return Err(Error::NotFound);
    }
    scope::member(conn, actor, member_id, Access::Read)?;
    Ok(rows::adjustments_of(conn, member_id)?
        .into_iter()
        .filter(|(a, _)| {
            actor.role != Role::Coordinator
                || a.group_id.as_deref().is_some_and(|g| actor.coordinates(g))
        })
        .map(|(a, run)| adjustment_view(&a, run))
        .collect())
}

/// An adjustment with its member's name.
pub type NamedAdjustment = (AdjustmentView, String);

/// Every adjustment waiting for a run, oldest first, and the `paid` latest that runs have paid,
/// each with the member's name. Finance.
pub fn all_adjustments(
    conn: &mut DbConnection,
    actor: &Actor,
    paid: i64,
) -> Result<(Vec<NamedAdjustment>, Vec<NamedAdjustment>)> {
    actor.require(&[Role::Finance])?;
    let waiting = rows::pending_adjustments(conn, None)?;
    let done = rows::paid_adjustments(conn, paid)?;
    let mut ids: Vec<String> = waiting
        .iter()
        .map(|a| a.member_id.clone())
        .chain(done.iter().map(|(a, _)| a.member_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    let names: std::collections::HashMap<String, String> = rows::payees(conn, &ids)?
        .into_iter()
        .map(|(id, name, _, _)| (id, name))
        .collect();
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Ok((
        waiting
            .iter()
            .map(|a| (adjustment_view(a, None), name(&a.member_id)))
            .collect(),
        done.iter()
            .map(|(a, run)| (adjustment_view(a, Some(run.clone())), name(&a.member_id)))
            .collect(),
    ))
}
