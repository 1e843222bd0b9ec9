//! A new password: 12 to 128 characters of anything, no composition rules, but not guessable: the
//! zxcvbn estimator (which knows common passwords, names and patterns) must score it 3 or more.

use secrecy::{ExposeSecret, SecretString};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;
pub const MIN_SCORE: u8 = 3;

/// A password that passed the policy. Its text is secret: Debug never shows it.
#[derive(Debug)]
pub struct NewPassword(SecretString);

impl NewPassword {
    /// `related` are words the password must not lean on, such as the account's email address.
    pub fn parse(candidate: &SecretString, related: &[&str]) -> Result<NewPassword, String> {
        let text = candidate.expose_secret();
        let chars = text.chars().count();
        if chars < MIN_CHARS {
            return Err(format!(
                "must be at least {MIN_CHARS} characters long; a few unrelated words make a strong, memorable password"
            ));
        }
        if chars > MAX_CHARS {
            return Err(format!("must be at most {MAX_CHARS} characters long"));
        }
        let entropy = zxcvbn::zxcvbn(text, related);
        if u8::from(entropy.score()) < MIN_SCORE {
            let mut message = String::from("is too easy to guess");
            if let Some(feedback) = entropy.feedback() {
                if let Some(warning) = feedback.warning() {
                    message.push_str(&format!(": {warning}"));
                }
                let tips: Vec<String> = feedback
                    .suggestions()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if !tips.is_empty() {
                    message.push_str(&format!(". {}", tips.join(" ")));
                }
            }
            return Err(message);
        }
        Ok(NewPassword(candidate.clone()))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<NewPassword, String> {
        NewPassword::parse(&SecretString::from(p.to_string()), &["sam@example.org"])
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert!(check("short").unwrap_err().contains("at least 12"));
        assert!(check(&"x".repeat(129)).unwrap_err().contains("at most 128"));
        // Twelve characters of non-ASCII text are twelve characters.
        assert!(check("ŝŵŧŷüîôþæœ€ñ").is_ok());
    }

    #[test]
    fn weak_passwords_are_refused_with_advice() {
        let err = check("password1234").unwrap_err();
        assert!(err.starts_with("is too easy to guess"), "{err}");
        assert!(check("aaaaaaaaaaaaaaaa").is_err());
        assert!(check("qwertyuiop123").is_err());
    }

    #[test]
    fn long_unrelated_words_pass() {
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("Marmalade-Lighthouse-Tuesday").is_ok());
        assert!(
            format!("{:?}", check("Marmalade-Lighthouse-Tuesday").unwrap()).contains("REDACTED")
        );
    }
}
