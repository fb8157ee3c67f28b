//! The engine as the OAuth 2.1 authorization server of its own `/mcp`
//! (the MCP authorization spec): registered clients, authorization codes
//! with PKCE, grants, and the access tokens they mint (no HTTP types).
//!
//! One grant is one [`Session`](super::Session) of the user who consented,
//! plus an [`OAuthGrant`] row keyed by the same id naming the client. So a
//! grant shows on the sessions page, and revoking the session (or every
//! session of the user, as a password change does) ends the grant: its
//! refresh token finds no session, and its access tokens (JWTs carrying the
//! session id and an audience) fail the live-session check at once.
//!
//! Authorization codes live in memory only: they are good for
//! [`CODE_SECONDS`] and one use, and a restart merely voids pending ones.

pub mod cimd;
mod clients;
mod codes;
mod grants;
mod tokens;

use serde::{Deserialize, Serialize};

pub use clients::{redirect_matches, validate_redirect_uri, ClientRegistration};
pub use codes::{CodeRequest, Codes};
pub use tokens::{AccessClaims, Issued, ACCESS_TOKEN_TYP};

/// An access token is good for this long.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// A grant (and its refresh token) lapses after this long without a refresh.
pub const GRANT_SECONDS: i64 = 30 * 24 * 3600;
/// An authorization code is good for this long, and for one exchange.
pub const CODE_SECONDS: i64 = 60;
/// The one scope: the caller's own rights on `/mcp`.
pub const SCOPE: &str = "mcp";
/// Every refresh token starts with this, then the grant id and a dot.
pub const REFRESH_PREFIX: &str = "awr_";

/// A client registered by RFC 7591 dynamic registration. Public clients
/// only (`token_endpoint_auth_method` = "none"): PKCE is what binds a code
/// to the client that asked for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub client_uri: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// What a grant remembers beside its session (same id).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OAuthGrant {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    /// The resource (RFC 8707) its tokens are bound to: this engine's `/mcp`.
    pub resource: String,
    pub scope: String,
    /// SHA-256 of the secret part of the current refresh token.
    pub refresh_hash: String,
    /// The one before the last rotation: seeing it again means the refresh
    /// token was copied, and the grant is revoked (OAuth 2.1 §4.3.1).
    #[serde(default)]
    pub previous_hash: Option<String>,
    pub created_at: i64,
}

/// An OAuth error with the RFC 6749 / 7591 / 8707 code a client acts on,
/// and a message saying what was wrong and what to send instead.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    UnsupportedResponseType(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("{0}")]
    InvalidClientMetadata(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error(transparent)]
    Store(#[from] crate::domain::StorageError),
}

impl OAuthError {
    /// The `error` value of the OAuth error response.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType(_) => "unsupported_response_type",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            OAuthError::InvalidClientMetadata(_) => "invalid_client_metadata",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::Store(_) => "server_error",
        }
    }
}

impl From<super::AuthError> for OAuthError {
    fn from(e: super::AuthError) -> OAuthError {
        match e {
            super::AuthError::Store(s) => OAuthError::Store(s),
            super::AuthError::BadCredentials | super::AuthError::InvalidToken => {
                OAuthError::InvalidGrant(
                    "the user of this grant is disabled or gone; authorize again".into(),
                )
            }
            other => OAuthError::InvalidRequest(other.to_string()),
        }
    }
}

/// The scope a request asks for: none (the default) or exactly [`SCOPE`].
pub fn check_scope(scope: Option<&str>) -> Result<String, OAuthError> {
    match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(SCOPE.to_string()),
        Some(s) if s.split_whitespace().all(|w| w == SCOPE) => Ok(SCOPE.to_string()),
        Some(s) => Err(OAuthError::InvalidScope(format!(
            "unknown scope {s:?}; this server has one scope, \"{SCOPE}\" (the user's own rights on /mcp)"
        ))),
    }
}

/// RFC 8707: the resource a token is for must be `expected` (this
/// engine's `/mcp`); none means that one.
pub fn check_resource(resource: Option<&str>, expected: &str) -> Result<String, OAuthError> {
    match resource.filter(|r| !r.is_empty()) {
        None => Ok(expected.to_string()),
        Some(r) if r.trim_end_matches('/') == expected => Ok(expected.to_string()),
        Some(r) => Err(OAuthError::InvalidTarget(format!(
            "resource {r:?} is not served here; this server issues tokens only for {expected}"
        ))),
    }
}
