//! The JavaScript runtime: a pool of worker threads, each keeping warm
//! QuickJS contexts per script, and the host API scripts see.
//!
//! Nothing here knows HTTP or redb: requests arrive as [`ScriptRequest`],
//! answers leave as [`Outcome`], and effects go out through [`Host`]: narrow
//! traits of js's own (one per capability, in `host.rs`) that the
//! composition root implements over the services.

mod assets;
mod auth;
mod bytecode;
mod call;
mod chunk_stream;
pub(crate) mod clone;
mod context;
mod convert;
mod errors;
mod fetch;
mod host;
mod inline;
mod kv;
mod lazy;
mod mcp;
mod modules;
mod names;
mod parked;
mod pool;
mod prelude;
mod prelude_assets;
mod prelude_fetch;
mod prelude_kv;
mod req_headers;
mod scripts_api;
mod stream_body;
mod upload;
mod utils;
mod worker;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::scripts::routes::LoadedScript;

pub use crate::domain::{FailureKind, LogLevel, RequestAuth, StreamMessage};
pub use crate::scripts::{LoadError, Registration, ScriptRuntime};
pub use bytecode::Preludes;
pub use chunk_stream::ChunkStream;
pub use host::{
    ActFor, AssetsPort, FetchEmit, FetchPort, Host, KvCommitReply, KvPort, Publish, ScriptLog,
    ScriptOp, ScriptsError, ScriptsPort, ScriptsReply,
};
pub use inline::InlineWorker;
pub use mcp::{
    cancel_call, AbortHook, McpHooks, McpLog, McpProgress, LOG_LEVELS, RESOURCE_UPDATED_TOPIC,
};
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
    /// `scheme://host` as the engine sees it (`oauth.public_url`, else the
    /// connection's scheme and `Host`): `req.url` starts with it. Empty for
    /// calls that are not HTTP requests (GraphQL resolvers, MCP tools).
    pub origin: String,
    pub params: Vec<(String, String)>,
    /// As hyper parsed them (names lowercase, values UTF-8: the framing
    /// check refused others); moved, not copied, into the request.
    pub headers: http::HeaderMap,
    pub ip: String,
    pub body: Bytes,
    pub form: Option<Vec<(String, String)>>,
    pub files: Vec<UploadedFile>,
    pub request_id: Arc<str>,
    /// What a GraphQL resolver's or MCP handler's `ctx` holds besides
    /// `headers`, `requestId` and `auth`.
    pub context: CallContext,
    /// The caller, when the request carried a valid session or token.
    pub auth: Option<Arc<RequestAuth>>,
    /// An MCP call's progress sink and cancellation flag.
    pub mcp: Option<McpHooks>,
}

/// The call-specific members of a resolver's or handler's `ctx`.
#[derive(Debug, Default)]
pub enum CallContext {
    /// None (a route: `req` has no such members).
    #[default]
    None,
    /// A GraphQL resolver's `ctx.variables`: the operation's variables as
    /// JSON, `None` for `null` (most operations, parsed for nothing).
    Variables(Option<String>),
    /// A JSON object whose members are copied onto `ctx` (MCP: `tool`, …).
    Members(String),
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
    /// An MCP handler (tool, resource, prompt or completion), called as
    /// `(args, ctx)` like a GraphQL resolver; `ctx` also has `progress`
    /// and `signal` (from `request.mcp`).
    Mcp,
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

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamOptions {
    pub event: Option<serde_json::Value>,
    pub id: Option<serde_json::Value>,
    pub retry: Option<u64>,
    pub filter: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Runs script calls: the QuickJS pool, or a test's stand-in.
pub trait Invoker: Send + Sync {
    /// Queues a request; the answer arrives on `inv.reply`.
    fn invoke(&self, inv: Invocation);
}

/// Runs a script's top-level code once in a throwaway context, outside any
/// pool (used at save time and when seeding a new data file).
pub fn registration_pass(
    cfg: &JsConfig,
    preludes: &Arc<Preludes>,
    host: Arc<dyn Host>,
    name: &str,
    source: &str,
) -> Result<Registration, LoadError> {
    let sc = context::ScriptContext::new(cfg, name.into(), host, None, true, preludes.clone())?;
    sc.load(source)?;
    let routes = sc.shared.routes.borrow().clone();
    let graphql = sc.shared.graphql.borrow().clone();
    let mcp = sc.shared.mcp.borrow().clone();
    Ok(Registration {
        routes,
        graphql,
        mcp,
    })
}
