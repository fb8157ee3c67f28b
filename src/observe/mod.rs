//! Observability: request ids, the access log and the Prometheus registry.
//!
//! The HTTP layer ([`crate::http::hygiene`]) calls into this for every
//! request on both the script path and the engine router; scripts' outcomes
//! are counted by `http::dispatch`. No HTTP types beyond `http` headers.

mod access;
pub mod logging;
mod metrics;
mod process;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use access::{AccessEntry, AccessLog};
pub use metrics::{Metrics, Sample};

use crate::config::Config;

/// The id of the request being served, set by the HTTP layer before the
/// handler runs: an incoming valid `X-Request-Id`, or a fresh one.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// `X-Request-Id`, made once (a name given as `&str` is parsed on each use).
pub const REQUEST_ID_HEADER: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// Set on a response by what served it, for metrics and the access log:
/// the registered route pattern (never the raw path) and the script.
#[derive(Clone, Debug)]
pub struct RouteTag {
    pub route: Arc<str>,
    pub script: Option<Arc<str>>,
}

/// Set on a response by a handler that authenticated the caller.
#[derive(Clone, Debug)]
pub struct UserTag(pub Arc<str>);

/// An incoming id is echoed only when it is short and plain, so it cannot
/// inject into log lines or headers.
pub fn valid_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub struct Observe {
    pub metrics: Metrics,
    pub access: AccessLog,
    draining: AtomicBool,
}

impl Observe {
    pub fn start(config: &Config, store: &crate::store::Store) -> std::io::Result<Observe> {
        let metrics = Metrics::new();
        let writes = metrics.store_writes.clone();
        store.observe_writes(Box::new(move |d| writes.observe(d.as_secs_f64())));
        Ok(Observe {
            metrics,
            access: AccessLog::start(&config.logging)?,
            draining: AtomicBool::new(false),
        })
    }

    /// Called once the shutdown signal arrived: `/health/ready` says 503 so
    /// load balancers stop sending new work while in-flight requests finish.
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// `[logging]` and `[metrics]` beyond what the schema checks.
pub fn validate(config: &Config) -> Result<(), String> {
    logging::validate(&config.logging)?;
    let format = config.logging.access_format.as_str();
    if !matches!(format, "common" | "combined" | "json" | "off") {
        return Err(format!(
            "invalid config: logging.access_format = {format:?}; allowed: \"common\", \"combined\", \"json\", \"off\""
        ));
    }
    if config.metrics.token.as_deref() == Some("") {
        return Err("invalid config: metrics.token = \"\"; allowed: a non-empty token, or leave it out to serve /metrics to loopback clients only".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(super::valid_request_id(b"abc-DEF_1.2"));
        assert!(!super::valid_request_id(b""));
        assert!(!super::valid_request_id(b"a b"));
        assert!(!super::valid_request_id(&[b'a'; 65]));
        assert!(super::valid_request_id(&[b'a'; 64]));
    }
}
