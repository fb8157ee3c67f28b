//! The engine as the OAuth 2.1 authorization server of its own `/mcp`
//! (issue 12, docs/mcp-auth.md): metadata, registration, the authorization
//! endpoint and its consent page, the token endpoint, refresh rotation,
//! revocation, and each refusal. tests/browser/oauth.test.mjs runs the same
//! flow with the real TypeScript SDK and Chromium; tests/oauth_mcp.rs the
//! tokens on /mcp.

mod common;
mod oauth_flow;

use common::*;
use oauth_flow::*;

#[tokio::test]
async fn test_req_mcp_001_oauth_metadata_documents() {
    let eng = Engine::start().await;
    let base = eng.server.base.clone();
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let r = eng.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        let v = r.json();
        assert_eq!(v["resource"], format!("{base}/mcp"), "{v}");
        assert_eq!(v["authorization_servers"], json!([base]), "{v}");
    }
    let v = eng
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(v["issuer"], base);
    assert_eq!(
        v["authorization_endpoint"],
        format!("{base}/engine/oauth/authorize")
    );
    assert_eq!(v["token_endpoint"], format!("{base}/engine/oauth/token"));
    assert_eq!(
        v["registration_endpoint"],
        format!("{base}/engine/oauth/register")
    );
    assert_eq!(
        v["revocation_endpoint"],
        format!("{base}/engine/oauth/revoke")
    );
    assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(v["token_endpoint_auth_methods_supported"], json!(["none"]));
    // Browser-based clients: readable from any origin, preflight included.
    let r = send(
        eng.req("OPTIONS", "/engine/oauth/register")
            .header("origin", "https://app.example"),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
}

#[tokio::test]
async fn test_req_mcp_001_oauth_public_url_from_config() {
    let eng = Engine::start_with(Opts::config(
        "[oauth]\npublic_url = \"https://engine.example.com\"\n",
    ))
    .await;
    let v = eng
        .get("/.well-known/oauth-protected-resource/mcp")
        .await
        .json();
    assert_eq!(v["resource"], "https://engine.example.com/mcp");
    let v = eng
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(v["issuer"], "https://engine.example.com");
    // Tokens are bound to that resource: asking for the loopback one fails.
    let client = register(&eng).await;
    let b = browser(&eng).await;
    let local = format!("{}/mcp", eng.server.base);
    let q = authorize_query(&client, &eng, &[("resource", &local)]);
    let r = consent(&eng, &b, &q, "allow").await;
    assert_eq!(location_query(&r)["error"], "invalid_target");
}

