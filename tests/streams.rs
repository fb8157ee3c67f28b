//! Server-Sent Events streams (REQ-RT-001/002, REQ-JSAPI-002), read with a
//! small SSE parser over a real streaming HTTP response.

mod common;

use std::time::Duration;

use common::*;

const CHAT: &str = include_str!("test_scripts/chat.js");

/// One parsed event: (event, id, data).
type Event = (Option<String>, Option<String>, String);

struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(eng: &Engine, path: &str, last_id: Option<&str>) -> Sse {
        let mut rb = eng.req("GET", path);
        if let Some(id) = last_id {
            rb = rb.header("last-event-id", id);
        }
        let resp = rb.send().await.expect("connect");
        assert_eq!(resp.status().as_u16(), 200);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "text/event-stream");
        let mut sse = Sse {
            resp,
            buf: String::new(),
        };
        // The server sends a comment at once: the stream is open.
        assert!(sse.next_block().await.starts_with(':'));
        sse
    }

    async fn next_block(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block = self.buf[..i].to_string();
                self.buf.drain(..i + 2);
                return block;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("an SSE event within 10 s")
                .expect("read stream")
                .expect("stream still open");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event, skipping comments (heartbeats).
    async fn next(&mut self) -> Event {
        loop {
            let block = self.next_block().await;
            let (mut event, mut id, mut data) = (None, None, Vec::new());
            for line in block.lines() {
                match line.split_once(": ") {
                    Some(("event", v)) => event = Some(v.to_string()),
                    Some(("id", v)) => id = Some(v.to_string()),
                    Some(("data", v)) => data.push(v.to_string()),
                    _ => {}
                }
            }
            if !data.is_empty() {
                return (event, id, data.join("\n"));
            }
        }
    }
}

async fn connections(eng: &Engine, path: &str) -> u64 {
    let r = eng.api("GET", "/engine/api/streams", None).await;
    r.json()["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == path)
        .map(|s| s["connections"].as_u64().unwrap())
        .unwrap_or(u64::MAX)
}

async fn post(eng: &Engine, path: &str) {
    let r = send(eng.req("POST", path)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn test_req_rt_001_broadcast_targeted_and_filtered() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let mut a = Sse::open(&eng, "/chat?room=a", None).await;
    let mut b = Sse::open(&eng, "/chat?room=b", None).await;
    let mut news = Sse::open(&eng, "/news", None).await;
    post(&eng, "/say?msg=hello%20a&room=a").await;
    post(&eng, "/say?msg=everyone").await;
    post(&eng, "/broadcast").await;
    let (event, _, data) = a.next().await;
    assert_eq!((event.as_deref(), data.as_str()), (Some("chat"), "hello a"));
    assert_eq!(a.next().await.2, "everyone");
    assert_eq!(
        b.next().await.2,
        "everyone",
        "room b must not get room a's message"
    );
    let (_, id, data) = news.next().await;
    let v: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        v["id"], "not-an-event-id",
        "data fields are not interpreted"
    );
    assert_ne!(id.as_deref(), Some("not-an-event-id"));
    assert_eq!(v["text"], "line1\nline2");
    assert_eq!(
        b.next().await.2,
        data,
        "sendStreamMessage reaches every stream"
    );
}

#[tokio::test]
async fn test_req_rt_001_wire_format_multiline_event_id_retry() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let mut news = Sse::open(&eng, "/news", None).await;
    post(&eng, "/multiline").await;
    let block = news.next_block().await;
    assert_eq!(
        block,
        "event: note\nid: n1\nretry: 2000\ndata: first\ndata: second"
    );
}

#[tokio::test]
async fn test_req_rt_001_last_event_id_resumes() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let mut first = Sse::open(&eng, "/chat", None).await;
    for msg in ["one", "two", "three"] {
        post(&eng, &format!("/say?msg={msg}")).await;
    }
    let (_, id1, _) = first.next().await;
    drop(first);
    let mut again = Sse::open(&eng, "/chat", id1.as_deref()).await;
    assert_eq!(again.next().await.2, "two");
    assert_eq!(again.next().await.2, "three");
}

#[tokio::test]
async fn test_req_rt_002_connection_counts_and_cleanup() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    assert_eq!(connections(&eng, "/chat").await, 0);
    let a = Sse::open(&eng, "/chat", None).await;
    let b = Sse::open(&eng, "/chat?room=x", None).await;
    assert_eq!(connections(&eng, "/chat").await, 2);
    drop(a);
    drop(b);
    // A disconnect is noticed when the next message cannot be written.
    eventually("connections back to 0", || async {
        post(&eng, "/say?msg=ping").await;
        (connections(&eng, "/chat").await == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn test_req_rt_002_stream_path_conflict_is_409() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let (status, body) = eng
        .put_script("other.js", "registerWebStream('/news');")
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("chat.js"));
    let (status, _) = eng
        .put_script("route.js", "register('/chat', () => 'x');")
        .await;
    assert_eq!(status, 409, "a route on a stream path conflicts too");
}

#[tokio::test]
async fn test_req_jsapi_002_bad_paths_throw_catchable_errors() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let caught = eng.get("/caught").await.json();
    assert_eq!(caught.as_array().unwrap().len(), 2, "{caught}");
    assert!(caught[0]
        .as_str()
        .unwrap()
        .contains("must be a non-empty string starting with \"/\""));
    let msg = eng.get("/bad-send").await.text();
    assert!(msg.contains("path must start with \"/\""), "{msg}");
}

#[tokio::test]
async fn test_req_rt_001_on_connect_can_refuse() {
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    let r = eng.get("/chat?deny=1").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text(), "not allowed");
    assert_eq!(connections(&eng, "/chat").await, 0);
}

#[tokio::test]
async fn test_seed_example_chat_runs() {
    let eng = Engine::start().await;
    let r = eng
        .api(
            "PATCH",
            "/engine/api/scripts/example-chat.js",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = eng.get("/examples/chat?room=x").await;
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text().contains("EventSource"));
    let mut room_x = Sse::open(&eng, "/examples/chat/stream?room=x", None).await;
    let say = |room: &str| {
        eng.req("POST", "/examples/chat/send")
            .json(&json!({"room": room, "name": "ann", "text": format!("hi {room}")}))
    };
    assert_eq!(send(say("y")).await.status, 202);
    assert_eq!(send(say("x")).await.status, 202);
    let (event, _, data) = room_x.next().await;
    assert_eq!(event.as_deref(), Some("chat"));
    let msg: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (msg["name"].as_str(), msg["text"].as_str()),
        (Some("ann"), Some("hi x"))
    );
}

#[tokio::test]
async fn test_req_rt_001_slow_client_is_dropped() {
    use std::io::Write;
    let eng = Engine::start().await;
    eng.deploy("chat.js", CHAT).await;
    // A client that connects and then never reads a byte.
    let addr = eng
        .server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    write!(stalled, "GET /news HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    eventually("the stalled client to be connected", || async {
        (connections(&eng, "/news").await == 1).then_some(())
    })
    .await;
    post(&eng, "/flood").await;
    eventually("the stalled client to be dropped", || async {
        (connections(&eng, "/news").await == 0).then_some(())
    })
    .await;
    // The server itself is fine.
    assert_eq!(eng.get("/caught").await.status, 200);
    drop(stalled);
}
