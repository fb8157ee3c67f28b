//! `AppState`: every engine service, owned by value (no globals), so two
//! engines can run in one process.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::auth::AuthService;
use crate::config::Config;
use crate::events::Streams;
use crate::js::{Host, QuickJsPool};
use crate::logs::{EngineHost, LogService};
use crate::scripts::ScriptService;
use crate::store::{Store, StoreError};

/// What the modules acting on config sections check beyond the schema;
/// every [`crate::config::Inputs`] the engine resolves carries these.
pub const CONFIG_CHECKS: &[crate::config::Check] =
    &[crate::observe::validate, crate::http::hygiene::validate];

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub scripts: ScriptService,
    /// The GraphQL schema derived from the scripts.
    pub schemas: Arc<crate::graphql::Schemas>,
    pub runtime: Arc<QuickJsPool>,
    pub auth: AuthService,
    pub logs: Arc<LogService>,
    pub streams: Arc<Streams>,
    /// The scripts' data API (also browsed read-only by the admin API).
    pub kv: Arc<crate::kv::Kv>,
    /// Stored assets: serving, uploads, `assets.*` in JS.
    pub assets: Arc<crate::assets::Assets>,
    /// What the JS host API calls into; shared by every worker.
    pub host: Arc<dyn Host>,
    pub started: Instant,
    /// Metrics, the access log, the shutting-down flag.
    pub observe: crate::observe::Observe,
    /// Rate limits, CORS, compression and security headers; swapped whole
    /// by a config reload.
    pub hygiene: Arc<arc_swap::ArcSwap<crate::http::hygiene::Hygiene>>,
    /// The running config with the source of each value, and reloads.
    pub live: Arc<crate::config::Live>,
    /// The HTTPS certificate being served, and uploads of a new one.
    pub tls: Arc<crate::server::tls::upload::TlsControl>,
    request_prefix: u32,
    request_counter: AtomicU64,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// Opens (or creates) the data file and starts the JS workers.
    pub async fn start(config: Config) -> Result<AppState, StartError> {
        AppState::start_live(Arc::new(crate::config::Live::fixed(config))).await
    }

    /// [`AppState::start`] with the config's layers, for reloads.
    pub async fn start_live(live: Arc<crate::config::Live>) -> Result<AppState, StartError> {
        let config = live.current().config.clone();
        let (path, js) = (config.data.clone(), config.js_config());
        let cache = config.storage.cache_bytes;
        let store = tokio::task::spawn_blocking(move || {
            let store = Store::open_with_cache(&path, &|txn| crate::seed::seed(txn, &js), cache)?;
            // After the open: holding the data file proves no other server
            // is using its spool directory.
            match crate::http::spool::sweep(&path)? {
                0 => {}
                n => tracing::info!(files = n, "removed uploads a previous run left spooled"),
            }
            Ok::<_, StartError>(store)
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
        let logs = LogService::start(store.clone(), config.js.log_ring)?;
        let streams = Streams::start(&tokio::runtime::Handle::current());
        let kv = crate::kv::Kv::start(store.clone(), config.kv.limits())?;
        let (st, cfg) = (store.clone(), config.assets.clone());
        let assets = tokio::task::spawn_blocking(move || crate::assets::Assets::open(st, cfg))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        let fetcher = crate::fetch::Fetcher::new(
            config.js.fetch.clone(),
            std::time::Duration::from_millis(config.server.request_timeout_ms),
            tokio::runtime::Handle::current(),
        )
        .map_err(|e| std::io::Error::other(format!("cannot build the fetch client: {e}")))?;
        let manager = Arc::new(crate::manage::ScriptManager::new(
            tokio::runtime::Handle::current(),
        ));
        let host: Arc<dyn Host> = Arc::new(EngineHost {
            logs: logs.clone(),
            streams: streams.clone(),
            kv: kv.clone(),
            fetcher: Arc::new(fetcher),
            manager: manager.clone(),
            assets: assets.clone(),
        });
        let runtime = Arc::new(QuickJsPool::start(
            config.js_config(),
            host.clone(),
            tokio::runtime::Handle::current(),
        )?);
        // Both read the store: off the reactor.
        let (st, rt, ss) = (store.clone(), runtime.clone(), streams.clone());
        let max = config.js.max_script_bytes;
        let gql = crate::graphql::Limits {
            introspection: config.graphql.introspection || config.dev,
            max_depth: config.graphql.max_depth,
            max_complexity: config.graphql.max_complexity,
        };
        let schemas = Arc::new(crate::graphql::Schemas::new(rt.clone(), ss.clone(), gql));
        let hook = schemas.clone();
        let (scripts, auth) = tokio::task::spawn_blocking(move || {
            let scripts = ScriptService::open(st.clone(), rt, ss, hook, max)?;
            Ok::<_, StoreError>((scripts, AuthService::open(st)?))
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
        crate::backup::schedule::start(&store, &config.storage);
        let observe = crate::observe::Observe::start(&config, &store)?;
        let hygiene = Arc::new(arc_swap::ArcSwap::from_pointee(
            crate::http::hygiene::Hygiene::new(&config),
        ));
        live.attach_store(store.downgrade());
        live.on_reload(crate::http::config_api::hygiene_hook(hygiene.clone()));
        let inner = Arc::new(Inner {
            config,
            store,
            scripts,
            schemas,
            runtime,
            auth,
            logs,
            streams,
            kv,
            assets,
            host,
            started: Instant::now(),
            observe,
            hygiene,
            live,
            tls: Arc::default(),
            request_prefix: rand::random(),
            request_counter: AtomicU64::new(0),
        });
        manager.bind(Arc::downgrade(&inner));
        inner
            .assets
            .bind(crate::assets::owner::hooks(Arc::downgrade(&inner)));
        let probe = inner.assets.clone();
        inner
            .scripts
            .set_asset_probe(Box::new(move |m: &dyn Fn(&str) -> bool| {
                probe.find_public(m)
            }));
        Ok(AppState { inner })
    }

    /// A short unique id for a request, cheap enough for the hot path.
    pub fn request_id(&self) -> Arc<str> {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}{:08x}", self.request_prefix, n).into()
    }

    /// Stops the workers and commits queued logs. The data file closes when
    /// the last `AppState` clone is dropped.
    pub async fn shutdown(&self) {
        let state = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            state.runtime.shutdown();
            state.kv.shutdown();
            state.logs.shutdown();
        })
        .await;
    }
}
