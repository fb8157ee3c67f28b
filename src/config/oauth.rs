//! `[oauth]`: the engine as the OAuth authorization server of its `/mcp`
//! (docs/mcp-auth.md).

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthSection {
    /// The engine's public base URL (`https://host`, no path): the OAuth
    /// issuer, and the base of the one resource, `{public_url}/mcp`. Unset:
    /// taken from each request's `Host` header and scheme.
    pub public_url: Option<String>,
    /// Client ID Metadata Document URLs may name loopback, private and
    /// link-local addresses (and plain http on loopback): development and
    /// tests only.
    pub client_metadata_private: bool,
}

impl OAuthSection {
    /// `public_url` must be an http(s) origin without path, query or fragment.
    pub fn validate(&self) -> Result<(), String> {
        let Some(u) = &self.public_url else {
            return Ok(());
        };
        let ok = url::Url::parse(u).is_ok_and(|p| {
            matches!(p.scheme(), "http" | "https")
                && p.host().is_some()
                && p.path() == "/"
                && p.query().is_none()
                && p.fragment().is_none()
                && !u.ends_with('/')
        });
        match ok {
            true => Ok(()),
            false => Err(format!(
                "invalid config: oauth.public_url = {u:?}; allowed: an origin such as \"https://engine.example.com\" (scheme and host, no path or trailing slash)"
            )),
        }
    }
}
