//! What the host API needs from the engine, one narrow trait per capability,
//! each with only the operations scripts' calls reach. The runtime owns
//! these traits; the composition root (`state::host`) implements them over
//! the services, so `js` names no service type.
//!
//! Value types the calls convert (kv keys and values, fetch requests and
//! events, asset records) stay in their services' modules: they are the
//! services' vocabulary, and js builds and reads them field by field.
//!
//! Every call returns without blocking the caller's reactor: blocking work
//! is the runtime's to place (a pool worker may block, an inline worker
//! hands it to the blocking pool), or the port spawns it on the engine's
//! runtime and answers through a callback.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::AbortHandle;

use crate::assets::image::{Params, VariantRecord};
use crate::assets::{Actor, AssetError, AssetRecord, Committed};
use crate::fetch::{Budget, Event, FetchError, OutRequest, Read};
use crate::kv::{Atomic, Entry, KeyPart, KvError, KvValue, ListPage, ListQuery};

use super::{LogLevel, StreamMessage};

/// `console.*` and `writeLog`: the script's log.
pub trait ScriptLog: Send + Sync {
    fn script_log(&self, script: &str, level: LogLevel, message: String, request_id: Option<&str>);
}

/// Stream and subscription messages.
pub trait Publish: Send + Sync {
    /// Queues a stream message for fan-out; `path = None` means every stream.
    fn publish(&self, path: Option<&str>, msg: StreamMessage);
    /// `sendSubscriptionMessage(name, data)`: to every subscriber of `name`.
    fn publish_subscription(&self, _name: &str, _data: serde_json::Value) {}
}

/// The capabilities one engine gives its scripts. Logging and publishing
/// are always there; the others are None where scripts have no data
/// (the registration pass that seeds a new data file).
pub trait Host: ScriptLog + Publish + 'static {
    /// `kv.*`.
    fn kv(&self) -> Option<Arc<dyn KvPort>> {
        None
    }
    /// Outbound HTTP (`fetch`).
    fn fetcher(&self) -> Option<Arc<dyn FetchPort>> {
        None
    }
    /// `scripts.*` and the older script globals.
    fn scripts(&self) -> Option<Arc<dyn ScriptsPort>> {
        None
    }
    /// Stored assets (`assets.*` and the older asset globals).
    fn assets(&self) -> Option<Arc<dyn AssetsPort>> {
        None
    }
    /// The source of the script `name` serves now, for `import` between
    /// module scripts. Reads memory only.
    fn module_source(&self, _name: &str) -> Option<Arc<str>> {
        None
    }
}

/// What a kv commit answers: the new versionstamp, or None when a check
/// failed.
pub type KvCommitReply = Box<dyn FnOnce(Result<Option<u64>, KvError>) + Send>;

/// `kv.*`. Reads block (on redb); commits queue for the group-commit writer
/// and answer through the reply.
pub trait KvPort: Send + Sync {
    /// The namespace of `script`'s own data, or of the shared store `shared`.
    fn namespace(&self, script: &str, shared: Option<&str>) -> Result<String, KvError>;
    /// How many keys one `getMany` or atomic operation may touch.
    fn max_atomic_keys(&self) -> usize;
    fn encode_key(&self, key: &[KeyPart]) -> Result<Vec<u8>, KvError>;
    fn encode_value(&self, value: &KvValue) -> Result<Vec<u8>, KvError>;
    /// Refuses an operation over the limits before it is queued.
    fn check_atomic(&self, op: &Atomic) -> Result<(), KvError>;
    /// Blocking: one consistent snapshot.
    fn get_many(&self, ns: &str, keys: Vec<Vec<KeyPart>>) -> Result<Vec<Entry>, KvError>;
    /// Never blocks: the entries when all of `keys` are in the read cache
    /// (one consistent snapshot too), else None.
    /// `encoded` are the keys as [`KvPort::encode_key`] gave them; a hit
    /// takes `keys` into the entries.
    fn get_cached(
        &self,
        ns: &str,
        keys: &mut Vec<Vec<KeyPart>>,
        encoded: &[Vec<u8>],
    ) -> Option<Result<Vec<Entry>, KvError>>;
    /// Blocking: one page.
    fn list(&self, ns: &str, q: ListQuery) -> Result<ListPage, KvError>;
    fn commit(&self, ns: String, op: Atomic, reply: KvCommitReply);
}

