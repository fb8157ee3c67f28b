//! The engine side of the JS host API: js's capability traits implemented
//! over the services. Each accessor hands out an `Arc` the engine built
//! once (a reference count, no allocation per call).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::AbortHandle;

use crate::assets::image::{Params, VariantRecord};
use crate::assets::{Actor, AssetError, AssetRecord, Assets, Committed};
use crate::domain::{LogLevel, StreamMessage};
use crate::events::{StreamBus, Streams};
use crate::fetch::{Budget, FetchError, Fetcher, OutRequest, Read};
use crate::js::{
    ActFor, AssetsPort, FetchEmit, FetchPort, Host, KvCommitReply, KvPort, Publish, ScriptLog,
    ScriptOp, ScriptsError, ScriptsPort, ScriptsReply,
};
use crate::kv::{Atomic, Entry, KeyPart, Kv, KvError, KvValue, ListPage, ListQuery};
use crate::logs::LogService;
use crate::manage::{Actor as ManageActor, ManageClient, ManageError, Op};
use crate::scripts::CatalogCell;

/// The engine side of the JS host API.
pub struct EngineHost {
    logs: Arc<LogService>,
    streams: Arc<Streams>,
    kv: Arc<Kv>,
    fetch: Arc<HostFetch>,
    scripts: Arc<HostScripts>,
    assets: Arc<Assets>,
    /// The scripts serving now: module scripts import from it.
    catalog: CatalogCell,
}

impl EngineHost {
    pub fn new(
        logs: Arc<LogService>,
        streams: Arc<Streams>,
        kv: Arc<Kv>,
        fetcher: Arc<Fetcher>,
        manager: ManageClient,
        assets: Arc<Assets>,
        catalog: CatalogCell,
    ) -> EngineHost {
        EngineHost {
            logs,
            streams,
            kv,
            fetch: Arc::new(HostFetch(fetcher)),
            scripts: Arc::new(HostScripts(Arc::new(manager))),
            assets,
            catalog,
        }
    }
}

impl ScriptLog for EngineHost {
    fn script_log(&self, script: &str, level: LogLevel, message: String, request_id: Option<&str>) {
        tracing::debug!(target: "script", script, level = level.as_str(), request_id, "{message}");
        self.logs.append(script, level, message, request_id);
    }
}

impl Publish for EngineHost {
    fn publish(&self, path: Option<&str>, msg: StreamMessage) {
        StreamBus::publish(&*self.streams, path, msg);
    }

    fn publish_subscription(&self, name: &str, data: serde_json::Value) {
        self.streams.publish_topic(name, data);
    }
}

impl Host for EngineHost {
    fn kv(&self) -> Option<Arc<dyn KvPort>> {
        Some(self.kv.clone())
    }

    fn fetcher(&self) -> Option<Arc<dyn FetchPort>> {
        Some(self.fetch.clone())
    }

    fn scripts(&self) -> Option<Arc<dyn ScriptsPort>> {
        Some(self.scripts.clone())
    }

    fn assets(&self) -> Option<Arc<dyn AssetsPort>> {
        Some(self.assets.clone())
    }

    fn module_source(&self, name: &str) -> Option<Arc<str>> {
        let catalog = self.catalog.load();
        let entry = catalog.entries.get(name)?;
        Some(entry.script.source.clone())
    }
}

impl KvPort for Kv {
    fn namespace(&self, script: &str, shared: Option<&str>) -> Result<String, KvError> {
        Kv::namespace(self, script, shared)
    }

    fn max_atomic_keys(&self) -> usize {
        self.limits().max_atomic_keys
    }

    fn encode_key(&self, key: &[KeyPart]) -> Result<Vec<u8>, KvError> {
        Kv::encode_key(self, key)
    }

    fn encode_value(&self, value: &KvValue) -> Result<Vec<u8>, KvError> {
        Kv::encode_value(self, value)
    }

    fn check_atomic(&self, op: &Atomic) -> Result<(), KvError> {
        Kv::check_atomic(self, op)
    }

    fn get_many(&self, ns: &str, keys: Vec<Vec<KeyPart>>) -> Result<Vec<Entry>, KvError> {
        Kv::get_many(self, ns, keys)
    }

    fn get_cached(
        &self,
        ns: &str,
        keys: &mut Vec<Vec<KeyPart>>,
        encoded: &[Vec<u8>],
    ) -> Option<Result<Vec<Entry>, KvError>> {
        Kv::get_cached(self, ns, keys, encoded)
    }

    fn list(&self, ns: &str, q: ListQuery) -> Result<ListPage, KvError> {
        Kv::list(self, ns, q)
    }

    fn commit(&self, ns: String, op: Atomic, reply: KvCommitReply) {
        Kv::commit(self, ns, op, reply)
    }
}

