//! The JS `auth` object (REQ-AUTH-004, REQ-JSAPI-005).

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

const WHO: &str = r#"
register('/who', (req) => ({ body: {
  isAuthenticated: auth.isAuthenticated, userId: auth.userId, userEmail: auth.userEmail,
  userName: auth.userName, provider: auth.provider, role: auth.role, isEditor: auth.isEditor,
  isAdmin: auth.isAdmin, groups: auth.groups, same: req.auth === auth,
  manageSelf: auth.canManageScript('who.js'), user: auth.currentUser(),
}}));
register('/private', (req) => 'hello ' + req.auth.requireAuth().email);
register('/admin-only', (req) => { req.auth.requireAdmin(); return 'admin'; });
register('/later', async (req) => { await sleep(1); return (auth.isAuthenticated ? 'global' : 'anon') + '/' + req.auth.role; });
register('/esc', (req) => escapeHtml(req.query.s) + ' ' + escapeJs(req.query.s));
register('/csp', () => withCsp({ body: '<!doctype html><p>hi', headers: { 'x-a': '1' } }));
register('/csp2', () => withCsp('text', "default-src 'none'"));
"#;

#[tokio::test]
async fn test_req_jsapi_005_auth_anonymous_and_logged_in() {
    let eng = Engine::start().await;
    eng.deploy("who.js", WHO).await;
    let (_, ed) = user(&eng, "ed@example.com", "editor").await;
    eng.api("POST", "/engine/api/groups", Some(json!({"name": "team"})))
        .await;
    let me = call(&eng, &ed, "GET", "/engine/api/me", None).await.json();
    let m = json!({"user": me["id"]});
    eng.api("PUT", "/engine/api/groups/team/members", Some(m))
        .await;

    let anon = eng.get("/who").await.json();
    assert_eq!(anon["isAuthenticated"], false, "{anon}");
    assert_eq!(anon["role"], "unauthenticated");
    assert_eq!(anon["userId"], Value::Null);
    assert_eq!(anon["user"], Value::Null);
    assert_eq!(anon["groups"], json!([]));
    assert_eq!(anon["same"], true);

    let v = send(eng.req("GET", "/who").bearer_auth(&ed)).await.json();
    assert_eq!(v["isAuthenticated"], true, "{v}");
    assert_eq!(v["userEmail"], "ed@example.com");
    assert_eq!(v["userId"], me["id"]);
    assert_eq!(v["provider"], "password");
    assert_eq!(
        (
            v["role"].as_str(),
            v["isEditor"].as_bool(),
            v["isAdmin"].as_bool()
        ),
        (Some("editor"), Some(true), Some(false))
    );
    assert_eq!(v["groups"], json!(["team"]));
    assert_eq!(v["manageSelf"], false, "who.js belongs to the admin");
    assert_eq!(v["user"]["email"], "ed@example.com");
    let v = send(eng.req("GET", "/who").bearer_auth(&eng.token))
        .await
        .json();
    assert_eq!(
        (v["isAdmin"].as_bool(), v["manageSelf"].as_bool()),
        (Some(true), Some(true))
    );

    // The session cookie works on script routes too.
    let r = send(
        eng.req("GET", "/private")
            .header("cookie", format!("aiwebengine_session={ed}")),
    )
    .await;
    assert_eq!(r.text(), "hello ed@example.com");
}

#[tokio::test]
async fn test_req_auth_004_require_functions() {
    let eng = Engine::start().await;
    eng.deploy("who.js", WHO).await;
    let (_, ed) = user(&eng, "ed@example.com", "editor").await;

    let r = eng.get("/private").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.code(), "unauthorized");
    let r = send(
        eng.req("GET", "/private?x=1")
            .header("accept", "text/html,*/*"),
    )
    .await;
    assert_eq!(r.status, 302, "browsers go to the login page");
    assert_eq!(
        r.header("location").as_deref(),
        Some("/engine/auth/login?return_to=%2Fprivate%3Fx%3D1")
    );
    let r = send(eng.req("GET", "/admin-only").bearer_auth(&ed)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = send(eng.req("GET", "/admin-only").bearer_auth(&eng.token)).await;
    assert_eq!(r.text(), "admin");

    // After an await the global reads anonymous; req.auth stays right.
    let r = send(eng.req("GET", "/later").bearer_auth(&ed)).await;
    assert_eq!(r.text(), "anon/editor");

    let r = eng.get("/esc?s=%3Cb%20x%3D%22'%22%3E").await;
    assert_eq!(
        r.text(),
        r#"&lt;b x=&quot;&#39;&quot;&gt; \u003cb x=\u0022\u0027\u0022\u003e"#
    );

    let r = eng.get("/csp").await;
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    assert_eq!(r.header("x-a").as_deref(), Some("1"));
    assert!(
        r.content_type().starts_with("text/html"),
        "{}",
        r.content_type()
    );
    let r = eng.get("/csp2").await;
    assert_eq!(
        r.header("content-security-policy").as_deref(),
        Some("default-src 'none'")
    );
    assert_eq!(r.text(), "text");
}
