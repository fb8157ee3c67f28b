//! Provider accounts linked to users: `GET /engine/api/me/identities` (the
//! account page), unlinking one's own, and the admin's view and unlink
//! under `/engine/api/users/{id}/identities`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::auth::{AdminUser, CurrentUser};
use super::error::ApiError;
use crate::auth::{AuthError, Identity};
use crate::http::AppState;

fn identity_json(i: &Identity) -> Value {
    json!({
        "provider": i.provider, "subject": i.subject, "email": i.email,
        "linked_at": crate::domain::rfc3339(i.linked_at),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

async fn list(state: AppState, user_id: String) -> Result<Json<Value>, ApiError> {
    let st = state.clone();
    let ids = blocking(move || st.auth().identities_of(&user_id)).await?;
    let providers: Vec<Value> = state
        .oidc()
        .providers()
        .iter()
        .map(|(n, p)| json!({ "name": n, "display_name": p.spec.display_name }))
        .collect();
    Ok(Json(json!({
        "identities": ids.iter().map(identity_json).collect::<Vec<_>>(),
        "providers": providers,
    })))
}

pub async fn mine(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    list(state, p.id.clone()).await
}

pub async fn of_user(
    AdminUser(_): AdminUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    list(state, id).await
}

pub async fn unlink_mine(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
    Path(provider): Path<String>,
) -> Result<StatusCode, ApiError> {
    let st = state.clone();
    let id = p.id.clone();
    blocking(move || st.auth().unlink_identity(&id, &provider)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink_of_user(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    Path((id, provider)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let st = state.clone();
    let target = format!("{id}/{provider}");
    blocking(move || st.auth().unlink_identity(&id, &provider)).await?;
    state
        .auth()
        .audit(&admin.email, "unlink_identity", &target, "ok");
    Ok(StatusCode::NO_CONTENT)
}
