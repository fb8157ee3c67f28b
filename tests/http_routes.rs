//! Routing and request parsing (issue 3 §5, §6): methods, path params,
//! wildcards, query, headers, cookies, bodies, multipart, 404/405,
//! reserved paths, conflicts, the welcome page, seeded examples, health.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};

const ECHO: &str = include_str!("test_scripts/echo.js");

async fn echo_engine() -> Engine {
    let eng = Engine::start().await;
    eng.deploy("echo.js", ECHO).await;
    eng
}

#[tokio::test]
async fn test_req_http_001_all_methods() {
    let eng = echo_engine().await;
    for m in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = send(eng.req(m, "/echo")).await;
        assert_eq!(r.status, 200, "{m} /echo: {}", r.text());
        assert_eq!(r.json()["method"], m);
        assert_eq!(r.json()["path"], "/echo");
    }
    // HEAD is answered from GET: same status and type, no body.
    let head = send(eng.req("HEAD", "/echo")).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert!(
        head.content_type().starts_with("application/json"),
        "{}",
        head.content_type()
    );
}

#[tokio::test]
async fn test_req_http_002_path_params_and_wildcard() {
    let eng = echo_engine().await;
    let r = eng.get("/users/42").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["params"]["id"], "42");
    let r = eng.get("/items/7/parts/wheel").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["params"]["id"], "7");
    assert_eq!(r.json()["params"]["part"], "wheel");
    let r = eng.get("/files/a/b/c.txt").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["path"], "/files/a/b/c.txt");
    assert_eq!(
        eng.get("/users/42/extra").await.status,
        404,
        "params match one segment"
    );
}

#[tokio::test]
async fn test_req_http_002_query_headers_cookies() {
    let eng = echo_engine().await;
    let rb = eng
        .req("GET", "/echo?a=1&a=2&b=x%20y&empty=")
        .header("X-Custom-Thing", "Hello")
        .header("X-Twice", "one")
        .header("Accept", "text/plain")
        .header("X-Twice", "two")
        .header("X-Twice", "three")
        .header("Cookie", "session=abc; theme=dark");
    let v = send(rb).await.json();
    assert_eq!(
        v["query"]["a"],
        json!(["1", "2"]),
        "repeated keys become arrays"
    );
    assert_eq!(v["query"]["b"], "x y");
    assert_eq!(v["query"]["empty"], "");
    assert_eq!(
        v["headers"]["x-custom-thing"], "Hello",
        "header names are lower-case"
    );
    assert!(v["headers"].get("X-Custom-Thing").is_none());
    assert_eq!(
        v["headers"]["x-twice"], "one, two, three",
        "a repeated header is one value joined with \", \" in order"
    );
    assert_eq!(v["headers"]["accept"], "text/plain");
    assert_eq!(v["cookies"]["session"], "abc");
    assert_eq!(v["cookies"]["theme"], "dark");
    assert!(
        v["version"].as_str().is_some_and(|s| s.contains("1.1")),
        "version: {}",
        v["version"]
    );
    assert!(
        v["ip"].as_str().is_some_and(|s| s.contains("127.0.0.1")),
        "ip: {}",
        v["ip"]
    );
    assert!(
        v["requestId"].as_str().is_some_and(|s| !s.is_empty()),
        "requestId: {v}"
    );
}

#[tokio::test]
async fn test_req_http_002_json_and_urlencoded_bodies() {
    let eng = echo_engine().await;
    let v = send(eng.req("POST", "/echo").json(&json!({"n": 5, "s": "t"})))
        .await
        .json();
    assert_eq!(v["json"], json!({"n": 5, "s": "t"}));
    assert_eq!(
        serde_json::from_str::<Value>(v["body"].as_str().unwrap()).unwrap()["n"],
        5
    );

    let v = send(eng.req("POST", "/echo").body("not json")).await.json();
    assert_eq!(
        v["json"],
        Value::Null,
        "json is null when the body is not JSON"
    );
    assert_eq!(v["body"], "not json");

    let rb = eng
        .req("POST", "/echo")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1&b=hello+world&c=%C3%A9");
    let v = send(rb).await.json();
    assert_eq!(v["form"]["a"], "1");
    assert_eq!(v["form"]["b"], "hello world");
    assert_eq!(v["form"]["c"], "é");

    let v = send(eng.req("POST", "/by-name").body("named")).await.json();
    assert_eq!(v["body"], "named", "handler given by global function name");
}

