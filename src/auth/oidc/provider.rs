//! One configured provider: what the config says ([`ProviderSpec`]) and
//! what discovery found (endpoints, JWKS). The JWKS is cached with the
//! metadata and fetched again when an ID token is signed with a key it
//! does not hold (key rotation), at most once per [`JWKS_REFETCH_EVERY`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, ClientId, ClientSecret, EndSessionUrl, ProviderMetadata,
};
use serde::{Deserialize, Serialize};

use super::presets::Preset;
use crate::domain::Role;

/// A token naming an unknown key makes at most one JWKS fetch this often.
pub const JWKS_REFETCH_EVERY: Duration = Duration::from_secs(5);

/// One `[auth.providers.NAME]`, its secret resolved.
#[derive(Clone, Debug)]
pub struct ProviderSpec {
    pub name: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Besides `openid`, which is always asked for.
    pub scopes: Vec<String>,
    /// None: derived from the request's origin.
    pub redirect_url: Option<String>,
    /// Email domains allowed in (lower case); empty allows any.
    pub allowed_domains: Vec<String>,
    /// Emails allowed in (lower case); empty allows any.
    pub allowed_emails: Vec<String>,
    pub default_role: Role,
    pub link_by_verified_email: bool,
    /// Logging out also ends the session at the provider, when it has an
    /// `end_session_endpoint`.
    pub logout_at_provider: bool,
    /// What a Google, Microsoft or Apple preset changes.
    pub preset: Preset,
}

/// Discovery fields the core metadata type lacks.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    #[serde(default)]
    pub end_session_endpoint: Option<EndSessionUrl>,
    /// RFC 9207: the provider puts `iss` on every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

pub struct Provider {
    pub spec: ProviderSpec,
    metadata: ArcSwap<Metadata>,
    last_refetch: Mutex<Option<Instant>>,
}

impl Provider {
    /// Fetches the discovery document and the JWKS; the error names the
    /// key. The document's issuer must be the configured one (Microsoft's
    /// multi-tenant template `.../{tenantid}/v2.0` is checked per token).
    pub async fn discover(spec: ProviderSpec, http: &reqwest::Client) -> Result<Provider, String> {
        let key = format!("auth.providers.{}.issuer", spec.name);
        let fail = |why: String| format!("invalid config: {key} = {:?}: {why}", spec.issuer);
        let url = format!(
            "{}/.well-known/openid-configuration",
            spec.issuer.trim_end_matches('/')
        );
        let resp = http.get(&url).send().await.map_err(|e| {
            fail(format!(
                "OpenID discovery at {url} failed: {}",
                describe(&e)
            ))
        })?;
        if !resp.status().is_success() {
            return Err(fail(format!(
                "OpenID discovery at {url} answered {}",
                resp.status()
            )));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| fail(format!("OpenID discovery at {url} failed: {e}")))?;
        let metadata: Metadata = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("{url} is not an OpenID discovery document: {e}")))?;
        let found = metadata.issuer().as_str().trim_end_matches('/');
        let template = spec.preset.multi_tenant().is_some() && found.contains("{tenantid}");
        if found != spec.issuer.trim_end_matches('/') && !template {
            return Err(fail(format!(
                "the discovery document names another issuer, {found:?}; use that exact URL"
            )));
        }
        let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
            .await
            .map_err(|e| fail(format!("cannot fetch the JWKS: {}", describe(&e))))?;
        Ok(Provider {
            spec,
            metadata: ArcSwap::from_pointee(metadata.set_jwks(jwks)),
            last_refetch: Mutex::new(None),
        })
    }

    pub fn metadata(&self) -> arc_swap::Guard<std::sync::Arc<Metadata>> {
        self.metadata.load()
    }

    pub fn end_session_endpoint(&self) -> Option<String> {
        let m = self.metadata();
        let url = m.additional_metadata().end_session_endpoint.as_ref()?;
        Some(url.url().to_string())
    }

    /// A client over the current metadata (cheap; made per use because
    /// the JWKS inside may be replaced).
    pub fn client(&self) -> CoreClientFor {
        let m = (**self.metadata()).clone();
        let secret = match &self.spec.preset {
            Preset::Apple(key) => {
                let now = crate::domain::now_millis() / 1000;
                key.client_secret(&self.spec.client_id, m.issuer().as_str(), now)
            }
            _ => self.spec.client_secret.clone(),
        };
        // Providers that take the secret only in the body (Apple) say so.
        let post_only = m.token_endpoint_auth_methods_supported().is_some_and(|v| {
            v.contains(&CoreClientAuthMethod::ClientSecretPost)
                && !v.contains(&CoreClientAuthMethod::ClientSecretBasic)
        });
        let client = CoreClientFor::from_provider_metadata(
            m,
            ClientId::new(self.spec.client_id.clone()),
            secret.map(ClientSecret::new),
        );
        if post_only {
            client.set_auth_type(openidconnect::AuthType::RequestBody)
        } else {
            client
        }
    }

    /// Fetches the JWKS again, unless that was done a moment ago; true
    /// when a new set was installed.
    pub async fn refetch_jwks(&self, http: &reqwest::Client) -> bool {
        {
            let mut last = self.last_refetch.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < JWKS_REFETCH_EVERY) {
                return false;
            }
            *last = Some(Instant::now());
        }
        let current = self.metadata.load_full();
        match CoreJsonWebKeySet::fetch_async(current.jwks_uri(), http).await {
            Ok(jwks) => {
                let next = (*current).clone().set_jwks(jwks);
                self.metadata.store(std::sync::Arc::new(next));
                true
            }
            Err(e) => {
                tracing::warn!(provider = %self.spec.name, error = %describe(&e), "JWKS refetch failed");
                false
            }
        }
    }
}

/// `CoreClient` as `from_provider_metadata` makes it (auth URL set, token
/// and user info endpoints as discovered).
pub type CoreClientFor = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// An error and its causes on one line.
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
