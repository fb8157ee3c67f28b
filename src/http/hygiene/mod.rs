//! The layer every request passes on both paths (scripts and the engine
//! router): request id, access log, metrics, `GET /metrics`, rate limits,
//! CORS, compression and security headers (REQ-SEC-006/007,
//! REQ-HTTP-007/009, REQ-LOG-004/005).
//!
//! The server's I/O threads call [`serve`] with the rest of the request
//! path as `next`; nothing here is on the path unless configured or asked
//! for by the request (a preflight, an `Accept-Encoding`).

mod compress;
mod cors;
mod metrics_endpoint;
mod net;
mod ratelimit;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use axum::response::IntoResponse;
use tower::{Layer, ServiceExt};
use tower_http::compression::CompressionLayer;

use super::error::ApiError;
use crate::config::Config;
use crate::http::AppState;
use crate::observe::{
    valid_request_id, AccessEntry, RequestId, RouteTag, UserTag, REQUEST_ID_HEADER,
};
use crate::scripts::routes::Lookup;

/// Built once from `[security]`; the rate-limit buckets are shared by
/// every I/O thread.
pub struct Hygiene {
    headers: Vec<(HeaderName, HeaderValue)>,
    cors: cors::Cors,
    limiter: ratelimit::RateLimiter,
    compression: Option<CompressionLayer<compress::Compressible>>,
    unmatched: Arc<str>,
}

impl Hygiene {
    pub fn new(config: &Config) -> Hygiene {
        let sec = &config.security;
        let headers = [
            ("x-content-type-options", &sec.content_type_options),
            ("x-frame-options", &sec.frame_options),
            ("referrer-policy", &sec.referrer_policy),
            ("x-xss-protection", &sec.xss_protection),
        ]
        .into_iter()
        .filter(|_| sec.headers)
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, v)| Some((HeaderName::from_static(k), HeaderValue::from_str(v).ok()?)))
        .collect();
        let compression = sec.compression.then(|| {
            CompressionLayer::new()
                .no_deflate()
                .no_zstd()
                .compress_when(compress::Compressible {
                    min_bytes: sec.compression_min_bytes,
                })
        });
        Hygiene {
            headers,
            cors: cors::Cors::new(&sec.cors),
            limiter: ratelimit::RateLimiter::new(&sec.rate_limit),
            compression,
            unmatched: Arc::from("unmatched"),
        }
    }
}

/// Config validation for `[security]`.
pub fn validate(config: &Config) -> Result<(), String> {
    let sec = &config.security;
    for (key, v) in [
        ("content_type_options", &sec.content_type_options),
        ("frame_options", &sec.frame_options),
        ("referrer_policy", &sec.referrer_policy),
        ("xss_protection", &sec.xss_protection),
    ] {
        if HeaderValue::from_str(v).is_err() {
            return Err(format!(
                "invalid config: security.{key} = {v:?}; allowed: a header value of visible ASCII, or \"\" to leave the header out"
            ));
        }
    }
    for p in &sec.cors {
        let _ = cors::layer(p)?;
    }
    for proxy in &sec.rate_limit.trusted_proxies {
        proxy
            .parse::<net::Cidr>()
            .map_err(|e| format!("invalid config: security.rate_limit.trusted_proxies: {e}"))?;
    }
    for r in &sec.rate_limit.rules {
        if !r.path.starts_with('/') || r.window_secs == 0 {
            return Err(format!(
                "invalid config: security.rate_limit.rules (path {:?}): path must start with '/' and window_secs must be 1 or more",
                r.path
            ));
        }
    }
    Ok(())
}

/// Keeps the in-flight gauge right when a client goes away mid-request.
struct InFlight<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What the access line needs from the request, taken before it is consumed.
struct Seen {
    method: Method,
    uri: axum::http::Uri,
    version: &'static str,
    bytes_in: Option<u64>,
    referer: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
    /// The bearer token's user, when the request carries a valid one.
    user: Option<Arc<str>>,
}

