//! Authorization codes: in memory, one use, [`CODE_SECONDS`] long, bound
//! to the client, the redirect URI, the PKCE challenge, the resource and
//! the user who consented.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{OAuthError, CODE_SECONDS};
use crate::auth::{now_secs, random_hex, sha256_hex, AuthService};

/// What the user consented to, as the consent form posts it back.
#[derive(Clone, Debug)]
pub struct CodeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The S256 challenge: BASE64URL(SHA-256(verifier)).
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub user_id: String,
}

struct Pending {
    req: CodeRequest,
    expires_at: i64,
}

/// Pending codes by the SHA-256 of the code.
#[derive(Default)]
pub struct Codes {
    pending: Mutex<HashMap<String, Pending>>,
}

impl Codes {
    fn insert(&self, req: CodeRequest) -> String {
        let code = random_hex(32);
        let now = now_secs();
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.expires_at > now);
        let pending = Pending {
            req,
            expires_at: now + CODE_SECONDS,
        };
        map.insert(sha256_hex(&code), pending);
        code
    }

    /// Removes the code whatever happens next: a code is tried once.
    fn take(&self, code: &str) -> Result<CodeRequest, OAuthError> {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match map.remove(&sha256_hex(code)) {
            Some(p) if p.expires_at > now_secs() => Ok(p.req),
            _ => Err(OAuthError::InvalidGrant(format!(
                "the authorization code is unknown, used already, or older than {CODE_SECONDS} seconds; start the authorization again"
            ))),
        }
    }
}

impl AuthService {
    /// A fresh code for what the user just allowed.
    pub fn issue_oauth_code(&self, req: CodeRequest) -> String {
        self.oauth_codes.insert(req)
    }

    /// The request behind `code`, consumed, checked against the client,
    /// the redirect URI and the PKCE verifier of the token request.
    pub(super) fn redeem_oauth_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<CodeRequest, OAuthError> {
        let req = self.oauth_codes.take(code)?;
        if req.client_id != client_id {
            return Err(OAuthError::InvalidGrant(
                "this code was issued to another client_id".into(),
            ));
        }
        if redirect_uri.is_some_and(|r| r != req.redirect_uri) {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri differs from the one of the authorization request".into(),
            ));
        }
        let Some(verifier) = verifier else {
            return Err(OAuthError::InvalidRequest(
                "code_verifier is missing; send the PKCE verifier whose S256 challenge began the authorization".into(),
            ));
        };
        if !pkce_s256_matches(verifier, &req.code_challenge) {
            return Err(OAuthError::InvalidGrant(
                "code_verifier does not match the code_challenge (S256)".into(),
            ));
        }
        Ok(req)
    }
}

/// RFC 7636 §4.6 with S256; a verifier is 43 to 128 unreserved characters.
fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    let ok_chars = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !(43..=128).contains(&verifier.len()) || !ok_chars {
        return false;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    computed.len() == challenge.len()
        && computed
            .bytes()
            .zip(challenge.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(challenge, challenge));
        assert!(!pkce_s256_matches("short", challenge));
    }
}
