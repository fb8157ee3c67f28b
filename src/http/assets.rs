//! Assets over HTTP: serving at `/` + path for GET and HEAD (after script
//! routes, before the welcome page), and the management API under
//! `/engine/api/assets` (REQ-ASSET-001/002/004, REQ-HTTP-008).
//!
//! Precedence for a GET: a script route, then a stored asset, then a file
//! of `assets.dir`, then the welcome page at `/` or a 404. `/` and paths
//! ending in `/` look for the `index.html` under them.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::EditorUser;
use super::error::ApiError;
use crate::assets::image::{Params, TIME_LIMIT};
use crate::assets::range::{self, Ranged};
use crate::assets::{blob, dir, kind, path, Actor, AssetError, AssetRecord, Staged, Upload};
use crate::auth::Principal;
use crate::scripts::routes::Lookup;
use crate::AppState;

/// A stalled upload is dropped after this long without a byte.
const IDLE: Duration = Duration::from_secs(30);
/// What an upload buffers before handing it to a blocking write.
const PUSH_BYTES: usize = crate::assets::CHUNK_SIZE;

// ---- serving ----

/// Answers a GET or HEAD that no script route claims, when an asset is
/// there; None lets the caller go on (welcome page, 404, 405).
pub async fn try_serve(state: &AppState, parts: &Parts) -> Option<Response> {
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return None;
    }
    let url_path = parts.uri.path();
    let asset_path = path::from_request(url_path)?;
    let stored = state.assets.get(&asset_path).is_some();
    let dir = state.assets.config().dir.clone();
    if !stored && dir.is_none() {
        return None;
    }
    let routed = matches!(
        state.scripts.catalog().table.lookup("GET", url_path),
        Lookup::Found { .. }
    );
    if routed {
        return None;
    }
    if stored {
        return Some(serve_stored(state, parts, &asset_path).await);
    }
    serve_dir(state, parts, &dir?, &asset_path).await
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
        let Some(rec) = state.assets.get(asset_path) else {
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
    let assets = state.assets.clone();
    let reader = off(move || assets.reader(&rec)).await?;
    *resp.body_mut() = Body::from_stream(blob::stream(reader, start, end));
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
    let (assets, r) = (state.assets.clone(), rec.clone());
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
    let assets = state.assets.clone();
    let reader = off(move || assets.variant_reader(&v)).await?;
    *resp.body_mut() = Body::from_stream(blob::stream(reader, start, end));
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
            *r.body_mut() = Body::from_stream(dir::stream(f.file, start, end));
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
    let cfg = state.assets.config();
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

fn answer(status: StatusCode, headers: HeaderMap) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

// ---- management API ----

fn meta_json(r: &AssetRecord) -> Value {
    json!({
        "path": r.path, "url": path::public(&r.path), "content_type": r.content_type,
        "size": r.size, "sha256": r.sha256, "etag": r.etag(), "owner": r.owner,
        "owner_user": r.owner_user, "owner_group": r.owner_group,
        "created_at": crate::scripts::rfc3339(r.created), "updated_at": crate::scripts::rfc3339(r.updated),
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    prefix: Option<String>,
}

pub async fn list(
    EditorUser(_): EditorUser,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Json<Value> {
    let list: Vec<Value> = state
        .assets
        .list(q.prefix.as_deref().unwrap_or(""))
        .iter()
        .map(|r| meta_json(r))
        .collect();
    Json(json!({ "assets": list }))
}

pub async fn meta(
    EditorUser(_): EditorUser,
    State(state): State<AppState>,
    Path(p): Path<String>,
) -> Result<Json<Value>, ApiError> {
    path::validate(&p)?;
    let rec = state
        .assets
        .get(&p)
        .ok_or_else(|| ApiError::not_found(format!("no asset at {p}")))?;
    Ok(Json(meta_json(&rec)))
}

/// `PUT /engine/api/assets/{path}`: the raw body is the content; its type
/// is the `Content-Type` header, or the extension's when that is generic.
pub async fn upload(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    Path(p): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let actor = Actor::from_principal(&user);
    let (parts, body) = req.into_parts();
    let mut frames = std::pin::pin!(frames(body));
    let declared = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let ct = kind::resolve(&p, declared);
    let checked = state.assets.check_write(&actor, &p, Some(&ct));
    let checked =
        checked.and_then(|_| check_length(&parts, state.assets.config().max_upload_bytes));
    if let Err(e) = checked {
        drain(&mut frames).await;
        return Err(refused(&state, &user, "asset.upload", &p, e).await);
    }
    let up = match feed(state.assets.begin(&p, &ct), &mut frames).await {
        Ok(up) => up,
        Err(e) => {
            drain(&mut frames).await;
            return Err(e);
        }
    };
    let staged = blocking(move || up.finish()).await?;
    let done = commit(&state, &user, actor, vec![staged]).await?;
    let created = done.first().is_some_and(|(_, c)| *c);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = done
        .into_iter()
        .next()
        .map(|(v, _)| v)
        .unwrap_or(Value::Null);
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct UploadQuery {
    dir: Option<String>,
}

/// `POST /engine/api/assets`: multipart, one asset per file part. A part
/// named like a path (with a `.` or `/`, say `img/logo.png`) is stored
/// there; otherwise at its filename, under `?dir=` when given. All or
/// nothing: the files are published together.
pub async fn upload_many(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let actor = Actor::from_principal(&user);
    let (parts, body) = req.into_parts();
    let limit = state.assets.config().max_upload_bytes;
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(ct).map_err(|e| {
        ApiError::bad_request(
            "bad_multipart",
            format!("send multipart/form-data with a boundary (one file part per asset): {e}"),
        )
    })?;
    check_length(&parts, limit)?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut mp = multer::Multipart::with_constraints(frames(body), boundary, constraints);
    let mut staged: Vec<Staged> = Vec::new();
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        let Some(filename) = field.file_name().map(str::to_string) else {
            continue;
        };
        let p = target(field.name().unwrap_or(""), &filename, q.dir.as_deref());
        let ct = kind::resolve(&p, field.content_type().map(|m| m.as_ref()));
        if let Err(e) = state.assets.check_write(&actor, &p, Some(&ct)) {
            return Err(refused(&state, &user, "asset.upload", &p, e).await);
        }
        let mut up = state.assets.begin(&p, &ct);
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
            buf.extend_from_slice(&chunk);
            if buf.len() >= PUSH_BYTES {
                up = push(up, std::mem::take(&mut buf)).await?;
            }
        }
        up = push(up, buf).await?;
        staged.push(blocking(move || up.finish()).await?);
    }
    if staged.is_empty() {
        return Err(ApiError::bad_request(
            "no_files",
            "the multipart body has no file parts; send each asset as a part with a filename",
        ));
    }
    let done = commit(&state, &user, actor, staged).await?;
    let status = if done.iter().any(|(_, c)| *c) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let list: Vec<Value> = done.into_iter().map(|(v, _)| v).collect();
    Ok((status, Json(json!({ "assets": list }))).into_response())
}

pub async fn delete(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    Path(p): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = Actor::from_principal(&user);
    let (assets, q) = (state.assets.clone(), p.clone());
    match tokio::task::spawn_blocking(move || assets.delete(&actor, &q)).await {
        Ok(Ok(true)) => {
            super::audit(&state, &user.email, "asset.delete", &p, "ok").await;
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(Ok(false)) => Err(ApiError::not_found(format!("no asset at {p}"))),
        Ok(Err(e)) => Err(refused(&state, &user, "asset.delete", &p, e).await),
        Err(e) => Err(ApiError::internal(e, &state.request_id())),
    }
}

/// The path of a multipart file part (see [`upload_many`]).
fn target(field: &str, filename: &str, dir: Option<&str>) -> String {
    if field.contains(['.', '/']) {
        return field.to_string();
    }
    let name = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    match dir.map(|d| d.trim_matches('/')).filter(|d| !d.is_empty()) {
        Some(d) => format!("{d}/{name}"),
        None => name.to_string(),
    }
}

/// Publishes and audits; `(metadata, created)` per asset.
async fn commit(
    state: &AppState,
    user: &Principal,
    actor: Actor,
    staged: Vec<Staged>,
) -> Result<Vec<(Value, bool)>, ApiError> {
    let paths: Vec<String> = staged.iter().map(|s| s.path().to_string()).collect();
    let assets = state.assets.clone();
    let done = match tokio::task::spawn_blocking(move || assets.commit(&actor, staged)).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Err(refused(state, user, "asset.upload", &paths.join(", "), e).await),
        Err(e) => return Err(ApiError::internal(e, &state.request_id())),
    };
    let mut out = Vec::with_capacity(done.len());
    for c in done {
        let action = if c.created {
            "asset.create"
        } else {
            "asset.replace"
        };
        super::audit(state, &user.email, action, &c.record.path, "ok").await;
        out.push((meta_json(&c.record), c.created));
    }
    Ok(out)
}

/// Maps a refusal, auditing the ones that are about rights.
async fn refused(
    state: &AppState,
    user: &Principal,
    action: &str,
    target: &str,
    e: AssetError,
) -> ApiError {
    if matches!(e, AssetError::Forbidden(_)) {
        super::audit(state, &user.email, action, target, "denied").await;
    }
    e.into()
}

fn check_length(parts: &Parts, limit: u64) -> Result<(), AssetError> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit => Err(AssetError::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// Streams the body into the upload, in blocking writes of a chunk or more.
async fn feed(
    mut up: Upload,
    frames: &mut (impl Stream<Item = io::Result<Bytes>> + Unpin),
) -> Result<Upload, ApiError> {
    let mut buf = Vec::new();
    while let Some(frame) = frames.next().await {
        let data = frame.map_err(|e| {
            ApiError::bad_request("bad_body", format!("could not read the request body: {e}"))
        })?;
        buf.extend_from_slice(&data);
        if buf.len() >= PUSH_BYTES {
            up = push(up, std::mem::take(&mut buf)).await?;
        }
    }
    push(up, buf).await
}

async fn push(mut up: Upload, data: Vec<u8>) -> Result<Upload, ApiError> {
    blocking(move || up.push(&data).map(|()| up)).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AssetError> + Send + 'static,
) -> Result<T, ApiError> {
    off(f).await.map_err(ApiError::from)
}

/// Runs store work on the blocking pool.
async fn off<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AssetError> + Send + 'static,
) -> Result<T, AssetError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        AssetError::Store(crate::store::StoreError::Redb(format!(
            "a blocking task failed: {e}"
        )))
    })?
}

