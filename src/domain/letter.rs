//! What a letter about a member's payments counts, for the Jobcentre or a benefits adviser: money
//! by the periods a benefit counts it in (the weeks or assessment periods of the member's cap, or
//! calendar months when there is none), by the date it was paid; and the time the member gave.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};

use super::periods::{DateRange, PeriodRule};
use super::statement::{Entry, Totals};

/// How a letter's payments are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// The weeks of a weekly cap (ESA permitted work, Carer's Allowance).
    Week { starts_on: Weekday },
    /// The assessment periods of a monthly cap (Universal Credit), from its anchor day.
    AssessmentPeriod { anchor_day: u32 },
    /// Calendar months, when the member has no weekly or monthly cap.
    Month,
}

impl Grouping {
    /// The grouping for a member's cap period, if they have one.
    pub fn for_cap(rule: Option<PeriodRule>) -> Grouping {
        match rule {
            Some(PeriodRule::Week { starts_on }) => Grouping::Week { starts_on },
            Some(PeriodRule::Month { anchor_day }) => Grouping::AssessmentPeriod { anchor_day },
            Some(PeriodRule::TaxYear) | None => Grouping::Month,
        }
    }

    pub fn rule(self) -> PeriodRule {
        match self {
            Grouping::Week { starts_on } => PeriodRule::Week { starts_on },
            Grouping::AssessmentPeriod { anchor_day } => PeriodRule::Month { anchor_day },
            Grouping::Month => PeriodRule::Month { anchor_day: 1 },
        }
    }
}

/// The totals of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodTotals {
    pub period: DateRange,
    pub totals: Totals,
}

/// The entries paid in `range`, totalled by the period of `grouping` that holds each payment
/// date, in date order. A period with no entry is left out; the first and last periods may reach
/// outside `range` (a week that starts before it), but hold only what was paid inside it.
pub fn by_period(range: DateRange, grouping: Grouping, entries: &[Entry]) -> Vec<PeriodTotals> {
    let rule = grouping.rule();
    let mut periods: BTreeMap<DateRange, Totals> = BTreeMap::new();
    for e in entries.iter().filter(|e| range.contains(e.payment_date)) {
        periods
            .entry(rule.containing(e.payment_date))
            .or_default()
            .add(e);
    }
    periods
        .into_iter()
        .map(|(period, totals)| PeriodTotals { period, totals })
        .collect()
}

/// Time given on one day: a session attended (or part of it) and the preparation logged for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub date: NaiveDate,
    pub minutes: i64,
}

/// How much time a member gave in a range of dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involvement {
    pub sessions: usize,
    pub minutes: i64,
    /// Whole months in the range (at least one), to say how much a month on average.
    pub months: i64,
    /// The week (starting on the given day) with the most time, and its minutes.
    pub busiest_week: Option<(DateRange, i64)>,
}

impl Involvement {
    /// The average minutes a month, to the nearest minute.
    pub fn minutes_a_month(&self) -> i64 {
        (self.minutes + self.months / 2) / self.months.max(1)
    }
}

/// The sessions inside `range`, counted and added up, with the busiest week (weeks starting on
/// `week_starts_on`).
pub fn involvement(range: DateRange, week_starts_on: Weekday, sessions: &[Session]) -> Involvement {
    let inside: Vec<&Session> = sessions.iter().filter(|s| range.contains(s.date)).collect();
    let week = PeriodRule::Week {
        starts_on: week_starts_on,
    };
    let mut weeks: BTreeMap<DateRange, i64> = BTreeMap::new();
    for s in &inside {
        *weeks.entry(week.containing(s.date)).or_default() += s.minutes;
    }
    // The earliest of equally busy weeks.
    let busiest_week = weeks
        .into_iter()
        .fold(None, |best: Option<(DateRange, i64)>, (w, m)| match best {
            Some((_, b)) if b >= m => best,
            _ => Some((w, m)),
        });
    Involvement {
        sessions: inside.len(),
        minutes: inside.iter().map(|s| s.minutes).sum(),
        months: ((range.days() as f64 / 30.44).round() as i64).max(1),
        busiest_week,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payrun::{Disposition, LineKind, Method};
    use crate::domain::Money;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fee(date: &str, amount: &str, disposition: Disposition) -> Entry {
        Entry {
            payment_date: d(date),
            kind: LineKind::Fee,
            disposition,
            method: Some(Method::BankTransfer),
            amount: amount.parse().unwrap(),
            miles_tenths: 0,
        }
    }

    /// Worked example 6 by ESA week: £195.50 paid in each of two weeks, the rest held back.
    #[test]
    fn payments_are_counted_in_the_week_they_are_paid() {
        let entries = [
            fee("2025-07-04", "150.00", Disposition::Paid),
            fee("2025-07-04", "45.50", Disposition::Paid),
            fee("2025-07-04", "179.50", Disposition::CarriedForward),
            fee("2025-08-01", "195.50", Disposition::Paid),
            fee("2024-01-05", "75.00", Disposition::Paid),
        ];
        let range = DateRange::new(d("2025-04-06"), d("2026-04-05")).unwrap();
        let weeks = by_period(
            range,
            Grouping::for_cap(Some(PeriodRule::Week {
                starts_on: Weekday::Mon,
            })),
            &entries,
        );
        assert_eq!(weeks.len(), 2, "{weeks:?}");
        assert_eq!(weeks[0].period.start, d("2025-06-30"));
        assert_eq!(weeks[0].period.end, d("2025-07-06"));
        assert_eq!(weeks[0].totals.paid_fees, Money::from_pence(19_550));
        assert_eq!(weeks[0].totals.carried_forward, Money::from_pence(17_950));
        assert_eq!(weeks[1].period.start, d("2025-07-28"));
        // Universal Credit assessment periods from the 12th; no cap: calendar months.
        let ap = by_period(
            range,
            Grouping::AssessmentPeriod { anchor_day: 12 },
            &entries,
        );
        assert_eq!(
            (ap[0].period.start, ap[0].period.end),
            (d("2025-06-12"), d("2025-07-11"))
        );
        assert_eq!(ap[1].period.start, d("2025-07-12"));
        let months = by_period(range, Grouping::for_cap(None), &entries);
        assert_eq!(
            months[1].period,
            DateRange::new(d("2025-08-01"), d("2025-08-31")).unwrap()
        );
    }

    #[test]
    fn involvement_adds_up_time_and_finds_the_busiest_week() {
        let range = DateRange::new(d("2025-01-01"), d("2025-12-31")).unwrap();
        let s = |date: &str, minutes| Session {
            date: d(date),
            minutes,
        };
        let i = involvement(
            range,
            Weekday::Mon,
            &[
                s("2025-06-30", 300),
                s("2025-07-01", 300),
                s("2025-07-20", 180),
                s("2024-12-31", 600),
            ],
        );
        assert_eq!((i.sessions, i.minutes, i.months), (3, 780, 12));
        assert_eq!(i.minutes_a_month(), 65);
        let (week, minutes) = i.busiest_week.unwrap();
        assert_eq!((week.start, minutes), (d("2025-06-30"), 600));
        let none = involvement(range, Weekday::Mon, &[]);
        assert_eq!((none.sessions, none.busiest_week), (0, None));
    }
}
