//! Periods that money is counted in: a week starting on a chosen day, a month running from an
//! anchor day (a Universal Credit assessment period starts on the same day each month, 1 to 28),
//! and the UK tax year (6 April to 5 April). All are inclusive ranges of calendar dates.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// An inclusive range of dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    /// None when `end` is before `start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<DateRange> {
        (start <= end).then_some(DateRange { start, end })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

/// The UK tax year that starts on 6 April of `start_year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxYear(pub i32);

impl TaxYear {
    pub fn containing(d: NaiveDate) -> TaxYear {
        let starts = NaiveDate::from_ymd_opt(d.year(), 4, 6).unwrap_or(d);
        if d >= starts {
            TaxYear(d.year())
        } else {
            TaxYear(d.year() - 1)
        }
    }

    pub fn range(self) -> DateRange {
        let start = NaiveDate::from_ymd_opt(self.0, 4, 6).unwrap_or(NaiveDate::MIN);
        let end = NaiveDate::from_ymd_opt(self.0 + 1, 4, 5).unwrap_or(NaiveDate::MAX);
        DateRange { start, end }
    }
}

impl fmt::Display for TaxYear {
    /// `2025-26`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

impl FromStr for TaxYear {
    type Err = String;
    /// Accepts `2025-26` (the second part must follow the first).
    fn from_str(s: &str) -> Result<TaxYear, String> {
        let bad = || format!("`{s}` is not a tax year such as 2025-26");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let start: i32 = a.parse().map_err(|_| bad())?;
        let end: i32 = b.parse().map_err(|_| bad())?;
        if a.len() != 4
            || b.len() != 2
            || (start + 1).rem_euclid(100) != end
            || !(1990..=2200).contains(&start)
        {
            return Err(bad());
        }
        Ok(TaxYear(start))
    }
}

/// How a cap's period runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "period", rename_all = "snake_case")]
pub enum PeriodRule {
    /// Seven days from `starts_on` (default Monday).
    Week {
        #[serde(default = "monday", with = "weekday_name")]
        starts_on: Weekday,
    },
    /// From the anchor day of one month to the day before it in the next (1 to 28).
    Month {
        anchor_day: u32,
    },
    TaxYear,
}

fn monday() -> Weekday {
    Weekday::Mon
}

mod weekday_name {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{d:?}").to_lowercase())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Weekday>()
            .map_err(|_| serde::de::Error::custom("must be a day such as monday"))
    }
}

impl PeriodRule {
    /// Checks the rule's own numbers.
    pub fn check(self) -> Result<PeriodRule, String> {
        match self {
            PeriodRule::Month { anchor_day } if !(1..=28).contains(&anchor_day) => {
                Err("the month's anchor day must be between 1 and 28".into())
            }
            other => Ok(other),
        }
    }

