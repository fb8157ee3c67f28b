//! Steady load on one well-behaved route and its latency figure, for the
//! "under load" tests (hostile scripts, hostile requests).
//!
//! Latency rule (robust to a shared 2-core box): latencies are cut into
//! windows of [`WINDOW`] requests; a phase's figure is the MEDIAN of the
//! windows' p99s. Quiet = that figure with no hostile traffic; under
//! attack it must be within [`budget`]: max(2 x quiet, quiet + 20 ms).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{send, Engine};

/// Requests per window; a window's p99 is its 2nd-highest latency.
pub const WINDOW: usize = 100;
/// Concurrent clients on the well-behaved route.
pub const CLIENTS: usize = 2;

/// Median over windows of each window's p99, in ms.
pub fn median_p99(lat: &[Duration]) -> f64 {
    let mut p99s: Vec<f64> = lat
        .chunks(WINDOW)
        .filter(|c| c.len() == WINDOW)
        .map(|c| {
            let mut v: Vec<f64> = c.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
            v.sort_by(f64::total_cmp);
            v[(WINDOW * 99) / 100 - 1]
        })
        .collect();
    assert!(!p99s.is_empty(), "fewer than {WINDOW} requests measured");
    p99s.sort_by(f64::total_cmp);
    p99s[p99s.len() / 2]
}

/// Runs [`CLIENTS`] loops of `GET path` until `stop`, each answer checked
/// to be 200 with `body`; returns all latencies.
pub fn load(
    eng: &Engine,
    path: &str,
    body: &'static str,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<Duration>> {
    let reqs: Vec<_> = (0..CLIENTS).map(|_| eng.req("GET", path)).collect();
    tokio::spawn(async move {
        let tasks: Vec<_> = reqs
            .into_iter()
            .map(|rb| {
                let stop = stop.clone();
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let r = send(rb.try_clone().unwrap()).await;
                        assert_eq!((r.status, r.text().as_str()), (200, body));
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("load client panicked"));
        }
        all
    })
}

/// The figure for `GET path` over 3 s with nothing else going on.
pub async fn quiet_p99(eng: &Engine, path: &str, body: &'static str) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let h = load(eng, path, body, stop.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    median_p99(&h.await.unwrap())
}

pub fn budget(quiet: f64) -> f64 {
    (2.0 * quiet).max(quiet + 20.0)
}
