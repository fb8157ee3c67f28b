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

/// Requests parked on promises that one later request settles, where
/// answering one of them (reading its response's `body`) settles the rest: every one is
/// answered by that request's slice, none waits for a later one (issue 14:
/// parked requests are looked at only once their promise has settled).
/// One I/O thread and a promoted script, so all of them share one context.
#[tokio::test]
async fn test_req_jsapi_001_parked_requests_settle_together() {
    const GATES: &str = r#"
let openA, openB, waiting = 0;
const a = new Promise((r) => (openA = r));
const b = new Promise((r) => (openB = r));
register("/gate/ping", () => "pong");
register("/gate/waiting", () => String(waiting));
register("/gate/a", async () => {
  waiting++;
  await a;
  return { status: 200, get body() { openB("b"); return "got a"; } };
});
register("/gate/b", async () => { waiting++; return "got " + (await b); });
register("/gate/open", () => { openA("a"); return "opened"; });
"#;
    let eng = Engine::start_with(Opts::config("[js]\nworkers = 1\n")).await;
    eng.deploy("gates.js", GATES).await;
    // 32 fast runs promote the script to inline calls on the I/O thread.
    for _ in 0..40 {
        assert_eq!(eng.get("/gate/ping").await.text(), "pong");
    }
    let waits: Vec<_> = (0..40)
        .map(|i| {
            let path = if i % 2 == 0 { "/gate/a" } else { "/gate/b" };
            let req = eng.req("GET", path);
            tokio::spawn(async move { send(req).await })
        })
        .collect();
    let deadline = std::time::Instant::now() + POLL_DEADLINE;
    while eng.get("/gate/waiting").await.text() != "40" {
        assert!(std::time::Instant::now() < deadline, "40 requests parked");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(eng.get("/gate/open").await.text(), "opened");
    for (i, w) in waits.into_iter().enumerate() {
        let r = tokio::time::timeout(POLL_DEADLINE, w)
            .await
            .expect("answered after the gate opened")
            .expect("task");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), if i % 2 == 0 { "got a" } else { "got b" });
    }
}
