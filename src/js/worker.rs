//! One JS worker thread: warm contexts per script, parked async requests,
//! and timers delivered back as messages.
//!
//! Invariant: a context that hit a limit is dropped and never reused; the
//! next request for that script builds a fresh one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rquickjs::Function;
use tokio::sync::oneshot;

use super::call::{call_handler, internal, poll_parked, Step};
use super::context::Caller;
use super::errors::describe;
use super::{FailureKind, Host, Invocation, Isolation, JsConfig, LogLevel, Outcome, ScriptFailure};

mod contexts;
mod failures;
mod guard;

use contexts::Entry;
use failures::{limit_failure, time_failure};

pub enum LocalMsg {
    Timer {
        generation: u64,
        id: u64,
    },
    /// An async host operation (kv) finished: resolve (Ok) or reject (Err
    /// with a message) the promise of operation `id`.
    Settle {
        generation: u64,
        id: u64,
        result: Result<Settlement, String>,
    },
    /// Runs `f` in the context of `generation` (a fetch event), then
    /// settles the requests it unblocked.
    Run {
        generation: u64,
        f: Callback,
    },
    /// A streamed response body wants its next chunk, or was dropped.
    Stream {
        generation: u64,
        sid: u64,
        op: super::chunk_stream::StreamOp,
    },
}

impl LocalMsg {
    /// The context this message is for.
    fn generation(&self) -> u64 {
        match self {
            LocalMsg::Timer { generation, .. }
            | LocalMsg::Settle { generation, .. }
            | LocalMsg::Run { generation, .. }
            | LocalMsg::Stream { generation, .. } => *generation,
        }
    }
}

/// Host-triggered JS to run in a worker's context.
pub(crate) type Callback =
    Box<dyn for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<()> + Send>;

/// Builds an operation's result value inside the owning context.
pub(crate) type Settlement =
    Box<dyn for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<rquickjs::Value<'js>> + Send>;

/// Hands a timer expiry back to the thread that owns the worker.
pub(crate) type Deliver = Arc<dyn Fn(LocalMsg) + Send + Sync>;

pub(crate) struct WorkerSetup {
    pub cfg: Arc<JsConfig>,
    pub preludes: Arc<super::Preludes>,
    pub host: Arc<dyn Host>,
    pub handle: tokio::runtime::Handle,
    pub deliver: Deliver,
    /// A JS slice longer than this marks the script slow, so that it is
    /// served by the pool instead of inline on an I/O thread.
    pub slow_after: Duration,
}

/// `after_js` charge for a slice that belongs to no parked request (request
/// sequence numbers start at 1).
const NO_REQUEST: u64 = 0;

struct Parked {
    generation: u64,
    seq: u64,
    reply: oneshot::Sender<Outcome>,
    request_id: Arc<str>,
    /// The request's user id, for `scripts.*` in its continuations.
    user: Option<String>,
    /// JS time spent on this context while the request was parked; time
    /// awaiting host operations is not counted.
    js_used: Duration,
}

/// The worker's maps are looked up about eight times per request; SipHash
/// cost 1,200 instructions of a hello request (issue 14). foldhash is
/// seeded per map, and the keys are the engine's own (generations, script
/// names), not a client's.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub struct Worker {
    setup: WorkerSetup,
    entries: FastMap<u64, Entry>,
    current: FastMap<Arc<str>, u64>,
    parked: Vec<Parked>,
    next_generation: u64,
    next_seq: u64,
    clock: u64,
    /// What the running job touches, for the panic guard.
    active: guard::Active,
}

impl Worker {
    pub(crate) fn new(setup: WorkerSetup) -> Worker {
        Worker {
            setup,
            entries: FastMap::default(),
            current: FastMap::default(),
            parked: Vec::new(),
            next_generation: 1,
            next_seq: 1,
            clock: 0,
            active: guard::Active::default(),
        }
    }

    pub fn on_local(&mut self, msg: LocalMsg) {
        self.guarded(|w| w.local(msg));
    }

    fn local(&mut self, msg: LocalMsg) {
        self.active.generation = Some(msg.generation());
        match msg {
            LocalMsg::Timer { generation, id } => self.fire_timer(generation, id),
            LocalMsg::Settle {
                generation,
                id,
                result,
            } => self.run_callback(generation, "an async operation", move |ctx| {
                super::kv::settle_js(ctx, id, result)
            }),
            LocalMsg::Run { generation, f } => self.run_callback(generation, "a fetch callback", f),
            LocalMsg::Stream {
                generation,
                sid,
                op,
            } => self.on_stream(generation, sid, op),
        }
    }

