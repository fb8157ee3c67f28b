//! Renaming a script (issue 4 §4): `POST /engine/api/scripts/{name}/rename`
//! moves the record, versions, log and kv data; the routes stay.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

const COUNTER: &str = r#"
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });
register("/count", async () => {
  await kv.atomic().sum(["n"], 1).commit();
  writeLog("counted");
  return json((await kv.get(["n"])).value);
}, "POST");
"#;

async fn rename(eng: &Engine, token: &str, from: &str, to: &str) -> Resp {
    let path = format!("/engine/api/scripts/{from}/rename");
    call(eng, token, "POST", &path, Some(json!({ "name": to }))).await
}

async fn count(eng: &Engine) -> Value {
    let r = send(eng.req("POST", "/count")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn test_rename_moves_routes_versions_logs_and_kv() {
    let eng = Engine::start().await;
    eng.deploy("counter.js", &format!("// v1\n{COUNTER}")).await;
    eng.deploy("counter.js", COUNTER).await;
    assert_eq!(count(&eng).await, json!(1));
    assert_eq!(count(&eng).await, json!(2));
    eng.wait_log("counter.js", |e| msg(e) == "counted").await;

    let r = rename(&eng, &eng.token, "counter.js", "tally.js").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["name"], "tally.js");
    assert_eq!(v["version"], 2);
    assert_eq!(v["routes"], json!([{"method": "POST", "path": "/count"}]));
    assert!(v.get("source").is_none(), "a summary: {v}");

    // The same path, now served by the renamed script, with its data.
    assert_eq!(count(&eng).await, json!(3), "kv data moved with the script");
    let r = eng.api("GET", "/engine/api/scripts/tally.js", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["source"].as_str().unwrap().contains("/count"));
    let r = eng
        .api("GET", "/engine/api/scripts/tally.js/versions", None)
        .await;
    assert_eq!(r.json()["versions"].as_array().map(Vec::len), Some(2));
    let logs = eng.logs("tally.js", 100).await;
    assert!(
        logs.iter().filter(|e| msg(e) == "counted").count() >= 2,
        "the log moved: {logs:#?}"
    );

    let r = eng.api("GET", "/engine/api/scripts/counter.js", None).await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = eng
        .api("GET", "/engine/api/scripts/counter.js/versions", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let names = listed(&eng, &eng.token).await;
    assert!(names.contains(&"tally.js".to_string()), "{names:?}");
    assert!(!names.contains(&"counter.js".to_string()), "{names:?}");

    // Audited as old -> new.
    let r = eng.api("GET", "/engine/api/audit?limit=50", None).await;
    let entries = r.json()["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries.iter().any(|e| e["action"] == "script.rename"
            && e["target"] == "counter.js -> tally.js"
            && e["result"] == "ok"),
        "{entries:#?}"
    );
}

#[tokio::test]
async fn test_rename_survives_a_restart_and_frees_the_old_name() {
    let mut eng = Engine::start().await;
    eng.deploy("counter.js", COUNTER).await;
    assert_eq!(count(&eng).await, json!(1));
    let r = rename(&eng, &eng.token, "counter.js", "tally.js").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A new script may take the old name; it is not served the old code.
    eng.deploy("counter.js", "register('/old', () => 'new code');")
        .await;
    assert_eq!(eng.get("/old").await.text(), "new code");
    eng.restart();
    assert_eq!(count(&eng).await, json!(2));
    assert_eq!(eng.get("/old").await.text(), "new code");
}

#[tokio::test]
async fn test_rename_refusals() {
    let eng = Engine::start().await;
    eng.deploy("a.js", "register('/a', () => 'a');").await;
    eng.deploy("b.js", "register('/b', () => 'b');").await;

    let r = rename(&eng, &eng.token, "a.js", "b.js").await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "name_taken");
    assert!(r.text().contains("b.js"), "{}", r.text());

    let r = rename(&eng, &eng.token, "nope.js", "c.js").await;
    assert_eq!(r.status, 404, "{}", r.text());

    let r = rename(&eng, &eng.token, "a.js", "../evil").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "invalid_name");
    assert!(
        r.text().contains("[A-Za-z0-9]"),
        "says the rule: {}",
        r.text()
    );

    let path = "/engine/api/scripts/a.js/rename";
    let r = eng.api("POST", path, Some(json!({"to": "c.js"}))).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "invalid_json");

    // Nothing changed.
    assert_eq!(eng.get("/a").await.text(), "a");
    assert_eq!(eng.get("/b").await.text(), "b");
}

#[tokio::test]
async fn test_rename_needs_write_access() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (_, bob) = user(&eng, "bob@example.com", "editor").await;
    assert_eq!(
        put_as(&eng, &alice, "a.js", "register('/a', () => 'a');").await,
        201
    );

    let r = rename(&eng, &bob, "a.js", "mine.js").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "forbidden");

    let r = rename(&eng, &alice, "a.js", "alice.js").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Ownership moved with the record: alice still sees and changes it.
    assert_eq!(listed(&eng, &alice).await, vec!["alice.js".to_string()]);
    assert!(listed(&eng, &bob).await.is_empty());
    assert_eq!(
        put_as(&eng, &alice, "alice.js", "register('/a', () => 'a2');").await,
        200
    );
    assert_eq!(eng.get("/a").await.text(), "a2");
}

/// The log writer keeps each script's next sequence number; taking over a
/// name whose earlier script wrote more entries must not overwrite the
/// entries that moved with the rename.
#[tokio::test]
async fn test_rename_onto_a_deleted_scripts_name_keeps_every_log_entry() {
    let eng = Engine::start().await;
    let logger = |tag: &str| {
        format!("register('/log-{tag}', (req) => {{ writeLog('{tag} ' + req.query.n); return 'ok'; }});")
    };
    eng.deploy("x.js", &logger("old")).await;
    for n in 0..2 {
        assert_eq!(eng.get(&format!("/log-old?n={n}")).await.text(), "ok");
    }
    eng.wait_log("x.js", |e| msg(e) == "old 1").await;
    assert_eq!(
        eng.api("DELETE", "/engine/api/scripts/x.js", None)
            .await
            .status,
        204
    );
    eng.deploy("y.js", &logger("new")).await;
    for n in 0..5 {
        assert_eq!(eng.get(&format!("/log-new?n={n}")).await.text(), "ok");
    }
    eng.wait_log("y.js", |e| msg(e) == "new 4").await;
    assert_eq!(rename(&eng, &eng.token, "y.js", "x.js").await.status, 200);
    assert_eq!(eng.get("/log-new?n=5").await.text(), "ok");
    eng.wait_log("x.js", |e| msg(e) == "new 5").await;
    let mut got: Vec<String> = eng.logs("x.js", 100).await.iter().map(msg).collect();
    got.sort();
    assert_eq!(
        got,
        ["new 0", "new 1", "new 2", "new 3", "new 4", "new 5"],
        "nothing overwritten"
    );
}
