//! `aiwebengine deploy DIR` and `aiwebengine pull DIR` (REQ-DEV-003)
//! against a real `serve`, over HTTP and over HTTPS with its self-signed
//! certificate (pinned, --insecure, wrong pin).

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

/// Runs the CLI with no AIWEBENGINE_URL/TOKEN from the outside world,
/// plus `env`.
fn aiwe(args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut cmd = cli();
    cmd.env_remove("AIWEBENGINE_URL")
        .env_remove("AIWEBENGINE_TOKEN");
    cmd.args(args).envs(env.iter().copied());
    run_cmd(cmd, None)
}

fn ok(out: CliOutput) -> String {
    assert!(
        out.status.success(),
        "failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
    out.stdout
}

fn text_of(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 path")
}

async fn body(eng: &Engine, path: &str) -> (u16, String) {
    let r = eng.get(path).await;
    (r.status, r.text())
}

#[tokio::test]
async fn test_req_dev_003_deploy_plans_uploads_changes_and_prunes() {
    let eng = Engine::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "index.js", &route("/hi", "hi v1"));
    write(d, "api/users.js", &route("/api/users", "ann"));
    write(d, "public/css/site.css", "body { color: red }\n");
    write(d, "node_modules/x/index.js", "not a script (");
    let url = eng.server.base.clone();
    let base = ["deploy", text_of(d), "--url", &url, "--token", &eng.token];

    let out = ok(aiwe(&[&base[..], &["--dry-run"]].concat(), &[]));
    for line in [
        "+ index.js",
        "+ api/users.js",
        "+ public/css/site.css",
        "dry run: nothing was changed",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} in:\n{out}");
    }
    assert!(out.contains("3 to add, 0 to change, 0 to remove"), "{out}");
    assert!(!out.contains("node_modules"), "{out}");
    assert_eq!(body(&eng, "/hi").await.0, 404, "a dry run changes nothing");

    // URL and token from the environment.
    let env = [
        ("AIWEBENGINE_URL", url.as_str()),
        ("AIWEBENGINE_TOKEN", eng.token.as_str()),
    ];
    let out = ok(aiwe(&["deploy", text_of(d)], &env));
    assert!(out.contains("deployed: 3 change(s)"), "{out}");
    assert_eq!(body(&eng, "/hi").await, (200, "hi v1".into()));
    assert_eq!(body(&eng, "/api/users").await, (200, "ann".into()));
    assert_eq!(
        body(&eng, "/css/site.css").await,
        (200, "body { color: red }\n".into())
    );

    let out = ok(aiwe(&base, &[]));
    assert!(
        out.contains("0 to add, 0 to change, 0 to remove, 3 unchanged"),
        "{out}"
    );

    write(d, "index.js", &route("/hi", "hi v2"));
    std::fs::remove_file(d.join("api/users.js")).expect("rm");
    let out = ok(aiwe(&base, &[]));
    assert!(out.lines().any(|l| l == "~ index.js"), "{out}");
    assert!(out.contains("(kept; --prune removes them)"), "{out}");
    assert_eq!(body(&eng, "/hi").await, (200, "hi v2".into()));
    assert_eq!(
        body(&eng, "/api/users").await.0,
        200,
        "kept without --prune"
    );

    let out = ok(aiwe(&[&base[..], &["--prune"]].concat(), &[]));
    assert!(out.lines().any(|l| l == "- api/users.js"), "{out}");
    assert_eq!(body(&eng, "/api/users").await.0, 404, "pruned");
    let r = eng.api("GET", "/engine/api/scripts", None).await;
    let names: Vec<String> = r.json()["scripts"]
        .as_array()
        .expect("scripts")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        ["index.js"],
        "the server now holds exactly the folder"
    );
}

#[tokio::test]
async fn test_req_dev_003_deploy_stops_at_the_first_load_error_naming_file_line_column() {
    let eng = Engine::start().await;
    eng.deploy("b%2Fbroken.js", &route("/b", "old b")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "a.js", &route("/a", "a"));
    write(
        d,
        "b/broken.js",
        "// fine\nregister(\"/b\", () => 1 +* 2);\n",
    );
    write(d, "c.js", &route("/c", "c"));
    let url = eng.server.base.clone();
    let out = aiwe(
        &["deploy", text_of(d), "--url", &url, "--token", &eng.token],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}\n{}", out.stdout, out.stderr);
    let err = out.stderr;
    assert!(
        err.contains("error: b/broken.js:2:"),
        "file:line:column first: {err}"
    );
    assert!(err.contains("script_load_error"), "{err}");
    assert!(
        err.contains("the 1 change(s) above it were applied and stay"),
        "{err}"
    );
    assert_eq!(
        body(&eng, "/a").await,
        (200, "a".into()),
        "a.js stays uploaded"
    );
    assert_eq!(
        body(&eng, "/b").await,
        (200, "old b".into()),
        "old version serves"
    );
    assert_eq!(body(&eng, "/c").await.0, 404, "nothing after the error");
}

