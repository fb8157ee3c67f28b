//! Dynamic client registration (RFC 7591) and the redirect URI rules of
//! OAuth 2.1 and RFC 8252 (native apps).

use serde::Deserialize;
use url::Url;

use super::{OAuthClient, OAuthError};
use crate::auth::{now_secs, AuthService};

/// The metadata a client sends to `POST /engine/oauth/register`; fields
/// this server does not use are ignored, as RFC 7591 §2 allows.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClientRegistration {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub client_uri: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
}

/// At most this many redirect URIs per client, of at most 2000 bytes each.
pub(super) const MAX_REDIRECTS: usize = 10;

impl AuthService {
    /// Blocking: validates `reg` and stores a new public client.
    pub fn register_oauth_client(
        &self,
        reg: ClientRegistration,
    ) -> Result<OAuthClient, OAuthError> {
        if reg.redirect_uris.is_empty() || reg.redirect_uris.len() > MAX_REDIRECTS {
            return Err(OAuthError::InvalidRedirectUri(format!(
                "send 1 to {MAX_REDIRECTS} redirect_uris (where the browser comes back with the code)"
            )));
        }
        for uri in &reg.redirect_uris {
            validate_redirect_uri(uri)?;
        }
        check_grant_types(&reg.grant_types, &reg.response_types)?;
        let name = reg.client_name.as_deref().map(str::trim).unwrap_or("");
        if name.chars().count() > 100 {
            return Err(OAuthError::InvalidClientMetadata(
                "client_name is longer than 100 characters".into(),
            ));
        }
        let client = OAuthClient {
            client_id: uuid::Uuid::new_v4().simple().to_string(),
            client_name: if name.is_empty() {
                "Unnamed client".into()
            } else {
                name.into()
            },
            redirect_uris: reg.redirect_uris,
            client_uri: reg.client_uri.filter(|u| Url::parse(u).is_ok()),
            created_at: now_secs() * 1000,
        };
        let c = client.clone();
        self.repo.write(&mut |tx| tx.put_oauth_client(&c))?;
        Ok(client)
    }

    /// Blocking: the registered client `client_id`.
    pub fn oauth_client(&self, client_id: &str) -> Result<OAuthClient, OAuthError> {
        let mut found = None;
        self.repo.read(&mut |r| {
            found = r.oauth_client(client_id)?;
            Ok(())
        })?;
        found.ok_or_else(|| {
            OAuthError::InvalidClient(format!(
                "no client {client_id:?} is registered here; register with POST /engine/oauth/register first"
            ))
        })
    }
}

/// Only the authorization code flow with refresh tokens is offered.
pub(super) fn check_grant_types(
    grant_types: &Option<Vec<String>>,
    response_types: &Option<Vec<String>>,
) -> Result<(), OAuthError> {
    for (field, got, want) in [
        (
            "grant_types",
            grant_types,
            ["authorization_code", "refresh_token"].as_slice(),
        ),
        ("response_types", response_types, ["code"].as_slice()),
    ] {
        if let Some(bad) = got.iter().flatten().find(|g| !want.contains(&g.as_str())) {
            return Err(OAuthError::InvalidClientMetadata(format!(
                "{field} {bad:?} is not supported; this server supports {}",
                want.join(", ")
            )));
        }
    }
    Ok(())
}

/// OAuth 2.1 §2.3.1 and RFC 8252: https, http on a loopback address, or a
/// private-use scheme of a native app; never a fragment.
pub fn validate_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let bad = |why: &str| {
        Err(OAuthError::InvalidRedirectUri(format!(
            "redirect_uri {uri:?} {why}; use https, http://127.0.0.1:PORT/..., or an app's own scheme"
        )))
    };
    if uri.len() > 2000 {
        return bad("is longer than 2000 bytes");
    }
    let Ok(url) = Url::parse(uri) else {
        return bad("is not an absolute URL");
    };
    if url.fragment().is_some() {
        return bad("has a fragment");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => bad("is plain http to a host other than loopback"),
        "javascript" | "data" | "file" | "vbscript" | "blob" => bad("has a forbidden scheme"),
        _ => Ok(()),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Exact match, except that a loopback http redirect may use any port
/// (RFC 8252 §7.3: a native app gets a free port when it starts).
pub fn redirect_matches(registered: &[String], asked: &str) -> bool {
    if registered.iter().any(|r| r == asked) {
        return true;
    }
    let Ok(asked) = Url::parse(asked) else {
        return false;
    };
    if asked.scheme() != "http" || !is_loopback(&asked) {
        return false;
    }
    registered
        .iter()
        .filter_map(|r| Url::parse(r).ok())
        .any(|mut r| {
            r.scheme() == "http"
                && is_loopback(&r)
                && r.set_port(asked.port()).is_ok()
                && r == asked
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_may_change_port_and_nothing_else() {
        let reg = vec!["http://127.0.0.1:4000/cb".to_string()];
        assert!(redirect_matches(&reg, "http://127.0.0.1:4000/cb"));
        assert!(redirect_matches(&reg, "http://127.0.0.1:5123/cb"));
        assert!(!redirect_matches(&reg, "http://127.0.0.1:5123/other"));
        assert!(!redirect_matches(
            &reg,
            "http://127.0.0.2.evil.test:5123/cb"
        ));
        let web = vec!["https://app.example/cb".to_string()];
        assert!(!redirect_matches(&web, "https://app.example:444/cb"));
        assert!(!redirect_matches(&web, "https://app.example/cb?x=1"));
    }

    #[test]
    fn redirect_uris_need_https_or_loopback() {
        assert!(validate_redirect_uri("https://a.example/cb").is_ok());
        assert!(validate_redirect_uri("http://localhost:3000/cb").is_ok());
        assert!(validate_redirect_uri("com.example.app:/cb").is_ok());
        assert!(validate_redirect_uri("http://a.example/cb").is_err());
        assert!(validate_redirect_uri("https://a.example/cb#x").is_err());
        assert!(validate_redirect_uri("javascript:alert(1)").is_err());
    }
}
