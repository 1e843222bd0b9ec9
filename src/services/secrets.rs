//! Tokens and password hashes. Tokens are 256 random bits, shown once and stored as SHA-256.
//! Passwords are hashed with Argon2id at OWASP's parameters (19 MiB, two passes, one lane).

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::NewPassword;

/// Prefixes say what a token is when one turns up somewhere it should not be.
pub const SESSION_PREFIX: &str = "cps_";
pub const API_TOKEN_PREFIX: &str = "cpt_";
pub const LINK_PREFIX: &str = "cpl_";

/// A new random token and the hash to store.
pub fn new_token(prefix: &str) -> (SecretString, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_token(&token);
    (SecretString::from(token), hash)
}

pub fn hash_token(token: &str) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password that passed the policy. Slow by design: call it off the async executor.
pub fn hash_password(password: &NewPassword) -> Result<String, super::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("cannot encode a salt: {e}"))?;
    argon2()
        .hash_password(password.secret().expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}").into())
}

/// A hash of nothing anyone knows, verified against when there is no account, so that a sign-in
/// for an unknown address takes as long as one for a real account.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    SaltString::encode_b64(&salt)
        .ok()
        .and_then(|salt| {
            argon2()
                .hash_password(b"no account has this password", &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
});

/// Checks a password against a stored hash; with no hash, spends the same time and says no.
pub fn verify_password(password: &SecretString, stored: Option<&str>) -> bool {
    let candidate = password.expose_secret().as_bytes();
    match stored.and_then(|h| PasswordHash::new(h).ok()) {
        Some(hash) => argon2().verify_password(candidate, &hash).is_ok(),
        None => {
            if let Ok(hash) = PasswordHash::new(&DUMMY_HASH) {
                let _ = argon2().verify_password(candidate, &hash);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, ha) = new_token(SESSION_PREFIX);
        let (b, hb) = new_token(SESSION_PREFIX);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(ha, hb);
        assert!(a.expose_secret().starts_with("cps_"));
        assert_eq!(a.expose_secret().len(), 4 + 43, "256 bits in base64url");
        assert_eq!(hash_token(a.expose_secret()), ha);
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn passwords_verify_and_hashes_use_argon2id_owasp_parameters() {
        let pw = SecretString::from("Marmalade-Lighthouse-Tuesday".to_string());
        let hash = hash_password(&NewPassword::parse(&pw, &[]).unwrap()).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&pw, Some(&hash)));
        let wrong = SecretString::from("Marmalade-Lighthouse-Wednesday".to_string());
        assert!(!verify_password(&wrong, Some(&hash)));
        assert!(!verify_password(&pw, None));
        assert!(!verify_password(&pw, Some("not a hash")));
    }
}
