//! Client ID Metadata Documents (the MCP authorization spec of 2025-11-25;
//! draft-ietf-oauth-client-id-metadata-document): a client with no prior
//! registration uses an https URL as its `client_id`, and the JSON document
//! served there is its metadata. This module holds the rules for the URL
//! and the document; fetching it is the HTTP adapter's job
//! (`http::oauth::cimd`). A fetched client is stored like a registered one,
//! so the token and refresh grants find it, and is fetched again when older
//! than [`REFETCH_AFTER_MS`].

use serde::Deserialize;
use url::Url;

use super::clients::{check_grant_types, validate_redirect_uri};
use super::{OAuthClient, OAuthError};
use crate::auth::{now_secs, AuthService};

/// The largest document accepted (the draft suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// A stored document older than this is fetched again before it is used
/// for a new authorization.
pub const REFETCH_AFTER_MS: i64 = 3600 * 1000;

/// Whether `client_id` names a metadata document rather than a client
/// registered here (those are 32 hex digits).
pub fn is_metadata_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The URL rules of the draft (§3): https, a path, no fragment, no
/// credentials, no dot segments. Plain http only to a loopback host, and
/// only when `allow_loopback` (`oauth.client_metadata_private`, for local
/// development and tests).
pub fn check_client_id_url(client_id: &str, allow_loopback: bool) -> Result<Url, OAuthError> {
    let bad = |why: &str| {
        Err(OAuthError::InvalidClient(format!(
            "client_id {client_id:?} {why}; a Client ID Metadata Document URL is https with a path, e.g. https://app.example/oauth/client.json"
        )))
    };
    if client_id.len() > 2000 {
        return bad("is longer than 2000 bytes");
    }
    let Ok(url) = Url::parse(client_id) else {
        return bad("is not a valid URL");
    };
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"));
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_loopback => {}
        _ => return bad("is not https"),
    }
    if url.fragment().is_some() {
        return bad("has a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("carries a user name or password");
    }
    let raw_path = client_id
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("");
    let path = raw_path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() || path == "/" {
        return bad("has no path");
    }
    if path.split('/').any(|s| {
        s == "." || s == ".." || s.eq_ignore_ascii_case("%2e") || s.eq_ignore_ascii_case("%2e%2e")
    }) {
        return bad("has a '.' or '..' path segment");
    }
    Ok(url)
}

