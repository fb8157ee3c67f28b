//! The management API (issue 3 §6): auth, script CRUD, names, enable and
//! disable. Versions, logs, hot reload and restarts are in scripts_lifecycle.rs.

mod common;

use common::*;

fn script_path(name: &str) -> String {
    format!("/engine/api/scripts/{name}")
}

#[tokio::test]
async fn test_api_requires_a_token() {
    let eng = Engine::start().await;
    let r = send(eng.req("GET", "/engine/api/scripts")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "unauthorized", "{}", r.text());
    let r = send(
        eng.req("GET", "/engine/api/scripts")
            .bearer_auth("not.a.jwt"),
    )
    .await;
    assert_eq!(r.status, 401);
    let put = eng
        .req("PUT", &script_path("sneaky.js"))
        .body("register('/s', () => 's');");
    assert_eq!(send(put).await.status, 401);
    assert_eq!(eng.get("/s").await.status, 404, "nothing was stored");
}

#[tokio::test]
async fn test_login_token_user_and_cookie() {
    let eng = Engine::start().await;
    let bad = json!({"email": ADMIN_EMAIL, "password": "wrong password"});
    let r = send(eng.req("POST", "/engine/auth/login").json(&bad)).await;
    assert_eq!(r.status, 401, "{}", r.text());
    let nobody = json!({"email": "nobody@example.com", "password": ADMIN_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&nobody)).await;
    assert_eq!(r.status, 401, "{}", r.text());

    let good = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&good)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(v["token"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    assert!(v["user"]["id"].is_string(), "ids are strings: {v}");
    assert_eq!(v["user"]["email"], ADMIN_EMAIL);
    assert!(
        v["user"].get("name").is_some() && v["user"]["role"].is_string(),
        "{v}"
    );
    let cookie = r.header("set-cookie").unwrap_or_default();
    assert!(
        cookie.to_lowercase().contains("httponly"),
        "session cookie: {cookie:?}"
    );
}

#[tokio::test]
async fn test_req_js_007_put_creates_then_updates() {
    let eng = Engine::start().await;
    let (status, v) = eng
        .put_script("blog.js", "register('/blog', () => 'b1');")
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["name"], "blog.js");
    assert_eq!(v["version"], 1);
    assert_eq!(v["routes"], json!([{"method": "GET", "path": "/blog"}]));
    let src = "register('/blog', () => 'b2'); register('/blog', () => 'p', 'POST');";
    let (status, v) = eng.put_script("blog.js", src).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["version"], 2);
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{v}");
    assert!(
        routes.contains(&json!({"method": "POST", "path": "/blog"})),
        "{v}"
    );
}

#[tokio::test]
async fn test_req_js_006_syntax_error_is_400_and_old_version_serves() {
    let eng = Engine::start().await;
    eng.deploy("se.js", "register('/se', () => 'v1');").await;
    let (status, v) = eng
        .put_script("se.js", "register('/se', () => 'v2');\n\nlet x = ;\n")
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "script_load_error", "{v}");
    assert_eq!(v["error"]["line"], 3, "line of the syntax error: {v}");
    assert!(
        v["error"]["column"].as_u64().is_some_and(|c| c > 0),
        "column: {v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    assert_eq!(
        eng.get("/se").await.text(),
        "v1",
        "previous version keeps serving"
    );

    // A load (top-level runtime) error is refused the same way.
    let (status, v) = eng
        .put_script("se.js", "register('/se', () => 'v3');\nnull.foo;\n")
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["line"], 2, "{v}");
    assert_eq!(eng.get("/se").await.text(), "v1");
    let one = eng.api("GET", &script_path("se.js"), None).await.json();
    assert_eq!(one["version"], 1, "refused saves store nothing: {one}");
}

#[tokio::test]
async fn test_req_js_005_script_size_limit_413() {
    let eng = Engine::start().await;
    let limit = 1024 * 1024;
    let at_limit = format!("//{}", "x".repeat(limit - 2));
    let (status, v) = eng.put_script("big.js", &at_limit).await;
    assert!(status == 201, "exactly 1 MB is allowed: {status} {v}");
    let over = format!("//{}", "x".repeat(limit - 1));
    let (status, v) = eng.put_script("bigger.js", &over).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["code"], "payload_too_large", "{v}");
}

