//! `/health`, `/health/live`, `/health/ready` (REQ-DEPLOY-005).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::http::AppState;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = store_status(&state).await;
    let ok = store == "ok";
    let body = json!({
        "status": if ok { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "commit": env!("AIWEBENGINE_GIT_COMMIT"),
        "build_date": env!("AIWEBENGINE_BUILD_DATE"),
        "uptime_seconds": state.started().elapsed().as_secs(),
        "scripts": state.scripts().count(),
        "store": store,
    });
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.observe().is_draining() {
        let body = json!({ "status": "not_ready", "reason": "shutting down" });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    let store = store_status(&state).await;
    let ok = store == "ok";
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({ "status": if ok { "ready" } else { "not_ready" }, "store": store })),
    )
}

async fn store_status(state: &AppState) -> String {
    let store = state.store().clone();
    match tokio::task::spawn_blocking(move || store.check()).await {
        Ok(Ok(_)) => "ok".into(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(e) => format!("error: {e}"),
    }
}
