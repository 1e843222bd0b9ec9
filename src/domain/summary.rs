//! What finance sees at a glance: the months a summary covers, and how long people waited to be
//! paid, read from counts of days (so the database counts and this only ranks).

use chrono::{Datelike, NaiveDate};

/// Every month from the month of `from` to the month of `to`, as (year, month), in order.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The first day of the month `back` months before the month of `day`.
pub fn months_before(day: NaiveDate, back: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// The nearest-rank `pct` percentile of waits given as (days, how many waited that long): the
/// smallest number of days that at least `pct` in a hundred waited no longer than. `None` when
/// nothing was counted. The 50th is the median.
pub fn percentile(counts: &[(i64, i64)], pct: u32) -> Option<i64> {
    let mut sorted: Vec<(i64, i64)> = counts.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The rank is ceil(pct/100 × total), at least 1.
    let rank = ((i64::from(pct) * total + 99) / 100).max(1);
    let mut seen = 0;
    for (days, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(days);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_months_of_a_span_run_across_a_new_year() {
        assert_eq!(
            months(d("2025-11-15"), d("2026-02-01")),
            vec![(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
        );
        assert_eq!(months(d("2026-02-01"), d("2025-11-15")), vec![]);
    }

    #[test]
    fn twelve_months_back_starts_on_the_first_of_a_month() {
        assert_eq!(months_before(d("2026-12-01"), 11), d("2026-01-01"));
        assert_eq!(months_before(d("2026-03-31"), 11), d("2025-04-01"));
        assert_eq!(months_before(d("2026-03-31"), 0), d("2026-03-01"));
    }

    #[test]
    fn median_and_ninetieth_by_hand() {
        // Ten waits: 3, 3, 3, 5, 5, 8, 8, 8, 14, 30 days.
        let waits = [(8, 3), (3, 3), (5, 2), (30, 1), (14, 1)];
        // Rank 5 of 10 is the second 5; rank 9 is 14.
        assert_eq!(percentile(&waits, 50), Some(5));
        assert_eq!(percentile(&waits, 90), Some(14));
        assert_eq!(percentile(&waits, 100), Some(30));
        assert_eq!(percentile(&[(7, 1)], 50), Some(7));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(4, 0)], 90), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Counting is the same as listing every wait and taking the one at the rank.
        #[test]
        fn counts_rank_as_a_sorted_list_does(waits in proptest::collection::vec(0i64..400, 1..60), pct in 1u32..=100) {
            let mut counts = std::collections::BTreeMap::<i64, i64>::new();
            for w in &waits { *counts.entry(*w).or_default() += 1; }
            let counts: Vec<(i64, i64)> = counts.into_iter().collect();
            let mut sorted = waits.clone();
            sorted.sort_unstable();
            let rank = (pct as usize * sorted.len()).div_ceil(100).max(1);
            prop_assert_eq!(percentile(&counts, pct), Some(sorted[rank - 1]));
        }
    }
}
