//! The OAuth 2.1 authorization server of `/mcp` (docs/mcp-auth.md): the
//! metadata documents (RFC 9728, RFC 8414), dynamic client registration
//! (RFC 7591), the authorization endpoint with its consent page, the token
//! and revocation endpoints, and [`mcp_principal`], the bearer check of
//! `/mcp`. The domain (clients, codes, grants, tokens) is `auth::oauth`.

mod authorize;
mod bearer;
mod cimd;
mod consent;
mod metadata;
mod register;
mod token;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use bearer::{mcp_challenge, mcp_principal};

use super::auth::OverTls;
use super::error::ApiError;
use crate::auth::oauth::OAuthError;
use crate::http::AppState;

/// Where the protected resource lives, below the base URL.
pub const MCP_PATH: &str = "/mcp";

/// The routes at the top level: the well-known documents.
pub fn well_known() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(metadata::protected_resource).options(preflight),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(metadata::protected_resource).options(preflight),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server).options(preflight),
        )
}

/// The routes under `/engine` (nested there).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/register",
            post(register::register).options(preflight),
        )
        .route(
            "/oauth/authorize",
            get(authorize::show).post(authorize::decide),
        )
        .route("/oauth/token", post(token::token).options(preflight))
        .route("/oauth/revoke", post(token::revoke).options(preflight))
}

/// The engine's public base URL: `oauth.public_url`, else the scheme and
/// `Host` of this request.
pub fn base_url(state: &AppState, headers: &HeaderMap, tls: Option<&OverTls>) -> String {
    if let Some(u) = &state.config().oauth.public_url {
        return u.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', '@', '\\', ' ', '?', '#']))
        .unwrap_or("localhost");
    let scheme = if tls.is_some() { "https://" } else { "http://" };
    // Built by hand: `format!` cost 1,200 instructions here on every script
    // request (issue 14).
    let mut url = String::with_capacity(scheme.len() + host.len());
    url.push_str(scheme);
    url.push_str(host);
    url
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> ApiError {
        let status = match e {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            OAuthError::Store(s) => return ApiError::internal(s),
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::oauth(status, e.code(), e.to_string())
    }
}

/// OAuth endpoints are called from browser-based clients of other origins
/// too; they carry no cookie-based authority, so any origin may read them.
fn open_cors(resp: &mut Response) {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The CORS preflight of a browser-based client (registration sends JSON).
async fn preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    open_cors(&mut resp);
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization, mcp-protocol-version"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OAuthError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}
