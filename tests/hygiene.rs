//! The HTTP hygiene layer (issue 5 §4): security headers, CORS, compression,
//! rate limits, slowloris and connection limits.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

const APP: &str = r#"
register("/big", () => ({ status: 201, body: "hello compression ".repeat(400), contentType: "text/plain", headers: { "X-Custom": "kept" } }));
register("/small", () => ({ status: 200, body: "tiny", contentType: "text/plain" }));
register("/png", () => ({ status: 200, body: "x".repeat(4000), contentType: "image/png" }));
register("/framed", () => ({ status: 200, body: "ok", headers: { "X-Frame-Options": "SAMEORIGIN" } }));
register("/api/thing", () => ({ status: 200, body: "thing" }), "GET");
register("/api/thing", () => ({ status: 200, body: "posted" }), "POST");
register("/api/own", () => ({ status: 204, body: "", headers: { "X-By": "script" } }), "OPTIONS");
register("/api/own", () => ({ status: 200, body: "own" }), "GET");
register("/limited/a", () => ({ status: 200, body: "a" }));
register("/free", () => ({ status: 200, body: "free" }));
"#;

async fn app(opts: Opts) -> Engine {
    let eng = Engine::start_with(opts).await;
    eng.deploy("app.js", APP).await;
    eng
}

#[tokio::test]
async fn test_req_sec_007_security_headers_by_default_scripts_override() {
    let eng = app(Opts::default()).await;
    for path in ["/free", "/health", "/engine/api/nope"] {
        let r = eng.get(path).await;
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            r.header("referrer-policy").as_deref(),
            Some("strict-origin-when-cross-origin")
        );
        assert_eq!(r.header("x-xss-protection").as_deref(), Some("0"));
    }
    let r = eng.get("/framed").await;
    assert_eq!(r.header("x-frame-options").as_deref(), Some("SAMEORIGIN"));
}

#[tokio::test]
async fn test_req_sec_007_security_headers_configurable() {
    let toml = "[security]\nframe_options = \"SAMEORIGIN\"\nxss_protection = \"\"\n";
    let eng = app(Opts::config(toml)).await;
    let r = eng.get("/free").await;
    assert_eq!(r.header("x-frame-options").as_deref(), Some("SAMEORIGIN"));
    assert_eq!(r.header("x-xss-protection"), None);
    let off = app(Opts::config("[security]\nheaders = false\n")).await;
    assert_eq!(
        off.get("/free").await.header("x-content-type-options"),
        None
    );
}

const CORS: &str = r#"
[[security.cors]]
path = "/api/"
origins = ["https://app.example.com"]
methods = ["GET", "POST"]
credentials = true
max_age_secs = 300
expose_headers = ["x-request-id"]
"#;

#[tokio::test]
async fn test_req_http_007_cors_preflight() {
    let eng = app(Opts::config(CORS)).await;
    let origin = "https://app.example.com";
    let pre = send(
        eng.req("OPTIONS", "/api/thing")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type"),
    )
    .await;
    assert_eq!(pre.status, 200, "{}", pre.text());
    assert_eq!(
        pre.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );
    assert_eq!(
        pre.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(pre.header("access-control-max-age").as_deref(), Some("300"));
    let methods = pre
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let headers = pre
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(headers.contains("content-type"), "{headers}");
    // A real request gets the headers too; another origin gets none.
    let get = send(eng.req("GET", "/api/thing").header("origin", origin)).await;
    assert_eq!(get.text(), "thing");
    assert_eq!(
        get.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );
    assert!(get.header("access-control-expose-headers").is_some());
    let evil = send(
        eng.req("GET", "/api/thing")
            .header("origin", "https://evil.test"),
    )
    .await;
    assert_eq!(evil.header("access-control-allow-origin"), None);
    // Outside the policy's prefix: no CORS at all.
    let free = send(eng.req("GET", "/free").header("origin", origin)).await;
    assert_eq!(free.header("access-control-allow-origin"), None);
    // A script that registers OPTIONS answers its own preflight.
    let own = send(
        eng.req("OPTIONS", "/api/own")
            .header("origin", origin)
            .header("access-control-request-method", "GET"),
    )
    .await;
    assert_eq!(own.status, 204);
    assert_eq!(own.header("x-by").as_deref(), Some("script"));
}

#[tokio::test]
async fn test_req_http_007_cors_config_errors() {
    let dir = DataDir::new();
    let toml = "[[security.cors]]\npath = \"/\"\norigins = [\"*\"]\ncredentials = true\n";
    let err = Server::spawn(&dir.data, &Opts::config(toml))
        .err()
        .expect("refused");
    assert_eq!(err.status.and_then(|s| s.code()), Some(2), "{}", err.output);
    assert!(err.output.contains("security.cors"), "{}", err.output);
}

fn gunzip(b: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(b)
        .read_to_string(&mut s)
        .expect("gzip");
    s
}

fn unbrotli(b: &[u8]) -> String {
    let mut s = String::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_string(&mut s)
        .expect("brotli");
    s
}

#[tokio::test]
async fn test_req_http_009_compression_negotiated() {
    let eng = app(Opts::default()).await;
    let want = "hello compression ".repeat(400);
    let gz = send(eng.req("GET", "/big").header("accept-encoding", "gzip")).await;
    assert_eq!(gz.status, 201, "status kept");
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(gz.header("x-custom").as_deref(), Some("kept"));
    assert!(gz.content_type().starts_with("text/plain"));
    assert!(gz
        .header("vary")
        .unwrap_or_default()
        .to_lowercase()
        .contains("accept-encoding"));
    assert!(gz.body.len() < want.len() / 4, "{} bytes", gz.body.len());
    assert_eq!(gunzip(&gz.body), want);
    let br = send(
        eng.req("GET", "/big")
            .header("accept-encoding", "br;q=1, gzip;q=0.5"),
    )
    .await;
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
    assert_eq!(unbrotli(&br.body), want);
    // Not asked for, too small, or already compressed: sent as is.
    let plain = eng.get("/big").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.text(), want);
    for path in ["/small", "/png"] {
        let r = send(eng.req("GET", path).header("accept-encoding", "gzip, br")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), None, "{path}");
    }
    // Engine routes are compressed too.
    let api = send(
        eng.req("GET", "/engine/api/scripts/app.js")
            .bearer_auth(&eng.token)
            .header("accept-encoding", "gzip"),
    )
    .await;
    assert_eq!(api.status, 200);
    assert_eq!(api.header("content-encoding").as_deref(), Some("gzip"));
}

