//! `POST /engine/oauth/token` (code exchange and refresh) and
//! `POST /engine/oauth/revoke` (RFC 7009). Form-encoded bodies, public
//! clients: `client_id` in the body, no secret.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::authorize::{parse, Params};
use super::{base_url, blocking, open_cors};
use crate::auth::oauth::{Issued, OAuthError};
use crate::http::error::ApiError;
use crate::http::{AppState, OverTls};

pub async fn token(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let iss = base_url(&state, req.headers(), req.extensions().get::<OverTls>());
    let mut p = form(req).await?;
    let client_id = required(&mut p, "client_id")?;
    let grant_type = p.remove("grant_type").unwrap_or_default();
    let resource = p.remove("resource");
    let st = state.clone();
    let issued = match grant_type.as_str() {
        "authorization_code" => {
            let code = required(&mut p, "code")?;
            let (redirect, verifier) = (p.remove("redirect_uri"), p.remove("code_verifier"));
            blocking(move || {
                st.auth().exchange_oauth_code(
                    &code,
                    &client_id,
                    redirect.as_deref(),
                    verifier.as_deref(),
                    resource.as_deref(),
                    &iss,
                )
            })
            .await?
        }
        "refresh_token" => {
            let refresh = required(&mut p, "refresh_token")?;
            crate::auth::oauth::check_scope(p.get("scope").map(String::as_str))?;
            blocking(move || {
                st.auth()
                    .refresh_oauth(&refresh, &client_id, resource.as_deref(), &iss)
            })
            .await?
        }
        other => {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type {other:?} is not supported; use authorization_code or refresh_token"
            ))
            .into())
        }
    };
    Ok(issued_response(issued))
}

pub async fn revoke(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let mut p = form(req).await?;
    let client_id = required(&mut p, "client_id")?;
    let token = required(&mut p, "token")?;
    let st = state.clone();
    blocking(move || st.auth().revoke_oauth_token(&token, &client_id)).await?;
    let mut resp = StatusCode::OK.into_response();
    open_cors(&mut resp);
    Ok(resp)
}

fn issued_response(t: Issued) -> Response {
    let mut resp = Json(json!({
        "access_token": t.access_token,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "refresh_token": t.refresh_token,
        "scope": t.scope,
    }))
    .into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    open_cors(&mut resp);
    resp
}

async fn form(req: Request) -> Result<Params, ApiError> {
    let (parts, body) = req.into_parts();
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(OAuthError::InvalidRequest(
            "send the parameters as application/x-www-form-urlencoded (RFC 6749 §3.2)".into(),
        )
        .into());
    }
    let body = crate::http::request::read_body(&parts, body, 64 * 1024).await?;
    Ok(parse(&body))
}

fn required(p: &mut Params, name: &str) -> Result<String, ApiError> {
    p.remove(name).filter(|v| !v.is_empty()).ok_or_else(|| {
        OAuthError::InvalidRequest(format!("{name} is missing from the request")).into()
    })
}
