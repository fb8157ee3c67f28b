//! `list_routes` (what the scripts serve) and `call_route` (a request to
//! one of them, in-process through the router, bodies bounded).

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::guard::{parse, Fail};
use super::{AdminTools, LocalRequest};
use crate::domain::Principal;

/// Request bodies `call_route` sends at most.
pub(super) const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Response bytes `call_route` returns at most.
pub(super) const MAX_RESPONSE_BYTES: usize = 256 * 1024;
pub(super) const DEFAULT_TIMEOUT_MS: u64 = 10_000;
pub(super) const MAX_TIMEOUT_MS: u64 = 60_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Call {
    method: Option<String>,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    body_base64: Option<String>,
    timeout_ms: Option<u64>,
}

impl AdminTools {
    /// The routes of every script the caller may read, enabled or not.
    pub(super) async fn list_routes(&self, p: &Principal) -> Result<Value, Fail> {
        let catalog = self.deps.scripts.catalog();
        let mut routes = Vec::new();
        for (name, entry) in &catalog.entries {
            if !p.is_admin() && self.access(p, name).is_none() {
                continue;
            }
            for r in &entry.routes {
                routes.push(json!({
                    "method": r.method, "path": r.path, "script": &**name,
                    "enabled": entry.enabled, "stream": r.stream,
                }));
            }
        }
        Ok(json!({ "routes": routes }))
    }

    pub(super) async fn call_route(&self, _p: &Principal, args: Value) -> Result<Value, Fail> {
        let c: Call = parse(args)?;
        let req = local_request(c)?;
        let resp = self.deps.routes.send(req).await.map_err(Fail::internal)?;
        let request_id = resp
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-request-id"))
            .map(|(_, v)| v.clone());
        let headers: serde_json::Map<String, Value> = resp
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (body, body_base64) = match String::from_utf8(resp.body) {
            Ok(text) => (Some(text), None),
            Err(e) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(e.as_bytes());
                (None, Some(b64))
            }
        };
        Ok(json!({
            "status": resp.status, "headers": headers, "body": body,
            "bodyBase64": body_base64, "truncated": resp.truncated, "requestId": request_id,
        }))
    }
}

fn local_request(c: Call) -> Result<LocalRequest, Fail> {
    if !c.path.starts_with('/') || c.path.starts_with("//") {
        return Err(Fail::invalid(format!(
            "path {:?} must be a path on this engine starting with one '/', such as /hello?name=x",
            c.path
        )));
    }
    let bare = c.path.split(['?', '#']).next().unwrap_or_default();
    if bare == "/mcp" || bare.starts_with("/mcp/") {
        return Err(Fail::invalid(
            "call_route does not call /mcp itself; call the tool you want directly",
        ));
    }
    let method = c
        .method
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let body = match (c.body, c.body_base64) {
        (Some(_), Some(_)) => {
            return Err(Fail::invalid(
                "give body (text) or bodyBase64 (bytes), not both",
            ))
        }
        (Some(t), None) => t.into_bytes(),
        (None, Some(b)) => base64::engine::general_purpose::STANDARD
            .decode(b.as_bytes())
            .map_err(|e| Fail::invalid(format!("bodyBase64 is not base64: {e}")))?,
        (None, None) => Vec::new(),
    };
    if body.len() > MAX_REQUEST_BYTES {
        return Err(Fail::invalid(format!(
            "the request body is {} bytes, over call_route's limit of {MAX_REQUEST_BYTES}",
            body.len()
        )));
    }
    let timeout = c
        .timeout_ms
        .unwrap_or(DEFAULT_TIMEOUT_MS)
        .clamp(1, MAX_TIMEOUT_MS);
    Ok(LocalRequest {
        method,
        path: c.path,
        headers: c.headers.into_iter().collect(),
        body,
        max_response_bytes: MAX_RESPONSE_BYTES,
        timeout: Duration::from_millis(timeout),
    })
}
