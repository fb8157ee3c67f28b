//! GraphQL over the scripts' registrations: `registerGraphQLQuery`,
//! `registerGraphQLMutation` and `registerGraphQLSubscription` declare root
//! fields with real SDL; the executable schema is an async-graphql dynamic
//! schema rebuilt (and swapped atomically) whenever a script changes.
//!

mod build;
mod docs;
mod resolve;
mod schemas;
mod value;

pub use crate::domain::{GqlKind, GqlSpec};
pub use build::{build, Built, SchemaError};
pub use docs::operation_is;
pub use schemas::Schemas;
pub use Limits as GraphqlLimits;

/// Error extension carrying a resolver error's path; see [`restore_paths`].
pub(crate) const PATH_EXTENSION: &str = "__aiwebengine_path";

/// Moves the path of resolver errors from the extension into `path`.
pub fn restore_paths(resp: &mut async_graphql::Response) {
    for err in &mut resp.errors {
        let Some(ext) = err.extensions.as_mut() else {
            continue;
        };
        if let Some(async_graphql::Value::List(parts)) = ext.get(PATH_EXTENSION).cloned() {
            if err.path.is_empty() {
                err.path = parts
                    .into_iter()
                    .map(|p| match p {
                        async_graphql::Value::String(s) => match s.parse::<usize>() {
                            Ok(i) => async_graphql::PathSegment::Index(i),
                            Err(_) => async_graphql::PathSegment::Field(s),
                        },
                        other => async_graphql::PathSegment::Field(other.to_string()),
                    })
                    .collect();
            }
            ext.unset(PATH_EXTENSION);
        }
    }
}

/// Limits applied to every schema build (`[graphql]` in the config).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub introspection: bool,
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            introspection: true,
            max_depth: 32,
            max_complexity: 10_000,
        }
    }
}

/// What a resolver sees of the HTTP request, put into each execution.
#[derive(Clone, Debug, Default)]
pub struct GqlRequest {
    pub headers: http::HeaderMap,
    pub request_id: std::sync::Arc<str>,
    pub variables: serde_json::Value,
    /// The request's user (session cookie or Bearer token), if any.
    pub auth: Option<std::sync::Arc<crate::domain::RequestAuth>>,
    /// Set when the request is served on an I/O thread: resolver calls go
    /// here and that thread runs them inline or hands them to the pool, so
    /// a fast resolver costs no thread hop.
    pub local: Option<tokio::sync::mpsc::UnboundedSender<crate::js::Invocation>>,
}
