//! The router reached in-process, for the MCP admin tools' `call_route`
//! (`mcp::admin::LocalRoutes`). The tools are built before the
//! [`AppState`] that holds them, so calls queue on a channel that
//! [`serve_local`] answers once the state exists; it holds the state
//! weakly, and ends when the last client (inside the state) is dropped.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http_body_util::BodyExt;
use tokio::sync::{mpsc, oneshot};
use tower::ServiceExt;

use super::state::WeakAppState;
use crate::mcp::admin::{LocalFuture, LocalRequest, LocalResponse, LocalRoutes};

type Job = (LocalRequest, oneshot::Sender<Result<LocalResponse, String>>);

/// What the admin tools hold.
pub struct LocalClient(mpsc::UnboundedSender<Job>);

/// Where the calls arrive, for [`serve_local`].
pub struct LocalInbox(mpsc::UnboundedReceiver<Job>);

pub fn local_routes() -> (LocalClient, LocalInbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    (LocalClient(tx), LocalInbox(rx))
}

impl LocalRoutes for LocalClient {
    fn send(&self, req: LocalRequest) -> LocalFuture {
        let (reply, answer) = oneshot::channel();
        let sent = self.0.send((req, reply));
        Box::pin(async move {
            let gone = || "the engine is shutting down".to_string();
            sent.map_err(|_| gone())?;
            answer.await.map_err(|_| gone())?
        })
    }
}

/// Answers every queued call through the engine's router, each in its own
/// task, until the engine is gone.
pub async fn serve_local(mut inbox: LocalInbox, state: WeakAppState) {
    while let Some((req, reply)) = inbox.0.recv().await {
        let Some(state) = state.upgrade() else {
            let _ = reply.send(Err("the engine is shutting down".into()));
            break;
        };
        tokio::spawn(async move {
            let _ = reply.send(call(state, req).await);
        });
    }
}

async fn call(state: super::AppState, req: LocalRequest) -> Result<LocalResponse, String> {
    let deadline = Instant::now() + req.timeout;
    let mut builder = axum::http::Request::builder()
        .method(req.method.as_str())
        .uri(req.path.as_str());
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let mut request = builder
        .body(Body::from(req.body))
        .map_err(|e| format!("not a valid request: {e}"))?;
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    request.extensions_mut().insert(ConnectInfo(loopback));
    // As the hygiene layer does for a request from the network, so that
    // the script's log entries carry the id the answer names.
    let rid = state.request_id();
    let rid_header = axum::http::HeaderValue::from_str(&rid).ok();
    request
        .extensions_mut()
        .insert(crate::observe::RequestId(rid));
    let router = super::app(state);
    let sent = tokio::time::timeout_at(deadline.into(), router.oneshot(request)).await;
    let resp = match sent {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => return Err(format!("no response within {} ms", req.timeout.as_millis())),
    };
    let mut resp = resp;
    if let Some(v) = rid_header {
        resp.headers_mut().entry("x-request-id").or_insert(v);
    }
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let (body, truncated) = read_bounded(resp.into_body(), req.max_response_bytes, deadline).await;
    Ok(LocalResponse {
        status,
        headers,
        body,
        truncated,
    })
}

/// Up to `max` bytes of `body`, read until it ends or `deadline`; true
/// when there was more (or it was still going).
async fn read_bounded(mut body: Body, max: usize, deadline: Instant) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let next = tokio::time::timeout_at(deadline.into(), body.frame()).await;
        let frame = match next {
            Err(_) => return (out, true),
            Ok(None) => return (out, false),
            Ok(Some(Err(_))) => return (out, true),
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data() {
            let room = max.saturating_sub(out.len());
            if data.len() > room {
                out.extend_from_slice(&data[..room]);
                return (out, true);
            }
            out.extend_from_slice(&data);
        }
    }
}
