//! Statements: what a member was paid, donated, declined, forgone and carried forward, by month,
//! by cap period and by tax year, from the lines of approved runs. Money counts on the run's
//! payment date (when it is received), which is how benefits count earnings.
//!
//! Every row of totals adds up by hand:
//! `earned + brought_forward = paid_fees + donated + declined + forgone + carried_forward`,
//! where `brought_forward` is money held back by a cap in an earlier run and settled (or held back
//! again) in this one.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::payrun::{passes_trading_allowance, Disposition, LineKind, Method};
use super::periods::{DateRange, TaxYear};
use super::Money;

/// One line of an approved run as a statement counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub payment_date: NaiveDate,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub amount: Money,
    /// Business miles of a paid mileage claim, in tenths of a mile (0 for other lines).
    pub miles_tenths: i64,
}

/// Miles in tenths, shown with one decimal place (`28.0`); a string in JSON, like money.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Miles(pub i64);

impl std::fmt::Display for Miles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{}", self.0.abs() / 10, self.0.abs() % 10)
    }
}

impl Serialize for Miles {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Totals of a set of lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Fees, preparation and adjustments earned in these runs.
    #[schema(value_type = String, example = "0.00")]
    pub earned: Money,
    /// Money held back by a cap in an earlier run and dealt with in these runs.
    #[schema(value_type = String, example = "0.00")]
    pub brought_forward: Money,
    /// Fees paid to the member (by bank, payroll or voucher).
    #[schema(value_type = String, example = "0.00")]
    pub paid_fees: Money,
    /// Fees paid in vouchers (part of `paid_fees`).
    #[schema(value_type = String, example = "0.00")]
    pub paid_in_vouchers: Money,
    #[schema(value_type = String, example = "0.00")]
    pub donated: Money,
    #[schema(value_type = String, example = "0.00")]
    pub declined: Money,
    #[schema(value_type = String, example = "0.00")]
    pub forgone: Money,
    #[schema(value_type = String, example = "0.00")]
    pub carried_forward: Money,
    /// Expenses repaid to the member: not earnings.
    #[schema(value_type = String, example = "0.00")]
    pub expenses_paid: Money,
    #[schema(value_type = String, example = "0.00")]
    pub expenses_declined: Money,
    /// Everything paid to the member: fees and expenses.
    #[schema(value_type = String, example = "0.00")]
    pub paid_to_member: Money,
    /// Business miles repaid (car, motorcycle and bicycle claims), to one decimal place.
    #[schema(value_type = String, example = "0.0")]
    pub business_miles: Miles,
}

impl Totals {
    pub fn add(&mut self, e: &Entry) {
        if e.kind == LineKind::Expense {
            match e.disposition {
                Disposition::Declined => self.expenses_declined += e.amount,
                _ => {
                    self.expenses_paid += e.amount;
                    self.paid_to_member += e.amount;
                    self.business_miles.0 += e.miles_tenths;
                }
            }
            return;
        }
        if e.kind == LineKind::Carried {
            self.brought_forward += e.amount;
        } else {
            self.earned += e.amount;
        }
        match e.disposition {
            Disposition::Paid => {
                self.paid_fees += e.amount;
                self.paid_to_member += e.amount;
                if e.method == Some(Method::Voucher) {
                    self.paid_in_vouchers += e.amount;
                }
            }
            Disposition::Donated => self.donated += e.amount,
            Disposition::Declined => self.declined += e.amount,
            Disposition::Forgone => self.forgone += e.amount,
            Disposition::CarriedForward => self.carried_forward += e.amount,
        }
    }

    pub fn of<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Totals {
        let mut t = Totals::default();
        for e in entries {
            t.add(e);
        }
        t
    }

    /// Adds another set of totals (a member's to a report's).
    pub fn merge(&mut self, t: &Totals) {
        self.earned += t.earned;
        self.brought_forward += t.brought_forward;
        self.paid_fees += t.paid_fees;
        self.paid_in_vouchers += t.paid_in_vouchers;
        self.donated += t.donated;
        self.declined += t.declined;
        self.forgone += t.forgone;
        self.carried_forward += t.carried_forward;
        self.expenses_paid += t.expenses_paid;
        self.expenses_declined += t.expenses_declined;
        self.paid_to_member += t.paid_to_member;
        self.business_miles.0 += t.business_miles.0;
    }

    /// Whether the row adds up: what was due went somewhere.
    pub fn balances(&self) -> bool {
        self.earned + self.brought_forward
            == self.paid_fees + self.donated + self.declined + self.forgone + self.carried_forward
    }
}

