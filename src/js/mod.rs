//! The JavaScript runtime: a pool of worker threads, each keeping warm
//! QuickJS contexts per script, and the host API scripts see.
//!
//! Nothing here knows HTTP or redb: requests arrive as [`ScriptRequest`],
//! answers leave as [`Outcome`], and effects go out through [`Host`].

mod assets;
mod auth;
mod call;
mod chunk_stream;
mod context;
mod convert;
mod errors;
mod fetch;
mod inline;
mod kv;
mod lazy;
mod pool;
mod prelude;
mod prelude_assets;
mod prelude_fetch;
mod prelude_kv;
mod scripts_api;
mod stream_body;
mod upload;
mod utils;
mod worker;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::scripts::routes::{LoadedScript, RouteSpec};

pub use auth::RequestAuth;
pub use chunk_stream::ChunkStream;
pub use inline::InlineWorker;
pub use pool::QuickJsPool;
pub use upload::{FileData, SpooledFile};

/// Limits and switches for script execution (`[js]` in the config file).
#[derive(Clone, Debug)]
pub struct JsConfig {
    pub workers: usize,
    pub memory_limit_bytes: usize,
    pub time_limit_ms: u64,
    pub stack_size_bytes: usize,
    pub isolation: Isolation,
    pub eval: bool,
    pub console: bool,
    pub max_contexts_per_worker: usize,
    pub dev: bool,
    /// A JS slice longer than this moves the script from inline to the pool.
    pub slow_after: std::time::Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// A warm context per script per worker (the default).
    Worker,
    /// A fresh context for every request.
    Request,
}

/// What a handler's `req` is built from.
#[derive(Debug, Default)]
pub struct ScriptRequest {
    pub method: String,
    pub path: String,
    pub version: &'static str,
    pub query: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub ip: String,
    pub body: Bytes,
    pub form: Option<Vec<(String, String)>>,
    pub files: Vec<UploadedFile>,
    pub request_id: Arc<str>,
    /// GraphQL: extra JSON fields for the resolver's `ctx` (e.g. variables).
    pub context_json: Option<String>,
    /// The caller, when the request carried a valid session or token.
    pub auth: Option<Arc<RequestAuth>>,
}

#[derive(Debug)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub data: FileData,
}

/// A response body: whole, or streamed from an async iterable.
#[derive(Debug)]
pub enum ResponseBody {
    Full(Bytes),
    Stream(ChunkStream),
}

impl Default for ResponseBody {
    fn default() -> ResponseBody {
        ResponseBody::Full(Bytes::new())
    }
}

#[derive(Debug)]
pub struct ScriptResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ResponseBody,
    /// The call's value as JSON, for calls whose value is data rather than
    /// a response: an SSE `onConnect` (metadata), a GraphQL resolver.
    pub value_json: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Timeout,
    Memory,
    Stack,
    Runtime,
    InvalidResponse,
    /// The engine could not run the script (worker gone, context could not be built).
    Unavailable,
    /// An engine bug (a panic in a JS worker): the message is for the server
    /// log only, never for the client.
    Internal,
}

impl FailureKind {
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::Timeout => "script_timeout",
            FailureKind::Memory => "script_memory",
            FailureKind::Stack => "script_stack",
            FailureKind::Runtime => "script_error",
            FailureKind::InvalidResponse => "invalid_response",
            FailureKind::Unavailable => "script_unavailable",
            FailureKind::Internal => "internal",
        }
    }
}

#[derive(Debug)]
pub struct ScriptFailure {
    pub kind: FailureKind,
    pub message: String,
    pub stack: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// In `--dev`, what the engine could make of an invalid response.
    pub best_effort: Option<Box<ScriptResponse>>,
}

pub type Outcome = Result<ScriptResponse, ScriptFailure>;

