//! Server-Sent Events responses for `registerWebStream` paths, and the
//! stream status endpoint.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::auth::AdminUser;
use super::error::ApiError;
use crate::events::{comment, Subscription};
use crate::http::AppState;

/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Subscribes the connection and streams its events until it goes away.
pub fn open(
    state: &AppState,
    path: &str,
    meta: &str,
    last_event_id: Option<&str>,
    request_id: &str,
) -> Response {
    let meta: Map<String, Value> = match serde_json::from_str::<Value>(meta) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let Some(sub) = state.streams().subscribe(path, meta, last_event_id) else {
        return ApiError::not_found(format!("no stream at {path}")).into_response();
    };
    let mut resp = super::sse_response(Body::from_stream(events(sub)));
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    *resp.status_mut() = StatusCode::OK;
    resp
}

fn events(
    sub: Subscription,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send {
    let mut sub = sub;
    let backlog = std::mem::take(&mut sub.backlog);
    // The first chunk goes out at once, so clients see the stream is open.
    let head = std::iter::once(comment("connected")).chain(backlog);
    let head = futures_util::stream::iter(head.map(Ok));
    let live = futures_util::stream::unfold(sub, |mut sub| async move {
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        tokio::select! {
            msg = sub.rx.recv() => msg.map(|b| (Ok(b), sub)),
            _ = beat.tick() => Some((Ok(comment("heartbeat")), sub)),
        }
    });
    futures_util::StreamExt::chain(head, live)
}

/// `GET /engine/api/streams`: every stream with its open connections.
pub async fn list(_: AdminUser, State(state): State<AppState>) -> Json<Value> {
    let streams: Vec<Value> = state
        .streams()
        .status()
        .into_iter()
        .map(|(path, script, connections)| json!({ "path": path, "script": &*script, "connections": connections }))
        .collect();
    let subscriptions: Vec<Value> = state
        .streams()
        .topic_status()
        .into_iter()
        .map(|(name, subscribers)| json!({ "name": name, "subscribers": subscribers }))
        .collect();
    Json(json!({ "streams": streams, "subscriptions": subscriptions }))
}
