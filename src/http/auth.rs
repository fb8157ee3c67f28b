//! Login, logout, first-run setup, and the extractors that say who calls
//! `/engine/api/`: [`CurrentUser`], [`EditorUser`] and [`AdminUser`].
//!
//! A caller is identified by `Authorization: Bearer TOKEN` (a login token
//! or an API token) or by the session cookie. A cookie-authenticated unsafe
//! request must also send the session's CSRF token in `X-CSRF-Token` (the
//! `aiwebengine_csrf` cookie holds it) and come from the same origin.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use crate::auth::{AuthError, LoggedIn, LoginStep, Principal, Role, User};
use crate::domain::RequestAuth;
use crate::http::AppState;

pub const SESSION_COOKIE: &str = "aiwebengine_session";
pub const CSRF_COOKIE: &str = "aiwebengine_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Request extension set by the listener on connections that came over TLS.
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

/// Delay before answering a failed login, to slow down guessing.
const FAILED_LOGIN_DELAY: Duration = Duration::from_millis(400);

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

pub fn user_json(u: &User) -> Value {
    json!({
        "id": u.id, "email": u.email, "name": u.name, "role": u.role,
        "disabled": u.disabled, "provider": u.provider,
        "created_at": crate::domain::rfc3339(u.created_at),
        "last_login": u.last_login.map(crate::domain::rfc3339),
    })
}

fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

pub async fn login(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 64 * 1024).await?;
    let body: LoginBody = super::json_body(&body, r#"{"email": "...", "password": "..."}"#)?;
    if !state.live().current().config.auth.password_login {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "password_login_disabled",
            "password login is turned off (auth.password_login = false); sign in through a provider at /engine/auth/login",
        ));
    }
    let ip = client_ip(&parts);
    state.auth().limiter.take(&body.email)?;
    let st = state.clone();
    let email = body.email.clone();
    let result =
        tokio::task::spawn_blocking(move || st.auth().login(&body.email, &body.password, &ip))
            .await
            .map_err(ApiError::internal)?;
    match result {
        Ok(LoginStep::Session(done)) => {
            state.auth().limiter.refund(&email);
            Ok(logged_in(&parts, done, StatusCode::OK))
        }
        Ok(LoginStep::Totp(pending)) => {
            state.auth().limiter.refund(&email);
            let secure = parts.extensions.get::<OverTls>().is_some();
            Ok(super::totp::pending_response(secure, pending))
        }
        Err(e @ AuthError::BadCredentials) => {
            tokio::time::sleep(FAILED_LOGIN_DELAY).await;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The login answer: the token in the body and in the session cookie, and
/// the CSRF token in a cookie that the page's JavaScript can read.
fn logged_in(parts: &Parts, done: LoggedIn, status: StatusCode) -> Response {
    session_response(parts, done, status, serde_json::Map::new())
}

/// [`logged_in`] with `extra` fields in the body (the recovery codes of a
/// login that finished a forced TOTP enrolment).
pub(super) fn session_response(
    parts: &Parts,
    done: LoggedIn,
    status: StatusCode,
    extra: serde_json::Map<String, Value>,
) -> Response {
    let secure = parts.extensions.get::<OverTls>().is_some();
    let mut body = json!({
        "token": done.token,
        "csrf_token": done.csrf,
        "expires_at": crate::domain::rfc3339(done.expires_at * 1000),
        "user": { "id": done.user.id, "email": done.user.email, "name": done.user.name, "role": done.user.role },
    });
    if let Some(obj) = body.as_object_mut() {
        obj.extend(extra);
    }
    let mut resp = (status, Json(body)).into_response();
    set_cookies(resp.headers_mut(), &done, secure);
    resp
}

pub(super) fn set_cookies(headers: &mut HeaderMap, done: &LoggedIn, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let age = (done.expires_at - crate::domain::now_millis() / 1000).max(0);
    let cookies = [
        format!(
            "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={age}{secure}",
            done.token
        ),
        format!(
            "{CSRF_COOKIE}={}; SameSite=Lax; Path=/; Max-Age={age}{secure}",
            done.csrf
        ),
    ];
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
}

/// `POST /engine/auth/refresh`: slides the login session forward and
/// answers like login, with a new token for the same session.
pub async fn refresh(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = req.into_parts();
    let st = state.clone();
    let done = blocking(move || st.auth().refresh(&p)).await?;
    Ok(logged_in(&parts, done, StatusCode::OK))
}

/// Sliding expiry for browsers: a successful `/engine/` request on a
/// session cookie past half its life gets fresh cookies.
pub async fn slide_session(
    State(state): State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let token = match bearer(req.headers()) {
        Some(_) => None,
        None => cookie(req.headers(), SESSION_COOKIE).map(str::to_string),
    };
    let secure = req.extensions().get::<OverTls>().is_some();
    let mut resp = next.run(req).await;
    let Some(token) = token.filter(|_| resp.status().is_success()) else {
        return resp;
    };
    let stale = state
        .auth()
        .token_seconds_left(&token)
        .is_some_and(|left| left < state.auth().session_limits().0 / 2);
    if !stale {
        return resp;
    }
    let Ok(p) = state.auth().authenticate(&token) else {
        return resp;
    };
    let st = state.clone();
    if let Ok(done) = blocking(move || st.auth().refresh(&p)).await {
        set_cookies(resp.headers_mut(), &done, secure);
    }
    resp
}

/// Ends the caller's login session (an API token stays valid; delete it
/// instead) and clears the cookies.
pub async fn logout(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    if let Some(sid) = p.session_id.clone() {
        state.oidc().forget_session(&sid);
        let st = state.clone();
        blocking(move || st.auth().revoke_session(&sid, None)).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        let c = format!("{name}=; SameSite=Lax; Path=/; Max-Age=0");
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct SetupBody {
    token: String,
    email: String,
    password: String,
    name: Option<String>,
}

/// `GET /engine/auth/setup`: whether the first-run setup is still open.
pub async fn setup_status(State(state): State<AppState>) -> Json<Value> {
    Json(
        json!({ "needed": !state.auth().directory().has_admin(), "open": state.auth().setup_open() }),
    )
}

/// `POST /engine/auth/setup`: creates the first admin and logs them in.
pub async fn setup(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 64 * 1024).await?;
    let shape = r#"{"token": "...", "email": "...", "password": "...", "name": "..."}"#;
    let b: SetupBody = super::json_body(&body, shape)?;
    let ip = client_ip(&parts);
    state.auth().limiter.take("setup:")?;
    let st = state.clone();
    let step = blocking(move || {
        let user = st
            .auth()
            .complete_setup(&b.token, &b.email, &b.password, b.name.as_deref())?;
        st.auth().audit(&user.email, "setup", &user.id, "ok");
        st.auth().finish_login(user, &ip)
    })
    .await?;
    match step {
        LoginStep::Session(done) => Ok(logged_in(&parts, done, StatusCode::CREATED)),
        // The admin role requires TOTP: enrol before the session.
        LoginStep::Totp(p) => {
            let secure = parts.extensions.get::<OverTls>().is_some();
            Ok(super::totp::pending_response(secure, p))
        }
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The caller of a script route, for `req.auth`: no CSRF check here (a
/// script decides what its own routes need). Reads memory only.
pub fn script_auth(state: &AppState, headers: &HeaderMap) -> Option<Arc<RequestAuth>> {
    let token = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE))?;
    let p = state.auth().authenticate(token).ok()?;
    let auth = state.auth().directory().request_auth_of(&p.id)?;
    // `auth.provider`: the provider this session came through, when it
    // differs from the one that created the account.
    let via = p
        .session_id
        .as_deref()
        .and_then(|sid| state.oidc().session_provider(sid))
        .map(|(provider, _)| provider);
    match via {
        Some(provider) if provider != auth.provider => {
            let mut a = (*auth).clone();
            a.provider = provider;
            Some(Arc::new(a))
        }
        _ => Some(auth),
    }
}

/// Any authenticated user.
pub struct CurrentUser(pub Principal);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return Ok(CurrentUser(state.auth().authenticate(token)?));
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            if let Some(p) = super::dev_user::dev_principal(parts, state) {
                return Ok(CurrentUser(p));
            }
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "authentication required: send Authorization: Bearer TOKEN (from POST /engine/auth/login)",
            ));
        };
        let p = state.auth().authenticate(token)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            if let Err(e) = check_csrf(parts, state, &p) {
                let target = parts.uri.path().to_string();
                let action = format!("{} {}", parts.method, target);
                super::audit(state, &p.email, &action, &target, "csrf_refused").await;
                return Err(e);
            }
        }
        Ok(CurrentUser(p))
    }
}

