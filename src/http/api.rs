//! The script management API under `/engine/api/` (JSON).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::AdminUser;
use super::error::ApiError;
use crate::scripts::routes::RouteSpec;
use crate::scripts::{rfc3339, validate_name, SaveOutcome, ScriptRecord};
use crate::AppState;

fn routes_json(routes: &[RouteSpec]) -> Value {
    routes
        .iter()
        .map(|r| match r.stream {
            true => json!({ "method": r.method, "path": r.path, "stream": true }),
            false => json!({ "method": r.method, "path": r.path }),
        })
        .collect()
}

fn summary(r: &ScriptRecord) -> Value {
    json!({
        "name": r.name,
        "version": r.version,
        "size": r.size,
        "updated_at": rfc3339(r.updated_at),
        "created_at": rfc3339(r.created_at),
        "enabled": r.enabled,
        "owner": r.owner,
        "routes": routes_json(&r.routes),
        "error": r.error,
    })
}

pub async fn list_scripts(
    _: AdminUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let list = state.scripts.list().await?;
    Ok(Json(
        json!({ "scripts": list.iter().map(summary).collect::<Vec<_>>() }),
    ))
}

pub async fn get_script(
    _: AdminUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (rec, ver) = state.scripts.get(&name).await?;
    let mut v = summary(&rec);
    v["source"] = ver.source.into();
    Ok(Json(v))
}

pub async fn put_script(
    AdminUser(user): AdminUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    validate_name(&name).map_err(|m| ApiError::bad_request("invalid_name", m))?;
    let (parts, body): (Parts, Body) = req.into_parts();
    let limit = state.config.js.max_script_bytes as u64;
    let bytes = super::request::read_body(&parts, body, limit)
        .await
        .map_err(|e| {
            if e.status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!(
                        "script is over the limit of {limit} bytes (config js.max_script_bytes)"
                    ),
                )
                .with("limit", limit)
            } else {
                e
            }
        })?;
    let source = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::bad_request("invalid_encoding", "the script must be UTF-8 text"))?;
    let out = state.scripts.save(&name, source, &user.email).await?;
    Ok(saved(out))
}

fn saved(out: SaveOutcome) -> Response {
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let r = &out.record;
    let body = json!({ "name": r.name, "version": r.version, "enabled": r.enabled, "routes": routes_json(&r.routes) });
    (status, Json(body)).into_response()
}

pub async fn delete_script(
    _: AdminUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.scripts.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    enabled: Option<bool>,
}

pub async fn patch_script(
    _: AdminUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let patch: Patch = super::json_body(&body, r#"{"enabled": false}"#)?;
    let Some(enabled) = patch.enabled else {
        return Err(ApiError::bad_request(
            "invalid_json",
            "nothing to change; send {\"enabled\": true|false}",
        ));
    };
    let rec = state.scripts.set_enabled(&name, enabled).await?;
    Ok(Json(summary(&rec)))
}

pub async fn list_versions(
    _: AdminUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let versions = state.scripts.versions(&name).await?;
    let list: Vec<Value> = versions
        .iter()
        .map(|(n, v)| json!({ "version": n, "created_at": rfc3339(v.created_at), "size": v.source.len(), "author": v.author }))
        .collect();
    Ok(Json(json!({ "versions": list })))
}

/// One version with its source (for the admin UI's diff).
pub async fn get_version(
    _: AdminUser,
    State(state): State<AppState>,
    Path((name, n)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let n: u64 = n.parse().map_err(|_| {
        ApiError::bad_request("invalid_version", format!("version {n:?} is not a number"))
    })?;
    let versions = state.scripts.versions(&name).await?;
    let (_, v) = versions
        .into_iter()
        .find(|(k, _)| *k == n)
        .ok_or_else(|| ApiError::not_found(format!("script {name} has no version {n}")))?;
    Ok(Json(json!({
        "version": n, "created_at": rfc3339(v.created_at), "size": v.source.len(),
        "author": v.author, "source": v.source,
    })))
}

pub async fn restore_version(
    AdminUser(user): AdminUser,
    State(state): State<AppState>,
    Path((name, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let n: u64 = n.parse().map_err(|_| {
        ApiError::bad_request("invalid_version", format!("version {n:?} is not a number"))
    })?;
    Ok(saved(state.scripts.restore(&name, n, &user.email).await?))
}

#[derive(Deserialize)]
pub struct LogQuery {
    script: Option<String>,
    limit: Option<usize>,
}

pub async fn logs(
    _: AdminUser,
    State(state): State<AppState>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 10_000);
    let entries = state.logs.read(q.script, limit).await?;
    let list: Vec<Value> = entries
        .into_iter()
        .map(|(script, e)| json!({ "time": rfc3339(e.time), "level": e.level, "message": e.message, "request_id": e.request_id, "script": script }))
        .collect();
    Ok(Json(json!({ "entries": list })))
}
