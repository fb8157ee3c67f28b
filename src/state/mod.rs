//! The composition root: the one place that builds every service and hands
//! each the handles it needs. Nothing else in the crate constructs a
//! service or imports this module (but `cli`, which calls [`serve`], and
//! [`auth_repo`] for `admin create`).
//!
//! The order below is the dependency order. Two loops in the engine's
//! behaviour are cut here without late binding:
//! - the asset service checks routes and the script service checks assets:
//!   the [`CatalogCell`] the script service publishes into is made first and
//!   read by the assets' route hook;
//! - JS can manage scripts and saving a script runs JS: the JS host gets a
//!   [`crate::manage::ManageClient`] whose calls queue on a channel that the
//!   manager serves once the script service exists.

mod host;
mod oidc;
mod throwaway;

use std::sync::Arc;

use crate::assets::{Assets, Hooks};
use crate::auth::AuthService;
use crate::config::{Config, Live};
use crate::events::Streams;
use crate::http::{AppState, Services};
use crate::js::{Host, QuickJsPool};
use crate::logs::LogService;
use crate::manage::ScriptManager;
use crate::scripts::{CatalogCell, SaveAuthors, ScriptDeps, ScriptService};
use crate::server::ServeError;
use crate::store::scripts::seeder;
use crate::store::{Store, StoreError};
use crate::tls::upload::TlsControl;
use crate::tls::{CertPair, Started};

pub use crate::store::auth::auth_repo;
pub use host::EngineHost;
pub use throwaway::Throwaway;

/// What the modules acting on config sections check beyond the schema;
/// every [`crate::config::Inputs`] the engine resolves carries these.
pub const CONFIG_CHECKS: &[crate::config::Check] =
    &[crate::observe::validate, crate::http::hygiene::validate];

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

impl From<StartError> for ServeError {
    fn from(e: StartError) -> ServeError {
        match e {
            StartError::Store(s) => ServeError::Store(s),
            StartError::Io(io) => ServeError::Io(io),
            StartError::Tls(t) => ServeError::Tls(t),
        }
    }
}

/// Serves until SIGINT/SIGTERM: checks what must be right before the data
/// file opens, builds the engine, hands it to the listeners.
pub async fn serve(live: Arc<Live>) -> Result<(), ServeError> {
    let mut prepared = crate::server::prepare(&live.current().config)?;
    let files = prepared.take_files();
    let (state, started) = start_live(live.clone(), files).await?;
    crate::server::serve(prepared, live, state, started).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StartError> + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
}

/// Opens (or creates) the data file and starts every service; with HTTPS
/// on, also the certificate (`files` when configured), which the listeners
/// are given next.
pub async fn start_live(
    live: Arc<Live>,
    files: Option<CertPair>,
) -> Result<(AppState, Option<Started>), StartError> {
    let store = open_store(&live.current().config).await?;
    start_on(live, files, store).await
}

