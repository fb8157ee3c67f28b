//! The server's own log (issue 5 §3, REQ-LOG-001/002): JSON lines, files,
//! rotation with retention and compression, and the level reloaded live.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use common::*;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Polls (without sleeping past need) until `f` holds, or panics.
fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn today() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn logging_config(dir: &Path, extra: &str) -> (String, PathBuf) {
    let logs = dir.join("logs");
    let toml = format!(
        "[logging]\nfile = \"{}\"\n{extra}",
        logs.join("server.log").display()
    );
    (toml, logs)
}

#[test]
fn test_req_log_001_json_lines_on_console_and_in_the_file() {
    let dir = DataDir::new();
    let (toml, logs) = logging_config(dir.dir(), "format = \"json\"\n");
    let server = Server::start(&dir.data, &Opts::config(&toml));
    let current = logs.join(format!("server.{}.log", today()));
    wait_for("the serving line in the log file", POLL_DEADLINE, || {
        std::fs::read_to_string(&current).is_ok_and(|t| t.contains("serving"))
    });
    let file = std::fs::read_to_string(&current).unwrap();
    let console = server.output();
    let json_lines: Vec<&str> = console.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!json_lines.is_empty(), "no JSON on the console: {console}");
    for line in file.lines().chain(json_lines) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        assert!(v["fields"]["message"].is_string(), "{line}");
    }
    assert!(
        !console.lines().any(|l| l.contains(" INFO ")),
        "no text lines: {console}"
    );
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn test_req_log_002_rotated_files_compressed_and_kept_by_count() {
    let dir = DataDir::new();
    let (toml, logs) = logging_config(dir.dir(), "retention_files = 3\ncompress = \"gzip\"\n");
    std::fs::create_dir_all(&logs).unwrap();
    for day in [
        "2020-01-01",
        "2020-01-02",
        "2020-01-03",
        "2020-01-04",
        "2020-01-05",
    ] {
        std::fs::write(
            logs.join(format!("server.{day}.log")),
            format!("old line {day}\n"),
        )
        .unwrap();
    }
    let _server = Server::start(&dir.data, &Opts::config(&toml));
    let want = vec![
        "server.2020-01-04.log.gz".to_string(),
        "server.2020-01-05.log.gz".to_string(),
        format!("server.{}.log", today()),
    ];
    wait_for("compression and pruning", POLL_DEADLINE, || {
        names(&logs) == want
    });
    assert_eq!(
        gunzip(&logs.join("server.2020-01-05.log.gz")),
        "old line 2020-01-05\n"
    );
}

#[test]
fn test_req_log_002_retention_by_age_with_zstd() {
    let dir = DataDir::new();
    let extra = "retention_files = 0\nretention_days = 2\ncompress = \"zstd\"\n";
    let (toml, logs) = logging_config(dir.dir(), extra);
    std::fs::create_dir_all(&logs).unwrap();
    let old = logs.join("server.2020-01-01.log");
    std::fs::write(&old, "ancient\n").unwrap();
    let ten_days = SystemTime::now() - Duration::from_secs(10 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(ten_days)
        .unwrap();
    std::fs::write(logs.join("server.2020-01-02.log"), "recent\n").unwrap();
    let _server = Server::start(&dir.data, &Opts::config(&toml));
    let want = vec![
        "server.2020-01-02.log.zst".to_string(),
        format!("server.{}.log", today()),
    ];
    wait_for("age pruning and zstd", POLL_DEADLINE, || {
        names(&logs) == want
    });
    let packed = std::fs::read(logs.join("server.2020-01-02.log.zst")).unwrap();
    assert_eq!(zstd::decode_all(&packed[..]).unwrap(), b"recent\n");
}

/// Rotation end to end without waiting for a minute to turn: with the
/// (test-only) minutely rotation, a file from an earlier minute is
/// compressed once the server writes the current minute's file, which
/// stays plain. The roll at a boundary itself is tracing-appender's (it
/// reads the system clock, so no test here waits for a minute to turn).
#[test]
fn test_req_log_002_rotation_rolls_and_compresses() {
    let dir = DataDir::new();
    let (toml, logs) = logging_config(dir.dir(), "rotation = \"minutely\"\ncompress = \"gzip\"\n");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("server.2020-01-01-00-00.log"),
        "an earlier minute\n",
    )
    .unwrap();
    let _server = Server::start(&dir.data, &Opts::config(&toml));
    let minute = format!("server.{}-", today());
    let written = |n: &String| {
        n.starts_with(&minute)
            && n.ends_with(".log")
            && std::fs::read_to_string(logs.join(n)).is_ok_and(|t| t.contains("serving"))
    };
    wait_for("a rotated, compressed file", POLL_DEADLINE, || {
        let all = names(&logs);
        all.iter().any(|n| n == "server.2020-01-01-00-00.log.gz") && all.iter().any(written)
    });
    assert_eq!(
        gunzip(&logs.join("server.2020-01-01-00-00.log.gz")),
        "an earlier minute\n"
    );
    let all = names(&logs);
    let mut plain = all.iter().filter(|n| n.ends_with(".log"));
    assert!(
        plain.all(|n| n.starts_with(&minute)),
        "only today's minutes stay plain: {all:?}"
    );
}

#[tokio::test]
async fn test_req_log_001_level_reloads_live() {
    let eng = Engine::start_with(Opts::config("[logging]\nlevel = \"warn\"\n")).await;
    assert!(
        !eng.server.output().contains(" INFO "),
        "{}",
        eng.server.output()
    );
    let file = eng.dir.dir().join("config.toml");
    std::fs::write(&file, "[logging]\nlevel = \"info\"\n").unwrap();
    let r = eng.api("POST", "/engine/api/config/reload", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["applied"], json!(["logging.level"]));
    eventually("an info line", || async {
        eng.server
            .output()
            .contains("config reloaded")
            .then_some(())
    })
    .await;
    std::fs::write(&file, "[logging]\nlevel = \"loud\"\n").unwrap();
    let r = eng.api("POST", "/engine/api/config/reload", None).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("logging.level"), "{}", r.text());
}
