//! `fetch` from scripts (issue 6 §2, REQ-JSAPI-007, REQ-SEC-004), black-box
//! through HTTP against an upstream server started here on 127.0.0.1:0.
//! Loopback is refused by default, so most engines here allow it with
//! `allow_private = true`; the refusal tests run with the default.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::Router;
use common::*;
use futures_util::StreamExt;
use tokio::sync::Notify;

const APP: &str = include_str!("test_scripts/fetch_app.js");

/// Loopback allowed, 1 MB responses, room for 50 concurrent fetches.
const OPEN: &str = r#"
[js.fetch]
allow = ["127.0.0.1"]
allow_private = true
max_response_bytes = 1048576
max_concurrent = 64
"#;

struct Upstream {
    base: String,
    port: u16,
    slow_started: Arc<Notify>,
    /// A `/hang` request ended early (its client went away).
    hang_dropped: Arc<Notify>,
}

struct NotifyOnDrop(Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl Upstream {
    async fn start() -> Upstream {
        let slow_started = Arc::new(Notify::new());
        let notify = slow_started.clone();
        let hang_dropped = Arc::new(Notify::new());
        let dropped = hang_dropped.clone();
        let app = Router::new()
            .route(
                "/json",
                get(|| async {
                    (
                        [("x-upstream", "yes")],
                        axum::Json(json!({"hello": "world"})),
                    )
                }),
            )
            .route("/echo", any(echo))
            .route(
                "/status/{code}",
                get(|Path(code): Path<u16>| async move {
                    (
                        StatusCode::from_u16(code).unwrap(),
                        format!("status {code}"),
                    )
                }),
            )
            .route(
                "/slow",
                get(move || {
                    notify.notify_one();
                    async {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        "slow done"
                    }
                }),
            )
            .route(
                "/hang",
                get(move || {
                    let guard = NotifyOnDrop(dropped.clone());
                    async move {
                        let _guard = guard;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        "late"
                    }
                }),
            )
            .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
            .route(
                "/big-chunked",
                get(|| async { chunked(vec![vec![b'x'; 64 << 10]; 32], 0) }),
            )
            .route(
                "/chunks",
                get(|| async {
                    chunked(
                        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()],
                        100,
                    )
                }),
            )
            .route(
                "/drip",
                get(|| async {
                    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(
                        bytes::Bytes::from_static(b"first"),
                    )]);
                    Body::from_stream(first.chain(futures_util::stream::pending()))
                }),
            )
            .route(
                "/redirect",
                get(
                    |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                        Redirect::to(&q["to"])
                    },
                ),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Upstream {
            base: format!("http://127.0.0.1:{port}"),
            port,
            slow_started,
            hang_dropped,
        }
    }
}

/// A body without a content-length, sent as separate chunks `gap_ms` apart.
fn chunked(parts: Vec<Vec<u8>>, gap_ms: u64) -> Response {
    let stream = futures_util::stream::unfold(parts.into_iter(), move |mut it| async move {
        let next = it.next()?;
        tokio::time::sleep(Duration::from_millis(gap_ms)).await;
        Some((Ok::<_, std::io::Error>(next), it))
    });
    Body::from_stream(stream).into_response()
}

async fn echo(req: Request) -> axum::Json<Value> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let h = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    axum::Json(json!({
        "method": parts.method.as_str(),
        "contentType": h("content-type"),
        "xTest": h("x-test"),
        "userAgent": h("user-agent"),
        "body": String::from_utf8_lossy(&bytes),
        "len": bytes.len(),
    }))
}

async fn engine(up: &Upstream, config: &str) -> Engine {
    let eng = Engine::start_with(Opts::config(config)).await;
    eng.deploy("fetch_app.js", &APP.replace("UPSTREAM", &up.base))
        .await;
    eng
}

