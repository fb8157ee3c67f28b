//! `POST /engine/oauth/register`: RFC 7591 dynamic client registration,
//! open to anyone (as the MCP spec expects), for public clients only.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{blocking, open_cors};
use crate::auth::oauth::{ClientRegistration, OAuthError};
use crate::http::error::ApiError;
use crate::http::AppState;

pub async fn register(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = crate::http::request::read_body(&parts, body, 64 * 1024).await?;
    let reg: ClientRegistration = serde_json::from_slice(&body).map_err(|e| {
        ApiError::from(OAuthError::InvalidClientMetadata(format!(
            "send JSON client metadata like {{\"client_name\": \"My agent\", \"redirect_uris\": [\"http://127.0.0.1:33418/callback\"]}}: {e}"
        )))
    })?;
    let st = state.clone();
    let c = blocking(move || st.auth().register_oauth_client(reg)).await?;
    let mut body = json!({
        "client_id": c.client_id,
        "client_id_issued_at": c.created_at / 1000,
        "client_name": c.client_name,
        "redirect_uris": c.redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    // Absent, not null: clients' schemas take a missing field, not null.
    if let Some(uri) = c.client_uri {
        body["client_uri"] = json!(uri);
    }
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    open_cors(&mut resp);
    Ok(resp)
}