    /// Serves one invocation. A panic in here (an engine bug) answers the
    /// requests it affected and discards the context, never the worker.
    pub fn handle(&mut self, inv: Invocation) {
        self.guarded(|w| w.serve(inv));
    }

    fn serve(&mut self, inv: Invocation) {
        let Invocation {
            script,
            handler_key,
            kind,
            request,
            reply,
        } = inv;
        if reply.is_closed() {
            return;
        }
        self.active.reply = Some((request.request_id.clone(), reply));
        let generation = match self.context_for(&script) {
            Ok(g) => g,
            Err(failure) => return self.answer_active(failure),
        };
        self.active.generation = Some(generation);
        self.clock += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        let dev = self.setup.cfg.dev;
        let Some(entry) = self.entries.get_mut(&generation) else {
            return self.answer_active(guard::lost_context(&script.name));
        };
        entry.last_used = self.clock;
        let started = std::time::Instant::now();
        entry.sc.shared.request_started.set(Some(started));
        let step = call_handler(&entry.sc, kind, &handler_key, &request, seq, dev);
        entry.sc.shared.request_started.set(None);
        let slice = started.elapsed();
        if slice > self.setup.slow_after || entry.sc.broken() {
            script.mark_slow();
        } else {
            script.note_fast_run();
        }
        let Some((request_id, reply)) = self.active.reply.take() else {
            return;
        };
        match step {
            Step::Done(outcome) => self.finish(generation, &request_id, reply, outcome),
            Step::Parked => {
                entry.pending += 1;
                self.parked.push(Parked {
                    generation,
                    seq,
                    reply,
                    request_id,
                    user: request.auth.as_ref().map(|a| a.user_id.clone()),
                    js_used: Duration::ZERO,
                });
            }
        }
        self.after_js(generation, slice, Some(seq));
    }

    /// Answers the request being served (if still unanswered) with `failure`.
    fn answer_active(&mut self, failure: ScriptFailure) {
        if let Some((_, reply)) = self.active.reply.take() {
            let _ = reply.send(Err(failure));
        }
    }

    /// Logs what needs logging, answers, and applies the limit policy.
    fn finish(
        &mut self,
        generation: u64,
        rid: &Arc<str>,
        reply: oneshot::Sender<Outcome>,
        outcome: Outcome,
    ) {
        if let Err(f) = &outcome {
            self.log_failure(generation, rid, f);
        }
        let _ = reply.send(outcome);
    }

    fn fire_timer(&mut self, generation: u64, id: u64) {
        self.run_callback(generation, "a timer callback", move |ctx| {
            internal(ctx)
                .and_then(|i| i.get::<_, Function>("fire"))
                .and_then(|f| f.call::<_, ()>((id,)))
        });
    }

