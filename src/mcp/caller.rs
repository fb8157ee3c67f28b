//! Who makes an MCP request. The HTTP adapter resolves it (bearer token or
//! session cookie) and puts it into the request's extensions; rmcp hands
//! those to the handler with each request.

use std::sync::Arc;

use crate::domain::{Principal, RequestAuth};

#[derive(Clone, Debug, Default)]
pub struct McpCaller {
    /// For the built-in tools' access rules.
    pub principal: Option<Principal>,
    /// What handlers see as `ctx.auth`.
    pub auth: Option<Arc<RequestAuth>>,
}

/// The caller of the request whose extensions are `ext`: what the HTTP
/// layer resolved, else `fallback` (stdio has no HTTP request).
pub fn of(ext: &rmcp::model::Extensions, fallback: &McpCaller) -> McpCaller {
    ext.get::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<McpCaller>())
        .or_else(|| ext.get::<McpCaller>())
        .cloned()
        .unwrap_or_else(|| fallback.clone())
}
