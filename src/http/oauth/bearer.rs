//! The bearer check of `/mcp`: an access token minted here for this
//! engine's `/mcp`, whose grant is live. The 401 carries the challenge the
//! MCP authorization spec asks for, pointing at the resource metadata.

use axum::http::{header, HeaderMap, StatusCode};

use super::{base_url, MCP_PATH};
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::http::{AppState, OverTls};

/// The caller of `/mcp` named by an OAuth access token in
/// `Authorization: Bearer`, or `None` when the header holds something else
/// (a login or API token, for the caller's other checks). `Err` is a token
/// of ours that is not good here: expired, revoked, or for another resource.
pub fn mcp_principal(
    state: &AppState,
    headers: &HeaderMap,
    tls: Option<&OverTls>,
) -> Option<Result<Principal, ApiError>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })?
        .trim();
    if !is_access_token(token) {
        return None;
    }
    let resource = format!("{}{MCP_PATH}", base_url(state, headers, tls));
    Some(
        state
            .auth()
            .authenticate_resource(token, &resource)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    format!("the access token is expired, revoked, or not for {resource}; get a new one (refresh, or authorize again)"),
                )
                .with_challenge(mcp_challenge(state, headers, tls, Some("invalid_token")))
            }),
    )
}

/// `Bearer resource_metadata="…/.well-known/oauth-protected-resource/mcp"`
/// (RFC 9728 §5.1), with `error=` when a token was refused.
pub fn mcp_challenge(
    state: &AppState,
    headers: &HeaderMap,
    tls: Option<&OverTls>,
    error: Option<&str>,
) -> String {
    let base = base_url(state, headers, tls);
    let mut c = format!(
        "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource{MCP_PATH}\", scope=\"{}\"",
        crate::auth::oauth::SCOPE
    );
    if let Some(e) = error {
        c.push_str(&format!(", error=\"{e}\""));
    }
    c
}

/// An access token is a JWT whose header says `typ: at+jwt`; login tokens
/// are JWTs without it, and API tokens are not JWTs.
fn is_access_token(token: &str) -> bool {
    jsonwebtoken::decode_header(token)
        .is_ok_and(|h| h.typ.as_deref() == Some(crate::auth::oauth::ACCESS_TOKEN_TYP))
}
