//! Streamed response bodies and large uploads (issue 6 §2: REQ-HTTP-003,
//! REQ-HTTP-008, REQ-JSAPI-007), black-box through HTTP.
//!
//! Nothing sleeps to wait: a generator that must still be running is held
//! by a kv flag only the test can set, and logs are polled with a deadline.

mod common;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use common::*;
use reqwest::multipart::{Form, Part};

const APP: &str = include_str!("test_scripts/streaming_app.js");
const MB: usize = 1024 * 1024;

/// Room for a 20 MB file in JS, and loopback fetches.
const CONFIG: &str = r#"
[js]
memory_limit_bytes = 33554432

[js.fetch]
allow = ["127.0.0.1"]
allow_private = true
"#;

async fn engine() -> Engine {
    let eng = Engine::start_with(Opts::config(CONFIG)).await;
    eng.deploy("streaming_app.js", APP).await;
    eng
}

/// The next piece of a streamed response, or None at its end.
async fn next_chunk(r: &mut reqwest::Response) -> Option<Vec<u8>> {
    tokio::time::timeout(POLL_DEADLINE, r.chunk())
        .await
        .expect("a chunk within the deadline")
        .expect("read a chunk")
        .map(|b| b.to_vec())
}

fn assert_chunked(r: &Resp) {
    assert_eq!(r.header("transfer-encoding").as_deref(), Some("chunked"));
    assert!(r.header("content-length").is_none(), "{:?}", r.headers);
}

#[tokio::test]
async fn test_req_http_003_async_generator_streams_1000_chunks() {
    let eng = engine().await;
    let r = send(eng.req("GET", "/stream/count?n=1000")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_chunked(&r);
    assert_eq!(r.content_type(), "text/plain; charset=utf-8");
    let want: String = (0..1000).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(r.text(), want);
}

#[tokio::test]
async fn test_req_http_003_first_chunk_arrives_while_the_generator_runs() {
    let eng = engine().await;
    let mut r = eng.req("GET", "/stream/gated").send().await.expect("send");
    assert_eq!(r.status(), 200);
    let mut got = Vec::new();
    while got.len() < b"first\n".len() {
        got.extend(next_chunk(&mut r).await.expect("the first chunk"));
    }
    // The generator cannot finish before the release below.
    assert_eq!(got, b"first\n");
    let rel = send(eng.req("POST", "/stream/release")).await;
    assert_eq!(rel.text(), "released");
    let mut rest = Vec::new();
    while let Some(c) = next_chunk(&mut r).await {
        rest.extend(c);
    }
    assert_eq!(rest, b"second\n");
}

#[tokio::test]
async fn test_req_http_003_client_disconnect_stops_the_generator() {
    let eng = engine().await;
    let mut r = eng.req("GET", "/stream/ticker").send().await.expect("send");
    assert_eq!(r.status(), 200);
    let first = next_chunk(&mut r).await.expect("a tick");
    assert!(first.starts_with(b"tick 0"), "{first:?}");
    drop(r);
    eng.wait_log("streaming_app.js", |e| msg(e) == "ticker closed")
        .await;
    // The engine keeps serving the script.
    assert_eq!(eng.get("/response/created").await.status, 201);
}

#[tokio::test]
async fn test_req_http_003_streaming_works_inline_on_io_threads() {
    let eng = engine().await;
    // 32 fast runs promote a script version to inline calls.
    for _ in 0..40 {
        assert_eq!(
            eng.get("/stream/count?n=2").await.text(),
            "chunk 0\nchunk 1\n"
        );
    }
    let r = send(eng.req("GET", "/stream/count?n=200")).await;
    assert_chunked(&r);
    let want: String = (0..200).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(r.text(), want);
    let mut r = eng.req("GET", "/stream/ticker").send().await.expect("send");
    next_chunk(&mut r).await.expect("a tick");
    drop(r);
    eng.wait_log("streaming_app.js", |e| msg(e) == "ticker closed")
        .await;
}

#[tokio::test]
async fn test_req_http_003_handler_returns_a_response() {
    let eng = engine().await;
    let r = eng.get("/response/created").await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("x-made").as_deref(), Some("yes"));
    assert_eq!(r.content_type(), "text/plain;charset=UTF-8");
    assert_eq!(r.text(), "x");
    let r = eng.get("/response/json").await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json(), json!({"a": 1}));
    let r = eng.get("/response/used").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.code(), "invalid_response", "{}", r.text());
    assert!(r.text().contains("already been read"), "{}", r.text());
}