/// Serves one request: `next` is the engine (redirect, router or script).
pub async fn serve<F, Fut>(
    state: &AppState,
    peer: SocketAddr,
    mut req: Request<Body>,
    next: F,
) -> Response<Body>
where
    F: FnMut(Request<Body>) -> Fut + Clone + 'static,
    Fut: Future<Output = Response<Body>> + 'static,
{
    let start = Instant::now();
    let obs = &state.observe();
    let rid: Arc<str> = match req.headers().get(REQUEST_ID_HEADER) {
        Some(v) if valid_request_id(v.as_bytes()) => Arc::from(v.to_str().unwrap_or_default()),
        _ => state.request_id(),
    };
    req.extensions_mut().insert(RequestId(rid.clone()));
    obs.metrics.in_flight.inc();
    let in_flight = InFlight(&obs.metrics.in_flight);
    let access = &obs.access;
    let seen = access
        .enabled()
        .then(|| seen(state, &req, access.wants_headers()));
    let hy = state.hygiene().load_full();
    let client = hy.limiter.client_ip(peer.ip(), req.headers());
    let mut resp = respond(state, client, req, next).await;
    super::error::log_internal(&mut resp, &rid);
    drop(in_flight);
    finish(state, resp.headers_mut(), &rid);
    let elapsed = start.elapsed();
    let tag = resp.extensions().get::<RouteTag>();
    let route = tag.map_or(&hy.unmatched, |t| &t.route);
    obs.metrics.record(route, resp.status().as_u16(), elapsed);
    if let Some(seen) = seen {
        let header =
            |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok()).map(String::from);
        let (referer, user_agent) = (header(&seen.referer), header(&seen.user_agent));
        access.write(&AccessEntry {
            time: SystemTime::now() - elapsed,
            request_id: &rid,
            ip: client,
            method: seen.method.as_str(),
            target: seen.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            version: seen.version,
            status: resp.status().as_u16(),
            bytes_in: seen.bytes_in,
            bytes_out: axum::body::HttpBody::size_hint(resp.body()).exact(),
            duration: elapsed,
            user: resp
                .extensions()
                .get::<UserTag>()
                .map(|u| &*u.0)
                .or(seen.user.as_deref()),
            script: tag.and_then(|t| t.script.as_deref()),
            referer: referer.as_deref(),
            user_agent: user_agent.as_deref(),
        });
    }
    resp
}

fn seen(state: &AppState, req: &Request<Body>, headers: bool) -> Seen {
    let h = req.headers();
    Seen {
        method: req.method().clone(),
        uri: req.uri().clone(),
        version: super::request::version_str(req.version()),
        bytes_in: h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok()),
        referer: headers.then(|| h.get(header::REFERER).cloned()).flatten(),
        user_agent: headers
            .then(|| h.get(header::USER_AGENT).cloned())
            .flatten(),
        user: user_of(state, h),
    }
}

/// The request id and the security headers, unless the handler set them.
fn finish(state: &AppState, headers: &mut HeaderMap, rid: &str) {
    if !headers.contains_key(REQUEST_ID_HEADER) {
        if let Ok(v) = HeaderValue::from_str(rid) {
            headers.insert(REQUEST_ID_HEADER, v);
        }
    }
    for (k, v) in &state.hygiene().load().headers {
        // One lookup: a header the handler set is kept.
        headers.entry(k).or_insert_with(|| v.clone());
    }
}

async fn respond<F, Fut>(
    state: &AppState,
    client: IpAddr,
    req: Request<Body>,
    mut next: F,
) -> Response<Body>
where
    F: FnMut(Request<Body>) -> Fut + Clone + 'static,
    Fut: Future<Output = Response<Body>> + 'static,
{
    let hy = state.hygiene().load_full();
    if req.uri().path() == "/metrics" {
        return metrics_endpoint::serve(state, client, &req);
    }
    let quota = hy
        .limiter
        .check(client, req.uri().path(), || user_of(state, req.headers()));
    if let Some(q) = quota.as_ref().filter(|q| !q.allowed()) {
        state.observe().metrics.rate_limited.inc();
        let secs = q.retry_after().unwrap_or(1);
        let mut resp = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests; retry in {secs} s"),
        )
        .with("retry_after", secs)
        .into_response();
        q.apply(resp.headers_mut());
        return resp;
    }
    let cors = (!hy.cors.is_empty())
        .then(|| hy.cors.layer_for(req.uri().path()))
        .flatten()
        .filter(|_| !(req.method() == Method::OPTIONS && script_takes_options(state, &req)))
        .cloned();
    let compress = hy
        .compression
        .as_ref()
        .filter(|_| req.headers().contains_key(header::ACCEPT_ENCODING));
    let inner = tower::service_fn(move |req| {
        let fut = next(req);
        async move { Ok::<_, Infallible>(fut.await) }
    });
    let result = match (cors, compress) {
        (None, None) => inner.oneshot(req).await,
        (Some(c), None) => c.layer(inner).oneshot(req).await,
        (None, Some(z)) => z.layer(inner).oneshot(req).await.map(|r| r.map(Body::new)),
        (Some(c), Some(z)) => z
            .layer(c.layer(inner))
            .oneshot(req)
            .await
            .map(|r| r.map(Body::new)),
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if let Some(q) = quota {
        q.apply(resp.headers_mut());
    }
    resp
}

fn script_takes_options(state: &AppState, req: &Request<Body>) -> bool {
    let catalog = state.scripts().catalog();
    let found = matches!(
        catalog.table.lookup("OPTIONS", req.uri().path()),
        Lookup::Found { .. }
    );
    found
}

/// The user a valid bearer token names, for per-user rate limits.
fn user_of(state: &AppState, headers: &HeaderMap) -> Option<Arc<str>> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let who = state.auth().authenticate(token.trim()).ok()?;
    Some(Arc::from(who.user.id.as_str()))
}
