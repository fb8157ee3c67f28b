//! `AppState`: the handle every handler and I/O thread holds. It is built
//! once, by the composition root (`crate::state`), from [`Services`]; after
//! that its parts are reached through accessors only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

use super::hygiene::Hygiene;
use crate::assets::Assets;
use crate::auth::AuthService;
use crate::config::{Config, Live};
use crate::events::Streams;
use crate::graphql::Schemas;
use crate::js::{Host, QuickJsPool};
use crate::kv::Kv;
use crate::logs::LogService;
use crate::observe::Observe;
use crate::scripts::ScriptService;
use crate::store::Store;
use crate::tls::upload::TlsControl;

/// Everything the HTTP layer serves from, as the composition root built it.
pub struct Services {
    pub config: Config,
    pub store: Store,
    pub scripts: Arc<ScriptService>,
    pub schemas: Arc<Schemas>,
    pub runtime: Arc<QuickJsPool>,
    pub auth: Arc<AuthService>,
    /// Sign-in providers and the logins in progress at them.
    pub oidc: Arc<crate::auth::oidc::Oidc>,
    pub logs: Arc<LogService>,
    pub streams: Arc<Streams>,
    pub kv: Arc<Kv>,
    pub assets: Arc<Assets>,
    pub host: Arc<dyn Host>,
    pub observe: Observe,
    pub live: Arc<Live>,
    pub tls: Arc<TlsControl>,
    /// The MCP server's shared part (registry, runtime, built-in tools).
    pub mcp: Arc<crate::mcp::McpCore>,
    /// Throwaway engines for the admin UI's Tests tab.
    pub tests: Arc<super::ScriptTests>,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    s: Services,
    /// Rate limits, CORS, compression and security headers; swapped whole
    /// by a config reload.
    hygiene: Arc<ArcSwap<Hygiene>>,
    started: Instant,
    request_prefix: u32,
    request_counter: AtomicU64,
}

impl AppState {
    pub fn new(s: Services, hygiene: Arc<ArcSwap<Hygiene>>) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                s,
                hygiene,
                started: Instant::now(),
                request_prefix: rand::random(),
                request_counter: AtomicU64::new(0),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.s.config
    }
    pub fn store(&self) -> &Store {
        &self.inner.s.store
    }
    pub fn script_tests(&self) -> &Arc<super::ScriptTests> {
        &self.inner.s.tests
    }
    pub fn scripts(&self) -> &Arc<ScriptService> {
        &self.inner.s.scripts
    }
    pub fn mcp(&self) -> &Arc<crate::mcp::McpCore> {
        &self.inner.s.mcp
    }
    pub fn schemas(&self) -> &Arc<Schemas> {
        &self.inner.s.schemas
    }
    pub fn runtime(&self) -> &Arc<QuickJsPool> {
        &self.inner.s.runtime
    }
    pub fn auth(&self) -> &Arc<AuthService> {
        &self.inner.s.auth
    }
    pub fn oidc(&self) -> &Arc<crate::auth::oidc::Oidc> {
        &self.inner.s.oidc
    }
    pub fn logs(&self) -> &Arc<LogService> {
        &self.inner.s.logs
    }
    pub fn streams(&self) -> &Arc<Streams> {
        &self.inner.s.streams
    }
    pub fn kv(&self) -> &Arc<Kv> {
        &self.inner.s.kv
    }
    pub fn assets(&self) -> &Arc<Assets> {
        &self.inner.s.assets
    }
    /// What the JS host API calls into; shared by every worker.
    pub fn host(&self) -> &Arc<dyn Host> {
        &self.inner.s.host
    }
    /// Metrics, the access log, the shutting-down flag.
    pub fn observe(&self) -> &Observe {
        &self.inner.s.observe
    }
    /// The running config with the source of each value, and reloads.
    pub fn live(&self) -> &Arc<Live> {
        &self.inner.s.live
    }
    /// The HTTPS certificate being served, and uploads of a new one.
    pub fn tls(&self) -> &Arc<TlsControl> {
        &self.inner.s.tls
    }
    pub fn hygiene(&self) -> &Arc<ArcSwap<Hygiene>> {
        &self.inner.hygiene
    }
    pub fn started(&self) -> Instant {
        self.inner.started
    }

    /// A handle that does not keep the engine alive (for tasks the
    /// engine's own services feed, which must end with it).
    pub fn downgrade(&self) -> WeakAppState {
        WeakAppState(Arc::downgrade(&self.inner))
    }

    /// A short unique id for a request, cheap enough for the hot path.
    pub fn request_id(&self) -> Arc<str> {
        let n = self.inner.request_counter.fetch_add(1, Ordering::Relaxed);
        // As `format!("{:08x}{:08x}", prefix, n)`, but with the Arc as the
        // only allocation (format! built a String and then copied it).
        let mut buf = [0u8; 24];
        let len = push_hex(&mut buf, 0, u64::from(self.inner.request_prefix));
        let len = push_hex(&mut buf, len, n);
        Arc::from(std::str::from_utf8(&buf[..len]).unwrap_or_default())
    }

    /// Stops the workers and commits queued logs. The data file closes when
    /// the last `AppState` clone is dropped.
    pub async fn shutdown(&self) {
        let state = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            state.runtime().shutdown();
            state.kv().shutdown();
            state.logs().shutdown();
        })
        .await;
    }
}

/// See [`AppState::downgrade`].
#[derive(Clone)]
pub struct WeakAppState(std::sync::Weak<Inner>);

impl WeakAppState {
    pub fn upgrade(&self) -> Option<AppState> {
        self.0.upgrade().map(|inner| AppState { inner })
    }
}

/// Writes `v` in lowercase hex, at least 8 digits, at `buf[at..]`; returns
/// the new end.
fn push_hex(buf: &mut [u8; 24], at: usize, v: u64) -> usize {
    let digits = (16 - v.leading_zeros() as usize / 4).max(8);
    for i in 0..digits {
        let d = (v >> (4 * (digits - 1 - i))) & 0xf;
        buf[at + i] = b"0123456789abcdef"[d as usize];
    }
    at + digits
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_hex_matches_format() {
        for (p, n) in [
            (0u32, 0u64),
            (0xdead_beef, 1),
            (7, 0xffff_ffff),
            (1, 1 << 32),
        ] {
            let mut buf = [0u8; 24];
            let len = super::push_hex(&mut buf, 0, u64::from(p));
            let len = super::push_hex(&mut buf, len, n);
            assert_eq!(&buf[..len], format!("{p:08x}{n:08x}").as_bytes());
        }
        let mut buf = [0u8; 24];
        let len = super::push_hex(&mut buf, 8, u64::MAX);
        assert_eq!(&buf[8..len], b"ffffffffffffffff");
    }
}
