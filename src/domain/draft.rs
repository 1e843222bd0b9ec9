//! Drafting a pay run from what has been recorded: the attendance and approved expenses in scope,
//! pending adjustments and balances carried forward, priced by rate card, then passed member by
//! member through `payrun::compute` with the preference in force on the payment date. Pure: the
//! service loads the inputs with a fixed number of queries and stores the draft.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::limits::{self, BenefitLimit};
use super::money::Money;
use super::payrun::{
    self, Cap, Carried, Disposition, FeeChoice, Item, LineKind, MemberRun, Method,
};
use super::payrun::{MemberResult, OverCap, Payee, Preference};
use super::periods::PeriodRule;
use super::rates::RateCard;
use super::records::ExpenseKind;

mod pricing;

/// A paid attendance record (attended or partial) with its meeting.
#[derive(Debug, Clone)]
pub struct Session {
    pub attendance_id: String,
    pub member_id: String,
    pub group_id: String,
    pub meeting_id: String,
    pub meeting_title: String,
    pub meeting_date: NaiveDate,
    pub activity_kind: String,
    pub role_override: Option<String>,
    pub attended_minutes: i32,
    pub prep_minutes: i32,
    pub prep_allowed: i32,
}

/// A member's role in a group over time.
#[derive(Debug, Clone)]
pub struct Membership {
    pub member_id: String,
    pub group_id: String,
    pub role: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// An approved expense claim with its meeting.
#[derive(Debug, Clone)]
pub struct Claim {
    pub expense_id: String,
    pub member_id: String,
    pub group_id: String,
    pub meeting_id: String,
    pub meeting_title: String,
    pub meeting_date: NaiveDate,
    pub kind: ExpenseKind,
    pub miles_tenths: Option<i32>,
    pub passengers: i32,
    pub amount: Option<Money>,
}

/// An approved car journey, for the 10,000-mile switch (every approved car claim of the tax years
/// the run touches, in any group, paid or not).
#[derive(Debug, Clone)]
pub struct CarJourney {
    pub expense_id: String,
    pub member_id: String,
    pub meeting_date: NaiveDate,
    pub tenths: i32,
    /// Already paid by an approved run (whatever its date, its miles are behind us).
    pub paid: bool,
}

#[derive(Debug, Clone)]
pub struct Adjustment {
    pub id: String,
    pub member_id: String,
    pub group_id: Option<String>,
    /// A fee adjustment is earnings (capped like a fee); an expense adjustment is not.
    pub is_fee: bool,
    pub amount: Money,
    pub reason: String,
}

/// A balance an approved run carried forward and no approved run has taken since.
#[derive(Debug, Clone)]
pub struct Balance {
    pub line_id: String,
    pub member_id: String,
    pub group_id: Option<String>,
    pub meeting_id: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub amount: Money,
    pub from_payment_date: NaiveDate,
}

/// A fee paid by an earlier approved run (for the cap).
#[derive(Debug, Clone)]
pub struct PaidFee {
    pub member_id: String,
    pub payment_date: NaiveDate,
    pub method: Method,
    pub amount: Money,
}

/// How a cap's amount is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapAmount {
    Fixed(Money),
    /// A benefit limit code, looked up by the run's payment date.
    Limit(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapChoice {
    pub amount: CapAmount,
    pub period: PeriodRule,
    pub counts_methods: Vec<Method>,
}

/// A member's remuneration choices as recorded, effective from a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub member_id: String,
    pub effective_from: NaiveDate,
    pub fee_choice: FeeChoice,
    pub decline_expenses: bool,
    pub method: Method,
    pub charity: Option<String>,
    pub cap: Option<CapChoice>,
    pub over_cap: OverCap,
    pub notify_by_email: bool,
}

impl Choices {
    /// What a member without recorded choices gets: the full fee by bank transfer, no cap.
    pub fn default_for(member_id: &str) -> Choices {
        Choices {
            member_id: member_id.to_string(),
            effective_from: NaiveDate::MIN,
            fee_choice: FeeChoice::Full,
            decline_expenses: false,
            method: Method::BankTransfer,
            charity: None,
            cap: None,
            over_cap: OverCap::CarryForward,
            notify_by_email: true,
        }
    }
}

/// The entry of a history in force on `date`: the latest `effective_from` on or before it, the
/// latest written (the later in `history`) on a tie.
pub fn latest_in_force<T>(
    history: &[T],
    date: NaiveDate,
    effective_from: impl Fn(&T) -> NaiveDate,
) -> Option<&T> {
    let mut best: Option<&T> = None;
    for c in history.iter().filter(|c| effective_from(c) <= date) {
        if best.is_none_or(|b| effective_from(c) >= effective_from(b)) {
            best = Some(c);
        }
    }
    best
}

/// The choices in force on `date` from a member's history (in the order they were written).
pub fn in_force<'a>(history: &[&'a Choices], date: NaiveDate) -> Option<&'a Choices> {
    latest_in_force(history, date, |c| c.effective_from).copied()
}