async fn get_json(eng: &Engine, path: &str) -> Value {
    let r = eng.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

fn query(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn test_req_jsapi_007_get_json_status_headers_and_chained_fetches() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/json").await;
    assert_eq!(
        v,
        json!({
            "status": 200, "ok": true, "statusText": "OK", "url": format!("{}/json", up.base),
            "redirected": false, "upstream": "yes", "type": "application/json",
            "data": {"hello": "world"}, "used": true,
        })
    );
    for (code, ok) in [(201, true), (404, false), (500, false)] {
        let v = get_json(&eng, &format!("/f/status?code={code}")).await;
        assert_eq!(
            v,
            json!({"status": code, "ok": ok, "text": format!("status {code}")})
        );
    }
    let v = get_json(&eng, "/f/chain").await;
    assert_eq!(v, json!({"a": "world", "b": "world"}));
}

#[tokio::test]
async fn test_req_jsapi_007_post_json_round_trip_and_methods() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let r = send(eng.req("POST", "/f/echo").json(&json!({"n": 1, "s": "é"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["contentType"], "application/json");
    assert_eq!(v["xTest"], "yes");
    assert!(v["userAgent"].as_str().unwrap().starts_with("aiwebengine/"));
    assert_eq!(
        serde_json::from_str::<Value>(v["body"].as_str().unwrap()).unwrap(),
        json!({"n": 1, "s": "é"})
    );
    let v = get_json(&eng, "/f/methods").await;
    assert_eq!(
        v,
        json!({
            "GET": "GET", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE",
            "OPTIONS": "OPTIONS", "HEAD": {"status": 200, "body": null},
        })
    );
}

#[tokio::test]
async fn test_req_jsapi_007_string_bytes_search_params_and_form_data_bodies() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/bodies").await;
    assert_eq!(v["text"]["body"], "plain");
    assert_eq!(v["text"]["contentType"], "text/plain;charset=UTF-8");
    assert_eq!(v["bytes"]["body"], "hi");
    assert_eq!(v["bytes"]["contentType"], Value::Null);
    assert_eq!(v["buffer"]["body"], "hi");
    assert_eq!(v["params"]["body"], "a=1&b=two+words");
    assert_eq!(
        v["params"]["contentType"],
        "application/x-www-form-urlencoded;charset=UTF-8"
    );
    let ct = v["form"]["contentType"].as_str().unwrap();
    assert!(ct.starts_with("multipart/form-data; boundary="), "{ct}");
    let body = v["form"]["body"].as_str().unwrap();
    for part in [
        "Content-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n",
        "name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nfile bytes\r\n",
    ] {
        assert!(body.contains(part), "{part:?} missing in {body:?}");
    }
}

#[tokio::test]
async fn test_req_jsapi_007_headers_request_response_form_data_classes() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/classes").await;
    assert_eq!(
        v,
        json!({
            "get": "1, 2", "has": true, "cookies": ["a=1", "b=2"],
            "entries": ["content-type=text/plain", "set-cookie=a=1", "set-cookie=b=2", "x-a=1, 2"],
            "made": [201, true, "yes", "text/plain;charset=UTF-8", "made"],
            "json": ["application/json", {"a": 1}],
            "form": ["2", 1, true],
            "immutable": true,
            "doubleRead": "TypeError",
            "getBody": "TypeError",
        })
    );
}

/// While one handler awaits a 2 s upstream, 50 requests to the same
/// script, half of them fetching too, are all answered. One JS worker and
/// one I/O thread: anything that blocked would stall them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_jsapi_007_slow_fetch_does_not_block_other_requests() {
    let up = Upstream::start().await;
    let eng = engine(&up, &format!("[js]\nworkers = 1\n{OPEN}")).await;
    // Fast runs promote the script to inline calls on the I/O thread, so
    // the slow handler parks there (unless its first slice is slow).
    for _ in 0..40 {
        assert_eq!(eng.get("/f/fast").await.status, 200);
    }
    let slow = tokio::spawn(send(eng.req("GET", "/f/slow")));
    tokio::time::timeout(Duration::from_secs(10), up.slow_started.notified())
        .await
        .expect("the handler called the slow upstream");
    let fast: Vec<_> = (0..50)
        .map(|i| {
            let path = if i % 2 == 0 { "/f/fast" } else { "/f/json" };
            tokio::spawn(send(eng.req("GET", path)))
        })
        .collect();
    for f in fast {
        let r = f.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert!(
        !slow.is_finished(),
        "the slow request should still be waiting on its upstream"
    );
    let r = slow.await.unwrap();
    assert_eq!((r.status, r.text()), (200, "slow done".to_string()));
}

#[tokio::test]
async fn test_req_sec_004_timeout_names_the_limit() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/timeout").await;
    assert_eq!(v["name"], "TimeoutError");
    let msg = v["message"].as_str().unwrap();
    assert_eq!(
        msg,
        format!(
            "fetch to {}/hang timed out after 200 ms (limit: the timeout option, 200 ms)",
            up.base
        )
    );
}

