//! The life of a run: draft (create, recalculate, cancel), approve against the reviewed total and
//! count, mark paid; and reading runs, their lines and payments.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::compare::{changed_conflict, line_changes};
use super::gather::{compute, store, to_rows};
use super::notices::{queue_emails, Event};
use super::views::{run_view, run_views, LineView, PayRunView, PaymentView};
use super::{RunPolicy, MAX_PERIOD_DAYS};
use crate::db::pay::{self as rows, PayRunRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::draft::{self};
use crate::domain::payrun::RunStatus;
use crate::domain::Money;
use crate::services::actor::{Actor, Role};
use crate::services::audit::{self, Change};
use crate::services::page::{cursor_of, Page, PageRequest};
use crate::services::scope::{self, Access};
use crate::services::{input, preferences, Error, FieldError, Result};

/// Staff who may see a run: finance and admins all; coordinators the runs of their groups.
fn visible(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<PayRunRow> {
    actor.require(&[Role::Finance, Role::Coordinator, Role::Admin])?;
    let run = rows::find_run(conn, id)?.ok_or(Error::NotFound)?;
    if actor.role == Role::Coordinator
        && !run
            .group_id
            .as_deref()
            .is_some_and(|g| actor.coordinates(g))
    {
        return Err(Error::NotFound);
    }
    Ok(run)
}

#[derive(Debug, Clone)]
pub struct NewRun {
    pub group_id: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
}

pub fn create(conn: &mut DbConnection, actor: &Actor, new: NewRun) -> Result<PayRunView> {
    actor.require(&[Role::Finance, Role::Coordinator])?;
    let mut errors = Vec::new();
    if new.period_end < new.period_start {
        errors.push(FieldError::new(
            "period_end",
            "must not be before period_start",
        ));
    } else if (new.period_end - new.period_start).num_days() >= MAX_PERIOD_DAYS {
        errors.push(FieldError::new(
            "period_end",
            format!("a run covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    if new.payment_date < new.period_start {
        errors.push(FieldError::new(
            "payment_date",
            "must not be before the period starts",
        ));
    }
    if actor.role == Role::Coordinator && new.group_id.is_none() {
        errors.push(FieldError::new(
            "group_id",
            "coordinators draft runs for one of their groups",
        ));
    }
    input::finish(errors)?;
    write_tx(conn, |conn| {
        if let Some(g) = &new.group_id {
            if people::find_group(conn, g)?.is_none() {
                return Err(Error::invalid("group_id", "is not a known group"));
            }
            scope::group(actor, g, Access::Read)?;
        }
        let now = db::now();
        let mut run = PayRunRow {
            id: db::new_id(),
            group_id: new.group_id.clone(),
            period_start: new.period_start,
            period_end: new.period_end,
            payment_date: new.payment_date,
            status: RunStatus::Draft,
            payment_count: 0,
            line_count: 0,
            total_pence: 0,
            warnings: "[]".into(),
            calculated_at: now,
            created_by: Some(actor.account_id.clone()),
            created_at: now,
            approved_by: None,
            approved_at: None,
            exported_at: None,
            paid_on: None,
            paid_reference: None,
            marked_paid_by: None,
            marked_paid_at: None,
            cancelled_by: None,
            cancelled_at: None,
            updated_at: now,
            export_count: 0,
        };
        rows::insert_run(conn, &run)?;
        let d = compute(conn, &run)?;
        store(conn, &mut run, &d)?;
        rows::save_run(conn, &run)?;
        let v = run_view(conn, &run)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.created", "pay_run", &run.id).after(&v),
        )?;
        Ok(v)
    })
}

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<PayRunView>> {
    actor.require(&[Role::Finance, Role::Coordinator, Role::Admin])?;
    if status.is_some_and(|s| RunStatus::parse(s).is_none()) {
        return Err(Error::invalid(
            "status",
            "must be `draft`, `approved`, `exported`, `paid` or `cancelled`",
        ));
    }
    let limit = page.limit()?;
    let before: Option<(NaiveDateTime, String)> = page.after()?;
    let only = (actor.role == Role::Coordinator).then_some(actor.group_ids.as_slice());
    let found = rows::list_runs(
        conn,
        only,
        status,
        before.as_ref().map(|(a, i)| (*a, i.as_str())),
        limit + 1,
    )?;
    let has_more = found.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let shown = &found[..found
        .len()
        .min(usize::try_from(limit).unwrap_or(usize::MAX))];
    let views = run_views(conn, shown)?;
    let next_cursor = if has_more {
        found
            .get(usize::try_from(limit).unwrap_or(0).saturating_sub(1))
            .map(|r| cursor_of(&(r.created_at, r.id.clone())))
    } else {
        None
    };
    Ok(Page {
        items: views,
        next_cursor,
    })
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<PayRunView> {
    let run = visible(conn, actor, id)?;
    run_view(conn, &run)
}

pub fn lines(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    page: &PageRequest,
) -> Result<Page<LineView>> {
    let run = visible(conn, actor, id)?;
    let limit = page.limit()?;
    let found = rows::lines_of(conn, &run.id, page.after()?, limit + 1)?;
    Ok(Page::from_rows(
        found,
        limit,
        |l| cursor_of(&l.position),
        |l| LineView::from(&l),
    ))
}

pub fn payments(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    page: &PageRequest,
) -> Result<Page<PaymentView>> {
    actor.require(&[Role::Finance, Role::Admin])?;
    let run = visible(conn, actor, id)?;
    let limit = page.limit()?;
    let found = rows::payments_of(conn, &run.id, page.after()?, limit + 1)?;
    Ok(Page::from_rows(
        found,
        limit,
        |p| cursor_of(&p.position),
        |p| PaymentView::from(&p),
    ))
}

fn not_draft(run: &PayRunRow) -> Error {
    Error::Conflict(format!(
        "This run is {}; only a draft can be recalculated or cancelled.",
        run.status
    ))
}

pub fn recalculate(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<PayRunView> {
    actor.require(&[Role::Finance, Role::Coordinator])?;
    write_tx(conn, |conn| {
        let mut run = visible(conn, actor, id)?;
        let now = db::now();
        if !rows::transition(conn, id, &[RunStatus::Draft], RunStatus::Draft, now)? {
            return Err(not_draft(&run));
        }
        let before = (run.total_pence, run.payment_count);
        let d = compute(conn, &run)?;
        store(conn, &mut run, &d)?;
        run.updated_at = now;
        rows::save_run(conn, &run)?;
        let v = run_view(conn, &run)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.recalculated", "pay_run", id)
                .before(serde_json::json!({"total": Money::from_pence(before.0), "payment_count": before.1}))
                .after(serde_json::json!({"total": v.total, "payment_count": v.payment_count})),
        )?;
        Ok(v)
    })
}

pub fn cancel(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<PayRunView> {
    actor.require(&[Role::Finance, Role::Coordinator])?;
    write_tx(conn, |conn| {
        let mut run = visible(conn, actor, id)?;
        let now = db::now();
        if !rows::transition(conn, id, &[RunStatus::Draft], RunStatus::Cancelled, now)? {
            return Err(not_draft(&run));
        }
        run.status = RunStatus::Cancelled;
        run.cancelled_by = Some(actor.account_id.clone());
        run.cancelled_at = Some(now);
        run.updated_at = now;
        rows::save_run(conn, &run)?;
        let v = run_view(conn, &run)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.cancelled", "pay_run", id).after(&v),
        )?;
        Ok(v)
    })
}

fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Approves a draft: recomputes it, and refuses (409) if anything changed since it was calculated,
/// if the reviewer's total or count differ, if the approver created it (when the setting asks), or
/// if another approved run has taken any of its sources.
pub fn approve(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &RunPolicy,
    id: &str,
    expected_total: Money,
    expected_count: i64,
) -> Result<PayRunView> {
    actor.require(&[Role::Finance])?;
    write_tx(conn, |conn| {
        // One approval at a time: a capped member paid by two runs in one period must see both.
        db::pay_lock(conn, true)?;
        let run = rows::find_run(conn, id)?.ok_or(Error::NotFound)?;
        if run.status != RunStatus::Draft {
            return Err(Error::Conflict(format!(
                "This run is {}; only a draft can be approved.",
                run.status
            )));
        }
        if policy.approver_must_differ && run.created_by.as_deref() == Some(&actor.account_id) {
            return Err(Error::Conflict(
                "You created this run, so someone else in finance must approve it.".into(),
            ));
        }
        let now = db::now();
        // Takes the row while it is still a draft (PostgreSQL locks it until commit), so a second
        // approval or a recalculation waits; the run's own lines count for nothing in the recompute.
        if !rows::transition(conn, id, &[RunStatus::Draft], RunStatus::Draft, now)? {
            return Err(Error::Conflict(
                "This run was approved or cancelled a moment ago.".into(),
            ));
        }
        let run = rows::find_run(conn, id)?.ok_or(Error::NotFound)?;
        if run.status != RunStatus::Draft {
            return Err(Error::Conflict(
                "This run was approved or cancelled a moment ago.".into(),
            ));
        }
        let mut run = run;
        let stored = rows::all_lines_of(conn, id)?;
        let fresh = compute(conn, &run)?;
        let (fresh_lines, _) = to_rows(id, &fresh);
        let changes = line_changes(&stored, &fresh_lines);
        if !changes.is_empty() {
            return Err(changed_conflict(conn, &changes)?);
        }
        let total = Money::from_pence(run.total_pence);
        if expected_total != total || expected_count != i64::from(run.payment_count) {
            return Err(Error::Conflict(format!(
                "You reviewed £{expected_total} in {expected_count} payment(s), but the run is £{total} in {} payment(s). Review it again.",
                run.payment_count
            )));
        }
        match rows::claim_sources(conn, id, now) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(Error::Conflict(
                "Another approved run has already taken some of these lines. Recalculate this run."
                    .into(),
            )),
            Err(e) => return Err(e.into()),
        }
        run.status = RunStatus::Approved;
        run.approved_by = Some(actor.account_id.clone());
        run.approved_at = Some(now);
        run.updated_at = now;
        rows::save_run(conn, &run)?;
        let notify: HashMap<String, bool> = fresh
            .members
            .iter()
            .map(|m| (m.member_id.clone(), m.notify_by_email))
            .collect();
        queue_emails(conn, &run, Event::Approved, &notify, &policy.base_url)?;
        let v = run_view(conn, &run)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.approved", "pay_run", id).after(&v),
        )?;
        Ok(v)
    })
}

/// Records that an approved (or exported) run has been paid.
pub fn mark_paid(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &RunPolicy,
    id: &str,
    paid_on: NaiveDate,
    reference: Option<String>,
) -> Result<PayRunView> {
    actor.require(&[Role::Finance])?;
    let mut errors = Vec::new();
    let reference = input::optional("reference", reference.as_deref(), 200, &mut errors);
    input::finish(errors)?;
    write_tx(conn, |conn| {
        let mut run = rows::find_run(conn, id)?.ok_or(Error::NotFound)?;
        if paid_on < run.period_start {
            return Err(Error::invalid(
                "paid_on",
                "must not be before the run's period starts",
            ));
        }
        let now = db::now();
        if !rows::transition(
            conn,
            id,
            &[RunStatus::Approved, RunStatus::Exported],
            RunStatus::Paid,
            now,
        )? {
            return Err(Error::Conflict(format!(
                "This run is {}; only an approved or exported run can be marked paid.",
                run.status
            )));
        }
        run.status = RunStatus::Paid;
        run.paid_on = Some(paid_on);
        run.paid_reference = reference.clone();
        run.marked_paid_by = Some(actor.account_id.clone());
        run.marked_paid_at = Some(now);
        run.updated_at = now;
        rows::save_run(conn, &run)?;
        let history = rows::preferences_until(conn, run.payment_date)?;
        let mut by_member: HashMap<String, Vec<draft::Choices>> = HashMap::new();
        for r in &history {
            by_member
                .entry(r.member_id.clone())
                .or_default()
                .push(preferences::choices_of(r));
        }
        let notify: HashMap<String, bool> = by_member
            .iter()
            .map(|(m, h)| {
                let refs: Vec<&draft::Choices> = h.iter().collect();
                (
                    m.clone(),
                    draft::in_force(&refs, run.payment_date).is_none_or(|c| c.notify_by_email),
                )
            })
            .collect();
        queue_emails(conn, &run, Event::Paid, &notify, &policy.base_url)?;
        let v = run_view(conn, &run)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("pay_run.paid", "pay_run", id).after(&v),
        )?;
        Ok(v)
    })
}
