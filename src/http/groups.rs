//! `/engine/api/groups`, script ownership and grants, named permissions and
//! the audit log. Admins only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::AdminUser;
use super::error::ApiError;
use super::extract::{ApiBytes, ApiPath, ApiQuery};
use super::json_body;
use super::users::run;
use crate::auth::{Group, Member, Permission};
use crate::http::AppState;
use crate::scripts::{rfc3339, Access};

const MEMBER: &str = r#"{"user": "USER_ID"} or {"group": "NAME"}"#;

fn group_json(g: &Group) -> Value {
    json!({ "name": g.name, "users": g.users, "groups": g.groups, "created_at": rfc3339(g.created_at) })
}

pub async fn list(_: AdminUser, State(state): State<AppState>) -> Json<Value> {
    let dir = state.auth().directory();
    let list: Vec<Value> = dir.groups.values().map(group_json).collect();
    Json(json!({ "groups": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
}

pub async fn create(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let b: NewGroup = json_body(&body, r#"{"name": "editors"}"#)?;
    let target = b.name.clone();
    let g = run(&state, &me.email, "group.create", &target, move |s| {
        s.auth().create_group(&b.name)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(group_json(&g))).into_response())
}

pub async fn delete(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let target = name.clone();
    run(&state, &me.email, "group.delete", &target, move |s| {
        s.auth().delete_group(&name)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_member(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let m: Member = json_body(&body, MEMBER)?;
    let target = name.clone();
    let g = run(&state, &me.email, "group.add_member", &target, move |s| {
        s.auth().add_member(&name, &m)
    })
    .await?;
    Ok(Json(group_json(&g)))
}

pub async fn remove_member(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let m: Member = json_body(&body, MEMBER)?;
    let target = name.clone();
    let g = run(
        &state,
        &me.email,
        "group.remove_member",
        &target,
        move |s| s.auth().remove_member(&name, &m),
    )
    .await?;
    Ok(Json(group_json(&g)))
}

pub async fn set_owner(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(script): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let m: Member = json_body(&body, MEMBER)?;
    let target = script.clone();
    let r = run(&state, &me.email, "script.set_owner", &target, move |s| {
        s.auth().set_owner(&script, &m)
    })
    .await?;
    Ok(Json(
        json!({ "name": r.name, "owner": r.owner, "owner_user": r.owner_user, "owner_group": r.owner_group, "grants": r.grants }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    user: Option<String>,
    group: Option<String>,
    access: Option<Access>,
}

pub async fn set_grant(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(script): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    grant(me, state, script, body, true).await
}

pub async fn remove_grant(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(script): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    grant(me, state, script, body, false).await
}

async fn grant(
    me: crate::auth::Principal,
    state: AppState,
    script: String,
    body: axum::body::Bytes,
    add: bool,
) -> Result<Json<Value>, ApiError> {
    let shape = r#"{"user": "USER_ID", "access": "read|write"} or {"group": "NAME", "access": "read|write"}"#;
    let b: GrantBody = json_body(&body, shape)?;
    let m = Member {
        user: b.user,
        group: b.group,
    };
    let access = match (add, b.access) {
        (true, None) => {
            return Err(ApiError::bad_request(
                "invalid_json",
                format!("send JSON like {shape}"),
            ))
        }
        (_, a) => a.unwrap_or(Access::Read),
    };
    let target = script.clone();
    let action = if add { "script.grant" } else { "script.revoke" };
    let r = run(&state, &me.email, action, &target, move |s| match add {
        true => s.auth().set_grant(&script, &m, access),
        false => s.auth().remove_grant(&script, &m),
    })
    .await?;
    Ok(Json(json!({ "name": r.name, "grants": r.grants })))
}

fn permission_json(p: &Permission) -> Value {
    json!({ "name": p.name, "description": p.description, "users": p.users, "groups": p.groups })
}

pub async fn permissions(_: AdminUser, State(state): State<AppState>) -> Json<Value> {
    let dir = state.auth().directory();
    let list: Vec<Value> = dir.permissions.values().map(permission_json).collect();
    Json(json!({ "permissions": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPermission {
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create_permission(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let b: NewPermission = json_body(&body, r#"{"name": "orders.refund", "description": "..."}"#)?;
    let target = b.name.clone();
    let p = run(&state, &me.email, "permission.create", &target, move |s| {
        s.auth().create_permission(&b.name, &b.description)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(permission_json(&p))).into_response())
}

pub async fn delete_permission(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let target = name.clone();
    run(&state, &me.email, "permission.delete", &target, move |s| {
        s.auth().delete_permission(&name)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn grant_permission(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    permission_grant(me, state, name, body, true).await
}

pub async fn revoke_permission(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    permission_grant(me, state, name, body, false).await
}

async fn permission_grant(
    me: crate::auth::Principal,
    state: AppState,
    name: String,
    body: axum::body::Bytes,
    add: bool,
) -> Result<Json<Value>, ApiError> {
    let m: Member = json_body(&body, MEMBER)?;
    let target = name.clone();
    let action = if add {
        "permission.grant"
    } else {
        "permission.revoke"
    };
    let p = run(&state, &me.email, action, &target, move |s| {
        s.auth().grant_permission(&name, &m, add)
    })
    .await?;
    Ok(Json(permission_json(&p)))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<usize>,
    before: Option<u64>,
}

/// Newest first; page with `before=` the last entry's `id`.
pub async fn audit(
    _: AdminUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let st = state.clone();
    let entries = tokio::task::spawn_blocking(move || st.auth().audit_page(limit, q.before))
        .await
        .map_err(ApiError::internal)??;
    let list: Vec<Value> = entries
        .iter()
        .map(|e| json!({ "id": e.id, "time": rfc3339(e.time), "user": e.user, "action": e.action, "target": e.target, "result": e.result }))
        .collect();
    let next = entries
        .last()
        .map(|e| e.id)
        .filter(|_| entries.len() == limit);
    Ok(Json(json!({ "entries": list, "next_before": next })))
}