/// Everything a draft is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The group of a group run; None for a run of all groups.
    pub group: Option<String>,
    /// The first meeting date of the run's period: anything earlier was recorded or approved
    /// late, and is paid now with a warning that says so.
    pub period_start: Option<NaiveDate>,
    pub payment_date: Option<NaiveDate>,
    pub sessions: Vec<Session>,
    pub memberships: Vec<Membership>,
    pub claims: Vec<Claim>,
    pub car_journeys: Vec<CarJourney>,
    pub adjustments: Vec<Adjustment>,
    pub balances: Vec<Balance>,
    pub paid_fees: Vec<PaidFee>,
    /// Every member's history, in the order written.
    pub choices: Vec<Choices>,
    pub cards: Vec<RateCard>,
    pub limits: Vec<BenefitLimit>,
}

crate::codes! {
    /// What a line of a pay run pays for: an attendance record, an expense claim, an adjustment or
    /// a balance carried forward.
    pub enum SourceKind ("source kind") {
        Attendance = "attendance",
        Expense = "expense",
        Adjustment = "adjustment",
        Carried = "carried",
    }
}

/// One line of a draft, explaining itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLine {
    pub member_id: String,
    pub group_id: Option<String>,
    pub meeting_id: Option<String>,
    pub meeting_title: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub source_kind: SourceKind,
    pub source_id: String,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub payee: Option<Payee>,
    pub amount: Money,
    pub minutes: Option<i32>,
    pub rate: Option<Money>,
    pub rate_card_id: Option<String>,
    pub rule: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPayment {
    pub member_id: String,
    pub payee: Payee,
    pub method: Method,
    pub fee_amount: Money,
    pub expenses_amount: Money,
    pub total: Money,
}

/// A member in the draft, with what the emails need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSummary {
    pub member_id: String,
    pub notify_by_email: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub lines: Vec<DraftLine>,
    pub payments: Vec<DraftPayment>,
    pub members: Vec<MemberSummary>,
    /// Things left out, and why (no rate card, no role, no benefit limit figure…).
    pub warnings: Vec<String>,
}

impl Draft {
    /// Money leaving the organisation: the sum of the payments.
    pub fn total(&self) -> Money {
        self.payments.iter().map(|p| p.total).sum()
    }
}

/// What a line came from, and what it used.
#[derive(Debug, Clone, Default)]
struct Info {
    source: Option<(SourceKind, String)>,
    group_id: Option<String>,
    meeting_id: Option<String>,
    meeting_title: Option<String>,
    meeting_date: Option<NaiveDate>,
    minutes: Option<i32>,
    rate: Option<Money>,
    rate_card_id: Option<String>,
    rule: Option<String>,
}

/// One member's priced items, each with the date that orders it, and what each line came from.
#[derive(Default)]
struct MemberWork {
    fees: Vec<(NaiveDate, Item)>,
    expenses: Vec<(NaiveDate, Item)>,
    carried: Vec<(NaiveDate, Carried)>,
    negative_adjustments: Vec<String>,
    info: HashMap<String, Info>,
}

/// The inputs looked up by member (and group), so no phase searches a whole list for each row.
struct Index<'a> {
    memberships: HashMap<(&'a str, &'a str), Vec<&'a Membership>>,
    /// Each member's car journeys in date order, for the mileage so far in a tax year.
    journeys: HashMap<&'a str, Vec<&'a CarJourney>>,
    /// Each member's choices, in the order written.
    histories: HashMap<&'a str, Vec<&'a Choices>>,
    paid: HashMap<&'a str, Vec<&'a PaidFee>>,
}

