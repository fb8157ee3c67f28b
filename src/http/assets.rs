//! Assets over HTTP: serving at `/` + path for GET and HEAD (after script
//! routes, before the welcome page), and the management API under
//! `/engine/api/assets` (REQ-ASSET-001/002/004, REQ-HTTP-008).
//!
//! Precedence for a GET: a script route, then a stored asset, then a file
//! of `assets.dir`, then the welcome page at `/` or a 404. `/` and paths
//! ending in `/` look for the `index.html` under them.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::EditorUser;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use crate::assets::{kind, path, Actor, AssetError, AssetRecord, Staged, Upload};
use crate::auth::Principal;
use crate::http::AppState;

/// A stalled upload is dropped after this long without a byte.
const IDLE: Duration = Duration::from_secs(30);
/// What an upload buffers before handing it to a blocking write.
const PUSH_BYTES: usize = crate::assets::CHUNK_SIZE;

mod serve;

pub use serve::try_serve;

fn meta_json(r: &AssetRecord) -> Value {
    json!({
        "path": r.path, "url": path::public(&r.path), "content_type": r.content_type,
        "size": r.size, "sha256": r.sha256, "etag": r.etag(), "owner": r.owner,
        "owner_user": r.owner_user, "owner_group": r.owner_group,
        "created_at": crate::domain::rfc3339(r.created), "updated_at": crate::domain::rfc3339(r.updated),
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    prefix: Option<String>,
}

pub async fn list(
    EditorUser(_): EditorUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Json<Value> {
    let list: Vec<Value> = state
        .assets()
        .list(q.prefix.as_deref().unwrap_or(""))
        .iter()
        .map(|r| meta_json(r))
        .collect();
    Json(json!({ "assets": list }))
}

pub async fn meta(
    EditorUser(_): EditorUser,
    State(state): State<AppState>,
    ApiPath(p): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    path::validate(&p)?;
    let rec = state
        .assets()
        .get(&p)
        .ok_or_else(|| ApiError::not_found(format!("no asset at {p}")))?;
    Ok(Json(meta_json(&rec)))
}

/// `PUT /engine/api/assets/{path}`: the raw body is the content; its type
/// is the `Content-Type` header, or the extension's when that is generic.
pub async fn upload(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(p): ApiPath<String>,
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
    let checked = state.assets().check_write(&actor, &p, Some(&ct));
    let checked =
        checked.and_then(|_| check_length(&parts, state.assets().config().max_upload_bytes));
    if let Err(e) = checked {
        drain(&mut frames).await;
        return Err(refused(&state, &user, "asset.upload", &p, e).await);
    }
    let up = match feed(state.assets().begin(&p, &ct), &mut frames).await {
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
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let actor = Actor::from_principal(&user);
    let (parts, body) = req.into_parts();
    let limit = state.assets().config().max_upload_bytes;
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
    let to = Target {
        actor: &actor,
        user: &user,
        dir: q.dir.as_deref(),
        limit,
    };
    let staged = match stage_parts(&state, &mut mp, &to).await {
        Ok(staged) => staged,
        Err(e) => {
            // Let the client finish sending, so that it reads the answer.
            let rest = async {
                while let Ok(Some(mut f)) = mp.next_field().await {
                    while let Ok(Some(_)) = f.chunk().await {}
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), rest).await;
            return Err(e);
        }
    };
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

/// Who uploads a multipart body, and where its files go.
struct Target<'a> {
    actor: &'a Actor,
    user: &'a Principal,
    dir: Option<&'a str>,
    limit: u64,
}

/// Stages every file part; the first refusal ends it (staged files are
/// deleted when dropped).
async fn stage_parts(
    state: &AppState,
    mp: &mut multer::Multipart<'_>,
    to: &Target<'_>,
) -> Result<Vec<Staged>, ApiError> {
    let mut staged: Vec<Staged> = Vec::new();
    let bad = |e| multipart_error(e, to.limit);
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let Some(filename) = field.file_name().map(str::to_string) else {
            continue;
        };
        let p = target(field.name().unwrap_or(""), &filename, to.dir);
        let ct = kind::resolve(&p, field.content_type().map(|m| m.as_ref()));
        if let Err(e) = state.assets().check_write(to.actor, &p, Some(&ct)) {
            return Err(refused(state, to.user, "asset.upload", &p, e).await);
        }
        let mut up = state.assets().begin(&p, &ct);
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            buf.extend_from_slice(&chunk);
            if buf.len() >= PUSH_BYTES {
                up = push(up, std::mem::take(&mut buf)).await?;
            }
        }
        up = push(up, buf).await?;
        staged.push(blocking(move || up.finish()).await?);
    }
    Ok(staged)
}

pub async fn delete(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(p): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let actor = Actor::from_principal(&user);
    let (assets, q) = (state.assets().clone(), p.clone());
    match tokio::task::spawn_blocking(move || assets.delete(&actor, &q)).await {
        Ok(Ok(true)) => {
            super::audit(&state, &user.email, "asset.delete", &p, "ok").await;
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(Ok(false)) => Err(ApiError::not_found(format!("no asset at {p}"))),
        Ok(Err(e)) => Err(refused(&state, &user, "asset.delete", &p, e).await),
        Err(e) => Err(ApiError::internal(e)),
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
    let assets = state.assets().clone();
    let done = match tokio::task::spawn_blocking(move || assets.commit(&actor, staged)).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Err(refused(state, user, "asset.upload", &paths.join(", "), e).await),
        Err(e) => return Err(ApiError::internal(e)),
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
pub(super) async fn off<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AssetError> + Send + 'static,
) -> Result<T, AssetError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        AssetError::Store(crate::domain::StorageError::io(format!(
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
            AssetError::Store(s) => ApiError::storage(&s),
        }
    }
}
