//! Rate cards: finance and admins write them, coordinators read them. A card that has paid an
//! approved run never changes (its lines must keep explaining themselves); a new card supersedes it
//! from a later date. `resolve` says which rule applies to a member at a meeting, and why.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::meetings as meeting_rows;
use crate::db::pay::{self as rows, RateCardRow, RateRuleRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::rates::{
    self, Basis, BasisKind, Occasion, RateCard, Rule, DEFAULT_BOUNDARY_MINUTES,
};
use crate::domain::Money;

/// The most a single rate may be.
const MAX_RATE_PENCE: i64 = 1_000_000;
const MAX_RULES: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub role: Option<String>,
    pub activity_kind: Option<String>,
    pub member_id: Option<String>,
    pub basis: String,
    pub hourly_rate: Option<Money>,
    pub half_day_amount: Option<Money>,
    pub full_day_amount: Option<Money>,
    pub boundary_minutes: Option<i64>,
    pub boundary_is_full_day: Option<bool>,
    pub fixed_amount: Option<Money>,
    pub prep_hourly_rate: Option<Money>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub role: Option<String>,
    pub activity_kind: Option<String>,
    pub member_id: Option<String>,
    pub basis: BasisKind,
    #[schema(value_type = Option<String>, example = "25.00")]
    pub hourly_rate: Option<Money>,
    #[schema(value_type = Option<String>, example = "75.00")]
    pub half_day_amount: Option<Money>,
    #[schema(value_type = Option<String>, example = "150.00")]
    pub full_day_amount: Option<Money>,
    pub boundary_minutes: Option<i32>,
    pub boundary_is_full_day: Option<bool>,
    #[schema(value_type = Option<String>, example = "25.00")]
    pub fixed_amount: Option<Money>,
    #[schema(value_type = Option<String>, example = "20.00")]
    pub prep_hourly_rate: Option<Money>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RateCardView {
    pub id: String,
    pub name: String,
    /// Null for the default card of every group.
    pub group_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The card this one replaced.
    pub supersedes: Option<String>,
    /// True once an approved run has paid with it: it can no longer change.
    pub locked: bool,
    pub rules: Vec<RuleView>,
    pub created_at: String,
}

fn pence(m: Option<i64>) -> Option<Money> {
    m.map(Money::from_pence)
}

fn rule_view(r: &RateRuleRow) -> RuleView {
    let band = r.basis == BasisKind::Band;
    RuleView {
        role: r.role.clone(),
        activity_kind: r.activity_kind.clone(),
        member_id: r.member_id.clone(),
        basis: r.basis,
        hourly_rate: pence(r.hourly_rate_pence),
        half_day_amount: pence(r.half_day_pence),
        full_day_amount: pence(r.full_day_pence),
        boundary_minutes: r.boundary_minutes,
        boundary_is_full_day: band.then_some(r.boundary_is_full_day),
        fixed_amount: pence(r.fixed_pence),
        prep_hourly_rate: pence(r.prep_hourly_rate_pence),
    }
}

fn view(card: &RateCardRow, rules: &[RateRuleRow], locked: bool) -> RateCardView {
    RateCardView {
        id: card.id.clone(),
        name: card.name.clone(),
        group_id: card.group_id.clone(),
        effective_from: card.effective_from,
        effective_to: card.effective_to,
        supersedes: card.supersedes.clone(),
        locked,
        rules: rules.iter().map(rule_view).collect(),
        created_at: instant(card.created_at),
    }
}

/// A stored rule as the domain's.
pub fn rule_of(r: &RateRuleRow) -> Rule {
    let m = |p: Option<i64>| Money::from_pence(p.unwrap_or(0));
    let basis = match r.basis {
        BasisKind::Hourly => Basis::Hourly {
            hourly_rate: m(r.hourly_rate_pence),
        },
        BasisKind::Band => Basis::Band {
            half_day_amount: m(r.half_day_pence),
            full_day_amount: m(r.full_day_pence),
            boundary_minutes: r.boundary_minutes.unwrap_or(DEFAULT_BOUNDARY_MINUTES),
            boundary_is_full_day: r.boundary_is_full_day,
        },
        BasisKind::Fixed => Basis::Fixed {
            fixed_amount: m(r.fixed_pence),
        },
    };
    Rule {
        role: r.role.clone(),
        activity_kind: r.activity_kind.clone(),
        member_id: r.member_id.clone(),
        basis,
        prep_hourly_rate: pence(r.prep_hourly_rate_pence),
    }
}

/// Cards with their rules, as the domain's.
pub fn domain_cards(cards: &[RateCardRow], rules: &[RateRuleRow]) -> Vec<RateCard> {
    let mut by_card: HashMap<&str, Vec<Rule>> = HashMap::new();
    for r in rules {
        by_card
            .entry(r.rate_card_id.as_str())
            .or_default()
            .push(rule_of(r));
    }
    cards
        .iter()
        .map(|c| RateCard {
            id: c.id.clone(),
            name: c.name.clone(),
            group_id: c.group_id.clone(),
            effective_from: c.effective_from,
            effective_to: c.effective_to,
            rules: by_card.remove(c.id.as_str()).unwrap_or_default(),
        })
        .collect()
}

fn check_rules(
    conn: &mut DbConnection,
    card_id: &str,
    input: &[RuleInput],
) -> Result<Vec<RateRuleRow>> {
    let mut errors = Vec::new();
    if input.is_empty() {
        errors.push(FieldError::new("rules", "a card needs at least one rule"));
    }
    if input.len() > MAX_RULES {
        errors.push(FieldError::new(
            "rules",
            format!("at most {MAX_RULES} rules on one card"),
        ));
        return Err(Error::Validation(errors));
    }
    let roles: HashSet<String> = people::list_roles(conn)?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let kinds: HashSet<String> = people::list_activity_kinds(conn)?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(input.len());
    for (i, r) in input.iter().enumerate() {
        let at = |f: &str| format!("rules[{i}].{f}");
        let before = errors.len();
        if let Some(role) = &r.role {
            if !roles.contains(role) {
                errors.push(FieldError::new(at("role"), "is not a known role"));
            }
        }
        if let Some(kind) = &r.activity_kind {
            if !kinds.contains(kind) {
                errors.push(FieldError::new(
                    at("activity_kind"),
                    "is not a known activity kind",
                ));
            }
        }
        if let Some(m) = &r.member_id {
            if people::find_member(conn, m)?.is_none() {
                errors.push(FieldError::new(at("member_id"), "is not a known member"));
            }
        }
        if !seen.insert((r.role.clone(), r.activity_kind.clone(), r.member_id.clone())) {
            errors.push(FieldError::new(
                at("role"),
                "another rule of this card has the same role, activity kind and member",
            ));
        }
        let row = check_amounts(r, &at, &mut errors);
        if errors.len() > before {
            continue;
        }
        if let Some(mut row) = row {
            row.rate_card_id = card_id.to_string();
            row.position = i32::try_from(i).unwrap_or(i32::MAX);
            out.push(row);
        }
    }
    input::finish(errors)?;
    Ok(out)
}

/// A rule's basis and amounts: each amount its basis needs, none it does not, none negative or
/// too large; a band's boundary. The row, or None when something is wrong (said in `errors`).
fn check_amounts(
    r: &RuleInput,
    at: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) -> Option<RateRuleRow> {
    let Some(basis) = BasisKind::parse(&r.basis) else {
        errors.push(FieldError::new(
            at("basis"),
            "must be `hourly`, `band` or `fixed`",
        ));
        return None;
    };
    let mut money = |field: &str, v: Option<Money>, needed: bool| -> Option<i64> {
        match v {
            None if needed => {
                errors.push(FieldError::new(
                    at(field),
                    format!("is needed for a `{}` rule", r.basis),
                ));
                None
            }
            None => None,
            Some(_) if !needed => {
                errors.push(FieldError::new(
                    at(field),
                    format!("does not belong to a `{}` rule; leave it out", r.basis),
                ));
                None
            }
            Some(m) if m.is_negative() => {
                errors.push(FieldError::new(at(field), "must not be negative"));
                None
            }
            Some(m) if m.pence() > MAX_RATE_PENCE => {
                errors.push(FieldError::new(at(field), "must be at most 10000.00"));
                None
            }
            Some(m) => Some(m.pence()),
        }
    };
    let (hourly, band, fixed) = match basis {
        BasisKind::Hourly => (true, false, false),
        BasisKind::Band => (false, true, false),
        BasisKind::Fixed => (false, false, true),
    };
    let hourly_rate = money("hourly_rate", r.hourly_rate, hourly);
    let half = money("half_day_amount", r.half_day_amount, band);
    let full = money("full_day_amount", r.full_day_amount, band);
    let fixed_amount = money("fixed_amount", r.fixed_amount, fixed);
    let prep = money(
        "prep_hourly_rate",
        r.prep_hourly_rate,
        r.prep_hourly_rate.is_some(),
    );
    let boundary = match r.boundary_minutes {
        None => band.then_some(DEFAULT_BOUNDARY_MINUTES),
        Some(_) if !band => {
            errors.push(FieldError::new(
                at("boundary_minutes"),
                "only band rules have a boundary",
            ));
            None
        }
        Some(b) if (1..=1440).contains(&b) => i32::try_from(b).ok(),
        Some(_) => {
            errors.push(FieldError::new(
                at("boundary_minutes"),
                "must be between 1 and 1440",
            ));
            None
        }
    };
    if r.boundary_is_full_day.is_some() && !band {
        errors.push(FieldError::new(
            at("boundary_is_full_day"),
            "only band rules have a boundary",
        ));
    }
    if let (Some(h), Some(f)) = (half, full) {
        if f < h {
            errors.push(FieldError::new(
                at("full_day_amount"),
                "must be at least the half-day amount",
            ));
        }
    }
    Some(RateRuleRow {
        id: db::new_id(),
        rate_card_id: String::new(),
        position: 0,
        role: r.role.clone(),
        activity_kind: r.activity_kind.clone(),
        member_id: r.member_id.clone(),
        basis,
        hourly_rate_pence: hourly_rate,
        half_day_pence: half,
        full_day_pence: full,
        boundary_minutes: boundary,
        boundary_is_full_day: r.boundary_is_full_day.unwrap_or(false),
        fixed_pence: fixed_amount,
        prep_hourly_rate_pence: prep,
    })
}

fn check_name(errors: &mut Vec<FieldError>, name: &str) {
    let n = name.trim();
    if n.is_empty() {
        errors.push(FieldError::new("name", "must not be empty"));
    } else if n.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be at most 200 characters"));
    }
}