/// The preference `compute` needs: the cap's amount looked up for the payment date.
fn preference(
    c: &Choices,
    limits_table: &[BenefitLimit],
    payment_date: NaiveDate,
) -> Result<Preference, String> {
    let cap = match &c.cap {
        None => None,
        Some(cap) => {
            let amount = match &cap.amount {
                CapAmount::Fixed(a) => *a,
                CapAmount::Limit(code) => limits::in_force(limits_table, code, payment_date)
                    .map(|l| l.amount)
                    .ok_or_else(|| {
                        format!("no figure for the benefit limit `{code}` is in force on {payment_date}")
                    })?,
            };
            Some(Cap {
                amount,
                period: cap.period,
                counts_methods: cap.counts_methods.clone(),
            })
        }
    };
    Ok(Preference {
        fee_choice: c.fee_choice.clone(),
        method: c.method,
        charity: c.charity.clone(),
        cap,
        over_cap: c.over_cap,
    })
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Prices and computes a whole run, phase by phase.
pub fn build(inputs: &Inputs) -> Draft {
    let Some(payment_date) = inputs.payment_date else {
        return Draft::default();
    };
    let mut draft = Draft::default();
    draft.warnings.extend(late_records(inputs));
    let index = index(inputs);
    let mut work: BTreeMap<String, MemberWork> = BTreeMap::new();
    pricing::price_sessions(inputs, &index, &mut work, &mut draft.warnings);
    pricing::price_claims(inputs, &index, &mut work);
    gather_adjustments_and_balances(inputs, &mut work);
    for (member_id, w) in work {
        draft_member(&mut draft, inputs, &index, payment_date, &member_id, w);
    }
    draft
}

/// A warning when the run pays sessions or claims from before its period: they were recorded or
/// approved after an earlier run, and are paid now.
fn late_records(inputs: &Inputs) -> Option<String> {
    let start = inputs.period_start?;
    let sessions = inputs
        .sessions
        .iter()
        .filter(|s| s.meeting_date < start)
        .count();
    let claims = inputs
        .claims
        .iter()
        .filter(|c| c.meeting_date < start)
        .count();
    (sessions + claims > 0).then(|| {
        format!(
            "{} and {} from before {start} are included: recorded or approved after an earlier run, no approved run has paid them.",
            count(sessions, "session", "sessions"),
            count(claims, "expense claim", "expense claims"),
        )
    })
}

/// Indexes the inputs the later phases look up by member.
fn index(inputs: &Inputs) -> Index<'_> {
    let mut memberships: HashMap<(&str, &str), Vec<&Membership>> = HashMap::new();
    for m in &inputs.memberships {
        memberships
            .entry((m.member_id.as_str(), m.group_id.as_str()))
            .or_default()
            .push(m);
    }
    // Mileage so far in each tax year, per member: journeys in date order.
    let mut journeys: HashMap<&str, Vec<&CarJourney>> = HashMap::new();
    for j in &inputs.car_journeys {
        journeys.entry(j.member_id.as_str()).or_default().push(j);
    }
    for list in journeys.values_mut() {
        list.sort_by(|a, b| (a.meeting_date, &a.expense_id).cmp(&(b.meeting_date, &b.expense_id)));
    }
    let mut histories: HashMap<&str, Vec<&Choices>> = HashMap::new();
    for c in &inputs.choices {
        histories.entry(c.member_id.as_str()).or_default().push(c);
    }
    let mut paid: HashMap<&str, Vec<&PaidFee>> = HashMap::new();
    for p in &inputs.paid_fees {
        paid.entry(p.member_id.as_str()).or_default().push(p);
    }
    Index {
        memberships,
        journeys,
        histories,
        paid,
    }
}

/// Adds the pending adjustments and carried balances this run pays to each member's work.
fn gather_adjustments_and_balances(inputs: &Inputs, work: &mut BTreeMap<String, MemberWork>) {
    // A group run pays its own group's adjustments and balances, and a member's others only when
    // it pays that member anyway (so a balance is never starved by another group's runs, and an
    // adjustment of no group is never left waiting for a run of all groups).
    let in_scope = |group: &Option<String>, member: &str, work: &BTreeMap<String, MemberWork>| {
        inputs.group.is_none() || *group == inputs.group || work.contains_key(member)
    };
    // Both are chosen against the sessions and claims priced so far, before either is added: an
    // adjustment alone does not bring in the member's other balances.
    let adjustments: Vec<&Adjustment> = inputs
        .adjustments
        .iter()
        .filter(|a| in_scope(&a.group_id, &a.member_id, work))
        .collect();
    let balances: Vec<&Balance> = inputs
        .balances
        .iter()
        .filter(|b| in_scope(&b.group_id, &b.member_id, work))
        .collect();
    for a in adjustments {
        add_adjustment(work.entry(a.member_id.clone()).or_default(), a);
    }
    for b in balances {
        add_balance(work.entry(b.member_id.clone()).or_default(), b);
    }
}

/// An adjustment is a fee item (earnings, capped) or an expense item, after the member's others.
fn add_adjustment(w: &mut MemberWork, a: &Adjustment) {
    let key = format!("a:{}", a.id);
    w.info.insert(
        key.clone(),
        Info {
            source: Some((SourceKind::Adjustment, a.id.clone())),
            group_id: a.group_id.clone(),
            ..Info::default()
        },
    );
    if a.amount.is_negative() {
        w.negative_adjustments.push(key.clone());
    }
    let item = Item {
        source_id: key,
        kind: if a.is_fee {
            LineKind::Adjustment
        } else {
            LineKind::Expense
        },
        activity: None,
        amount: a.amount,
        explanation: format!("adjustment: {}", a.reason),
    };
    if a.is_fee {
        w.fees.push((NaiveDate::MAX, item));
    } else {
        w.expenses.push((NaiveDate::MAX, item));
    }
}

/// A balance carried forward, ordered by the payment date of the run that carried it.
fn add_balance(w: &mut MemberWork, b: &Balance) {
    let key = format!("c:{}", b.line_id);
    w.info.insert(
        key.clone(),
        Info {
            source: Some((SourceKind::Carried, b.line_id.clone())),
            group_id: b.group_id.clone(),
            meeting_id: b.meeting_id.clone(),
            meeting_date: b.meeting_date,
            ..Info::default()
        },
    );
    w.carried.push((
        b.from_payment_date,
        Carried {
            source_id: key,
            amount: b.amount,
        },
    ));
}

