//! Observability (issue 5 §3): `/metrics` read by a real Prometheus
//! parser, request ids, the access log.

mod common;

use common::*;
use prometheus_parse::{Scrape, Value as PValue};

const APP: &str = r#"
register("/items/:id", (req) => ({ status: 200, body: { id: req.params.id, rid: req.requestId } }));
register("/boom", () => { throw new Error("boom"); });
"#;

async fn scrape(eng: &Engine) -> Scrape {
    let r = eng.get("/metrics").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.content_type().contains("text"), "{}", r.content_type());
    let lines = r
        .text()
        .lines()
        .map(|l| Ok(l.to_string()))
        .collect::<Vec<_>>();
    Scrape::parse(lines.into_iter()).expect("exposition parses")
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .find_map(|x| match &x.value {
            PValue::Counter(v) | PValue::Gauge(v) | PValue::Untyped(v) => Some(*v),
            _ => None,
        })
}

#[tokio::test]
async fn test_req_log_005_metrics_parsed_by_prometheus_parser() {
    let eng = Engine::start().await;
    eng.deploy("app.js", APP).await;
    for id in ["1", "2", "3"] {
        assert_eq!(eng.get(&format!("/items/{id}")).await.status, 200);
    }
    assert_eq!(eng.get("/boom").await.status, 500);
    let s = scrape(&eng).await;
    let by_route = |route, status| {
        value(
            &s,
            "aiwebengine_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(by_route("/items/:id", "200"), Some(3.0), "{:#?}", s.samples);
    assert_eq!(by_route("/boom", "500"), Some(1.0));
    // prometheus-parse skips lines whose label values hold braces, so the
    // engine's own patterns are checked in the text.
    let text = eng.get("/metrics").await.text();
    assert!(
        text.contains(
            r#"aiwebengine_http_requests_total{route="/engine/api/scripts/{name}",status="201"} 1"#
        ),
        "{text}"
    );
    // Raw paths never become labels.
    assert!(s
        .samples
        .iter()
        .all(|x| x.labels.get("route") != Some("/items/1")));
    let histogram = s
        .samples
        .iter()
        .find(|x| x.metric == "aiwebengine_http_request_duration_seconds")
        .expect("latency histogram");
    match &histogram.value {
        PValue::Histogram(buckets) => assert!(buckets.iter().any(|b| b.count >= 4.0)),
        other => panic!("not a histogram: {other:?}"),
    }
    let js = |name| value(&s, name, &[("script", "app.js")]);
    assert_eq!(js("aiwebengine_js_invocations_total"), Some(4.0));
    assert_eq!(
        value(
            &s,
            "aiwebengine_js_errors_total",
            &[("script", "app.js"), ("kind", "script_error")]
        )
        .or_else(|| js("aiwebengine_js_errors_total")),
        Some(1.0)
    );
    let gauge = |name| value(&s, name, &[]).unwrap_or_else(|| panic!("no {name}"));
    assert!(gauge("aiwebengine_http_requests_in_flight") >= 1.0);
    assert!(gauge("aiwebengine_http_connections_open") >= 1.0);
    assert!(gauge("aiwebengine_store_size_bytes") > 0.0);
    // The deploy above committed at least one write transaction.
    let writes = s
        .samples
        .iter()
        .find(|x| x.metric == "aiwebengine_store_write_duration_seconds")
        .expect("store write histogram");
    match &writes.value {
        PValue::Histogram(buckets) => {
            assert!(buckets.iter().any(|b| b.count >= 1.0), "{buckets:?}")
        }
        other => panic!("not a histogram: {other:?}"),
    }
    assert_eq!(gauge("aiwebengine_sse_connections"), 0.0);
    assert!(gauge("aiwebengine_js_queue_depth") >= 0.0);
    #[cfg(target_os = "linux")]
    {
        assert!(gauge("process_resident_memory_bytes") > 1e6);
        assert!(value(&s, "process_cpu_seconds_total", &[]).is_some());
    }
}

#[tokio::test]
async fn test_req_log_005_metrics_token_when_loopback_is_not_open() {
    let opts = Opts::config("[metrics]\ntoken = \"s3cret\"\nloopback_open = false\n");
    let eng = Engine::start_with(opts).await;
    let r = eng.get("/metrics").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "forbidden");
    let wrong = send(eng.req("GET", "/metrics").bearer_auth("nope")).await;
    assert_eq!(wrong.status, 403);
    let ok = send(eng.req("GET", "/metrics").bearer_auth("s3cret")).await;
    assert_eq!(ok.status, 200);
    assert!(ok.text().contains("aiwebengine_http_requests_total"));
}

#[tokio::test]
async fn test_req_log_004_request_id_echoed_and_seen_by_scripts() {
    let eng = Engine::start().await;
    eng.deploy("app.js", APP).await;
    let r = send(
        eng.req("GET", "/items/9")
            .header("x-request-id", "trace-42.a_b"),
    )
    .await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("trace-42.a_b"));
    assert_eq!(r.json()["rid"], "trace-42.a_b");
    // Invalid ids are replaced, on both the script and the engine path.
    let r = send(eng.req("GET", "/items/9").header("x-request-id", "bad id")).await;
    let rid = r.header("x-request-id").expect("a generated id");
    assert_ne!(rid, "bad id");
    assert_eq!(r.json()["rid"], rid.as_str());
    let health = eng.get("/health/live").await;
    assert!(health.header("x-request-id").is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn test_req_log_004_access_log_json_file() {
    let dir = DataDir::new();
    let log = dir.dir().join("access.log");
    let toml = format!(
        "[logging]\naccess_format = \"json\"\naccess_file = {:?}\n",
        log.to_str().unwrap()
    );
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let server = Server::start(&dir.data, &Opts::config(&toml));
    let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let put = server
        .req("PUT", "/engine/api/scripts/app.js")
        .bearer_auth(&token)
        .body(APP);
    assert_eq!(send(put).await.status, 201);
    let r = send(
        server
            .req("GET", "/items/7?x=1")
            .header("x-request-id", "acc-1"),
    )
    .await;
    assert_eq!(r.status, 200);
    let line: Value = eventually("the access line", || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["request_id"] == "acc-1")
    })
    .await;
    assert_eq!(line["method"], "GET");
    assert_eq!(line["path"], "/items/7?x=1");
    assert_eq!(line["status"], 200);
    assert_eq!(line["script"], "app.js");
    assert_eq!(line["ip"], "127.0.0.1");
    assert!(line["duration_ms"].as_f64().is_some());
    assert!(line["bytes_out"].as_u64().is_some_and(|n| n > 0));
    assert!(line["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    // The admin's PUT names its user.
    let text = std::fs::read_to_string(&log).unwrap();
    let put_line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["method"] == "PUT")
        .expect("a line for the PUT");
    assert!(
        put_line["user"].as_str().is_some_and(|u| !u.is_empty()),
        "{put_line}"
    );
}

#[tokio::test]
async fn test_req_log_004_access_log_common_format_in_server_log() {
    // Off by default (as in Caddy): it costs about 10% of a hello request.
    let eng = Engine::start_with(Opts::config("[logging]\naccess_format = \"common\"\n")).await;
    let r = send(
        eng.req("GET", "/health/live")
            .header("x-request-id", "clf-1"),
    )
    .await;
    assert_eq!(r.status, 200);
    let line = eventually("a common-format access line", || async {
        let out = eng.server.output();
        out.lines()
            .find(|l| l.contains("rid=clf-1"))
            .map(str::to_string)
    })
    .await;
    assert!(
        line.contains("127.0.0.1 - - [") && line.contains("\"GET /health/live HTTP/1.1\" 200"),
        "{line}"
    );
}

/// Issue 14 (multi-core): a burst of keep-alive connections, which the
/// first I/O thread to wake used to accept all of, is spread over the I/O
/// threads, and `/metrics` shows each thread's share.
#[tokio::test]
async fn test_req_perf_001_connections_spread_over_io_threads() {
    use std::io::{Read, Write};
    let eng = Engine::start_with(Opts::config("[js]\nworkers = 2\n")).await;
    let addr = eng.server.base.trim_start_matches("http://").to_string();
    // All connect first (one burst in the listen backlog), then each sends a
    // request and reads its answer, so every one has been taken by a thread.
    let mut conns: Vec<std::net::TcpStream> = (0..8)
        .map(|_| std::net::TcpStream::connect(&addr).expect("connect"))
        .collect();
    for c in &mut conns {
        c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        c.write_all(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
            .expect("write");
        let mut buf = [0u8; 1024];
        let n = c.read(&mut buf).expect("answer");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    }
    let s = scrape(&eng).await;
    let open = value(&s, "aiwebengine_http_connections_open", &[]).expect("open");
    let per_thread: Vec<f64> = ["0", "1"]
        .iter()
        .map(|t| {
            value(
                &s,
                "aiwebengine_http_thread_connections_open",
                &[("thread", t)],
            )
            .unwrap_or_else(|| panic!("thread {t}'s gauge: {:#?}", s.samples))
        })
        .collect();
    // The 8 held here, and the test client's own (at least the scrape's).
    assert!(open >= 9.0, "{open}");
    assert_eq!(per_thread.iter().sum::<f64>(), open, "{per_thread:?}");
    let spread = (per_thread[0] - per_thread[1]).abs();
    assert!(spread <= 1.0, "connections per I/O thread: {per_thread:?}");
    drop(conns);
}
