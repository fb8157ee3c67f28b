//! Hostile requests (issue #15), sent as raw bytes on their own TCP
//! connection while a well-behaved client is served on another:
//! slowloris, oversized headers, request smuggling (conflicting
//! `Content-Length` / `Transfer-Encoding`), invalid UTF-8 in the path and
//! headers, and path traversal in asset paths.
//!
//! Also elsewhere: a request head that never ends
//! (`hygiene::test_slowloris_header_read_timeout`), a connection limit
//! (`hygiene::test_max_connections_closes_extra_connections`), traversal
//! in asset names at upload (`assets::test_req_asset_002_bad_paths_are_400`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

const APP: &str = r#"
register("/h/echo", (req) => ({
  status: 200, contentType: "application/json",
  body: JSON.stringify({ path: req.path, bad: req.headers["x-bad"] ?? null }),
}));
register("/h/post", (req) => ({ status: 200, body: "posted:" + (req.body ?? "") }), "POST");
register("/h/smuggled", () => ({ status: 200, body: "SMUGGLED" }));
"#;

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends raw bytes on a fresh connection; returns all the server sent
/// until it closed the connection (or 10 s passed).
fn raw(addr: &str, bytes: &[u8]) -> String {
    let mut s = connect(addr);
    let _ = s.write_all(bytes);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn status_of(resp: &str) -> u16 {
    resp.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A well-behaved request on its own connection is served.
fn well_behaved(addr: &str) {
    let resp = raw(
        addr,
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&resp), 200, "well-behaved request: {resp}");
}

async fn engine(toml: &str) -> Engine {
    let eng = Engine::start_with(Opts::config(toml)).await;
    eng.deploy("hostile.js", APP).await;
    eng
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_http_004_slowloris_trickled_headers_are_cut_off() {
    let eng = engine("[server]\nheader_read_timeout_ms = 500\n").await;
    let addr = eng.server.addr.clone();
    let started = Instant::now();
    let trickler = std::thread::spawn({
        let addr = addr.clone();
        move || {
            let mut s = connect(&addr);
            let head = b"GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
            // One byte every 50 ms: each arrives well within any idle
            // timeout, the whole head would take about 4 s.
            for b in head {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        }
    });
    while !trickler.is_finished() && started.elapsed() < Duration::from_secs(8) {
        well_behaved(&addr);
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = started.elapsed();
    let got = trickler.join().expect("trickler");
    assert!(
        elapsed < Duration::from_millis(3000),
        "the trickled head was not cut off by the 500 ms header timeout ({elapsed:?})"
    );
    assert!(
        got.is_empty() || status_of(&got) == 408,
        "the trickled request was answered: {got}"
    );
    let metrics = eng.get("/metrics").await.text();
    let closed = metrics
        .lines()
        .find_map(|l| l.strip_prefix("aiwebengine_http_header_timeouts_total "))
        .unwrap_or_else(|| panic!("no header timeout counter in /metrics:\n{metrics}"));
    assert!(closed.parse::<f64>().unwrap() >= 1.0, "{closed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_http_002_oversized_headers_431() {
    let eng = engine("").await;
    let addr = &eng.server.addr;
    let big = format!(
        "GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let resp = raw(addr, big.as_bytes());
    assert_eq!(status_of(&resp), 431, "one 1 MiB header: {resp}");
    well_behaved(addr);
    let mut many = String::from("GET /h/echo HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let resp = raw(addr, many.as_bytes());
    assert_eq!(status_of(&resp), 431, "500 headers: {resp}");
    well_behaved(addr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_sec_001_request_smuggling_never_parses_a_second_request() {
    let eng = engine("").await;
    let addr = &eng.server.addr;
    let smuggled = "GET /h/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    // CL.TE and TE.CL: a front end trusting Content-Length would forward
    // the smuggled request as part of the body. hyper lets the chunked
    // body win (RFC 9112 §6.1) and closes the connection after answering:
    // one response, and the bytes after the body are never parsed.
    for (cl, te) in [(true, false), (false, true)] {
        let mut req = String::from("POST /h/post HTTP/1.1\r\nHost: x\r\n");
        if cl {
            req.push_str("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
        }
        if te {
            req.push_str("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n");
        }
        req.push_str(&format!("\r\n0\r\n\r\n{smuggled}"));
        let resp = raw(addr, req.as_bytes());
        assert_eq!(status_of(&resp), 200, "request:\n{req}\nresponse:\n{resp}");
        assert!(resp.contains("connection: close"), "not closed:\n{resp}");
        assert!(
            !resp.contains("SMUGGLED") && resp.matches("HTTP/1.1 ").count() == 1,
            "a second request was parsed:\n{req}\nresponse:\n{resp}"
        );
        well_behaved(addr);
    }
    let refused = [
        // Two different Content-Lengths.
        format!(
            "POST /h/post HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\nab{smuggled}"
        ),
        // A transfer coding that is not chunked last.
        format!(
            "POST /h/post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{smuggled}"
        ),
        // Transfer-Encoding in HTTP/1.0.
        format!(
            "POST /h/post HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
        ),
    ];
    for req in &refused {
        let resp = raw(addr, req.as_bytes());
        assert_eq!(status_of(&resp), 400, "request:\n{req}\nresponse:\n{resp}");
        assert!(
            !resp.contains("SMUGGLED") && resp.matches("HTTP/1.").count() == 1,
            "a second request was parsed:\n{req}\nresponse:\n{resp}"
        );
        well_behaved(addr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_sec_001_invalid_utf8_in_path_and_headers_is_400() {
    let eng = engine("").await;
    let addr = &eng.server.addr;
    let cases: [&[u8]; 4] = [
        b"GET /h/%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /h/echo?q=%C3%28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /h/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Bad: \xc3\x28\xff\r\nConnection: close\r\n\r\n",
    ];
    // The raw bytes are refused by hyper, before any handler.
    let codes = ["invalid_path", "invalid_query", "", "invalid_header"];
    for (req, code) in cases.into_iter().zip(codes) {
        let resp = raw(addr, req);
        let shown = String::from_utf8_lossy(req);
        assert_eq!(status_of(&resp), 400, "{shown:?} -> {resp}");
        assert!(resp.contains(code), "{shown:?}: not {code}: {resp}");
        well_behaved(addr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_sec_001_path_traversal_in_asset_paths_serves_nothing_outside() {
    let eng = engine("").await;
    let addr = &eng.server.addr;
    let r = send(
        eng.req("PUT", "/engine/api/assets/pub/a.txt")
            .bearer_auth(&eng.token)
            .header("content-type", "text/plain")
            .body("inside"),
    )
    .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    let paths = [
        "/pub/..%2f..%2f..%2fetc%2fpasswd",
        "/pub/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/pub/..\\..\\..\\etc\\passwd",
        "/pub/..%5c..%5c..%5cetc%5cpasswd",
        "/pub/%2e%2e%2fa.txt",
        "/../../../etc/passwd",
        "/pub/....//....//etc/passwd",
        "/engine/api/assets/..%2f..%2fetc%2fpasswd",
    ];
    for p in paths {
        let req = format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let resp = raw(addr, req.as_bytes());
        let status = status_of(&resp);
        assert!(
            matches!(status, 400 | 401 | 404),
            "GET {p} was not refused: {resp}"
        );
        assert!(
            !resp.contains("root:") && !resp.contains("inside"),
            "GET {p} served something: {resp}"
        );
        well_behaved(addr);
    }
    assert_eq!(eng.get("/pub/a.txt").await.text(), "inside");
}

/// Every kind of hostile request above, sent again and again from several
/// threads for 3 s while two clients keep the well-behaved route busy:
/// each is refused as in its own test, and the well-behaved route's p99
/// stays within `common::load::budget` of its quiet figure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_sec_001_hostile_requests_under_load_leave_other_clients_served() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    let eng = engine("[server]\nheader_read_timeout_ms = 500\n").await;
    const ECHO: &str = r#"{"path":"/h/echo","bad":null}"#;
    assert_eq!(eng.get("/h/echo").await.text(), ECHO);
    let quiet = common::load::quiet_p99(&eng, "/h/echo", ECHO).await;

    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    let big = format!(
        "GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let smuggle = "POST /h/post HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\nabGET /h/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let kinds: Vec<(Vec<u8>, &[u16])> = vec![
        (big.into_bytes(), &[431]),
        (smuggle.as_bytes().to_vec(), &[400]),
        (b"GET /h/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), &[400]),
        (b"GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Bad: \xc3\x28\xff\r\nConnection: close\r\n\r\n".to_vec(), &[400]),
        (b"GET /pub/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), &[400, 404]),
    ];
    let mut threads = Vec::new();
    for (bytes, want) in kinds {
        let (addr, stop, refused) = (eng.server.addr.clone(), stop.clone(), refused.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let resp = raw(&addr, &bytes);
                let status = status_of(&resp);
                assert!(
                    want.contains(&status),
                    "{:?}: {status} {resp}",
                    String::from_utf8_lossy(&bytes[..40])
                );
                assert!(
                    !resp.contains("SMUGGLED") && !resp.contains("root:"),
                    "{resp}"
                );
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Slowloris: 20 connections trickling a head, each cut off and redone.
    for _ in 0..20 {
        let (addr, stop, refused) = (eng.server.addr.clone(), stop.clone(), refused.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut s = connect(&addr);
                for b in b"GET /h/echo HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
                    if s.write_all(&[*b]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                let got = String::from_utf8_lossy(&buf);
                assert!(got.is_empty() || status_of(&got) == 408, "a trickled head was answered: {got}");
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let load_stop = Arc::new(AtomicBool::new(false));
    let h = common::load::load(&eng, "/h/echo", ECHO, load_stop.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;
    load_stop.store(true, Ordering::Relaxed);
    let hot = common::load::median_p99(&h.await.unwrap());
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a hostile client's check failed");
    }
    let n = refused.load(Ordering::Relaxed);
    eprintln!("hostile requests: {n} refused; well-behaved p99 quiet {quiet:.2} ms, under attack {hot:.2} ms");
    assert!(n >= 50, "only {n} hostile requests were sent");
    let budget = common::load::budget(quiet);
    assert!(
        hot <= budget,
        "p99 {hot:.2} ms > budget {budget:.2} ms (quiet {quiet:.2})"
    );
    well_behaved(&eng.server.addr);
}
