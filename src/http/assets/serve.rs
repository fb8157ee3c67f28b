//! Serving assets at `/` + path for GET and HEAD: conditionals (304),
//! single ranges (206/416), HEAD, the serving headers, image variants by
//! query parameters, and the read-only `assets.dir`.

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;

use super::off;
use crate::assets::image::{Params, TIME_LIMIT};
use crate::assets::range::{self, Ranged};
use crate::assets::{blob, dir, kind, path, AssetError, AssetRecord};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::scripts::routes::Lookup;

/// Answers a GET or HEAD that no script route claims, when an asset is
/// there; None lets the caller go on (welcome page, 404, 405).
pub async fn try_serve(state: &AppState, parts: &Parts) -> Option<Response> {
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return None;
    }
    // On every GET: one lookup in memory, no allocation for most paths.
    let url_path = parts.uri.path();
    let rest = url_path.strip_prefix('/')?;
    let key: std::borrow::Cow<str> = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html").into()
    } else {
        rest.into()
    };
    let stored = state.assets().get(&key).is_some();
    if !stored && state.assets().config().dir.is_none() {
        return None;
    }
    let routed = matches!(
        state.scripts().catalog().table.lookup("GET", url_path),
        Lookup::Found { .. }
    );
    if routed {
        return None;
    }
    if stored {
        return Some(serve_stored(state, parts, &key).await);
    }
    let asset_path = path::from_request(url_path)?;
    let dir = state.assets().config().dir.clone()?;
    serve_dir(state, parts, &dir, &asset_path).await
}

/// What the conditional and range logic needs of a body.
struct Entity {
    content_type: String,
    size: u64,
    etag: String,
    modified: SystemTime,
}

/// Either a whole answer (304, 416, HEAD), or a range still to send.
enum Plan {
    Done(Response),
    Send(Response, u64, u64),
}

