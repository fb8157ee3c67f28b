//! `/mcp`: the MCP Streamable HTTP endpoint (REQ-MCP-001), rmcp's tower
//! service mounted in the router. This file owns what HTTP decides before
//! rmcp sees a request: who is calling ([`mcp_caller`], the one place
//! `/mcp` authenticates), which hosts and origins may call, how large a
//! body may be.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::auth::{bearer, cookie, SESSION_COOKIE};
use super::{ApiError, AppState};
use crate::mcp::{EngineMcp, McpCaller};

/// The `/mcp` route, with its caller check.
pub fn routes(state: &AppState) -> Router<AppState> {
    let cfg = &state.config().mcp;
    let core = state.mcp().clone();
    let mut http = StreamableHttpServerConfig::default()
        .with_allowed_origins(cfg.allowed_origins.clone())
        // An empty list refuses every browser origin rather than none.
        .enforce_origin_validation()
        .with_max_request_body_bytes(cfg.max_body_bytes);
    http = match cfg.allowed_hosts.is_empty() {
        true => http.disable_allowed_hosts(),
        false => http.with_allowed_hosts(cfg.allowed_hosts.clone()),
    };
    let service = StreamableHttpService::new(
        move || Ok(EngineMcp::new(core.clone(), McpCaller::default())),
        state.mcp().sessions.clone(),
        http,
    );
    Router::new()
        .route_service("/mcp", service)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mcp_caller,
        ))
}

/// Who calls `/mcp`: the engine's bearer tokens (API and login tokens) or
/// the session cookie. With `mcp.auth = "required"` a request without one
/// gets 401; a token that is not valid always does.
pub async fn mcp_caller(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match resolve(&state, req.headers()) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            let mut resp = e.into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"aiwebengine\""),
            );
            resp
        }
    }
}

fn resolve(state: &AppState, headers: &axum::http::HeaderMap) -> Result<McpCaller, ApiError> {
    let token = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE));
    let Some(token) = token else {
        if state.config().mcp.auth == "optional" {
            return Ok(McpCaller::default());
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "MCP requires authentication here (mcp.auth = \"required\"): send Authorization: Bearer TOKEN (an API token, or a login token from POST /engine/auth/login)",
        ));
    };
    let principal = state.auth().authenticate(token).map_err(|_| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token or session is not valid (expired, revoked or mistyped); sign in again or create a new API token",
        )
    })?;
    let auth = state.auth().directory().request_auth_of(&principal.id);
    Ok(McpCaller {
        principal: Some(principal),
        auth,
    })
}