/// One request for a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A route handler: its value is the response.
    Request,
    /// A stream's `onConnect`: its value is the connection's metadata.
    StreamConnect,
    /// A GraphQL resolver, called as `(args, ctx)` with the arguments as
    /// JSON in `request.body`; its value is the field's data.
    GraphQl,
    /// A subscription resolver for subscriber `sub` (`request.query`): a
    /// returned function is kept as that subscriber's filter.
    GqlSubscribe { sub: u64 },
    /// Runs subscriber `sub`'s filter on the message in `request.body`.
    GqlFilter { sub: u64 },
    /// Forgets subscriber `sub`'s filter.
    GqlRelease { sub: u64 },
}

impl CallKind {
    /// Calls that must run on the worker holding the script's subscription
    /// filters.
    pub fn pinned(self) -> bool {
        matches!(
            self,
            CallKind::GqlSubscribe { .. }
                | CallKind::GqlFilter { .. }
                | CallKind::GqlRelease { .. }
        )
    }
}

pub struct Invocation {
    pub script: Arc<LoadedScript>,
    pub handler_key: Arc<str>,
    pub kind: CallKind,
    pub request: ScriptRequest,
    pub reply: oneshot::Sender<Outcome>,
}

/// What a script's top-level code registered.
#[derive(Debug, Default)]
pub struct Registration {
    pub routes: Vec<RouteSpec>,
    pub graphql: Vec<crate::graphql::GqlSpec>,
}

/// A script that could not be loaded, with where it went wrong.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Log,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Log => "log",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    pub fn parse(s: &str) -> LogLevel {
        match s {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warn" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => LogLevel::Log,
        }
    }
}

/// One `sendStreamMessage*` call.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    pub data: String,
    pub event: Option<String>,
    pub id: Option<String>,
    pub retry: Option<u64>,
    /// Delivered only to connections whose metadata has all these values.
    pub filter: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamOptions {
    pub event: Option<serde_json::Value>,
    pub id: Option<serde_json::Value>,
    pub retry: Option<u64>,
    pub filter: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The engine services the host API calls into. Calls must not block.
pub trait Host: Send + Sync + 'static {
    fn script_log(&self, script: &str, level: LogLevel, message: String, request_id: Option<&str>);
    /// Queues a stream message for fan-out; `path = None` means every stream.
    fn publish(&self, path: Option<&str>, msg: StreamMessage);
    /// The `kv` data service; None where scripts have no data (seeding).
    fn kv(&self) -> Option<Arc<crate::kv::Kv>> {
        None
    }
    /// `sendSubscriptionMessage(name, data)`: to every subscriber of `name`.
    fn publish_subscription(&self, _name: &str, _data: serde_json::Value) {}
    /// Outbound HTTP (`fetch`); None where scripts have none (seeding).
    fn fetcher(&self) -> Option<Arc<crate::fetch::Fetcher>> {
        None
    }
    /// `scripts.*` and the older script globals; None where scripts have
    /// none (seeding).
    fn scripts(&self) -> Option<Arc<crate::manage::ScriptManager>> {
        None
    }
    /// Stored assets (`assets.*`); None where scripts have none (seeding).
    fn assets(&self) -> Option<Arc<crate::assets::Assets>> {
        None
    }
}

/// The seam for other script languages (REQ-JS-008). QuickJS is the only
/// implementation.
pub trait ScriptRuntime: Send + Sync {
    /// Runs a script's top-level code once in a throwaway context and
    /// returns what it registered. Blocking; call it off the reactor.
    fn register(&self, name: &str, source: &str) -> Result<Registration, LoadError>;
    /// Queues a request; the answer arrives on `inv.reply`.
    fn invoke(&self, inv: Invocation);
}

/// Runs a script's top-level code once in a throwaway context, outside any
/// pool (used at save time and when seeding a new data file).
pub fn registration_pass(
    cfg: &JsConfig,
    host: Arc<dyn Host>,
    name: &str,
    source: &str,
) -> Result<Registration, LoadError> {
    let sc = context::ScriptContext::new(cfg, name.into(), host, None, true)?;
    sc.load(source)?;
    let routes = sc.shared.routes.borrow().clone();
    let graphql = sc.shared.graphql.borrow().clone();
    Ok(Registration { routes, graphql })
}
