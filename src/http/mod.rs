//! The HTTP adapter: [`app`] builds the one router used in production and
//! in tests. Only this module (and `server`) knows axum.

mod api;
mod auth;
mod dispatch;
mod error;
mod health;
mod request;

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;

use crate::AppState;

pub use dispatch::run_script;
pub use error::ApiError;

pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config.server.request_timeout_ms);
    let engine = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/api/scripts", get(api::list_scripts))
        .route(
            "/api/scripts/{name}",
            get(api::get_script)
                .put(api::put_script)
                .delete(api::delete_script)
                .patch(api::patch_script),
        )
        .route("/api/scripts/{name}/versions", get(api::list_versions))
        .route(
            "/api/scripts/{name}/versions/{n}/restore",
            post(api::restore_version),
        )
        .route("/api/logs", get(api::logs))
        .fallback(engine_not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    Router::new()
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .nest("/engine", engine)
        .route("/engine", get(engine_not_found))
        .fallback(dispatch::dispatch)
        .with_state(state)
}

async fn engine_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no engine endpoint at {}", uri.path()))
}
