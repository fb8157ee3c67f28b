//! The data file (issue 3 §3, REQ-DATA-001/004): the committed v1 fixture
//! still opens, and corrupt or newer-format files are refused untouched.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// Layout facts this file relies on (src/store/tables.rs): the format
/// version is a big-endian u32 under `format_version` in table `meta`.
const META: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
const FORMAT_VERSION_KEY: &str = "format_version";

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/fixtures/v1.redb")
}

fn assert_refused(err: &StartError, data: &Path) {
    assert!(
        err.status.is_some_and(|s| !s.success()),
        "refusal exits non-zero: {err}"
    );
    let name = data.to_str().unwrap();
    assert!(
        err.output.contains(name),
        "message names the file {name}: {err}"
    );
    let lower = err.output.to_lowercase();
    assert!(!lower.contains("panicked"), "no panic: {err}");
}

/// What `migrations/fixtures/README.md` says the v1 fixture holds.
const FIXTURE_EMAIL: &str = "fixture@example.com";
const FIXTURE_PASS: &str = "fixture-password";

#[tokio::test]
async fn test_req_data_004_v1_fixture_opens_and_serves() {
    let fixture = fixture_path();
    let original = std::fs::read(&fixture)
        .unwrap_or_else(|e| panic!("committed fixture {} is missing: {e}", fixture.display()));
    let dir = DataDir::new();
    std::fs::write(&dir.data, &original).unwrap();
    let mut server = Server::start(&dir.data, &Opts::default());
    let token = server.login(FIXTURE_EMAIL, FIXTURE_PASS).await;
    let api = |path: &str| send(server.req("GET", path).bearer_auth(&token));

    let list = api("/engine/api/scripts").await.json();
    let scripts = list["scripts"].as_array().expect("scripts").clone();
    let examples: Vec<&Value> = scripts
        .iter()
        .filter(|s| s["name"].as_str().unwrap_or("").starts_with("example-"))
        .collect();
    assert_eq!(examples.len(), 3, "three seeded examples: {list}");
    assert!(examples.iter().all(|s| s["enabled"] == false), "{list}");
    let fx = scripts
        .iter()
        .find(|s| s["name"] == "fixture.js")
        .expect("fixture.js listed");
    assert_eq!(fx["version"], 2, "{fx}");
    assert_eq!(fx["enabled"], true, "{fx}");
    let versions = api("/engine/api/scripts/fixture.js/versions").await.json();
    assert_eq!(
        versions["versions"].as_array().map(Vec::len),
        Some(2),
        "{versions}"
    );
    let one = api("/engine/api/scripts/fixture.js").await.json();
    assert!(
        one["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{one}"
    );

    let r = server.get("/fixture").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["fixture"], "v2");
    assert_eq!(server.get("/fixture/7").await.text(), "item 7");

    // The migrated copy opens again, and the committed file is untouched.
    let status = server.stop();
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let again = Server::start(&dir.data, &Opts::default());
    assert_eq!(again.get("/fixture/8").await.text(), "item 8");
    assert_eq!(
        std::fs::read(&fixture).unwrap(),
        original,
        "the committed fixture is untouched"
    );
}

/// Deterministic pseudo-random bytes (xorshift), so no extra crate is needed.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn test_req_data_004_corrupt_file_is_refused_untouched() {
    let dir = DataDir::new();
    let bytes = noise(64 * 1024);
    std::fs::write(&dir.data, &bytes).unwrap();
    match Server::spawn(&dir.data, &Opts::default()) {
        Ok(server) => panic!("a corrupt file was accepted:\n{}", server.output()),
        Err(err) => assert_refused(&err, &dir.data),
    }
    assert_eq!(
        std::fs::read(&dir.data).unwrap(),
        bytes,
        "file left byte-for-byte unchanged"
    );

    let data = dir.data.to_str().unwrap();
    let out = run_cli(&[
        "admin",
        "create",
        "c@example.com",
        "--password",
        "long-enough-password",
        "--data",
        data,
    ]);
    assert!(!out.status.success(), "admin create refuses a corrupt file");
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains(data),
        "names the file"
    );
    assert_eq!(
        std::fs::read(&dir.data).unwrap(),
        bytes,
        "unchanged after admin create"
    );
}

#[test]
fn test_req_data_004_truncated_file_is_refused() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let full = std::fs::read(&dir.data).unwrap();
    let half = &full[..full.len() / 2];
    std::fs::write(&dir.data, half).unwrap();
    match Server::spawn(&dir.data, &Opts::default()) {
        Ok(server) => panic!("a truncated file was accepted:\n{}", server.output()),
        Err(err) => assert_refused(&err, &dir.data),
    }
    assert_eq!(
        std::fs::read(&dir.data).unwrap(),
        half,
        "file left unchanged"
    );
}

fn format_version(path: &Path) -> Option<Vec<u8>> {
    use redb::ReadableDatabase;
    let db = redb::Database::open(path).expect("open data file with redb");
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(META).unwrap();
    table
        .get(FORMAT_VERSION_KEY)
        .unwrap()
        .map(|g| g.value().to_vec())
}

fn set_format_version(path: &Path, version: u32) {
    let db = redb::Database::open(path).expect("open data file with redb");
    let txn = db.begin_write().unwrap();
    {
        let mut table = txn.open_table(META).unwrap();
        table
            .insert(FORMAT_VERSION_KEY, &version.to_be_bytes()[..])
            .unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn test_req_data_004_newer_format_is_refused() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    assert!(
        format_version(&dir.data).is_some(),
        "a new file records its format version"
    );
    set_format_version(&dir.data, 9999);
    match Server::spawn(&dir.data, &Opts::default()) {
        Ok(server) => panic!("a newer-format file was accepted:\n{}", server.output()),
        Err(err) => {
            assert_refused(&err, &dir.data);
            assert!(
                err.output.to_lowercase().contains("newer"),
                "says it is newer: {err}"
            );
        }
    }
    let after = format_version(&dir.data);
    assert_eq!(
        after,
        Some(9999u32.to_be_bytes().to_vec()),
        "format version not rewritten"
    );
}