async fn serve_stored(state: &AppState, parts: &Parts, asset_path: &str) -> Response {
    let variant = match Params::from_query(parts.uri.query().unwrap_or("")) {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // A replace between reading the metadata and opening the content is
    // retried with the new metadata; nothing mixes two versions.
    for _ in 0..3 {
        let Some(rec) = state.assets().get(asset_path) else {
            break;
        };
        let r = match variant {
            Some(p) => serve_variant(state, parts, &rec, p).await,
            None => serve_record(state, parts, rec).await,
        };
        match r {
            Err(AssetError::Changed(_)) => continue,
            Err(e) => return ApiError::from(e).into_response(),
            Ok(resp) => return resp,
        }
    }
    ApiError::not_found(format!(
        "no route or asset for {} {}",
        parts.method,
        parts.uri.path()
    ))
    .into_response()
}

async fn serve_record(
    state: &AppState,
    parts: &Parts,
    rec: Arc<AssetRecord>,
) -> Result<Response, AssetError> {
    let e = Entity {
        content_type: rec.content_type.clone(),
        size: rec.size,
        etag: rec.etag(),
        modified: range::from_millis(rec.updated),
    };
    let (mut resp, start, end) = match plan(state, parts, &e) {
        Plan::Done(r) => return Ok(r),
        Plan::Send(r, s, e) => (r, s, e),
    };
    let assets = state.assets().clone();
    let reader = off(move || assets.reader(&rec)).await?;
    *resp.body_mut() = sized(blob::stream(reader, start, end), end - start);
    Ok(resp)
}

async fn serve_variant(
    state: &AppState,
    parts: &Parts,
    rec: &Arc<AssetRecord>,
    p: Params,
) -> Result<Response, AssetError> {
    let ess = kind::essence(&rec.content_type);
    if !matches!(
        ess.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    ) {
        return Err(AssetError::Invalid(format!(
            "asset {} is {ess}; only PNG, JPEG, GIF and WebP images have variants (?w=, ?h=, ?fit=, ?format=)",
            rec.path
        )));
    }
    let (assets, r) = (state.assets().clone(), rec.clone());
    let job = tokio::task::spawn_blocking(move || assets.variant(&r, &p));
    let v = match tokio::time::timeout(TIME_LIMIT, job).await {
        Ok(Ok(v)) => v?,
        Ok(Err(e)) => return Err(AssetError::Image(format!("image work failed: {e}"))),
        Err(_) => {
            return Err(AssetError::Busy(format!(
                "making the image variant took longer than {} s",
                TIME_LIMIT.as_secs()
            )))
        }
    };
    let e = Entity {
        content_type: v.content_type.clone(),
        size: v.size,
        etag: v.etag(),
        modified: range::from_millis(v.created),
    };
    let (mut resp, start, end) = match plan(state, parts, &e) {
        Plan::Done(r) => return Ok(r),
        Plan::Send(r, s, e) => (r, s, e),
    };
    let assets = state.assets().clone();
    let reader = off(move || assets.variant_reader(&v)).await?;
    *resp.body_mut() = sized(blob::stream(reader, start, end), end - start);
    Ok(resp)
}

async fn serve_dir(
    state: &AppState,
    parts: &Parts,
    root: &std::path::Path,
    asset_path: &str,
) -> Option<Response> {
    let f = dir::open(root, asset_path).await?;
    let e = Entity {
        content_type: kind::by_extension(asset_path),
        size: f.size,
        etag: f.etag.clone(),
        modified: f.modified,
    };
    Some(match plan(state, parts, &e) {
        Plan::Done(r) => r,
        Plan::Send(mut r, start, end) => {
            *r.body_mut() = sized(dir::stream(f.file, start, end), end - start);
            r
        }
    })
}

/// Headers, conditionals (304), ranges (206, 416) and HEAD.
fn plan(state: &AppState, parts: &Parts, e: &Entity) -> Plan {
    let req = &parts.headers;
    let text = |h: HeaderName| req.get(h).and_then(|v| v.to_str().ok());
    let mut headers = HeaderMap::new();
    let mut put = |k: HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    };
    let cfg = state.assets().config();
    put(header::ETAG, &e.etag);
    put(header::LAST_MODIFIED, &httpdate::fmt_http_date(e.modified));
    put(header::CACHE_CONTROL, &cfg.cache_control);
    put(header::ACCEPT_RANGES, "bytes");
    // Uploaded HTML or SVG is served from this site's origin: without a
    // sandbox its scripts would run with the site's cookies and APIs (stored
    // XSS by whoever may upload, a guestbook visitor included).
    if kind::is_active(&kind::essence(&e.content_type)) && !cfg.active_content_csp.is_empty() {
        put(header::CONTENT_SECURITY_POLICY, &cfg.active_content_csp);
    }
    let not_modified = match text(header::IF_NONE_MATCH) {
        Some(inm) => range::none_match(inm, &e.etag),
        None => text(header::IF_MODIFIED_SINCE)
            .is_some_and(|ims| range::not_modified_since(ims, e.modified)),
    };
    if not_modified {
        return Plan::Done(answer(StatusCode::NOT_MODIFIED, headers));
    }
    put(header::CONTENT_TYPE, &e.content_type);
    let wanted = text(header::RANGE)
        .filter(|_| text(header::IF_RANGE).is_none_or(|ir| range::if_range(ir, &e.etag)))
        .map_or(Ranged::Full, |r| range::parse(r, e.size));
    let (status, start, end) = match wanted {
        Ranged::Full => (StatusCode::OK, 0, e.size),
        Ranged::Part { start, end } => {
            put(
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{}", e.size),
            );
            (StatusCode::PARTIAL_CONTENT, start, end + 1)
        }
        Ranged::Unsatisfiable => {
            put(header::CONTENT_RANGE, &format!("bytes */{}", e.size));
            return Plan::Done(answer(StatusCode::RANGE_NOT_SATISFIABLE, headers));
        }
    };
    put(header::CONTENT_LENGTH, &(end - start).to_string());
    let resp = answer(status, headers);
    if parts.method == Method::HEAD {
        return Plan::Done(resp);
    }
    Plan::Send(resp, start, end)
}

/// A streamed body of known length: hyper and the compression layer see
/// the size (small assets stay uncompressed, as small responses do).
struct Sized {
    stream: std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>,
    len: u64,
}

impl hyper::body::Body for Sized {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<io::Result<hyper::body::Frame<Bytes>>>> {
        self.get_mut()
            .stream
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|r| r.map(hyper::body::Frame::data)))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.len)
    }
}

fn sized(stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static, len: u64) -> Body {
    Body::new(Sized {
        stream: Box::pin(stream),
        len,
    })
}

fn answer(status: StatusCode, headers: HeaderMap) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}