#[tokio::test]
async fn test_req_mcp_001_oauth_registration_rules() {
    let eng = Engine::start().await;
    let reg = |body: Value| send(eng.req("POST", "/engine/oauth/register").json(&body));
    let r = reg(json!({"client_name": "Agent", "redirect_uris": ["http://127.0.0.1:5000/cb", "https://app.example/cb"]})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["token_endpoint_auth_method"], "none");
    assert_eq!(v["client_name"], "Agent");
    assert!(v["client_id"].as_str().is_some_and(|s| s.len() >= 16));

    for (body, code) in [
        (
            json!({"redirect_uris": ["http://app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": "not a list"}),
            "invalid_client_metadata",
        ),
    ] {
        let r = reg(body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(oauth_error(&r), code, "{body}: {}", r.text());
        assert!(r.json()["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
    }
}

#[tokio::test]
async fn test_req_mcp_001_oauth_authorize_refusals() {
    let eng = Engine::start().await;
    let client = register(&eng).await;
    let b = browser(&eng).await;
    let get = |q: Vec<(String, String)>, cookie: Option<String>| {
        let mut rb = eng.req("GET", "/engine/oauth/authorize").query(&q);
        if let Some(c) = cookie {
            rb = rb.header("cookie", c);
        }
        send(rb)
    };
    // Not logged in: to the engine's login, then back here.
    let r = get(authorize_query(&client, &eng, &[]), None).await;
    assert_eq!(r.status, 303);
    let loc = r.header("location").unwrap();
    assert!(
        loc.starts_with("/engine/admin/login?next=%2Fengine%2Foauth%2Fauthorize%3F"),
        "{loc}"
    );
    // Logged in: the consent page names the client, with a CSRF field.
    let r = get(authorize_query(&client, &eng, &[]), Some(b.cookie.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains("Allow Test Agent to use this engine?"),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"{}\"", b.csrf)), "{page}");
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));

    // An unknown client or a redirect URI it did not register: a page, no redirect.
    let r = get(authorize_query("nope", &eng, &[]), Some(b.cookie.clone())).await;
    assert_eq!(
        (r.status, r.header("location")),
        (400, None),
        "{}",
        r.text()
    );
    let q = authorize_query(
        &client,
        &eng,
        &[("redirect_uri", "http://127.0.0.1:47000/elsewhere")],
    );
    let r = get(q, Some(b.cookie.clone())).await;
    assert_eq!(
        (r.status, r.header("location")),
        (400, None),
        "{}",
        r.text()
    );
    let q = authorize_query(
        &client,
        &eng,
        &[("redirect_uri", "https://evil.example/callback")],
    );
    assert_eq!(get(q, Some(b.cookie.clone())).await.status, 400);

    // The rest go back to the client, with its state and our issuer.
    for (extra, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("resource", "https://other.example/mcp")],
            "invalid_target",
        ),
        (vec![("scope", "admin")], "invalid_scope"),
    ] {
        let r = get(
            authorize_query(&client, &eng, &extra),
            Some(b.cookie.clone()),
        )
        .await;
        assert_eq!(r.status, 303, "{extra:?}: {}", r.text());
        let loc = r.header("location").unwrap();
        assert!(loc.starts_with(REDIRECT), "{loc}");
        let got = location_query(&r);
        assert_eq!(got["error"], error, "{extra:?}: {got:?}");
        assert_eq!(got["state"], "st-123");
        assert_eq!(got["iss"], eng.server.base);
    }

    // The consent form: CSRF-checked, and Deny says access_denied.
    let q = authorize_query(&client, &eng, &[]);
    let forged = Browser {
        cookie: b.cookie.clone(),
        csrf: "0".repeat(32),
    };
    let r = consent(&eng, &forged, &q, "allow").await;
    assert_eq!((r.status, r.header("location")), (403, None));
    let r = consent(&eng, &b, &q, "deny").await;
    assert_eq!(location_query(&r)["error"], "access_denied");
    // A loopback redirect may come back on another port (RFC 8252).
    let q = authorize_query(
        &client,
        &eng,
        &[("redirect_uri", "http://127.0.0.1:51234/callback")],
    );
    let r = consent(&eng, &b, &q, "allow").await;
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("http://127.0.0.1:51234/callback?code="));
}

#[tokio::test]
async fn test_req_mcp_001_oauth_code_exchange_is_pkce_checked_and_one_use() {
    let eng = Engine::start().await;
    let client = register(&eng).await;
    let b = browser(&eng).await;

    // A wrong verifier fails, and burns the code.
    let code1 = code(&eng, &b, &client).await;
    let wrong = "x".repeat(50);
    let r = exchange(&eng, &client, &code1, &wrong).await;
    assert_eq!(
        (r.status, oauth_error(&r)),
        (400, "invalid_grant".into()),
        "{}",
        r.text()
    );
    let r = exchange(&eng, &client, &code1, VERIFIER).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "a tried code stays used");

    // The right verifier gets tokens once; the replay is refused.
    let code2 = code(&eng, &b, &client).await;
    let r = exchange(&eng, &client, &code2, VERIFIER).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert!(v["refresh_token"].as_str().unwrap().starts_with("awr_"));
    let r = exchange(&eng, &client, &code2, VERIFIER).await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "replayed code: {}",
        r.text()
    );

    // Another redirect_uri, another client, another resource: refused.
    let code3 = code(&eng, &b, &client).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code3.as_str()),
        ("client_id", client.as_str()),
        ("redirect_uri", "http://127.0.0.1:47000/other"),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(oauth_error(&token(&eng, &form).await), "invalid_grant");
    let other = register(&eng).await;
    let code4 = code(&eng, &b, &client).await;
    assert_eq!(
        oauth_error(&exchange(&eng, &other, &code4, VERIFIER).await),
        "invalid_grant"
    );
    let code5 = code(&eng, &b, &client).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code5.as_str()),
        ("client_id", client.as_str()),
        ("code_verifier", VERIFIER),
        ("resource", "https://other.example/mcp"),
    ];
    assert_eq!(oauth_error(&token(&eng, &form).await), "invalid_target");
    let form = [("grant_type", "password"), ("client_id", client.as_str())];
    assert_eq!(
        oauth_error(&token(&eng, &form).await),
        "unsupported_grant_type"
    );

    // The access token is for /mcp only: the management API refuses it.
    let access = v["access_token"].as_str().unwrap();
    let r = send(eng.req("GET", "/engine/api/me").bearer_auth(access)).await;
    assert_eq!(r.status, 401, "{}", r.text());
}