/// A whole body, or the error that cut the exchange off (before or after
/// the head, depending on when the failure came).
async fn fetch_all(eng: &Engine, path: &str) -> Result<Vec<u8>, reqwest::Error> {
    let r = eng.req("GET", path).send().await?;
    r.bytes().await.map(|b| b.to_vec())
}

#[tokio::test]
async fn test_req_http_003_generator_failures_cut_the_body_off() {
    let eng = engine().await;
    let got = fetch_all(&eng, "/stream/broken").await;
    assert!(got.is_err(), "an incomplete body is an error: {got:?}");
    eng.wait_log("streaming_app.js", |e| {
        e["level"] == "error" && msg(e).contains("generator broke")
    })
    .await;
    let got = fetch_all(&eng, "/stream/wrong").await;
    assert!(got.is_err(), "{got:?}");
    eng.wait_log("streaming_app.js", |e| {
        msg(e).contains("must yield strings or Uint8Arrays, not number")
    })
    .await;
}

#[tokio::test]
async fn test_req_http_003_stream_time_is_bounded() {
    let mut eng = engine().await;
    // JavaScript time: all pulls of one stream share js.time_limit_ms.
    let got = fetch_all(&eng, "/stream/busy").await;
    assert!(got.is_err(), "the body is cut off");
    eng.wait_log("streaming_app.js", |e| {
        msg(e).contains("streamed body ran longer than 1000 ms of JavaScript time")
    })
    .await;
    // Waiting: after the head, each chunk must come within the request
    // timeout, but the stream as a whole may outlast it.
    eng.opts = Opts::config(&format!("{CONFIG}\n[server]\nrequest_timeout_ms = 500\n"));
    eng.restart();
    let mut r = eng
        .req("GET", "/stream/stalled")
        .send()
        .await
        .expect("send");
    assert_eq!(next_chunk(&mut r).await.as_deref(), Some(&b"first\n"[..]));
    let rest = tokio::time::timeout(POLL_DEADLINE, r.chunk())
        .await
        .expect("the stalled body ends within the deadline");
    assert!(rest.is_err(), "a stalled body is cut off: {rest:?}");
    eng.wait_log("streaming_app.js", |e| {
        e["level"] == "warn" && msg(e).contains("produced no chunk within 500 ms")
    })
    .await;
    let r = send(eng.req("GET", "/stream/count?n=700")).await;
    assert_eq!(
        r.text().lines().count(),
        700,
        "a stream may outlast the request timeout"
    );
}

async fn upstream() -> String {
    let app = Router::new().route(
        "/drip",
        get(|| async {
            let parts = ["alpha ", "beta ", "gamma"];
            let s = futures_util::stream::unfold(0usize, move |i| async move {
                if i == parts.len() {
                    return None;
                }
                tokio::task::yield_now().await;
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(parts[i])), i + 1))
            });
            ([("x-upstream", "yes")], Body::from_stream(s))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/drip")
}

