//! The consent page (server-rendered, no script) and the problem page.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::authorize::Checked;
use crate::auth::Principal;
use crate::http::setup_page::esc;

/// No script at all; no framing (clickjacking). No `form-action`: the
/// answer to the form is a redirect to the client's own redirect URI.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How the client is known: registered here, or by the URL of its
/// Client ID Metadata Document (whose host vouches for the name).
fn known_as(client_id: &str) -> String {
    if crate::auth::oauth::cimd::is_metadata_url(client_id) {
        format!("an AI client described by <code>{}</code>", esc(client_id))
    } else {
        "an AI client registered here".into()
    }
}

pub(super) fn page(c: &Checked, user: &Principal, csrf: &str) -> Response {
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            esc(value)
        )
    };
    let mut fields = String::new();
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", c.client.client_id.as_str()),
        ("redirect_uri", c.redirect_uri.as_str()),
        ("code_challenge", c.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("resource", c.resource.as_str()),
        ("scope", c.scope.as_str()),
        ("csrf", csrf),
    ] {
        fields.push_str(&hidden(name, value));
    }
    if let Some(s) = &c.state {
        fields.push_str(&hidden("state", s));
    }
    let back_to = url::Url::parse(&c.redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| c.redirect_uri.clone());
    let body = format!(
        "<h1>Allow {name} to use this engine?</h1>\
         <p><strong>{name}</strong> ({known}) asks to act as you, \
         <strong>{email}</strong> (role: {role}), on <code>{resource}</code>.</p>\
         <p>It can call the MCP tools, read the resources and get the prompts that you may use, \
         with your rights, until you revoke it on the Sessions page. Its access tokens last one hour \
         and it renews them without asking you again.</p>\
         <p class=\"muted small\">After you answer, your browser goes back to <code>{back_to}</code>.</p>\
         <form method=\"post\" action=\"/engine/oauth/authorize\">{fields}\
         <div class=\"actions\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\" class=\"primary\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>",
        name = esc(&c.client.client_name),
        email = esc(&user.email),
        role = esc(&format!("{:?}", user.role).to_lowercase()),
        resource = esc(&c.resource),
        back_to = esc(&back_to),
        known = known_as(&c.client.client_id),
    );
    html(StatusCode::OK, "Allow access · aiwebengine", &body)
}

pub(super) fn problem(status: StatusCode, msg: &str) -> Response {
    let body = format!(
        "<h1>Cannot authorize this client</h1>\
         <div class=\"notice notice-error\" role=\"alert\">{}</div>",
        esc(msg)
    );
    html(status, "Authorization problem · aiwebengine", &body)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let css = crate::http::ui::app_css()
        .map(|href| format!("<link rel=\"stylesheet\" href=\"{href}\">"))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <link rel=\"icon\" href=\"/engine/admin/favicon.svg\" type=\"image/svg+xml\">{css}</head>\
         <body><div class=\"login-wrap\"><main class=\"login-card\">{body}</main></div></body></html>"
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
    // Not "no-referrer": with it Chromium sends `Origin: null` on the form
    // post, and the same-origin check would refuse the user's own answer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}
