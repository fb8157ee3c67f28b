//! A worker that runs on an I/O thread, so fast handlers are called without
//! a thread hop. It lives in a `LocalSet` on a current-thread runtime and
//! is never shared across threads.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::worker::{Deliver, LocalMsg, Worker, WorkerSetup};
use super::{Host, Invocation, JsConfig, Preludes};

pub struct InlineWorker {
    worker: Rc<RefCell<Worker>>,
}

impl InlineWorker {
    /// Must be called inside a `LocalSet`: it spawns the local tasks that
    /// deliver timers and sweep abandoned requests.
    pub fn start(cfg: JsConfig, preludes: Arc<Preludes>, host: Arc<dyn Host>) -> InlineWorker {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<LocalMsg>();
        let deliver: Deliver = Arc::new(move |m| {
            let _ = tx.send(m);
        });
        let slow_after = cfg.slow_after;
        let setup = WorkerSetup {
            cfg: Arc::new(cfg),
            preludes,
            host,
            handle: tokio::runtime::Handle::current(),
            deliver,
            slow_after,
        };
        let worker = Rc::new(RefCell::new(Worker::new(setup)));
        let timers = Rc::downgrade(&worker);
        tokio::task::spawn_local(async move {
            while let Some(m) = rx.recv().await {
                let Some(w) = timers.upgrade() else { break };
                w.borrow_mut().on_local(m);
            }
        });
        let sweeper = Rc::downgrade(&worker);
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(w) = sweeper.upgrade() else { break };
                w.borrow_mut().sweep();
            }
        });
        InlineWorker { worker }
    }

    /// Runs the handler now, on this thread; the answer is on `inv.reply`
    /// (at once, or later for a handler that awaits).
    pub fn invoke(&self, inv: Invocation) {
        self.worker.borrow_mut().handle(inv);
    }
}
