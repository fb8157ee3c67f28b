//! The script request path: route lookup in the lock-free table, `req`
//! construction, a hop to a JS worker, and the answer back as HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, request::Parts, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::time::Instant;

use super::deadline::within;
use super::error::ApiError;
use super::request::{read_script_body, version_str, ReadError, ReadRequest};
use super::spool::BodyLimits;
use crate::http::AppState;
use crate::js::{
    CallKind, FailureKind, FileData, Invocation, Invoker, ResponseBody, ScriptFailure,
    ScriptRequest, ScriptResponse, SpooledFile,
};
use crate::scripts::routes::{Lookup, MAX_ROUTE_BODY_BYTES};

/// The router's fallback: scripts run on the JS pool.
pub async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let pool = state.runtime().clone();
    run_script(&state, req, move |inv| pool.invoke(inv)).await
}

/// Serves a request that no engine route claims; `invoke` hands the call
/// to a JS worker (pool or inline).
///
/// `server.request_timeout_ms` bounds the request until the response head:
/// from arrival, except that a route with a raised body limit reads its body
/// under an idle timeout instead, and its deadline starts once the body is
/// in. A streamed body is then bounded per chunk (see `js::ChunkStream`).
pub async fn run_script(
    state: &AppState,
    req: Request,
    invoke: impl FnOnce(Invocation),
) -> Response {
    // The HTTP layer put the id there (echoed from X-Request-Id or new).
    let request_id = match req.extensions().get::<crate::observe::RequestId>() {
        Some(id) => id.0.clone(),
        None => state.request_id(),
    };
    match handle(state, req, request_id, invoke).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

/// What the route table said about a request.
struct Target {
    script: Arc<crate::scripts::routes::LoadedScript>,
    handler_key: Arc<str>,
    stream: bool,
    params: Vec<(String, String)>,
    limits: BodyLimits,
    /// The route set its own `maxBodyBytes`.
    own_limit: bool,
    tag: crate::observe::RouteTag,
}

async fn handle(
    state: &AppState,
    req: Request,
    request_id: Arc<str>,
    invoke: impl FnOnce(Invocation),
) -> Result<Response, ApiError> {
    let ms = state.config().server.request_timeout_ms;
    let timed_out = || ApiError::timeout(ms).with("request_id", &*request_id);
    let mut deadline = Instant::now() + Duration::from_millis(ms);
    let (mut parts, body) = req.into_parts();
    // Stored assets and `assets.dir` answer GET/HEAD where no route does.
    let served = within(deadline, super::assets::try_serve(state, &parts)).await;
    if let Some(resp) = served.map_err(|_| timed_out())? {
        return Ok(resp);
    }
    let target = match find_route(state, &parts) {
        Ok(t) => t,
        Err(answer) => return Ok(*answer),
    };
    let data = &state.config().storage.data;
    let read = read_script_body(&parts, body, target.limits, data);
    let read = match target.limits.idle {
        Some(_) => read.await,
        None => within(deadline, read).await.map_err(|_| timed_out())?,
    };
    let read = read.map_err(|e| body_error(e, &target, ms, &request_id))?;
    if target.limits.idle.is_some() {
        deadline = Instant::now() + Duration::from_millis(ms);
    }
    let sreq = script_request(state, &mut parts, target.params, read, &request_id);
    let call = Call {
        script: target.script,
        handler_key: target.handler_key,
        stream: target.stream,
        deadline,
        request_id: &request_id,
    };
    let mut resp = call_script(state, call, sreq, invoke).await?;
    resp.extensions_mut().insert(target.tag);
    Ok(resp)
}

/// One handler call for a request that has been read.
struct Call<'a> {
    script: Arc<crate::scripts::routes::LoadedScript>,
    handler_key: Arc<str>,
    stream: bool,
    deadline: Instant,
    request_id: &'a Arc<str>,
}

