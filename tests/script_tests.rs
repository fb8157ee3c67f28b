//! `aiwebengine test` (issue 16, "Script tests"): the binary run on the
//! fixture folders in `tests/fixtures/testrun/`, and the rule that a
//! stored `*.test.js` script never runs as an app script.

mod common;

use common::*;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/testrun");
    dir.join(name).to_string_lossy().into_owned()
}

fn run_test(args: &[&str]) -> CliOutput {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    run_cli(&all)
}

fn summary(out: &CliOutput) -> &str {
    out.stdout.lines().last().unwrap_or_default()
}

#[test]
fn test_req_test_script_001_passing_folder_exits_zero() {
    let out = run_test(&[&fixture("pass")]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("TAP version 13\n"), "{}", out.stdout);
    for name in [
        "a missing note is 404",
        "put then get a note",
        "public/ is served as assets",
    ] {
        assert!(
            out.stdout.contains(&format!(" - {name}\n")),
            "{name}: {}",
            out.stdout
        );
    }
    // node_modules/ and dot folders hold test files that would fail.
    assert!(!out.stdout.contains("not ok"), "{}", out.stdout);
    assert!(!out.stdout.contains("never runs"), "{}", out.stdout);
    assert!(out.stdout.contains("1..6\n"), "{}", out.stdout);
    assert_eq!(summary(&out), "6 passed, 0 failed");
}

#[test]
fn test_req_test_script_002_failures_report_expected_actual_and_location() {
    let out = run_test(&[&fixture("fail")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(out.stdout.contains("ok 1 - one passes\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("not ok 2 - one fails\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  expected: \"{\\\"a\\\":2}\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  actual: \"{\\\"a\\\":1}\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  location: \"fail.test.js:6:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("not ok 3 - not.toBe fails\n"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "1 passed, 2 failed");
}

#[test]
fn test_req_test_script_003_thrown_errors_fail_only_their_test() {
    let out = run_test(&[&fixture("throw")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains("RangeError: out of range on purpose"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("location: \"throw.test.js:3:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("thrown: \\\"just a string\\\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok 3 - still runs after\n"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "1 passed, 2 failed");
}

#[test]
fn test_req_test_script_004_timeouts_are_named() {
    let out = run_test(&["--timeout", "500", &fixture("timeout")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains("not ok 1 - spins forever\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("timed out: the test did not finish within 500 ms"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("not ok 2 - never settles\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("never settled"), "{}", out.stdout);
    assert!(
        out.stdout.contains("ok 3 - runs after the timeouts\n"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "1 passed, 2 failed");
}

#[test]
fn test_req_test_script_005_filter_runs_matching_tests_only() {
    let out = run_test(&[&fixture("pass"), "--filter", "matchers"]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("ok 1 - matchers and .not\n"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "1 passed, 0 failed");
}

#[test]
fn test_req_test_script_006_load_errors_fail_the_run() {
    let out = run_test(&[&fixture("loaderror")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains("not ok 1 - broken.test.js\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("broken.test.js did not load"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok 2 - the other file still runs\n"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "1 passed, 1 failed");

    let out = run_test(&[&fixture("badapp")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains("the app did not load: app.js"),
        "{}",
        out.stdout
    );
    assert_eq!(summary(&out), "0 passed, 1 failed");

    let empty = DataDir::new();
    let out = run_test(&[empty.dir().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(out.stderr.contains("no *.test.js files"), "{}", out.stderr);
}

#[test]
fn test_req_test_script_007_kv_is_fresh_per_file() {
    let out = run_test(&[&fixture("kviso")]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(summary(&out), "2 passed, 0 failed");
}

#[tokio::test]
async fn test_req_test_script_008_stored_test_scripts_never_serve() {
    let e = InEngine::start().await;
    let src = r#"register("/from-test", () => ({ status: 200, body: "served" }));
kv.set(["ran"], true);
"#;
    let v = e.deploy("notes.test.js", src).await;
    assert_eq!(v["routes"], serde_json::json!([]), "{v}");
    assert_eq!(e.get("/from-test").await.status, 404);
    // The same source under an app name does register the route.
    e.deploy("notes.js", src).await;
    assert_eq!(e.get("/from-test").await.status, 200);
    let entries = e.server.state().scripts().catalog();
    let test = entries.entries.get("notes.test.js").expect("stored");
    assert!(test.routes.is_empty() && test.graphql.is_empty());
    // A test file is stored whole, even one that would not load as an app.
    e.deploy("broken.test.js", "this is not javascript(").await;
    let r = e
        .api("GET", "/engine/api/scripts/broken.test.js", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("this is not javascript("), "{}", r.text());
}

#[tokio::test]
async fn test_req_test_script_009_api_runs_a_scripts_companion_tests() {
    let e = InEngine::start().await;
    let app = r#"register("/greet", (req) => ({ status: 200, body: { hi: req.query.name } }));"#;
    e.deploy("greet.js", app).await;
    let tests = r#"
test("greets by name", async () => {
  const res = await request("GET", "/greet?name=ada");
  expect(res.json()).toEqual({ hi: "ada" });
});
test("fails on purpose", async () => {
  const res = await request("GET", "/greet?name=bob");
  expect(res.json().hi).toBe("ada");
});
"#;
    e.deploy("greet.test.js", tests).await;
    let r = e
        .api("POST", "/engine/api/scripts/greet.js/test", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["file"], "greet.test.js", "{v}");
    assert_eq!(v["summary"], "1 passed, 1 failed", "{v}");
    assert_eq!(v["tests"][0]["ok"], true, "{v}");
    assert_eq!(v["tests"][1]["ok"], false, "{v}");
    assert_eq!(v["tests"][1]["actual"], "\"bob\"", "{v}");
    assert!(v["tap"]
        .as_str()
        .unwrap_or_default()
        .contains("not ok 2 - fails on purpose"));
    // The live engine's own kv and routes are untouched by the run.
    assert_eq!(e.get("/greet?name=x").await.status, 200);

    let r = e
        .api("POST", "/engine/api/scripts/nothing.js/test", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    e.deploy("lonely.js", "register('/lonely', () => 'x');")
        .await;
    let r = e
        .api("POST", "/engine/api/scripts/lonely.js/test", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("lonely.test.js"), "{}", r.text());
    let anon = send(e.req("POST", "/engine/api/scripts/greet.js/test")).await;
    assert_eq!(anon.status, 401, "{}", anon.text());
}