/// Where a fetch's events go, on the engine's runtime.
pub type FetchEmit = Box<dyn FnMut(Event) + Send>;

/// Outbound HTTP. Deadlines cross into JS as numbers (tokens).
pub trait FetchPort: Send + Sync {
    /// Why the rules refuse `url` for `script`, if they do.
    fn refusal(&self, script: &str, url: &url::Url) -> Option<String>;
    /// When a request that reached its worker at `started` times out.
    fn request_deadline(&self, started: Instant) -> Instant;
    fn token(&self, t: Instant) -> f64;
    /// The instant a [`FetchPort::token`] stands for.
    fn instant(&self, token: f64) -> Instant;
    /// The fetch's time limit, and which limit decided it.
    fn budget(&self, request_deadline: Option<Instant>, option_ms: Option<u64>) -> Budget;
    /// Takes one of the script's concurrent-fetch slots and runs the
    /// exchange on the engine's runtime; body reads arrive on `reads`.
    fn start(
        &self,
        req: OutRequest,
        budget: Budget,
        reads: UnboundedReceiver<Read>,
        emit: FetchEmit,
    ) -> Result<AbortHandle, FetchError>;
}

/// One script-management call.
#[derive(Debug)]
pub enum ScriptOp {
    List,
    Get(String),
    Put(String, String),
    Delete(String),
    /// One script's log (or every script's the actor may read), newest first.
    Logs(Option<String>, usize),
}

impl ScriptOp {
    pub fn writes(&self) -> bool {
        matches!(self, ScriptOp::Put(..) | ScriptOp::Delete(_))
    }
}

/// Whose rights a management call uses.
#[derive(Debug, Clone, Copy)]
pub enum ActFor<'a> {
    /// The owner of this script (or, before its first save, its author).
    Owner(&'a str),
    /// The request's user (by id); anonymous without one.
    User(Option<&'a str>),
}

/// A management call that failed; `forbidden` becomes a 403 in JS.
#[derive(Debug)]
pub struct ScriptsError {
    pub forbidden: bool,
    pub message: String,
}

/// The answer as JSON text.
pub type ScriptsReply = Box<dyn FnOnce(Result<String, ScriptsError>) + Send>;

/// `scripts.*` and `listScripts`/`getScript`/`upsertScript`/`deleteScript`/`listLogs`.
pub trait ScriptsPort: Send + Sync {
    /// Decides the actor now, runs `op` on the engine's runtime and answers
    /// through `reply`.
    fn start(&self, who: ActFor<'_>, op: ScriptOp, reply: ScriptsReply);
    /// Runs `op` and waits for it (the older synchronous globals). Safe to
    /// call from a thread inside a current-thread runtime.
    fn wait(&self, who: ActFor<'_>, op: ScriptOp) -> Result<String, ScriptsError>;
}

/// Stored assets. Metadata reads come from memory; the rest blocks.
pub trait AssetsPort: Send + Sync {
    fn get(&self, path: &str) -> Option<Arc<AssetRecord>>;
    /// In path order.
    fn list(&self, prefix: &str) -> Vec<Arc<AssetRecord>>;
    /// The rights `script` changes assets with (its owner's), if it has an owner.
    fn actor_for_script(&self, script: &str) -> Option<Actor>;
    fn read(&self, rec: &AssetRecord) -> Result<Vec<u8>, AssetError>;
    fn put_bytes(
        &self,
        actor: &Actor,
        path: &str,
        declared: Option<&str>,
        bytes: &[u8],
    ) -> Result<Committed, AssetError>;
    fn put_file(
        &self,
        actor: &Actor,
        path: &str,
        declared: Option<&str>,
        file: &Path,
    ) -> Result<Committed, AssetError>;
    fn delete(&self, actor: &Actor, path: &str) -> Result<bool, AssetError>;
    fn variant(&self, rec: &AssetRecord, params: &Params) -> Result<VariantRecord, AssetError>;
    fn audit(&self, who: &str, action: &str, target: &str, result: &str);
}
