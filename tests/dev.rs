//! `aiwebengine dev DIR` (REQ-DEV-002): the folder's scripts and public/
//! assets are loaded at start and kept in step as files change; a load
//! error prints file:line:column with a code frame while the old version
//! keeps serving; deleted files leave the engine; Ctrl-C stops cleanly.

mod common;

use std::path::Path;

use common::*;

fn write(dir: &Path, rel: &str, body: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, body).expect("write");
}

fn route(path: &str, text: &str) -> String {
    format!("register({path:?}, () => ({{ status: 200, contentType: \"text/plain\", body: {text:?} }}));\n")
}

fn start_dev(dir: &Path) -> Server {
    let mut cmd = cli();
    cmd.arg("dev").arg(dir).args(["--port", "0"]);
    let data = dir.join(".aiwebengine/dev.redb");
    Server::spawn_cmd(cmd, &data).unwrap_or_else(|e| panic!("dev did not start: {e}"))
}

async fn serves(s: &Server, path: &str, want: (u16, &str)) {
    let what = format!("GET {path} -> {want:?}");
    eventually(&what, || async {
        let r = s.get(path).await;
        (r.status == want.0 && (want.0 != 200 || r.text() == want.1)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn test_req_dev_002_dev_loads_reloads_reports_errors_and_deletes() {
    let project = tempfile::tempdir().expect("tempdir");
    let d = project.path();
    write(d, "index.js", &route("/hi", "v1"));
    write(d, "public/css/site.css", "body{}\n");
    write(d, "node_modules/pkg/index.js", "this is not ( a script");
    let mut s = start_dev(d);
    assert!(
        d.join(".aiwebengine/dev.redb").is_file(),
        "the default data file"
    );

    // Loaded before `listening on` was printed.
    let r = s.get("/hi").await;
    assert_eq!((r.status, r.text()), (200, "v1".to_string()));
    assert_eq!(s.get("/css/site.css").await.text(), "body{}\n");

    write(d, "index.js", &route("/hi", "v2"));
    serves(&s, "/hi", (200, "v2")).await;
    let r = s.get("/hi").await;
    assert_eq!(r.text(), "v2");
    write(d, "api/users.js", &route("/api/users", "ann"));
    serves(&s, "/api/users", (200, "ann")).await;
    write(d, "public/css/site.css", "body{color:red}\n");
    serves(&s, "/css/site.css", (200, "body{color:red}\n")).await;

    write(
        d,
        "index.js",
        "// still v2 serving\nregister(\"/hi\", () => 1 +* 2);\n",
    );
    eventually("the load error report", || async {
        s.output().contains("error: index.js:2:").then_some(())
    })
    .await;
    let out = s.output();
    assert!(
        out.contains("2 | register(\"/hi\", () => 1 +* 2);"),
        "a code frame: {out}"
    );
    assert!(out.contains("the previous version keeps serving"), "{out}");
    assert_eq!(s.get("/hi").await.text(), "v2", "the old version serves");

    // An editor that truncates before it writes shows an empty file for a
    // moment: that is not loaded, so the routes do not go away.
    write(d, "index.js", "");
    eventually("the empty-file note", || async {
        s.output().contains("note: index.js is empty").then_some(())
    })
    .await;
    assert_eq!(s.get("/hi").await.text(), "v2", "the old version serves");

    std::fs::remove_file(d.join("api/users.js")).expect("rm");
    serves(&s, "/api/users", (404, "")).await;
    std::fs::remove_file(d.join("public/css/site.css")).expect("rm");
    serves(&s, "/css/site.css", (404, "")).await;
    assert!(!s.output().contains("node_modules"), "{}", s.output());

    s.signal("INT");
    let status = s.stop_after_signal();
    assert!(
        status.is_some_and(|st| st.success()),
        "Ctrl-C stops cleanly: {status:?}"
    );
}

#[tokio::test]
async fn test_req_dev_002_dev_keeps_its_data_between_runs_and_syncs_what_changed_meanwhile() {
    let project = tempfile::tempdir().expect("tempdir");
    let d = project.path();
    write(d, "a.js", &route("/a", "a1"));
    write(d, "b.js", &route("/b", "b1"));
    let mut s = start_dev(d);
    serves(&s, "/a", (200, "a1")).await;
    s.signal("INT");
    assert!(s.stop_after_signal().is_some_and(|st| st.success()));

    write(d, "a.js", &route("/a", "a2"));
    std::fs::remove_file(d.join("b.js")).expect("rm");
    let s = start_dev(d);
    let r = s.get("/a").await;
    assert_eq!((r.status, r.text()), (200, "a2".to_string()));
    assert_eq!(s.get("/b").await.status, 404, "deleted while dev was down");
}

#[tokio::test]
async fn test_req_dev_001_dev_admin_api_without_login_for_same_origin_loopback_only() {
    let project = tempfile::tempdir().expect("tempdir");
    let d = project.path();
    write(d, "index.js", &route("/hi", "v1"));
    let s = start_dev(d);

    let r = s.get("/engine/api/me").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["email"], "dev@localhost", "{}", r.text());
    let r = s.get("/engine/api/scripts").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scripts"][0]["name"], "index.js");

    // A page of another site, DNS-rebound to 127.0.0.1, names its own host.
    let r = send(
        s.req("GET", "/engine/api/scripts")
            .header("host", "evil.example:8080"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    // A change needs a same-origin Origin: a form on another site has none.
    let put = |origin: Option<&str>| {
        let rb = s
            .req("PUT", "/engine/api/scripts/extra.js")
            .body(route("/x", "x"));
        match origin {
            Some(o) => rb.header("origin", o),
            None => rb,
        }
    };
    assert_eq!(send(put(None)).await.status, 401);
    assert_eq!(send(put(Some("https://evil.example"))).await.status, 401);
    let r = send(put(Some(&s.base))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(s.get("/x").await.text(), "x");
}

#[tokio::test]
async fn test_req_dev_002_dev_prints_request_errors_with_the_stack_in_the_file() {
    let project = tempfile::tempdir().expect("tempdir");
    let d = project.path();
    write(
        d,
        "api/boom.js",
        "function explode(n) {\n  throw new Error('boom ' + n);\n}\nregister('/boom', () => explode(7));\n",
    );
    let s = start_dev(d);
    let r = s.get("/boom").await;
    assert_eq!(r.status, 500, "{}", r.text());
    eventually("the request error on the console", || async {
        s.output().contains("error in ").then_some(())
    })
    .await;
    let out = s.output();
    let shown = d.join("api/boom.js").display().to_string();
    assert!(
        out.contains(&format!("error in {shown} (request ")),
        "{out}"
    );
    assert!(out.contains("boom 7"), "{out}");
    assert!(
        out.contains(&format!("{shown}:2")),
        "a frame at line 2 of the file: {out}"
    );
}
