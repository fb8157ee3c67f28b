//! The script management API under `/engine/api/` (JSON).

use axum::body::Body;
use axum::extract::State;
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{access_of, require};
use super::auth::EditorUser;
use super::error::ApiError;
use super::extract::{ApiBytes, ApiPath, ApiQuery};
use crate::http::AppState;
use crate::scripts::routes::RouteSpec;
use crate::scripts::{rfc3339, source_sha256, validate_name, Access, SaveOutcome, ScriptRecord};

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
        "owner_user": r.owner_user,
        "owner_group": r.owner_group,
        "grants": r.grants,
        "routes": routes_json(&r.routes),
        "error": r.error,
        "sha256": r.sha256,
    })
}

/// Editors see only the scripts they may read.
pub async fn list_scripts(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let list = state.scripts().list().await?;
    let mut out = Vec::with_capacity(list.len());
    for mut r in list {
        if access_of(&state, &user, &r.name).is_none() {
            continue;
        }
        if r.sha256.is_none() {
            // Saved before the hash was kept: compute it from the source.
            let (_, ver) = state.scripts().get(&r.name).await?;
            r.sha256 = Some(source_sha256(&ver.source));
        }
        out.push(summary(&r));
    }
    Ok(Json(json!({ "scripts": out })))
}

pub async fn get_script(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Read, "script.get").await?;
    let (rec, ver) = state.scripts().get(&name).await?;
    let mut v = summary(&rec);
    v["sha256"] = source_sha256(&ver.source).into();
    v["source"] = ver.source.into();
    Ok(Json(v))
}

/// An editor may create a new script (owned by them) or change one they
/// have write access to.
pub async fn put_script(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    validate_name(&name).map_err(|m| ApiError::bad_request("invalid_name", m))?;
    // The catalog knows a new script as soon as it commits, the directory
    // once it reloads; either means "exists".
    let exists = state
        .scripts()
        .catalog()
        .entries
        .contains_key(name.as_str())
        || state.auth().directory().script_exists(&name);
    if exists {
        require(&state, &user, &name, Access::Write, "script.save").await?;
    }
    let (parts, body): (Parts, Body) = req.into_parts();
    let limit = state.config().js.max_script_bytes as u64;
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
    let out = state
        .scripts()
        .save(&name, source, &user.email, !exists)
        .await?;
    if out.created {
        reload_acl(&state).await;
    }
    let action = if out.created {
        "script.create"
    } else {
        "script.save"
    };
    super::audit(&state, &user.email, action, &name, "ok").await;
    Ok(saved(out))
}

/// Ownership lives in the auth directory; a new or deleted script changes it.
async fn reload_acl(state: &AppState) {
    let st = state.clone();
    let done = tokio::task::spawn_blocking(move || st.auth().reload()).await;
    if let Ok(Err(e)) = done {
        tracing::error!("could not reload the script owners: {e}");
    }
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
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    require(&state, &user, &name, Access::Write, "script.delete").await?;
    state.scripts().delete(&name).await?;
    reload_acl(&state).await;
    super::audit(&state, &user.email, "script.delete", &name, "ok").await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    name: String,
}

/// Renames a script with its versions, log and kv data; its routes stay.
pub async fn rename_script(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Write, "script.rename").await?;
    let to = super::json_body::<Rename>(&body, r#"{"name": "new-name.js"}"#)?.name;
    // Entries already appended under the old name move with the rest.
    state.logs().flush().await;
    let rec = state.scripts().rename(&name, &to).await?;
    reload_acl(&state).await;
    let target = format!("{name} -> {to}");
    super::audit(&state, &user.email, "script.rename", &target, "ok").await;
    Ok(Json(summary(&rec)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    enabled: Option<bool>,
}

pub async fn patch_script(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Write, "script.update").await?;
    let patch: Patch = super::json_body(&body, r#"{"enabled": false}"#)?;
    let Some(enabled) = patch.enabled else {
        return Err(ApiError::bad_request(
            "invalid_json",
            "nothing to change; send {\"enabled\": true|false}",
        ));
    };
    let mut rec = state.scripts().set_enabled(&name, enabled).await?;
    // A script nobody owns (the seeded examples) is taken by whoever turns
    // it on, so that its `kv`, `assets` and `scripts.asOwner()` calls act
    // for someone rather than for nobody.
    let unowned = rec.owner.is_none() && rec.owner_user.is_none() && rec.owner_group.is_none();
    if enabled && unowned {
        let (st, script, id) = (state.clone(), name.clone(), user.id.clone());
        let owned = tokio::task::spawn_blocking(move || {
            let m = crate::auth::Member {
                user: Some(id),
                group: None,
            };
            st.auth().set_owner(&script, &m)
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
        (rec.owner, rec.owner_user) = (owned.owner, owned.owner_user);
        (rec.owner_group, rec.grants) = (owned.owner_group, owned.grants);
        reload_acl(&state).await;
    }
    let action = if enabled {
        "script.enable"
    } else {
        "script.disable"
    };
    super::audit(&state, &user.email, action, &name, "ok").await;
    Ok(Json(summary(&rec)))
}

pub async fn list_versions(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Read, "script.versions").await?;
    let versions = state.scripts().versions(&name).await?;
    let list: Vec<Value> = versions
        .iter()
        .map(|(n, v)| json!({ "version": n, "created_at": rfc3339(v.created_at), "size": v.source.len(), "author": v.author }))
        .collect();
    Ok(Json(json!({ "versions": list })))
}

/// One version with its source (for the admin UI's diff).
pub async fn get_version(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath((name, n)): ApiPath<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Read, "script.version").await?;
    let n: u64 = n.parse().map_err(|_| {
        ApiError::bad_request("invalid_version", format!("version {n:?} is not a number"))
    })?;
    let versions = state.scripts().versions(&name).await?;
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
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath((name, n)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    require(&state, &user, &name, Access::Write, "script.restore").await?;
    let n: u64 = n.parse().map_err(|_| {
        ApiError::bad_request("invalid_version", format!("version {n:?} is not a number"))
    })?;
    let out = state.scripts().restore(&name, n, &user.email).await?;
    super::audit(&state, &user.email, "script.restore", &name, "ok").await;
    Ok(saved(out))
}

#[derive(Deserialize)]
pub struct LogQuery {
    script: Option<String>,
    limit: Option<usize>,
}

/// Editors see the logs of the scripts they may read.
pub async fn logs(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 10_000);
    if let Some(name) = &q.script {
        require(&state, &user, name, Access::Read, "script.logs").await?;
    }
    let entries = state.logs().read(q.script, limit).await?;
    let list: Vec<Value> = entries
        .into_iter()
        .filter(|(script, _)| user.is_admin() || access_of(&state, &user, script).is_some())
        .map(|(script, e)| json!({ "time": rfc3339(e.time), "level": e.level, "message": e.message, "request_id": e.request_id, "script": script }))
        .collect();
    Ok(Json(json!({ "entries": list })))
}
