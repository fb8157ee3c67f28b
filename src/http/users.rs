//! `/engine/api/users`, `/me`, `/sessions` and `/tokens`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{user_json, AdminUser, CurrentUser};
use super::error::ApiError;
use super::extract::{ApiBytes, ApiPath, ApiQuery};
use super::json_body;
use crate::auth::{ApiToken, AuthError, Role, Session, UserPatch};
use crate::domain::rfc3339;
use crate::http::AppState;

/// Runs a blocking auth call; audits it as `action` on `target`.
pub(crate) async fn run<T: Send + 'static>(
    state: &AppState,
    who: &str,
    action: &str,
    target: &str,
    f: impl FnOnce(&AppState) -> Result<T, AuthError> + Send + 'static,
) -> Result<T, ApiError> {
    let st = state.clone();
    let out = tokio::task::spawn_blocking(move || f(&st))
        .await
        .map_err(ApiError::internal)?;
    let result = match &out {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    };
    if !action.is_empty() {
        super::audit(state, who, action, target, &result).await;
    }
    out.map_err(ApiError::from)
}

pub async fn list(_: AdminUser, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (users, totp) = run(&state, "", "", "", |s| {
        Ok((s.auth().list_users()?, s.auth().totp_users()?))
    })
    .await?;
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            let mut v = user_json(u);
            v["totp"] = json!(totp.contains(&u.id));
            v
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    password: String,
    name: Option<String>,
    role: Option<String>,
}

pub async fn create(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let shape = r#"{"email": "...", "password": "at least 10 characters", "name": "...", "role": "authenticated|editor|admin"}"#;
    let b: NewUser = json_body(&body, shape)?;
    let role = Role::parse(b.role.as_deref().unwrap_or("authenticated"))
        .map_err(crate::auth::AuthError::from)?;
    let target = b.email.clone();
    let u = run(&state, &me.email, "user.create", &target, move |s| {
        s.auth()
            .create_user(&b.email, &b.password, b.name.as_deref(), role)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user_json(&u))).into_response())
}

/// Admins see anyone; others only themselves.
pub async fn get(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    if !me.is_admin() && me.id != id {
        return Err(forbidden(&state, &me.email, "user.get", &id).await);
    }
    let u = run(&state, "", "", "", move |s| s.auth().get_user(&id)).await?;
    Ok(Json(user_json(&u)))
}

async fn forbidden(state: &AppState, who: &str, action: &str, target: &str) -> ApiError {
    super::audit(state, who, action, target, "denied").await;
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this needs the admin role",
    )
}

/// Admins change anything; a user may change their own name and password.
pub async fn patch(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let shape = r#"{"name": "...", "role": "editor", "password": "...", "disabled": true}"#;
    let p: UserPatch = json_body(&body, shape)?;
    let own_fields = p.role.is_none() && p.disabled.is_none();
    let allowed = me.is_admin() || (me.id == id && own_fields);
    if !allowed {
        return Err(forbidden(&state, &me.email, "user.update", &id).await);
    }
    let target = id.clone();
    let u = run(&state, &me.email, "user.update", &target, move |s| {
        s.auth().patch_user(&id, p)
    })
    .await?;
    Ok(Json(user_json(&u)))
}

pub async fn delete(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let target = id.clone();
    run(&state, &me.email, "user.delete", &target, move |s| {
        s.auth().delete_user(&id)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let id = me.id.clone();
    let u = run(&state, "", "", "", move |s| s.auth().get_user(&id)).await?;
    let mut v = user_json(&u);
    v["groups"] = json!(&*me.groups);
    v["permissions"] = json!(state.auth().directory().permissions_of(&me.id));
    v["session_id"] = json!(me.session_id);
    v["csrf_token"] = json!(me.session_id.as_deref().map(|s| state.auth().csrf_token(s)));
    Ok(Json(v))
}

fn session_json(s: &Session, current: Option<&str>) -> Value {
    json!({
        "id": s.id, "user_id": s.user_id, "ip": s.ip,
        "created_at": rfc3339(s.created_at * 1000), "expires_at": rfc3339(s.expires_at * 1000),
        "current": current == Some(s.id.as_str()),
    })
}

#[derive(Deserialize)]
pub struct UserQuery {
    user: Option<String>,
}

/// The caller's sessions; an admin may ask for another user's.
pub async fn sessions(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<Value>, ApiError> {
    let user = q.user.unwrap_or_else(|| me.id.clone());
    if user != me.id && !me.is_admin() {
        return Err(forbidden(&state, &me.email, "session.list", &user).await);
    }
    let (list, clients) = run(&state, "", "", "", move |s| {
        Ok((
            s.auth().sessions_of(&user)?,
            s.auth().oauth_grant_clients()?,
        ))
    })
    .await?;
    let cur = me.session_id.as_deref();
    let shown = list.iter().map(|s| {
        let mut v = session_json(s, cur);
        // An OAuth grant (docs/mcp-auth.md) is a session of its client.
        v["client"] = json!(clients.get(&s.id));
        v
    });
    Ok(Json(json!({ "sessions": shown.collect::<Vec<_>>() })))
}

pub async fn revoke_session(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let owner = (!me.is_admin()).then(|| me.id.clone());
    let target = id.clone();
    run(&state, &me.email, "session.revoke", &target, move |s| {
        s.auth().revoke_session(&id, owner.as_deref())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Log out everywhere": every session of the caller (or of `?user=` for an admin).
pub async fn revoke_all(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<Value>, ApiError> {
    let user = q.user.unwrap_or_else(|| me.id.clone());
    if user != me.id && !me.is_admin() {
        return Err(forbidden(&state, &me.email, "session.revoke_all", &user).await);
    }
    let target = user.clone();
    let n = run(&state, &me.email, "session.revoke_all", &target, move |s| {
        s.auth().revoke_user_sessions(&user)
    })
    .await?;
    Ok(Json(json!({ "revoked": n })))
}

fn token_json(t: &ApiToken) -> Value {
    json!({
        "id": t.id, "name": t.name, "user_id": t.user_id,
        "created_at": rfc3339(t.created_at),
        "expires_at": t.expires_at.map(|e| rfc3339(e * 1000)),
    })
}

/// The caller's API tokens (an admin with `?all=true`: everyone's).
pub async fn tokens(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let all = me.is_admin() && q.get("all").is_some_and(|v| v == "true");
    let list = state
        .auth()
        .list_api_tokens((!all).then_some(me.id.as_str()));
    Json(json!({ "tokens": list.iter().map(token_json).collect::<Vec<_>>() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

pub async fn create_token(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let b: NewToken = json_body(&body, r#"{"name": "ci", "expires_in_days": 30}"#)?;
    let uid = me.id.clone();
    let target = b.name.clone();
    let (tok, secret) = run(&state, &me.email, "token.create", &target, move |s| {
        s.auth().create_api_token(&uid, &b.name, b.expires_in_days)
    })
    .await?;
    let mut v = token_json(&tok);
    v["token"] = json!(secret);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn delete_token(
    CurrentUser(me): CurrentUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let owner = (!me.is_admin()).then(|| me.id.clone());
    let target = id.clone();
    run(&state, &me.email, "token.delete", &target, move |s| {
        s.auth().delete_api_token(&id, owner.as_deref())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
