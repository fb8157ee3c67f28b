//! 10,000 Server-Sent Events subscribers that never read (issue 15,
//! REQ-STREAM-*): raw TCP clients open `/load/flood` and never read their
//! socket while the script broadcasts 16 KB events. Each subscriber must be
//! stopped by its named limits — dropped from the stream once its queue of
//! unread events is full (logged as "too slow"), then its connection closed
//! after `server.write_timeout_ms` with no progress (or, when the rest of its
//! response fitted in the socket buffers, after `header_read_timeout_ms` with
//! no next request) — while a well-behaved
//! route keeps its p99 within max(2 x quiet, quiet + 20 ms), the server's
//! memory stays bounded, and the connection slots come back.

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

const SCRIPT: &str = include_str!("test_scripts/hostile_load.js");
const SUBSCRIBERS: usize = 10_000;
const WINDOW: usize = 100;

fn median_p99(lat: &[Duration]) -> f64 {
    let mut p99s: Vec<f64> = lat
        .chunks(WINDOW)
        .filter(|c| c.len() == WINDOW)
        .map(|c| {
            let mut v: Vec<f64> = c.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
            v.sort_by(f64::total_cmp);
            v[(WINDOW * 99) / 100 - 1]
        })
        .collect();
    assert!(!p99s.is_empty(), "fewer than {WINDOW} requests measured");
    p99s.sort_by(f64::total_cmp);
    p99s[p99s.len() / 2]
}

/// One client looping on /load/ok until `stop`.
fn load(eng: &Engine, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<Duration>> {
    let rb = eng.req("GET", "/load/ok");
    tokio::spawn(async move {
        let mut lat = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let r = send(rb.try_clone().unwrap()).await;
            assert_eq!((r.status, r.text().as_str()), (200, "ok"));
            lat.push(t.elapsed());
        }
        lat
    })
}

async fn p99_for(eng: &Engine, secs: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let h = load(eng, stop.clone());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    median_p99(&h.await.unwrap())
}

