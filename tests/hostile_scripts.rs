//! Hostile scripts under load (issue 15, REQ-JS-002..004, REQ-HTTP-004):
//! one well-behaved route is kept under steady load by clients in this
//! test while, one at a time, a hostile handler runs. Each hostile request
//! must be stopped by its NAMED limit (the error `code`), and the
//! well-behaved route's p99 must stay within `common::load::budget`
//! (the latency rule is explained there).

mod common;

use common::load::{budget, load, median_p99, quiet_p99};
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SCRIPT: &str = include_str!("test_scripts/hostile_load.js");

/// Fires `path` `times` times in a row while /load/ok is under load;
/// asserts each answer is `status` with one of `codes`; returns the p99.
async fn under_attack(eng: &Engine, path: &str, times: usize, status: u16, codes: &[&str]) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let h = load(eng, "/load/ok", "ok", stop.clone());
    let start = Instant::now();
    for _ in 0..times {
        let r = send(eng.req("GET", path)).await;
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert!(codes.contains(&r.code().as_str()), "{path}: {}", r.text());
    }
    // At least 3 s of load so there are several windows.
    if let Some(rest) = Duration::from_secs(3).checked_sub(start.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    stop.store(true, Ordering::Relaxed);
    median_p99(&h.await.unwrap())
}

async fn engine() -> Engine {
    let config = "[server]\nrequest_timeout_ms = 2000\n[js]\nworkers = 2\n";
    let eng = Engine::start_with(Opts::config(config)).await;
    eng.deploy("hostile_load.js", SCRIPT).await;
    assert_eq!(eng.get("/load/ok").await.text(), "ok");
    eng
}

/// The cases run one at a time even when the harness runs tests in
/// parallel: two attacks at once would measure each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn check(path: &str, times: usize, status: u16, codes: &[&str]) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut eng = engine().await;
    let quiet = quiet_p99(&eng, "/load/ok", "ok").await;
    let hot = under_attack(&eng, path, times, status, codes).await;
    eprintln!("{path}: quiet p99 {quiet:.2} ms, under attack {hot:.2} ms");
    assert!(
        hot <= budget(quiet),
        "{path}: p99 {hot:.2} ms > budget {:.2} ms (quiet {quiet:.2})",
        budget(quiet)
    );
    assert!(
        eng.server.try_status().is_none(),
        "process died:\n{}",
        eng.server.output()
    );
    assert_eq!(eng.get("/load/ok").await.text(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_003_infinite_loop_under_load() {
    check("/load/loop", 2, 500, &["script_timeout"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_002_memory_bomb_under_load() {
    check("/load/memory", 3, 500, &["script_memory"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_004_deep_recursion_under_load() {
    check("/load/recursion", 5, 500, &["script_stack"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_002_huge_response_under_load() {
    check("/load/huge", 3, 500, &["script_memory"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_http_004_never_settling_promise_under_load() {
    check("/load/never", 2, 408, &["request_timeout"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_003_timer_storm_under_load() {
    // A synchronous loop creating timers: stopped by the time limit or, if
    // the timers' memory runs out first, by the memory limit (QuickJS then
    // throws a bare `null`, which the engine names `script_memory` and
    // rebuilds the context: the good route must not inherit the timers).
    check("/load/timers", 2, 500, &["script_timeout", "script_memory"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_http_004_kv_write_loop_under_load() {
    // Awaiting kv.set is not JS time: the whole-request timeout stops it.
    check("/load/kv", 1, 408, &["request_timeout"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_js_003_catastrophic_regex_under_load() {
    check("/load/regex", 2, 500, &["script_timeout"]).await;
}
