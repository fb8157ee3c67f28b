//! The pieces of the TOTP second factor that hold no state: RFC 6238 codes
//! (HMAC-SHA-1, 6 digits, 30-second steps: what authenticator apps use),
//! the `otpauth://` URI, recovery codes, and sealing secrets at rest.
//!
//! RFC 6238 is a dozen lines over an HMAC, and `ring` (already a
//! dependency) has the HMAC; the tests check the RFC's own vectors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use data_encoding::BASE32_NOPAD;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hmac;

/// Seconds per time step.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Secret length: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at once.
pub const RECOVERY_CODES: usize = 10;

const PLAIN: &str = "plain:";
const SEALED: &str = "enc:v1:";

/// The time step of a Unix time in seconds.
pub fn step_of(unix_secs: i64) -> u64 {
    (unix_secs.max(0) / STEP_SECS) as u64
}

/// The code of `step` (RFC 4226 dynamic truncation of HMAC-SHA-1).
pub fn code_at(secret: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let at = (mac[mac.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([mac[at] & 0x7f, mac[at + 1], mac[at + 2], mac[at + 3]]);
    format!("{:0width$}", bin % 10u32.pow(DIGITS as u32), width = DIGITS)
}

/// The step among `now - 1 ..= now + 1` (one step of clock skew either
/// way) whose code is `code`, if any is later than `after`. Compared in
/// constant time, so timing does not tell which digits were right.
pub fn matching_step(secret: &[u8], code: &str, now_step: u64, after: u64) -> Option<u64> {
    let mut found = None;
    for step in now_step.saturating_sub(1)..=now_step + 1 {
        let same = same_bytes(code_at(secret, step).as_bytes(), code.as_bytes());
        if same && step > after && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Equality that looks at every byte whatever the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `s` has the shape of a code (rather than a recovery code).
pub fn looks_like_code(s: &str) -> bool {
    s.len() == DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn new_secret() -> Vec<u8> {
    rand::random::<[u8; SECRET_BYTES]>().to_vec()
}

pub fn base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The enrolment URI authenticator apps read from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let i = utf8_percent_encode(issuer, NON_ALPHANUMERIC).to_string();
    let a = utf8_percent_encode(account, NON_ALPHANUMERIC).to_string();
    let s = base32(secret);
    format!("otpauth://totp/{i}:{a}?secret={s}&issuer={i}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}")
}

/// Ten fresh recovery codes, `xxxxx-xxxxx` in lower-case base32 (50 bits
/// each, enough that a fast hash is safe to store).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = BASE32_NOPAD
                .encode(&rand::random::<[u8; 7]>())
                .to_lowercase();
            format!("{}-{}", &raw[..5], &raw[5..10])
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of its normalised text
/// (case, spaces and dashes do not matter when it is typed back).
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    super::sha256_hex(&format!("totp-recovery:{norm}"))
}

/// Seals a secret for the data file: ChaCha20-Poly1305 under the engine's
/// secret key when there is one (bound to the user id), else plain base32.
pub fn seal(secret: &[u8], key: Option<&[u8; 32]>, user_id: &str) -> Result<String, String> {
    let Some(key) = key else {
        return Ok(format!("{PLAIN}{}", base32(secret)));
    };
    let nonce: [u8; NONCE_LEN] = rand::random();
    let mut buf = secret.to_vec();
    cipher(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(user_id)),
            &mut buf,
        )
        .map_err(|_| "cannot encrypt the TOTP secret".to_string())?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    Ok(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(out)))
}

/// The secret back from [`seal`]'s form.
pub fn open(stored: &str, key: Option<&[u8; 32]>, user_id: &str) -> Result<Vec<u8>, String> {
    if let Some(b32) = stored.strip_prefix(PLAIN) {
        return BASE32_NOPAD
            .decode(b32.as_bytes())
            .map_err(|_| "the stored TOTP secret is damaged".to_string());
    }
    let body = stored
        .strip_prefix(SEALED)
        .ok_or("the stored TOTP secret has an unknown form")?;
    let Some(key) = key else {
        return Err("this TOTP secret is encrypted with AIWEBENGINE_SECRET_KEY, which is not set now; start the server with the same key, or have an admin reset this user's TOTP".into());
    };
    let wrong = || {
        "the TOTP secret cannot be decrypted with AIWEBENGINE_SECRET_KEY (a different key than when it was stored?); start with that key, or have an admin reset this user's TOTP".to_string()
    };
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| wrong())?;
    if raw.len() < NONCE_LEN {
        return Err(wrong());
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
    let mut buf = sealed.to_vec();
    let plain = cipher(key)?
        .open_in_place(nonce, Aad::from(aad(user_id)), &mut buf)
        .map_err(|_| wrong())?;
    Ok(plain.to_vec())
}

fn aad(user_id: &str) -> Vec<u8> {
    format!("aiwebengine totp {user_id}").into_bytes()
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey, String> {
    UnboundKey::new(&CHACHA20_POLY1305, key)
        .map(LessSafeKey::new)
        .map_err(|_| "bad secret key".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (the RFC prints 8 digits; the last
    /// six are the 6-digit code).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, code8) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), code8[2..], "t = {t}");
        }
    }

    #[test]
    fn skew_and_replay() {
        let s = new_secret();
        let c = code_at(&s, 100);
        assert_eq!(matching_step(&s, &c, 101, 0), Some(100));
        assert_eq!(matching_step(&s, &c, 99, 0), Some(100));
        assert_eq!(matching_step(&s, &c, 102, 0), None);
        assert_eq!(matching_step(&s, &c, 100, 100), None, "used step");
    }

    #[test]
    fn seal_round_trips_and_binds_the_user() {
        let key = [7u8; 32];
        let s = new_secret();
        let plain = seal(&s, None, "u1").unwrap();
        assert_eq!(open(&plain, None, "u1").unwrap(), s);
        let sealed = seal(&s, Some(&key), "u1").unwrap();
        assert!(!sealed.contains(&base32(&s)));
        assert_eq!(open(&sealed, Some(&key), "u1").unwrap(), s);
        assert!(open(&sealed, Some(&key), "u2").is_err());
        assert!(open(&sealed, None, "u1").is_err());
        assert!(open(&sealed, Some(&[8u8; 32]), "u1").is_err());
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
        assert!(!looks_like_code(c));
        assert!(looks_like_code("012345"));
    }
}