#[tokio::test]
async fn test_req_http_008_multipart_files_and_fields() {
    let eng = echo_engine().await;
    let bin = Part::bytes(vec![1u8, 2, 3, 0, 255])
        .file_name("a.bin")
        .mime_str("application/octet-stream")
        .unwrap();
    let txt = Part::bytes(b"hello file".to_vec())
        .file_name("b.txt")
        .mime_str("text/plain")
        .unwrap();
    let form = Form::new()
        .text("title", "My upload")
        .part("doc", bin)
        .text("tag", "x")
        .part("notes", txt);
    let r = send(eng.req("POST", "/echo").multipart(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["form"]["title"], "My upload");
    assert_eq!(v["form"]["tag"], "x");
    let files = v["files"].as_array().expect("files array");
    assert_eq!(files.len(), 2, "{v}");
    let a = files
        .iter()
        .find(|f| f["filename"] == "a.bin")
        .expect("a.bin");
    assert_eq!(a["name"], "doc");
    assert_eq!(a["contentType"], "application/octet-stream");
    assert_eq!(a["size"], 5);
    assert_eq!(a["isUint8Array"], true, "bytes is a Uint8Array");
    assert_eq!(a["bytes"], json!([1, 2, 3, 0, 255]));
    let b = files
        .iter()
        .find(|f| f["filename"] == "b.txt")
        .expect("b.txt");
    assert_eq!(b["name"], "notes");
    assert_eq!(b["contentType"], "text/plain");
    assert_eq!(b["size"], 10);
}

#[tokio::test]
async fn test_req_http_008_bad_multipart_boundary_is_400() {
    let eng = echo_engine().await;
    let body = "--OTHER\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--OTHER--\r\n";
    for ct in [
        "multipart/form-data; boundary=EXPECTED",
        "multipart/form-data",
    ] {
        let r = send(
            eng.req("POST", "/echo")
                .header("content-type", ct)
                .body(body),
        )
        .await;
        assert_eq!(r.status, 400, "{ct}: {}", r.text());
    }
}

#[tokio::test]
async fn test_unknown_path_404_and_wrong_method_405() {
    let eng = echo_engine().await;
    let r = eng.get("/no/such/route").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found", "{}", r.text());
    let r = send(eng.req("DELETE", "/users/5")).await;
    assert_eq!(r.status, 405, "{}", r.text());
    assert_eq!(r.code(), "method_not_allowed");
    let allow = r.header("allow").expect("405 carries an Allow header");
    assert!(allow.contains("GET"), "Allow: {allow}");
    assert!(!allow.contains("DELETE"), "Allow: {allow}");
}

#[tokio::test]
async fn test_reserved_paths_are_refused_with_409() {
    let eng = Engine::start().await;
    let reserved = [
        "/engine",
        "/engine/x",
        "/health",
        "/health/x",
        "/metrics",
        "/graphql",
        "/graphql/x",
        "/mcp",
    ];
    for (i, path) in reserved.iter().enumerate() {
        let src = format!("register('{path}', () => 'mine');");
        let (status, v) = eng.put_script(&format!("reserved-{i}.js"), &src).await;
        assert_eq!(status, 409, "{path}: {v}");
        assert_eq!(v["error"]["code"], "reserved_path", "{path}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap_or("").contains(path),
            "{path}: {v}"
        );
    }
    let src = "register('/health-test', () => 'ht'); register('/metrics2', () => 'm2');";
    eng.deploy("neighbours.js", src).await;
    assert_eq!(eng.get("/health-test").await.text(), "ht");
    assert_eq!(eng.get("/metrics2").await.text(), "m2");
}

#[tokio::test]
async fn test_route_conflict_between_scripts_is_409() {
    let eng = Engine::start().await;
    eng.deploy("owner.js", "register('/shared', () => 'owner');")
        .await;
    let (status, v) = eng
        .put_script("intruder.js", "register('/shared', () => 'intruder');")
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "route_conflict");
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("/shared"), "names the path: {message}");
    assert!(message.contains("owner.js"), "names the owner: {message}");
    assert_eq!(
        eng.get("/shared").await.text(),
        "owner",
        "first script keeps serving"
    );
    let r = eng
        .api("GET", "/engine/api/scripts/intruder.js", None)
        .await;
    assert_eq!(r.status, 404, "nothing stored for the refused script");
    // Re-saving the owner is not a conflict; another method on the path is not either.
    eng.deploy("owner.js", "register('/shared', () => 'owner v2');")
        .await;
    eng.deploy("poster.js", "register('/shared', () => 'posted', 'POST');")
        .await;
    assert_eq!(eng.get("/shared").await.text(), "owner v2");
    assert_eq!(send(eng.req("POST", "/shared")).await.text(), "posted");
}

