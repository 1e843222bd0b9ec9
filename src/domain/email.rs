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

    proptest! {
        #[test]
        fn parsing_is_idempotent(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
