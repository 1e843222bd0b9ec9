//! Pay runs: a draft computed from what has been recorded, recalculated or cancelled while a draft,
//! approved by finance against the total and count they reviewed, then marked paid. Approval takes
//! every source of the run's lines in `pay_claims`, whose primary key makes it impossible for a
//! source to be in two approved runs however approvals interleave; taken sources (attendance,
//! expenses) are locked from then on, and corrections are adjustments paid by the next run.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::page::{decode_cursor, encode_cursor, Page, PageRequest};
use super::scope::{self, Access};
use super::{input, preferences, rates, Error, FieldError, Result};
use crate::db::pay::{self as rows, AdjustmentRow, PayLineRow, PayRunRow, PaymentRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::draft::SourceKind;
use crate::domain::draft::{self, Draft, Inputs};
use crate::domain::payrun::{AdjustmentKind, Disposition, LineKind, Method, Payee, RunStatus};
use crate::domain::periods::TaxYear;
use crate::domain::Money;
use crate::mail::{self, Template};

/// Settings of the pay-run workflow.
#[derive(Debug, Clone)]
pub struct RunPolicy {
    /// Refuse an approver who created the run (four eyes).
    pub approver_must_differ: bool,
    /// `server.public_url` without a trailing slash, for links in the payment emails.
    pub base_url: String,
}

/// The longest period one run may cover.
const MAX_PERIOD_DAYS: i64 = 400;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayeeView {
    /// `member` or `charity`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The charity's name; null for the member.
    pub name: Option<String>,
}

fn payee_text(p: &Payee) -> String {
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

fn run_view(conn: &mut DbConnection, r: &PayRunRow) -> Result<PayRunView> {
    let mut views = run_views(conn, std::slice::from_ref(r))?;
    views.pop().ok_or(Error::NotFound)
}

/// The views of runs, with their totals by method and by disposition: two grouped queries for any
/// number of runs.
fn run_views(conn: &mut DbConnection, runs: &[PayRunRow]) -> Result<Vec<PayRunView>> {
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

// ---- the calculation ----

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
    let car_journeys = rows::car_journeys(
        conn,
        TaxYear::containing(earliest).range().start,
        TaxYear::containing(end).range().end,
    )?
    .into_iter()
    .map(
        |(expense_id, member_id, meeting_date, tenths, run)| draft::CarJourney {
            expense_id,
            member_id,
            meeting_date,
            tenths: tenths.unwrap_or(0),
            paid: run.is_some(),
        },
    )
    .collect();
    let memberships = rows::memberships_in(conn, group)?
        .into_iter()
        .map(
            |(member_id, group_id, role, starts_on, ends_on)| draft::Membership {
                member_id,
                group_id,
                role,
                starts_on,
                ends_on,
            },
        )
        .collect();
    let adjustments = rows::pending_adjustments(conn, group)?
        .into_iter()
        .map(|a| draft::Adjustment {
            id: a.id,
            member_id: a.member_id,
            group_id: a.group_id,
            is_fee: a.kind == AdjustmentKind::Fee,
            amount: Money::from_pence(a.amount_pence),
            reason: a.reason,
        })
        .collect();
    // Every open balance: a member's balances are paid first in any run that pays them.
    let balances = rows::open_balances(conn, None)?
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
        .collect();
    // Every cap period holding the payment date lies within a year either side of it.
    let paid_fees = rows::paid_fees_between(
        conn,
        payment_date - Days::new(367),
        payment_date + Days::new(367),
    )?
    .into_iter()
    .filter_map(|(member_id, date, method, pence)| {
        Some(draft::PaidFee {
            member_id,
            payment_date: date,
            method: method?,
            amount: Money::from_pence(pence),
        })
    })
    .collect();
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
        limits: super::limits::load(conn)?,
    })
}