#[tokio::test]
async fn test_welcome_page_until_a_script_takes_root() {
    let eng = Engine::start().await;
    let r = eng.get("/").await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type().starts_with("text/html"),
        "{}",
        r.content_type()
    );
    assert!(
        r.text().to_lowercase().contains("aiwebengine"),
        "welcome page names the engine"
    );
    eng.deploy("root.js", "register('/', () => 'my home');")
        .await;
    assert_eq!(eng.get("/").await.text(), "my home");
}

#[tokio::test]
async fn test_seeded_examples_are_disabled_under_examples() {
    let eng = Engine::start().await;
    let list = eng.api("GET", "/engine/api/scripts", None).await.json();
    let scripts = list["scripts"].as_array().expect("scripts array").clone();
    let examples: Vec<&Value> = scripts
        .iter()
        .filter(|s| s["name"].as_str().unwrap_or("").starts_with("example-"))
        .collect();
    assert!(!examples.is_empty(), "seed has example scripts: {list}");
    for ex in &examples {
        assert_eq!(ex["enabled"], false, "examples are stored disabled: {ex}");
    }
    // Enabling one shows its routes, all under /examples/, and they serve.
    let name = examples[0]["name"].as_str().unwrap();
    let path = format!("/engine/api/scripts/{name}");
    let r = eng
        .api("PATCH", &path, Some(json!({"enabled": true})))
        .await;
    assert!(r.status < 300, "{}", r.text());
    let one = eng
        .api("GET", &format!("/engine/api/scripts/{name}"), None)
        .await
        .json();
    let routes = one["routes"].as_array().expect("routes").clone();
    assert!(!routes.is_empty(), "{one}");
    for route in &routes {
        let path = route["path"].as_str().unwrap_or("");
        assert!(path.starts_with("/examples/"), "example route {path}");
    }
    let plain = routes.iter().find(|r| {
        let p = r["path"].as_str().unwrap_or("");
        r["method"] == "GET" && !p.contains(':') && !p.contains('{') && !p.contains('*')
    });
    if let Some(route) = plain {
        let path = route["path"].as_str().unwrap();
        assert_ne!(
            eng.get(path).await.status,
            404,
            "enabled example serves {path}"
        );
    }
}

fn has_key_like(v: &Value, part: &str) -> bool {
    v.as_object()
        .is_some_and(|o| o.keys().any(|k| k.to_lowercase().contains(part)))
}

#[tokio::test]
async fn test_health_endpoints() {
    let eng = Engine::start().await;
    let r = eng.get("/health").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["status"].is_string(), "{v}");
    let version = v["version"].as_str().unwrap_or("");
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{v}");
    for part in ["uptime", "script", "store"] {
        assert!(has_key_like(&v, part), "/health reports {part}: {v}");
    }
    for path in ["/health/live", "/health/ready"] {
        let r = eng.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.json()["status"].is_string(), "{path}: {}", r.text());
    }
}