const LIMITS: &str = r#"
[security.rate_limit]
loopback_exempt = false
trusted_proxies = ["127.0.0.1"]

[[security.rate_limit.rules]]
path = "/limited/"
per_ip = 3
window_secs = 60
"#;

#[tokio::test]
async fn test_req_sec_006_rate_limit_429_with_headers() {
    let eng = app(Opts::config(LIMITS)).await;
    for left in ["2", "1", "0"] {
        let r = eng.get("/limited/a").await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some(left));
        assert!(r.header("x-ratelimit-reset").is_some());
    }
    let r = eng.get("/limited/a").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.code(), "rate_limited");
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert!(r.header("x-request-id").is_some());
    // Other paths are not limited; a client behind the trusted proxy has its own bucket.
    assert_eq!(eng.get("/free").await.status, 200);
    let other = send(
        eng.req("GET", "/limited/a")
            .header("x-forwarded-for", "203.0.113.5"),
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("x-ratelimit-remaining").as_deref(), Some("2"));
    let m = eng.get("/metrics").await.text();
    assert!(m.contains("aiwebengine_http_rate_limited_total 1"), "{m}");
}

#[tokio::test]
async fn test_req_sec_006_auth_endpoints_limited_by_default() {
    let dir = DataDir::new();
    let toml = "[security.rate_limit]\nloopback_exempt = false\n";
    let server = Server::start(&dir.data, &Opts::config(toml));
    // All at once, so that no token is refilled in between (a failed login
    // is slow on purpose).
    let attempts = (0..11).map(|_| {
        let rb = server
            .req("POST", "/engine/auth/login")
            .json(&json!({"email": "who@example.com", "password": "wrong password here"}));
        tokio::spawn(async move { send(rb).await.status })
    });
    let mut statuses = Vec::new();
    for a in attempts.collect::<Vec<_>>() {
        statuses.push(a.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
    // Loopback is exempt by default.
    let dir2 = DataDir::new();
    let relaxed = Server::start(&dir2.data, &Opts::default());
    for _ in 0..12 {
        let r = send(
            relaxed
                .req("POST", "/engine/auth/login")
                .json(&json!({"email": "a@b.c", "password": "x"})),
        )
        .await;
        assert_ne!(r.status, 429);
    }
}

#[test]
fn test_slowloris_header_read_timeout() {
    let dir = DataDir::new();
    let toml = "[server]\nheader_read_timeout_ms = 300\n";
    let server = Server::start(&dir.data, &Opts::config(toml));
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    let start = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "closed by the server, not our timeout"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

fn keep_alive(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).expect("response");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    s
}

#[test]
fn test_max_connections_closes_extra_connections() {
    let dir = DataDir::new();
    let server = Server::start(&dir.data, &Opts::config("[server]\nmax_connections = 2\n"));
    let a = keep_alive(&server.addr);
    let _b = keep_alive(&server.addr);
    let mut c = TcpStream::connect(&server.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = c.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
    drop(a);
    let deadline = std::time::Instant::now() + POLL_DEADLINE;
    loop {
        let mut s = TcpStream::connect(&server.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        if buf.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no room after a close"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
