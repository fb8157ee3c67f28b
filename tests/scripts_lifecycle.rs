//! Script lifecycle through the management API (issue 3 §6): versions and
//! restore, the per-script log, hot reload, and persistence across restarts.

mod common;

use common::*;

const LOGGER: &str = include_str!("test_scripts/logger.js");

fn script_path(name: &str) -> String {
    format!("/engine/api/scripts/{name}")
}

#[tokio::test]
async fn test_versions_and_restore() {
    let eng = Engine::start().await;
    let sources = [
        "register('/ver', () => 'one');",
        "register('/ver', () => 'two!');",
        "// three",
    ];
    for (i, src) in sources.iter().enumerate() {
        assert_eq!(eng.deploy("ver.js", src).await["version"], i + 1);
    }
    let versions = eng
        .api("GET", "/engine/api/scripts/ver.js/versions", None)
        .await
        .json();
    let list = versions["versions"]
        .as_array()
        .expect("{\"versions\": [...]}")
        .clone();
    let mut numbers: Vec<u64> = list
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2, 3], "{versions}");
    for v in &list {
        let n = v["version"].as_u64().unwrap() as usize;
        assert_eq!(v["size"], sources[n - 1].len(), "{v}");
        assert!(!v["created_at"].is_null() && !v["author"].is_null(), "{v}");
    }
    assert_eq!(
        eng.get("/ver").await.status,
        404,
        "version 3 registers nothing"
    );

    let r = eng
        .api(
            "POST",
            "/engine/api/scripts/ver.js/versions/1/restore",
            None,
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    assert_eq!(
        eng.get("/ver").await.text(),
        "one",
        "restored source serves"
    );
    let one = eng.api("GET", &script_path("ver.js"), None).await.json();
    assert_eq!(one["version"], 4, "restore saves a new version: {one}");
    assert_eq!(one["source"], sources[0]);
    let r = eng
        .api(
            "POST",
            "/engine/api/scripts/ver.js/versions/99/restore",
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn test_req_log_003_logs_newest_first_with_request_id() {
    let eng = Engine::start().await;
    eng.deploy("logger.js", LOGGER).await;
    let request_id = eng.get("/log").await.text();
    assert!(!request_id.is_empty());
    let expected = [
        ("debug", "sixth"),
        ("error", "fifth"),
        ("warn", "fourth"),
        ("info", "third"),
        ("log", "second 2"),
        ("info", "first"),
    ];
    let entries = eventually("six log entries", || async {
        let e = eng.logs("logger.js", 10).await;
        (e.len() >= expected.len()).then_some(e)
    })
    .await;
    for (entry, (level, text)) in entries.iter().zip(expected) {
        assert_eq!(entry["level"], level, "{entry}");
        assert!(
            msg(entry).contains(text),
            "newest first, expected {text}: {entry}"
        );
        assert_eq!(entry["request_id"], request_id.as_str(), "{entry}");
        assert!(!entry["time"].is_null(), "{entry}");
    }
    assert_eq!(eng.logs("logger.js", 2).await.len(), 2, "limit is honoured");
}

#[tokio::test]
async fn test_req_js_007_hot_reload() {
    let eng = Engine::start().await;
    eng.deploy("hot.js", "register('/hot', () => 'old');").await;
    for _ in 0..4 {
        assert_eq!(eng.get("/hot").await.text(), "old");
    }
    eng.deploy("hot.js", "register('/hot', () => 'new');").await;
    // Every worker must see the new version on the very next request.
    for _ in 0..10 {
        assert_eq!(eng.get("/hot").await.text(), "new");
    }
}

#[tokio::test]
async fn test_req_data_004_restart_persists_scripts_versions_and_key() {
    let mut eng = Engine::start().await;
    eng.deploy("p1.js", "register('/p1', () => 'p1 v1');").await;
    eng.deploy("p1.js", "register('/p1', () => 'p1 v2');").await;
    eng.deploy("p2.js", "register('/p2', () => 'p2');").await;
    eng.api(
        "PATCH",
        &script_path("p2.js"),
        Some(json!({"enabled": false})),
    )
    .await;
    let before = eng.api("GET", "/engine/api/scripts", None).await.json();
    eng.restart();
    // The old token still works: the signing key is kept in the data file.
    let after = eng.api("GET", "/engine/api/scripts", None).await;
    assert_eq!(
        after.status,
        200,
        "token survives restart: {}",
        after.text()
    );
    let names = |v: &Value| -> Vec<(Value, Value, Value)> {
        let mut s: Vec<_> = v["scripts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].clone(),
                    s["version"].clone(),
                    s["enabled"].clone(),
                )
            })
            .collect();
        s.sort_by_key(|t| t.0.to_string());
        s
    };
    assert_eq!(names(&after.json()), names(&before));
    assert_eq!(eng.get("/p1").await.text(), "p1 v2");
    assert_eq!(eng.get("/p2").await.status, 404, "disabled stays disabled");
    let versions = eng
        .api("GET", "/engine/api/scripts/p1.js/versions", None)
        .await
        .json();
    assert_eq!(
        versions["versions"].as_array().map(Vec::len),
        Some(2),
        "{versions}"
    );
}

#[tokio::test]
async fn test_req_log_003_console_can_be_disabled() {
    let eng = Engine::start_with(Opts::config("[js]\nconsole = false\n")).await;
    eng.deploy("logger.js", LOGGER).await;
    assert_eq!(eng.get("/console-then-write").await.text(), "ok");
    eng.wait_log("logger.js", |e| msg(e).contains("w-after"))
        .await;
    let entries = eng.logs("logger.js", 100).await;
    assert!(
        entries.iter().all(|e| !msg(e).contains("c-before")),
        "console output is dropped with js.console = false: {entries:?}"
    );
}

#[tokio::test]
async fn test_req_log_003_log_ring_is_bounded() {
    let eng = Engine::start_with(Opts::config("[js]\nlog_ring = 5\n")).await;
    eng.deploy("logger.js", LOGGER).await;
    assert_eq!(eng.get("/many").await.text(), "ok");
    let newest = eng.wait_log("logger.js", |e| msg(e).contains("n9")).await;
    let entries = eng.logs("logger.js", 100).await;
    assert!(
        entries.len() <= 5,
        "ring keeps 5 entries, got {}",
        entries.len()
    );
    assert_eq!(entries[0], newest, "the newest entries are the ones kept");
}

const IN_FLIGHT_V1: &str = r#"
register('/flight', async () => { writeLog('v1 started'); await sleep(1500); return 'v1'; });
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_007_in_flight_request_finishes_on_its_version() {
    let eng = Engine::start().await;
    eng.deploy("flight.js", IN_FLIGHT_V1).await;
    let old = tokio::spawn(send(eng.req("GET", "/flight")));
    eng.wait_log("flight.js", |e| msg(e) == "v1 started").await;
    eng.deploy("flight.js", "register('/flight', () => 'v2');")
        .await;
    assert_eq!(
        eng.get("/flight").await.text(),
        "v2",
        "new requests see v2 at once"
    );
    assert!(
        !old.is_finished(),
        "the v1 request was still in flight during the save"
    );
    assert_eq!(
        old.await.unwrap().text(),
        "v1",
        "in-flight request finishes on v1"
    );
}