#[tokio::test]
async fn test_req_mcp_001_oauth_refresh_rotates_and_a_replay_revokes() {
    let eng = Engine::start().await;
    let client = register(&eng).await;
    let b = browser(&eng).await;
    let c = code(&eng, &b, &client).await;
    let first = exchange(&eng, &client, &c, VERIFIER).await.json();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let other = register(&eng).await;
    assert_eq!(
        oauth_error(&refresh(&eng, &r1, &other).await),
        "invalid_grant",
        "another client's"
    );
    let r = refresh(&eng, &r1, &client).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r2 = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated");
    // The old one again: a copy is in use, so the whole grant ends.
    assert_eq!(
        oauth_error(&refresh(&eng, &r1, &client).await),
        "invalid_grant"
    );
    assert_eq!(
        oauth_error(&refresh(&eng, &r2, &client).await),
        "invalid_grant"
    );
}

#[tokio::test]
async fn test_req_mcp_001_oauth_grant_is_a_session_revocable_two_ways() {
    let eng = Engine::start().await;
    let client = register(&eng).await;
    let b = browser(&eng).await;
    // On the sessions page, named after the client; revoking it there ends it.
    let c = code(&eng, &b, &client).await;
    let t = exchange(&eng, &client, &c, VERIFIER).await.json();
    let sessions = eng.api("GET", "/engine/api/sessions", None).await.json();
    let grant = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["client"] == "Test Agent")
        .unwrap_or_else(|| panic!("no grant among {sessions}"))
        .clone();
    let r = eng
        .api(
            "DELETE",
            &format!("/engine/api/sessions/{}", grant["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        oauth_error(&refresh(&eng, &rt, &client).await),
        "invalid_grant"
    );

    // RFC 7009: the client revokes its own refresh token.
    let c = code(&eng, &b, &client).await;
    let t = exchange(&eng, &client, &c, VERIFIER).await.json();
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    let form = [("token", rt.as_str()), ("client_id", client.as_str())];
    let r = send(eng.req("POST", "/engine/oauth/revoke").form(&form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        oauth_error(&refresh(&eng, &rt, &client).await),
        "invalid_grant"
    );
    let left = eng.api("GET", "/engine/api/sessions", None).await.json();
    assert!(!left.to_string().contains("Test Agent"), "{left}");
    // Unknown tokens are ignored, as RFC 7009 says.
    let form = [("token", "whatever"), ("client_id", client.as_str())];
    assert_eq!(
        send(eng.req("POST", "/engine/oauth/revoke").form(&form))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn test_req_mcp_001_oauth_clients_and_grants_survive_a_restart() {
    let mut eng = Engine::start().await;
    let client = register(&eng).await;
    let b = browser(&eng).await;
    let c = code(&eng, &b, &client).await;
    let t = exchange(&eng, &client, &c, VERIFIER).await.json();
    eng.restart();
    let rt = t["refresh_token"].as_str().unwrap();
    let r = refresh(&eng, rt, &client).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The registered client still authorizes.
    let b = browser(&eng).await;
    let c = code(&eng, &b, &client).await;
    assert_eq!(exchange(&eng, &client, &c, VERIFIER).await.status, 200);
}