/// One member's part of the draft: the choices in force on the payment date (the default when
/// none are recorded), their cap's figure and what it has already paid, `payrun::compute`, and
/// the lines, payments and summary. A member whose cap has no figure in force is left out, with
/// a warning that says what to add.
fn draft_member(
    draft: &mut Draft,
    inputs: &Inputs,
    index: &Index,
    payment_date: NaiveDate,
    member_id: &str,
    mut w: MemberWork,
) {
    let default = Choices::default_for(member_id);
    let choices = index
        .histories
        .get(member_id)
        .and_then(|h| in_force(h, payment_date))
        .unwrap_or(&default);
    let pref = match preference(choices, &inputs.limits, payment_date) {
        Ok(p) => p,
        Err(why) => {
            draft.warnings.push(format!(
                "Member {member_id} is left out of this run: {why}. Add the figure under benefit limits and recalculate."
            ));
            return;
        }
    };
    let paid = paid_in_cap_period(&pref, index.paid.get(member_id), payment_date);
    let run = member_run(pref, &mut w, paid, choices.decline_expenses);
    let result = compute_member(run, &w.negative_adjustments, member_id, &mut draft.warnings);
    assemble(draft, member_id, &w.info, result, choices.notify_by_email);
}

/// Fees already paid in the cap period that holds the payment date, by methods the cap counts.
fn paid_in_cap_period(
    pref: &Preference,
    paid: Option<&Vec<&PaidFee>>,
    payment_date: NaiveDate,
) -> Money {
    pref.cap.as_ref().map_or(Money::ZERO, |cap| {
        let period = payrun::cap_period(cap, payment_date);
        paid.map_or(Money::ZERO, |ps| {
            ps.iter()
                .filter(|p| {
                    period.contains(p.payment_date) && cap.counts_methods.contains(&p.method)
                })
                .map(|p| p.amount)
                .sum()
        })
    })
}

/// What `compute` is given for a member: their items in order (by date, then source, so the
/// same inputs always give the same lines) and their preference.
fn member_run(
    preference: Preference,
    w: &mut MemberWork,
    paid_in_cap_period: Money,
    decline_expenses: bool,
) -> MemberRun {
    w.fees
        .sort_by(|a, b| (a.0, &a.1.source_id).cmp(&(b.0, &b.1.source_id)));
    w.expenses
        .sort_by(|a, b| (a.0, &a.1.source_id).cmp(&(b.0, &b.1.source_id)));
    w.carried
        .sort_by(|a, b| (a.0, &a.1.source_id).cmp(&(b.0, &b.1.source_id)));
    MemberRun {
        preference,
        fees: w.fees.iter().map(|(_, i)| i.clone()).collect(),
        expenses: w.expenses.iter().map(|(_, i)| i.clone()).collect(),
        carried: w.carried.iter().map(|(_, c)| c.clone()).collect(),
        paid_in_cap_period,
        decline_expenses,
    }
}

/// `payrun::compute` for one member, again without their negative adjustments (with a warning)
/// when one would leave a payment below zero.
fn compute_member(
    mut run: MemberRun,
    negative_adjustments: &[String],
    member_id: &str,
    warnings: &mut Vec<String>,
) -> MemberResult {
    let result = payrun::compute(&run);
    if result.payments.iter().any(|p| p.total.is_negative()) && !negative_adjustments.is_empty() {
        // A recovery larger than this run pays waits for a later run.
        run.fees
            .retain(|i| !negative_adjustments.contains(&i.source_id));
        run.expenses
            .retain(|i| !negative_adjustments.contains(&i.source_id));
        warnings.push(format!(
            "A negative adjustment for member {member_id} is larger than this run pays them; it waits for a later run."
        ));
        return payrun::compute(&run);
    }
    result
}

