//! The rules of personal data kept and let go: what identifies a person in free text and how it is
//! struck out, the pseudonym an erased member is known by, and when the retention rules say a
//! record is due to go. No I/O: `services::personal` applies them.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// What stands in for a detail that was erased.
pub const ERASED: &str = "[erased]";

/// Fields of a record (as the audit trail keeps it) that hold personal details: erased whatever
/// they say.
pub const PERSONAL_FIELDS: &[&str] = &[
    "full_name",
    "preferred_name",
    "email",
    "phone",
    "postal_address",
    "payee_reference",
    "communication_needs",
    "notes",
    "access_note",
    "access_needs",
    "description",
    "recipient",
];

/// The name an erased member is known by from then on: their record's short id, so finance can
/// still tell two erased members apart.
pub fn pseudonym(member_id: &str) -> String {
    let short: String = member_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("Erased member {short}")
}

/// The address an erased member's account is left with: it can receive nothing (`.invalid` is
/// reserved) and is unique.
pub fn erased_address(account_id: &str) -> String {
    format!("erased-{account_id}@invalid")
}

/// What identifies a person in text: their names, addresses, phone number and reference. Short
/// values (under 3 characters) are left out, or "Al" would strike out every "also".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers(Vec<String>);

impl Identifiers {
    pub fn new<I, S>(values: I) -> Identifiers
    where
        I: IntoIterator<Item = Option<S>>,
        S: AsRef<str>,
    {
        let mut out: Vec<String> = Vec::new();
        for v in values.into_iter().flatten() {
            // An address is matched line by line too, as it may be quoted a line at a time.
            let v = v.as_ref();
            for part in std::iter::once(v).chain(v.lines()) {
                let part = part.trim();
                if part.chars().count() >= 3 && !out.iter().any(|o| o.eq_ignore_ascii_case(part)) {
                    out.push(part.to_string());
                }
            }
        }
        // Longest first, so a full name goes before a part of it.
        out.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        Identifiers(out)
    }

    /// The values, longest first.
    pub fn values(&self) -> &[String] {
        &self.0
    }

    pub fn mentioned_in(&self, text: &str) -> bool {
        self.0
            .iter()
            .any(|n| find_ignoring_case(text, n, 0).is_some())
    }

    /// `text` with every identifier, in any case, struck out.
    pub fn strike(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.0 {
            let mut from = 0;
            while let Some((start, end)) = find_ignoring_case(&out, n, from) {
                out.replace_range(start..end, ERASED);
                from = start + ERASED.len();
            }
        }
        out
    }

    /// A snapshot of one of the person's own records as the audit trail keeps it: its personal
    /// fields erased whatever they say, and every identifier struck out of the rest. Text that
    /// is not JSON is struck out as text.
    pub fn strike_json(&self, json: &str) -> String {
        self.strike_json_as(json, true)
    }

    /// A snapshot of someone else's record that mentions the person: only the identifiers are
    /// struck out, so the other person's own details stay.
    pub fn strike_mentions_json(&self, json: &str) -> String {
        self.strike_json_as(json, false)
    }

