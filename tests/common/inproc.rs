//! In-process harness: the real engine (the composition root, then
//! `server::run`) inside the test process, on `127.0.0.1:0` and a temp data
//! file. Same HTTP surface as the black-box [`Server`], plus the engine's
//! [`AppState`] for looking at domain services directly.
//!
//! Each engine gets its own tokio runtime, so the test's runtime flavour
//! does not matter and dropping the engine never blocks the test's reactor.
//! Nothing is process-global: several engines run side by side.

use std::net::SocketAddr;
use std::path::Path;

use aiwebengine::config::{schema, Inputs, Live, Settings};
use aiwebengine::http::AppState;
use aiwebengine::server::ServeError;
use aiwebengine::store::Store;

use super::*;

/// A running in-process engine. [`InProc::stop`] shuts it down gracefully
/// and releases the data file; dropping it without `stop` abandons its
/// runtime.
pub struct InProc {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    state: Option<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<Result<(), ServeError>>>,
    rt: Option<tokio::runtime::Runtime>,
}

/// `serve --data DATA --http 127.0.0.1:0 --https off [--dev] [--config F]`
/// as config layers; the environment is left out.
fn inputs(data: &Path, opts: &Opts) -> Inputs {
    assert!(
        opts.extra.is_empty(),
        "in-process engines take no CLI flags"
    );
    let flag = |f: &str, v: Value| {
        let key = schema::FLAGS.iter().find(|(n, _)| *n == f).expect("flag").1;
        (f.to_string(), key.to_string(), v)
    };
    let mut flags = vec![
        flag("--data", json!(data)),
        flag("--http", json!("127.0.0.1:0")),
        flag("--https", json!("off")),
    ];
    if opts.dev {
        flags.push(flag("--dev", json!(true)));
    }
    let mut files = Vec::new();
    if let Some(toml) = &opts.config {
        let dir = data.parent().expect("data file has a parent dir");
        let path = dir.join("config.toml");
        std::fs::write(&path, toml).expect("write config file");
        files.push(path);
    }
    Inputs {
        files,
        flags,
        no_env: true,
        ..Inputs::new(aiwebengine::state::CONFIG_CHECKS)
    }
}

impl InProc {
    /// Builds the engine on `data` and serves it; returns once it accepts.
    pub async fn start(data: &Path, opts: &Opts) -> InProc {
        InProc::launch(data, opts, None).await
    }

    /// As [`InProc::start`], on a store that is already open (a
    /// `store::sim` disk); `data` names the data file in config only.
    #[allow(dead_code)]
    pub async fn start_on(data: &Path, opts: &Opts, store: Store) -> InProc {
        InProc::launch(data, opts, Some(store)).await
    }

    async fn launch(data: &Path, opts: &Opts, store: Option<Store>) -> InProc {
        let inputs = inputs(data, opts);
        let resolved = aiwebengine::config::resolve(&inputs, &Settings::new())
            .unwrap_or_else(|e| panic!("config: {:?}", e.0));
        let live = std::sync::Arc::new(Live::new(inputs, resolved));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("inproc")
            .enable_all()
            .build()
            .expect("engine runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (shutdown, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let done = rt.spawn(async move {
            let (state, _) = match store {
                Some(store) => aiwebengine::state::start_on(live, None, store).await?,
                None => aiwebengine::state::start_live(live, None).await?,
            };
            let _ = ready_tx.send(state.clone());
            let stop = async {
                let _ = stop_rx.await;
            };
            aiwebengine::server::run(listener, state, stop).await
        });
        let state = match ready_rx.await {
            Ok(state) => state,
            Err(_) => panic!("engine did not start: {:?}", done.await),
        };
        InProc {
            addr,
            base: format!("http://{addr}"),
            client: http_client(),
            state: Some(state),
            shutdown: Some(shutdown),
            done: Some(done),
            rt: Some(rt),
        }
    }

    /// The engine's services, for looking at domain state directly.
    pub fn state(&self) -> &AppState {
        self.state.as_ref().expect("engine running")
    }

    /// Graceful shutdown: in-flight requests finish; then the engine's
    /// runtime and its last `AppState` go, which closes the data file.
    pub async fn stop(&mut self) -> Result<(), ServeError> {
        let (Some(tx), Some(done)) = (self.shutdown.take(), self.done.take()) else {
            return Ok(());
        };
        let _ = tx.send(());
        let r = tokio::time::timeout(STOP_DEADLINE, done).await;
        let r = r.expect("engine stops within the deadline");
        self.state = None;
        if let Some(rt) = self.rt.take() {
            // Waiting for a runtime to wind down blocks: not on the reactor.
            let wind_down = move || rt.shutdown_timeout(STOP_DEADLINE);
            tokio::task::spawn_blocking(wind_down)
                .await
                .expect("runtime shutdown");
        }
        r.expect("engine task")
    }

    /// Blocking work on the engine's own runtime (domain services are
    /// blocking: they touch the data file).
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(AppState) -> T + Send + 'static,
    ) -> T {
        let state = self.state().clone();
        let rt = self.rt.as_ref().expect("engine running");
        rt.spawn_blocking(move || f(state))
            .await
            .expect("blocking task")
    }
}

server_api!(InProc);

impl Drop for InProc {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// [`Engine`]'s in-process twin: an engine with an admin, logged in.
/// Field order matters: the engine goes before the dir is removed.
pub struct InEngine {
    pub server: InProc,
    pub token: String,
    pub dir: DataDir,
}

impl InEngine {
    pub async fn start() -> InEngine {
        InEngine::start_with(Opts::default()).await
    }

    pub async fn start_with(opts: Opts) -> InEngine {
        InEngine::launch(opts, None).await
    }

    /// An engine on a store that is already open (a `store::sim` disk).
    #[allow(dead_code)]
    pub async fn start_on(opts: Opts, store: Store) -> InEngine {
        InEngine::launch(opts, Some(store)).await
    }

    async fn launch(opts: Opts, store: Option<Store>) -> InEngine {
        let dir = DataDir::new();
        let server = InProc::launch(&dir.data, &opts, store).await;
        server
            .blocking(|s| {
                let role = aiwebengine::domain::Role::Admin;
                s.auth().create_user(ADMIN_EMAIL, ADMIN_PASS, None, role)
            })
            .await
            .expect("create the admin");
        let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
        InEngine { server, token, dir }
    }
}

engine_api!(InEngine);
