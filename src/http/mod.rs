//! The HTTP adapter: [`app`] builds the one router used in production and
//! in tests. Only this module (and `server`) knows axum.

mod api;
mod auth;
mod backup;
mod dispatch;
mod error;
mod graphql;
mod health;
mod request;
mod streams;
mod ui;

use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

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
        .route("/api/scripts/{name}/versions/{n}", get(api::get_version))
        .route(
            "/api/scripts/{name}/versions/{n}/restore",
            post(api::restore_version),
        )
        .route("/api/logs", get(api::logs))
        .route("/api/streams", get(streams::list))
        .merge(ui::routes())
        .fallback(engine_not_found)
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(resp) => resp,
                    Err(_) => axum::response::IntoResponse::into_response(ApiError::timeout(
                        timeout.as_millis() as u64,
                    )),
                }
            },
        ));
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        // Outside `engine`: a large snapshot may outlast the request timeout.
        .route("/engine/api/backup", get(backup::download))
        .nest("/engine", engine)
        .route("/engine", get(engine_not_found))
        .fallback(dispatch::dispatch)
        .with_state(state)
}

async fn engine_not_found(uri: axum::extract::OriginalUri) -> ApiError {
    ApiError::not_found(format!("no engine endpoint at {}", uri.0.path()))
}

/// Parses a JSON body whatever its Content-Type says, with an error that
/// shows the expected shape.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    shape: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("send JSON like {shape}: {e}")))
}