/// As [`start_live`], on a store that is already open: the storage seam
/// (tests run the engine on `store::sim`, a simulated disk, through it).
pub async fn start_on(
    live: Arc<Live>,
    files: Option<CertPair>,
    store: Store,
) -> Result<(AppState, Option<Started>), StartError> {
    let config = live.current().config.clone();
    let rt = tokio::runtime::Handle::current();
    let tls_repo = crate::store::tls::repo(&store);
    let started = match &config.https {
        Some(_) => Some(crate::tls::start(files, &config.tls.names, &tls_repo).await?),
        None => None,
    };
    let log_repo = Arc::new(crate::store::logs::RedbLogRepo::new(store.clone()));
    let logs = LogService::start(log_repo, config.js.log_ring)?;
    let streams = Streams::start(&rt);
    let kv_repo = Arc::new(crate::store::kv::RedbKvRepo::new(store.clone()));
    let kv = crate::kv::Kv::start(kv_repo, config.kv.limits())?;
    let repo = auth_repo(&store);
    let auth =
        Arc::new(blocking(move || Ok(AuthService::open(repo).map_err(StoreError::from)?)).await?);
    auth.set_totp_policy(totp_policy(&config)?);
    let (length, max) = (config.auth.session_length, config.auth.max_session);
    auth.set_session_limits(length.as_secs() as i64, max.as_secs() as i64);
    let oidc = oidc::start(&config).await.map_err(std::io::Error::other)?;
    let catalog = CatalogCell::default();
    let assets = open_assets(&store, &config, &auth, &catalog).await?;
    let authors = SaveAuthors::default();
    let (manager, inbox) = crate::manage::channel(auth.clone(), authors.clone(), rt.clone());
    let host: Arc<dyn Host> = Arc::new(EngineHost::new(
        logs.clone(),
        streams.clone(),
        kv.clone(),
        Arc::new(fetcher(&config)?),
        manager,
        assets.clone(),
        catalog.clone(),
    ));
    let runtime = Arc::new(QuickJsPool::start(
        config.js_config(),
        host.clone(),
        rt.clone(),
    )?);
    let schemas = Arc::new(crate::graphql::Schemas::new(
        runtime.clone(),
        streams.clone(),
        graphql_limits(&config),
    ));
    let mcp_registry = Arc::new(crate::mcp::Registry::default());
    let probe = assets.clone();
    let deps = ScriptDeps {
        repo: Arc::new(crate::store::scripts::RedbScripts::new(store.clone())),
        runtime: runtime.clone(),
        streams: streams.clone(),
        hook: Arc::new(crate::scripts::Hooks(vec![
            schemas.clone(),
            mcp_registry.clone(),
            Arc::new(host::KvFollowsRenames(kv.clone())),
        ])),
        assets: Box::new(move |m: &dyn Fn(&str) -> bool| probe.find_public(m)),
        catalog,
        authors,
        max_script_bytes: config.js.max_script_bytes,
    };
    let scripts =
        Arc::new(blocking(move || Ok(ScriptService::open(deps).map_err(StoreError::from)?)).await?);
    rt.spawn(ScriptManager::new(scripts.clone(), auth.clone(), logs.clone()).serve(inbox));
    schedule_backups(&store, &config);
    let observe = crate::observe::Observe::start(&config, &store)?;
    let hygiene = Arc::new(arc_swap::ArcSwap::from_pointee(
        crate::http::hygiene::Hygiene::new(&config),
    ));
    live.attach_settings(crate::store::settings::settings_repo(&store));
    live.on_reload(crate::http::config_api::hygiene_hook(hygiene.clone()));
    live.on_reload(totp_hook(auth.clone()));
    live.on_reload(oidc::reload_hook(oidc.clone(), rt.clone()));
    // `mcp.admin_tools = true` switches on the engine's own admin tools;
    // `call_route` reaches the router in-process through `local`.
    let (local, local_inbox) = crate::http::local_routes();
    let builtin = config.mcp.admin_tools.then(|| {
        Arc::new(crate::mcp::admin::AdminTools::new(
            crate::mcp::admin::AdminDeps {
                scripts: scripts.clone(),
                auth: auth.clone(),
                logs: logs.clone(),
                kv: kv.clone(),
                assets: assets.clone(),
                routes: Arc::new(local),
                max_script_bytes: config.js.max_script_bytes,
            },
        )) as Arc<dyn crate::mcp::builtin::BuiltinTools>
    });
    let mcp = Arc::new(crate::mcp::McpCore {
        registry: mcp_registry,
        runtime: runtime.clone(),
        builtin,
        sessions: Default::default(),
        live: Arc::new(crate::mcp::sessions::Sessions::new(Arc::new(
            crate::domain::SystemClock,
        ))),
        streams: streams.clone(),
    });
    let services = Services {
        mcp,
        tests: Arc::new(crate::http::ScriptTests::new(Arc::new(Throwaway::new(
            rt.clone(),
        )))),
        config,
        store,
        scripts,
        schemas,
        runtime,
        auth,
        oidc,
        logs,
        streams,
        kv,
        assets,
        host,
        observe,
        live,
        tls: Arc::new(TlsControl::new(started.as_ref(), tls_repo)),
    };
    let state = AppState::new(services, hygiene);
    rt.spawn(crate::http::serve_local(local_inbox, state.downgrade()));
    Ok((state, started))
}

