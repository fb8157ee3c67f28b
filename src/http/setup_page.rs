//! `/engine/admin/setup?token=…`: the first-run page behind the link that
//! `serve` prints. A plain HTML form (no script, strict CSP) that works
//! before the admin UI has anything to show; it posts back to itself.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

const CSP: &str = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn show(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    if !state.auth.setup_open() {
        return closed();
    }
    page(StatusCode::OK, &form(&q.token, ""))
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = super::request::read_body(&parts, body, 16 * 1024).await else {
        return page(StatusCode::BAD_REQUEST, "<p>The form was too large.</p>");
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
            &form(&token, "The two passwords differ."),
        );
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let st = state.clone();
    let tok = token.clone();
    let done = tokio::task::spawn_blocking(move || {
        st.auth.limiter.take("setup:")?;
        let name = Some(name.as_str()).filter(|n| !n.trim().is_empty());
        let user = st.auth.complete_setup(&tok, &email, &password, name)?;
        st.auth.audit(&user.email, "setup", &user.id, "ok");
        st.auth.start_session(user, &ip)
    })
    .await;
    match done {
        Ok(Ok(done)) => {
            let secure = parts.extensions.get::<super::OverTls>().is_some();
            let mut resp = page(
                StatusCode::OK,
                &format!(
                    "<p>Administrator {} created.</p><p><a href=\"/engine/admin/login\">Continue to the admin UI</a> and log in.</p>",
                    esc(&done.user.email)
                ),
            );
            super::auth::set_cookies(resp.headers_mut(), &done, secure);
            resp
        }
        Ok(Err(e)) if !state.auth.setup_open() => {
            tracing::info!("setup refused: {e}");
            closed()
        }
        Ok(Err(e)) => page(StatusCode::BAD_REQUEST, &form(&token, &e.to_string())),
        Err(e) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("<p>Internal error: {}</p>", esc(&e.to_string())),
        ),
    }
}

fn closed() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "<p>This setup link is invalid, used or expired, or an administrator already exists.</p>\
         <p><a href=\"/engine/admin/login\">Log in</a>, restart the server for a new link, \
         or run <code>aiwebengine admin create</code>.</p>",
    )
}

fn form(token: &str, error: &str) -> String {
    let error = match error {
        "" => String::new(),
        e => format!("<p role=\"alert\"><strong>{}</strong></p>", esc(e)),
    };
    format!(
        "<p>Create the first administrator of this server.</p>{error}\
         <form method=\"post\" action=\"/engine/admin/setup\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <p><label>Email<br><input name=\"email\" type=\"email\" required autocomplete=\"username\"></label></p>\
         <p><label>Name<br><input name=\"name\" autocomplete=\"name\"></label></p>\
         <p><label>Password (at least {min} characters)<br><input name=\"password\" type=\"password\" minlength=\"{min}\" required autocomplete=\"new-password\"></label></p>\
         <p><label>Password again<br><input name=\"password2\" type=\"password\" minlength=\"{min}\" required autocomplete=\"new-password\"></label></p>\
         <p><button type=\"submit\">Create administrator</button></p></form>",
        esc(token),
        min = crate::auth::MIN_PASSWORD_LEN,
    )
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>aiwebengine setup</title></head><body><main><h1>aiwebengine setup</h1>{body}</main></body></html>"
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
