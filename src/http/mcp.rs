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

use super::auth::{bearer, cookie, OverTls, SESSION_COOKIE};
use super::oauth::{mcp_challenge, mcp_principal};
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

/// `GET /engine/api/mcp/sessions` (admins): the connected MCP sessions of
/// the 2025 revisions, the most recently active first.
pub async fn sessions(
    _: super::auth::AdminUser,
    State(state): State<AppState>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "sessions": state.mcp().live.list() }))
}

/// Who calls `/mcp`: an OAuth access token minted by this engine for its
/// `/mcp` (docs/mcp-auth.md), the engine's other bearer tokens (API and
/// login tokens) or the session cookie. With `mcp.auth = "required"` a
/// request without one gets 401; a token that is not valid always does. A
/// 401 names the protected resource metadata (RFC 9728 §5.1), where an
/// OAuth client starts.
pub async fn mcp_caller(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let tls = req.extensions().get::<OverTls>().copied();
    if same_origin(req.headers(), tls.is_some()) {
        // The admin UI's own page: rmcp's Origin allowlist is for foreign
        // pages (DNS rebinding is still stopped by its Host allowlist).
        req.headers_mut().remove(header::ORIGIN);
    }
    if let Some(next_id) = req
        .headers()
        .get(LAST_EVENT_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(event_after)
    {
        req.headers_mut().insert(LAST_EVENT_ID, next_id);
    }
    match resolve(&state, req.headers(), tls.as_ref()) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            let challenge = mcp_challenge(&state, req.headers(), tls.as_ref(), None);
            let mut resp = e.into_response();
            if !resp.headers().contains_key(header::WWW_AUTHENTICATE) {
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            resp
        }
    }
}

const LAST_EVENT_ID: &str = "last-event-id";

/// rmcp 3.11 replays a stream from the event *named* by `Last-Event-ID`,
/// so the client would get the last event it saw twice; the standard says
/// the events after it. Its ids are `INDEX` or `INDEX/REQUEST`: ask rmcp
/// for the next index. Anything else is left for rmcp to refuse.
fn event_after(id: &str) -> Option<HeaderValue> {
    let (index, rest) = match id.split_once('/') {
        Some((i, r)) => (i, Some(r)),
        None => (id, None),
    };
    let next = index.parse::<usize>().ok()?.checked_add(1)?;
    let value = match rest {
        Some(r) if r.parse::<u64>().is_ok() => format!("{next}/{r}"),
        Some(_) => return None,
        None => next.to_string(),
    };
    HeaderValue::from_str(&value).ok()
}

/// `Origin` is this server itself: the scheme the request came over and the
/// `Host` it was sent to.
fn same_origin(headers: &axum::http::HeaderMap, tls: bool) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let (Some(origin), Some(host)) = (text(header::ORIGIN), text(header::HOST)) else {
        return false;
    };
    let scheme = if tls { "https" } else { "http" };
    origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
}

fn resolve(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    tls: Option<&OverTls>,
) -> Result<McpCaller, ApiError> {
    if let Some(checked) = mcp_principal(state, headers, tls) {
        let principal = checked?;
        let auth = state.auth().directory().request_auth_of(&principal.id);
        return Ok(McpCaller {
            principal: Some(principal),
            auth,
        });
    }
    let token = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE));
    let Some(token) = token else {
        if state.config().mcp.auth == "optional" {
            return Ok(McpCaller::default());
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "MCP requires authentication here (mcp.auth = \"required\"): send Authorization: Bearer TOKEN (an OAuth access token, which MCP clients get by themselves from the resource metadata in WWW-Authenticate; an API token; or a login token from POST /engine/auth/login)",
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