    /// Runs host-triggered JS (a timer, a settled operation) in a context,
    /// then settles whatever requests it unblocked.
    fn run_callback(
        &mut self,
        generation: u64,
        what: &str,
        f: impl for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<()>,
    ) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let started = std::time::Instant::now();
        let mut waiting = self.parked.iter().filter(|p| p.generation == generation);
        let caller = match (waiting.next(), waiting.next()) {
            (None, _) => Caller::TopLevel,
            (Some(p), None) => Caller::Request(p.user.clone()),
            (Some(_), Some(_)) => Caller::Ambiguous,
        };
        *entry.sc.shared.caller.borrow_mut() = caller;
        entry.sc.enter();
        entry.sc.ctx.with(|ctx| {
            let r = f(&ctx);
            if let Err(e) = r {
                let d = describe(&ctx, e, &entry.sc.shared);
                if d.kind == FailureKind::Runtime {
                    let msg = format!("uncaught error in {what}: {}", d.message);
                    entry.sc.shared.host.script_log(
                        &entry.sc.shared.script,
                        LogLevel::Error,
                        msg,
                        None,
                    );
                }
            }
            while ctx.execute_pending_job() {}
        });
        entry.sc.leave();
        *entry.sc.shared.caller.borrow_mut() = Caller::TopLevel;
        let slice = started.elapsed();
        if slice > self.setup.slow_after || entry.sc.broken() {
            entry.script.mark_slow();
        }
        self.after_js(generation, slice, None);
    }

    /// Settles parked requests of this context and drops it if it broke.
    /// `slice` is the JS time just spent in this context. A handler call is
    /// charged to its own request only (`charge = Some(seq)`); a timer slice
    /// cannot be attributed, so every parked request of the context pays.
    fn after_js(&mut self, generation: u64, slice: Duration, charge: Option<u64>) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let broken = entry.sc.broken();
        if broken {
            let f = limit_failure(entry, self.setup.cfg.as_ref());
            super::stream_body::fail_all(&entry.sc.shared, &f.message);
        } else if charge.is_none() {
            entry.sc.shared.streams.charge_all(slice);
            super::stream_body::enforce(&entry.sc);
        }
        let limit = Duration::from_millis(self.setup.cfg.time_limit_ms);
        let dev = self.setup.cfg.dev;
        let mut settled = Vec::new();
        // Charge the slice; a broken context or a spent time limit fails the
        // request whatever its promise does.
        let mut i = 0;
        while i < self.parked.len() {
            if self.parked[i].generation != generation {
                i += 1;
                continue;
            }
            if charge.is_none_or(|seq| seq == self.parked[i].seq) {
                self.parked[i].js_used += slice;
            }
            let outcome = if broken {
                Some(Err(limit_failure(entry, self.setup.cfg.as_ref())))
            } else if self.parked[i].js_used > limit {
                Some(Err(time_failure(self.setup.cfg.time_limit_ms)))
            } else {
                None
            };
            match outcome {
                Some(o) => settled.push((self.parked.swap_remove(i), o)),
                None => i += 1,
            }
        }
        // Then answer those whose promise has settled. Answering one runs
        // JS (a response's `body` getter, a stream's first pull) that may settle others, so
        // look again until a pass answers nobody. (A broken context has no
        // parked request left: the loop above failed them all.)
        loop {
            let mut answered = false;
            // Highest index first: `swap_remove` moves an element already
            // looked at into the hole.
            for i in (0..self.parked.len()).rev() {
                let p = &self.parked[i];
                if p.generation != generation || !entry.sc.parked.ready(p.seq) {
                    continue;
                }
                // A handler that resolves to a streamed body opens it now,
                // on behalf of its own request.
                *entry.sc.shared.request_id.borrow_mut() = Some(p.request_id.clone());
                *entry.sc.shared.caller.borrow_mut() = Caller::Request(p.user.clone());
                let out = poll_parked(&entry.sc, p.seq, dev);
                *entry.sc.shared.request_id.borrow_mut() = None;
                *entry.sc.shared.caller.borrow_mut() = Caller::TopLevel;
                if let Some(o) = out {
                    settled.push((self.parked.swap_remove(i), o));
                    answered = true;
                }
            }
            if !answered {
                break;
            }
        }
        if let Some(e) = self.entries.get_mut(&generation) {
            e.pending -= settled.len().min(e.pending);
        }
        for (p, outcome) in settled {
            self.finish(generation, &p.request_id, p.reply, outcome);
        }
        let idle = self.entries.get(&generation).is_some_and(|e| e.idle());
        let per_request = self.setup.cfg.isolation == Isolation::Request;
        if broken || (idle && (per_request || !self.is_current(generation))) {
            self.entries.remove(&generation);
            self.current.retain(|_, v| *v != generation);
        }
    }

    /// One pull (or the cancellation) of a streamed body, as its own slice.
    fn on_stream(&mut self, generation: u64, sid: u64, op: super::chunk_stream::StreamOp) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let started = std::time::Instant::now();
        super::stream_body::step(&entry.sc, sid, op);
        let slice = started.elapsed();
        if slice > self.setup.slow_after || entry.sc.broken() {
            entry.script.mark_slow();
        }
        self.after_js(generation, slice, Some(NO_REQUEST));
    }

    /// Forgets parked requests whose client is gone (disconnect or 408).
    pub fn sweep(&mut self) {
        self.guarded(Worker::sweep_closed);
    }

    fn sweep_closed(&mut self) {
        let mut touched = Vec::new();
        self.parked.retain(|p| {
            let keep = !p.reply.is_closed();
            if !keep {
                touched.push((p.generation, p.seq));
            }
            keep
        });
        for (g, seq) in touched {
            self.active.generation = Some(g);
            if let Some(e) = self.entries.get_mut(&g) {
                e.pending = e.pending.saturating_sub(1);
                e.sc.parked.remove(seq);
            }
            self.after_js(g, Duration::ZERO, None);
        }
    }
}
