//! The browser side of signing in with an OpenID Connect provider:
//! `GET /engine/auth/oidc/{provider}` starts a login (303 to the provider,
//! with the flow cookie), `GET|POST /engine/auth/oidc/{provider}/callback`
//! finishes it (303 back to the return URL with the session cookies).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::{cookie, set_cookies, OverTls, SESSION_COOKIE};
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::auth::oidc::{safe_return_to, Callback, OidcError, FLOW_COOKIE, FLOW_SECONDS};
use crate::auth::{LoginStep, NewAccounts, PENDING_SECONDS};
use crate::http::AppState;

/// Where a login lands when no (acceptable) return URL was given.
pub const DEFAULT_RETURN: &str = "/engine/admin/";
const FLOW_PATH: &str = "/engine/auth/oidc/";

impl From<OidcError> for ApiError {
    fn from(e: OidcError) -> ApiError {
        let status = match e {
            OidcError::UnknownProvider(_) => StatusCode::NOT_FOUND,
            OidcError::State(_) | OidcError::Provider(_) | OidcError::Token(_) => {
                StatusCode::UNAUTHORIZED
            }
            OidcError::NotAllowed(_) => StatusCode::FORBIDDEN,
            OidcError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

#[derive(Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
    /// `1`: link this provider to the logged-in user instead of logging in.
    link: Option<String>,
}

/// `http(s)://host` of the request, as the browser addressed it.
pub(super) fn origin(parts: &Parts) -> String {
    let scheme = if parts.extensions.get::<OverTls>().is_some() {
        "https"
    } else {
        "http"
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `GET /engine/auth/oidc/{provider}?return_to=/path[&link=1]`.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<StartQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = req.into_parts();
    let return_to = safe_return_to(q.return_to.as_deref(), DEFAULT_RETURN);
    let link_to = match q.link.as_deref() {
        Some("1") | Some("true") => {
            let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "linking a provider needs a logged-in browser; log in first",
                )
            })?;
            Some(state.auth().authenticate(token)?.id.clone())
        }
        _ => None,
    };
    let redirect = format!("{}{FLOW_PATH}{name}/callback", origin(&parts));
    let begin = state.oidc().begin(&name, &redirect, &return_to, link_to)?;
    let secure = parts.extensions.get::<OverTls>().is_some();
    let mut resp = see_other(&begin.url);
    // A form_post answer is a cross-site POST, which a Lax cookie misses.
    let same_site = if begin.form_post && secure {
        "None"
    } else {
        "Lax"
    };
    let flow = format!(
        "{FLOW_COOKIE}={}; HttpOnly; SameSite={same_site}; Path={FLOW_PATH}; Max-Age={FLOW_SECONDS}{}",
        begin.cookie,
        if secure { "; Secure" } else { "" }
    );
    append_cookie(resp.headers_mut(), &flow);
    Ok(resp)
}

/// `GET|POST /engine/auth/oidc/{provider}/callback`: the provider's answer
/// in the query, or in a form for `response_mode=form_post`.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    // The flow cookie is single use: dropped whatever the outcome.
    let mut resp = match finish(state, name, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    append_cookie(resp.headers_mut(), &expired_flow());
    resp
}

async fn finish(state: AppState, name: String, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let cb: Callback = if parts.method == Method::POST {
        let body = super::request::read_body(&parts, body, 64 * 1024).await?;
        serde_urlencoded_form(&body)?
    } else {
        serde_urlencoded_form(parts.uri.query().unwrap_or("").as_bytes())?
    };
    let flow = cookie(&parts.headers, FLOW_COOKIE).map(str::to_string);
    let result = state.oidc().finish(&name, flow.as_deref(), cb).await;
    let verified = match result {
        Ok(v) => v,
        Err(e) => {
            state
                .auth()
                .audit("", "login", &format!("oidc:{name}"), e.code());
            return Err(e.into());
        }
    };
    let provider = state.oidc().provider(&name)?;
    let rules = NewAccounts {
        default_role: provider.spec.default_role,
        link_by_verified_email: provider.spec.link_by_verified_email,
    };
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let st = state.clone();
    let v = verified.clone();
    let done = tokio::task::spawn_blocking(move || st.auth().finish_oidc_login(&v, &rules, &ip))
        .await
        .map_err(ApiError::internal)?;
    let done = match done {
        Ok(LoginStep::Session(d)) => d,
        Ok(LoginStep::Totp(p)) => {
            let secure = parts.extensions.get::<OverTls>().is_some();
            let next = super::totp::pending_login_url(&p, Some(&verified.return_to));
            let mut resp = see_other(&next);
            super::totp::set_pending_cookie(&mut resp, &p.token, PENDING_SECONDS, secure);
            return Ok(resp);
        }
        Err(e) => {
            let who = verified.email.as_deref().unwrap_or("");
            state
                .auth()
                .audit(who, "login", &format!("oidc:{name}"), e.code());
            return Err(e.into());
        }
    };
    if let Some(sid) = session_of(&state, &done.token) {
        state
            .oidc()
            .remember_session(&sid, &name, &verified.id_token);
    }
    let secure = parts.extensions.get::<OverTls>().is_some();
    let mut resp = see_other(&verified.return_to);
    set_cookies(resp.headers_mut(), &done, secure);
    Ok(resp)
}

fn session_of(state: &AppState, token: &str) -> Option<String> {
    state.auth().authenticate(token).ok()?.session_id
}

fn serde_urlencoded_form(bytes: &[u8]) -> Result<Callback, ApiError> {
    let mut cb = Callback::default();
    for (k, v) in form_urlencoded::parse(bytes) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "code" => cb.code = v,
            "state" => cb.state = v,
            "iss" => cb.iss = v,
            "error" => cb.error = v,
            "error_description" => cb.error_description = v,
            "user" => cb.user = v,
            _ => {}
        }
    }
    Ok(cb)
}

fn expired_flow() -> String {
    format!("{FLOW_COOKIE}=; HttpOnly; SameSite=Lax; Path={FLOW_PATH}; Max-Age=0")
}

pub(super) fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub(super) fn append_cookie(headers: &mut HeaderMap, c: &str) {
    if let Ok(v) = HeaderValue::from_str(c) {
        headers.append(header::SET_COOKIE, v);
    }
}
