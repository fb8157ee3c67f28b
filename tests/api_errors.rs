//! The error edge of the HTTP layer: every engine error, extractor
//! rejections and method mismatches included, is the one JSON shape
//! `{"error": {"code", "message", ...}}` with a code the API documents.

mod common;

use common::*;

/// A JSON error with `code`, whose message mentions `mentions`.
fn assert_api_error(r: &Resp, status: u16, code: &str, mentions: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.content_type().starts_with("application/json"),
        "JSON, not axum's plain text: {:?} {}",
        r.content_type(),
        r.text()
    );
    assert_eq!(r.code(), code, "{}", r.text());
    let v = r.json();
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(mentions),
        "message names {mentions:?}: {v}"
    );
}

#[tokio::test]
async fn test_req_api_errors_bad_query_parameter_is_json_400() {
    let eng = Engine::start().await;
    let r = eng.api("GET", "/engine/api/logs?limit=x", None).await;
    assert_api_error(&r, 400, "invalid_query", "limit");
    let r = eng
        .api("GET", "/engine/api/audit?before=yesterday", None)
        .await;
    assert_api_error(&r, 400, "invalid_query", "before");
}

#[tokio::test]
async fn test_req_api_errors_bad_body_and_path_are_json() {
    let eng = Engine::start().await;
    let rb = eng
        .req("POST", "/engine/api/groups")
        .bearer_auth(&eng.token);
    let r = send(rb.header("content-type", "application/json").body("{")).await;
    assert_api_error(&r, 400, "invalid_json", "{\"name\"");
    // Invalid UTF-8 in a path segment.
    let r = eng.api("GET", "/engine/api/scripts/%FF.js", None).await;
    assert_api_error(&r, 400, "invalid_path", "/engine/api/scripts/%FF.js");
    // Past axum's default body limit for buffered management bodies.
    let big = vec![b'x'; 3 << 20];
    let rb = eng
        .req("POST", "/engine/api/groups")
        .bearer_auth(&eng.token);
    let r = send(rb.body(big)).await;
    assert_api_error(&r, 413, "payload_too_large", "smaller body");
}

#[tokio::test]
async fn test_req_api_errors_wrong_method_is_json_405_with_allow() {
    let eng = Engine::start().await;
    for (method, path, allowed) in [
        ("POST", "/engine/api/logs", "GET"),
        ("DELETE", "/health", "GET"),
        ("PUT", "/engine/api/assets", "POST"),
    ] {
        let r = eng.api(method, path, None).await;
        assert_api_error(&r, 405, "method_not_allowed", path);
        let allow = r.header("allow").unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow:?}");
    }
    let r = eng.api("GET", "/engine/api/nothing-here", None).await;
    assert_api_error(&r, 404, "not_found", "/engine/api/nothing-here");
}

#[tokio::test]
async fn test_req_api_errors_internal_error_carries_the_requests_own_id() {
    let eng = Engine::start().await;
    // A file where the data directory was: the backup's scratch file
    // beside the data file cannot be created, a storage (internal) error.
    let dir = eng.dir.dir().to_path_buf();
    let moved = dir.with_extension("moved");
    std::fs::rename(&dir, &moved).expect("move the data dir");
    std::fs::write(&dir, b"").expect("a file in its place");
    let rb = eng.req("GET", "/engine/api/backup").bearer_auth(&eng.token);
    let r = send(rb.header("x-request-id", "edge-internal-1")).await;
    std::fs::remove_file(&dir).expect("remove the file");
    std::fs::rename(&moved, &dir).expect("move the data dir back");
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.code(), "internal", "{}", r.text());
    assert_eq!(r.header("x-request-id").as_deref(), Some("edge-internal-1"));
    assert_eq!(r.json()["error"]["request_id"], "edge-internal-1");
    let logged = eventually("the internal error in the server log", || async {
        let out = eng.server.output();
        let lines: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("internal error:") && l.contains("edge-internal-1"))
            .collect();
        (!lines.is_empty()).then_some(lines.len())
    })
    .await;
    assert_eq!(logged, 1, "logged exactly once:\n{}", eng.server.output());
}
