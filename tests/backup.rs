//! Backup and restore (issue 5 §5): the online backup under a write load,
//! offline backups, `.zst` round trips, restore refusing a held file, and
//! verify rejecting damaged files. Black-box: the real binary over HTTP.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs a CLI command that must succeed; returns its stdout.
fn ok_cli(args: &[&str]) -> String {
    let out = run_cli(args);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// Runs a CLI command that must fail with status 1 and one `error:` line.
fn failing_cli(args: &[&str]) -> String {
    let out = run_cli(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should exit 1\nstdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: one error line: {}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{args:?}: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.stderr
}

/// `GET /engine/api/backup` written to `dest`.
async fn http_backup(eng: &Engine, query: &str, dest: &Path) -> Resp {
    let r = eng
        .api("GET", &format!("/engine/api/backup{query}"), None)
        .await;
    assert_eq!(r.status, 200, "backup: {}", r.text());
    std::fs::write(dest, &r.body).expect("write backup");
    r
}

/// Names of the scripts a server lists.
async fn script_names(eng_server: &Server, token: &str) -> Vec<String> {
    let r = send(
        eng_server
            .req("GET", "/engine/api/scripts")
            .bearer_auth(token),
    )
    .await;
    assert_eq!(r.status, 200, "list: {}", r.text());
    r.json()["scripts"]
        .as_array()
        .expect("scripts array")
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_online_backup_under_write_load_keeps_every_acknowledged_write() {
    let eng = Arc::new(Engine::start().await);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for t in 0..4 {
        let (eng, acked, stop) = (eng.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("load-{t}-{i}.js");
                let src = format!("register('/load/{t}/{i}', () => 'w{t}-{i}');");
                eng.deploy(&name, &src).await;
                acked.lock().unwrap().push(name);
                i += 1;
            }
        }));
    }
    eventually("40 acknowledged writes", || async {
        (acked.lock().unwrap().len() >= 40).then_some(())
    })
    .await;
    let before: Vec<String> = acked.lock().unwrap().clone();
    let dest = eng.dir.dir().join("online.redb");
    let resp = http_backup(&eng, "", &dest).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer task");
    }
    let during = acked.lock().unwrap().len() - before.len();
    assert!(during > 0, "no write was acknowledged while the backup ran");
    assert_eq!(resp.content_type(), "application/octet-stream");
    assert_eq!(&resp.body[..4], b"redb", "a plain redb file");

    let out = ok_cli(&["verify", path_str(&dest)]);
    assert!(out.starts_with("ok: "), "{out}");
    let restored = eng.dir.dir().join("restored.redb");
    ok_cli(&["restore", path_str(&dest), "--data", path_str(&restored)]);
    let server = Server::start(&restored, &Opts::default());
    let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let names = script_names(&server, &token).await;
    let missing: Vec<&String> = before.iter().filter(|n| !names.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but missing: {missing:?}"
    );
    let first = &before[0];
    let (t, i) = first
        .trim_start_matches("load-")
        .trim_end_matches(".js")
        .split_once('-')
        .expect("name shape");
    let r = server.get(&format!("/load/{t}/{i}")).await;
    assert_eq!((r.status, r.text()), (200, format!("w{t}-{i}")));
}

