//! A running `serve` process: start-up, output capture, signals, shutdown.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// Why `serve` did not reach `listening on`.
#[derive(Debug)]
pub struct StartError {
    /// The exit status, or None if it was still running at the deadline.
    pub status: Option<ExitStatus>,
    /// Everything it printed on stdout and stderr.
    pub output: String,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "server exited ({s}) before listening\n{}", self.output),
            None => write!(
                f,
                "no `listening on` line within {START_DEADLINE:?}\n{}",
                self.output
            ),
        }
    }
}

/// A running `aiwebengine serve`. Killed on drop.
pub struct Server {
    child: Option<Child>,
    /// `IP:PORT` as printed in the `listening on` line.
    pub addr: String,
    pub base: String,
    pub data: PathBuf,
    pub client: reqwest::Client,
    output: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve` and waits for `listening on http://IP:PORT`.
    /// Returns the captured output if the process exits or the deadline passes.
    pub fn spawn(data: &Path, opts: &Opts) -> Result<Server, StartError> {
        let mut cmd = cli();
        cmd.arg("serve").arg("--data").arg(data);
        cmd.args(["--http", "127.0.0.1:0", "--https", "off"]);
        if let Some(toml) = &opts.config {
            let dir = data.parent().expect("data file has a parent dir");
            let path = dir.join("config.toml");
            std::fs::write(&path, toml).expect("write config file");
            cmd.arg("--config").arg(path);
        }
        if opts.dev {
            cmd.arg("--dev");
        }
        cmd.args(&opts.extra);
        Server::spawn_cmd(cmd, data)
    }

    /// Starts a prepared `serve` command (stdio is set up here).
    pub fn spawn_cmd(mut cmd: Command, data: &Path) -> Result<Server, StartError> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn aiwebengine serve");
        let output = Arc::new(Mutex::new(String::new()));
        let (lines, _) = drain(child.stdout.take().expect("stdout"), output.clone(), true);
        let (_, stderr) = drain(child.stderr.take().expect("stderr"), output.clone(), false);
        let deadline = Instant::now() + START_DEADLINE;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.as_ref().expect("stdout lines").recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        break rest.split_whitespace().next().unwrap_or("").to_string();
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    drained(&stderr);
                    let output = output.lock().unwrap().clone();
                    return Err(StartError {
                        status: None,
                        output,
                    });
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = wait_deadline(&mut child, STOP_DEADLINE);
                    // stdout closing says nothing of stderr: its last lines
                    // (the refusal message) may still be in the pipe.
                    drained(&stderr);
                    let output = output.lock().unwrap().clone();
                    return Err(StartError { status, output });
                }
            }
        };
        Ok(Server {
            child: Some(child),
            base: format!("http://{addr}"),
            addr,
            data: data.to_path_buf(),
            client: http_client(),
            output,
        })
    }

    pub fn start(data: &Path, opts: &Opts) -> Server {
        Server::spawn(data, opts).unwrap_or_else(|e| panic!("server did not start: {e}"))
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// None while the process is still running.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().expect("try_wait"))
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill -{sig} failed");
    }

    /// SIGTERM, then wait for the exit (killing it after STOP_DEADLINE).
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.signal("TERM");
        self.stop_after_signal()
    }

    /// Waits for an exit already asked for (killing it after STOP_DEADLINE).
    pub fn stop_after_signal(&mut self) -> Option<ExitStatus> {
        let child = self.child.as_mut().expect("running");
        let status = wait_deadline(child, STOP_DEADLINE);
        self.child = None;
        status
    }
}

server_api!(Server);

impl Drop for Server {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Under `cargo llvm-cov` (which sets LLVM_PROFILE_FILE) the server
        // must exit on its own to write its coverage profile: SIGTERM and a
        // short wait first. Otherwise SIGKILL, the quickest teardown.
        if std::env::var_os("LLVM_PROFILE_FILE").is_some() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            wait_deadline(&mut child, Duration::from_secs(5));
            return;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Polls `try_wait` until the child exits; kills it after `limit`.
/// Returns None if it had to be killed.
pub fn wait_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Copies a pipe into `output` on its own thread so the child never blocks.
/// With `lines`, also forwards each line (until the receiver is dropped).
/// Waits (bounded) until a drain thread has read its pipe to the end.
fn drained(reader: &std::thread::JoinHandle<()>) {
    let deadline = Instant::now() + STOP_DEADLINE;
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Copies a pipe into `output` on a thread (and its lines to the receiver
/// when `lines`); the handle finishes at the pipe's end.
fn drain(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    lines: bool,
) -> (Option<mpsc::Receiver<String>>, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    output.lock().unwrap().push_str(&line);
                    if lines {
                        let _ = tx.send(line.clone());
                    }
                }
            }
        }
    });
    (lines.then_some(rx), handle)
}
