//! Rate cards: named, effective-dated sets of rules, for one group or the default for all. A rule
//! pays by the hour, by the half or full day (a band with a boundary), or a fixed amount per
//! activity, with optional preparation pay. The most specific rule in force on the meeting's date
//! applies: a member's own override, then the group's card, then the default card; within a card,
//! (role, activity) before (any role, activity) before (role, any activity) before (any, any):
//! the kind of work decides how it is paid before the role does.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Basis {
    /// `rate × minutes / 60`.
    Hourly { hourly_rate: Money },
    /// The half-day amount up to the boundary, the full-day amount above it; exactly the boundary
    /// is a full day only when `boundary_is_full_day`.
    Band {
        half_day_amount: Money,
        full_day_amount: Money,
        boundary_minutes: i32,
        boundary_is_full_day: bool,
    },
    /// One amount per activity, however long.
    Fixed { fixed_amount: Money },
}

crate::codes! {
    /// The code of a rule's `Basis`.
    pub enum BasisKind ("basis") {
        Hourly = "hourly",
        Band = "band",
        Fixed = "fixed",
    }
}

impl Basis {
    pub fn kind(&self) -> BasisKind {
        match self {
            Basis::Hourly { .. } => BasisKind::Hourly,
            Basis::Band { .. } => BasisKind::Band,
            Basis::Fixed { .. } => BasisKind::Fixed,
        }
    }
}

/// The default band boundary: four hours.
pub const DEFAULT_BOUNDARY_MINUTES: i32 = 240;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// A role code, or None for any role.
    pub role: Option<String>,
    /// An activity kind code, or None for any activity.
    pub activity_kind: Option<String>,
    /// A member this rule is for alone (an override), or None.
    pub member_id: Option<String>,
    pub basis: Basis,
    /// Preparation pay per hour, capped at the minutes the meeting allows; None: included in the fee.
    pub prep_hourly_rate: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCard {
    pub id: String,
    pub name: String,
    /// None for the default card of every group.
    pub group_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub rules: Vec<Rule>,
}

impl RateCard {
    pub fn in_force_on(&self, d: NaiveDate) -> bool {
        self.effective_from <= d && self.effective_to.is_none_or(|to| d <= to)
    }
}

/// What is being paid for.
#[derive(Debug, Clone, Copy)]
pub struct Occasion<'a> {
    pub member_id: &'a str,
    pub group_id: &'a str,
    pub role: &'a str,
    pub activity_kind: &'a str,
    pub date: NaiveDate,
}

/// The rule chosen, the card it is on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub card: &'a RateCard,
    pub rule: &'a Rule,
    pub reason: String,
}

/// Picks the most specific rule in force for `o`, or None when no card covers it.
pub fn resolve<'a>(cards: &'a [RateCard], o: &Occasion<'_>) -> Option<Resolved<'a>> {
    // Lower ranks win: (scope, specificity within the scope).
    let mut best: Option<((u8, u8), &RateCard, &Rule)> = None;
    for card in cards.iter().filter(|c| c.in_force_on(o.date)) {
        let scope = match &card.group_id {
            Some(g) if g == o.group_id => 1,
            Some(_) => continue,
            None => 2,
        };
        for rule in &card.rules {
            let role_ok = rule.role.as_deref().is_none_or(|r| r == o.role);
            let kind_ok = rule
                .activity_kind
                .as_deref()
                .is_none_or(|k| k == o.activity_kind);
            let member_ok = rule.member_id.as_deref().is_none_or(|m| m == o.member_id);
            if !(role_ok && kind_ok && member_ok) {
                continue;
            }
            let scope = if rule.member_id.is_some() { 0 } else { scope };
            // The kind of work decides how it is paid before the role does: a document review
            // is a fixed fee whoever does it.
            let specificity = match (rule.role.is_some(), rule.activity_kind.is_some()) {
                (true, true) => 0,
                (false, true) => 1,
                (true, false) => 2,
                (false, false) => 3,
            };
            let rank = (scope, specificity);
            let better = match &best {
                None => true,
                // Equal rank: the card that started most recently wins.
                Some((r, c, _)) => {
                    rank < *r || (rank == *r && card.effective_from > c.effective_from)
                }
            };
            if better {
                best = Some((rank, card, rule));
            }
        }
    }
    best.map(|((scope, specificity), card, rule)| {
        let whose = match scope {
            0 => "this member's own rate".to_string(),
            1 => "the group's rate card".to_string(),
            _ => "the default rate card".to_string(),
        };
        let what = match specificity {
            0 => format!("role {} at a {}", o.role, o.activity_kind),
            1 => format!("any role at a {}", o.activity_kind),
            2 => format!("role {} at any activity", o.role),
            _ => "any role at any activity".to_string(),
        };
        Resolved {
            card,
            rule,
            reason: format!(
                "{whose} \"{}\" (in force from {}), rule for {what}",
                card.name, card.effective_from
            ),
        }
    })
}

