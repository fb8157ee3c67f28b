//! The TOTP second factor over HTTP (REQ-AUTH-007): the second login step
//! (`/engine/auth/totp`), the account's own enrolment under
//! `/engine/api/me/totp`, and the admin reset. QR codes are rendered here
//! as SVG; no outside service sees the secret.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::{cookie, session_response, AdminUser, CurrentUser, OverTls};
use super::error::ApiError;
use super::extract::{ApiBytes, ApiPath};
use super::json_body;
use super::users::run;
use crate::auth::{Enrolment, TotpPending};
use crate::http::AppState;

/// HttpOnly cookie holding the pending-login handle between the two steps.
pub const PENDING_COOKIE: &str = "aiwebengine_totp";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    #[serde(default)]
    code: String,
    /// The pending-login handle; the cookie is used when absent.
    #[serde(default)]
    pending: Option<String>,
}

/// The answer to a password (or provider) login that needs its second
/// factor: 202, the handle in the body and in a short-lived cookie.
pub fn pending_response(secure: bool, p: TotpPending) -> Response {
    let body = json!({
        "totp_required": true,
        "enrol": p.enrol,
        "pending": p.token,
        "expires_at": crate::domain::rfc3339(p.expires_at * 1000),
        "user": { "email": p.user.email, "name": p.user.name },
        "next": if p.enrol {
            "POST /engine/auth/totp/enrol, then POST /engine/auth/totp with {\"code\": \"123456\"}"
        } else {
            "POST /engine/auth/totp with {\"code\": \"123456\"} or a recovery code"
        },
    });
    let mut resp = (StatusCode::ACCEPTED, Json(body)).into_response();
    let age = crate::auth::PENDING_SECONDS;
    set_pending_cookie(&mut resp, &p.token, age, secure);
    resp
}

/// For logins that end in a browser redirect (a provider's callback, the
/// setup page): the admin UI's login page at its code step, which finds
/// the handle in the cookie. `next` is a path inside the admin UI.
pub fn pending_login_url(p: &TotpPending, next: Option<&str>) -> String {
    let step = if p.enrol { "enrol" } else { "code" };
    let mut url = format!("/engine/admin/login?totp={step}");
    if let Some(next) = next {
        url.push_str("&next=");
        url.extend(form_urlencoded::byte_serialize(next.as_bytes()));
    }
    url
}

/// Sets the cookie that carries the pending-login handle (a provider's
/// callback sets it before redirecting to [`pending_login_url`]).
pub fn set_pending_cookie(resp: &mut Response, value: &str, age: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let c = format!(
        "{PENDING_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/engine/auth; Max-Age={age}{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn pending_handle(parts: &axum::http::request::Parts, body: &CodeBody) -> Result<String, ApiError> {
    body.pending
        .clone()
        .or_else(|| cookie(&parts.headers, PENDING_COOKIE).map(str::to_string))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "no pending login: log in with POST /engine/auth/login first, then send {\"code\": \"...\"} (with its aiwebengine_totp cookie or \"pending\" handle)",
            )
        })
}

/// `POST /engine/auth/totp`: the second step; a session like login's.
pub async fn finish(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 16 * 1024).await?;
    let b: CodeBody = json_body(&body, r#"{"code": "123456"}"#)?;
    let handle = pending_handle(&parts, &b)?;
    let code = b.code;
    let done = run(&state, "", "", "", move |s| {
        s.auth().finish_totp(&handle, &code)
    })
    .await?;
    let mut extra = Map::new();
    if let Some(codes) = done.recovery_codes {
        extra.insert("recovery_codes".into(), json!(codes));
    }
    let mut resp = session_response(&parts, done.session, StatusCode::OK, extra);
    let secure = parts.extensions.get::<OverTls>().is_some();
    set_pending_cookie(&mut resp, "", 0, secure);
    Ok(resp)
}

/// `POST /engine/auth/totp/enrol`: the enrolment a pending login needs
/// when the user's role requires TOTP and they have none yet.
pub async fn pending_enrol(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 16 * 1024).await?;
    let b: CodeBody = if body.is_empty() {
        CodeBody::default()
    } else {
        json_body(&body, r#"{"pending": "..."}"#)?
    };
    let handle = pending_handle(&parts, &b)?;
    let e = run(&state, "", "", "", move |s| s.auth().pending_enrol(&handle)).await?;
    enrolment_json(e)
}

fn enrolment_json(e: Enrolment) -> Result<Json<Value>, ApiError> {
    let qr = qrcode::QrCode::new(e.uri.as_bytes()).map_err(ApiError::internal)?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(Json(
        json!({ "secret": e.secret, "uri": e.uri, "qr_svg": svg }),
    ))
}

/// `GET /engine/api/me/totp`.
pub async fn status(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let st = run(&state, "", "", "", move |s| s.auth().totp_status(&p.id)).await?;
    Ok(Json(json!(st)))
}

/// `POST /engine/api/me/totp/enrol`: a new secret, not on until confirmed.
pub async fn enrol(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let id = p.id.clone();
    let e = run(&state, &p.email, "totp.enrol", &p.id, move |s| {
        s.auth().totp_begin(&id)
    })
    .await?;
    enrolment_json(e)
}

fn code_of(body: &[u8]) -> Result<String, ApiError> {
    let b: CodeBody = json_body(body, r#"{"code": "123456"}"#)?;
    Ok(b.code)
}

/// `POST /engine/api/me/totp/confirm`: turns TOTP on; the recovery codes.
pub async fn confirm(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let (id, code) = (p.id.clone(), code_of(&body)?);
    let codes = run(&state, &p.email, "totp.confirm", &p.id, move |s| {
        s.auth().totp_confirm(&id, &code)
    })
    .await?;
    Ok(Json(json!({ "enabled": true, "recovery_codes": codes })))
}

/// `POST /engine/api/me/totp/disable`: needs a code or a recovery code.
pub async fn disable(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<StatusCode, ApiError> {
    let (id, code) = (p.id.clone(), code_of(&body)?);
    run(&state, &p.email, "totp.disable", &p.id, move |s| {
        s.auth().totp_disable(&id, &code)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /engine/api/me/totp/recovery`: ten new recovery codes (the old
/// ones stop working); needs a code or a recovery code.
pub async fn new_recovery(
    CurrentUser(p): CurrentUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let (id, code) = (p.id.clone(), code_of(&body)?);
    let codes = run(&state, &p.email, "totp.recovery", &p.id, move |s| {
        s.auth().totp_new_recovery(&id, &code)
    })
    .await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

/// `DELETE /engine/api/users/{id}/totp`: an admin removes a user's second
/// factor (a lost device); audited.
pub async fn admin_reset(
    AdminUser(me): AdminUser,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let target = id.clone();
    let had = run(&state, &me.email, "totp.reset", &target, move |s| {
        s.auth().totp_reset(&id)
    })
    .await?;
    Ok(Json(json!({ "reset": had })))
}
