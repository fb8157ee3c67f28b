//! Outbound HTTP for scripts (`fetch`, REQ-JSAPI-007), with the rules of
//! REQ-SEC-004: off until a host is allowed, private addresses refused
//! after DNS resolution, every redirect re-checked, and a timeout, a size
//! limit and a per-script concurrency limit.
//!
//! One [`Fetcher`] per engine owns the HTTP client. Exchanges run as tasks
//! on the engine's tokio runtime, never on a JS worker; results go back to
//! the worker through the callback given to [`Fetcher::drive`].

mod client;
pub mod config;
pub mod policy;
pub mod resolve;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use client::{Event, Head, OutRequest, Read, Redirect};
pub use config::FetchConfig;
pub use resolve::AddressRefused;

/// A fetch that failed; the message is complete and says what to change.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// A rule refused it (allowlist, address, scheme, concurrency).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    TooLarge(String),
    /// The network or the server failed.
    #[error("{0}")]
    Network(String),
}

impl FetchError {
    /// What JS error it becomes: `timeout` (a TimeoutError), else `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) => "timeout",
            _ => "type",
        }
    }
}

/// How long one fetch may take, and which limit decided it.
/// How long after the request's deadline a fetch bounded by it is cut.
const REQUEST_DEADLINE_GRACE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct Budget {
    pub deadline: Instant,
    pub ms: u64,
    pub limit: String,
}

pub struct Fetcher {
    cfg: FetchConfig,
    client: reqwest::Client,
    handle: tokio::runtime::Handle,
    request_timeout: Duration,
    /// Deadlines cross into JS as milliseconds since this instant.
    epoch: Instant,
    inflight: Mutex<HashMap<Arc<str>, usize>>,
}

impl Fetcher {
    /// `handle` runs the exchanges (the engine's main runtime: a pooled
    /// connection must outlive the thread that opened it).
    pub fn new(
        cfg: FetchConfig,
        request_timeout: Duration,
        handle: tokio::runtime::Handle,
    ) -> Result<Fetcher, reqwest::Error> {
        let client = reqwest::Client::builder()
            // A proxy would resolve names itself, past the address rules.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .dns_resolver(Arc::new(resolve::GuardedResolver {
                allow_private: cfg.allow_private,
            }))
            .user_agent(concat!("aiwebengine/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Fetcher {
            cfg,
            client,
            handle,
            request_timeout,
            epoch: Instant::now(),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// When a request that reached its worker at `started` times out.
    pub fn request_deadline(&self, started: Instant) -> Instant {
        started + self.request_timeout
    }

    /// An instant as a number JS can carry.
    pub fn token(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.epoch).as_secs_f64() * 1000.0
    }

    pub fn from_token(&self, ms: f64) -> Instant {
        self.epoch + Duration::from_secs_f64(ms.max(0.0) / 1000.0)
    }

    /// The shortest of `js.fetch.timeout_ms`, what remains of the request's
    /// deadline, and the script's own `timeout` option.
    pub fn budget(&self, request_deadline: Option<Instant>, option_ms: Option<u64>) -> Budget {
        let now = Instant::now();
        let mut ms = self.cfg.timeout_ms;
        let mut limit = format!("js.fetch.timeout_ms = {} ms", self.cfg.timeout_ms);
        let mut deadline = None;
        if let Some(d) = request_deadline {
            let left = d.saturating_duration_since(now).as_millis() as u64;
            if left < ms {
                ms = left;
                limit = format!(
                    "the request's remaining time under server.request_timeout_ms = {} ms",
                    self.request_timeout.as_millis()
                );
                // Just after the request's own deadline: its 408 is answered
                // first, then the exchange is cut. Ending the fetch at the
                // same instant raced the 408 and could answer the handler's
                // TimeoutError as a 500 instead (CI, 2026-12-05).
                deadline = Some(d + REQUEST_DEADLINE_GRACE);
            }
        }
        if let Some(t) = option_ms.filter(|t| *t < ms) {
            ms = t;
            limit = format!("the timeout option, {t} ms");
            deadline = None;
        }
        Budget {
            deadline: deadline.unwrap_or(now + Duration::from_millis(ms)),
            ms,
            limit,
        }
    }

    /// A slot among the script's `max_concurrent` fetches in flight.
    pub fn acquire(self: &Arc<Self>, script: &Arc<str>, url: &str) -> Result<Permit, FetchError> {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(script.clone()).or_insert(0);
        if *n >= self.cfg.max_concurrent {
            return Err(FetchError::Refused(format!(
                "fetch to {url} refused: {script} already has {n} fetches in flight (raise js.fetch.max_concurrent = {})",
                self.cfg.max_concurrent
            )));
        }
        *n += 1;
        Ok(Permit {
            fetcher: self.clone(),
            script: script.clone(),
        })
    }

    /// Runs one exchange on the engine's runtime: the head first, then
    /// body reads as `reads` asks for them, each answered through `emit`.
    /// Ends when the body is done, `reads` closes, or the budget runs out.
    pub fn drive(
        self: &Arc<Self>,
        req: OutRequest,
        budget: Budget,
        permit: Permit,
        reads: tokio::sync::mpsc::UnboundedReceiver<Read>,
        emit: impl FnMut(Event) + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let me = self.clone();
        self.handle
            .spawn(async move {
                let _permit = permit;
                client::exchange(&me, req, budget, reads, emit).await;
            })
            .abort_handle()
    }
}

/// Held while a fetch is in flight (head and body).
pub struct Permit {
    fetcher: Arc<Fetcher>,
    script: Arc<str>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = self
            .fetcher
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.script) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.script);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budget_takes_the_shortest_limit_and_names_it() {
        let cfg = FetchConfig {
            timeout_ms: 30_000,
            ..FetchConfig::default()
        };
        let f = Fetcher::new(
            cfg,
            Duration::from_millis(5000),
            tokio::runtime::Handle::current(),
        )
        .unwrap();
        let b = f.budget(None, None);
        assert_eq!(
            (b.ms, b.limit.as_str()),
            (30_000, "js.fetch.timeout_ms = 30000 ms")
        );
        let b = f.budget(Some(f.request_deadline(Instant::now())), None);
        assert!(b.ms <= 5000 && b.ms > 4000, "{b:?}");
        assert_eq!(
            b.limit,
            "the request's remaining time under server.request_timeout_ms = 5000 ms"
        );
        let b = f.budget(Some(f.request_deadline(Instant::now())), Some(250));
        assert_eq!(
            (b.ms, b.limit.as_str()),
            (250, "the timeout option, 250 ms")
        );
        let t = Instant::now() + Duration::from_millis(1234);
        let back = f.from_token(f.token(t));
        assert!(back.max(t) - back.min(t) < Duration::from_millis(1));
    }

    #[tokio::test]
    async fn concurrency_slots_are_per_script_and_released() {
        let cfg = FetchConfig {
            max_concurrent: 1,
            ..FetchConfig::default()
        };
        let f = Arc::new(
            Fetcher::new(
                cfg,
                Duration::from_secs(5),
                tokio::runtime::Handle::current(),
            )
            .unwrap(),
        );
        let (a, b): (Arc<str>, Arc<str>) = ("a.js".into(), "b.js".into());
        let held = f.acquire(&a, "http://x/").unwrap();
        assert!(
            f.acquire(&b, "http://x/").is_ok(),
            "another script has its own slots"
        );
        let e = f.acquire(&a, "http://x/").err().unwrap();
        assert!(e.to_string().contains("js.fetch.max_concurrent = 1"), "{e}");
        drop(held);
        assert!(f.acquire(&a, "http://x/").is_ok());
    }
}
