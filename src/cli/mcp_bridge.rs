//! `aiwebengine mcp --url URL --token T`: a stdio MCP server that forwards
//! every JSON-RPC message to a running engine's `/mcp` (Streamable HTTP),
//! for desktop clients that only start local servers. Each message is one
//! POST (concurrently, so a `notifications/cancelled` reaches a call still
//! running); JSON and SSE answers go to stdout line by line; the session's
//! GET stream carries server notifications (list changes).

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

struct Bridge {
    http: reqwest::Client,
    url: String,
    token: String,
    session: std::sync::Mutex<Option<String>>,
    version: std::sync::Mutex<Option<String>>,
    out: Mutex<tokio::io::Stdout>,
}

pub(crate) async fn run(url: String, token: String) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let bridge = Arc::new(Bridge {
        http,
        url,
        token,
        session: Default::default(),
        version: Default::default(),
        out: Mutex::new(tokio::io::stdout()),
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if msg.get("method") == Some(&json!("initialize")) {
            // The session id it returns is needed by everything after it.
            bridge.forward(msg).await;
            let b = bridge.clone();
            tokio::spawn(async move { b.listen().await });
        } else {
            let b = bridge.clone();
            tokio::spawn(async move { b.forward(msg).await });
        }
    }
    bridge.end().await;
    Ok(())
}

impl Bridge {
    fn headers(&self, msg: Option<&Value>) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut put = |k: &'static str, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(k, v);
            }
        };
        put(AUTHORIZATION.as_str(), &format!("Bearer {}", self.token));
        put(ACCEPT.as_str(), "application/json, text/event-stream");
        put(CONTENT_TYPE.as_str(), "application/json");
        if let Some(s) = self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
        {
            put("mcp-session-id", s);
        }
        let meta_version = msg
            .and_then(|m| m.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion"))
            .and_then(Value::as_str);
        if let Some(v) = meta_version {
            // 2026-07-28: the headers repeat what the body says.
            put("mcp-protocol-version", v);
            if let Some(m) = msg.and_then(|m| m.get("method")).and_then(Value::as_str) {
                put("mcp-method", m);
            }
            let name = msg.and_then(|m| m.pointer("/params/name").or(m.pointer("/params/uri")));
            if let Some(n) = name.and_then(Value::as_str) {
                put("mcp-name", n);
            }
        } else if let Some(v) = self
            .version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
        {
            put("mcp-protocol-version", v);
        }
        h
    }

    async fn forward(&self, msg: Value) {
        let sent = self
            .http
            .post(&self.url)
            .headers(self.headers(Some(&msg)))
            .body(msg.to_string())
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return self
                    .fail(&msg, format!("cannot reach {}: {e}", self.url))
                    .await
            }
        };
        if let Some(s) = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            *self.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(s.to_string());
        }
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return self
                .fail(&msg, format!("{} answered {status}: {body}", self.url))
                .await;
        }
        self.relay(resp).await;
    }

    /// Writes the messages of a JSON or SSE answer to stdout.
    async fn relay(&self, mut resp: reqwest::Response) {
        let sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            if !sse {
                continue;
            }
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                let data = data.join("\n");
                if !data.trim().is_empty() {
                    self.emit(&data).await;
                }
            }
        }
        if !sse && !buf.trim().is_empty() {
            self.emit(buf.trim()).await;
        }
    }

    async fn emit(&self, json_text: &str) {
        if let Ok(v) = serde_json::from_str::<Value>(json_text) {
            if let Some(ver) = v.pointer("/result/protocolVersion").and_then(Value::as_str) {
                *self.version.lock().unwrap_or_else(|e| e.into_inner()) = Some(ver.to_string());
            }
        }
        let mut out = self.out.lock().await;
        let _ = out.write_all(format!("{json_text}\n").as_bytes()).await;
        let _ = out.flush().await;
    }

    /// A request that could not be forwarded gets a JSON-RPC error.
    async fn fail(&self, msg: &Value, message: String) {
        eprintln!("mcp bridge: {message}");
        if let Some(id) = msg.get("id") {
            let err =
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": message}});
            self.emit(&err.to_string()).await;
        }
    }

    /// The session's GET stream (server notifications), while it lasts.
    async fn listen(&self) {
        if self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
        {
            return;
        }
        let mut h = self.headers(None);
        h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        if let Ok(resp) = self.http.get(&self.url).headers(h).send().await {
            if resp.status().is_success() {
                self.relay(resp).await;
            }
        }
    }

    /// Ends the session when stdin closes.
    async fn end(&self) {
        if self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            let _ = self
                .http
                .delete(&self.url)
                .headers(self.headers(None))
                .send()
                .await;
        }
    }
}
