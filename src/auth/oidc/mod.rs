//! Sign-in through OpenID Connect providers (REQ-AUTH-001): discovery,
//! the authorization code flow with PKCE, and ID token verification, all
//! through the `openidconnect` crate. No HTTP types: the adapter hands in
//! the callback's parameters and the flow cookie, and gets back a
//! [`Verified`] identity that [`super::AuthService::finish_oidc_login`]
//! turns into a session.
//!
//! - [`provider`]: one configured provider, its discovered metadata and
//!   its JWKS (refetched, rate-limited, when a token names an unknown key).
//! - [`flow`]: pending logins (state, nonce, PKCE verifier) kept in memory
//!   under a signed, single-use cookie id; the callback's checks.

mod flow;
pub mod presets;
mod provider;
mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

pub use flow::{Begin, Callback, Verified};
pub use provider::{Provider, ProviderSpec};

/// Name of the short-lived cookie that binds a callback to its browser.
pub const FLOW_COOKIE: &str = "aiwebengine_oidc";
/// How long a started login may take at the provider.
pub const FLOW_SECONDS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no sign-in provider named {0:?}; the login page lists the configured ones")]
    UnknownProvider(String),
    #[error("{0}; start the login again from /engine/auth/login")]
    State(String),
    #[error("the provider refused the login: {0}")]
    Provider(String),
    #[error("the ID token was refused: {0}")]
    Token(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("cannot reach the provider: {0}")]
    Unreachable(String),
}

impl OidcError {
    /// The stable error code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::UnknownProvider(_) => "not_found",
            OidcError::State(_) => "oidc_state_invalid",
            OidcError::Provider(_) => "oidc_provider_error",
            OidcError::Token(_) => "oidc_token_invalid",
            OidcError::NotAllowed(_) => "oidc_not_allowed",
            OidcError::Unreachable(_) => "oidc_unreachable",
        }
    }
}

/// Providers discovered together, ready to [`Oidc::install`].
pub struct ProviderSet(BTreeMap<String, Arc<Provider>>);

impl ProviderSet {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The configured providers and the logins in progress.
pub struct Oidc {
    http: reqwest::Client,
    providers: ArcSwap<BTreeMap<String, Arc<Provider>>>,
    flows: flow::Flows,
    /// Session id -> (provider, ID token) of logins through a provider,
    /// for `auth.provider` and RP-initiated logout. In memory only: after
    /// a restart, logout ends the local session alone.
    sessions: std::sync::Mutex<lru::LruCache<String, (String, String)>>,
}

impl Oidc {
    /// No providers yet; [`Oidc::discover`] and [`Oidc::install`] add them.
    pub fn new() -> Result<Oidc, String> {
        // No redirects: discovery, JWKS and token requests go where the
        // metadata says, never where a 3xx would send them.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the OIDC HTTP client: {e}"))?;
        Ok(Oidc {
            http,
            providers: ArcSwap::from_pointee(BTreeMap::new()),
            flows: flow::Flows::new(),
            sessions: std::sync::Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(100_000).unwrap_or(std::num::NonZeroUsize::MIN),
            )),
        })
    }

    /// Discovers every provider; the error names the provider's key.
    pub async fn discover(&self, specs: Vec<ProviderSpec>) -> Result<ProviderSet, String> {
        let mut next = BTreeMap::new();
        for spec in specs {
            let name = spec.name.clone();
            let p = Provider::discover(spec, &self.http).await?;
            next.insert(name, Arc::new(p));
        }
        Ok(ProviderSet(next))
    }

    /// Swaps a discovered set in, whole.
    pub fn install(&self, set: ProviderSet) {
        self.providers.store(Arc::new(set.0));
    }

    /// The configured providers, by name.
    pub fn providers(&self) -> Arc<BTreeMap<String, Arc<Provider>>> {
        self.providers.load_full()
    }

    pub fn remember_session(&self, session_id: &str, provider: &str, id_token: &str) {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        m.put(
            session_id.to_string(),
            (provider.to_string(), id_token.to_string()),
        );
    }

    /// The provider a session came through, and its ID token.
    pub fn session_provider(&self, session_id: &str) -> Option<(String, String)> {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        m.get(session_id).cloned()
    }

    pub fn forget_session(&self, session_id: &str) -> Option<(String, String)> {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        m.pop(session_id)
    }

    pub fn provider(&self, name: &str) -> Result<Arc<Provider>, OidcError> {
        self.providers
            .load()
            .get(name)
            .cloned()
            .ok_or_else(|| OidcError::UnknownProvider(name.to_string()))
    }
}

/// A return URL that stays on this site: a path (not `//host` nor
/// `/\host`, which browsers read as another origin), with no control
/// characters; anything else falls back to `fallback`.
pub fn safe_return_to(candidate: Option<&str>, fallback: &str) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_urls_stay_on_this_site() {
        let f = "/engine/admin/";
        assert_eq!(safe_return_to(Some("/app?x=1"), f), "/app?x=1");
        for bad in [
            "//evil.example.com/",
            "/\\evil.example.com",
            "https://evil.example.com/",
            "javascript:alert(1)",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_return_to(Some(bad), f), f, "{bad:?}");
        }
        assert_eq!(safe_return_to(None, f), f);
    }
}
