//! `GET /engine/auth/login`: the server-rendered login page (no script)
//! listing the sign-in providers and, unless `auth.password_login` is
//! off, the password form; and `GET /engine/auth/logout`, its logout
//! counterpart. Both take a same-site `return_to` path.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::auth::{cookie, set_cookies, OverTls, CSRF_COOKIE, SESSION_COOKIE};
use super::extract::ApiQuery;
use super::oidc::{append_cookie, origin, see_other, DEFAULT_RETURN};
use super::setup_page::{esc, html_page};
use crate::auth::oidc::safe_return_to;
use crate::auth::{AuthError, LoginStep, PENDING_SECONDS};
use crate::http::AppState;

#[derive(Deserialize)]
pub struct PageQuery {
    return_to: Option<String>,
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn show(State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> Response {
    let return_to = safe_return_to(q.return_to.as_deref(), DEFAULT_RETURN);
    page(&state, StatusCode::OK, &return_to, "", "")
}

fn page(
    state: &AppState,
    status: StatusCode,
    return_to: &str,
    error: &str,
    email: &str,
) -> Response {
    let mut body = String::new();
    if !error.is_empty() {
        body.push_str(&format!(
            "<div class=\"notice notice-error\" role=\"alert\">{}</div>",
            esc(error)
        ));
    }
    let providers = state.oidc().providers();
    if !providers.is_empty() {
        body.push_str("<nav class=\"providers\" aria-label=\"Sign in with\">");
        for (name, p) in providers.iter() {
            body.push_str(&format!(
                "<p><a class=\"button\" id=\"provider-{name}\" href=\"/engine/auth/oidc/{name}?return_to={}\">Sign in with {}</a></p>",
                esc(&enc(return_to)),
                esc(&p.spec.display_name)
            ));
        }
        body.push_str("</nav>");
    }
    if state.live().current().config.auth.password_login {
        body.push_str(&format!(
            "<form class=\"setup-form\" method=\"post\" action=\"/engine/auth/login/form\">\
             <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
             <label for=\"email\">Email</label>\
             <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{}\">\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\" class=\"primary\">Log in</button></form>",
            esc(return_to),
            esc(email)
        ));
    } else if providers.is_empty() {
        body.push_str("<p>No way to log in is configured: set auth.password_login = true or add [auth.providers.NAME].</p>");
    }
    html_page(status, "Log in to aiwebengine", &body)
}

/// `GET /engine/auth/providers`: what the admin UI's login page offers
/// (public: the names are on the login page anyway).
pub async fn providers(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = state
        .oidc()
        .providers()
        .iter()
        .map(|(name, p)| serde_json::json!({ "name": name, "display_name": p.spec.display_name }))
        .collect();
    axum::Json(serde_json::json!({
        "providers": list,
        "password_login": state.live().current().config.auth.password_login,
    }))
}

/// `POST /engine/auth/login/form`: the page's password form.
pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 16 * 1024)
        .await
        .unwrap_or_default();
    let field = |name: &str| form_field(&body, name);
    let (email, password) = (field("email"), field("password"));
    let return_to = safe_return_to(Some(&field("return_to")), DEFAULT_RETURN);
    if !state.live().current().config.auth.password_login {
        let msg = "password login is turned off (auth.password_login); use a provider";
        return page(&state, StatusCode::FORBIDDEN, &return_to, msg, &email);
    }
    if let Err(e) = state.auth().limiter.take(&email) {
        return page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &return_to,
            &e.to_string(),
            &email,
        );
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let (st, em) = (state.clone(), email.clone());
    let done = tokio::task::spawn_blocking(move || st.auth().login(&em, &password, &ip)).await;
    match done {
        Ok(Ok(LoginStep::Session(done))) => {
            state.auth().limiter.refund(&email);
            let secure = parts.extensions.get::<OverTls>().is_some();
            let mut resp = see_other(&return_to);
            set_cookies(resp.headers_mut(), &done, secure);
            resp
        }
        Ok(Ok(LoginStep::Totp(p))) => {
            // The password was right; the second factor is asked next.
            state.auth().limiter.refund(&email);
            let secure = parts.extensions.get::<OverTls>().is_some();
            let next = super::totp::pending_login_url(&p, Some(&return_to));
            let mut resp = see_other(&next);
            super::totp::set_pending_cookie(&mut resp, &p.token, PENDING_SECONDS, secure);
            resp
        }
        Ok(Err(e @ AuthError::BadCredentials)) => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            page(
                &state,
                StatusCode::UNAUTHORIZED,
                &return_to,
                &e.to_string(),
                &email,
            )
        }
        Ok(Err(e)) => page(
            &state,
            StatusCode::BAD_REQUEST,
            &return_to,
            &e.to_string(),
            &email,
        ),
        Err(e) => page(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            &return_to,
            &e.to_string(),
            &email,
        ),
    }
}

