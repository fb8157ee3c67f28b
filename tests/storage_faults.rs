//! Faults of the storage (issue #15): the data file on a filesystem that
//! fills up, on a read-only mount, and replaced underneath the server.
//! (A file written by a newer version is refused at start:
//! `store::test_req_data_004_refuses_newer_format_file`.)
//!
//! The filesystems are small tmpfs mounts made by the test, which needs
//! root: in CI (`CI=true`, where `.ci/run` runs as root) a failed mount
//! fails the test; elsewhere it is skipped with a loud message.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A tmpfs mounted on a temp dir; unmounted (lazily) on drop.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    /// None (after a loud message) when mounting is impossible outside CI.
    fn tmpfs(size: &str) -> Option<Mount> {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Some(Mount { dir }),
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        let msg = format!("cannot mount a tmpfs (the test needs root): {why}");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("\n*** SKIPPED: {msg} ***\n");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.path())
            .status()
            .expect("run mount");
        assert!(ok.success(), "mount -o remount,{opts} failed");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// A server on `data`, with an admin logged in.
async fn start(data: &Path, opts: &Opts) -> (Server, String) {
    let server = Server::start(data, opts);
    let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    (server, token)
}

async fn api(s: &Server, token: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    let mut rb = s.req(method, path).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    send(rb).await
}

async fn put_script(s: &Server, token: &str, src: &str) -> Resp {
    let rb = s
        .req("PUT", "/engine/api/scripts/app.js")
        .bearer_auth(token)
        .header("content-type", "application/javascript")
        .body(src.to_string());
    send(rb).await
}

async fn put_asset(s: &Server, token: &str, path: &str, body: &[u8]) -> Resp {
    let rb = s
        .req("PUT", &format!("/engine/api/assets/{path}"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(body.to_vec());
    send(rb).await
}

fn app(version: &str) -> String {
    format!(
        r#"
register("/f/set", async (req) => {{
  try {{
    await kv.set(["k", req.json.k], req.json.v);
    return {{ status: 200, body: "ok" }};
  }} catch (e) {{
    return {{ status: 507, body: String(e.message ?? e) }};
  }}
}}, "POST");
register("/f/get", async (req) => ({{
  status: 200, contentType: "application/json",
  body: JSON.stringify((await kv.get(["k", req.query.k])).value ?? null),
}}));
register("/f/version", () => ({{ status: 200, body: "{version}" }}));
"#
    )
}

fn value(i: usize) -> String {
    format!("{i}:{}", "v".repeat(20_000))
}

/// Writes `path` until the filesystem is full; returns the bytes written.
fn fill(path: &Path) -> usize {
    let mut f = std::fs::File::create(path).expect("create filler");
    let chunk = vec![0x5a; 64 * 1024];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filler write failed: {e}"),
        }
    }
    let _ = f.sync_all();
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_data_004_disk_full_refuses_writes_keeps_reads_and_recovers() {
    let Some(mount) = Mount::tmpfs("24m") else {
        return;
    };
    let data = mount.path().join("data.redb");
    admin_create(&data, ADMIN_EMAIL, ADMIN_PASS);
    let opts = Opts::config("[storage]\nreserve_bytes = 2097152\n");
    let (mut server, token) = start(&data, &opts).await;
    let r = put_script(&server, &token, &app("v1")).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    let small = b"asset before the disk filled".to_vec();
    let r = put_asset(&server, &token, "f/before.txt", &small).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());

    let filler = mount.path().join("filler");
    let filled = fill(&filler);
    // Give 1 MiB back, so some writes are acknowledged before the refusal.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap();
    f.set_len((filled - 1024 * 1024) as u64)
        .expect("shrink filler");
    drop(f);
    eprintln!("filler: {filled} bytes less 1 MiB");

    // kv writes through a script: acknowledged ones until the reserve is
    // used up, then a script-visible error naming the cause.
    let mut acked = Vec::new();
    let mut refusal = None;
    for i in 0..2000 {
        let body = json!({ "k": format!("k{i}"), "v": value(i) });
        let r = send(server.req("POST", "/f/set").json(&body)).await;
        match r.status {
            200 => acked.push(i),
            507 => {
                refusal = Some(r.text());
                break;
            }
            s => panic!("kv write {i}: unexpected {s}: {}", r.text()),
        }
    }
    let refusal = refusal.expect("kv writes never failed on a full disk");
    assert!(
        refusal.contains("full") && refusal.contains("storage.reserve_bytes"),
        "the kv error does not name the cause: {refusal}"
    );
    eprintln!("{} kv writes acknowledged before: {refusal}", acked.len());

    // Management writes: 507 storage_full with the fix in the message.
    let r = put_asset(&server, &token, "f/during.txt", b"while full").await;
    assert_eq!(
        (r.status, r.code()),
        (507, "storage_full".into()),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Free space"), "{}", r.text());
    let r = put_script(&server, &token, &app("v2")).await;
    assert_eq!(
        (r.status, r.code()),
        (507, "storage_full".into()),
        "{}",
        r.text()
    );
    let user = json!({ "email": "full@example.com", "password": "a long enough password 1" });
    let r = api(
        &server,
        &token,
        "POST",
        "/engine/api/users",
        Some(user.clone()),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (507, "storage_full".into()),
        "{}",
        r.text()
    );

    // Reads keep working, and the old script version keeps serving.
    assert_eq!(server.get("/f/version").await.text(), "v1");
    for &i in &acked {
        let r = server.get(&format!("/f/get?k=k{i}")).await;
        assert_eq!(r.json(), json!(value(i)), "kv k{i} while full");
    }
    assert_eq!(server.get("/f/before.txt").await.body, small);
    let health = server.get("/health").await;
    assert_eq!(health.status, 200, "{}", health.text());

    // Space freed: writes work again.
    std::fs::remove_file(&filler).expect("remove filler");
    let body = json!({ "k": "after", "v": value(9999) });
    let r = send(server.req("POST", "/f/set").json(&body)).await;
    assert_eq!(
        r.status,
        200,
        "kv write after space was freed: {}",
        r.text()
    );
    let big = vec![b'a'; 100_000];
    let r = put_asset(&server, &token, "f/after.txt", &big).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    let r = put_script(&server, &token, &app("v2")).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    assert_eq!(server.get("/f/version").await.text(), "v2");
    let r = api(&server, &token, "POST", "/engine/api/users", Some(user)).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());

    // redb itself never met the full disk (it would have latched the file).
    assert!(
        !server.output().contains("Previous I/O error"),
        "redb hit ENOSPC:\n{}",
        server.output()
    );

    // Nothing acknowledged is lost: stop, verify, restart, read it all.
    let status = server.stop();
    assert!(status.is_some_and(|s| s.success()), "{}", server.output());
    let out = run_cli(&["verify", data.to_str().expect("utf-8")]);
    assert!(out.status.success(), "verify: {}{}", out.stdout, out.stderr);
    let (server, _) = start(&data, &opts).await;
    for &i in &acked {
        let r = server.get(&format!("/f/get?k=k{i}")).await;
        assert_eq!(r.json(), json!(value(i)), "kv k{i} after restart");
    }
    assert_eq!(
        server.get("/f/get?k=after").await.json(),
        json!(value(9999))
    );
    assert_eq!(server.get("/f/after.txt").await.body, big);
    assert_eq!(server.get("/f/before.txt").await.body, small);
    assert_eq!(server.get("/f/version").await.text(), "v2");
    drop(server);
}