#[tokio::test]
async fn test_req_dev_003_pull_writes_scripts_and_assets_that_deploy_finds_unchanged() {
    let eng = Engine::start().await;
    eng.deploy("api%2Fv1%2Fusers.js", &route("/api/users", "ann"))
        .await;
    let r = eng
        .req("PUT", "/engine/api/assets/img/dot.svg")
        .bearer_auth(&eng.token)
        .body("<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    assert_eq!(send(r).await.status, 201);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("pulled");
    let url = eng.server.base.clone();
    let out = ok(aiwe(
        &["pull", "--url", &url, "--token", &eng.token, text_of(&d)],
        &[],
    ));
    assert!(out.contains("wrote api/v1/users.js"), "{out}");
    assert!(out.contains("wrote public/img/dot.svg"), "{out}");
    let src = std::fs::read_to_string(d.join("api/v1/users.js")).expect("pulled script");
    assert_eq!(src, route("/api/users", "ann"));
    let svg = std::fs::read_to_string(d.join("public/img/dot.svg")).expect("pulled asset");
    assert_eq!(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");

    let out = ok(aiwe(
        &["pull", "--url", &url, "--token", &eng.token, text_of(&d)],
        &[],
    ));
    assert!(
        out.contains(" 0 written"),
        "a second pull writes nothing: {out}"
    );
    let out = ok(aiwe(
        &[
            "deploy",
            text_of(&d),
            "--url",
            &url,
            "--token",
            &eng.token,
            "--dry-run",
        ],
        &[],
    ));
    assert!(
        out.contains("0 to add, 0 to change, 0 to remove"),
        "same hashes both ways: {out}"
    );

    let out = aiwe(
        &["pull", "--url", &url, "--token", "wrong", text_of(&d)],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("AIWEBENGINE_TOKEN"), "{}", out.stderr);
}

#[tokio::test]
async fn test_req_dev_003_deploy_over_https_pinned_insecure_and_wrong_pin() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let https = tls::start_https(&dir.data, None);
    let token = https.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let url = format!("https://{}", https.https_addr);
    let project = tempfile::tempdir().expect("tempdir");
    let d = project.path();
    write(d, "tls.js", &route("/tls", "secure"));
    let base = ["deploy", text_of(d), "--url", &url, "--token", &token];

    let out = aiwe(&base, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("--fingerprint"),
        "a hint: {}",
        out.stderr
    );

    let wrong = ["00"; 32].join(":");
    let out = aiwe(&[&base[..], &["--fingerprint", &wrong]].concat(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("not the pinned"), "{}", out.stderr);

    let out = ok(aiwe(
        &[&base[..], &["--fingerprint", &https.fingerprint]].concat(),
        &[],
    ));
    assert!(out.contains("deployed: 1 change(s)"), "{out}");
    write(d, "tls.js", &route("/tls", "secure v2"));
    let out = ok(aiwe(&[&base[..], &["--insecure"]].concat(), &[]));
    assert!(out.lines().any(|l| l == "~ tls.js"), "{out}");
    let r = https.server.get("/tls").await;
    assert_eq!((r.status, r.text()), (200, "secure v2".to_string()));
}

/// A module app whose import sorts after it by name (`app.js` imports
/// `util/text.js`): deploy saves the import first, and `aiwebengine test`
/// loads the folder the same way (issue 16, module scripts).
#[tokio::test]
async fn test_req_dev_003_deploy_and_test_save_imported_modules_first() {
    let eng = Engine::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "app.js",
        "import { up } from './util/text.js';\nexport const mount = '/shout';\nexport default { fetch: (request, ctx) => new Response(up(ctx.path.slice(1))) };\n",
    );
    write(
        d,
        "util/text.js",
        "export const up = (s) => s.toUpperCase() + '!';\n",
    );
    write(
        d,
        "app.test.js",
        "test('shouts', async () => {\n  const r = await request('GET', '/shout/hey');\n  expect(r.status).toBe(200);\n  expect(await r.text()).toBe('HEY!');\n});\n",
    );
    let url = eng.server.base.clone();
    let out = ok(aiwe(
        &["deploy", text_of(d), "--url", &url, "--token", &eng.token],
        &[],
    ));
    let lib = out.find("+ util/text.js").expect("lib uploaded");
    let app = out.find("+ app.js").expect("app uploaded");
    assert!(lib < app, "the import is saved first:\n{out}");
    assert_eq!(body(&eng, "/shout/hey").await, (200, "HEY!".into()));

    let out = ok(aiwe(&["test", text_of(d)], &[]));
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}
