//! Black-box harness: runs the real `aiwebengine` binary on `127.0.0.1:0`
//! with `--https off` and a temp data file, and talks HTTP to it.
//! [`inproc`] runs the same engine inside the test process instead.
//!
//! Every test owns its own temp dir and process, so tests run in parallel.
//! Nothing here sleeps to wait for state: start-up waits for the
//! `listening on` line, and `eventually` polls with a deadline.
#![allow(dead_code)]

#[macro_use]
mod engine;
mod http;
mod inproc;
pub mod load;
mod server;
pub mod tls;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

// Each test crate uses a different subset of these.
#[allow(unused_imports)]
pub use engine::*;
#[allow(unused_imports)]
pub use http::*;
#[allow(unused_imports)]
pub use inproc::*;
#[allow(unused_imports)]
pub use serde_json::{json, Value};
#[allow(unused_imports)]
pub use server::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_aiwebengine");
pub const START_DEADLINE: Duration = Duration::from_secs(20);
pub const STOP_DEADLINE: Duration = Duration::from_secs(15);
pub const CLI_DEADLINE: Duration = Duration::from_secs(60);
pub const POLL_DEADLINE: Duration = Duration::from_secs(10);
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASS: &str = "correct horse battery staple";

/// Environment variables the binary reads; removed from every child so the
/// developer's shell cannot change what a test sees.
const ENV_VARS: [&str; 3] = ["AIWEBENGINE_DATA", "AIWEBENGINE_HTTP", "AIWEBENGINE_HTTPS"];

/// A temp dir holding `data.redb` (not created until the binary runs).
pub struct DataDir {
    dir: tempfile::TempDir,
    pub data: PathBuf,
}

impl DataDir {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        let data = dir.path().join("data.redb");
        DataDir { dir, data }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

/// A `Command` for the binary with the AIWEBENGINE_* variables removed.
pub fn cli() -> Command {
    let mut cmd = Command::new(BIN);
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    cmd
}

pub struct CliOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a prepared command to completion (with a deadline), feeding `stdin`.
pub fn run_cmd(mut cmd: Command, stdin: Option<&str>) -> CliOutput {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn aiwebengine");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(CLI_DEADLINE) {
        Ok(out) => out.expect("wait for aiwebengine"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("aiwebengine did not exit within {CLI_DEADLINE:?}");
        }
    };
    CliOutput {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run_cli(args: &[&str]) -> CliOutput {
    let mut cmd = cli();
    cmd.args(args);
    run_cmd(cmd, None)
}

/// `aiwebengine admin create EMAIL --password PASS --data PATH`, which must
/// succeed. Run it before starting a server on the same file.
pub fn admin_create(data: &Path, email: &str, pass: &str) {
    let data = data.to_str().expect("utf-8 path");
    let out = run_cli(&["admin", "create", email, "--password", pass, "--data", data]);
    assert!(
        out.status.success(),
        "admin create failed: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
}

/// How to start `serve`. `serve --data D --http 127.0.0.1:0 --https off`
/// is always passed; these add to it.
#[derive(Clone, Default)]
pub struct Opts {
    pub dev: bool,
    /// TOML text, written to a file and passed as `--config`.
    pub config: Option<String>,
    pub extra: Vec<String>,
}

impl Opts {
    pub fn dev() -> Self {
        Opts {
            dev: true,
            ..Opts::default()
        }
    }

    pub fn config(toml: &str) -> Self {
        Opts {
            config: Some(toml.to_string()),
            ..Opts::default()
        }
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("build reqwest client")
}
