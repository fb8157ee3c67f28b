//! Checks on a callback and its ID token: RFC 9207 `iss`, the signature
//! (with one JWKS refetch for an unknown key), `iss`, `aud`, `azp`,
//! `exp`/`iat` with a small clock skew, `nonce`; then the provider's
//! allowed emails and domains.

use openidconnect::{ClaimsVerificationError, Nonce, SignatureVerificationError};

use super::flow::Verified;
use super::provider::{describe, Provider};
use super::{Oidc, OidcError};

/// Clock skew tolerated on `exp` and `iat`.
const SKEW_SECONDS: i64 = 60;

impl Oidc {
    /// Verifies signature, iss, aud, azp, exp, iat and nonce; a key the
    /// cached JWKS lacks makes one refetch (key rotation) and one retry.
    pub(super) async fn verify(
        &self,
        p: &Provider,
        token: &openidconnect::core::CoreIdToken,
        nonce: &str,
    ) -> Result<Claims, OidcError> {
        match claims_of(p, token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if p.refetch_jwks(&self.http).await => {
                claims_of(p, token, nonce).map_err(token_error)
            }
            r => r.map_err(token_error),
        }
    }
}

pub(super) struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

fn claims_of(
    p: &Provider,
    token: &openidconnect::core::CoreIdToken,
    nonce: &str,
) -> Result<Claims, ClaimsVerificationError> {
    let client = p.client();
    let multi_tenant = p.spec.preset.multi_tenant().is_some();
    let skew = chrono::Duration::seconds(SKEW_SECONDS);
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || chrono::Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > chrono::Utc::now() + skew {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        })
        .require_issuer_match(!multi_tenant);
    let c = token.claims(&verifier, &Nonce::new(nonce.to_string()))?;
    if multi_tenant {
        let template = p.metadata().issuer().to_string();
        p.spec
            .preset
            .check_tenant(&template, &token.to_string())
            .map_err(ClaimsVerificationError::InvalidIssuer)?;
    }
    // openidconnect leaves azp to the client (OIDC Core 3.1.3.7 steps 4-5).
    let client_id = &p.spec.client_id;
    match c.authorized_party() {
        Some(azp) if azp.as_str() != client_id => {
            return Err(ClaimsVerificationError::InvalidAudience(format!(
                "azp is {:?}, not this client {client_id:?}",
                azp.as_str()
            )))
        }
        None if c.audiences().len() > 1 => {
            return Err(ClaimsVerificationError::InvalidAudience(
                "several audiences but no azp".into(),
            ))
        }
        _ => {}
    }
    Ok(Claims {
        subject: c.subject().to_string(),
        email: c.email().map(|e| e.to_string()),
        email_verified: c.email_verified().unwrap_or(false),
        name: c.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
    })
}

fn token_error(e: ClaimsVerificationError) -> OidcError {
    OidcError::Token(describe(&e))
}

/// RFC 9207: an `iss` on the callback must be the provider's issuer, and
/// must be there when the provider says it always sends one.
pub(super) fn check_iss(p: &Provider, iss: Option<&str>) -> Result<(), OidcError> {
    let m = p.metadata();
    let expected = m.issuer().as_str();
    match iss {
        Some(i) if i != expected => Err(OidcError::State(format!(
            "the callback's iss {i:?} is not this provider's issuer {expected:?} (mix-up attack?)"
        ))),
        None if m
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true) =>
        {
            Err(OidcError::State(
                "the callback lacks the iss parameter this provider always sends".into(),
            ))
        }
        _ => Ok(()),
    }
}

pub(super) fn check_allowed(p: &Provider, v: &Verified) -> Result<(), OidcError> {
    let spec = &p.spec;
    if spec.allowed_domains.is_empty() && spec.allowed_emails.is_empty() {
        return Ok(());
    }
    let Some(email) = v.email.as_deref().filter(|_| v.email_verified) else {
        return Err(OidcError::NotAllowed(format!(
            "{} allows only listed emails or domains, and gave no verified email for this account",
            spec.name
        )));
    };
    let email = email.to_lowercase();
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    if spec.allowed_emails.contains(&email) || spec.allowed_domains.iter().any(|d| d == domain) {
        return Ok(());
    }
    Err(OidcError::NotAllowed(format!(
        "{email} may not sign in through {}: its email or domain is not in allowed_emails/allowed_domains",
        spec.name
    )))
}
