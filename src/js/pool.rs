//! The QuickJS implementation of [`ScriptRuntime`]: a fixed pool of worker
//! threads fed by one shared queue, so any idle worker takes the next job.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::worker::{Deliver, LocalMsg, Worker, WorkerSetup};
use super::{
    FailureKind, Host, Invocation, JsConfig, LoadError, Preludes, Registration, ScriptFailure,
    ScriptRuntime,
};

/// The shared queue, and one queue per worker for calls that must reach the
/// context holding their state (GraphQL subscription filters).
struct Senders {
    shared: Sender<Invocation>,
    pinned: Vec<Sender<Invocation>>,
}

/// Jobs queued per worker before new requests are refused with 503.
const QUEUE_PER_WORKER: usize = 4096;

pub struct QuickJsPool {
    cfg: Arc<JsConfig>,
    preludes: Arc<Preludes>,
    host: Arc<dyn Host>,
    sender: ArcSwapOption<Senders>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl QuickJsPool {
    pub fn start(
        cfg: JsConfig,
        host: Arc<dyn Host>,
        handle: tokio::runtime::Handle,
    ) -> std::io::Result<QuickJsPool> {
        let cfg = Arc::new(cfg);
        let preludes = Arc::new(Preludes::compile().map_err(std::io::Error::other)?);
        let workers = if cfg.workers == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            cfg.workers
        };
        // Unbounded channels with the bound checked on send (`send`): a
        // bounded crossbeam channel writes all its slots up front, which
        // was about 4 MB of idle RSS for these queues (issue 14).
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut threads = Vec::with_capacity(workers);
        let mut pinned = Vec::with_capacity(workers);
        for i in 0..workers {
            let (ptx, prx) = crossbeam_channel::unbounded();
            pinned.push(ptx);
            let (cfg, host, handle) = (cfg.clone(), host.clone(), handle.clone());
            let preludes = preludes.clone();
            let jobs = (rx.clone(), prx);
            let t = std::thread::Builder::new()
                .name(format!("js-worker-{i}"))
                // QuickJS checks its own stack limit; the OS stack must be larger.
                .stack_size(cfg.stack_size_bytes + 8 * 1024 * 1024)
                .spawn(move || pool_thread(cfg, preludes, host, handle, jobs))?;
            threads.push(t);
        }
        Ok(QuickJsPool {
            cfg,
            preludes,
            host,
            sender: ArcSwapOption::from_pointee(Senders { shared: tx, pinned }),
            threads: Mutex::new(threads),
        })
    }

    /// The compiled preludes, for workers outside the pool (inline ones).
    pub fn preludes(&self) -> Arc<Preludes> {
        self.preludes.clone()
    }

    /// Invocations waiting for a pool worker (for `/metrics`).
    pub fn queue_depth(&self) -> usize {
        self.sender.load().as_ref().map_or(0, |s| {
            s.shared.len() + s.pinned.iter().map(|p| p.len()).sum::<usize>()
        })
    }

    /// Stops the workers after the queued jobs; contexts are freed on their threads.
    pub fn shutdown(&self) {
        self.sender.store(None);
        let threads = self
            .threads
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl ScriptRuntime for QuickJsPool {
    fn register(&self, name: &str, source: &str) -> Result<Registration, LoadError> {
        super::registration_pass(&self.cfg, &self.preludes, self.host.clone(), name, source)
    }
}

impl super::Invoker for QuickJsPool {
    fn invoke(&self, inv: Invocation) {
        let refuse = |inv: Invocation, message: &str| {
            let _ = inv.reply.send(Err(ScriptFailure {
                kind: FailureKind::Unavailable,
                message: message.to_string(),
                stack: None,
                line: None,
                column: None,
                best_effort: None,
            }));
        };
        let guard = self.sender.load();
        let Some(senders) = guard.as_ref() else {
            return refuse(inv, "the JavaScript workers are shutting down");
        };
        let workers = senders.pinned.len();
        let (sender, cap) = match inv.kind.pinned() {
            // Same script, same worker: its context holds the state.
            true => (
                &senders.pinned[pin_index(&inv.script.name, workers)],
                QUEUE_PER_WORKER,
            ),
            false => (&senders.shared, workers * QUEUE_PER_WORKER),
        };
        // Senders race past the check by at most one job each.
        if sender.len() >= cap {
            return refuse(inv, "all JavaScript workers are busy; try again shortly");
        }
        match sender.try_send(inv) {
            Ok(()) => {}
            Err(TrySendError::Full(inv)) => {
                refuse(inv, "all JavaScript workers are busy; try again shortly")
            }
            Err(TrySendError::Disconnected(inv)) => {
                refuse(inv, "the JavaScript workers are shutting down")
            }
        }
    }
}

fn pin_index(script: &str, workers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    script.hash(&mut h);
    (h.finish() % workers.max(1) as u64) as usize
}

/// A pool thread: jobs from the shared queue and its pinned queue, timers
/// from its own inbox.
fn pool_thread(
    cfg: Arc<JsConfig>,
    preludes: Arc<Preludes>,
    host: Arc<dyn Host>,
    handle: tokio::runtime::Handle,
    (jobs, pinned): (Receiver<Invocation>, Receiver<Invocation>),
) {
    let (tx, rx) = crossbeam_channel::unbounded::<LocalMsg>();
    let deliver: Deliver = Arc::new(move |m| {
        let _ = tx.send(m);
    });
    let slow_after = cfg.slow_after;
    let mut worker = Worker::new(WorkerSetup {
        cfg,
        preludes,
        host,
        handle,
        deliver,
        slow_after,
    });
    loop {
        crossbeam_channel::select! {
            recv(jobs) -> msg => match msg {
                Ok(inv) => worker.handle(inv),
                Err(_) => break,
            },
            recv(pinned) -> msg => if let Ok(inv) = msg { worker.handle(inv) },
            recv(rx) -> msg => if let Ok(m) = msg { worker.on_local(m) },
            default(std::time::Duration::from_secs(1)) => worker.sweep(),
        }
    }
}