fn data_in(mount: &Mount) -> PathBuf {
    let data = mount.path().join("data.redb");
    admin_create(&data, ADMIN_EMAIL, ADMIN_PASS);
    data
}

#[tokio::test]
async fn test_req_data_004_read_only_data_file_is_refused_with_the_fix() {
    let Some(mount) = Mount::tmpfs("16m") else {
        return;
    };
    let data = data_in(&mount);
    // Root ignores file modes, so the filesystem itself is made read-only.
    mount.remount("ro");
    let err = match Server::spawn(&data, &Opts::default()) {
        Ok(_) => panic!("the server started on a read-only data file"),
        Err(e) => e,
    };
    assert!(err.status.is_some_and(|s| !s.success()), "{err}");
    let shown = data.display().to_string();
    assert!(
        err.output.contains(&shown)
            && err.output.contains("cannot be opened for writing")
            && err.output.contains("read-only"),
        "the refusal does not name the file and the fix:\n{}",
        err.output
    );
    // `verify` only reads: it works on the read-only file.
    let out = run_cli(&["verify", &shown]);
    assert!(out.status.success(), "verify: {}{}", out.stdout, out.stderr);
    mount.remount("rw");
}

#[tokio::test]
async fn test_req_data_004_file_replaced_underneath_is_reported_and_writes_refused() {
    // Room for the default 16 MiB reserve.
    let Some(mount) = Mount::tmpfs("64m") else {
        return;
    };
    let data = data_in(&mount);
    let (server, token) = start(&data, &Opts::default()).await;
    let r = put_script(&server, &token, &app("v1")).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    assert_eq!(server.get("/health").await.status, 200);

    // Another data file renamed over the served one.
    let other = mount.path().join("other.redb");
    admin_create(&other, "other@example.com", ADMIN_PASS);
    std::fs::rename(&other, &data).expect("rename over the data file");

    let health = server.get("/health").await;
    assert_eq!(health.status, 503, "{}", health.text());
    let store = health.json()["store"].as_str().unwrap_or("").to_string();
    assert!(
        store.contains("was replaced") && store.contains(&data.display().to_string()),
        "/health does not report the replacement: {store}"
    );
    // It keeps serving what it has, and refuses writes a restart would lose.
    assert_eq!(server.get("/f/version").await.text(), "v1");
    let body = json!({ "k": "lost", "v": "x" });
    let r = send(server.req("POST", "/f/set").json(&body)).await;
    assert_eq!(r.status, 507, "{}", r.text());
    assert!(r.text().contains("was replaced"), "{}", r.text());
    let r = put_asset(&server, &token, "f/x.txt", b"x").await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(
        server.output().contains("was replaced"),
        "the log does not say why the write failed:\n{}",
        server.output()
    );
}
