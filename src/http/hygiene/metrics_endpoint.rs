//! `GET /metrics`: open to loopback clients, others need
//! `[metrics] token` as a bearer token (REQ-LOG-005, REQ-DEPLOY-004).

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;

use super::net::is_loopback;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::observe::{RouteTag, Sample};

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub fn serve(state: &AppState, client: IpAddr, req: &Request<Body>) -> Response<Body> {
    let mut resp = answer(state, client, req);
    resp.extensions_mut().insert(RouteTag {
        route: Arc::from("/metrics"),
        script: None,
    });
    resp
}

fn answer(state: &AppState, client: IpAddr, req: &Request<Body>) -> Response<Body> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::method_not_allowed(&["GET", "HEAD"]).into_response();
    }
    let cfg = &state.config().metrics;
    let open = cfg.loopback_open && is_loopback(client);
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&cfg.token, bearer) {
        (Some(want), Some(got)) => constant_time_eq(want.as_bytes(), got.trim().as_bytes()),
        _ => false,
    };
    if !open && !token_ok {
        let hint = if cfg.token.is_some() {
            "send Authorization: Bearer <metrics.token>"
        } else {
            "/metrics is served to loopback clients only; set [metrics] token to allow scrapers elsewhere"
        };
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", hint).into_response();
    }
    let sample = Sample {
        sse: state.streams().status().iter().map(|s| s.2).sum(),
        queue_depth: state.runtime().queue_depth(),
        store_bytes: std::fs::metadata(&state.config().data).map_or(0, |m| m.len()),
    };
    let mut resp = Response::new(Body::from(state.observe().metrics.render(sample)));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
