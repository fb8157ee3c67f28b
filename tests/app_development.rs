//! Issue 16, "Done means": a new user follows docs/APP_DEVELOPMENT.md from
//! an empty folder to the working app with `aiwebengine dev`, the test of
//! step 7 passes under `aiwebengine test`, and `aiwebengine deploy` ships
//! the folder to a second server started with `serve`. The files are the
//! tutorial's own code blocks (each introduced by its file name, such as
//! "`api/notes.js`:"), so the tutorial cannot drift from what works.

mod common;

use std::path::Path;

use common::*;

/// `(file name, source)` of every ```js block the tutorial introduces with
/// a line that starts with "`NAME.js`:" (or "`NAME.js`, ...").
fn tutorial_files() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/APP_DEVELOPMENT.md"
    ))
    .expect("docs/APP_DEVELOPMENT.md");
    let mut files: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    let mut block: Option<String> = None;
    for line in doc.lines() {
        if let Some(b) = block.as_mut() {
            if line.starts_with("```") {
                if let Some(n) = name.take() {
                    files.push((n, block.take().unwrap_or_default()));
                }
                block = None;
            } else {
                b.push_str(line);
                b.push('\n');
            }
            continue;
        }
        if line.starts_with("```js") {
            block = Some(String::new());
        } else if let Some(rest) = line.strip_prefix('`') {
            if let Some((n, after)) = rest.split_once('`') {
                if n.ends_with(".js") && (after.starts_with(':') || after.starts_with(',')) {
                    name = Some(n.to_string());
                }
            }
        }
    }
    files
}

fn write(dir: &Path, rel: &str, body: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, body).expect("write");
}

fn aiwe(args: &[&str]) -> CliOutput {
    let mut cmd = cli();
    cmd.env_remove("AIWEBENGINE_URL")
        .env_remove("AIWEBENGINE_TOKEN")
        .args(args);
    run_cmd(cmd, None)
}

/// The app every server should serve: the page, and the notes API.
async fn check_app(base: &str, client: &reqwest::Client, note: &str) {
    let r = send(client.get(format!("{base}/"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<h1>Notes</h1>"), "{}", r.text());
    let r = send(
        client
            .post(format!("{base}/notes"))
            .json(&json!({ "text": note })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = send(client.get(format!("{base}/notes"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(note), "{}", r.text());
}

#[tokio::test]
async fn test_req_dev_001_tutorial_from_empty_folder_to_dev_test_and_deploy() {
    let files = tutorial_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in ["home.js", "api/notes.js", "api/notes.test.js"] {
        assert!(
            names.contains(&want),
            "the tutorial names {want}: {names:?}"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let text = d.to_str().expect("utf-8 path");

    // Steps 1-6: `aiwebengine dev` on the folder, files written as the
    // tutorial gives them (the page first, while dev runs).
    let (first, rest) = files.split_first().expect("files");
    write(d, &first.0, &first.1);
    let mut cmd = cli();
    cmd.arg("dev").arg(d).args(["--port", "0"]);
    let mut dev = Server::spawn_cmd(cmd, &d.join(".aiwebengine/dev.redb"))
        .unwrap_or_else(|e| panic!("dev did not start: {e}"));
    for (name, source) in rest {
        write(d, name, source);
    }
    eventually("dev to load every tutorial file", || async {
        (dev.get("/notes").await.status == 200).then_some(())
    })
    .await;
    let client = reqwest::Client::new();
    check_app(&dev.base, &client, "from dev").await;
    assert_eq!(
        dev.get("/me").await.status,
        401,
        "step 6: /me needs a login"
    );
    dev.stop();

    // Step 7: the test file passes.
    let out = aiwe(&["test", text]);
    assert!(
        out.status.success(),
        "aiwebengine test failed\nstdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("2 passed, 0 failed"), "{}", out.stdout);

    // Step 8: deploy to a second server started with `serve`.
    let eng = Engine::start().await;
    let url = eng.server.base.clone();
    let plan = aiwe(&[
        "deploy",
        text,
        "--url",
        &url,
        "--token",
        &eng.token,
        "--dry-run",
    ]);
    assert!(plan.status.success(), "{} {}", plan.stdout, plan.stderr);
    for (name, _) in &files {
        assert!(
            plan.stdout.contains(&format!("+ {name}")),
            "plan lists {name}: {}",
            plan.stdout
        );
    }
    assert_eq!(
        eng.get("/notes").await.status,
        404,
        "a dry run changes nothing"
    );
    let done = aiwe(&["deploy", text, "--url", &url, "--token", &eng.token]);
    assert!(done.status.success(), "{} {}", done.stdout, done.stderr);
    check_app(&url, &client, "from deploy").await;
    // The test file went along, stored but never serving.
    let r = eng
        .api("GET", "/engine/api/scripts/api%2Fnotes.test.js", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Deploying again finds nothing to do.
    let again = aiwe(&["deploy", text, "--url", &url, "--token", &eng.token]);
    assert!(again.status.success(), "{} {}", again.stdout, again.stderr);
    assert!(!again.stdout.contains("+ "), "{}", again.stdout);
    assert!(!again.stdout.contains("~ "), "{}", again.stdout);
}