#[tokio::test]
async fn test_req_sec_001_invalid_script_names_are_400() {
    let eng = Engine::start().await;
    let long = "a".repeat(256);
    let bad = [
        "a%2F%2Fb",
        "%2Fa",
        "a%01b",
        "%20",
        "-lead",
        ".hidden",
        "caf%C3%A9.js",
        "a%20b",
        &long,
    ];
    for name in bad {
        let (status, v) = eng.put_script(name, "register('/n', () => 'n');").await;
        assert_eq!(status, 400, "name {name:?}: {v}");
        assert_eq!(v["error"]["code"], "invalid_name", "name {name:?}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains("A-Za-z0-9") || message.contains("255"),
            "message states the rule: {message}"
        );
    }
    // `..` must go raw: HTTP clients normalise dot segments away.
    let req = format!(
        "PUT /engine/api/scripts/.. HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Length: 1\r\nConnection: close\r\n\r\n;",
        eng.token
    );
    let raw = raw_http(&eng.server.addr, req.as_bytes());
    assert_eq!(raw_status(&raw), 400, "name `..`: {raw}");
    // The longest legal name and the allowed punctuation are fine.
    for name in ["a".repeat(128), "Shop_api-2.v1.js".to_string()] {
        let (status, v) = eng.put_script(&name, "// ok").await;
        assert_eq!(status, 201, "{name}: {v}");
    }
}

#[tokio::test]
async fn test_list_and_get_shapes() {
    let eng = Engine::start().await;
    let src = "register('/shape', () => 'shape');";
    eng.deploy("shape.js", src).await;
    let list = eng.api("GET", "/engine/api/scripts", None).await.json();
    let scripts = list["scripts"].as_array().expect("{\"scripts\": [...]}");
    let s = scripts
        .iter()
        .find(|s| s["name"] == "shape.js")
        .expect("listed");
    assert_eq!(s["version"], 1);
    assert_eq!(s["size"], src.len());
    assert_eq!(s["enabled"], true);
    assert!(!s["updated_at"].is_null(), "{s}");
    assert_eq!(
        s["routes"],
        json!([{"method": "GET", "path": "/shape"}]),
        "{s}"
    );
    assert!(s.get("error").is_some(), "error field present: {s}");

    let one = eng.api("GET", &script_path("shape.js"), None).await;
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(one["name"], "shape.js");
    assert_eq!(one["source"], src);
    assert_eq!(one["version"], 1);
    assert_eq!(one["enabled"], true);
    assert!(
        !one["updated_at"].is_null() && one["routes"].is_array(),
        "{one}"
    );

    let missing = eng.api("GET", &script_path("missing.js"), None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.code(), "not_found");
}

#[tokio::test]
async fn test_delete_removes_routes_at_once() {
    let eng = Engine::start().await;
    eng.deploy("gone.js", "register('/gone', () => 'here');")
        .await;
    assert_eq!(eng.get("/gone").await.status, 200);
    let r = eng.api("DELETE", &script_path("gone.js"), None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        eng.get("/gone").await.status,
        404,
        "routes answer 404 at once"
    );
    assert_eq!(
        eng.api("GET", &script_path("gone.js"), None).await.status,
        404
    );
    assert_eq!(
        eng.api("DELETE", &script_path("gone.js"), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn test_patch_enabled_and_new_version_keeps_it() {
    let eng = Engine::start().await;
    eng.deploy("toggle.js", "register('/toggle', () => 'v1');")
        .await;
    let off = Some(json!({"enabled": false}));
    let r = eng.api("PATCH", &script_path("toggle.js"), off).await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        eng.get("/toggle").await.status,
        404,
        "disabled script's routes 404"
    );
    assert_eq!(
        eng.api("GET", &script_path("toggle.js"), None).await.json()["enabled"],
        false
    );

    // A disabled script claims no routes, so another script may take the path.
    eng.deploy("other.js", "register('/toggle', () => 'other');")
        .await;
    assert_eq!(eng.get("/toggle").await.text(), "other");
    let r = eng.api("DELETE", &script_path("other.js"), None).await;
    assert_eq!(r.status, 204);
    let v = eng
        .deploy("toggle.js", "register('/toggle', () => 'v2');")
        .await;
    assert_eq!(v["version"], 2);
    let one = eng.api("GET", &script_path("toggle.js"), None).await.json();
    assert_eq!(
        one["enabled"], false,
        "saving a new version keeps enabled=false: {one}"
    );
    assert_eq!(eng.get("/toggle").await.status, 404);

    let r = eng
        .api(
            "PATCH",
            &script_path("toggle.js"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(eng.get("/toggle").await.text(), "v2");
}
