//! Secret references in string values (REQ-SEC-005): `env:NAME` reads a
//! variable, `file:/path` reads a file (one trailing newline dropped), and
//! `enc:v1:...` is ChaCha20-Poly1305 (ring) under the key in
//! `AIWEBENGINE_SECRET_KEY` (base64 of 32 bytes, or `file:/path` to it),
//! made by `aiwebengine config encrypt`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

pub const KEY_VAR: &str = "AIWEBENGINE_SECRET_KEY";
const PREFIX: &str = "enc:v1:";
const AAD: &[u8] = b"aiwebengine config";

pub fn is_reference(s: &str) -> bool {
    s.starts_with("env:") || s.starts_with("file:") || s.starts_with("enc:")
}

/// The value a reference stands for; other strings as they are.
pub fn resolve(s: &str) -> Result<String, String> {
    if let Some(name) = s.strip_prefix("env:") {
        return std::env::var(name)
            .map_err(|_| format!("env:{name} names an environment variable that is not set"));
    }
    if let Some(path) = s.strip_prefix("file:") {
        return read_trimmed(path);
    }
    if s.starts_with("enc:") {
        return decrypt(s, &key_from_env()?);
    }
    Ok(s.to_string())
}

fn read_trimmed(path: &str) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("file:{path} cannot be read: {e}"))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_string())
}

/// The key from `AIWEBENGINE_SECRET_KEY` (its value, or `file:/path`).
pub fn key_from_env() -> Result<[u8; 32], String> {
    let raw = std::env::var(KEY_VAR).map_err(|_| {
        format!(
            "an enc: value needs the key in {KEY_VAR} (make one with `aiwebengine config genkey`)"
        )
    })?;
    let text = match raw.strip_prefix("file:") {
        Some(path) => read_trimmed(path)?,
        None => raw,
    };
    parse_key(&text)
}

/// The key when `AIWEBENGINE_SECRET_KEY` is set (an error when it is set
/// but not a key); None when it is not set.
pub fn optional_key() -> Result<Option<[u8; 32]>, String> {
    if std::env::var_os(KEY_VAR).is_none() {
        return Ok(None);
    }
    key_from_env().map(Some)
}

pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            format!("{KEY_VAR} is not a key: expected base64 of 32 bytes, as `aiwebengine config genkey` prints")
        })
}

pub fn generate_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey, String> {
    UnboundKey::new(&CHACHA20_POLY1305, key)
        .map(LessSafeKey::new)
        .map_err(|_| "bad key".to_string())
}

pub fn encrypt(plain: &str, key: &[u8; 32]) -> Result<String, String> {
    let nonce_bytes: [u8; NONCE_LEN] = rand::random();
    let mut buf = plain.as_bytes().to_vec();
    cipher(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(AAD),
            &mut buf,
        )
        .map_err(|_| "encryption failed".to_string())?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&buf);
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
}

pub fn decrypt(text: &str, key: &[u8; 32]) -> Result<String, String> {
    let bad = || {
        format!("an enc: value could not be decrypted with the key in {KEY_VAR} (wrong key, or a damaged value)")
    };
    let body = text.strip_prefix(PREFIX).ok_or_else(|| {
        "an enc: value must start with enc:v1: (make it with `aiwebengine config encrypt`)"
            .to_string()
    })?;
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
    if raw.len() < NONCE_LEN {
        return Err(bad());
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
    let mut buf = sealed.to_vec();
    let plain = cipher(key)?
        .open_in_place(nonce, Aad::from(AAD), &mut buf)
        .map_err(|_| bad())?;
    String::from_utf8(plain.to_vec()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_wrong_key() {
        let key = super::parse_key(&super::generate_key()).unwrap();
        let enc = super::encrypt("s3cret", &key).unwrap();
        assert!(enc.starts_with("enc:v1:"));
        assert_eq!(super::decrypt(&enc, &key).unwrap(), "s3cret");
        let other = super::parse_key(&super::generate_key()).unwrap();
        assert!(super::decrypt(&enc, &other).is_err());
    }
}
