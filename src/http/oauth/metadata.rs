//! `/.well-known/oauth-protected-resource[/mcp]` (RFC 9728) and
//! `/.well-known/oauth-authorization-server` (RFC 8414).

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{base_url, open_cors, MCP_PATH};
use crate::auth::oauth::SCOPE;
use crate::http::AppState;
use crate::http::OverTls;

/// The one protected resource, `/mcp`, and who authorizes it (this engine).
/// The root form names `/mcp` too: it is the only resource here.
pub async fn protected_resource(State(state): State<AppState>, req: Request) -> Response {
    let base = base_url(&state, req.headers(), req.extensions().get::<OverTls>());
    let mut resp = Json(json!({
        "resource": format!("{base}{MCP_PATH}"),
        "authorization_servers": [base],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "aiwebengine MCP server",
        "resource_documentation": "https://github.com/aiwebengine/aiwebengine/blob/main/docs/mcp-auth.md",
    }))
    .into_response();
    open_cors(&mut resp);
    resp
}

pub async fn authorization_server(State(state): State<AppState>, req: Request) -> Response {
    let base = base_url(&state, req.headers(), req.extensions().get::<OverTls>());
    let mut resp = Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/engine/oauth/authorize"),
        "token_endpoint": format!("{base}/engine/oauth/token"),
        "registration_endpoint": format!("{base}/engine/oauth/register"),
        "revocation_endpoint": format!("{base}/engine/oauth/revoke"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    }))
    .into_response();
    open_cors(&mut resp);
    resp
}