/// A gauge from `GET /metrics` (open to loopback).
async fn gauge(eng: &Engine, name: &str) -> f64 {
    let text = eng.get("/metrics").await.text();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_stream_10000_subscribers_that_never_read() {
    // The test's own descriptor limit; the server raises its own at start.
    rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE");
    let config = "[server]\nrequest_timeout_ms = 5000\nmax_connections = 11000\nwrite_timeout_ms = 2000\n[js]\nworkers = 2\n";
    let eng = Engine::start_with(Opts::config(config)).await;
    eng.deploy("hostile_load.js", SCRIPT).await;
    assert_eq!(eng.get("/load/ok").await.text(), "ok");
    let pid = eng.server.pid();
    let quiet = p99_for(&eng, 3).await;
    let rss_before = rss_mb(pid);

    // Open the subscribers, 250 at a time; none of them ever reads.
    let addr = eng.server.addr.clone();
    let request =
        format!("GET /load/flood HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    let opened = Instant::now();
    let mut silent = Vec::with_capacity(SUBSCRIBERS);
    for batch in 0..SUBSCRIBERS / 250 {
        let tasks: Vec<_> = (0..250)
            .map(|_| {
                let (addr, request) = (addr.clone(), request.clone());
                tokio::spawn(async move {
                    let mut s = tokio::net::TcpStream::connect(&addr)
                        .await
                        .expect("connect");
                    s.write_all(request.as_bytes())
                        .await
                        .expect("send the request");
                    s
                })
            })
            .collect();
        for t in tasks {
            silent.push(t.await.unwrap());
        }
        if batch % 8 == 7 {
            eprintln!("{} subscribers connected", silent.len());
        }
    }
    let open = eventually("10,000 SSE streams open", || async {
        let n = gauge(&eng, "aiwebengine_sse_connections").await;
        (n >= SUBSCRIBERS as f64).then_some(n)
    })
    .await;
    eprintln!(
        "{open} streams open after {:.1} s",
        opened.elapsed().as_secs_f64()
    );

    // Under attack: broadcast 16 KB events until every subscriber's queue
    // (256 unread events) and socket buffers are full, while /load/ok is
    // under load.
    let idle_before = gauge(&eng, "aiwebengine_http_header_timeouts_total").await as usize;
    let stop = Arc::new(AtomicBool::new(false));
    let h = load(&eng, stop.clone());
    let flood = Instant::now();
    for _ in 0..8 {
        let r = send(eng.req("GET", "/load/flood/send?n=60")).await;
        assert_eq!((r.status, r.text().as_str()), (200, "sent 60"));
    }
    // Either named limit ends a silent subscriber: its queue of unread
    // events fills (dropped from the stream, "too slow"), or its writes
    // stall for server.write_timeout_ms (connection closed).
    let dropped_count = || {
        eng.server
            .output()
            .lines()
            .filter(|l| l.contains("too slow to take events"))
            .filter_map(|l| {
                l.split("dropped ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum::<usize>()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut rss_peak = rss_mb(pid);
    let (slow, stalled, idle, left) = loop {
        rss_peak = rss_peak.max(rss_mb(pid));
        // The silent subscribers' connections, not just their streams.
        let left = gauge(&eng, "aiwebengine_http_connections_open").await;
        if left < 20.0 {
            // The last few silent connections may still be waiting out their
            // write timeout: wait for every one to be counted (CI saw 9,997 of
            // 10,000 counted at the moment 5 connections were left).
            let stalled = gauge(&eng, "aiwebengine_http_write_timeouts_total").await as usize;
            let idle =
                gauge(&eng, "aiwebengine_http_header_timeouts_total").await as usize - idle_before;
            if stalled + idle >= SUBSCRIBERS || Instant::now() > deadline {
                break (dropped_count(), stalled, idle, left);
            }
        } else if Instant::now() > deadline {
            let out = eng.server.output();
            let tail: Vec<&str> = out
                .lines()
                .filter(|l| !l.contains("too slow to take events"))
                .rev()
                .take(30)
                .collect();
            panic!(
                "{left} connections still open after 90 s ({} dropped as too slow); server output ends:\n{}",
                dropped_count(),
                tail.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let slots_back = flood.elapsed();
    if let Some(rest) = Duration::from_secs(8).checked_sub(flood.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    stop.store(true, Ordering::Relaxed);
    let hot = median_p99(&h.await.unwrap());
    let budget = (2.0 * quiet).max(quiet + 20.0);
    eprintln!(
        "sse flood: {slow} dropped as too slow, {stalled} closed by the write timeout, {idle} by the header read timeout, connections left {left}, connections freed after {:.1} s; \
         /load/ok p99 quiet {quiet:.2} ms, under flood {hot:.2} ms (budget {budget:.2}); \
         RSS {rss_before:.1} MB before, {rss_peak:.1} MB at the peak",
        slots_back.as_secs_f64()
    );
    // A subscriber that never reads ends by the write timeout; the queue
    // limit dropped it from the stream before that. The rare one whose
    // remaining events all fitted in the kernel's socket buffers finishes
    // its response instead and is closed, idle, by the header read timeout
    // (CI saw 9,999 + 1).
    assert!(
        stalled + idle >= SUBSCRIBERS,
        "{stalled} write timeouts + {idle} header read timeouts < {SUBSCRIBERS}"
    );
    assert!(
        stalled >= SUBSCRIBERS * 9 / 10,
        "only {stalled} write timeouts"
    );
    assert!(slow > 0, "no subscriber was dropped as too slow");
    assert!(
        hot <= budget,
        "p99 {hot:.2} ms > budget {budget:.2} ms (quiet {quiet:.2})"
    );
    // Bounded: the events are shared, each subscriber holds at most its
    // queue of references and its connection's buffers (about 33 KB each
    // measured in the debug build); fail above 64 KB each.
    assert!(
        rss_peak - rss_before < SUBSCRIBERS as f64 * 64.0 / 1024.0,
        "RSS grew from {rss_before:.1} MB to {rss_peak:.1} MB"
    );
    // The slots came back: a new subscriber and a new request are served.
    drop(silent);
    let r = send(eng.req("GET", "/load/ok")).await;
    assert_eq!(r.text(), "ok");
    assert_eq!(
        gauge(&eng, "aiwebengine_http_connections_refused").await,
        0.0
    );
}
