//! GraphQL subscriptions: graphql-sse (distinct connections mode) at
//! `/graphql/stream`, graphql-ws (`graphql-transport-ws`, and the older
//! `graphql-ws`) at `/graphql/ws`, and the older engine's `POST
//! /graphql/sse` (plain `data:` lines).

use std::str::FromStr;

use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use super::graphql::{context, error, parse_request};
use crate::http::AppState;

/// graphql-sse: every execution result is an `event: next`, then one
/// `event: complete`.
pub async fn sse(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    match super::graphql::read(&state, req).await {
        Ok((headers, body)) => stream_results(&state, &headers, &body, true),
        Err(resp) => resp,
    }
}

/// The older engine's transport: `data: {"data": ...}` per result.
pub async fn legacy_sse(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    match super::graphql::read(&state, req).await {
        Ok((headers, body)) => stream_results(&state, &headers, &body, false),
        Err(resp) => resp,
    }
}

fn stream_results(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    graphql_sse: bool,
) -> Response {
    let Some(built) = state.schemas().current() else {
        return error(
            StatusCode::NOT_FOUND,
            "no GraphQL schema: no enabled script registers GraphQL fields",
        );
    };
    let (request, variables) = match parse_request(body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let request = request.data(std::sync::Arc::new(context(state, headers, variables)));
    let results = built.schema.execute_stream(request).map(move |mut r| {
        crate::graphql::restore_paths(&mut r);
        let json = serde_json::to_string(&r).unwrap_or_default();
        Ok::<_, std::convert::Infallible>(Bytes::from(match graphql_sse {
            true => format!("event: next\ndata: {json}\n\n"),
            false => format!("data: {json}\n\n"),
        }))
    });
    let tail = futures_util::stream::iter(
        graphql_sse.then(|| Ok(Bytes::from_static(b"event: complete\ndata:\n\n"))),
    );
    // Hold the schema while the stream lives: a script change swaps the
    // catalog, and running subscriptions finish on the schema they began on.
    let keep = built.clone();
    let body = results.chain(tail).map(move |b| {
        let _ = &keep;
        b
    });
    super::sse_response(Body::from_stream(body))
}

pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(built) = state.schemas().current() else {
        return error(
            StatusCode::NOT_FOUND,
            "no GraphQL schema: no enabled script registers GraphQL fields",
        );
    };
    let offered = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .find_map(|p| async_graphql::http::WebSocketProtocols::from_str(p).ok());
    let Some(protocol) = offered else {
        return error(
            StatusCode::BAD_REQUEST,
            "use the graphql-transport-ws (or graphql-ws) WebSocket subprotocol",
        );
    };
    let data = context(&state, &headers, serde_json::Value::Null);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_ws(socket, built, protocol, data))
        .into_response()
}

async fn serve_ws(
    socket: WebSocket,
    built: std::sync::Arc<crate::graphql::Built>,
    protocol: async_graphql::http::WebSocketProtocols,
    ctx: crate::graphql::GqlRequest,
) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|m| futures_util::future::ready(m.is_ok()))
        .filter_map(|m| async move {
            match m {
                Ok(Message::Text(t)) => Some(t.as_bytes().to_vec()),
                Ok(Message::Binary(b)) => Some(b.to_vec()),
                _ => None,
            }
        })
        .boxed();
    let mut data = async_graphql::Data::default();
    data.insert(std::sync::Arc::new(ctx));
    let mut output = async_graphql::http::WebSocket::new(built.schema.clone(), input, protocol)
        .connection_data(data);
    while let Some(msg) = output.next().await {
        let sent = match msg {
            async_graphql::http::WsMessage::Text(t) => sink.send(Message::Text(t.into())).await,
            async_graphql::http::WsMessage::Close(code, reason) => {
                let frame = axum::extract::ws::CloseFrame {
                    code,
                    reason: reason.into(),
                };
                let _ = sink.send(Message::Close(Some(frame))).await;
                break;
            }
        };
        if sent.is_err() {
            break;
        }
    }
}
