//! Extractors whose rejection is the one [`ApiError`], so that a bad query
//! string, path segment or body gets the same JSON error shape as every
//! other API error instead of axum's plain-text 400.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::ApiError;

/// `axum::extract::Query` with an `invalid_query` rejection.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| query_error(&e, original_path(parts)))
    }
}

fn query_error(e: &QueryRejection, path: &str) -> ApiError {
    // axum's text is "Failed to deserialize query string: NAME: PROBLEM".
    let text = e.body_text();
    let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
    ApiError::bad_request(
        "invalid_query",
        format!("bad query string for {path}: {detail}; fix that parameter and retry"),
    )
}

/// `axum::extract::Path` with an `invalid_path` rejection.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| path_error(e, parts))
    }
}

fn path_error(e: PathRejection, parts: &Parts) -> ApiError {
    let path = original_path(parts);
    if e.status().is_server_error() {
        // A route declared without the parameters its handler reads.
        return ApiError::internal(format!("path extractor on {path}: {}", e.body_text()));
    }
    let text = e.body_text();
    let detail = text.strip_prefix("Invalid URL: ").unwrap_or(&text);
    ApiError::bad_request(
        "invalid_path",
        format!("bad path {path}: {detail}; percent-encode path segments as UTF-8"),
    )
}

/// The path as the client sent it (a nested router sees it shortened).
fn original_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |u| u.0.path())
}

/// The whole request body (`axum::body::Bytes`) with JSON rejections:
/// `payload_too_large` past the body limit, `bad_body` when it could not be read.
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(|e| body_error(&e))
    }
}

fn body_error(e: &BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request body is over the limit for this endpoint; send a smaller body",
        );
    }
    ApiError::new(
        e.status(),
        "bad_body",
        format!("could not read the request body: {}", e.body_text()),
    )
}