/// Without a timeout option, a fetch ends with its request: the upstream
/// sees the connection close at the request deadline, not after
/// js.fetch.timeout_ms (30 s).
#[tokio::test]
async fn test_req_sec_004_default_timeout_is_the_request_deadline() {
    let up = Upstream::start().await;
    let eng = engine(&up, &format!("[server]\nrequest_timeout_ms = 1500\n{OPEN}")).await;
    let r = eng.get("/f/hang").await;
    assert_eq!(r.status, 408, "{}", r.text());
    tokio::time::timeout(Duration::from_secs(10), up.hang_dropped.notified())
        .await
        .expect("the fetch was ended at the request's deadline");
}

/// Top-level code may fetch: it runs when a worker loads the script (the
/// save-time registration pass leaves the promise pending).
#[tokio::test]
async fn test_req_jsapi_007_fetch_in_top_level_code() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let src = format!(
        r#"let boot = "pending";
           fetch("{}/json").then((r) => r.json()).then((j) => {{ boot = j.hello; }}, (e) => {{ boot = e.message; }});
           register("/boot", () => boot);"#,
        up.base
    );
    eng.deploy("boot.js", &src).await;
    let deadline = std::time::Instant::now() + POLL_DEADLINE;
    loop {
        let r = eng.get("/boot").await;
        if r.text() == "world" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "top-level fetch: {}",
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn test_req_sec_004_response_size_limit() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/big").await;
    assert_eq!(v["isTypeError"], true);
    assert_eq!(
        v["message"],
        format!("fetch to {}/big: the response body is larger than js.fetch.max_response_bytes = 1048576 bytes", up.base)
    );
    // Without a content-length the limit applies while reading.
    let v = get_json(&eng, "/f/big-chunked").await;
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("js.fetch.max_response_bytes = 1048576"),
        "{msg}"
    );
    assert!(v["n"].as_u64().unwrap() <= 1 << 20, "{v}");
}

#[tokio::test]
async fn test_req_sec_004_refuses_loopback_metadata_and_names_resolving_to_them() {
    let up = Upstream::start().await;
    let config = r#"
[js.fetch]
allow = ["127.0.0.1", "localhost", "169.254.169.254", "[::1]"]
"#;
    let eng = engine(&up, config).await;
    let refused = |url: String| {
        let eng = &eng;
        async move {
            let v = get_json(eng, &format!("/f/url?url={}", query(&url))).await;
            assert_eq!(v["isTypeError"], true, "{url}: {v}");
            v["message"].as_str().unwrap().to_string()
        }
    };
    let url = format!("{}/json", up.base);
    assert_eq!(
        refused(url.clone()).await,
        format!("fetch to {url} refused: 127.0.0.1 is a loopback address (allow with js.fetch.allow_private = true)")
    );
    assert_eq!(
        refused("http://169.254.169.254/latest/meta-data/".into()).await,
        "fetch to http://169.254.169.254/latest/meta-data/ refused: 169.254.169.254 is a cloud metadata address (allow with js.fetch.allow_private = true)"
    );
    let msg = refused(format!("http://[::1]:{}/json", up.port)).await;
    assert!(msg.contains("::1 is a loopback address"), "{msg}");
    // A name is checked after resolution: localhost is loopback.
    let url = format!("http://localhost:{}/json", up.port);
    let msg = refused(url.clone()).await;
    assert!(
        msg.starts_with(&format!("fetch to {url} refused: localhost resolves to "))
            && msg.ends_with("a loopback address (allow with js.fetch.allow_private = true)"),
        "{msg}"
    );
    let msg = refused("ftp://127.0.0.1/x".into()).await;
    assert!(msg.contains("only http: and https: URLs"), "{msg}");
}

