//! An email address as coprod keeps it: trimmed, lower-cased, and plausibly deliverable.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an email address such as name@example.org")]
pub struct InvalidEmail;

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, InvalidEmail> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\']);
        if !(domain_ok && local_ok) {
            return Err(InvalidEmail);
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(
            EmailAddress::parse("  Sam.Jones@Example.ORG ")
                .unwrap()
                .as_str(),
            "sam.jones@example.org"
        );
        assert!(EmailAddress::parse("o'brien+coprod@council.gov.uk").is_ok());
        for bad in [
            "",
            "sam",
            "sam@",
            "@example.org",
            "sam@example",
            "sam@@example.org",
            "sam @example.org",
            "sam@exa mple.org",
            "sam@.example.org",
            "sam@example..org",
            "<sam>@example.org",
            "sam@exam\nple.org",
            "sam@ex\u{0}ample.org",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(InvalidEmail), "{bad:?}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.org", "a".repeat(65))).is_err());
    }

    /// Addresses the rules accept, in the case and spacing people type them: a local part of
    /// letters, digits and the punctuation real addresses use, and a domain of two to four labels.
    fn valid_address() -> impl Strategy<Value = (String, String, String)> {
        (
            "[A-Za-z0-9][A-Za-z0-9._+'-]{0,30}",
            prop::collection::vec("[A-Za-z0-9][A-Za-z0-9-]{0,12}", 1..4),
            "[A-Za-z]{2,8}",
            "[ \t]{0,2}",
            "[ \t]{0,2}",
        )
            .prop_map(|(local, labels, tld, before, after)| {
                let domain = format!("{}.{tld}", labels.join("."));
                let typed = format!("{before}{local}@{domain}{after}");
                (typed, local, domain)
            })
    }

    /// One way to break a valid address, and the address broken that way.
    fn invalid_address() -> impl Strategy<Value = (&'static str, String)> {
        (
            valid_address(),
            0usize..9,
            prop::sample::select(vec!['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\']),
            prop::sample::select(vec![' ', '\t', '\n', '\u{0}', '\u{7f}']),
        )
            .prop_map(|((_, local, domain), how, special, space)| match how {
                0 => ("no @", format!("{local}{domain}")),
                1 => ("nothing before the @", format!("@{domain}")),
                2 => ("nothing after the @", format!("{local}@")),
                3 => (
                    "no dot in the domain",
                    format!("{local}@{}", domain.replace('.', "")),
                ),
                4 => ("a domain starting with a dot", format!("{local}@.{domain}")),
                5 => (
                    "two dots in a row",
                    format!("{local}@{}", domain.replacen('.', "..", 1)),
                ),
                6 => (
                    "a character addresses cannot have",
                    format!("{local}{special}@{domain}"),
                ),
                7 => (
                    "a space or control character inside",
                    format!("{local}{space}x@{domain}"),
                ),
                _ => (
                    "a local part over 64 characters",
                    format!("{}@{domain}", local.repeat(65)),
                ),
            })
    }

    proptest! {
        #[test]
        fn valid_addresses_are_kept_trimmed_and_lower_cased((typed, local, domain) in valid_address()) {
            let parsed = EmailAddress::parse(&typed);
            prop_assert!(parsed.is_ok(), "{typed:?} was refused");
            let e = parsed.unwrap();
            prop_assert_eq!(
                e.as_str(),
                format!("{}@{}", local.to_lowercase(), domain.to_lowercase())
            );
            // What was kept parses to itself: storing and reading back changes nothing.
            prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
        }

        #[test]
        fn broken_addresses_are_refused((how, address) in invalid_address()) {
            prop_assert_eq!(
                EmailAddress::parse(&address),
                Err(InvalidEmail),
                "{} in {:?}",
                how,
                address
            );
        }

        #[test]
        fn parsing_is_idempotent(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
