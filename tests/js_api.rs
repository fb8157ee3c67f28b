//! Host API extras (docs/CONTRACT-NOTES.md "Script API") and the sandbox
//! (issue 3 §4): timers, and no process, module loader or OS access.

mod common;

use common::*;

const JS_API: &str = include_str!("test_scripts/js_api.js");

#[tokio::test]
async fn test_req_jsapi_001_set_timeout_and_clear_timeout() {
    let eng = Engine::start().await;
    eng.deploy("js-api.js", JS_API).await;
    let r = eng.get("/timer").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "timer fired");
    assert_eq!(eng.get("/cleared").await.text(), "cleared");
}

#[tokio::test]
async fn test_req_sec_004_sandbox_has_no_os_access() {
    let eng = Engine::start().await;
    eng.deploy("js-api.js", JS_API).await;
    let v = eng.get("/sandbox").await.json();
    for global in ["process", "require", "std", "os", "Deno", "Bun"] {
        assert_eq!(v[global], "undefined", "`{global}` is not reachable: {v}");
    }
}
