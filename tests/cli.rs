//! The command line contract (issue 3 §2): flags, env vars, exit codes,
//! `admin create`, and graceful shutdown on SIGTERM.

mod common;

use common::*;
use std::time::Instant;

fn combined(out: &CliOutput) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

fn assert_no_panic(text: &str) {
    let lower = text.to_lowercase();
    assert!(!lower.contains("panicked"), "output shows a panic: {text}");
    assert!(
        !lower.contains("backtrace"),
        "output shows a backtrace: {text}"
    );
}

#[test]
fn test_req_deploy_001_version_flag() {
    let out = run_cli(&["--version"]);
    assert!(out.status.success(), "--version failed: {}", out.stderr);
    assert!(
        out.stdout.contains(env!("CARGO_PKG_VERSION")),
        "--version should print the package version: {}",
        out.stdout
    );
}

#[test]
fn test_help_flag_lists_commands() {
    let out = run_cli(&["--help"]);
    assert!(out.status.success(), "--help failed: {}", out.stderr);
    assert!(
        out.stdout.contains("serve"),
        "help names `serve`: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("admin"),
        "help names `admin`: {}",
        out.stdout
    );
}

#[test]
fn test_wrong_usage_exits_2_with_error_and_usage() {
    for args in [
        &["--no-such-flag"][..],
        &["frobnicate"],
        &["serve", "--bogus"],
    ] {
        let out = run_cli(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} exit code; stderr: {}",
            out.stderr
        );
        let first = out
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        assert!(
            first.to_lowercase().contains("error"),
            "{args:?}: first line {first:?}"
        );
        assert!(
            out.stderr.to_lowercase().contains("usage"),
            "{args:?}: {}",
            out.stderr
        );
        assert_no_panic(&out.stderr);
    }
}

