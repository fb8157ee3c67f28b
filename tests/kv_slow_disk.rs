//! A kv read that waits on the disk holds up nothing else (issue #14: "show
//! the reactor is never blocked"). The engine runs on `store::sim`, a
//! simulated disk, with redb's page cache off so that every kv read that
//! misses the engine's own cache goes to the disk, and the disk is made
//! slow: each read takes `DELAY`. While handlers wait on such reads, a
//! route that needs no storage must answer as fast as it does on a quiet
//! server: a read that blocked an I/O thread or a JS worker would make
//! those requests wait for the disk too.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiwebengine::store::sim::SimDisk;
use aiwebengine::store::{Opener, Store};
use common::*;

const APP: &str = r#"
register("/hello", () => "hi");
// One run longer than js.inline_slow_ms: the script goes back to the JS pool.
register("/spin", () => { const end = Date.now() + 50; while (Date.now() < end) {} return "spun"; });
register("/read", async (req) => {
  const e = await kv.get(["k", Number(req.query.i)]);
  return e.versionstamp === null ? "miss" : "hit";
});
"#;

/// How long one disk read takes while the disk is slow. A kv read makes
/// several (one per B-tree level).
const DELAY: Duration = Duration::from_millis(300);

fn slow_disk_store(disk: &SimDisk) -> Store {
    let d = disk.clone();
    let open: Opener = Box::new(move || {
        redb::Builder::new()
            .set_cache_size(0)
            .create_with_backend(d.backend())
    });
    Store::open_on("sim.redb", open, &|_| Ok(())).expect("a store on the simulated disk")
}

/// Sequential GET /hello latencies, sorted: at least `n` requests, for at
/// least `span`.
async fn hellos(eng: &InEngine, n: usize, span: Duration) -> Vec<Duration> {
    let mut took = Vec::with_capacity(n);
    let start = Instant::now();
    while took.len() < n || start.elapsed() < span {
        let t = Instant::now();
        let r = eng.get("/hello").await;
        assert_eq!((r.status, r.text()), (200, "hi".to_string()));
        took.push(t.elapsed());
    }
    took.sort();
    took
}

fn p99(sorted: &[Duration]) -> Duration {
    sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)]
}

/// While 8 handlers at a time wait on kv reads from the slow disk, GET
/// /hello answers as fast as on a quiet server.
async fn check_flat(eng: &InEngine, disk: &SimDisk, next: &Arc<AtomicU64>, how: &str) {
    let quiet = hellos(eng, 200, Duration::ZERO).await;

    disk.slow_reads(Some(DELAY));
    let reads_before = disk.reads();
    let stop = Arc::new(AtomicBool::new(false));
    // More concurrent readers than the machine has cores or JS workers.
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (stop, next) = (stop.clone(), next.clone());
            let url = eng.server.url("/read");
            let client = eng.server.client.clone();
            tokio::spawn(async move {
                let mut took = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    let r = send(client.get(format!("{url}?i={i}"))).await;
                    assert_eq!((r.status, r.text()), (200, "miss".to_string()));
                    took.push(t.elapsed());
                }
                took
            })
        })
        .collect();
    // Let the readers reach the disk before measuring.
    tokio::time::sleep(DELAY / 2).await;
    // Long enough for each reader to go through several reads.
    let loaded = hellos(eng, 200, DELAY * 6).await;
    stop.store(true, Ordering::Relaxed);
    let mut reads = Vec::new();
    for r in readers {
        reads.extend(r.await.expect("reader"));
    }
    disk.slow_reads(None);

    let disk_reads = disk.reads() - reads_before;
    assert!(
        reads.len() >= 16 && disk_reads >= reads.len() as u64,
        "{how}: the kv reads went to the slow disk: {} requests, {disk_reads} disk reads",
        reads.len()
    );
    assert!(
        reads.iter().all(|t| *t >= DELAY),
        "{how}: each kv read waited on the disk ({DELAY:?} per disk read): {reads:?}"
    );
    let (q, l) = (p99(&quiet), p99(&loaded));
    eprintln!(
        "{how}: GET /hello p99 quiet {q:?} ({} requests); while {} kv reads waited on the disk {l:?} ({} requests)",
        quiet.len(),
        reads.len(),
        loaded.len()
    );
    // Flat: far below one disk read. A request held up behind a read would
    // take at least DELAY.
    assert!(
        l < q + DELAY / 3,
        "{how}: GET /hello p99 was {q:?} on a quiet server and {l:?} while kv reads waited on a slow disk ({DELAY:?} per read): a read is holding up other requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_003_kv_reads_waiting_on_a_slow_disk_hold_up_no_other_request() {
    let disk = SimDisk::new();
    let eng = InEngine::start_on(Opts::default(), slow_disk_store(&disk)).await;
    eng.deploy("app.js", APP).await;
    // After enough fast runs the script runs inline, on the I/O threads.
    hellos(&eng, 100, Duration::ZERO).await;
    // Each read asks for a key never read before: not in the engine's kv
    // cache (which also remembers missing keys).
    let next = Arc::new(AtomicU64::new(0));
    check_flat(&eng, &disk, &next, "inline").await;
    // One slow run sends it back to the JS pool's threads.
    assert_eq!(eng.get("/spin").await.text(), "spun");
    check_flat(&eng, &disk, &next, "on the JS pool").await;
}