#[tokio::test]
async fn test_req_http_003_streaming_proxy_of_a_fetch() {
    let eng = engine().await;
    let url = upstream().await;
    let r = send(eng.req("GET", &format!("/proxy?url={url}"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_chunked(&r);
    assert_eq!(r.text(), "alpha beta gamma");
    // A fetched Response returned as is keeps the upstream's headers.
    let r = send(eng.req("GET", &format!("/proxy/direct?url={url}"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_chunked(&r);
    assert_eq!(r.header("x-upstream").as_deref(), Some("yes"));
    assert_eq!(r.text(), "alpha beta gamma");
}

/// `len` bytes that are not all alike.
fn payload(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

fn upload(bytes: Vec<u8>) -> Form {
    let part = Part::bytes(bytes)
        .file_name("big.bin")
        .mime_str("application/octet-stream")
        .unwrap();
    Form::new().text("title", "big").part("file", part)
}

/// POSTs `file` as a multipart upload with `Transfer-Encoding: chunked`;
/// returns the raw response.
async fn chunked_multipart(addr: &str, path: &str, file: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let boundary = "streaming-test-boundary";
    let body = [
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        file,
        format!("\r\n--{boundary}--\r\n").as_bytes(),
    ]
    .concat();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("write head");
    for c in body.chunks(64 * 1024) {
        let frame = [format!("{:x}\r\n", c.len()).as_bytes(), c, b"\r\n"].concat();
        if s.write_all(&frame).await.is_err() {
            break; // answered early
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(POLL_DEADLINE, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A `/proc/<pid>/status` memory figure (`VmRSS`, `VmHWM`), in bytes.
fn proc_mem(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kb * 1024
}

/// Resident memory now, with the peak (`VmHWM`) reset to it where the
/// kernel allows (Linux 4.0+, same user); otherwise the peak so far.
fn rss_baseline(pid: u32) -> usize {
    match std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        Ok(()) => proc_mem(pid, "VmRSS:"),
        Err(_) => proc_mem(pid, "VmHWM:"),
    }
}

fn spool_files(eng: &Engine) -> usize {
    let dir = eng.dir.dir().join("data.redb.uploads");
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

async fn assert_spool_empty(eng: &Engine) {
    eventually("the spool directory to be empty", || async {
        (spool_files(eng) == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn test_req_http_008_large_multipart_upload_is_spooled() {
    let eng = engine().await;
    // Warm up: contexts on every worker, a spooled file, the blocking pool.
    for len in [10, 300 * 1024, 10, 300 * 1024] {
        let r = send(
            eng.req("POST", "/upload/size")
                .multipart(upload(payload(len))),
        )
        .await;
        assert_eq!(r.json()["size"], len, "{}", r.text());
    }
    let pid = eng.server.pid();
    let before = rss_baseline(pid);
    let big = payload(20 * MB);
    let r = send(
        eng.req("POST", "/upload/size")
            .multipart(upload(big.clone())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["size"], 20 * MB);
    assert_eq!(v["name"], "file");
    assert_eq!(v["filename"], "big.bin");
    assert_eq!(v["type"], "application/octet-stream");
    assert_eq!(v["form"]["title"], "big");
    assert_eq!(
        v["bodyLength"], 0,
        "a body over 1 MB is not kept as req.body"
    );
    let growth = proc_mem(pid, "VmHWM:").saturating_sub(before);
    assert!(
        growth < 15 * MB,
        "peak RSS grew by {growth} bytes for a 20 MB upload"
    );
    assert_spool_empty(&eng).await;

    let r = send(
        eng.req("POST", "/upload/hash")
            .multipart(upload(big.clone())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let digest = ring::digest::digest(&ring::digest::SHA256, &big);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(r.json()["sha256"], hex);
    assert_eq!(r.json()["length"], 20 * MB);

    // Bigger than the script's memory limit: a clear error, not a crash.
    let r = send(
        eng.req("POST", "/upload/hash")
            .multipart(upload(payload(33 * MB))),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());
    let err = r.json()["error"].as_str().unwrap_or("").to_string();
    assert!(err.starts_with("RangeError"), "{err}");
    assert!(err.contains("js.memory_limit_bytes = 33554432"), "{err}");

    // Over the route's own limit after 32 MB were spooled (chunked, so no
    // Content-Length gives it away up front): the partial file goes too.
    let raw = chunked_multipart(&eng.server.addr, "/upload/size", &payload(33 * MB)).await;
    assert_eq!(raw_status(&raw), 413, "{raw}");
    assert!(raw.contains("33554432"), "{raw}");
    assert_spool_empty(&eng).await;

    // Without maxBodyBytes: the 1 MB default, and how to raise it.
    let r = send(eng.req("POST", "/upload/default").multipart(upload(big))).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.code(), "payload_too_large");
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("1048576"), "{message}");
    assert!(message.contains("maxBodyBytes"), "{message}");
    assert_spool_empty(&eng).await;
}

#[tokio::test]
async fn test_req_http_008_spooled_files_read_after_await_and_raw_bodies() {
    let eng = engine().await;
    let data = payload(MB);
    let r = send(
        eng.req("POST", "/upload/late")
            .multipart(upload(data.clone())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"size": MB, "first": data[0], "sameArray": true})
    );
    assert_spool_empty(&eng).await;
    // A client that goes away mid-upload leaves no file behind.
    {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(&eng.server.addr)
            .await
            .expect("connect");
        let head = "POST /upload/size HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n\r\n";
        s.write_all(head.as_bytes()).await.expect("write head");
        s.write_all(&payload(MB)).await.expect("write half");
        eventually("a spooled file", || async {
            (spool_files(&eng) > 0).then_some(())
        })
        .await;
        drop(s);
        assert_spool_empty(&eng).await;
    }
    // A raw (non-multipart) body above 1 MB is read into req.body.
    let r = send(eng.req("PUT", "/upload/raw").body(vec![b'a'; 3 * MB])).await;
    assert_eq!(r.json()["length"], 3 * MB, "{}", r.text());
    let r = send(eng.req("PUT", "/upload/raw").body(vec![b'a'; 8 * MB + 1])).await;
    assert_eq!(r.status, 413);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        message.contains("8388608") && message.contains("maxBodyBytes"),
        "{message}"
    );
}
