//! The one error type of the HTTP layer. Client errors carry a code and a
//! short message; internal errors get a generic body with the request's own
//! id and are logged once, by [`log_internal`] at the request boundary.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::auth::AuthError;
use crate::scripts::ScriptError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
    /// One header the error needs (`Allow` on a 405, `WWW-Authenticate`
    /// on a 401); boxed, so that results carrying an error stay small.
    pub header: Option<Box<(header::HeaderName, String)>>,
    /// Rendered in the OAuth shape (RFC 6749 §5.2): `{"error": code,
    /// "error_description": message}`, uncached; for the OAuth endpoints.
    pub oauth: bool,
    /// For the server log only: what went wrong inside.
    pub detail: Option<String>,
}

/// Carried on the response of an internal error until the request boundary
/// (which knows the request id) logs it and puts the id in the body.
#[derive(Clone, Debug)]
struct InternalError {
    detail: String,
    extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
            header: None,
            oauth: false,
            detail: None,
        }
    }

    /// An OAuth endpoint's error, in the shape OAuth clients parse.
    pub fn oauth(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            oauth: true,
            ..ApiError::new(status, code, message)
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn method_not_allowed(allowed: &[&str]) -> ApiError {
        let allow = allowed.join(", ");
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method not allowed here; allowed: {allow}"),
        );
        e.header = Some(Box::new((header::ALLOW, allow)));
        e
    }

    /// A 401's `WWW-Authenticate` challenge.
    pub fn with_challenge(mut self, challenge: String) -> ApiError {
        self.header = Some(Box::new((header::WWW_AUTHENTICATE, challenge)));
        self
    }

    pub fn payload_too_large(limit: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is over the limit of {limit} bytes"),
        )
        .with("limit", limit)
    }

    pub fn timeout(ms: u64) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {ms} ms (config server.request_timeout_ms)"),
        )
    }

    /// An engine failure: the client sees only the request id; `detail` is
    /// logged under that id by [`log_internal`].
    /// A storage failure: a full disk is the client-visible
    /// `507 storage_full` (its message says what to free); anything else
    /// is internal.
    pub fn storage(e: &crate::domain::StorageError) -> ApiError {
        match e.kind() {
            crate::domain::StorageErrorKind::Full => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                e.message(),
            ),
            _ => ApiError::internal(e),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details under this response's X-Request-Id",
        );
        e.detail = Some(detail.to_string());
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let internal = self.detail.map(|detail| InternalError {
            detail,
            extra: self.extra.clone(),
        });
        let body = match self.oauth {
            true => json!({ "error": self.code, "error_description": self.message }),
            false => {
                let mut body = Map::new();
                body.insert("code".into(), self.code.into());
                body.insert("message".into(), self.message.into());
                body.extend(self.extra);
                json!({ "error": body })
            }
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.oauth {
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if let Some((name, value)) = self.header.map(|h| *h) {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        if let Some(internal) = internal {
            resp.extensions_mut().insert(internal);
        }
        resp
    }
}

/// The error boundary, called once per request with its own id (the one
/// in `X-Request-Id` and the access log): logs an internal error's detail
/// under that id and puts the id in the body, so the three always agree.
pub fn log_internal(resp: &mut Response, request_id: &str) {
    let Some(e) = resp.extensions_mut().remove::<InternalError>() else {
        return;
    };
    tracing::error!(request_id, "internal error: {}", e.detail);
    let mut body = Map::new();
    body.insert("code".into(), "internal".into());
    let message =
        format!("internal error; the server log has the details under request id {request_id}");
    body.insert("message".into(), message.into());
    body.extend(e.extra);
    body.insert("request_id".into(), request_id.into());
    let bytes = json!({ "error": body }).to_string();
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    *resp.body_mut() = axum::body::Body::from(bytes);
}

impl From<ScriptError> for ApiError {
    fn from(e: ScriptError) -> ApiError {
        let msg = e.to_string();
        match e {
            ScriptError::InvalidName(_) => ApiError::bad_request("invalid_name", msg),
            ScriptError::TooLarge { limit, .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", msg)
                    .with("limit", limit)
            }
            ScriptError::Load(l) => {
                let mut err = ApiError::bad_request("script_load_error", l.message);
                err.extra
                    .insert("line".into(), l.line.map_or(Value::Null, Value::from));
                err.extra
                    .insert("column".into(), l.column.map_or(Value::Null, Value::from));
                err
            }
            ScriptError::Schema(e) => {
                let mut err =
                    ApiError::bad_request("graphql_schema_error", msg).with("script", e.script);
                err.extra
                    .insert("line".into(), e.line.map_or(Value::Null, Value::from));
                err.extra
                    .insert("column".into(), e.column.map_or(Value::Null, Value::from));
                err
            }
            ScriptError::Reserved { path } => {
                ApiError::new(StatusCode::CONFLICT, "reserved_path", msg).with("path", path)
            }
            ScriptError::Conflict {
                method,
                path,
                owner,
            } => ApiError::new(StatusCode::CONFLICT, "route_conflict", msg)
                .with("method", method)
                .with("path", path)
                .with("owner", owner),
            ScriptError::McpConflict { kind, name, owner } => {
                ApiError::new(StatusCode::CONFLICT, "mcp_conflict", msg)
                    .with("kind", kind)
                    .with("name", name)
                    .with("owner", owner)
            }
            ScriptError::AssetConflict {
                method,
                path,
                asset,
            } => ApiError::new(StatusCode::CONFLICT, "asset_conflict", msg)
                .with("method", method)
                .with("path", path)
                .with("asset", asset),
            ScriptError::NameTaken(name) => {
                ApiError::new(StatusCode::CONFLICT, "name_taken", msg).with("name", name)
            }
            ScriptError::Exists(name) => {
                ApiError::new(StatusCode::CONFLICT, "script_exists", msg).with("name", name)
            }
            ScriptError::NotFound(_) | ScriptError::VersionNotFound { .. } => {
                ApiError::not_found(msg)
            }
            ScriptError::Store(s) => ApiError::storage(&s),
            ScriptError::Task(_) => ApiError::internal(msg),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        let msg = e.to_string();
        let code = e.code();
        let status = match e {
            AuthError::EmailTaken(_) | AuthError::Conflict(_) | AuthError::Cycle(_) => {
                StatusCode::CONFLICT
            }
            AuthError::InvalidEmail(_) | AuthError::WeakPassword | AuthError::Invalid(_) => {
                StatusCode::BAD_REQUEST
            }
            AuthError::BadCredentials
            | AuthError::InvalidToken
            | AuthError::Unauthorized(_)
            | AuthError::BadCode(_) => StatusCode::UNAUTHORIZED,
            AuthError::NotFound(_) => StatusCode::NOT_FOUND,
            AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::RateLimited(secs) => {
                return ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, msg)
                    .with("retry_after", secs)
            }
            AuthError::Store(s) => return ApiError::storage(&s),
        };
        ApiError::new(status, code, msg)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::storage(&e.into())
    }
}

impl From<crate::domain::StorageError> for ApiError {
    fn from(e: crate::domain::StorageError) -> ApiError {
        ApiError::storage(&e)
    }
}
