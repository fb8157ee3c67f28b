//! Fetching a Client ID Metadata Document (rules in `auth::oauth::cimd`):
//! one GET, no redirects, 5 s, at most 5 KB, through the same address
//! screen as scripts' `fetch` (no loopback, private or metadata addresses
//! unless `oauth.client_metadata_private`), so a client_id cannot make the
//! engine probe its own network.

use std::time::Duration;

use reqwest::header::ACCEPT;

use crate::auth::oauth::cimd::{self, MAX_DOCUMENT_BYTES};
use crate::auth::oauth::{OAuthClient, OAuthError};
use crate::fetch::resolve::GuardedResolver;
use crate::http::AppState;

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The client `client_id` names: a registered one, or the (possibly
/// refetched) metadata document at that URL.
pub(super) async fn client(state: &AppState, client_id: &str) -> Result<OAuthClient, OAuthError> {
    let st = state.clone();
    let id = client_id.to_string();
    if !cimd::is_metadata_url(client_id) {
        return join(tokio::task::spawn_blocking(move || st.auth().oauth_client(&id)).await);
    }
    let private = state.config().oauth.client_metadata_private;
    let url = cimd::check_client_id_url(client_id, private)?;
    if let Some(c) =
        join(tokio::task::spawn_blocking(move || st.auth().fresh_metadata_client(&id)).await)?
    {
        return Ok(c);
    }
    let body = fetch(url, private).await.map_err(|why| {
        OAuthError::InvalidClient(format!(
            "the Client ID Metadata Document at {client_id} could not be fetched: {why}"
        ))
    })?;
    let client = cimd::parse_document(client_id, &body)?;
    let st = state.clone();
    let c = client.clone();
    join(tokio::task::spawn_blocking(move || st.auth().store_metadata_client(&c)).await)?;
    Ok(client)
}

fn join<T>(r: Result<Result<T, OAuthError>, tokio::task::JoinError>) -> Result<T, OAuthError> {
    r.map_err(|e| OAuthError::InvalidRequest(format!("internal error: {e}")))?
}

async fn fetch(url: url::Url, allow_private: bool) -> Result<Vec<u8>, String> {
    if let Some(host) = url.host() {
        let ip = match host {
            url::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if let (Some(ip), false) = (ip, allow_private) {
            if let Some(class) = crate::fetch::policy::refused_class(ip) {
                return Err(format!(
                    "{ip} is a {class} address (oauth.client_metadata_private = true allows it in development)"
                ));
            }
        }
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
        .build()
        .map_err(|e| e.to_string())?;
    let mut resp = client
        .get(url)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| error_chain(&e))?;
    if resp.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "the server answered {} (it must answer 200 with the JSON document, without redirects)",
            resp.status()
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| error_chain(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("it is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
    }
    Ok(body)
}

/// reqwest's error with its causes (the address refusal is a cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