    fn strike_json_as(&self, json: &str, theirs: bool) -> String {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(mut v) => {
                self.strike_value(&mut v, theirs);
                v.to_string()
            }
            Err(_) => self.strike(json),
        }
    }

    fn strike_value(&self, v: &mut serde_json::Value, theirs: bool) {
        use serde_json::Value;
        match v {
            Value::String(s) => *s = self.strike(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.strike_value(i, theirs)),
            Value::Object(o) => {
                for (k, field) in o.iter_mut() {
                    if theirs && PERSONAL_FIELDS.contains(&k.as_str()) && !field.is_null() {
                        *field = Value::String(ERASED.to_string());
                    } else {
                        self.strike_value(field, theirs);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Where `needle` starts and ends in `text` at or after byte `from`, as a whole word (no letter
/// or digit just before or after it, so "Sam" is not found in "same"), comparing characters
/// without regard to case.
fn find_ignoring_case(text: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some((start, end)) = find_anywhere(text, needle, at) {
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return Some((start, end));
        }
        at = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Where `needle` starts and ends in `text` at or after byte `from`, anywhere, comparing
/// characters without regard to case.
fn find_anywhere(text: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let wanted: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    if wanted.is_empty() {
        return None;
    }
    for (start, _) in text.char_indices().filter(|(i, _)| *i >= from) {
        let mut got = text[start..].char_indices().flat_map(|(i, c)| {
            let next = i + c.len_utf8();
            c.to_lowercase().map(move |l| (l, next))
        });
        let mut end = start;
        let matched = wanted.iter().all(|w| match got.next() {
            Some((l, next)) if l == *w => {
                end = start + next;
                true
            }
            _ => false,
        });
        if matched {
            return Some((start, end));
        }
    }
    None
}

/// The date a member's record is due to be erased under `retention.erase_after_years`: that many
/// years after the later of their last payment and the end of their last role (their record's
/// creation when they have had neither). Never while a role is open.
pub fn erasure_due(
    last_payment: Option<NaiveDate>,
    roles_end: Option<Option<NaiveDate>>,
    created: NaiveDateTime,
    years: u32,
) -> Option<NaiveDate> {
    let last_role = match roles_end {
        Some(None) => return None,
        Some(Some(d)) => Some(d),
        None => None,
    };
    let from = [last_payment, last_role]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(created.date());
    Some(years_after(from, years))
}

/// The same day `years` later (28 February for 29 February in a year that has none).
pub fn years_after(d: NaiveDate, years: u32) -> NaiveDate {
    let year = d.year() + years as i32;
    d.with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, d.month(), 28))
        .unwrap_or(d)
}

/// The day `years` before `today`: things from before it are due.
pub fn cutoff_years(today: NaiveDate, years: u32) -> NaiveDate {
    let year = today.year() - years as i32;
    today
        .with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), 28))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn names_are_struck_out_in_any_case() {
        let ids = Identifiers::new([
            Some("Ann Example"),
            Some("ann@example.org"),
            None,
            Some("1 High Street\nNorthtown"),
            Some("Al"),
        ]);
        assert_eq!(
            ids.strike("Met ANN EXAMPLE (ann@Example.org) at 1 High Street; also Al."),
            "Met [erased] ([erased]) at [erased]; also Al."
        );
        assert!(ids.mentioned_in("northtown"));
        assert!(!ids.mentioned_in("Ann"));
        assert_eq!(ids.strike("ÅNN"), "ÅNN");
        // Whole words only: a short preferred name is not found inside other words.
        let sam = Identifiers::new([Some("Sam"), Some("Émile Zola")]);
        assert_eq!(
            sam.strike("The same Sam, samples; SAM."),
            "The same [erased], samples; [erased]."
        );
        assert_eq!(sam.strike("émile zola came"), "[erased] came");
        assert!(!sam.mentioned_in("Samantha"));
    }

    #[test]
    fn a_records_personal_fields_go_and_the_rest_is_struck() {
        let ids = Identifiers::new([Some("Ann Example")]);
        let json = r#"{"full_name":"Ann Example","notes":null,"role":"co_chair","history":[{"said":"Ann Example came"}],"amount_pence":7500}"#;
        let v: serde_json::Value = serde_json::from_str(&ids.strike_json(json)).unwrap();
        assert_eq!(v["full_name"], ERASED);
        assert!(v["notes"].is_null());
        assert_eq!(v["role"], "co_chair");
        assert_eq!(v["history"][0]["said"], "[erased] came");
        assert_eq!(v["amount_pence"], 7500);
        assert_eq!(
            ids.strike_json("Ann Example, not JSON"),
            "[erased], not JSON"
        );
        // Someone else's record that mentions them keeps its own details.
        let other = r#"{"full_name":"Bob Other","notes":"came with Ann Example"}"#;
        let v: serde_json::Value = serde_json::from_str(&ids.strike_mentions_json(other)).unwrap();
        assert_eq!(v["full_name"], "Bob Other");
        assert_eq!(v["notes"], "came with [erased]");
    }

    #[test]
    fn pseudonyms_tell_members_apart() {
        assert_eq!(
            pseudonym("0193f0aa-1111-7222-8333-94445555abcd"),
            "Erased member 5555abcd"
        );
        assert_eq!(erased_address("acc1"), "erased-acc1@invalid");
    }

    #[test]
    fn a_record_is_due_six_years_after_the_later_of_last_payment_and_last_role() {
        let created = d(2018, 1, 5).and_hms_opt(9, 0, 0).unwrap();
        // Paid last in 2019, role ended in 2020: due in 2026.
        assert_eq!(
            erasure_due(Some(d(2019, 3, 1)), Some(Some(d(2020, 6, 30))), created, 6),
            Some(d(2026, 6, 30))
        );
        assert_eq!(
            erasure_due(Some(d(2021, 3, 1)), Some(Some(d(2020, 6, 30))), created, 6),
            Some(d(2027, 3, 1))
        );
        // A role still open: never.
        assert_eq!(
            erasure_due(Some(d(2019, 3, 1)), Some(None), created, 6),
            None
        );
        // Neither: from the record's creation.
        assert_eq!(erasure_due(None, None, created, 6), Some(d(2024, 1, 5)));
        assert_eq!(years_after(d(2024, 2, 29), 1), d(2025, 2, 28));
        assert_eq!(cutoff_years(d(2028, 2, 29), 6), d(2022, 2, 28));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn nothing_struck_out_is_left(name in "[A-Za-zÀ-ÿ' -]{3,20}", before in ".{0,30}", after in ".{0,30}") {
            prop_assume!(name.trim().chars().count() >= 3);
            // A name inside the stand-in itself ("sed") would be found in it again.
            prop_assume!(!ERASED.contains(&name.trim().to_lowercase()));
            let ids = Identifiers::new([Some(name.clone())]);
            let struck = ids.strike(&format!("{before}{name}{after}"));
            prop_assert!(!ids.mentioned_in(&struck), "{struck}");
        }
    }
}