#[tokio::test]
async fn test_backup_endpoint_needs_admin_and_names_the_file() {
    let eng = Engine::start().await;
    let r = eng.get("/engine/api/backup").await;
    assert_eq!(r.status, 401, "{}", r.text());
    let dest = eng.dir.dir().join("b.redb.zst");
    let r = http_backup(&eng, "?compress=zstd", &dest).await;
    assert_eq!(r.content_type(), "application/zstd");
    assert_eq!(&r.body[..4], &ZSTD_MAGIC, "a zstd frame");
    let disposition = r.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"aiwebengine-backup-")
            && disposition.ends_with(".redb.zst\""),
        "{disposition}"
    );
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string()),
        "length of the snapshot"
    );
    let r = eng
        .api("GET", "/engine/api/backup?compress=gzip", None)
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_compress".to_string()));
    // The scratch snapshot beside the data file is gone once streamed.
    let dir = eng.dir.dir().to_path_buf();
    eventually("scratch files removed", || {
        let dir = dir.clone();
        async move {
            let left: Vec<String> = std::fs::read_dir(&dir)
                .expect("read dir")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".backup"))
                .collect();
            left.is_empty().then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn test_zst_round_trip_through_backup_url_and_restore() {
    let eng = Engine::start().await;
    eng.deploy("zst.js", "register('/zst', () => 'packed');")
        .await;
    let dest = eng.dir.dir().join("via-cli.redb.zst");
    let out = ok_cli(&[
        "backup",
        path_str(&dest),
        "--url",
        &eng.server.base,
        "--token",
        &eng.token,
    ]);
    assert!(out.contains("backup written to"), "{out}");
    let bytes = std::fs::read(&dest).expect("read backup");
    assert_eq!(&bytes[..4], &ZSTD_MAGIC, "OUT ending in .zst is compressed");
    let out = ok_cli(&["verify", path_str(&dest)]);
    assert!(out.contains("users") && out.contains("scripts"), "{out}");

    let restored = eng.dir.dir().join("from-zst.redb");
    ok_cli(&["restore", path_str(&dest), "--data", path_str(&restored)]);
    let server = Server::start(&restored, &Opts::default());
    let r = server.get("/zst").await;
    assert_eq!((r.status, r.text().as_str()), (200, "packed"));

    let bad = failing_cli(&[
        "backup",
        path_str(&eng.dir.dir().join("x.redb")),
        "--url",
        &eng.server.base,
        "--token",
        "not-a-token",
    ]);
    assert!(bad.contains("401"), "{bad}");
}

#[tokio::test]
async fn test_offline_backup_copies_a_stopped_file_and_refuses_a_held_one() {
    let mut eng = Engine::start().await;
    eng.deploy("offline.js", "register('/offline', () => 'copied');")
        .await;
    let dest = eng.dir.dir().join("offline.redb");
    let err = failing_cli(&["backup", path_str(&dest), "--data", path_str(&eng.dir.data)]);
    assert!(err.contains("running") && err.contains("--url"), "{err}");
    assert!(!dest.exists(), "no partial output");

    assert!(eng.server.stop().is_some_and(|s| s.success()));
    let out = ok_cli(&["backup", path_str(&dest), "--data", path_str(&eng.dir.data)]);
    assert!(out.contains("backup written to"), "{out}");
    let server = Server::start(&dest, &Opts::default());
    let r = server.get("/offline").await;
    assert_eq!((r.status, r.text().as_str()), (200, "copied"));
}

#[tokio::test]
async fn test_restore_refuses_a_file_a_running_server_holds() {
    let eng = Engine::start().await;
    let dest = eng.dir.dir().join("b.redb");
    http_backup(&eng, "", &dest).await;
    let before = std::fs::metadata(&eng.dir.data).expect("data").len();
    let err = failing_cli(&[
        "restore",
        path_str(&dest),
        "--data",
        path_str(&eng.dir.data),
    ]);
    assert!(
        err.contains("held by a running") && err.contains("stop the server"),
        "{err}"
    );
    let r = eng.get("/health/ready").await;
    assert_eq!(r.status, 200, "server unaffected: {}", r.text());
    assert_eq!(
        std::fs::metadata(&eng.dir.data).expect("data").len(),
        before
    );
}

#[tokio::test]
async fn test_verify_rejects_damaged_files_and_restore_keeps_the_target() {
    let eng = Engine::start().await;
    let good = eng.dir.dir().join("good.redb");
    http_backup(&eng, "", &good).await;
    let bytes = std::fs::read(&good).expect("read");

    let text = eng
        .dir
        .write("notes.redb", b"just some text, not a database");
    let err = failing_cli(&["verify", path_str(&text)]);
    assert!(err.contains("signature"), "{err}");

    let truncated = eng.dir.write("truncated.redb", &bytes[..bytes.len() / 3]);
    failing_cli(&["verify", path_str(&truncated)]);

    // Every page after the header: damage that lands only in free pages
    // would rightly pass, so the whole tree is hit.
    let mut flipped = bytes.clone();
    for b in &mut flipped[4096..] {
        *b ^= 0x5a;
    }
    let flipped = eng.dir.write("flipped.redb", &flipped);
    failing_cli(&["verify", path_str(&flipped)]);

    let fake_zst = eng.dir.write("fake.redb.zst", &bytes);
    let err = failing_cli(&["verify", path_str(&fake_zst)]);
    assert!(err.contains("zstd"), "{err}");

    let target = eng.dir.dir().join("target.redb");
    std::fs::copy(&good, &target).expect("copy");
    let err = failing_cli(&["restore", path_str(&truncated), "--data", path_str(&target)]);
    assert!(err.contains("truncated.redb"), "{err}");
    assert_eq!(
        std::fs::read(&target).expect("target"),
        bytes,
        "target untouched"
    );
    let out = ok_cli(&["verify", path_str(&good)]);
    assert!(out.starts_with("ok: "), "{out}");
}

#[tokio::test]
async fn test_backup_over_https_pins_the_printed_fingerprint() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let https = tls::start_https(&dir.data, None);
    let token = https.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let base = format!("https://{}", https.https_addr);
    let dest = dir.dir().join("pinned.redb");
    let out = ok_cli(&[
        "backup",
        path_str(&dest),
        "--url",
        &base,
        "--token",
        &token,
        "--fingerprint",
        &https.fingerprint,
    ]);
    assert!(out.contains("backup written to"), "{out}");

    let wrong = ["00"; 32].join(":");
    let err = failing_cli(&[
        "backup",
        path_str(&dir.dir().join("wrong.redb")),
        "--url",
        &base,
        "--token",
        &token,
        "--fingerprint",
        &wrong,
    ]);
    assert!(err.contains("fingerprint"), "{err}");
}

