//! The OAuth flow of a remote MCP client, driven by hand over HTTP: what a
//! browser and a client would send (tests/oauth.rs uses it).
#![allow(dead_code)]

use base64::Engine as _;

use super::common::*;

pub const REDIRECT: &str = "http://127.0.0.1:47000/callback";
pub const VERIFIER: &str = "a-verifier-that-is-long-enough-for-pkce-0123456789abcdef";

pub fn challenge(verifier: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
}

/// Registers a client with one loopback redirect URI; its client_id.
pub async fn register(eng: &Engine) -> String {
    let body = json!({"client_name": "Test Agent", "redirect_uris": [REDIRECT]});
    let r = send(eng.req("POST", "/engine/oauth/register").json(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["client_id"].as_str().unwrap().to_string()
}

/// A browser logged in as the admin: its session cookie and CSRF token.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub async fn browser(eng: &Engine) -> Browser {
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    Browser {
        cookie: format!("aiwebengine_session={}", v["token"].as_str().unwrap()),
        csrf: v["csrf_token"].as_str().unwrap().to_string(),
    }
}

/// The query of an authorization request, with `extra` pairs replacing
/// or adding to the usual ones (an empty value drops the pair).
pub fn authorize_query(
    client_id: &str,
    eng: &Engine,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let resource = format!("{}/mcp", eng.server.base);
    let ch = challenge(VERIFIER);
    let mut q: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "st-123"),
        ("resource", resource.as_str()),
        ("scope", "mcp"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        q.retain(|(qk, _)| qk != k);
        if !v.is_empty() {
            q.push((k.to_string(), v.to_string()));
        }
    }
    q
}

/// The consent form's POST (Allow), as the browser sends it.
pub async fn consent(eng: &Engine, b: &Browser, q: &[(String, String)], decision: &str) -> Resp {
    let mut form = q.to_vec();
    form.push(("csrf".into(), b.csrf.clone()));
    form.push(("decision".into(), decision.into()));
    let rb = eng
        .req("POST", "/engine/oauth/authorize")
        .header("cookie", &b.cookie)
        .header("origin", &eng.server.base)
        .form(&form);
    send(rb).await
}

/// The query pairs of a redirect's Location.
pub fn location_query(r: &Resp) -> std::collections::HashMap<String, String> {
    let loc = r
        .header("location")
        .unwrap_or_else(|| panic!("no Location: {} {}", r.status, r.text()));
    let url = url::Url::parse(&loc).unwrap_or_else(|e| panic!("Location {loc}: {e}"));
    url.query_pairs().into_owned().collect()
}

/// A code for `client_id`, through the consent page.
pub async fn code(eng: &Engine, b: &Browser, client_id: &str) -> String {
    let q = authorize_query(client_id, eng, &[]);
    let r = consent(eng, b, &q, "allow").await;
    assert_eq!(r.status, 303, "{}", r.text());
    let got = location_query(&r);
    assert_eq!(got.get("state").map(String::as_str), Some("st-123"));
    got["code"].clone()
}

pub async fn token(eng: &Engine, form: &[(&str, &str)]) -> Resp {
    send(eng.req("POST", "/engine/oauth/token").form(form)).await
}

/// Exchanges a code: the token response.
pub async fn exchange(eng: &Engine, client_id: &str, code: &str, verifier: &str) -> Resp {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token(eng, &form).await
}

/// `error` of an OAuth error body.
pub fn oauth_error(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or("").to_string()
}

/// A refresh_token grant: the token response.
pub async fn refresh(eng: &Engine, refresh_token: &str, client_id: &str) -> Resp {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
    ];
    token(eng, &form).await
}