#[test]
fn test_unknown_config_key_exits_2() {
    let dir = DataDir::new();
    let config = dir.write("bad.toml", b"[js]\nno_such_key = 1\n");
    let data = dir.data.to_str().unwrap();
    let out = run_cli(&[
        "serve",
        "--data",
        data,
        "--http",
        "127.0.0.1:0",
        "--https",
        "off",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("no_such_key"),
        "names the key: {}",
        out.stderr
    );
}

#[test]
fn test_admin_create_twice_fails_with_exit_1() {
    let dir = DataDir::new();
    admin_create(&dir.data, "twice@example.com", "pw-one-1234");
    let data = dir.data.to_str().unwrap();
    let out = run_cli(&[
        "admin",
        "create",
        "twice@example.com",
        "--password",
        "another-password-2",
        "--data",
        data,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "second create: {}",
        combined(&out)
    );
    let text = combined(&out).to_lowercase();
    assert!(
        text.contains("exist") || text.contains("already"),
        "message should say the admin exists: {text}"
    );
    assert_no_panic(&text);
}

#[tokio::test]
async fn test_admin_create_while_server_runs_says_so_in_one_line() {
    let eng = Engine::start().await;
    let data = eng.dir.data.to_str().unwrap();
    let out = run_cli(&[
        "admin",
        "create",
        "b@example.com",
        "--password",
        "long-enough-password",
        "--data",
        data,
    ]);
    assert!(
        !out.status.success(),
        "must fail while the server holds the file"
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one line on stderr: {:?}",
        out.stderr
    );
    let lower = lines[0].to_lowercase();
    assert!(
        ["lock", "in use", "running", "held", "busy", "open"]
            .iter()
            .any(|w| lower.contains(w)),
        "message should say the file is in use: {}",
        lines[0]
    );
    assert_no_panic(&combined(&out));
    assert_eq!(eng.get("/health").await.status, 200, "server unaffected");
}

#[tokio::test]
async fn test_admin_create_password_stdin() {
    let dir = DataDir::new();
    let mut cmd = cli();
    cmd.args([
        "admin",
        "create",
        "stdin@example.com",
        "--password-stdin",
        "--data",
    ]);
    cmd.arg(&dir.data);
    let out = run_cmd(cmd, Some("from-stdin-pw\n"));
    assert!(
        out.status.success(),
        "create with --password-stdin: {}",
        combined(&out)
    );
    let server = Server::start(&dir.data, &Opts::default());
    let token = server.login("stdin@example.com", "from-stdin-pw").await;
    assert!(!token.is_empty());
}

#[tokio::test]
async fn test_env_vars_configure_serve() {
    let dir = DataDir::new();
    let env_data = dir.dir().join("env.redb");
    let mut cmd = cli();
    cmd.arg("serve").current_dir(dir.dir());
    cmd.env("AIWEBENGINE_DATA", &env_data);
    cmd.env("AIWEBENGINE_HTTP", "127.0.0.1:0");
    cmd.env("AIWEBENGINE_HTTPS", "off");
    let server = Server::spawn_cmd(cmd, &env_data).expect("serve from env vars");
    assert!(
        server.addr.starts_with("127.0.0.1:"),
        "bound {}",
        server.addr
    );
    assert_eq!(server.get("/health").await.status, 200);
    assert!(env_data.exists(), "AIWEBENGINE_DATA file created");
    assert!(
        !dir.dir().join("aiwebengine.redb").exists(),
        "default path unused"
    );
}

#[tokio::test]
async fn test_flags_win_over_env_vars() {
    let dir = DataDir::new();
    let env_data = dir.dir().join("env.redb");
    let flag_data = dir.dir().join("flag.redb");
    let mut cmd = cli();
    cmd.current_dir(dir.dir());
    cmd.env("AIWEBENGINE_DATA", &env_data);
    cmd.env("AIWEBENGINE_HTTP", "127.0.0.2:0");
    cmd.env("AIWEBENGINE_HTTPS", "not-an-address");
    cmd.arg("serve").arg("--data").arg(&flag_data);
    cmd.args(["--http", "127.0.0.1:0", "--https", "off"]);
    let server = Server::spawn_cmd(cmd, &flag_data).expect("flags should override env");
    assert!(
        server.addr.starts_with("127.0.0.1:"),
        "--http wins: bound {}",
        server.addr
    );
    assert_eq!(server.get("/health").await.status, 200);
    assert!(flag_data.exists(), "--data wins");
    assert!(
        !env_data.exists(),
        "AIWEBENGINE_DATA ignored when --data is given"
    );
}

#[tokio::test]
async fn test_sigterm_graceful_shutdown_keeps_scripts() {
    let mut eng = Engine::start().await;
    eng.deploy("keep.js", "register('/keep', () => 'v1');")
        .await;
    eng.deploy("keep.js", "register('/keep', () => 'v2');")
        .await;
    let started = Instant::now();
    let status = eng.server.stop();
    assert!(
        status.is_some_and(|s| s.success()),
        "SIGTERM should exit 0 within {STOP_DEADLINE:?}, got {status:?}\n{}",
        eng.server.output()
    );
    assert!(started.elapsed() < STOP_DEADLINE);
    eng.server = Server::start(&eng.dir.data, &eng.opts);
    assert_eq!(eng.get("/keep").await.text(), "v2");
    let one = eng.api("GET", "/engine/api/scripts/keep.js", None).await;
    assert_eq!(one.status, 200, "{}", one.text());
    assert_eq!(one.json()["version"], 2);
}

const IN_FLIGHT: &str = r#"
register('/slow', async () => { writeLog('in flight'); await sleep(2000); return 'finished'; });
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sigterm_lets_in_flight_request_finish() {
    let mut eng = Engine::start().await;
    eng.deploy("inflight.js", IN_FLIGHT).await;
    let slow = tokio::spawn(send(eng.req("GET", "/slow")));
    eng.wait_log("inflight.js", |e| msg(e) == "in flight").await;
    assert!(
        !slow.is_finished(),
        "slow request must still be in flight at SIGTERM"
    );
    eng.server.signal("TERM");
    let r = slow.await.expect("join");
    assert_eq!(r.status, 200, "in-flight request finishes: {}", r.text());
    assert_eq!(r.text(), "finished");
    let status = eng.server.stop_after_signal();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}"
    );
}

/// REQ-DEPLOY-005: with `server.drain_delay_ms`, SIGTERM first turns
/// `/health/ready` to 503 while requests are still served, so a load
/// balancer can stop routing before the listeners close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_deploy_005_ready_turns_503_while_draining() {
    let mut eng = Engine::start_with(Opts::config("[server]\ndrain_delay_ms = 3000\n")).await;
    assert_eq!(eng.get("/health/ready").await.status, 200);
    eng.server.signal("TERM");
    let r = eventually("/health/ready answers 503", || async {
        let r = eng.get("/health/ready").await;
        (r.status == 503).then_some(r)
    })
    .await;
    assert!(
        r.text().contains("draining") || r.text().contains("shutting"),
        "{}",
        r.text()
    );
    assert_eq!(
        eng.get("/health/live").await.status,
        200,
        "still alive while draining"
    );
    let status = eng.server.stop_after_signal();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}"
    );
}