#[derive(Debug, Clone)]
pub struct NewCard {
    pub name: String,
    pub group_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub supersedes: Option<String>,
    pub rules: Vec<RuleInput>,
}

pub fn create(conn: &mut DbConnection, actor: &Actor, input: NewCard) -> Result<RateCardView> {
    actor.require(&[Role::Finance, Role::Admin])?;
    let mut errors = Vec::new();
    check_name(&mut errors, &input.name);
    if input
        .effective_to
        .is_some_and(|to| to < input.effective_from)
    {
        errors.push(FieldError::new(
            "effective_to",
            "must not be before effective_from",
        ));
    }
    input::finish(errors)?;
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        if let Some(g) = &input.group_id {
            if people::find_group(conn, g)?.is_none() {
                return Err(Error::invalid("group_id", "is not a known group"));
            }
        }
        let id = db::new_id();
        let rules = check_rules(conn, &id, &input.rules)?;
        let now = db::now();
        if let Some(old_id) = &input.supersedes {
            let old = rows::find_card(conn, old_id)?
                .ok_or_else(|| Error::invalid("supersedes", "is not a known rate card"))?;
            if old.group_id != input.group_id {
                return Err(Error::invalid(
                    "supersedes",
                    "a card can only supersede a card for the same group (or the default card)",
                ));
            }
            if input.effective_from <= old.effective_from {
                return Err(Error::invalid(
                    "effective_from",
                    format!(
                        "must be after the superseded card starts ({})",
                        old.effective_from
                    ),
                ));
            }
            if let Some(used) = rows::card_last_used(conn, old_id)? {
                if used >= input.effective_from {
                    return Err(Error::Conflict(format!(
                        "The card \"{}\" paid meetings up to {used} in an approved run, so a new card can only take over after that date.",
                        old.name
                    )));
                }
            }
            let ends = input.effective_from - Days::new(1);
            if old.effective_to.is_none_or(|to| to > ends) {
                rows::update_card(conn, old_id, &old.name, Some(ends), now)?;
            }
        }
        let card = RateCardRow {
            id: id.clone(),
            name: input.name.trim().to_string(),
            group_id: input.group_id.clone(),
            effective_from: input.effective_from,
            effective_to: input.effective_to,
            supersedes: input.supersedes.clone(),
            created_by: Some(actor.account_id.clone()),
            created_at: now,
            updated_at: now,
        };
        rows::insert_card(conn, &card, &rules)?;
        let v = view(&card, &rules, false);
        audit::record(
            conn,
            Some(actor),
            Change::new("rate_card.created", "rate_card", &id).after(&v),
        )?;
        Ok(v)
    })
}