/// The fields of a metadata document this server uses; others are ignored.
#[derive(Deserialize)]
struct Document {
    client_id: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    token_endpoint_auth_method: Option<String>,
    client_secret: Option<serde_json::Value>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

/// The client a document at `client_id` describes, or what is wrong with it.
pub fn parse_document(client_id: &str, body: &[u8]) -> Result<OAuthClient, OAuthError> {
    let bad = |why: String| {
        Err(OAuthError::InvalidClientMetadata(format!(
            "the Client ID Metadata Document at {client_id} {why}"
        )))
    };
    if body.len() > MAX_DOCUMENT_BYTES {
        return bad(format!("is larger than {MAX_DOCUMENT_BYTES} bytes"));
    }
    let doc: Document = match serde_json::from_slice(body) {
        Ok(d) => d,
        Err(e) => {
            return bad(format!(
                "is not a JSON object with the client's metadata ({e})"
            ))
        }
    };
    match doc.client_id.as_deref() {
        Some(id) if id == client_id => {}
        Some(id) => {
            return bad(format!(
                "names client_id {id:?}; it must be exactly its own URL"
            ))
        }
        None => return bad("has no client_id (it must be exactly its own URL)".into()),
    }
    if doc.client_secret.is_some() {
        return bad(
            "carries a client_secret; a metadata document describes a public client".into(),
        );
    }
    match doc.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some(m) => {
            return bad(format!(
                "asks for token_endpoint_auth_method {m:?}; this server supports only \"none\" (public clients with PKCE)"
            ))
        }
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > super::clients::MAX_REDIRECTS {
        return bad(format!(
            "must list 1 to {} redirect_uris",
            super::clients::MAX_REDIRECTS
        ));
    }
    for uri in &doc.redirect_uris {
        validate_redirect_uri(uri)?;
    }
    check_grant_types(&doc.grant_types, &doc.response_types)?;
    let name = doc.client_name.as_deref().map(str::trim).unwrap_or("");
    let name: String = name.chars().take(100).collect();
    let host = Url::parse(client_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    Ok(OAuthClient {
        client_id: client_id.to_string(),
        client_name: if name.is_empty() { host } else { name },
        redirect_uris: doc.redirect_uris,
        client_uri: doc.client_uri.filter(|u| Url::parse(u).is_ok()),
        created_at: now_secs() * 1000,
    })
}

impl AuthService {
    /// Blocking: the stored client of a metadata document when it was
    /// fetched less than [`REFETCH_AFTER_MS`] ago.
    pub fn fresh_metadata_client(
        &self,
        client_id: &str,
    ) -> Result<Option<OAuthClient>, OAuthError> {
        let mut found = None;
        self.repo.read(&mut |r| {
            found = r.oauth_client(client_id)?;
            Ok(())
        })?;
        let now = now_secs() * 1000;
        Ok(found.filter(|c| now - c.created_at < REFETCH_AFTER_MS))
    }

    /// Blocking: keeps a fetched document's client (replacing an older copy).
    pub fn store_metadata_client(&self, client: &OAuthClient) -> Result<(), OAuthError> {
        self.repo.write(&mut |tx| tx.put_oauth_client(client))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_urls_follow_the_draft() {
        assert!(check_client_id_url("https://app.example/client.json", false).is_ok());
        for bad in [
            "https://app.example",
            "https://app.example/",
            "https://app.example/a/../client.json",
            "https://user:pw@app.example/client.json",
            "https://app.example/client.json#x",
            "http://app.example/client.json",
            "http://127.0.0.1:9/client.json",
            "ftp://app.example/client.json",
        ] {
            assert!(check_client_id_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_client_id_url("http://127.0.0.1:9/client.json", true).is_ok());
        assert!(check_client_id_url("http://app.example/client.json", true).is_err());
    }

    #[test]
    fn documents_must_name_themselves_and_be_public_clients() {
        let id = "https://app.example/client.json";
        let ok = br#"{"client_id":"https://app.example/client.json","client_name":"App","redirect_uris":["http://127.0.0.1:3000/cb"]}"#;
        let c = parse_document(id, ok).unwrap();
        assert_eq!(c.client_name, "App");
        assert_eq!(c.client_id, id);
        let other = br#"{"client_id":"https://evil.example/client.json","redirect_uris":["http://127.0.0.1:3000/cb"]}"#;
        assert!(parse_document(id, other)
            .unwrap_err()
            .to_string()
            .contains("must be exactly its own URL"));
        let secret = br#"{"client_id":"https://app.example/client.json","redirect_uris":["http://127.0.0.1:3000/cb"],"token_endpoint_auth_method":"client_secret_basic"}"#;
        assert!(parse_document(id, secret).is_err());
        let no_redirect = br#"{"client_id":"https://app.example/client.json"}"#;
        assert!(parse_document(id, no_redirect).is_err());
        let bad_redirect = br#"{"client_id":"https://app.example/client.json","redirect_uris":["javascript:alert(1)"]}"#;
        assert!(parse_document(id, bad_redirect).is_err());
        let nameless = br#"{"client_id":"https://app.example/client.json","redirect_uris":["https://app.example/cb"]}"#;
        assert_eq!(
            parse_document(id, nameless).unwrap().client_name,
            "app.example"
        );
        assert!(parse_document(id, &vec![b' '; MAX_DOCUMENT_BYTES + 1]).is_err());
    }
}