#[tokio::test]
async fn test_req_sec_004_host_not_allowed_names_the_config_key() {
    let up = Upstream::start().await;
    // Fetch is off by default: no [js.fetch] at all.
    let eng = engine(&up, "").await;
    let v = get_json(&eng, &format!("/f/url?url={}", query("https://x.com/"))).await;
    assert_eq!(v["name"], "TypeError");
    assert_eq!(
        v["message"],
        "fetch to https://x.com/ refused: host x.com is not in js.fetch.allow (add \"x.com\" to js.fetch.allow or js.fetch.scripts.\"fetch_app.js\")"
    );
}

#[tokio::test]
async fn test_req_sec_004_per_script_allowlist() {
    let up = Upstream::start().await;
    let config = r#"
[js.fetch]
allow_private = true
[js.fetch.scripts]
"fetch_app.js" = ["127.0.0.1"]
"#;
    let eng = engine(&up, config).await;
    assert_eq!(get_json(&eng, "/f/json").await["status"], 200);
    let other = format!(
        r#"register("/other", async () => {{
             try {{ await fetch("{}/json"); return "allowed"; }} catch (e) {{ return e.message; }}
           }});"#,
        up.base
    );
    eng.deploy("other.js", &other).await;
    let r = eng.get("/other").await;
    assert_eq!(
        r.text(),
        "fetch to http://127.0.0.1:PORT/json refused: host 127.0.0.1 is not in js.fetch.allow (add \"127.0.0.1:PORT\" to js.fetch.allow or js.fetch.scripts.\"other.js\")"
            .replace("PORT", &up.port.to_string())
    );
}

#[tokio::test]
async fn test_req_sec_004_redirects_are_rechecked() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    // To an allowed host: followed.
    let url = format!("{}/redirect?to={}", up.base, query("/json"));
    let v = get_json(&eng, &format!("/f/url?url={}", query(&url))).await;
    assert_eq!(
        v,
        json!({"status": 200, "url": format!("{}/json", up.base), "redirected": true})
    );
    // To a host that is not allowed (localhost, though it is the same server).
    let target = format!("http://localhost:{}/json", up.port);
    let url = format!("{}/redirect?to={}", up.base, query(&target));
    let v = get_json(&eng, &format!("/f/url?url={}", query(&url))).await;
    let msg = v["message"].as_str().unwrap();
    assert_eq!(
        msg,
        format!("fetch to {url} refused: redirect to {target}: host localhost is not in js.fetch.allow (add \"localhost:{}\" to js.fetch.allow or js.fetch.scripts.\"fetch_app.js\")", up.port)
    );
}

#[tokio::test]
async fn test_req_jsapi_007_abort_controller() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/abort").await;
    assert_eq!(v, json!({"name": "AbortError", "aborted": true}));
    let v = get_json(&eng, "/f/abort-body").await;
    assert_eq!(v, json!({"first": "first", "name": "AbortError"}));
    let v = get_json(&eng, "/f/abort-early").await;
    assert_eq!(v, json!({"reason": "stop"}));
}

#[tokio::test]
async fn test_req_sec_004_concurrency_limit_per_script() {
    let up = Upstream::start().await;
    let config = r#"
[js.fetch]
allow = ["127.0.0.1"]
allow_private = true
max_concurrent = 2
"#;
    let eng = engine(&up, config).await;
    let v = get_json(&eng, "/f/concurrent").await;
    assert_eq!(
        v["third"],
        format!("fetch to {}/json refused: fetch_app.js already has 2 fetches in flight (raise js.fetch.max_concurrent = 2)", up.base)
    );
    // Aborting the two released their slots (the tasks end asynchronously).
    let deadline = std::time::Instant::now() + POLL_DEADLINE;
    loop {
        let r = eng.get("/f/json").await;
        if r.status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "slots were never released: {}",
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn test_req_jsapi_007_response_body_streams_chunk_by_chunk() {
    let up = Upstream::start().await;
    let eng = engine(&up, OPEN).await;
    let v = get_json(&eng, "/f/stream").await;
    assert_eq!(v["text"], "onetwothree");
    assert_eq!(v["used"], true);
    assert!(v["chunks"].as_u64().unwrap() >= 2, "{v}");
}
