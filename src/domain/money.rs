//! Money: an exact amount of pounds and pence. `rust_decimal` inside, whole pence in storage, a string
//! with exactly two decimals in JSON ("150.00"). A JSON number is refused: floats cannot hold pence.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// The largest amount accepted from anyone: a billion pounds, far above any real fee and far below the
/// range of `i64` pence, so no sum of a realistic number of amounts can overflow.
pub const MAX_ABS_PENCE: i64 = 100_000_000_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be an amount in pounds and pence written as a string, such as \"150.00\"")]
    NotAnAmount,
    #[error("must have at most two decimal places (pence)")]
    TooManyDecimals,
    #[error("is larger than any amount coprod accepts")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// From whole pence, as stored in the database.
    pub fn from_pence(pence: i64) -> Money {
        Money(Decimal::new(pence, 2))
    }

    /// Whole pence, for storage. Exact: a `Money` never holds a fraction of a penny.
    pub fn pence(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        // A Money is built only from pence or from a value rounded to two places, so this is whole.
        i64::try_from(scaled.trunc()).unwrap_or(if scaled.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// Rounds an exact value (a rate times minutes over sixty, say) once, to the penny, half away from
    /// zero: 15.625 becomes 15.63 and -15.625 becomes -15.63.
    pub fn round(value: Decimal) -> Money {
        Money(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// An amount that must already be in whole pence (as typed by a person): more places are refused.
    pub fn exact(value: Decimal) -> Result<Money, MoneyError> {
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let money = Money(normalized);
        if money.0.abs() > Decimal::new(MAX_ABS_PENCE, 2) {
            return Err(MoneyError::TooLarge);
        }
        Ok(money)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0.is_sign_positive() && !self.0.is_zero()
    }

    pub fn min(self, other: Money) -> Money {
        if self <= other {
            self
        } else {
            other
        }
    }

    pub fn max(self, other: Money) -> Money {
        if self >= other {
            self
        } else {
            other
        }
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Accepts `150`, `150.5` and `150.00` (optionally negative); refuses `150.001`, `1e3`, `£5`, ``.
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        let s = s.trim();
        let digits = s.strip_prefix('-').unwrap_or(s);
        let well_formed = !digits.is_empty()
            && digits.split('.').count() <= 2
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !digits.starts_with('.')
            && !digits.ends_with('.');
        if !well_formed {
            return Err(MoneyError::NotAnAmount);
        }
        if let Some((_, frac)) = digits.split_once('.') {
            if frac.len() > 2 {
                return Err(MoneyError::TooManyDecimals);
            }
        }
        if digits.split('.').next().map_or(0, str::len) > 12 {
            return Err(MoneyError::TooLarge);
        }
        let value = Decimal::from_str(s).map_err(|_| MoneyError::NotAnAmount)?;
        Money::exact(value)
    }
}

impl fmt::Display for Money {
    /// Always two decimals: `150.00`, `-0.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        if d.is_zero() {
            d.set_sign_positive(true);
        }
        write!(f, "{d}")
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "£{self}")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount written as a string with two decimals, such as \"150.00\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                v.parse().map_err(E::custom)
            }
        }
        // Numbers reach `Visitor`'s default handlers, which refuse them with `expecting` above.
        deserializer.deserialize_str(Visitor)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn pence_round_trip() {
        assert_eq!(Money::from_pence(15000).to_string(), "150.00");
        assert_eq!(Money::from_pence(-50).to_string(), "-0.50");
        assert_eq!(Money::from_pence(0).to_string(), "0.00");
        assert_eq!(m("150").pence(), 15000);
        assert_eq!(m("150.5").pence(), 15050);
        assert_eq!(m("0.01").pence(), 1);
        assert_eq!(m("-12.34").pence(), -1234);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        // Worked example 5: hourly £18.75 for 50 minutes is 15.625, paid as £15.63.
        let exact = Decimal::new(1875, 2) * Decimal::from(50) / Decimal::from(60);
        assert_eq!(exact, Decimal::new(15625, 3));
        assert_eq!(Money::round(exact).to_string(), "15.63");
        assert_eq!(Money::round(-exact).to_string(), "-15.63");
        // Worked example 3: 25 × 100 / 60 = 41.666… is £41.67, and two lines total £83.34.
        let line = Money::round(Decimal::from(25) * Decimal::from(100) / Decimal::from(60));
        assert_eq!(line.to_string(), "41.67");
        assert_eq!((line + line).to_string(), "83.34");
        assert_eq!(Money::round(Decimal::new(1, 3)).to_string(), "0.00");
        assert_eq!(Money::round(Decimal::new(5, 3)).to_string(), "0.01");
    }

    #[test]
    fn parsing_refuses_what_is_not_pounds_and_pence() {
        for bad in [
            "", "-", ".", "1.", ".5", "1e3", "£5", "1,000", "1.2.3", "abc", " ", "+5", "NaN",
        ] {
            assert_eq!(
                bad.parse::<Money>(),
                Err(MoneyError::NotAnAmount),
                "{bad:?}"
            );
        }
        assert_eq!("150.001".parse::<Money>(), Err(MoneyError::TooManyDecimals));
        assert_eq!("0.005".parse::<Money>(), Err(MoneyError::TooManyDecimals));
        assert_eq!(
            "99999999999999999999999".parse::<Money>(),
            Err(MoneyError::TooLarge)
        );
        assert_eq!("1000000001".parse::<Money>(), Err(MoneyError::TooLarge));
        assert_eq!(m("1000000000").pence(), MAX_ABS_PENCE);
        assert_eq!(m("150.10"), m("150.1"));
    }

    #[test]
    fn json_is_a_two_decimal_string_and_numbers_are_refused() {
        assert_eq!(serde_json::to_string(&m("150")).unwrap(), "\"150.00\"");
        let back: Money = serde_json::from_str("\"150.00\"").unwrap();
        assert_eq!(back, m("150"));
        let err = serde_json::from_str::<Money>("150.0")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("as a string") || err.contains("string"),
            "{err}"
        );
        assert!(serde_json::from_str::<Money>("150").is_err());
        let err = serde_json::from_str::<Money>("\"1.234\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("two decimal places"), "{err}");
    }

    #[test]
    fn sums_and_comparisons() {
        let total: Money = [m("0.10"), m("0.20"), m("-0.05")].iter().sum();
        assert_eq!(total, m("0.25"));
        assert!(m("1.00") > m("0.99"));
        assert_eq!(m("5").min(m("3")), m("3"));
        assert_eq!(m("5").max(m("3")), m("5"));
        assert!(m("-1").is_negative() && m("1").is_positive() && Money::ZERO.is_zero());
        assert!(!m("-0.00").is_negative());
    }

    proptest! {
        #[test]
        fn pence_string_and_json_round_trip(p in -MAX_ABS_PENCE..=MAX_ABS_PENCE) {
            let money = Money::from_pence(p);
            prop_assert_eq!(money.pence(), p);
            let text = money.to_string();
            prop_assert_eq!(text.split('.').nth(1).map(str::len), Some(2));
            prop_assert_eq!(text.parse::<Money>().unwrap(), money);
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
        }

        #[test]
        fn rounding_matches_integer_arithmetic(milli in -10_000_000_000i64..10_000_000_000i64) {
            // Reference: round thousandths of a pound to pence, half away from zero, in integers.
            let expected = {
                let (q, r) = (milli / 10, milli % 10);
                if r.abs() >= 5 { q + r.signum() } else { q }
            };
            prop_assert_eq!(Money::round(Decimal::new(milli, 3)).pence(), expected);
        }

        #[test]
        fn sums_are_exact(pence in proptest::collection::vec(-1_000_000i64..1_000_000, 0..50)) {
            let total: Money = pence.iter().map(|p| Money::from_pence(*p)).sum();
            prop_assert_eq!(total.pence(), pence.iter().sum::<i64>());
        }
    }
}