/// A script rename moves its kv rows (in the same transaction); the kv
/// read cache forgets both namespaces.
pub(super) struct KvFollowsRenames(pub Arc<Kv>);

impl crate::scripts::CatalogHook for KvFollowsRenames {
    fn check(
        &self,
        _: &[Arc<crate::scripts::CatalogEntry>],
    ) -> Result<(), crate::scripts::Refusal> {
        Ok(())
    }
    fn published(&self, _: &[Arc<crate::scripts::CatalogEntry>]) {}
    fn renamed(&self, from: &str, to: &str) {
        self.0.forget_namespaces(&[from, to]);
    }
}

/// [`Fetcher::acquire`] and [`Fetcher::drive`] need the `Arc` itself.
struct HostFetch(Arc<Fetcher>);

impl FetchPort for HostFetch {
    fn refusal(&self, script: &str, url: &url::Url) -> Option<String> {
        crate::fetch::policy::check_url(self.0.config(), script, url)
            .err()
            .map(|r| r.reason)
    }

    fn request_deadline(&self, started: Instant) -> Instant {
        self.0.request_deadline(started)
    }

    fn token(&self, t: Instant) -> f64 {
        self.0.token(t)
    }

    fn instant(&self, token: f64) -> Instant {
        self.0.from_token(token)
    }

    fn budget(&self, request_deadline: Option<Instant>, option_ms: Option<u64>) -> Budget {
        self.0.budget(request_deadline, option_ms)
    }

    fn start(
        &self,
        req: OutRequest,
        budget: Budget,
        reads: UnboundedReceiver<Read>,
        emit: FetchEmit,
    ) -> Result<AbortHandle, FetchError> {
        let permit = self.0.acquire(&req.script, req.url.as_str())?;
        Ok(self.0.drive(req, budget, permit, reads, emit))
    }
}

/// Script management through the manager's channel.
struct HostScripts(Arc<ManageClient>);

impl HostScripts {
    fn actor(&self, who: ActFor<'_>) -> ManageActor {
        match who {
            ActFor::Owner(script) => self.0.actor_for_owner(script),
            ActFor::User(user) => self.0.actor_for_user(user),
        }
    }
}

fn op(op: ScriptOp) -> Op {
    match op {
        ScriptOp::List => Op::List,
        ScriptOp::Get(name) => Op::Get(name),
        ScriptOp::Put(name, source) => Op::Put(name, source),
        ScriptOp::Delete(name) => Op::Delete(name),
        ScriptOp::Logs(name, limit) => Op::Logs(name, limit),
    }
}

fn answer(r: Result<serde_json::Value, ManageError>) -> Result<String, ScriptsError> {
    r.map(|v| v.to_string()).map_err(|e| ScriptsError {
        forbidden: matches!(e, ManageError::Forbidden(_)),
        message: e.to_string(),
    })
}

impl ScriptsPort for HostScripts {
    fn start(&self, who: ActFor<'_>, o: ScriptOp, reply: ScriptsReply) {
        let (actor, o) = (self.actor(who), op(o));
        let client = self.0.clone();
        self.0.handle().spawn(async move {
            reply(answer(client.call(actor, o).await));
        });
    }

    fn wait(&self, who: ActFor<'_>, o: ScriptOp) -> Result<String, ScriptsError> {
        let actor = self.actor(who);
        answer(self.0.wait(self.0.call(actor, op(o))))
    }
}

impl AssetsPort for Assets {
    fn get(&self, path: &str) -> Option<Arc<AssetRecord>> {
        Assets::get(self, path)
    }

    fn list(&self, prefix: &str) -> Vec<Arc<AssetRecord>> {
        Assets::list(self, prefix)
    }

    fn actor_for_script(&self, script: &str) -> Option<Actor> {
        Assets::actor_for_script(self, script)
    }

    fn read(&self, rec: &AssetRecord) -> Result<Vec<u8>, AssetError> {
        Assets::read(self, rec)
    }

    fn put_bytes(
        &self,
        actor: &Actor,
        path: &str,
        declared: Option<&str>,
        bytes: &[u8],
    ) -> Result<Committed, AssetError> {
        Assets::put_bytes(self, actor, path, declared, bytes)
    }

    fn put_file(
        &self,
        actor: &Actor,
        path: &str,
        declared: Option<&str>,
        file: &Path,
    ) -> Result<Committed, AssetError> {
        Assets::put_file(self, actor, path, declared, file)
    }

    fn delete(&self, actor: &Actor, path: &str) -> Result<bool, AssetError> {
        Assets::delete(self, actor, path)
    }

    fn variant(&self, rec: &AssetRecord, params: &Params) -> Result<VariantRecord, AssetError> {
        Assets::variant(self, rec, params)
    }

    fn audit(&self, who: &str, action: &str, target: &str, result: &str) {
        Assets::audit(self, who, action, target, result)
    }
}