/// The fee for `minutes` attended, rounded once to the penny, with how it was worked out.
pub fn fee(basis: &Basis, minutes: i32) -> (Money, String) {
    match basis {
        Basis::Hourly { hourly_rate } => {
            let exact = hourly_rate.amount() * Decimal::from(minutes) / Decimal::from(60);
            let paid = Money::round(exact);
            (
                paid,
                format!("£{hourly_rate} an hour × {minutes} minutes ÷ 60 = £{paid}"),
            )
        }
        Basis::Band {
            half_day_amount,
            full_day_amount,
            boundary_minutes,
            boundary_is_full_day,
        } => {
            let full = minutes > *boundary_minutes
                || (minutes == *boundary_minutes && *boundary_is_full_day);
            if full {
                (*full_day_amount, format!("{minutes} minutes is a full day (over {boundary_minutes}): £{full_day_amount}"))
            } else {
                (*half_day_amount, format!("{minutes} minutes is a half day (up to {boundary_minutes}): £{half_day_amount}"))
            }
        }
        Basis::Fixed { fixed_amount } => (
            *fixed_amount,
            format!("a fixed £{fixed_amount} for this activity"),
        ),
    }
}

/// Preparation pay: the rate for the minutes logged, at most the minutes the meeting allows.
pub fn prep(rate: Money, logged: i32, allowed: i32) -> (Money, i32, String) {
    let minutes = logged.min(allowed).max(0);
    let paid = Money::round(rate.amount() * Decimal::from(minutes) / Decimal::from(60));
    let capped = if logged > allowed {
        format!(" ({logged} logged, {allowed} allowed)")
    } else {
        String::new()
    };
    (
        paid,
        minutes,
        format!("preparation £{rate} an hour × {minutes} minutes{capped} ÷ 60 = £{paid}"),
    )
}

/// HMRC approved mileage rates, in pence a mile.
pub const CAR_FIRST_MILES: i64 = 10_000;
const CAR_PENCE: i64 = 45;
const CAR_AFTER_PENCE: i64 = 25;
const MOTORCYCLE_PENCE: i64 = 24;
const BICYCLE_PENCE: i64 = 20;
const PASSENGER_PENCE: i64 = 5;

/// The rate a journey is paid at, in words, for the page where it is claimed.
pub fn mileage_rate_words(kind: MileageKind) -> String {
    match kind {
        MileageKind::Car => format!(
            "{CAR_PENCE}p a mile ({CAR_AFTER_PENCE}p after {} miles in a tax year), and {PASSENGER_PENCE}p a mile for each passenger",
            "10,000"
        ),
        MileageKind::Motorcycle => format!("{MOTORCYCLE_PENCE}p a mile"),
        MileageKind::Bicycle => format!("{BICYCLE_PENCE}p a mile"),
    }
}

fn pence_per_mile(p: i64) -> Decimal {
    Decimal::new(p, 2)
}

