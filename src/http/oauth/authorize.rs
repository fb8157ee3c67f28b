//! `GET /engine/oauth/authorize` and the consent form's `POST` back:
//! authorization code with PKCE S256 only, exact redirect URIs (any port
//! on loopback), the resource indicator, then the user's consent.
//!
//! Problems with the client or its redirect URI are shown to the user (a
//! redirect to an unverified URI would be an open redirector); the rest go
//! back to the client as `?error=...&state=...&iss=...`.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{base_url, consent, MCP_PATH};
use crate::auth::oauth::{
    check_resource, check_scope, redirect_matches, CodeRequest, OAuthClient, OAuthError,
};
use crate::auth::Principal;
use crate::http::auth::{cookie, SESSION_COOKIE};
use crate::http::{AppState, OverTls};

/// An authorization request, as the query (GET) or the form (POST) has it.
pub(super) type Params = HashMap<String, String>;

/// A checked request: what the consent page shows and the code binds.
pub(super) struct Checked {
    pub client: OAuthClient,
    pub redirect_uri: String,
    pub challenge: String,
    pub resource: String,
    pub scope: String,
    pub state: Option<String>,
    pub iss: String,
}

/// Why a request cannot go on: shown here, or sent back to the client.
pub(super) enum Refusal {
    Page(StatusCode, String),
    Back(String, Option<String>, String, OAuthError),
}

pub async fn show(State(state): State<AppState>, req: Request) -> Response {
    let params: Params = parse(req.uri().query().unwrap_or("").as_bytes());
    let checked = match check(
        &state,
        req.headers(),
        req.extensions().get::<OverTls>(),
        params,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return refuse(r),
    };
    let Some(user) = browser_user(&state, req.headers()) else {
        // The engine's own login, then back here with the same query.
        let back = format!(
            "/engine/oauth/authorize?{}",
            req.uri().query().unwrap_or("")
        );
        let login = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &back)
            .finish();
        return Redirect::to(&format!("/engine/admin/login?{login}")).into_response();
    };
    let csrf = user
        .session_id
        .as_deref()
        .map(|s| state.auth().csrf_token(s))
        .unwrap_or_default();
    consent::page(&checked, &user, &csrf)
}

pub async fn decide(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = crate::http::request::read_body(&parts, body, 64 * 1024).await else {
        return consent::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The consent form was too large.",
        );
    };
    let mut params = parse(&body);
    let Some(user) = browser_user(&state, &parts.headers) else {
        return consent::problem(
            StatusCode::UNAUTHORIZED,
            "Your login session ended before you answered. Start the connection from your AI client again.",
        );
    };
    let expected = user
        .session_id
        .as_deref()
        .map(|s| state.auth().csrf_token(s));
    let sent = params.remove("csrf");
    if expected.is_none() || sent != expected || !same_origin(&parts.headers) {
        return consent::problem(
            StatusCode::FORBIDDEN,
            "This consent form did not come from this server's page (CSRF check failed). Start the connection from your AI client again.",
        );
    }
    let allow = params.remove("decision").as_deref() == Some("allow");
    let c = match check(
        &state,
        &parts.headers,
        parts.extensions.get::<OverTls>(),
        params,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return refuse(r),
    };
    if !allow {
        let denied = OAuthError::AccessDenied("the user declined the request".into());
        return refuse(Refusal::Back(c.redirect_uri, c.state, c.iss, denied));
    }
    let target = c.redirect_uri.clone();
    let code = state.auth().issue_oauth_code(CodeRequest {
        client_id: c.client.client_id,
        redirect_uri: c.redirect_uri,
        code_challenge: c.challenge,
        resource: c.resource,
        scope: c.scope,
        user_id: user.id.clone(),
    });
    let mut pairs = vec![("code", code)];
    pairs.extend(c.state.map(|s| ("state", s)));
    pairs.push(("iss", c.iss));
    see_other(&with_query(&target, &pairs))
}

async fn check(
    state: &AppState,
    headers: &HeaderMap,
    tls: Option<&OverTls>,
    mut p: Params,
) -> Result<Checked, Refusal> {
    let iss = base_url(state, headers, tls);
    let page = |msg: String| Refusal::Page(StatusCode::BAD_REQUEST, msg);
    let client_id = p.remove("client_id").unwrap_or_default();
    if client_id.is_empty() {
        return Err(page("The request has no client_id. Your AI client sent an incomplete authorization request.".into()));
    }
    let client = super::cimd::client(state, &client_id)
        .await
        .map_err(|e| page(format!("{e}.")))?;
    let redirect_uri = match p.remove("redirect_uri") {
        Some(r) if redirect_matches(&client.redirect_uris, &r) => r,
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        _ => {
            return Err(page(format!(
                "The redirect_uri is missing or is not one that {:?} registered, so this server will not send you there.",
                client.client_name
            )))
        }
    };
    let st = p.remove("state");
    let back = |e: OAuthError| Refusal::Back(redirect_uri.clone(), st.clone(), iss.clone(), e);
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Err(back(OAuthError::UnsupportedResponseType(
            "response_type must be \"code\" (the authorization code flow)".into(),
        )));
    }
    let challenge = p
        .remove("code_challenge")
        .filter(|c| (43..=128).contains(&c.len()));
    let Some(challenge) = challenge else {
        return Err(back(OAuthError::InvalidRequest(
            "PKCE is required: send code_challenge (43 to 128 characters) with code_challenge_method=S256".into(),
        )));
    };
    if p.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(back(OAuthError::InvalidRequest(
            "code_challenge_method must be S256; \"plain\" is not accepted".into(),
        )));
    }
    let resource = format!("{iss}{MCP_PATH}");
    let resource =
        check_resource(p.get("resource").map(String::as_str), &resource).map_err(back)?;
    let scope = check_scope(p.get("scope").map(String::as_str)).map_err(back)?;
    Ok(Checked {
        client,
        redirect_uri,
        challenge,
        resource,
        scope,
        state: st,
        iss,
    })
}

/// The browser's logged-in user, from the session cookie.
fn browser_user(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let token = cookie(headers, SESSION_COOKIE)?;
    state.auth().authenticate(token).ok()
}

/// A form post must come from this host (Origin, else Referer).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest))
        .map(|rest| rest.split('/').next().unwrap_or(""));
    matches!((host, from), (Some(h), Some(f)) if h.eq_ignore_ascii_case(f))
}

fn refuse(r: Refusal) -> Response {
    match r {
        Refusal::Page(status, msg) => consent::problem(status, &msg),
        Refusal::Back(uri, state, iss, e) => {
            let mut pairs = vec![
                ("error", e.code().to_string()),
                ("error_description", e.to_string()),
            ];
            pairs.extend(state.map(|s| ("state", s)));
            pairs.push(("iss", iss));
            see_other(&with_query(&uri, &pairs))
        }
    }
}

fn with_query(uri: &str, pairs: &[(&str, String)]) -> String {
    let Ok(mut url) = url::Url::parse(uri) else {
        return uri.to_string();
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    url.to_string()
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

pub(super) fn parse(bytes: &[u8]) -> Params {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}
