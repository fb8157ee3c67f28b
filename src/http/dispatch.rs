//! The script request path: route lookup in the lock-free table, `req`
//! construction, a hop to a JS worker, and the answer back as HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;
use super::request::{parse_form, read_body, version_str};
use crate::js::{
    CallKind, FailureKind, Invocation, ScriptFailure, ScriptRequest, ScriptResponse, ScriptRuntime,
};
use crate::scripts::routes::Lookup;
use crate::AppState;

/// The router's fallback: scripts run on the JS pool.
pub async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let pool = state.runtime.clone();
    run_script(&state, req, move |inv| pool.invoke(inv)).await
}

/// Serves a request that no engine route claims, under the whole-request
/// timeout; `invoke` hands the call to a JS worker (pool or inline).
pub async fn run_script(
    state: &AppState,
    req: Request,
    invoke: impl FnOnce(Invocation),
) -> Response {
    let ms = state.config.server.request_timeout_ms;
    // The HTTP layer put the id there (echoed from X-Request-Id or new).
    let request_id = match req.extensions().get::<crate::observe::RequestId>() {
        Some(id) => id.0.clone(),
        None => state.request_id(),
    };
    match tokio::time::timeout(
        Duration::from_millis(ms),
        handle(state, req, request_id.clone(), invoke),
    )
    .await
    {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::timeout(ms)
            .with("request_id", &*request_id)
            .into_response(),
    }
}

async fn handle(
    state: &AppState,
    req: Request,
    request_id: Arc<str>,
    invoke: impl FnOnce(Invocation),
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    // Stored assets and `assets.dir` answer GET/HEAD where no route does.
    if let Some(resp) = super::assets::try_serve(state, &parts).await {
        return Ok(resp);
    }
    let catalog = state.scripts.catalog();
    let (route, params) = match catalog
        .table
        .lookup(parts.method.as_str(), parts.uri.path())
    {
        Lookup::Found { route, params } => (route, params),
        Lookup::MethodNotAllowed(allowed) => return Err(ApiError::method_not_allowed(&allowed)),
        Lookup::NotFound
            if parts.uri.path() == "/" && matches!(parts.method, Method::GET | Method::HEAD) =>
        {
            return Ok(welcome());
        }
        Lookup::NotFound => {
            return Err(ApiError::not_found(format!(
                "no route for {} {}",
                parts.method,
                parts.uri.path()
            )))
        }
    };
    let limit = route
        .spec
        .max_body_bytes
        .unwrap_or(state.config.server.body_limit_bytes);
    let script = route.script.clone();
    let stream = route.spec.stream;
    let handler_key = route.handler_key.clone();
    let tag = crate::observe::RouteTag {
        route: Arc::from(route.spec.path.as_str()),
        script: Some(script.name.clone()),
    };
    drop(catalog);
    let body = read_body(&parts, body, limit).await?;
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let mut sreq = ScriptRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        version: version_str(parts.version),
        query: parts.uri.query().unwrap_or("").to_string(),
        params,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        ip,
        body,
        form: None,
        files: Vec::new(),
        request_id: request_id.clone(),
        context_json: None,
        auth: super::auth::script_auth(state, &parts.headers),
    };
    parse_form(&mut sreq).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let kind = if stream {
        CallKind::StreamConnect
    } else {
        CallKind::Request
    };
    let last_event_id = sreq
        .headers
        .iter()
        .find(|(k, _)| k == "last-event-id")
        .map(|(_, v)| v.clone());
    let path = sreq.path.clone();
    invoke(Invocation {
        script: script.clone(),
        handler_key,
        kind,
        request: sreq,
        reply: tx,
    });
    let outcome = rx
        .await
        .map_err(|_| ApiError::internal("a JS worker dropped a request", &request_id))?;
    let failed = outcome.as_ref().err().map(|f| f.kind);
    state.observe.metrics.js_outcome(&script.name, failed);
    let mut resp = match outcome {
        Ok(ScriptResponse {
            value_json: Some(meta),
            ..
        }) => super::streams::open(state, &path, &meta, last_event_id.as_deref(), &request_id),
        Ok(resp) => to_http(resp, &request_id),
        Err(f) => failure_response(state, &script.name, f, &request_id),
    };
    resp.extensions_mut().insert(tag);
    Ok(resp)
}

fn welcome() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::seed::welcome_page(),
    )
        .into_response()
}

pub(crate) fn to_http(r: ScriptResponse, request_id: &str) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    for (k, v) in r.headers {
        // Names and values were validated in the worker; anything that still
        // fails here is dropped rather than sent half-formed.
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            headers.append(k, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", v);
    }
    resp
}

fn failure_response(
    state: &AppState,
    script: &str,
    f: ScriptFailure,
    request_id: &str,
) -> Response {
    let dev = state.config.dev;
    tracing::warn!(script, request_id, code = f.kind.code(), "{}", f.message);
    if let (true, Some(best)) = (dev, f.best_effort) {
        let mut resp = to_http(*best, request_id);
        let warning = f.message.replace(['\r', '\n'], " ");
        if let Ok(v) = HeaderValue::from_str(&warning) {
            resp.headers_mut().insert("x-aiwebengine-warning", v);
        }
        return resp;
    }
    let (status, message) = match f.kind {
        FailureKind::Timeout => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} exceeded its execution time limit of {} ms",
                state.config.js.time_limit_ms
            ),
        ),
        FailureKind::Memory => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} exceeded its memory limit of {} bytes",
                state.config.js.memory_limit_bytes
            ),
        ),
        FailureKind::Stack => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} exceeded its stack limit of {} bytes (too deep recursion?)",
                state.config.js.stack_size_bytes
            ),
        ),
        FailureKind::InvalidResponse => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("script {script} returned an {}", f.message),
        ),
        FailureKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, f.message.clone()),
        FailureKind::Runtime if dev => (StatusCode::INTERNAL_SERVER_ERROR, f.message.clone()),
        FailureKind::Runtime => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} failed; its log has the details under request id {request_id}"
            ),
        ),
    };
    let mut err = ApiError::new(status, f.kind.code(), message).with("request_id", request_id);
    if dev {
        err = err
            .with("script", script)
            .with("stack", f.stack.map_or(Value::Null, Value::from))
            .with("line", f.line.map_or(Value::Null, Value::from))
            .with("column", f.column.map_or(Value::Null, Value::from));
    }
    err.into_response()
}