fn compute(conn: &mut DbConnection, run: &PayRunRow) -> Result<Draft> {
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
fn to_rows(run_id: &str, d: &Draft) -> (Vec<PayLineRow>, Vec<PaymentRow>) {
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

/// Everything a line says: what it pays, to whom, and how it was worked out. A line with the same
/// facts explains itself the same way; any other difference is a change the reviewer did not see.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LineFacts<'a> {
    member_id: &'a str,
    source_kind: SourceKind,
    source_id: &'a str,
    kind: LineKind,
    group_id: Option<&'a str>,
    meeting_id: Option<&'a str>,
    meeting_date: Option<NaiveDate>,
    disposition: Disposition,
    method: Option<Method>,
    payee: Option<&'a str>,
    amount_pence: i64,
    minutes: Option<i32>,
    rate_pence: Option<i64>,
    rate_card_id: Option<&'a str>,
    rule: Option<&'a str>,
    explanation: &'a str,
}

impl<'a> LineFacts<'a> {
    fn of(l: &'a PayLineRow) -> LineFacts<'a> {
        LineFacts {
            member_id: &l.member_id,
            source_kind: l.source_kind,
            source_id: &l.source_id,
            kind: l.kind,
            group_id: l.group_id.as_deref(),
            meeting_id: l.meeting_id.as_deref(),
            meeting_date: l.meeting_date,
            disposition: l.disposition,
            method: l.method,
            payee: l.payee.as_deref(),
            amount_pence: l.amount_pence,
            minutes: l.minutes,
            rate_pence: l.rate_pence,
            rate_card_id: l.rate_card_id.as_deref(),
            rule: l.rule.as_deref(),
            explanation: &l.explanation,
        }
    }

    /// The names of the facts that differ between two lines of one source, in words.
    fn differences(&self, now: &LineFacts) -> Vec<String> {
        let mut out = Vec::new();
        let opt = |v: Option<i32>| v.map_or_else(|| "none".to_string(), |m| m.to_string());
        let money = |p: Option<i64>| {
            p.map_or_else(
                || "none".to_string(),
                |p| format!("£{}", Money::from_pence(p)),
            )
        };
        if self.minutes != now.minutes {
            out.push(format!(
                "minutes {} → {}",
                opt(self.minutes),
                opt(now.minutes)
            ));
        }
        if self.amount_pence != now.amount_pence {
            out.push(format!(
                "amount {} → {}",
                money(Some(self.amount_pence)),
                money(Some(now.amount_pence))
            ));
        }
        if self.rate_pence != now.rate_pence {
            out.push(format!(
                "rate {} → {}",
                money(self.rate_pence),
                money(now.rate_pence)
            ));
        }
        if self.rate_card_id != now.rate_card_id {
            out.push("rate card".into());
        }
        if self.rule != now.rule {
            out.push(format!(
                "rule {} → {}",
                self.rule.unwrap_or("none"),
                now.rule.unwrap_or("none")
            ));
        }
        if self.disposition != now.disposition {
            out.push(format!(
                "outcome {} → {}",
                self.disposition, now.disposition
            ));
        }
        if self.method != now.method || self.payee != now.payee {
            out.push("who is paid, or how".into());
        }
        if self.meeting_id != now.meeting_id
            || self.meeting_date != now.meeting_date
            || self.group_id != now.group_id
        {
            out.push("session".into());
        }
        if out.is_empty() && self.explanation != now.explanation {
            out.push("how it is worked out".into());
        }
        out
    }
}

/// A change between the stored lines of a draft and the same run worked out again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LineChange {
    member_id: String,
    /// The source and kind, as `attendance fee`.
    what: String,
    /// In words: `minutes 240 → 200`, `new`, `gone`.
    how: String,
}

/// Every difference between two sets of lines, ignoring ids and order. Lines are matched by their
/// source and kind; where a source has one line on each side, the facts that changed are named.
fn line_changes(stored: &[PayLineRow], fresh: &[PayLineRow]) -> Vec<LineChange> {
    type Source<'a> = (&'a str, SourceKind, &'a str, LineKind);
    fn group(lines: &[PayLineRow]) -> BTreeMap<Source<'_>, Vec<LineFacts<'_>>> {
        let mut by: BTreeMap<Source, Vec<LineFacts>> = BTreeMap::new();
        for l in lines {
            by.entry((&l.member_id, l.source_kind, &l.source_id, l.kind))
                .or_default()
                .push(LineFacts::of(l));
        }
        for v in by.values_mut() {
            v.sort();
        }
        by
    }
    let (was, now) = (group(stored), group(fresh));
    let mut changes = Vec::new();
    let sources: std::collections::BTreeSet<&Source> = was.keys().chain(now.keys()).collect();
    for source in sources {
        let (member_id, source_kind, _, kind) = *source;
        let change = |how: String| LineChange {
            member_id: member_id.to_string(),
            what: format!("{source_kind} {kind}"),
            how,
        };
        match (was.get(source), now.get(source)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) if a.len() == 1 && b.len() == 1 => {
                changes.push(change(a[0].differences(&b[0]).join(", ")));
            }
            (Some(_), Some(_)) => changes.push(change("its lines changed".into())),
            (Some(_), None) => changes.push(change("no longer in the run".into())),
            (None, Some(_)) => changes.push(change("new".into())),
            (None, None) => {}
        }
    }
    changes
}