    /// The period that contains `d`.
    pub fn containing(self, d: NaiveDate) -> DateRange {
        match self {
            PeriodRule::Week { starts_on } => {
                let back =
                    (7 + d.weekday().num_days_from_monday() - starts_on.num_days_from_monday()) % 7;
                let start = d - Days::new(u64::from(back));
                DateRange {
                    start,
                    end: start + Days::new(6),
                }
            }
            PeriodRule::Month { anchor_day } => {
                let anchor = anchor_day.clamp(1, 28);
                let this_month = d.with_day(anchor).unwrap_or(d);
                let start = if d.day() >= anchor {
                    this_month
                } else {
                    this_month - Months::new(1)
                };
                let end = (start + Months::new(1)) - Days::new(1);
                DateRange { start, end }
            }
            PeriodRule::TaxYear => TaxYear::containing(d).range(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn tax_years_run_from_6_april() {
        assert_eq!(TaxYear::containing(d("2025-04-05")), TaxYear(2024));
        assert_eq!(TaxYear::containing(d("2025-04-06")), TaxYear(2025));
        assert_eq!(TaxYear(2025).to_string(), "2025-26");
        assert_eq!(TaxYear(1999).to_string(), "1999-00");
        assert_eq!("2025-26".parse::<TaxYear>().unwrap(), TaxYear(2025));
        for bad in ["2025-27", "2025", "25-26", "2025/26", "x-y"] {
            assert!(bad.parse::<TaxYear>().is_err(), "{bad}");
        }
        assert_eq!(
            TaxYear(2025).range(),
            DateRange {
                start: d("2025-04-06"),
                end: d("2026-04-05")
            }
        );
    }

    #[test]
    fn weeks_start_on_the_chosen_day() {
        // Worked example 6: Friday 4 July 2025 is in the week Monday 30 June to Sunday 6 July.
        let w = PeriodRule::Week {
            starts_on: Weekday::Mon,
        }
        .containing(d("2025-07-04"));
        assert_eq!((w.start, w.end), (d("2025-06-30"), d("2025-07-06")));
        let w = PeriodRule::Week {
            starts_on: Weekday::Fri,
        }
        .containing(d("2025-07-04"));
        assert_eq!((w.start, w.end), (d("2025-07-04"), d("2025-07-10")));
        let w = PeriodRule::Week {
            starts_on: Weekday::Sat,
        }
        .containing(d("2025-07-04"));
        assert_eq!((w.start, w.end), (d("2025-06-28"), d("2025-07-04")));
    }

    #[test]
    fn months_run_from_the_anchor_day() {
        let m = PeriodRule::Month { anchor_day: 15 };
        assert_eq!(
            m.containing(d("2025-07-15")),
            DateRange {
                start: d("2025-07-15"),
                end: d("2025-08-14")
            }
        );
        assert_eq!(
            m.containing(d("2025-07-14")),
            DateRange {
                start: d("2025-06-15"),
                end: d("2025-07-14")
            }
        );
        let m = PeriodRule::Month { anchor_day: 28 };
        assert_eq!(
            m.containing(d("2025-02-27")),
            DateRange {
                start: d("2025-01-28"),
                end: d("2025-02-27")
            }
        );
        assert_eq!(
            PeriodRule::Month { anchor_day: 1 }
                .containing(d("2024-02-29"))
                .end,
            d("2024-02-29")
        );
        assert!(PeriodRule::Month { anchor_day: 29 }.check().is_err());
        assert!(PeriodRule::Month { anchor_day: 0 }.check().is_err());
    }

    #[test]
    fn rules_read_from_json() {
        let w: PeriodRule =
            serde_json::from_str(r#"{"period": "week", "starts_on": "sunday"}"#).unwrap();
        assert_eq!(
            w,
            PeriodRule::Week {
                starts_on: Weekday::Sun
            }
        );
        let w: PeriodRule = serde_json::from_str(r#"{"period": "week"}"#).unwrap();
        assert_eq!(
            w,
            PeriodRule::Week {
                starts_on: Weekday::Mon
            }
        );
        let m: PeriodRule =
            serde_json::from_str(r#"{"period": "month", "anchor_day": 9}"#).unwrap();
        assert_eq!(m, PeriodRule::Month { anchor_day: 9 });
        assert!(serde_json::from_str::<PeriodRule>(
            r#"{"period": "week", "starts_on": "someday"}"#
        )
        .is_err());
    }

    fn any_rule() -> impl Strategy<Value = PeriodRule> {
        prop_oneof![
            (0u32..7).prop_map(|i| PeriodRule::Week {
                starts_on: Weekday::try_from(i as u8).unwrap()
            }),
            (1u32..=28).prop_map(|a| PeriodRule::Month { anchor_day: a }),
            Just(PeriodRule::TaxYear),
        ]
    }

    proptest! {
        /// Every date is in exactly one period, and the next period starts the day after.
        #[test]
        fn periods_tile_the_calendar(rule in any_rule(), days in 0i64..30_000) {
            let date = d("2000-01-01") + chrono::TimeDelta::days(days);
            let p = rule.containing(date);
            prop_assert!(p.contains(date));
            prop_assert_eq!(rule.containing(p.start), p);
            prop_assert_eq!(rule.containing(p.end), p);
            let next = rule.containing(p.end + Days::new(1));
            prop_assert_eq!(next.start, p.end + Days::new(1));
        }
    }
}
