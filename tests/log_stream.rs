//! The script logs live over SSE (issue 4 §4, REQ-LOG-003):
//! `GET /engine/api/logs/stream?script=&level=`, read with a small SSE
//! parser over a real streaming response.

mod auth_helpers;
mod common;

use std::time::Duration;

use auth_helpers::*;
use common::*;

/// A script that logs what `?m=` says at the level `?l=` names.
const LOGGER: &str = r#"
register("/say", (req) => {
  const level = req.query.l || "log";
  console[level](req.query.m);
  return "ok";
});
"#;

struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(eng: &Engine, token: &str, query: &str) -> Sse {
        let path = format!("/engine/api/logs/stream{query}");
        let resp = eng
            .req("GET", &path)
            .bearer_auth(token)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("connect");
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "text/event-stream");
        assert!(
            resp.headers().get("content-encoding").is_none(),
            "an event stream is never compressed"
        );
        let mut sse = Sse {
            resp,
            buf: String::new(),
        };
        // A comment at once: the stream is open (and subscribed).
        assert!(sse
            .next_block(Duration::from_secs(10))
            .await
            .unwrap()
            .starts_with(':'));
        sse
    }

    /// The next block, or None when nothing came within `wait`.
    async fn next_block(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block = self.buf[..i].to_string();
                self.buf.drain(..i + 2);
                return Some(block);
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?;
            let chunk = chunk.expect("read stream").expect("stream still open");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The data of the next `log` event within `wait`, skipping comments.
    async fn next_log(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let block = self.next_block(left).await?;
            if block.lines().any(|l| l == "event: log") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                return Some(serde_json::from_str(data).expect("JSON data"));
            }
        }
    }
}

async fn say(eng: &Engine, path: &str, level: &str, m: &str) {
    let r = eng.get(&format!("{path}?l={level}&m={m}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(700);

#[tokio::test]
async fn test_req_log_003_an_entry_arrives_live_with_its_fields() {
    let eng = Engine::start().await;
    eng.deploy("logger.js", LOGGER).await;
    let mut sse = Sse::open(&eng, &eng.token, "").await;
    say(&eng, "/say", "info", "hello-live").await;
    let e = sse.next_log(WAIT).await.expect("the entry, live");
    assert_eq!(e["script"], "logger.js");
    assert_eq!(e["level"], "info");
    assert_eq!(e["message"], "hello-live");
    assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
    assert!(
        e["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{e}"
    );
}

#[tokio::test]
async fn test_req_log_003_level_and_script_filters() {
    let eng = Engine::start().await;
    eng.deploy("logger.js", LOGGER).await;
    eng.deploy("other.js", &LOGGER.replace("/say", "/other"))
        .await;
    let mut warn = Sse::open(&eng, &eng.token, "?level=warn").await;
    let mut one = Sse::open(&eng, &eng.token, "?script=other.js").await;
    say(&eng, "/say", "info", "below-warn").await;
    say(&eng, "/say", "error", "an-error").await;
    say(&eng, "/other", "debug", "from-other").await;
    let e = warn.next_log(WAIT).await.expect("the error entry");
    assert_eq!(e["message"], "an-error", "info is below warn: {e}");
    assert!(warn.next_log(QUIET).await.is_none(), "debug is below warn");
    let e = one.next_log(WAIT).await.expect("other.js's entry");
    assert_eq!(e["message"], "from-other", "only other.js: {e}");

    let r = eng
        .api("GET", "/engine/api/logs/stream?level=loud", None)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "invalid_level");
}

#[tokio::test]
async fn test_req_auth_006_an_editor_only_gets_entries_of_scripts_they_may_read() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (_, bob) = user(&eng, "bob@example.com", "editor").await;
    assert_eq!(put_as(&eng, &alice, "alice.js", LOGGER).await, 201);
    let bobs = LOGGER.replace("/say", "/bob");
    assert_eq!(put_as(&eng, &bob, "bob.js", &bobs).await, 201);

    let mut sse = Sse::open(&eng, &alice, "").await;
    say(&eng, "/bob", "log", "bob-secret").await;
    say(&eng, "/say", "log", "alice-own").await;
    let e = sse.next_log(WAIT).await.expect("alice's entry");
    assert_eq!(
        e["message"], "alice-own",
        "bob's entry must not reach alice: {e}"
    );
    assert_eq!(e["script"], "alice.js");

    // Asking for bob's script by name is refused outright.
    let r = call(
        &eng,
        &alice,
        "GET",
        "/engine/api/logs/stream?script=bob.js",
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // Users without the editor role get no stream.
    let (_, carol) = user(&eng, "carol@example.com", "authenticated").await;
    let r = call(&eng, &carol, "GET", "/engine/api/logs/stream", None).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = send(eng.req("GET", "/engine/api/logs/stream")).await;
    assert_eq!(r.status, 401, "{}", r.text());
}
