//! argon2id password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

pub const MIN_PASSWORD_LEN: usize = 10;

/// A valid hash of a random password, verified against when the email is
/// unknown so that a login costs the same either way.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W8mUu0sG0SRvJyLMoG0JgYj0ijJQmF1N2jz5VQmN8xk";

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a valid salt")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify() {
        let h = super::hash_password("correct horse battery");
        assert!(super::verify_password("correct horse battery", &h));
        assert!(!super::verify_password("wrong", &h));
        assert!(super::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
