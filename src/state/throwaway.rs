//! Throwaway engines for `aiwebengine test` and the admin UI's Tests tab:
//! the real engine ([`super::start_live`]) on a temp data file of its own,
//! with an app's scripts and assets loaded, reached in-process. Each is
//! shut down and its file removed when the last handle goes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::config::{schema, Inputs, Live, Settings};
use crate::http::AppState;
use crate::mcp::admin::{LocalRequest, LocalRoutes};
use crate::testrun::{App, Engines, Reply, Target};

/// The biggest response body a test sees.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Makes engines on `handle`, each in a folder of a temp folder it makes
/// on first use and removes when dropped.
pub struct Throwaway {
    handle: tokio::runtime::Handle,
    dir: Mutex<Option<tempfile::TempDir>>,
    made: AtomicUsize,
}

impl Throwaway {
    pub fn new(handle: tokio::runtime::Handle) -> Throwaway {
        Throwaway {
            handle,
            dir: Mutex::new(None),
            made: AtomicUsize::new(0),
        }
    }

    fn base(&self) -> Result<PathBuf, String> {
        let mut dir = self.dir.lock().unwrap_or_else(|e| e.into_inner());
        if dir.is_none() {
            let made = tempfile::Builder::new()
                .prefix("aiwebengine-test")
                .tempdir();
            *dir = Some(made.map_err(|e| format!("cannot make a temp folder: {e}"))?);
        }
        Ok(dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default())
    }
}

struct Engine {
    state: Option<AppState>,
    client: Box<dyn LocalRoutes>,
    handle: tokio::runtime::Handle,
    dir: PathBuf,
}

impl Engines for Throwaway {
    fn fresh(&self, app: &App) -> Result<Arc<dyn Target>, String> {
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        let dir = self.base()?.join(format!("engine-{n}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {dir:?}: {e}"))?;
        let live = Arc::new(live(dir.join("data.redb"))?);
        let state = self
            .handle
            .block_on(super::start_live(live, None))
            .map_err(|e| e.to_string())?
            .0;
        let (client, inbox) = crate::http::local_routes();
        self.handle
            .spawn(crate::http::serve_local(inbox, state.downgrade()));
        let engine = Engine {
            state: Some(state.clone()),
            client: Box::new(client),
            handle: self.handle.clone(),
            dir,
        };
        self.handle.block_on(load(&state, app))?;
        Ok(Arc::new(engine))
    }
}

/// The engine's config: this data file, no listeners, one JS worker, the
/// process environment left out.
fn live(data: PathBuf) -> Result<Live, String> {
    let flag = |f: &str, v: serde_json::Value| {
        let key = schema::FLAGS.iter().find(|(n, _)| *n == f).map(|x| x.1);
        (f.to_string(), key.unwrap_or_default().to_string(), v)
    };
    let inputs = Inputs {
        flags: vec![
            flag("--data", json!(data)),
            flag("--https", json!("off")),
            ("(test)".into(), "js.workers".into(), json!(1)),
        ],
        no_env: true,
        ..Inputs::new(super::CONFIG_CHECKS)
    };
    let resolved = crate::config::resolve(&inputs, &Settings::new())
        .map_err(|e| format!("config: {:?}", e.0))?;
    Ok(Live::new(inputs, resolved))
}

async fn load(state: &AppState, app: &App) -> Result<(), String> {
    for (name, source) in &app.scripts {
        state
            .scripts()
            .save(name, source.clone(), "aiwebengine test", false)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
    }
    let actor = crate::assets::Actor {
        label: "aiwebengine test".into(),
        user_id: None,
        group: None,
        admin: true,
        editor: true,
        groups: Arc::from(Vec::new()),
    };
    for (path, bytes) in &app.assets {
        let (assets, path, bytes) = (state.assets().clone(), path.clone(), bytes.clone());
        let actor = actor.clone();
        let shown = path.clone();
        let put = move || assets.put_bytes(&actor, &path, None, &bytes).map(|_| ());
        tokio::task::spawn_blocking(put)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("public/{shown}: {e}"))?;
    }
    Ok(())
}

impl Target for Engine {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Reply, String> {
        let req = LocalRequest {
            method: method.to_string(),
            path: path.to_string(),
            headers,
            body,
            max_response_bytes: MAX_BODY,
            timeout,
        };
        let r = self.handle.block_on(self.client.send(req))?;
        Ok(Reply {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            self.handle.block_on(state.shutdown());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