/// `GET /engine/auth/logout?return_to=/path`: a confirmation form (a
/// logout must not happen on a cross-site GET); not logged in: straight on.
pub async fn logout_page(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
    req: Request,
) -> Response {
    let return_to = safe_return_to(q.return_to.as_deref(), "/");
    let session = cookie(req.headers(), SESSION_COOKIE)
        .and_then(|t| state.auth().authenticate(t).ok())
        .and_then(|p| p.session_id);
    let Some(sid) = session else {
        return see_other(&return_to);
    };
    let body = format!(
        "<form class=\"setup-form\" method=\"post\" action=\"/engine/auth/logout/form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <button type=\"submit\" class=\"primary\" id=\"logout\">Log out</button></form>",
        esc(&state.auth().csrf_token(&sid)),
        esc(&return_to)
    );
    let mut resp = html_page(StatusCode::OK, "Log out of aiwebengine", &body);
    // The form's answer may redirect to the provider's logout endpoint,
    // which a `form-action 'self'` would block.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"),
    );
    resp
}

/// `POST /engine/auth/logout/form`: revokes the session (the CSRF token
/// of the session must come along), clears the cookies, and ends the
/// session at the provider too when its config asks for that.
pub async fn logout_submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = super::request::read_body(&parts, body, 16 * 1024)
        .await
        .unwrap_or_default();
    let field = |name: &str| form_field(&body, name);
    let return_to = safe_return_to(Some(&field("return_to")), "/");
    let principal =
        cookie(&parts.headers, SESSION_COOKIE).and_then(|t| state.auth().authenticate(t).ok());
    let Some(sid) = principal.and_then(|p| p.session_id) else {
        return see_other(&return_to);
    };
    if field("csrf") != state.auth().csrf_token(&sid) {
        let body = "<div class=\"notice notice-error\" role=\"alert\">This logout form is stale; open the logout page again.</div>";
        return html_page(StatusCode::FORBIDDEN, "Log out of aiwebengine", body);
    }
    let st = state.clone();
    let s2 = sid.clone();
    let _ = tokio::task::spawn_blocking(move || st.auth().revoke_session(&s2, None)).await;
    let came_through = state.oidc().forget_session(&sid);
    let back = format!("{}{return_to}", origin(&parts));
    let target = came_through
        .and_then(|(name, id_token)| {
            let p = state.oidc().provider(&name).ok()?;
            let end = p
                .end_session_endpoint()
                .filter(|_| p.spec.logout_at_provider)?;
            let mut url = url::Url::parse(&end).ok()?;
            url.query_pairs_mut()
                .append_pair("client_id", &p.spec.client_id)
                .append_pair("id_token_hint", &id_token)
                .append_pair("post_logout_redirect_uri", &back);
            Some(url.to_string())
        })
        .unwrap_or(return_to);
    let mut resp = see_other(&target);
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        append_cookie(
            resp.headers_mut(),
            &format!("{name}=; SameSite=Lax; Path=/; Max-Age=0"),
        );
    }
    resp
}

/// One field of a urlencoded form body ("" when absent).
fn form_field(body: &[u8], name: &str) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
