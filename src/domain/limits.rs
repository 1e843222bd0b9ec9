//! Benefit limits: dated reference figures that change every April. These are the figures coprod
//! ships with (also seeded into the database, where an admin adds next year's without a release).

use chrono::NaiveDate;

use super::money::Money;

crate::codes! {
    /// The period a benefit limit is set for.
    pub enum LimitPeriod ("limit period") {
        Week = "week",
        Month = "month",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenefitLimit {
    pub code: String,
    pub period: LimitPeriod,
    pub amount: Money,
    pub effective_from: NaiveDate,
}

/// The figures of 2024/25 and 2025/26: (code, period, pence, effective from).
pub const SHIPPED: [(&str, LimitPeriod, i64, &str); 8] = [
    (
        "esa_permitted_work",
        LimitPeriod::Week,
        18_350,
        "2024-04-08",
    ),
    (
        "esa_permitted_work",
        LimitPeriod::Week,
        19_550,
        "2025-04-07",
    ),
    ("carers_allowance", LimitPeriod::Week, 15_100, "2024-04-08"),
    ("carers_allowance", LimitPeriod::Week, 19_600, "2025-04-07"),
    (
        "uc_work_allowance_housing",
        LimitPeriod::Month,
        40_400,
        "2024-04-08",
    ),
    (
        "uc_work_allowance_housing",
        LimitPeriod::Month,
        41_100,
        "2025-04-07",
    ),
    (
        "uc_work_allowance_no_housing",
        LimitPeriod::Month,
        67_300,
        "2024-04-08",
    ),
    (
        "uc_work_allowance_no_housing",
        LimitPeriod::Month,
        68_400,
        "2025-04-07",
    ),
];

/// A shipped limit's name in words.
pub fn words(code: &str) -> Option<&'static str> {
    Some(match code {
        "esa_permitted_work" => "ESA permitted work",
        "carers_allowance" => "Carer's Allowance earnings limit",
        "uc_work_allowance_housing" => "Universal Credit work allowance (with housing costs)",
        "uc_work_allowance_no_housing" => "Universal Credit work allowance (no housing costs)",
        _ => return None,
    })
}

pub fn shipped() -> Vec<BenefitLimit> {
    SHIPPED
        .iter()
        .filter_map(|(code, period, pence, from)| {
            Some(BenefitLimit {
                code: (*code).to_string(),
                period: *period,
                amount: Money::from_pence(*pence),
                effective_from: from.parse().ok()?,
            })
        })
        .collect()
}

/// The figure for `code` in force on `date`: the latest that started on or before it.
pub fn in_force<'a>(
    limits: &'a [BenefitLimit],
    code: &str,
    date: NaiveDate,
) -> Option<&'a BenefitLimit> {
    limits
        .iter()
        .filter(|l| l.code == code && l.effective_from <= date)
        .max_by_key(|l| l.effective_from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_figure_in_force_is_looked_up_by_date() {
        let limits = shipped();
        assert_eq!(limits.len(), 8);
        let esa =
            |date| in_force(&limits, "esa_permitted_work", d(date)).map(|l| l.amount.to_string());
        assert_eq!(esa("2025-07-04").as_deref(), Some("195.50"));
        assert_eq!(esa("2025-04-06").as_deref(), Some("183.50"));
        assert_eq!(esa("2024-04-07"), None);
        let ca = in_force(&limits, "carers_allowance", d("2025-04-07")).unwrap();
        assert_eq!(ca.amount.to_string(), "196.00");
        let uc = in_force(&limits, "uc_work_allowance_no_housing", d("2025-12-01")).unwrap();
        assert_eq!(
            (uc.amount.to_string(), uc.period),
            ("684.00".to_string(), LimitPeriod::Month)
        );
        assert!(in_force(&limits, "unknown", d("2025-12-01")).is_none());
    }
}
