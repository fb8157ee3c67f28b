//! `/engine/admin/setup?token=…`: the first-run page behind the link that
//! `serve` prints. A plain HTML form (no script, strict CSP) that works
//! before the admin UI has anything to show; it posts back to itself. It
//! uses the admin UI's stylesheet, so it looks like the login page.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::extract::ApiQuery;
use crate::http::AppState;

/// No script at all; styles and the icon from this server only.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn show(State(state): State<AppState>, ApiQuery(q): ApiQuery<TokenQuery>) -> Response {
    if !state.auth().setup_open() {
        return closed();
    }
    page(StatusCode::OK, &form(&q.token, "", "", ""))
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = super::request::read_body(&parts, body, 16 * 1024).await else {
        return page(
            StatusCode::BAD_REQUEST,
            &alert("The form was too large. Go back and try again."),
        );
    };
    let field = |name: &str| {
        form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (token, email, name, password) = (
        field("token"),
        field("email"),
        field("name"),
        field("password"),
    );
    if password != field("password2") {
        return page(
            StatusCode::BAD_REQUEST,
            &form(&token, "The two passwords differ.", &email, &name),
        );
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let st = state.clone();
    let tok = token.clone();
    let (email2, name2) = (email.clone(), name.clone());
    let done = tokio::task::spawn_blocking(move || {
        st.auth().limiter.take("setup:")?;
        let name = Some(name2.as_str()).filter(|n| !n.trim().is_empty());
        let user = st.auth().complete_setup(&tok, &email2, &password, name)?;
        st.auth().audit(&user.email, "setup", &user.id, "ok");
        st.auth().start_session(user, &ip)
    })
    .await;
    match done {
        Ok(Ok(done)) => {
            let secure = parts.extensions.get::<super::OverTls>().is_some();
            let mut resp = page(
                StatusCode::OK,
                &format!(
                    "<div class=\"notice notice-ok\" role=\"status\">Administrator {} created. You are logged in.</div>\
                     <p class=\"muted\">Next: write a script, add users for your team, and create API tokens for CI, all from the admin UI.</p>\
                     <a class=\"button primary\" href=\"/engine/admin/\">Open the admin UI</a>",
                    esc(&done.user.email)
                ),
            );
            super::auth::set_cookies(resp.headers_mut(), &done, secure);
            resp
        }
        Ok(Err(e)) if !state.auth().setup_open() => {
            tracing::info!("setup refused: {e}");
            closed()
        }
        Ok(Err(e)) => page(
            StatusCode::BAD_REQUEST,
            &form(&token, &e.to_string(), &email, &name),
        ),
        Err(e) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &alert(&format!("Internal error: {e}")),
        ),
    }
}

fn closed() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "<div class=\"notice notice-error\" role=\"alert\">This setup link is invalid, used or expired, \
         or an administrator already exists.</div>\
         <p>If you have an account, <a href=\"/engine/admin/login\">log in</a>. Otherwise restart the \
         server for a new link, or run <code>aiwebengine admin create</code> on the server.</p>",
    )
}

fn alert(msg: &str) -> String {
    format!(
        "<div class=\"notice notice-error\" role=\"alert\">{}</div>",
        esc(msg)
    )
}

/// The form, with the error of the last attempt and what was typed (but
/// never the passwords).
fn form(token: &str, error: &str, email: &str, name: &str) -> String {
    let error = match error {
        "" => String::new(),
        e => alert(e),
    };
    format!(
        "<p class=\"muted\">Create the first administrator of this server. This link works once.</p>{error}\
         <form class=\"setup-form\" method=\"post\" action=\"/engine/admin/setup\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{}\">\
         <label for=\"name\">Name</label>\
         <input id=\"name\" name=\"name\" autocomplete=\"name\" value=\"{}\" aria-describedby=\"name-help\">\
         <span id=\"name-help\" class=\"muted small\">Optional: how the UI shows you.</span>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" minlength=\"{min}\" required autocomplete=\"new-password\" aria-describedby=\"password-help\">\
         <span id=\"password-help\" class=\"muted small\">At least {min} characters.</span>\
         <label for=\"password2\">Password again</label>\
         <input id=\"password2\" name=\"password2\" type=\"password\" minlength=\"{min}\" required autocomplete=\"new-password\">\
         <button type=\"submit\" class=\"primary\">Create administrator</button></form>",
        esc(token),
        esc(email),
        esc(name),
        min = crate::auth::MIN_PASSWORD_LEN,
    )
}

fn page(status: StatusCode, body: &str) -> Response {
    let css = super::ui::app_css()
        .map(|href| format!("<link rel=\"stylesheet\" href=\"{href}\">"))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light\">\
         <title>Set up aiwebengine</title>\
         <link rel=\"icon\" href=\"/engine/admin/favicon.svg\" type=\"image/svg+xml\">{css}</head>\
         <body><div class=\"login-wrap\"><main class=\"login-card setup-card\">\
         <h1>Set up aiwebengine</h1>{body}</main></div></body></html>"
    );
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
