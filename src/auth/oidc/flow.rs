//! The login flow: `begin` makes the authorization URL (code flow, PKCE
//! S256, fresh `state` and `nonce`) and remembers them in memory under a
//! random id that goes to the browser in a signed HttpOnly cookie;
//! `finish` takes that entry out (one use only), checks the callback
//! against it, exchanges the code and verifies the ID token.

use std::collections::HashMap;
use std::sync::Mutex;

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AccessToken, AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SubjectIdentifier, TokenResponse,
};

use super::provider::{describe, Provider};
use super::verify::{check_allowed, check_iss, Claims};
use super::{Oidc, OidcError, FLOW_SECONDS};

/// Logins in progress kept at most; the oldest are dropped first.
const MAX_FLOWS: usize = 10_000;

struct Pending {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    redirect_uri: String,
    return_to: String,
    link_to: Option<String>,
    expires_at: i64,
}

pub(super) struct Flows {
    key: ring::hmac::Key,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Flows {
    pub(super) fn new() -> Flows {
        // Per process: a restart forgets the logins in progress anyway.
        let secret: [u8; 32] = rand::random();
        Flows {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn sign(&self, id: &str) -> String {
        let tag = ring::hmac::sign(&self.key, id.as_bytes());
        format!("{id}.{}", hex(tag.as_ref()))
    }

    /// The pending login a cookie names, removed: a second use finds none.
    fn take(&self, cookie: &str) -> Option<Pending> {
        let (id, tag) = cookie.split_once('.')?;
        let tag = unhex(tag)?;
        ring::hmac::verify(&self.key, id.as_bytes(), &tag).ok()?;
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(id)
    }

    fn put(&self, id: String, p: Pending) {
        let now = now_secs();
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.expires_at > now);
        if map.len() >= MAX_FLOWS {
            if let Some(oldest) = map.iter().min_by_key(|(_, p)| p.expires_at) {
                let k = oldest.0.clone();
                map.remove(&k);
            }
        }
        map.insert(id, p);
    }
}

/// Where to send the browser, and the flow cookie's value.
pub struct Begin {
    pub url: String,
    pub cookie: String,
    /// The answer comes as a cross-site POST: the flow cookie must be
    /// `SameSite=None; Secure` to come along.
    pub form_post: bool,
}

/// The callback's query (or form, for `response_mode=form_post`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// Apple's first-login `user` JSON (the name, sent only then).
    pub user: Option<String>,
}

/// A user the provider vouched for, through a verified ID token.
#[derive(Clone, Debug)]
pub struct Verified {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub return_to: String,
    /// A logged-in user who asked to link this provider account.
    pub link_to: Option<String>,
    /// The ID token, kept for RP-initiated logout's `id_token_hint`.
    pub id_token: String,
}

impl Oidc {
    /// Starts a login at `name`; `default_redirect` is the callback URL to
    /// use when the provider's config has none, `return_to` a same-site
    /// path, `link_to` a logged-in user who links this provider.
    pub fn begin(
        &self,
        name: &str,
        default_redirect: &str,
        return_to: &str,
        link_to: Option<String>,
    ) -> Result<Begin, OidcError> {
        let p = self.provider(name)?;
        let redirect_uri = p
            .spec
            .redirect_url
            .clone()
            .unwrap_or_else(|| default_redirect.to_string());
        let redirect = RedirectUrl::new(redirect_uri.clone())
            .map_err(|e| OidcError::State(format!("bad redirect URL {redirect_uri:?}: {e}")))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = p.client().set_redirect_uri(redirect);
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &p.spec.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        if p.spec.preset.form_post() {
            req = req.add_extra_param("response_mode", "form_post");
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let pending = Pending {
            provider: name.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            redirect_uri,
            return_to: return_to.to_string(),
            link_to,
            expires_at: now_secs() + FLOW_SECONDS,
        };
        let cookie = self.flows.sign(&id);
        self.flows.put(id, pending);
        Ok(Begin {
            url: url.to_string(),
            cookie,
            form_post: p.spec.preset.form_post(),
        })
    }

    /// Checks a callback for `name` against the flow cookie, exchanges the
    /// code and verifies the ID token.
    pub async fn finish(
        &self,
        name: &str,
        cookie: Option<&str>,
        cb: Callback,
    ) -> Result<Verified, OidcError> {
        let p = self.provider(name)?;
        let pending = cookie.and_then(|c| self.flows.take(c)).ok_or_else(|| {
            OidcError::State(
                "no login in progress in this browser (the flow cookie is missing, was already used, or expired)".into(),
            )
        })?;
        if pending.provider != name || pending.expires_at <= now_secs() {
            return Err(OidcError::State(
                "this login was started for another provider or has expired".into(),
            ));
        }
        if let Some(err) = &cb.error {
            let detail = cb.error_description.as_deref().unwrap_or("");
            return Err(OidcError::Provider(
                format!("{err} {detail}").trim().to_string(),
            ));
        }
        // No constant-time compare needed: the entry is gone after one try.
        let state_ok = cb.state.as_deref() == Some(pending.state.as_str());
        if !state_ok {
            return Err(OidcError::State(
                "the state parameter does not match the login started in this browser".into(),
            ));
        }
        check_iss(&p, cb.iss.as_deref())?;
        let code = cb
            .code
            .ok_or_else(|| OidcError::Provider("the callback has no code".into()))?;
        let (id_token, access) = self.exchange(&p, &pending, code).await?;
        let mut claims = self.verify(&p, &id_token, &pending.nonce).await?;
        if claims.email.is_none() {
            self.user_info(&p, access, &mut claims).await?;
        }
        if claims.name.is_none() {
            claims.name = cb.user.as_deref().and_then(super::presets::apple_user_name);
        }
        let v = Verified {
            provider: name.to_string(),
            subject: claims.subject,
            email: claims.email,
            email_verified: claims.email_verified,
            name: claims.name,
            return_to: pending.return_to,
            link_to: pending.link_to,
            id_token: id_token.to_string(),
        };
        check_allowed(&p, &v)?;
        Ok(v)
    }

    async fn exchange(
        &self,
        p: &Provider,
        pending: &Pending,
        code: String,
    ) -> Result<(openidconnect::core::CoreIdToken, AccessToken), OidcError> {
        let redirect = RedirectUrl::new(pending.redirect_uri.clone())
            .map_err(|e| OidcError::State(e.to_string()))?;
        let client = p.client().set_redirect_uri(redirect);
        let req = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Provider(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()));
        let resp = req.request_async(&self.http).await.map_err(|e| match &e {
            openidconnect::RequestTokenError::ServerResponse(r) => OidcError::Provider(format!(
                "the token endpoint answered {}{}",
                r.error(),
                r.error_description()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )),
            _ => OidcError::Unreachable(format!("token request failed: {}", describe(&e))),
        })?;
        let id_token = resp.id_token().cloned().ok_or_else(|| {
            OidcError::Token(
                "the token response has no id_token (is the openid scope allowed?)".into(),
            )
        })?;
        Ok((id_token, resp.access_token().clone()))
    }

    /// Email and name from the user info endpoint, for providers that
    /// keep them out of the ID token; its `sub` must be the token's.
    async fn user_info(
        &self,
        p: &Provider,
        access: AccessToken,
        claims: &mut Claims,
    ) -> Result<(), OidcError> {
        let client = p.client();
        let subject = SubjectIdentifier::new(claims.subject.clone());
        let Ok(req) = client.user_info(access, Some(subject)) else {
            return Ok(()); // no user info endpoint: nothing more to learn
        };
        let info: openidconnect::core::CoreUserInfoClaims =
            req.request_async(&self.http).await.map_err(|e| {
                OidcError::Provider(format!("user info request failed: {}", describe(&e)))
            })?;
        claims.email = info.email().map(|e| e.to_string());
        claims.email_verified = info.email_verified().unwrap_or(false);
        if claims.name.is_none() {
            claims.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string());
        }
        Ok(())
    }
}

fn now_secs() -> i64 {
    crate::domain::now_millis() / 1000
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