/// What a mileage claim pays: car 45p a mile for the first 10,000 business miles of the tax year
/// and 25p after, motorcycle 24p, bicycle 20p, plus 5p per passenger per mile. Distances are in
/// tenths of a mile; `before_tenths` is the member's business mileage earlier in the tax year.
pub fn mileage(
    kind: MileageKind,
    before_tenths: i64,
    tenths: i64,
    passengers: i64,
) -> (Money, String) {
    let miles = Decimal::new(tenths, 1).normalize();
    let (base, how) = match kind {
        MileageKind::Car => {
            let threshold = CAR_FIRST_MILES * 10;
            let high = tenths.min((threshold - before_tenths).max(0));
            let low = tenths - high;
            let high_m = Decimal::new(high, 1).normalize();
            let low_m = Decimal::new(low, 1).normalize();
            let amount =
                high_m * pence_per_mile(CAR_PENCE) + low_m * pence_per_mile(CAR_AFTER_PENCE);
            let how = if low == 0 {
                format!("{high_m} miles × 45p")
            } else if high == 0 {
                format!("{low_m} miles × 25p (past 10,000 miles this tax year)")
            } else {
                format!(
                    "{high_m} miles × 45p + {low_m} miles × 25p (past 10,000 miles this tax year)"
                )
            };
            (amount, how)
        }
        MileageKind::Motorcycle => (
            miles * pence_per_mile(MOTORCYCLE_PENCE),
            format!("{miles} miles × {MOTORCYCLE_PENCE}p"),
        ),
        MileageKind::Bicycle => (
            miles * pence_per_mile(BICYCLE_PENCE),
            format!("{miles} miles × {BICYCLE_PENCE}p"),
        ),
    };
    let passenger = miles * Decimal::from(passengers.max(0)) * pence_per_mile(PASSENGER_PENCE);
    let paid = Money::round(base + passenger);
    let how = if passengers > 0 {
        format!("{how} + {passengers} passenger(s) × {miles} miles × 5p = £{paid}")
    } else {
        format!("{how} = £{paid}")
    };
    (paid, how)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MileageKind {
    Car,
    Motorcycle,
    Bicycle,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn band(half: &str, full: &str, full_at_boundary: bool) -> Basis {
        Basis::Band {
            half_day_amount: m(half),
            full_day_amount: m(full),
            boundary_minutes: DEFAULT_BOUNDARY_MINUTES,
            boundary_is_full_day: full_at_boundary,
        }
    }

    fn rule(role: Option<&str>, kind: Option<&str>, basis: Basis, prep: Option<&str>) -> Rule {
        Rule {
            role: role.map(Into::into),
            activity_kind: kind.map(Into::into),
            member_id: None,
            basis,
            prep_hourly_rate: prep.map(m),
        }
    }

    /// The card of DOMAIN.md's worked examples: "Regional 2025", from 2025-04-01.
    fn regional_2025() -> RateCard {
        RateCard {
            id: "card-1".into(),
            name: "Regional 2025".into(),
            group_id: None,
            effective_from: d("2025-04-01"),
            effective_to: None,
            rules: vec![
                rule(
                    Some("co_chair"),
                    Some("meeting"),
                    band("100.00", "200.00", false),
                    Some("25.00"),
                ),
                rule(
                    Some("member"),
                    Some("meeting"),
                    band("75.00", "150.00", false),
                    Some("20.00"),
                ),
                rule(
                    Some("lived_experience_associate"),
                    Some("workshop"),
                    Basis::Hourly {
                        hourly_rate: m("25.00"),
                    },
                    None,
                ),
                rule(
                    None,
                    Some("document_review"),
                    Basis::Fixed {
                        fixed_amount: m("25.00"),
                    },
                    None,
                ),
            ],
        }
    }

    fn occasion<'a>(role: &'a str, kind: &'a str, date: &str) -> Occasion<'a> {
        Occasion {
            member_id: "m1",
            group_id: "g1",
            role,
            activity_kind: kind,
            date: d(date),
        }
    }

    #[test]
    fn example_1_member_meeting_with_capped_preparation() {
        let cards = [regional_2025()];
        let r = resolve(&cards, &occasion("member", "meeting", "2025-06-10")).unwrap();
        let (fee_paid, _) = fee(&r.rule.basis, 180);
        assert_eq!(fee_paid, m("75.00"));
        let (prep_paid, minutes, how) = prep(r.rule.prep_hourly_rate.unwrap(), 90, 60);
        assert_eq!((prep_paid, minutes), (m("20.00"), 60));
        assert!(how.contains("90 logged, 60 allowed"), "{how}");
    }

    #[test]
    fn example_2_exactly_the_boundary() {
        assert_eq!(fee(&band("75.00", "150.00", false), 240).0, m("75.00"));
        assert_eq!(fee(&band("75.00", "150.00", true), 240).0, m("150.00"));
        assert_eq!(fee(&band("75.00", "150.00", false), 241).0, m("150.00"));
    }

    #[test]
    fn example_3_hourly_rounding_and_sum_of_rounded_lines() {
        let cards = [regional_2025()];
        let r = resolve(
            &cards,
            &occasion("lived_experience_associate", "workshop", "2025-06-10"),
        )
        .unwrap();
        let (line, how) = fee(&r.rule.basis, 100);
        assert_eq!(line, m("41.67"));
        assert!(how.contains("× 100 minutes ÷ 60"), "{how}");
        assert_eq!(line + line, m("83.34"));
    }

    #[test]
    fn example_4_partial_attendance_is_a_half_day() {
        let cards = [regional_2025()];
        let r = resolve(&cards, &occasion("co_chair", "meeting", "2025-06-10")).unwrap();
        assert_eq!(fee(&r.rule.basis, 200).0, m("100.00"));
    }

    #[test]
    fn example_5_half_away_from_zero() {
        assert_eq!(
            fee(
                &Basis::Hourly {
                    hourly_rate: m("18.75")
                },
                50
            )
            .0,
            m("15.63")
        );
    }

    #[test]
    fn example_9_the_car_rate_switches_at_10000_miles() {
        let (paid, how) = mileage(MileageKind::Car, 99_900, 300, 0);
        assert_eq!(paid, m("9.50"));
        assert!(how.contains("10 miles × 45p + 20 miles × 25p"), "{how}");
        assert_eq!(
            mileage(MileageKind::Car, 0, 280, 0).0,
            m("12.60"),
            "example 7's 28 miles"
        );
        assert_eq!(mileage(MileageKind::Car, 120_000, 100, 0).0, m("2.50"));
        assert_eq!(mileage(MileageKind::Car, 0, 100, 2).0, m("5.50"));
        assert_eq!(mileage(MileageKind::Motorcycle, 0, 100, 0).0, m("2.40"));
        assert_eq!(mileage(MileageKind::Bicycle, 0, 125, 0).0, m("2.50"));
    }

    #[test]
    fn the_most_specific_rule_in_force_wins() {
        let mut group_card = regional_2025();
        group_card.id = "card-2".into();
        group_card.name = "Board 2025".into();
        group_card.group_id = Some("g1".into());
        group_card.rules = vec![rule(
            Some("member"),
            None,
            Basis::Fixed {
                fixed_amount: m("60.00"),
            },
            None,
        )];
        let mut override_card = regional_2025();
        override_card.id = "card-3".into();
        override_card.rules = vec![Rule {
            member_id: Some("m1".into()),
            ..rule(
                None,
                None,
                Basis::Fixed {
                    fixed_amount: m("90.00"),
                },
                None,
            )
        }];
        let old = RateCard {
            effective_to: Some(d("2025-03-31")),
            effective_from: d("2024-04-01"),
            id: "old".into(),
            ..regional_2025()
        };

        let cards = [old.clone(), regional_2025(), group_card.clone()];
        let r = resolve(&cards, &occasion("member", "meeting", "2025-06-10")).unwrap();
        assert_eq!(r.card.id, "card-2", "the group's card beats the default");
        assert!(
            r.reason.contains("group's rate card") && r.reason.contains("any activity"),
            "{}",
            r.reason
        );
        // Any role at a document review: the default card's catch-all for that activity.
        let r = resolve(
            &cards,
            &occasion("co_chair", "document_review", "2025-06-10"),
        )
        .unwrap();
        assert_eq!(fee(&r.rule.basis, 30).0, m("25.00"));
        // Before the 2025 card, the old one applies.
        let r = resolve(&cards, &occasion("member", "meeting", "2025-01-10")).unwrap();
        assert_eq!(r.card.id, "old");
        // A member's own rate beats everything.
        let cards = [regional_2025(), group_card, override_card];
        let r = resolve(&cards, &occasion("member", "meeting", "2025-06-10")).unwrap();
        assert_eq!(fee(&r.rule.basis, 60).0, m("90.00"));
        assert!(r.reason.contains("this member's own rate"));
        // Nothing covers a chair at a conference.
        assert!(resolve(
            &[regional_2025()],
            &occasion("chair", "conference", "2025-06-10")
        )
        .is_none());
        assert!(resolve(
            &[regional_2025()],
            &occasion("member", "meeting", "2025-03-31")
        )
        .is_none());
    }

    /// Within one card: (role, kind), then (any role, kind), then (role, any kind), then (any,
    /// any), each step shown by taking away the rule that beat it.
    #[test]
    fn within_a_card_the_kind_of_work_comes_before_the_role() {
        let fixed = |a: &str| Basis::Fixed { fixed_amount: m(a) };
        let both = rule(
            Some("co_chair"),
            Some("document_review"),
            fixed("40.00"),
            None,
        );
        let kind = rule(None, Some("document_review"), fixed("25.00"), None);
        let role = rule(Some("co_chair"), None, fixed("100.00"), None);
        let any = rule(None, None, fixed("10.00"), None);
        let card = |rules: Vec<Rule>| RateCard {
            rules,
            ..regional_2025()
        };
        let review = occasion("co_chair", "document_review", "2025-06-10");
        let pays = |rules: Vec<Rule>| {
            let cards = [card(rules)];
            let r = resolve(&cards, &review).unwrap();
            (fee(&r.rule.basis, 30).0, r.reason.clone())
        };
        let (paid, why) = pays(vec![any.clone(), role.clone(), kind.clone(), both]);
        assert_eq!(paid, m("40.00"), "role and kind first: {why}");
        assert!(why.contains("role co_chair at a document_review"), "{why}");
        let (paid, why) = pays(vec![any.clone(), role.clone(), kind]);
        assert_eq!(
            paid,
            m("25.00"),
            "a co-chair's document review is the review's fixed fee, not the co-chair's rate: {why}"
        );
        assert!(why.contains("any role at a document_review"), "{why}");
        let (paid, why) = pays(vec![any.clone(), role]);
        assert_eq!(paid, m("100.00"), "then the role at any kind: {why}");
        assert!(why.contains("role co_chair at any activity"), "{why}");
        let (paid, why) = pays(vec![any]);
        assert_eq!(paid, m("10.00"), "then the catch-all: {why}");
        assert!(why.contains("any role at any activity"), "{why}");
    }
}
