//! Spooled uploads and assets (issue 6 §2, §4; REQ-HTTP-008): a big
//! `req.files[i]` stored with `assets.put` is copied from its spool file,
//! never through JS memory; spool files a crashed run left are swept at
//! start.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};

const MB: usize = 1024 * 1024;

/// A JS memory limit well below the upload: storing it must not read it
/// into JS.
const CONFIG: &str = r#"
[js]
memory_limit_bytes = 8388608
"#;

const APP: &str = r#"
register("/store", async (req) => {
  const f = req.files[0];
  try {
    const a = await assets.put("big/" + f.filename, f);
    return { body: { path: a.path, size: a.size, etag: a.etag, contentType: a.contentType } };
  } catch (e) {
    return { status: 500, body: { error: e.name + ": " + e.message } };
  }
}, "POST", { maxBodyBytes: 64 * 1024 * 1024 });
"#;

/// Pseudo-random lowercase text, so it passes as text/plain.
fn text_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 2463534242;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn form(name: &str, bytes: Vec<u8>) -> Form {
    form_as(name, "text/plain", bytes)
}

fn form_as(name: &str, mime: &str, bytes: Vec<u8>) -> Form {
    let part = Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap();
    Form::new().part("file", part)
}

fn proc_mem(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kb * 1024
}

/// Resident memory now, with the peak (`VmHWM`) reset to it where the
/// kernel allows; otherwise the peak so far.
fn rss_baseline(pid: u32) -> usize {
    match std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        Ok(()) => proc_mem(pid, "VmRSS:"),
        Err(_) => proc_mem(pid, "VmHWM:"),
    }
}

fn spool_dir(dir: &DataDir) -> std::path::PathBuf {
    dir.dir().join("data.redb.uploads")
}

#[tokio::test]
async fn test_req_http_008_assets_put_streams_a_spooled_upload() {
    let eng = Engine::start_with(Opts::config(CONFIG)).await;
    eng.deploy("store.js", APP).await;
    // Warm up: contexts, a spooled file, the blocking pool, the store.
    for i in 0..2 {
        let r = send(
            eng.req("POST", "/store")
                .multipart(form(&format!("warm{i}.txt"), text_bytes(2 * MB))),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let pid = eng.server.pid();
    let big = text_bytes(20 * MB);
    // The store's own cost of 20 MB (redb keeps written pages in its page
    // cache), measured on the management API's streamed upload.
    let before = rss_baseline(pid);
    let r = send(
        eng.req("PUT", "/engine/api/assets/big/api.txt")
            .bearer_auth(&eng.token)
            .header("content-type", "text/plain")
            .body(big.clone()),
    )
    .await;
    let store_cost = proc_mem(pid, "VmHWM:").saturating_sub(before);
    assert_eq!(r.status, 201, "{}", r.text());

    let before = rss_baseline(pid);
    let r = send(
        eng.req("POST", "/store")
            .multipart(form("file.txt", big.clone())),
    )
    .await;
    let growth = proc_mem(pid, "VmHWM:").saturating_sub(before);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["path"], "big/file.txt");
    assert_eq!(v["size"], 20 * MB);
    assert_eq!(v["contentType"], "text/plain");
    // A copy through JS would add 20 MB (and break the 8 MB JS limit).
    assert!(
        growth < store_cost + 8 * MB,
        "peak RSS grew by {growth} bytes storing a 20 MB upload from JS, {store_cost} through the API"
    );

    let got = eng.get("/big/file.txt").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.len(), 20 * MB);
    assert_eq!(sha256_hex(&got.body), sha256_hex(&big));
    assert_eq!(v["etag"], format!("\"{}\"", sha256_hex(&big)));

    // The magic-byte check still applies, to the file's first bytes.
    let r = send(eng.req("POST", "/store").multipart(form_as(
        "fake.png",
        "image/png",
        text_bytes(MB),
    )))
    .await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("image/png"), "{}", r.text());
    assert_eq!(eng.get("/big/fake.png").await.status, 404);
}

#[tokio::test]
async fn test_req_http_008_stale_spool_files_are_removed_at_start() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let spool = spool_dir(&dir);
    std::fs::create_dir_all(&spool).expect("create spool dir");
    let stale = spool.join("upload-left-by-a-crash");
    std::fs::write(&stale, b"partial upload").expect("write stale file");
    let server = Server::start(&dir.data, &Opts::default());
    assert!(
        !stale.exists(),
        "a spool file from an earlier run survived start"
    );
    drop(server);
}