/// The 409 for a draft that no longer matches its recomputation, naming whom and what changed.
fn changed_conflict(conn: &mut DbConnection, changes: &[LineChange]) -> Result<Error> {
    let mut members: Vec<String> = changes.iter().map(|c| c.member_id.clone()).collect();
    members.sort_unstable();
    members.dedup();
    let names: HashMap<String, String> = people::members_by_ids(conn, &members)?
        .into_iter()
        .map(|m| (m.id, m.preferred_name.unwrap_or(m.full_name)))
        .collect();
    const SHOWN: usize = 5;
    let shown: Vec<String> = changes
        .iter()
        .take(SHOWN)
        .map(|c| {
            let who = names
                .get(&c.member_id)
                .map_or(c.member_id.as_str(), String::as_str);
            format!("{who}: {} ({})", c.what, c.how)
        })
        .collect();
    let more = changes.len().saturating_sub(SHOWN);
    Ok(Error::Conflict(format!(
        "The run has changed since it was calculated (attendance, expenses, choices, rates or another approved run), in {} line(s) for {} member(s): {}{}. Recalculate it, review it and approve again.",
        changes.len(),
        members.len(),
        shown.join("; "),
        if more > 0 { format!("; and {more} more") } else { String::new() }
    )))
}

fn store(conn: &mut DbConnection, run: &mut PayRunRow, d: &Draft) -> Result<()> {
    let (lines, payments) = to_rows(&run.id, d);
    rows::replace_lines(conn, &run.id, &lines, &payments)?;
    run.payment_count = i32::try_from(payments.len()).unwrap_or(i32::MAX);
    run.line_count = i32::try_from(lines.len()).unwrap_or(i32::MAX);
    run.total_pence = d.total().pence();
    run.warnings = serde_json::to_string(&d.warnings).unwrap_or_else(|_| "[]".into());
    run.calculated_at = db::now();
    Ok(())
}

// ---- use cases ----

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
    let before = match &page.cursor {
        Some(c) => {
            let parts = decode_cursor(c, 2)?;
            let at = NaiveDateTime::parse_from_str(&parts[0], "%Y-%m-%dT%H:%M:%S%.f")
                .map_err(|_| super::page::bad_cursor())?;
            Some((at, parts[1].clone()))
        }
        None => None,
    };
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
            .map(|r| {
                encode_cursor(&[
                    &r.created_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
                    &r.id,
                ])
            })
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

fn position_cursor(page: &PageRequest) -> Result<Option<i32>> {
    match &page.cursor {
        None => Ok(None),
        Some(c) => {
            let parts = decode_cursor(c, 1)?;
            parts[0]
                .parse::<i32>()
                .map(Some)
                .map_err(|_| super::page::bad_cursor())
        }
    }
}

