//! Login and the `AdminUser` extractor for `/engine/api/`.

use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use crate::auth::{AuthError, Claims, Role};
use crate::AppState;

pub const SESSION_COOKIE: &str = "aiwebengine_session";

/// Delay before answering a failed login, to slow down guessing.
const FAILED_LOGIN_DELAY: Duration = Duration::from_millis(400);

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: LoginBody = super::json_body(&body, r#"{"email": "...", "password": "..."}"#)?;
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || st.auth.login(&body.email, &body.password))
        .await
        .map_err(|e| ApiError::internal(e, &state.request_id()))?;
    let (token, user) = match result {
        Ok(v) => v,
        Err(e @ AuthError::BadCredentials) => {
            tokio::time::sleep(FAILED_LOGIN_DELAY).await;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/");
    let body = json!({
        "token": token,
        "user": { "id": user.id, "email": user.email, "name": user.name, "role": user.role },
    });
    let mut resp = (StatusCode::OK, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// An authenticated administrator. Bearer tokens work for every method;
/// the session cookie only for safe methods until CSRF protection lands.
pub struct AdminUser(pub Claims);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        let token = bearer
            .map(str::to_string)
            .or_else(|| safe.then(|| session_cookie(parts)).flatten());
        let Some(token) = token else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "authentication required: send Authorization: Bearer TOKEN (from POST /engine/auth/login)"));
        };
        let claims = state.auth.verify(&token)?;
        if claims.role != Role::Admin {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this endpoint needs the admin role",
            ));
        }
        Ok(AdminUser(claims))
    }
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}