/// A member's cap as it stood on a payment date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapInForce {
    /// The cap period that holds the payment date.
    pub period: DateRange,
    pub amount: Money,
    /// What the cap is, in words ("ESA permitted work, £195.50 a week").
    pub describe: String,
    pub counts_methods: Vec<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthTotals {
    /// `2025-07`.
    pub month: String,
    /// `July 2025`.
    pub label: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CapPeriodTotals {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub cap: String,
    #[schema(value_type = String, example = "0.00")]
    pub limit: Money,
    /// Paid fees that count towards the cap (by the methods it counts).
    #[schema(value_type = String, example = "0.00")]
    pub counted: Money,
    pub within_limit: bool,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaxYearTotals {
    /// `2025-26`.
    pub tax_year: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Fees paid in the whole tax year (not only the statement's dates).
    #[schema(value_type = String, example = "0.00")]
    pub paid_fees: Money,
    #[schema(value_type = String, example = "0.0")]
    pub business_miles: Miles,
    #[schema(value_type = String, example = "0.00")]
    pub trading_allowance: Money,
    pub passes_trading_allowance: bool,
}

/// A statement's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub totals: Totals,
    pub months: Vec<MonthTotals>,
    pub cap_periods: Vec<CapPeriodTotals>,
    pub tax_years: Vec<TaxYearTotals>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The figures of a statement for `range`. `entries` may reach beyond it (to whole tax years) so
/// that each tax year the range touches is totalled in full; `caps` gives the cap in force on each
/// payment date (absent: no cap).
pub fn figures(
    range: DateRange,
    entries: &[Entry],
    caps: &HashMap<NaiveDate, CapInForce>,
    allowance: Money,
) -> Figures {
    let inside: Vec<&Entry> = entries
        .iter()
        .filter(|e| range.contains(e.payment_date))
        .collect();
    let totals = Totals::of(inside.iter().copied());

    let mut months: BTreeMap<(i32, u32), Totals> = BTreeMap::new();
    for e in &inside {
        months
            .entry((e.payment_date.year(), e.payment_date.month()))
            .or_default()
            .add(e);
    }
    let months = months
        .into_iter()
        .map(|((y, m), totals)| MonthTotals {
            month: format!("{y}-{m:02}"),
            label: format!("{} {y}", MONTHS[(m as usize).saturating_sub(1) % 12]),
            totals,
        })
        .collect();

    let mut periods: BTreeMap<(DateRange, String), CapPeriodTotals> = BTreeMap::new();
    for e in &inside {
        let Some(cap) = caps.get(&e.payment_date) else {
            continue;
        };
        let p = periods
            .entry((cap.period, cap.describe.clone()))
            .or_insert_with(|| CapPeriodTotals {
                start: cap.period.start,
                end: cap.period.end,
                cap: cap.describe.clone(),
                limit: cap.amount,
                counted: Money::ZERO,
                within_limit: true,
                totals: Totals::default(),
            });
        p.totals.add(e);
        if e.kind != LineKind::Expense
            && e.disposition == Disposition::Paid
            && e.method.is_some_and(|m| cap.counts_methods.contains(&m))
        {
            p.counted += e.amount;
        }
        p.within_limit = p.counted <= p.limit;
    }
    let cap_periods = periods.into_values().collect();

    let first = TaxYear::containing(range.start);
    let last = TaxYear::containing(range.end);
    let tax_years = (first.0..=last.0)
        .map(|y| {
            let year = TaxYear(y);
            let span = year.range();
            let t = Totals::of(entries.iter().filter(|e| span.contains(e.payment_date)));
            TaxYearTotals {
                tax_year: year.to_string(),
                start: span.start,
                end: span.end,
                paid_fees: t.paid_fees,
                business_miles: t.business_miles,
                trading_allowance: allowance,
                passes_trading_allowance: passes_trading_allowance(t.paid_fees, allowance),
            }
        })
        .collect();

    Figures {
        totals,
        months,
        cap_periods,
        tax_years,
    }
}

/// Plain-English notes for the member and a benefits adviser, from the figures.
pub fn notes(f: &Figures, charity: Option<&str>, held_back_at_end: Money) -> Vec<String> {
    let t = &f.totals;
    let mut out = vec![
        "Payments are listed by the date they were, or will be, made: that is the date benefits \
         count them in. A payment marked \"approved\" is agreed but not yet paid."
            .to_string(),
        "Fees are payment for your time. Expenses repay money you spent (travel, care, parking); \
         they are not earnings and do not count towards a benefit limit."
            .to_string(),
    ];
    if t.paid_in_vouchers.is_positive() {
        out.push(format!(
            "{} of your fees was paid in vouchers. Vouchers count as earnings for most benefits.",
            pounds(t.paid_in_vouchers)
        ));
    }
    if t.donated.is_positive() {
        out.push(format!(
            "{} of fees went to {} at your request. It was not paid to you.",
            pounds(t.donated),
            charity.unwrap_or("a charity")
        ));
    }
    if t.declined.is_positive() {
        out.push(format!(
            "You chose not to be paid {} of fees. It was not paid to you.",
            pounds(t.declined)
        ));
    }
    if t.forgone.is_positive() {
        out.push(format!(
            "{} was over your limit and, as you chose, will not be paid.",
            pounds(t.forgone)
        ));
    }
    if held_back_at_end.is_positive() {
        out.push(format!(
            "{} is being held back so that you stay within your limit; it will be paid in a later \
             period.",
            pounds(held_back_at_end)
        ));
    }
    if !f.cap_periods.is_empty() {
        let over = f.cap_periods.iter().filter(|p| !p.within_limit).count();
        out.push(if over == 0 {
            "In every limit period shown, the fees that count towards your limit stayed within it."
                .to_string()
        } else {
            format!(
                "In {over} limit period(s) the fees counted went over the limit; this can happen \
                 when the limit changed or payments were corrected. Please ask us about them."
            )
        });
    }
    for y in &f.tax_years {
        out.push(if y.passes_trading_allowance {
            format!(
                "Tax year {}: your fees came to {}, more than the {} trading allowance. You may \
                 need to tell HMRC about this income (for example on a Self Assessment tax \
                 return).",
                y.tax_year,
                pounds(y.paid_fees),
                pounds(y.trading_allowance)
            )
        } else {
            format!(
                "Tax year {}: your fees came to {}, within the {} trading allowance, so on their \
                 own they need no tax return.",
                y.tax_year,
                pounds(y.paid_fees),
                pounds(y.trading_allowance)
            )
        });
    }
    out.push(
        "If you receive benefits, a welfare rights adviser can help you report this income."
            .to_string(),
    );
    out
}

/// `£1,020.00`.
pub fn pounds(m: Money) -> String {
    let s = m.to_string();
    let s = s.trim_start_matches('-');
    let (whole, pence) = s.split_once('.').unwrap_or((s, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if m.is_negative() { "-" } else { "" };
    format!("{sign}£{grouped}.{pence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::periods::PeriodRule;
    use chrono::Weekday;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn entry(date: &str, kind: LineKind, disposition: Disposition, amount: &str) -> Entry {
        Entry {
            payment_date: d(date),
            kind,
            disposition,
            method: Some(Method::BankTransfer),
            amount: m(amount),
            miles_tenths: 0,
        }
    }

    fn year(s: &str) -> DateRange {
        s.parse::<TaxYear>().unwrap().range()
    }

    #[test]
    fn worked_example_10_the_statement_flags_the_trading_allowance() {
        let entries = vec![
            entry("2025-05-02", LineKind::Fee, Disposition::Paid, "600.00"),
            entry("2026-03-06", LineKind::Fee, Disposition::Paid, "420.00"),
            // Expenses never count as earnings.
            entry("2026-03-06", LineKind::Expense, Disposition::Paid, "50.00"),
        ];
        let f = figures(year("2025-26"), &entries, &HashMap::new(), m("1000.00"));
        assert_eq!(f.tax_years.len(), 1);
        assert_eq!(f.tax_years[0].paid_fees, m("1020.00"));
        assert!(f.tax_years[0].passes_trading_allowance);
        assert!(notes(&f, None, Money::ZERO)
            .iter()
            .any(|n| n.contains("£1,020.00, more than the £1,000.00 trading allowance")));
        let f = figures(
            year("2025-26"),
            &entries[..1],
            &HashMap::new(),
            m("1000.00"),
        );
        assert!(!f.tax_years[0].passes_trading_allowance);
    }

    #[test]
    fn worked_example_6_by_month_and_by_weekly_cap_period() {
        let cap = |date: &str| CapInForce {
            period: PeriodRule::Week {
                starts_on: Weekday::Mon,
            }
            .containing(d(date)),
            amount: m("195.50"),
            describe: "ESA permitted work".into(),
            counts_methods: Method::ALL.to_vec(),
        };
        let entries = vec![
            // Run 1, paid 2025-07-04: £375 earned, £195.50 paid, £179.50 carried forward.
            entry("2025-07-04", LineKind::Fee, Disposition::Paid, "150.00"),
            entry("2025-07-04", LineKind::Fee, Disposition::Paid, "45.50"),
            entry(
                "2025-07-04",
                LineKind::Fee,
                Disposition::CarriedForward,
                "104.50",
            ),
            entry(
                "2025-07-04",
                LineKind::Fee,
                Disposition::CarriedForward,
                "75.00",
            ),
            // Run 2, paid 2025-08-01: the £179.50 brought forward and £75 new.
            entry("2025-08-01", LineKind::Carried, Disposition::Paid, "179.50"),
            entry("2025-08-01", LineKind::Fee, Disposition::Paid, "16.00"),
            entry(
                "2025-08-01",
                LineKind::Fee,
                Disposition::CarriedForward,
                "59.00",
            ),
        ];
        let caps: HashMap<_, _> = ["2025-07-04", "2025-08-01"]
            .into_iter()
            .map(|s| (d(s), cap(s)))
            .collect();
        let f = figures(year("2025-26"), &entries, &caps, m("1000.00"));
        assert_eq!(f.months.len(), 2);
        assert_eq!(f.months[0].label, "July 2025");
        assert_eq!(f.months[0].totals.paid_fees, m("195.50"));
        assert_eq!(f.months[0].totals.carried_forward, m("179.50"));
        assert_eq!(f.months[1].totals.brought_forward, m("179.50"));
        assert_eq!(f.months[1].totals.carried_forward, m("59.00"));
        assert_eq!(f.cap_periods.len(), 2);
        assert_eq!(f.cap_periods[0].start, d("2025-06-30"));
        assert_eq!(f.cap_periods[0].end, d("2025-07-06"));
        assert!(f.cap_periods.iter().all(|p| p.counted == m("195.50")));
        assert!(f.cap_periods.iter().all(|p| p.within_limit));
        // Earned £450 = paid £391 + carried £59, over the two runs.
        assert_eq!(f.totals.earned, m("450.00"));
        assert_eq!(f.totals.paid_fees, m("391.00"));
        assert_eq!(
            f.totals.carried_forward - f.totals.brought_forward,
            m("59.00")
        );
        for row in std::iter::once(&f.totals)
            .chain(f.months.iter().map(|m| &m.totals))
            .chain(f.cap_periods.iter().map(|p| &p.totals))
        {
            assert!(row.balances(), "{row:?}");
        }
    }

    #[test]
    fn worked_examples_7_and_8_declined_donated_and_miles() {
        let mut miles = entry("2025-06-20", LineKind::Expense, Disposition::Paid, "12.60");
        miles.miles_tenths = 280;
        let entries = vec![
            entry("2025-06-20", LineKind::Fee, Disposition::Declined, "75.00"),
            miles,
            entry("2025-07-20", LineKind::Fee, Disposition::Donated, "150.00"),
        ];
        let f = figures(year("2025-26"), &entries, &HashMap::new(), m("1000.00"));
        assert_eq!(f.totals.paid_fees, Money::ZERO);
        assert_eq!(f.totals.declined, m("75.00"));
        assert_eq!(f.totals.donated, m("150.00"));
        assert_eq!(f.totals.expenses_paid, m("12.60"));
        assert_eq!(f.totals.paid_to_member, m("12.60"));
        assert_eq!(f.totals.business_miles.to_string(), "28.0");
        assert!(f.totals.balances());
        let n = notes(&f, Some("Mind"), Money::ZERO).join("\n");
        assert!(n.contains("£150.00 of fees went to Mind"));
        assert!(n.contains("You chose not to be paid £75.00"));
    }

    #[test]
    fn a_range_across_two_tax_years_totals_each_year_in_full() {
        let entries = vec![
            entry("2025-01-10", LineKind::Fee, Disposition::Paid, "900.00"),
            entry("2025-04-01", LineKind::Fee, Disposition::Paid, "200.00"),
            entry("2025-04-10", LineKind::Fee, Disposition::Paid, "10.00"),
        ];
        let range = DateRange::new(d("2025-03-01"), d("2025-04-30")).unwrap();
        let f = figures(range, &entries, &HashMap::new(), m("1000.00"));
        assert_eq!(f.totals.paid_fees, m("210.00"));
        assert_eq!(f.tax_years.len(), 2);
        assert_eq!(f.tax_years[0].tax_year, "2024-25");
        assert_eq!(f.tax_years[0].paid_fees, m("1100.00"));
        assert!(f.tax_years[0].passes_trading_allowance);
        assert_eq!(f.tax_years[1].paid_fees, m("10.00"));
    }

    #[test]
    fn pounds_are_grouped_and_signed() {
        assert_eq!(pounds(m("0.00")), "£0.00");
        assert_eq!(pounds(m("1020.5")), "£1,020.50");
        assert_eq!(pounds(m("1234567.89")), "£1,234,567.89");
        assert_eq!(pounds(m("-75.00")), "-£75.00");
    }
}