pub fn lines(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    page: &PageRequest,
) -> Result<Page<LineView>> {
    let run = visible(conn, actor, id)?;
    let limit = page.limit()?;
    let found = rows::lines_of(conn, &run.id, position_cursor(page)?, limit + 1)?;
    Ok(Page::from_rows(
        found,
        limit,
        |l| encode_cursor(&[&l.position.to_string()]),
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
    let found = rows::payments_of(conn, &run.id, position_cursor(page)?, limit + 1)?;
    Ok(Page::from_rows(
        found,
        limit,
        |p| encode_cursor(&[&p.position.to_string()]),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Approved,
    Paid,
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn disposition_words(l: &PayLineRow, event: Event) -> String {
    let method = l.method.map_or("", Method::words);
    match l.disposition {
        Disposition::Paid if event == Event::Paid => format!("paid by {method}"),
        Disposition::Paid => format!("to be paid by {method}"),
        Disposition::CarriedForward => "kept for you and carried forward to a later payment".into(),
        Disposition::Forgone => "above your limit, not taken, as you chose".into(),
        Disposition::Donated => format!(
            "donated to {}, as you chose",
            l.payee
                .as_deref()
                .and_then(|p| p.strip_prefix("charity:"))
                .unwrap_or("your chosen charity")
        ),
        Disposition::Declined => "not paid, as you chose".into(),
    }
}

/// One email per member with lines in the run who wants email: which sessions, how much, by what
/// method and when, what was carried forward or donated, and whom to contact.
fn queue_emails(
    conn: &mut DbConnection,
    run: &PayRunRow,
    event: Event,
    notify: &HashMap<String, bool>,
    base_url: &str,
) -> Result<()> {
    let lines = rows::all_lines_of(conn, &run.id)?;
    let payments = rows::payments_of(conn, &run.id, None, i64::MAX)?;
    let meeting_ids: Vec<String> = lines
        .iter()
        .filter_map(|l| l.meeting_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let titles: HashMap<String, String> = rows::meeting_titles(conn, &meeting_ids)?
        .into_iter()
        .collect();
    let member_ids: Vec<String> = lines
        .iter()
        .map(|l| l.member_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut members = Vec::new();
    for chunk in member_ids.chunks(1000) {
        members.extend(people::members_by_ids(conn, chunk)?);
    }
    for member in members {
        if !notify.get(&member.id).copied().unwrap_or(true) {
            continue;
        }
        let Some(email) = member.email.as_deref() else {
            continue;
        };
        let mine: Vec<&PayLineRow> = lines.iter().filter(|l| l.member_id == member.id).collect();
        let my_payments: Vec<&PaymentRow> = payments
            .iter()
            .filter(|p| p.member_id == member.id)
            .collect();
        let to_member: Money = my_payments
            .iter()
            .filter(|p| p.payee == "member")
            .map(|p| Money::from_pence(p.total_pence))
            .sum();
        let items: Vec<String> = mine
            .iter()
            .map(|l| {
                let what = match l.kind {
                    LineKind::Fee => "fee",
                    LineKind::Prep => "preparation",
                    LineKind::Expense => "expenses",
                    LineKind::Carried => "held from an earlier payment",
                    LineKind::Adjustment => "adjustment",
                };
                let session = match (&l.meeting_id, l.meeting_date) {
                    (Some(m), Some(d)) => format!(
                        "{}, {}: ",
                        titles.get(m).map_or("A session", String::as_str),
                        long_date(d)
                    ),
                    _ => String::new(),
                };
                format!(
                    "{session}{what} £{}, {}",
                    Money::from_pence(l.amount_pence),
                    disposition_words(l, event)
                )
            })
            .collect();
        let mut totals: Vec<String> = my_payments
            .iter()
            .map(|p| {
                let method = p.method.words();
                match p.payee.strip_prefix("charity:") {
                    Some(charity) => format!(
                        "£{} to {charity} by {method}, as you asked",
                        Money::from_pence(p.total_pence)
                    ),
                    None => format!(
                        "£{} to you by {method} (fees £{}, expenses £{})",
                        Money::from_pence(p.total_pence),
                        Money::from_pence(p.fee_pence),
                        Money::from_pence(p.expenses_pence)
                    ),
                }
            })
            .collect();
        let carried: Money = mine
            .iter()
            .filter(|l| l.disposition == Disposition::CarriedForward)
            .map(|l| Money::from_pence(l.amount_pence))
            .sum();
        if !carried.is_zero() {
            totals.push(format!(
                "£{carried} is carried forward, to be paid in a later payment when it fits within your limit"
            ));
        }
        if totals.is_empty() {
            totals.push("Nothing is paid to you this time, as you chose.".into());
        }
        let name = member
            .preferred_name
            .clone()
            .unwrap_or_else(|| member.full_name.clone());
        let period = format!(
            "between {} and {}",
            long_date(run.period_start),
            long_date(run.period_end)
        );
        let (subject, opening) = match event {
            Event::Approved => (
                if to_member.is_positive() {
                    format!("Your payment of £{to_member} is approved")
                } else {
                    "Your co-production record is approved".to_string()
                },
                format!(
                    "Finance has approved payment for your part in co-production {period}. It will be paid on {}.",
                    long_date(run.payment_date)
                ),
            ),
            Event::Paid => (
                if to_member.is_positive() {
                    format!("Your payment of £{to_member} has been paid")
                } else {
                    "Your co-production payment run is complete".to_string()
                },
                format!(
                    "We paid for your part in co-production {period} on {}{}. A bank transfer can take a day or two to arrive.",
                    long_date(run.paid_on.unwrap_or(run.payment_date)),
                    run.paid_reference
                        .as_deref()
                        .map(|r| format!(" (reference {r})"))
                        .unwrap_or_default()
                ),
            ),
        };
        let msg = Template::new(subject)
            .greeting(name)
            .paragraph(opening)
            .paragraph("What it is for:")
            .list(items)
            .paragraph("In total:")
            .list(totals)
            .link("See your payments", format!("{base_url}/me"))
            .render(email);
        let key = format!(
            "pay_run:{}:{}:{}",
            run.id,
            match event {
                Event::Approved => "approved",
                Event::Paid => "paid",
            },
            member.id
        );
        mail::queue(conn, &key, &msg)?;
    }
    Ok(())
}

// ---- adjustments ----

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

// ---- a member's payments ----

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
    if people::find_member(conn, member_id)?.is_none() {
        return Err(Error::NotFound);
    }
    scope::member(conn, actor, member_id, Access::Read)?;
    let limit = page.limit()?;
    let before = match &page.cursor {
        Some(c) => {
            let parts = decode_cursor(c, 2)?;
            let d = parts[0]
                .parse::<NaiveDate>()
                .map_err(|_| super::page::bad_cursor())?;
            Some((d, parts[1].clone()))
        }
        None => None,
    };
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
        |r| encode_cursor(&[&r.payment_date.to_string(), &r.id]),
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