async fn call_script(
    state: &AppState,
    call: Call<'_>,
    sreq: ScriptRequest,
    invoke: impl FnOnce(Invocation),
) -> Result<Response, ApiError> {
    let (ms, request_id) = (state.config().server.request_timeout_ms, call.request_id);
    // The request owns its spooled uploads until its response is done.
    let spooled: Vec<Arc<SpooledFile>> = sreq
        .files
        .iter()
        .filter_map(|f| match &f.data {
            FileData::Spooled(s) => Some(s.clone()),
            FileData::Memory(_) => None,
        })
        .collect();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let kind = if call.stream {
        CallKind::StreamConnect
    } else {
        CallKind::Request
    };
    // What opening an event stream needs, taken only for a stream route.
    let stream = call.stream.then(|| {
        let last_event_id = sreq
            .headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (sreq.path.clone(), last_event_id)
    });
    let script = call.script;
    invoke(Invocation {
        script: script.clone(),
        handler_key: call.handler_key,
        kind,
        request: sreq,
        reply: tx,
    });
    let outcome = within(call.deadline, rx)
        .await
        .map_err(|_| ApiError::timeout(ms).with("request_id", &**request_id))?
        .map_err(|_| ApiError::internal("a JS worker dropped a request"))?;
    let failed = outcome.as_ref().err().map(|f| f.kind);
    state.observe().metrics.js_outcome(&script.name, failed);
    Ok(match (outcome, stream) {
        // A stream route's handler answers with the stream's settings.
        (
            Ok(ScriptResponse {
                value_json: Some(meta),
                ..
            }),
            Some((path, last_event_id)),
        ) => super::streams::open(state, &path, &meta, last_event_id.as_deref(), request_id),
        (Ok(mut resp), _) => {
            if let ResponseBody::Stream(s) = resp.body {
                let idle = Duration::from_millis(ms);
                resp.body = ResponseBody::Stream(s.with_idle_timeout(idle));
            }
            to_http(resp, request_id, spooled)
        }
        (Err(f), _) => failure_response(state, &script.name, f, request_id),
    })
}

/// The route for a request, or the answer when there is none.
fn find_route(state: &AppState, parts: &Parts) -> Result<Target, Box<Response>> {
    let catalog = state.scripts().catalog();
    let (route, params) = match catalog
        .table
        .lookup(parts.method.as_str(), parts.uri.path())
    {
        Lookup::Found { route, params } => (route, params),
        Lookup::MethodNotAllowed(allowed) => {
            return Err(Box::new(
                ApiError::method_not_allowed(&allowed).into_response(),
            ))
        }
        Lookup::NotFound
            if parts.uri.path() == "/" && matches!(parts.method, Method::GET | Method::HEAD) =>
        {
            return Err(Box::new(welcome()));
        }
        Lookup::NotFound => {
            let e = ApiError::not_found(format!(
                "no route for {} {}",
                parts.method,
                parts.uri.path()
            ));
            return Err(Box::new(e.into_response()));
        }
    };
    let server = &state.config().server;
    let limit = route
        .spec
        .max_body_bytes
        .unwrap_or(server.body_limit_bytes)
        .min(MAX_ROUTE_BODY_BYTES);
    let raised = limit > server.body_limit_bytes;
    Ok(Target {
        script: route.script.clone(),
        handler_key: route.handler_key.clone(),
        stream: route.spec.stream,
        params,
        limits: BodyLimits {
            limit,
            keep_raw: server.body_limit_bytes,
            idle: raised.then(|| Duration::from_millis(server.request_timeout_ms)),
        },
        own_limit: route.spec.max_body_bytes.is_some(),
        tag: crate::observe::RouteTag {
            route: Arc::from(route.spec.path.as_str()),
            script: Some(route.script.name.clone()),
        },
    })
}