/// The body's data frames; a body silent for [`IDLE`] ends with an error.
fn frames(body: Body) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    use http_body_util::BodyExt;
    futures_util::stream::unfold(Some(body), |body| async move {
        let mut body = body?;
        loop {
            match tokio::time::timeout(IDLE, body.frame()).await {
                Err(_) => {
                    return Some((
                        Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("no data for {} s", IDLE.as_secs()),
                        )),
                        None,
                    ))
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some((Err(io::Error::other(e)), None)),
                Ok(Some(Ok(f))) => {
                    if let Ok(d) = f.into_data() {
                        return Some((Ok(d), Some(body)));
                    }
                }
            }
        }
    })
    // Drained again after a refusal: must stay ended, not panic.
    .fuse()
}

/// Reads (and drops) what the client still sends after a refusal, so it
/// gets to read the answer; bounded in bytes and time.
async fn drain(frames: &mut (impl Stream<Item = io::Result<Bytes>> + Unpin)) {
    let mut seen = 0usize;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(d)) = frames.next().await {
            seen += d.len();
            if seen > 16 * 1024 * 1024 {
                break;
            }
        }
    })
    .await;
}

fn multipart_error(e: multer::Error, limit: u64) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } => AssetError::TooLarge { limit }.into(),
        other => ApiError::bad_request(
            "bad_multipart",
            format!("malformed multipart body: {other}"),
        ),
    }
}

impl From<AssetError> for ApiError {
    fn from(e: AssetError) -> ApiError {
        let msg = e.to_string();
        let code = e.code();
        match e {
            AssetError::Invalid(_) => ApiError::bad_request(code, msg),
            AssetError::TypeNotAllowed(_) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, msg)
                    .with("key", "assets.allowed_types")
            }
            AssetError::Mismatch(_) => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, msg),
            AssetError::TooLarge { limit } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, msg)
                    .with("limit", limit)
                    .with("key", "assets.max_upload_bytes")
            }
            AssetError::NotFound(_) => ApiError::not_found(msg),
            AssetError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, code, msg),
            AssetError::RouteConflict {
                path,
                route,
                script,
            } => ApiError::new(StatusCode::CONFLICT, code, msg)
                .with("path", path)
                .with("route", route)
                .with("script", script),
            AssetError::Image(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg),
            AssetError::Busy(_) | AssetError::Changed(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, msg)
            }
            AssetError::Store(s) => {
                ApiError::internal(s, &uuid::Uuid::new_v4().simple().to_string())
            }
        }
    }
}