/// Adds a member's lines (each with what it came from and used), payments and summary to the
/// draft.
fn assemble(
    draft: &mut Draft,
    member_id: &str,
    info: &HashMap<String, Info>,
    result: MemberResult,
    notify_by_email: bool,
) {
    for l in result.lines {
        let info = info.get(&l.source_id).cloned().unwrap_or_default();
        let (source_kind, source_id) = info
            .source
            .clone()
            .unwrap_or((SourceKind::Adjustment, l.source_id.clone()));
        draft.lines.push(DraftLine {
            member_id: member_id.to_string(),
            group_id: info.group_id,
            meeting_id: info.meeting_id,
            meeting_title: info.meeting_title,
            meeting_date: info.meeting_date,
            source_kind,
            source_id,
            kind: l.kind,
            disposition: l.disposition,
            method: l.method,
            payee: l.payee,
            amount: l.amount,
            minutes: info.minutes,
            rate: info.rate,
            rate_card_id: info.rate_card_id,
            rule: info.rule,
            explanation: l.explanation,
        });
    }
    for p in result.payments {
        draft.payments.push(DraftPayment {
            member_id: member_id.to_string(),
            payee: p.payee,
            method: p.method,
            fee_amount: p.fee_amount,
            expenses_amount: p.expenses_amount,
            total: p.total,
        });
    }
    draft.members.push(MemberSummary {
        member_id: member_id.to_string(),
        notify_by_email,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rates::{Basis, Rule};
    use chrono::Weekday;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn card() -> RateCard {
        RateCard {
            id: "card".into(),
            name: "Regional 2025".into(),
            group_id: None,
            effective_from: d("2025-04-01"),
            effective_to: None,
            rules: vec![Rule {
                role: Some("member".into()),
                activity_kind: Some("meeting".into()),
                member_id: None,
                basis: Basis::Band {
                    half_day_amount: m("75.00"),
                    full_day_amount: m("150.00"),
                    boundary_minutes: 240,
                    boundary_is_full_day: false,
                },
                prep_hourly_rate: Some(m("20.00")),
            }],
        }
    }

    fn session(id: &str, date: &str, minutes: i32) -> Session {
        Session {
            attendance_id: id.into(),
            member_id: "m1".into(),
            group_id: "g".into(),
            meeting_id: format!("meeting-{id}"),
            meeting_title: "Advisory group".into(),
            meeting_date: d(date),
            activity_kind: "meeting".into(),
            role_override: None,
            attended_minutes: minutes,
            prep_minutes: 0,
            prep_allowed: 0,
        }
    }

    fn inputs(sessions: Vec<Session>, payment_date: &str) -> Inputs {
        Inputs {
            payment_date: Some(d(payment_date)),
            sessions,
            memberships: vec![Membership {
                member_id: "m1".into(),
                group_id: "g".into(),
                role: "member".into(),
                starts_on: d("2025-01-01"),
                ends_on: None,
            }],
            cards: vec![card()],
            limits: limits::shipped(),
            ..Inputs::default()
        }
    }

    #[test]
    fn worked_example_1_fee_and_capped_preparation_as_two_lines() {
        let mut s = session("a1", "2025-06-10", 180);
        s.prep_minutes = 90;
        s.prep_allowed = 60;
        let draft = build(&inputs(vec![s], "2025-06-27"));
        let amounts: Vec<_> = draft
            .lines
            .iter()
            .map(|l| (l.kind, l.amount.to_string(), l.minutes))
            .collect();
        assert_eq!(
            amounts,
            vec![
                (LineKind::Fee, "75.00".to_string(), Some(180)),
                (LineKind::Prep, "20.00".to_string(), Some(60))
            ]
        );
        assert_eq!(draft.total().to_string(), "95.00");
        assert_eq!(draft.lines[0].rate, Some(m("75.00")));
        assert!(draft.lines[0]
            .rule
            .as_deref()
            .unwrap()
            .contains("Regional 2025"));
        assert!(draft.warnings.is_empty());
    }

    #[test]
    fn worked_example_6_weekly_esa_cap_with_carry_forward() {
        let sessions = vec![
            session("a1", "2025-06-30", 300),
            session("a2", "2025-07-01", 300),
            session("a3", "2025-07-02", 180),
        ];
        let mut i = inputs(sessions, "2025-07-04");
        i.choices.push(Choices {
            cap: Some(CapChoice {
                amount: CapAmount::Limit("esa_permitted_work".into()),
                period: PeriodRule::Week {
                    starts_on: Weekday::Mon,
                },
                counts_methods: vec![Method::BankTransfer, Method::Payroll, Method::Voucher],
            }),
            ..Choices::default_for("m1")
        });
        let draft = build(&i);
        assert_eq!(draft.total().to_string(), "195.50");
        let carried: Money = draft
            .lines
            .iter()
            .filter(|l| l.disposition == Disposition::CarriedForward)
            .map(|l| l.amount)
            .sum();
        assert_eq!(carried.to_string(), "179.50");
    }

    #[test]
    fn no_rate_card_or_role_is_a_warning_not_a_line() {
        let mut s = session("a1", "2025-03-01", 180);
        s.meeting_date = d("2025-03-01");
        let mut other = session("a2", "2025-06-10", 180);
        other.member_id = "stranger".into();
        let draft = build(&inputs(vec![s, other], "2025-06-27"));
        assert!(draft.lines.is_empty());
        assert_eq!(draft.warnings.len(), 2, "{:?}", draft.warnings);
    }

    #[test]
    fn a_missing_benefit_limit_figure_leaves_the_member_out() {
        let mut i = inputs(vec![session("a1", "2025-06-10", 180)], "2025-06-27");
        i.limits.clear();
        i.choices.push(Choices {
            cap: Some(CapChoice {
                amount: CapAmount::Limit("carers_allowance".into()),
                period: PeriodRule::Week {
                    starts_on: Weekday::Mon,
                },
                counts_methods: vec![Method::BankTransfer],
            }),
            ..Choices::default_for("m1")
        });
        let draft = build(&i);
        assert!(draft.lines.is_empty());
        assert!(draft.warnings[0].contains("carers_allowance"));
    }

    #[test]
    fn worked_example_9_mileage_so_far_this_tax_year_sets_the_rate() {
        let mut i = inputs(vec![], "2025-09-26");
        i.car_journeys = vec![
            CarJourney {
                expense_id: "e0".into(),
                member_id: "m1".into(),
                meeting_date: d("2025-05-01"),
                tenths: 99_900,
                paid: true,
            },
            CarJourney {
                expense_id: "e1".into(),
                member_id: "m1".into(),
                meeting_date: d("2025-09-10"),
                tenths: 300,
                paid: false,
            },
        ];
        i.claims = vec![Claim {
            expense_id: "e1".into(),
            member_id: "m1".into(),
            group_id: "g".into(),
            meeting_id: "mt".into(),
            meeting_title: "Advisory group".into(),
            meeting_date: d("2025-09-10"),
            kind: ExpenseKind::Car,
            miles_tenths: Some(300),
            passengers: 0,
            amount: None,
        }];
        let draft = build(&i);
        assert_eq!(draft.lines.len(), 1);
        assert_eq!(draft.lines[0].amount.to_string(), "9.50");
        assert_eq!(draft.lines[0].source_kind, SourceKind::Expense);
    }

    fn adjustment(id: &str, amount: &str) -> Adjustment {
        Adjustment {
            id: id.into(),
            member_id: "m1".into(),
            group_id: Some("g".into()),
            is_fee: true,
            amount: m(amount),
            reason: "overpaid".into(),
        }
    }

    #[test]
    fn declining_or_donating_never_cancels_a_recovery() {
        for fee_choice in [FeeChoice::Decline, FeeChoice::Donate] {
            let mut i = inputs(vec![session("a1", "2025-06-10", 300)], "2025-06-27");
            i.adjustments.push(adjustment("adj", "-15.00"));
            i.choices.push(Choices {
                fee_choice: fee_choice.clone(),
                charity: Some("Mind".into()),
                ..Choices::default_for("m1")
            });
            let draft = build(&i);
            // Nothing is paid to the member to recover from, so the recovery waits.
            assert!(
                draft
                    .lines
                    .iter()
                    .all(|l| l.source_kind != SourceKind::Adjustment),
                "{fee_choice:?}: {:?}",
                draft.lines
            );
            assert!(draft
                .warnings
                .iter()
                .any(|w| w.contains("negative adjustment")));
            let fee = draft
                .lines
                .iter()
                .find(|l| l.kind == LineKind::Fee)
                .unwrap();
            assert_eq!(
                fee.amount.to_string(),
                "150.00",
                "the full fee is still declined or donated"
            );
        }
        // With fees paid to the member, the recovery comes off them.
        let mut i = inputs(vec![session("a1", "2025-06-10", 300)], "2025-06-27");
        i.adjustments.push(adjustment("adj", "-15.00"));
        assert_eq!(build(&i).total().to_string(), "135.00");
    }

    #[test]
    fn a_group_run_pays_a_members_other_balances_and_ungrouped_adjustments_only_with_their_fees() {
        let mut i = inputs(vec![], "2025-06-27");
        i.group = Some("g".into());
        i.balances.push(Balance {
            line_id: "old".into(),
            member_id: "m1".into(),
            group_id: Some("other".into()),
            meeting_id: None,
            meeting_date: None,
            amount: m("20.00"),
            from_payment_date: d("2025-05-30"),
        });
        i.adjustments.push(Adjustment {
            group_id: None,
            ..adjustment("adj", "5.00")
        });
        assert!(
            build(&i).lines.is_empty(),
            "nothing of this group for the member"
        );
        i.sessions.push(session("a1", "2025-06-10", 180));
        let draft = build(&i);
        assert_eq!(draft.total().to_string(), "100.00", "{:?}", draft.lines);
        assert_eq!(draft.lines[0].kind, LineKind::Carried, "balances first");
    }

    #[test]
    fn miles_already_paid_count_whatever_their_date() {
        let mut i = inputs(vec![], "2025-09-26");
        let journey = |id: &str, date: &str, tenths: i32, paid: bool| CarJourney {
            expense_id: id.into(),
            member_id: "m1".into(),
            meeting_date: d(date),
            tenths,
            paid,
        };
        // 9,990 miles paid for a later journey; this earlier one, approved late, is past the switch.
        i.car_journeys = vec![
            journey("late", "2025-09-20", 99_900, true),
            journey("e1", "2025-09-10", 300, false),
        ];
        i.claims = vec![Claim {
            expense_id: "e1".into(),
            member_id: "m1".into(),
            group_id: "g".into(),
            meeting_id: "mt".into(),
            meeting_title: "Advisory group".into(),
            meeting_date: d("2025-09-10"),
            kind: ExpenseKind::Car,
            miles_tenths: Some(300),
            passengers: 0,
            amount: None,
        }];
        assert_eq!(build(&i).lines[0].amount.to_string(), "9.50");
    }

    #[test]
    fn choices_in_force_are_the_latest_started_and_the_latest_written_on_a_tie() {
        let a = Choices {
            effective_from: d("2025-04-01"),
            ..Choices::default_for("m")
        };
        let b = Choices {
            effective_from: d("2025-06-01"),
            method: Method::Payroll,
            ..Choices::default_for("m")
        };
        let c = Choices {
            effective_from: d("2025-06-01"),
            method: Method::Voucher,
            ..Choices::default_for("m")
        };
        let h = vec![&a, &b, &c];
        assert_eq!(
            in_force(&h, d("2025-05-01")).unwrap().method,
            Method::BankTransfer
        );
        assert_eq!(
            in_force(&h, d("2025-06-01")).unwrap().method,
            Method::Voucher
        );
        assert!(in_force(&h, d("2025-01-01")).is_none());
    }

    #[test]
    fn a_draft_built_twice_is_the_same() {
        let mut s = session("a1", "2025-06-10", 180);
        s.prep_minutes = 30;
        s.prep_allowed = 60;
        let i = inputs(vec![s, session("a2", "2025-06-11", 300)], "2025-06-27");
        assert_eq!(build(&i), build(&i));
    }

    mod properties {
        use super::*;
        use crate::domain::payrun::cap_period;
        use proptest::prelude::*;

        fn basis() -> impl Strategy<Value = Basis> {
            prop_oneof![
                (0i64..10_000).prop_map(|p| Basis::Hourly {
                    hourly_rate: Money::from_pence(p)
                }),
                (0i64..20_000, 0i64..20_000, 30i32..480, any::<bool>()).prop_map(
                    |(a, b, boundary, full)| Basis::Band {
                        half_day_amount: Money::from_pence(a.min(b)),
                        full_day_amount: Money::from_pence(a.max(b)),
                        boundary_minutes: boundary,
                        boundary_is_full_day: full,
                    }
                ),
                (0i64..10_000).prop_map(|p| Basis::Fixed {
                    fixed_amount: Money::from_pence(p)
                }),
            ]
        }

        fn choices(member: String) -> impl Strategy<Value = Choices> {
            (
                0u8..4,
                1i64..20_000,
                0u8..3,
                proptest::option::of((1i64..40_000, 0u8..3, any::<bool>())),
                0u8..3,
                any::<bool>(),
            )
                .prop_map(
                    move |(fee, reduced, method, cap, over, decline_expenses)| {
                        let method = Method::ALL[usize::from(method)];
                        Choices {
                            member_id: member.clone(),
                            effective_from: NaiveDate::MIN,
                            fee_choice: match fee {
                                0 => FeeChoice::Full,
                                1 => FeeChoice::Reduced {
                                    reduced_max: Money::from_pence(reduced),
                                },
                                2 => FeeChoice::Decline,
                                _ => FeeChoice::Donate,
                            },
                            decline_expenses,
                            method,
                            charity: Some("Mind".into()),
                            cap: cap.map(|(amount, period, vouchers)| CapChoice {
                                amount: CapAmount::Fixed(Money::from_pence(amount)),
                                period: match period {
                                    0 => PeriodRule::Week {
                                        starts_on: chrono::Weekday::Mon,
                                    },
                                    1 => PeriodRule::Month { anchor_day: 17 },
                                    _ => PeriodRule::TaxYear,
                                },
                                counts_methods: if vouchers {
                                    Method::ALL.to_vec()
                                } else {
                                    vec![Method::BankTransfer, Method::Payroll]
                                },
                            }),
                            over_cap: match over {
                                0 => OverCap::CarryForward,
                                1 => OverCap::Forgo,
                                _ => OverCap::Donate,
                            },
                            notify_by_email: true,
                        }
                    },
                )
        }

        /// Random members, cards, choices, sessions, balances and earlier payments.
        fn world() -> impl Strategy<Value = Inputs> {
            let members = 1usize..5;
            members
                .prop_flat_map(|n| {
                    let ids: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
                    (
                        proptest::collection::vec(basis(), 1..3),
                        proptest::collection::vec((0..n, 0u32..60, 1i32..480, 0i32..120), 0..20),
                        proptest::collection::vec((0..n, 1i64..30_000), 0..4),
                        proptest::collection::vec((0..n, 0u32..60, 1i64..30_000), 0..6),
                        ids.iter().map(|m| choices(m.clone())).collect::<Vec<_>>(),
                        Just(ids),
                    )
                })
                .prop_map(|(bases, sessions, balances, paid, choices, ids)| {
                    let start = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
                    Inputs {
                        payment_date: Some(NaiveDate::from_ymd_opt(2025, 8, 1).unwrap()),
                        sessions: sessions
                            .into_iter()
                            .enumerate()
                            .map(|(i, (m, day, minutes, prep))| Session {
                                attendance_id: format!("a{i:03}"),
                                member_id: ids[m].clone(),
                                group_id: "g".into(),
                                meeting_id: format!("meeting{}", i % 7),
                                meeting_title: "Session".into(),
                                meeting_date: start + chrono::Days::new(u64::from(day)),
                                activity_kind: "meeting".into(),
                                role_override: None,
                                attended_minutes: minutes,
                                prep_minutes: prep,
                                prep_allowed: 60,
                            })
                            .collect(),
                        memberships: ids
                            .iter()
                            .map(|m| Membership {
                                member_id: m.clone(),
                                group_id: "g".into(),
                                role: "member".into(),
                                starts_on: start,
                                ends_on: None,
                            })
                            .collect(),
                        balances: balances
                            .into_iter()
                            .enumerate()
                            .map(|(i, (m, p))| Balance {
                                line_id: format!("old{i}"),
                                member_id: ids[m].clone(),
                                group_id: Some("g".into()),
                                meeting_id: None,
                                meeting_date: None,
                                amount: Money::from_pence(p),
                                from_payment_date: start,
                            })
                            .collect(),
                        paid_fees: paid
                            .into_iter()
                            .map(|(m, day, p)| PaidFee {
                                member_id: ids[m].clone(),
                                payment_date: start + chrono::Days::new(u64::from(day)),
                                method: Method::BankTransfer,
                                amount: Money::from_pence(p),
                            })
                            .collect(),
                        choices,
                        cards: bases
                            .into_iter()
                            .enumerate()
                            .map(|(i, basis)| RateCard {
                                id: format!("card{i}"),
                                name: format!("Card {i}"),
                                group_id: (i == 1).then(|| "g".to_string()),
                                effective_from: start,
                                effective_to: None,
                                rules: vec![Rule {
                                    role: Some("member".into()),
                                    activity_kind: None,
                                    member_id: None,
                                    basis,
                                    prep_hourly_rate: Some(Money::from_pence(2_000)),
                                }],
                            })
                            .collect(),
                        ..Inputs::default()
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn drafts_balance_respect_caps_add_up_and_recalculate_the_same(inputs in world()) {
                let draft = build(&inputs);
                let payment_date = inputs.payment_date.unwrap();
                // Recalculating changes nothing.
                prop_assert_eq!(&draft, &build(&inputs));
                for c in &inputs.choices {
                    let m = &c.member_id;
                    let mine: Vec<&DraftLine> = draft.lines.iter().filter(|l| &l.member_id == m).collect();
                    // Earned (new fees + balances carried in) = paid + donated + declined + forgone + carried out.
                    let carried_in: Money = inputs.balances.iter().filter(|b| &b.member_id == m).map(|b| b.amount).sum();
                    let fee_lines: Vec<&&DraftLine> = mine.iter().filter(|l| l.kind != LineKind::Expense).collect();
                    let new_fees: Money = fee_lines.iter().filter(|l| l.source_kind == SourceKind::Attendance).map(|l| l.amount).sum();
                    let out: Money = fee_lines.iter().map(|l| l.amount).sum();
                    prop_assert_eq!(new_fees + carried_in, out, "ledger of {}", m);
                    // No cap period is paid over its cap (counting earlier payments in it).
                    if let Some(cap) = &c.cap {
                        if cap.counts_methods.contains(&c.method) {
                            let CapAmount::Fixed(amount) = cap.amount else { unreachable!() };
                            let period = cap_period(&Cap { amount, period: cap.period, counts_methods: cap.counts_methods.clone() }, payment_date);
                            let before: Money = inputs.paid_fees.iter()
                                .filter(|p| &p.member_id == m && period.contains(p.payment_date) && cap.counts_methods.contains(&p.method))
                                .map(|p| p.amount).sum();
                            let now: Money = fee_lines.iter().filter(|l| l.disposition == Disposition::Paid).map(|l| l.amount).sum();
                            prop_assert!(now <= (amount - before).max(Money::ZERO), "{} paid {} over a cap of {} with {} before", m, now, amount, before);
                        }
                    }
                    // Each payment's total is the sum of its lines.
                    for p in draft.payments.iter().filter(|p| &p.member_id == m) {
                        let lines: Money = mine.iter()
                            .filter(|l| l.payee.as_ref() == Some(&p.payee) && l.method == Some(p.method)
                                && matches!(l.disposition, Disposition::Paid | Disposition::Donated))
                            .map(|l| l.amount).sum();
                        prop_assert_eq!(p.total, lines);
                        prop_assert_eq!(p.total, p.fee_amount + p.expenses_amount);
                    }
                }
                prop_assert_eq!(draft.total(), draft.payments.iter().map(|p| p.total).sum::<Money>());
            }
        }
    }
}
