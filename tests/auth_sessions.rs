//! Sessions (issue 4 §1): logout and refresh, cookies and CSRF, API
//! tokens, the login rate limit.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::tls::*;
use common::*;

#[tokio::test]
async fn test_req_auth_002_logout_and_log_out_everywhere() {
    let eng = Engine::start().await;
    let (_, t1) = user(&eng, "ed@example.com", "editor").await;
    let t2 = eng.server.login("ed@example.com", USER_PASS).await;
    let t3 = eng.server.login("ed@example.com", USER_PASS).await;
    let r = call(&eng, &t1, "GET", "/engine/api/sessions", None).await;
    let sessions = r.json()["sessions"].as_array().cloned().unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    assert_eq!(
        call(&eng, &t1, "POST", "/engine/auth/logout", None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&eng, &t1, "GET", "/engine/api/me", None).await.status,
        401
    );
    assert_eq!(
        call(&eng, &t2, "GET", "/engine/api/me", None).await.status,
        200
    );

    let r = call(&eng, &t2, "DELETE", "/engine/api/sessions", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["revoked"], 2);
    assert_eq!(
        call(&eng, &t2, "GET", "/engine/api/me", None).await.status,
        401
    );
    assert_eq!(
        call(&eng, &t3, "GET", "/engine/api/me", None).await.status,
        401
    );
}

/// Starts a server on a new data file and reads the printed setup token.
fn cookie_value(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {set_cookies:?}"))
        .to_string()
}

#[tokio::test]
async fn test_req_auth_003_cookie_flags_and_csrf() {
    let eng = Engine::start().await;
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&body)).await;
    let set: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("aiwebengine_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("aiwebengine_csrf="))
        .unwrap();
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "the page must read it: {csrf_cookie}"
    );
    let sess = cookie_value(&set, "aiwebengine_session");
    let csrf = cookie_value(&set, "aiwebengine_csrf");
    let cookie = format!("aiwebengine_session={sess}; aiwebengine_csrf={csrf}");
    let origin = eng.server.base.clone();
    let put = |csrf: Option<&str>, origin: Option<&str>| {
        let mut rb = eng
            .req("PUT", "/engine/api/scripts/c.js")
            .header("cookie", &cookie)
            .body("register('/c', () => 'c');");
        if let Some(c) = csrf {
            rb = rb.header("x-csrf-token", c);
        }
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        send(rb)
    };

    let r = send(
        eng.req("GET", "/engine/api/scripts")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, 200, "safe methods need no CSRF token");
    let r = put(None, Some(&origin)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "csrf_failed");
    assert_eq!(
        put(Some("0123456789abcdef"), Some(&origin)).await.status,
        403
    );
    assert_eq!(
        put(Some(&csrf), Some("http://evil.example")).await.status,
        403
    );
    assert_eq!(
        put(Some(&csrf), None).await.status,
        403,
        "no Origin nor Referer"
    );
    assert_eq!(eng.get("/c").await.status, 404, "nothing was stored");
    let r = put(Some(&csrf), Some(&origin)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    // Bearer requests need no CSRF token.
    assert_eq!(
        eng.api("DELETE", "/engine/api/scripts/c.js", None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn test_req_auth_002_api_tokens() {
    let eng = Engine::start().await;
    eng.deploy(
        "who.js",
        "register('/who', (req) => req.auth.userEmail || 'nobody');",
    )
    .await;
    let r = eng
        .api(
            "POST",
            "/engine/api/tokens",
            Some(json!({"name": "ci", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let (id, secret) = (v["id"].as_str().unwrap(), v["token"].as_str().unwrap());
    assert!(v["expires_at"].is_string(), "{v}");

    let list = eng.api("GET", "/engine/api/tokens", None).await;
    assert!(
        !list.text().contains(secret),
        "shown once only: {}",
        list.text()
    );
    assert_eq!(list.json()["tokens"][0]["name"], "ci");
    let r = send(eng.req("GET", "/engine/api/scripts").bearer_auth(secret)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(eng.req("GET", "/who").bearer_auth(secret)).await;
    assert_eq!(r.text(), ADMIN_EMAIL);

    let r = eng
        .api("DELETE", &format!("/engine/api/tokens/{id}"), None)
        .await;
    assert_eq!(r.status, 204);
    let r = send(eng.req("GET", "/engine/api/scripts").bearer_auth(secret)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        send(eng.req("GET", "/who").bearer_auth(secret))
            .await
            .text(),
        "nobody"
    );
}

#[tokio::test]
async fn test_req_auth_002_login_rate_limited_per_account() {
    let eng = Engine::start().await;
    let mut tasks = Vec::new();
    // 20 failures are allowed at once, taken up front so that a parallel
    // burst cannot slip through.
    for _ in 0..22 {
        let rb = eng
            .req("POST", "/engine/auth/login")
            .json(&json!({"email": "victim@example.com", "password": "wrong password!"}));
        tasks.push(tokio::spawn(send(rb)));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let r = send(
        eng.req("POST", "/engine/auth/login")
            .json(&json!({"email": "victim@example.com", "password": "x"})),
    )
    .await;
    assert_eq!(r.code(), "rate_limited", "{}", r.text());
    // Another account from the same address still gets in.
    eng.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
}

#[tokio::test]
async fn test_req_auth_003_secure_cookie_over_https() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let s = start_https(&dir.data, None);
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASS});
    let rb = pinned_client(&s.fingerprint)
        .post(s.url("/engine/auth/login"))
        .json(&body);
    let r = send(rb).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let cookies: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for c in cookies {
        let c = c.to_str().unwrap();
        assert!(c.contains("; Secure") && c.contains("Max-Age="), "{c}");
    }
}

#[tokio::test]
async fn test_req_auth_002_refresh_keeps_the_session() {
    let eng = Engine::start().await;
    let (_, t1) = user(&eng, "ed@example.com", "editor").await;
    let r = call(&eng, &t1, "POST", "/engine/auth/refresh", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t2 = r.json()["token"].as_str().unwrap().to_string();
    assert!(r.header("set-cookie").is_some());
    assert_eq!(
        call(&eng, &t2, "GET", "/engine/api/me", None).await.status,
        200
    );
    assert_eq!(
        call(&eng, &t2, "POST", "/engine/auth/logout", None)
            .await
            .status,
        204
    );
    // One session: logging out ends both tokens.
    assert_eq!(
        call(&eng, &t1, "GET", "/engine/api/me", None).await.status,
        401
    );
    assert_eq!(
        call(&eng, &t2, "GET", "/engine/api/me", None).await.status,
        401
    );
}

/// `[auth]`: `session_length` sets the cookie lifetime; `password_login =
/// false` (live, from the settings) refuses password logins.
#[tokio::test]
async fn test_req_auth_002_auth_section_session_length_and_password_login() {
    let opts = Opts {
        config: Some("[auth]\nsession_length = \"1h\"\nmax_session = \"2h\"\n".into()),
        ..Opts::default()
    };
    let eng = Engine::start_with(opts).await;
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let cookie = r.header("set-cookie").unwrap_or_default();
    assert!(cookie.contains("Max-Age=3600"), "{cookie}");

    let off = json!({"key": "auth.password_login", "value": false});
    let r = eng.api("PUT", "/engine/api/config", Some(off)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(eng.req("POST", "/engine/auth/login").json(&body)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "password_login_disabled");
    let page = eng.get("/engine/auth/login").await.text();
    assert!(
        !page.contains("type=\"password\""),
        "no password form: {page}"
    );
    assert!(page.contains("No way to log in is configured"), "{page}");
}
