//! The Prometheus registry behind `GET /metrics`. Counters are atomics
//! updated on the request path; gauges that describe the process or the
//! store are read when a scraper asks.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::domain::FailureKind;

/// A shared string as a label value (route patterns, script names), so
/// that recording a request clones a pointer instead of a string.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Label(pub Arc<str>);

impl EncodeLabelValue for Label {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(encoder, &self.0)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: Label,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ThreadLabels {
    thread: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScriptLabels {
    script: Label,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    script: Label,
    kind: &'static str,
}

/// Request latency buckets, in seconds: from a warm inline call to the
/// default request timeout.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 5.0,
];

pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    duration: Histogram,
    pub in_flight: Gauge,
    pub connections: Gauge,
    /// Open connections by the I/O thread serving them.
    thread_connections: Family<ThreadLabels, Gauge>,
    pub rate_limited: Counter,
    pub connections_refused: Counter,
    /// Connections closed by `server.write_timeout_ms` (a client that
    /// stopped reading).
    pub write_timeouts: Counter,
    /// Connections closed by `server.header_read_timeout_ms`: no whole
    /// request head arrived (slowloris, or an idle keep-alive connection).
    pub header_timeouts: Counter,
    sse: Gauge,
    js_invocations: Family<ScriptLabels, Counter>,
    js_errors: Family<ErrorLabels, Counter>,
    js_timeouts: Family<ScriptLabels, Counter>,
    js_memory: Family<ScriptLabels, Counter>,
    queue_depth: Gauge,
    store_bytes: Gauge,
    /// Write transactions, from begin to durable commit (includes waiting
    /// for redb's single writer).
    pub store_writes: Histogram,
    rss: Gauge,
    cpu: Counter<f64, AtomicU64>,
    /// CPU seconds already added to `cpu`; scrapes take turns.
    cpu_seen: Mutex<f64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            duration: Histogram::new(BUCKETS),
            in_flight: Gauge::default(),
            connections: Gauge::default(),
            thread_connections: Family::default(),
            rate_limited: Counter::default(),
            connections_refused: Counter::default(),
            write_timeouts: Counter::default(),
            header_timeouts: Counter::default(),
            sse: Gauge::default(),
            js_invocations: Family::default(),
            js_errors: Family::default(),
            js_timeouts: Family::default(),
            js_memory: Family::default(),
            queue_depth: Gauge::default(),
            store_bytes: Gauge::default(),
            store_writes: Histogram::new(BUCKETS),
            rss: Gauge::default(),
            cpu: Counter::default(),
            cpu_seen: Mutex::new(0.0),
        };
        m.register();
        m
    }

    fn register(&mut self) {
        let r = &mut self.registry;
        r.register(
            "aiwebengine_http_requests",
            "HTTP requests answered, by route pattern and status",
            self.requests.clone(),
        );
        r.register(
            "aiwebengine_http_request_duration_seconds",
            "Time from request head to response head",
            self.duration.clone(),
        );
        r.register(
            "aiwebengine_http_requests_in_flight",
            "Requests being served now",
            self.in_flight.clone(),
        );
        r.register(
            "aiwebengine_http_connections_open",
            "Open client connections (HTTP and HTTPS)",
            self.connections.clone(),
        );
        r.register(
            "aiwebengine_http_thread_connections_open",
            "Open client connections by the I/O thread serving them (a new connection goes to the thread with the fewest)",
            self.thread_connections.clone(),
        );
        r.register(
            "aiwebengine_http_connections_refused",
            "Connections closed at once because server.max_connections was reached",
            self.connections_refused.clone(),
        );
        r.register(
            "aiwebengine_http_write_timeouts",
            "Connections closed because the client read nothing for server.write_timeout_ms",
            self.write_timeouts.clone(),
        );
        r.register(
            "aiwebengine_http_header_timeouts",
            "Connections closed because no whole request head arrived within server.header_read_timeout_ms (slowloris or idle keep-alive)",
            self.header_timeouts.clone(),
        );
        r.register(
            "aiwebengine_http_rate_limited",
            "Requests answered 429 by the rate limiter",
            self.rate_limited.clone(),
        );
        r.register(
            "aiwebengine_sse_connections",
            "Open Server-Sent Events streams",
            self.sse.clone(),
        );
        r.register(
            "aiwebengine_js_invocations",
            "Script handler runs, by script",
            self.js_invocations.clone(),
        );
        r.register(
            "aiwebengine_js_errors",
            "Script handler runs that failed, by script and kind",
            self.js_errors.clone(),
        );
        r.register(
            "aiwebengine_js_timeouts",
            "Script runs stopped at the execution time limit",
            self.js_timeouts.clone(),
        );
        r.register(
            "aiwebengine_js_memory_limit_hits",
            "Script runs stopped at the memory limit",
            self.js_memory.clone(),
        );
        r.register(
            "aiwebengine_js_queue_depth",
            "Invocations waiting for a JS pool worker",
            self.queue_depth.clone(),
        );
        r.register(
            "aiwebengine_store_size_bytes",
            "Size of the data file",
            self.store_bytes.clone(),
        );
        r.register(
            "aiwebengine_store_write_duration_seconds",
            "Time of each write transaction of the data file, commit (fsync) included",
            self.store_writes.clone(),
        );
        r.register(
            "process_resident_memory_bytes",
            "Resident memory of the server process",
            self.rss.clone(),
        );
        r.register(
            "process_cpu_seconds",
            "User and system CPU time of the server process",
            self.cpu.clone(),
        );
    }

    /// The open-connections gauge of I/O thread `thread`, resolved once
    /// when the thread starts.
    pub fn thread_connections(&self, thread: u32) -> Gauge {
        self.thread_connections
            .get_or_create(&ThreadLabels { thread })
            .clone()
    }

    /// One answered request. `route` is a pattern or an engine path, never
    /// the raw path, so the number of series stays bounded.
    pub fn record(&self, route: &Arc<str>, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&HttpLabels {
                route: Label(route.clone()),
                status,
            })
            .inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// One script run, from its outcome.
    pub fn js_outcome(&self, script: &Arc<str>, failure: Option<FailureKind>) {
        let script = Label(script.clone());
        self.js_invocations
            .get_or_create(&ScriptLabels {
                script: script.clone(),
            })
            .inc();
        let Some(kind) = failure else { return };
        match kind {
            FailureKind::Timeout => self.js_timeouts.get_or_create(&ScriptLabels {
                script: script.clone(),
            }),
            FailureKind::Memory => self.js_memory.get_or_create(&ScriptLabels {
                script: script.clone(),
            }),
            _ => self.js_errors.get_or_create(&ErrorLabels {
                script: script.clone(),
                kind: kind.code(),
            }),
        }
        .inc();
        if matches!(kind, FailureKind::Timeout | FailureKind::Memory) {
            self.js_errors
                .get_or_create(&ErrorLabels {
                    script,
                    kind: kind.code(),
                })
                .inc();
        }
    }

    /// The exposition (OpenMetrics text, which Prometheus reads), after
    /// refreshing the gauges that are sampled rather than counted.
    pub fn render(&self, sample: Sample) -> String {
        self.sse.set(sample.sse as i64);
        self.queue_depth.set(sample.queue_depth as i64);
        self.store_bytes.set(sample.store_bytes as i64);
        if let Some(p) = super::process::read() {
            self.rss.set(p.rss_bytes as i64);
            let mut seen = self.cpu_seen.lock().unwrap_or_else(|e| e.into_inner());
            if p.cpu_seconds > *seen {
                self.cpu.inc_by(p.cpu_seconds - *seen);
                *seen = p.cpu_seconds;
            }
        }
        let mut out = String::with_capacity(8 * 1024);
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// What the server knows at scrape time.
#[derive(Default)]
pub struct Sample {
    pub sse: usize,
    pub queue_depth: usize,
    pub store_bytes: u64,
}