#[tokio::test]
async fn test_backup_url_that_redirects_to_https_says_where_to_point() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let https = tls::start_https(&dir.data, Some("[tls]\nhttps_redirect = \"always\"\n"));
    let err = failing_cli(&[
        "backup",
        path_str(&dir.dir().join("r.redb")),
        "--url",
        &https.server.base,
        "--token",
        "whatever",
    ]);
    let want = format!("--url https://{}", https.https_addr);
    assert!(
        err.contains("redirects to https://") && err.contains(&want),
        "{err}"
    );
}

#[tokio::test]
async fn test_scheduled_backups_keep_the_newest_n() {
    let backups = DataDir::new();
    let toml = format!(
        "[storage]\nbackup_dir = {:?}\nbackup_interval = \"1s\"\nbackup_keep = 2\n",
        path_str(backups.dir())
    );
    let eng = Engine::start_with(Opts::config(&toml)).await;
    eng.deploy("sched.js", "register('/sched', () => 'kept');")
        .await;
    let list = || -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(backups.dir())
            .expect("read backup dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        files.sort();
        files
    };
    eventually("three scheduled backups, two kept", || async {
        let written = eng
            .server
            .output()
            .matches("scheduled backup written")
            .count();
        (written >= 3 && list().len() == 2).then_some(())
    })
    .await;
    let newest = list().pop().expect("a backup");
    let name = newest.file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert!(
        name.starts_with("aiwebengine-backup-") && name.ends_with(".redb.zst"),
        "{name}"
    );
    let out = ok_cli(&["verify", path_str(&newest)]);
    assert!(out.starts_with("ok: "), "{out}");
}

#[test]
fn test_bad_backup_schedule_is_a_config_error() {
    let dir = DataDir::new();
    let config = dir.write("bad.toml", b"[storage]\nbackup_interval = \"0s\"\n");
    let out = run_cli(&[
        "serve",
        "--data",
        path_str(&dir.data),
        "--http",
        "127.0.0.1:0",
        "--https",
        "off",
        "--config",
        path_str(&config),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("storage.backup_interval") && out.stderr.contains("1s or more"),
        "{}",
        out.stderr
    );
}