/// Who may read cards: staff; coordinators see the default cards and their groups' cards.
fn readable(actor: &Actor, card: &RateCardRow) -> Result<()> {
    scope::require_staff(actor)?;
    match &card.group_id {
        Some(g) => scope::group(actor, g, Access::Read),
        None => Ok(()),
    }
}

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: Option<&str>,
) -> Result<Vec<RateCardView>> {
    scope::require_staff(actor)?;
    if let Some(g) = group_id {
        scope::group(actor, g, Access::Read)?;
    }
    let only = (actor.role == Role::Coordinator).then_some(actor.group_ids.as_slice());
    let cards = rows::list_cards(conn, group_id, only)?;
    let ids: Vec<String> = cards.iter().map(|c| c.id.clone()).collect();
    let rules = rows::rules_of(conn, &ids)?;
    let mut by_card: HashMap<&str, Vec<RateRuleRow>> = HashMap::new();
    for r in &rules {
        by_card
            .entry(r.rate_card_id.as_str())
            .or_default()
            .push(r.clone());
    }
    let used: HashSet<String> = rows::cards_used(conn, &ids)?.into_iter().collect();
    Ok(cards
        .iter()
        .map(|c| {
            view(
                c,
                by_card.get(c.id.as_str()).map_or(&[][..], |v| v),
                used.contains(&c.id),
            )
        })
        .collect())
}

pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<RateCardView> {
    scope::require_staff(actor)?;
    let card = rows::find_card(conn, id)?.ok_or(Error::NotFound)?;
    readable(actor, &card)?;
    let rules = rows::rules_of(conn, std::slice::from_ref(&card.id))?;
    let locked = rows::card_last_used(conn, id)?.is_some();
    Ok(view(&card, &rules, locked))
}

/// An approved run that paid with a card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardRun {
    pub id: String,
    pub payment_date: NaiveDate,
    pub status: crate::domain::payrun::RunStatus,
}

/// The approved runs that paid with a card (and so why it is locked), newest first.
pub fn runs_of(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<Vec<CardRun>> {
    scope::require_staff(actor)?;
    let card = rows::find_card(conn, id)?.ok_or(Error::NotFound)?;
    readable(actor, &card)?;
    Ok(rows::runs_of_card(conn, id)?
        .into_iter()
        .map(|(id, payment_date, status)| CardRun {
            id,
            payment_date,
            status,
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct CardChanges {
    pub name: Option<String>,
    pub effective_to: Option<Option<NaiveDate>>,
    pub rules: Option<Vec<RuleInput>>,
}

/// Changes a card no approved run has used.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    changes: CardChanges,
) -> Result<RateCardView> {
    actor.require(&[Role::Finance, Role::Admin])?;
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        let card = rows::find_card(conn, id)?.ok_or(Error::NotFound)?;
        if rows::card_last_used(conn, id)?.is_some() {
            return Err(Error::Conflict(format!(
                "The card \"{}\" has paid an approved run, so it cannot change. Create a new card with `supersedes` set to this one.",
                card.name
            )));
        }
        let before = view(
            &card,
            &rows::rules_of(conn, std::slice::from_ref(&card.id))?,
            false,
        );
        let mut errors = Vec::new();
        let name = changes.name.clone().unwrap_or_else(|| card.name.clone());
        check_name(&mut errors, &name);
        let effective_to = changes.effective_to.unwrap_or(card.effective_to);
        if effective_to.is_some_and(|to| to < card.effective_from) {
            errors.push(FieldError::new(
                "effective_to",
                "must not be before effective_from",
            ));
        }
        input::finish(errors)?;
        if let Some(rules) = &changes.rules {
            let rules = check_rules(conn, id, rules)?;
            rows::replace_rules(conn, id, &rules)?;
        }
        let now = db::now();
        rows::update_card(conn, id, name.trim(), effective_to, now)?;
        let after = rows::find_card(conn, id)?.ok_or(Error::NotFound)?;
        let v = view(
            &after,
            &rows::rules_of(conn, std::slice::from_ref(&after.id))?,
            false,
        );
        audit::record(
            conn,
            Some(actor),
            Change::new("rate_card.updated", "rate_card", id)
                .before(&before)
                .after(&v),
        )?;
        Ok(v)
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resolution {
    pub member_id: String,
    pub meeting_id: String,
    pub date: NaiveDate,
    /// The role used: the attendance record's override, or the member's role in the group that day.
    pub role: Option<String>,
    pub activity_kind: String,
    pub rate_card_id: Option<String>,
    pub rate_card_name: Option<String>,
    pub rule: Option<RuleView>,
    /// Which rule applies and why, in words.
    pub reason: String,
    /// What the member's attendance record pays under the rule, if there is a record.
    #[schema(value_type = Option<String>, example = "75.00")]
    pub fee: Option<Money>,
    #[schema(value_type = Option<String>, example = "20.00")]
    pub prep: Option<Money>,
    pub explanation: Option<String>,
}

pub fn resolve(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    meeting_id: &str,
) -> Result<Resolution> {
    actor.require(&[Role::Coordinator, Role::Finance, Role::Admin])?;
    let meeting = meeting_rows::find_meeting(conn, meeting_id)?.ok_or(Error::NotFound)?;
    scope::group(actor, &meeting.group_id, Access::Read)?;
    if people::find_member(conn, member_id)?.is_none() {
        return Err(Error::NotFound);
    }
    scope::member(conn, actor, member_id, Access::Read)?;
    let record = meeting_rows::attendance_of_meeting(conn, meeting_id)?
        .into_iter()
        .find(|r| r.member_id == member_id);
    let role = record
        .as_ref()
        .and_then(|r| r.role_override.clone())
        .or_else(|| {
            people::memberships_of(conn, &meeting.group_id, member_id)
                .ok()
                .into_iter()
                .flatten()
                .find(|m| {
                    m.starts_on <= meeting.meeting_date
                        && m.ends_on.is_none_or(|e| meeting.meeting_date <= e)
                })
                .map(|m| m.role)
        });
    let mut out = Resolution {
        member_id: member_id.to_string(),
        meeting_id: meeting_id.to_string(),
        date: meeting.meeting_date,
        role: role.clone(),
        activity_kind: meeting.activity_kind.clone(),
        rate_card_id: None,
        rate_card_name: None,
        rule: None,
        reason: String::new(),
        fee: None,
        prep: None,
        explanation: None,
    };
    let Some(role) = role else {
        out.reason = format!(
            "The member has no role in this group on {}, so no rule applies. Add a membership or set a role on the attendance record.",
            meeting.meeting_date
        );
        return Ok(out);
    };
    let card_rows = rows::cards_overlapping(conn, meeting.meeting_date, meeting.meeting_date)?;
    let ids: Vec<String> = card_rows.iter().map(|c| c.id.clone()).collect();
    let rule_rows = rows::rules_of(conn, &ids)?;
    let cards = domain_cards(&card_rows, &rule_rows);
    let occasion = Occasion {
        member_id,
        group_id: &meeting.group_id,
        role: &role,
        activity_kind: &meeting.activity_kind,
        date: meeting.meeting_date,
    };
    match rates::resolve(&cards, &occasion) {
        None => {
            out.reason = format!(
                "No rate card in force on {} has a rule for role {role} at a {}.",
                meeting.meeting_date, meeting.activity_kind
            );
        }
        Some(r) => {
            out.reason = format!("Applies: {}.", r.reason);
            out.rate_card_id = Some(r.card.id.clone());
            out.rate_card_name = Some(r.card.name.clone());
            let idx = r.card.rules.iter().position(|x| x == r.rule);
            out.rule = idx.and_then(|i| {
                rule_rows
                    .iter()
                    .filter(|x| x.rate_card_id == r.card.id)
                    .nth(i)
                    .map(rule_view)
            });
            if let Some(rec) = record.as_ref().filter(|rec| rec.status.is_paid()) {
                let minutes = rec.attended_minutes.unwrap_or(meeting.duration_minutes);
                let (fee, how) = rates::fee(&r.rule.basis, minutes);
                out.fee = Some(fee);
                let mut explanation = how;
                if let Some(rate) = r.rule.prep_hourly_rate {
                    if rec.prep_minutes > 0 && meeting.prep_minutes_allowed > 0 {
                        let (p, _, how) =
                            rates::prep(rate, rec.prep_minutes, meeting.prep_minutes_allowed);
                        out.prep = Some(p);
                        explanation = format!("{explanation}; {how}");
                    }
                }
                out.explanation = Some(explanation);
            }
        }
    }
    Ok(out)
}