async fn open_store(config: &Config) -> Result<Store, StartError> {
    let (path, js) = (config.data.clone(), config.js_config());
    let (cache, reserve) = (config.storage.cache_bytes, config.storage.reserve_bytes);
    blocking(move || {
        let seed = seeder(|| crate::seed::scripts(&js));
        let store = Store::open_with_cache(&path, &seed, cache, reserve)?;
        // After the open: holding the data file proves no other server
        // is using its spool directory.
        match crate::http::spool::sweep(&path)? {
            0 => {}
            n => tracing::info!(files = n, "removed uploads a previous run left spooled"),
        }
        Ok(store)
    })
    .await
}

/// The asset service with its lookups into auth (owners, audit) and the
/// route table (conflicts).
async fn open_assets(
    store: &Store,
    config: &Config,
    auth: &Arc<AuthService>,
    catalog: &CatalogCell,
) -> Result<Arc<Assets>, StartError> {
    let (a1, a2, routes) = (auth.clone(), auth.clone(), catalog.clone());
    let hooks = Hooks {
        owner_of: Box::new(move |script: &str| {
            let p = a1.directory().owner_principal(script)?;
            Some(crate::assets::Actor::from_principal(&p))
        }),
        route_for: Box::new(move |public: &str| routes.get_route(public)),
        audit: Box::new(move |user, action, target, result| a2.audit(user, action, target, result)),
    };
    let repo = Arc::new(crate::store::assets::RedbAssets::new(store.clone()));
    let cfg = config.assets.clone();
    blocking(move || Ok(Assets::open(repo, cfg, hooks).map_err(StoreError::from)?)).await
}

/// With `[storage] backup_dir` set, online snapshots on a schedule.
fn schedule_backups(store: &Store, config: &Config) {
    let Some(dir) = config.storage.backup_dir.clone() else {
        return;
    };
    let weak = store.downgrade();
    crate::backup::schedule::start(
        Box::new(move || crate::store::backup::RedbLive::upgrade(&weak)),
        crate::backup::schedule::Schedule {
            dir,
            every: config.storage.backup_interval,
            keep: config.storage.backup_keep.get(),
        },
    );
}

/// The data file format the CLI's backup, verify and restore work with,
/// told how to decode the records of every service.
pub fn file_format() -> crate::store::backup::RedbFormat {
    crate::store::backup::RedbFormat::new(Default::default())
}

fn fetcher(config: &Config) -> Result<crate::fetch::Fetcher, StartError> {
    crate::fetch::Fetcher::new(
        config.js.fetch.clone(),
        std::time::Duration::from_millis(config.server.request_timeout_ms),
        tokio::runtime::Handle::current(),
    )
    .map_err(|e| std::io::Error::other(format!("cannot build the fetch client: {e}")).into())
}

fn graphql_limits(config: &Config) -> crate::graphql::Limits {
    crate::graphql::Limits {
        introspection: config.graphql.introspection || config.dev,
        max_depth: config.graphql.max_depth,
        max_complexity: config.graphql.max_complexity,
    }
}

/// The TOTP policy: the roles that must use it, and the engine's secret
/// key (when set) to encrypt TOTP secrets at rest with.
fn totp_policy(config: &Config) -> Result<crate::auth::TotpPolicy, StartError> {
    let fail = |e: String| StartError::Io(std::io::Error::other(e));
    Ok(crate::auth::TotpPolicy {
        required_roles: config.auth.totp_roles().map_err(fail)?,
        key: crate::config::secrets::optional_key().map_err(fail)?,
    })
}

/// Applies a changed `auth.require_totp_for` on reload (logins from then
/// on; sessions already given stay).
fn totp_hook(auth: Arc<AuthService>) -> crate::config::live::Hook {
    use crate::config::live::{Commit, Prepared};
    Box::new(move |old, new| {
        if old.auth.require_totp_for == new.auth.require_totp_for {
            return Ok(Prepared::nothing());
        }
        let roles = new.auth.totp_roles()?;
        let auth = auth.clone();
        let commit: Commit = Box::new(move || {
            auth.set_totp_roles(roles);
            Some("auth.require_totp_for applied to new logins".into())
        });
        Ok(Prepared::commit(commit))
    })
}