fn check_csrf(parts: &Parts, state: &AppState, p: &Principal) -> Result<(), ApiError> {
    let refuse = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            format!("{why}: a cookie-authenticated change needs the {CSRF_HEADER} header (the value of the {CSRF_COOKIE} cookie) and a same-origin Origin or Referer; or use Authorization: Bearer"),
        )
    };
    let expected = p.session_id.as_deref().map(|s| state.auth().csrf_token(s));
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if expected.is_none() || sent != expected.as_deref() {
        return Err(refuse("missing or wrong CSRF token"));
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .or_else(|| parts.headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest))
        .map(|rest| rest.split('/').next().unwrap_or(""));
    match (host, origin) {
        (Some(h), Some(o)) if h.eq_ignore_ascii_case(o) => Ok(()),
        _ => Err(refuse("cross-origin or unknown origin")),
    }
}

/// A user with the editor or admin role.
pub struct EditorUser(pub Principal);

impl FromRequestParts<AppState> for EditorUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser(p) = CurrentUser::from_request_parts(parts, state).await?;
        if p.role < Role::Editor {
            return Err(denied(
                parts,
                state,
                &p,
                "this endpoint needs the editor or admin role",
            )
            .await);
        }
        Ok(EditorUser(p))
    }
}

/// An administrator.
pub struct AdminUser(pub Principal);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentUser(p) = CurrentUser::from_request_parts(parts, state).await?;
        if p.role != Role::Admin {
            return Err(denied(parts, state, &p, "this endpoint needs the admin role").await);
        }
        Ok(AdminUser(p))
    }
}

async fn denied(parts: &Parts, state: &AppState, p: &Principal, msg: &str) -> ApiError {
    let target = parts.uri.path().to_string();
    let action = format!("{} {}", parts.method, target);
    super::audit(state, &p.email, &action, &target, "denied").await;
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg)
}