fn body_error(e: ReadError, target: &Target, ms: u64, request_id: &str) -> ApiError {
    let limit = target.limits.limit;
    match e {
        ReadError::TooLarge => {
            let mut err = ApiError::payload_too_large(limit);
            err.message = if target.own_limit {
                format!("request body is over this route's limit of {limit} bytes (its maxBodyBytes); the script can raise it in register(path, handler, method, {{maxBodyBytes}}), up to {MAX_ROUTE_BODY_BYTES} bytes")
            } else {
                format!("request body is over the limit of {limit} bytes (server.body_limit_bytes); a route accepts more with register(path, handler, method, {{maxBodyBytes: n}}), up to {MAX_ROUTE_BODY_BYTES} bytes")
            };
            err
        }
        ReadError::Idle => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request body stopped arriving for {ms} ms (config server.request_timeout_ms)"
            ),
        )
        .with("request_id", request_id),
        ReadError::Bad(e) => e,
        ReadError::Internal(detail) => ApiError::internal(detail),
    }
}

fn script_request(
    state: &AppState,
    parts: &mut Parts,
    params: Vec<(String, String)>,
    read: ReadRequest,
    request_id: &Arc<str>,
) -> ScriptRequest {
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| ip_text(c.0.ip()))
        .unwrap_or_default();
    // Both read the headers, which the request then takes.
    let auth = super::auth::script_auth(state, &parts.headers);
    let origin = super::oauth::base_url(
        state,
        &parts.headers,
        parts.extensions.get::<super::auth::OverTls>(),
    );
    ScriptRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        version: version_str(parts.version),
        query: parts.uri.query().unwrap_or("").to_string(),
        origin,
        params,
        headers: std::mem::take(&mut parts.headers),
        ip,
        body: read.body,
        form: read.form,
        files: read.files,
        request_id: request_id.clone(),
        context: crate::js::CallContext::None,
        auth,
        mcp: None,
    }
}

/// An IPv4 address as dotted decimal without `fmt` (which cost 1,300
/// instructions per script request, issue 14); IPv6 as `Display` writes it.
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

fn welcome() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::seed::welcome_page(),
    )
        .into_response()
}

/// `keep` lives as long as the body: a streamed body may still read the
/// request's spooled uploads.
pub(crate) fn to_http(
    r: ScriptResponse,
    request_id: &str,
    keep: Vec<Arc<SpooledFile>>,
) -> Response {
    let body = match r.body {
        ResponseBody::Full(b) => Body::from(b),
        ResponseBody::Stream(s) if keep.is_empty() => Body::from_stream(s),
        ResponseBody::Stream(s) => Body::from_stream(s.map(move |c| {
            let _ = &keep;
            c
        })),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    // Room for the script's headers, the request id and the security
    // headers the hygiene layer adds: one allocation, not several regrowths.
    headers.reserve(r.headers.len() + 6);
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
        headers.insert(crate::observe::REQUEST_ID_HEADER, v);
    }
    resp
}

fn failure_response(
    state: &AppState,
    script: &str,
    f: ScriptFailure,
    request_id: &str,
) -> Response {
    let dev = state.config().dev;
    if f.kind == FailureKind::Internal {
        // Logged once, by ApiError::internal, with the detail.
        return ApiError::internal(format!("script {script}: {}", f.message)).into_response();
    }
    tracing::warn!(script, request_id, code = f.kind.code(), "{}", f.message);
    if let (true, Some(best)) = (dev, f.best_effort) {
        let mut resp = to_http(*best, request_id, Vec::new());
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
                state.config().js.time_limit_ms
            ),
        ),
        FailureKind::Memory => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} exceeded its memory limit of {} bytes",
                state.config().js.memory_limit_bytes
            ),
        ),
        FailureKind::Stack => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "script {script} exceeded its stack limit of {} bytes (too deep recursion?)",
                state.config().js.stack_size_bytes
            ),
        ),
        FailureKind::InvalidResponse => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("script {script} returned an {}", f.message),
        ),
        FailureKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, f.message.clone()),
        FailureKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, f.message.clone()),
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

#[cfg(test)]
mod tests {
    use super::ip_text;
    use std::net::IpAddr;

    #[test]
    fn ip_text_writes_what_display_writes() {
        for text in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.30.40",
            "255.255.255.255",
            "1.99.100.109",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:192.0.2.1",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(ip_text(ip), ip.to_string(), "{text}");
        }
    }
}
