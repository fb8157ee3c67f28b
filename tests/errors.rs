//! Runtime errors in handlers (REQ-JS-006, REQ-DEV-004): generic in
//! production with the detail logged under the request id, detailed in
//! `--dev`, and a script's own error handler.

mod common;

use common::*;

const ERRORS: &str = include_str!("test_scripts/errors.js");
const ERROR_HANDLER: &str = include_str!("test_scripts/error_handler.js");

#[tokio::test]
async fn test_req_js_006_runtime_error_is_generic_in_production() {
    let eng = Engine::start().await;
    eng.deploy("errors.js", ERRORS).await;
    for (path, secret) in [
        ("/boom", "secret-detail-xyz"),
        ("/async-boom", "async-secret-xyz"),
    ] {
        let r = eng.get(path).await;
        assert_eq!(r.status, 500, "{path}");
        let v = r.json();
        assert_eq!(v["error"]["code"], "script_error", "{path}: {v}");
        let request_id = v["error"]["request_id"].as_str().unwrap_or("").to_string();
        assert!(
            !request_id.is_empty(),
            "{path}: body carries a request id: {v}"
        );
        assert!(
            !r.text().contains(secret),
            "{path}: production leaks the message: {v}"
        );
        assert!(
            v["error"].get("stack").is_none(),
            "{path}: production leaks the stack: {v}"
        );
        // The full detail is logged under that id.
        eng.wait_log("errors.js", |e| {
            e["level"] == "error"
                && e["request_id"] == request_id.as_str()
                && msg(e).contains(secret)
        })
        .await;
    }
}

#[tokio::test]
async fn test_req_dev_004_runtime_error_is_detailed_in_dev() {
    let eng = Engine::start_with(Opts::dev()).await;
    eng.deploy("errors.js", ERRORS).await;
    let r = eng.get("/boom").await;
    assert_eq!(r.status, 500);
    let v = r.json();
    let e = &v["error"];
    assert_eq!(e["code"], "script_error", "{v}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("secret-detail-xyz"),
        "{v}"
    );
    assert_eq!(e["script"], "errors.js", "{v}");
    assert_eq!(e["line"], 4, "line of the throw: {v}");
    assert!(e["column"].as_u64().is_some_and(|c| c > 0), "{v}");
    let stack = e["stack"].as_str().unwrap_or("");
    assert!(stack.contains(":4:"), "stack has line:column: {stack:?}");
    assert!(
        e["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
}

#[tokio::test]
async fn test_req_js_006_script_error_handler() {
    let eng = Engine::start().await;
    eng.deploy("handler.js", ERROR_HANDLER).await;
    let r = eng.get("/handled").await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"handled": "handled-xyz", "path": "/handled"})
    );
    // The handler belongs to its script only.
    eng.deploy("errors.js", ERRORS).await;
    let r = eng.get("/boom").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.code(), "script_error");
}
