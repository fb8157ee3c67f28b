//! One JS worker thread: warm contexts per script, parked async requests,
//! and timers delivered back as messages.
//!
//! Invariant: a context that hit a limit is dropped and never reused; the
//! next request for that script builds a fresh one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Function, Object, Promise, Value};
use tokio::sync::oneshot;

use super::context::{ScriptContext, TimerSink};
use super::convert::{build_request, to_response};
use super::errors::{describe, describe_value, Described};
use super::{FailureKind, Host, Invocation, Isolation, JsConfig, LogLevel, Outcome, ScriptFailure};
use crate::scripts::routes::LoadedScript;

pub enum LocalMsg {
    Timer { generation: u64, id: u64 },
}

/// Hands a timer expiry back to the thread that owns the worker.
pub(crate) type Deliver = Arc<dyn Fn(LocalMsg) + Send + Sync>;

pub(crate) struct WorkerSetup {
    pub cfg: Arc<JsConfig>,
    pub host: Arc<dyn Host>,
    pub handle: tokio::runtime::Handle,
    pub deliver: Deliver,
    /// A JS slice longer than this marks the script slow, so that it is
    /// served by the pool instead of inline on an I/O thread.
    pub slow_after: Duration,
}

struct Entry {
    sc: ScriptContext,
    script: Arc<LoadedScript>,
    last_used: u64,
    pending: usize,
}

struct Parked {
    generation: u64,
    seq: u64,
    reply: oneshot::Sender<Outcome>,
    request_id: Arc<str>,
    /// JS time spent on this context while the request was parked; time
    /// awaiting host operations is not counted.
    js_used: Duration,
}

/// What one entry into JS produced for a request.
enum Step {
    Done(Outcome),
    Parked,
}

pub struct Worker {
    setup: WorkerSetup,
    entries: HashMap<u64, Entry>,
    current: HashMap<Arc<str>, u64>,
    parked: Vec<Parked>,
    next_generation: u64,
    next_seq: u64,
    clock: u64,
}

impl Worker {
    pub(crate) fn new(setup: WorkerSetup) -> Worker {
        Worker {
            setup,
            entries: HashMap::new(),
            current: HashMap::new(),
            parked: Vec::new(),
            next_generation: 1,
            next_seq: 1,
            clock: 0,
        }
    }

    pub fn on_local(&mut self, msg: LocalMsg) {
        match msg {
            LocalMsg::Timer { generation, id } => self.fire_timer(generation, id),
        }
    }

    pub fn handle(&mut self, inv: Invocation) {
        if inv.reply.is_closed() {
            return;
        }
        let generation = match self.context_for(&inv.script) {
            Ok(g) => g,
            Err(failure) => {
                let _ = inv.reply.send(Err(failure));
                return;
            }
        };
        self.clock += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        let dev = self.setup.cfg.dev;
        let entry = self
            .entries
            .get_mut(&generation)
            .expect("context_for returned it");
        entry.last_used = self.clock;
        let started = std::time::Instant::now();
        let step = call_handler(&entry.sc, &inv, seq, dev);
        let slice = started.elapsed();
        if slice > self.setup.slow_after || entry.sc.broken() {
            inv.script.mark_slow();
        } else {
            inv.script.note_fast_run();
        }
        match step {
            Step::Done(outcome) => {
                self.finish(generation, &inv.request.request_id, inv.reply, outcome);
            }
            Step::Parked => {
                entry.pending += 1;
                self.parked.push(Parked {
                    generation,
                    seq,
                    reply: inv.reply,
                    request_id: inv.request.request_id.clone(),
                    js_used: Duration::ZERO,
                });
            }
        }
        self.after_js(generation, slice, Some(seq));
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

    fn log_failure(&self, generation: u64, rid: &Arc<str>, f: &ScriptFailure) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let cfg = &self.setup.cfg;
        let limit = match f.kind {
            FailureKind::Timeout => format!(" (limit js.time_limit_ms = {} ms)", cfg.time_limit_ms),
            FailureKind::Memory => format!(
                " (limit js.memory_limit_bytes = {} bytes)",
                cfg.memory_limit_bytes
            ),
            FailureKind::Stack => format!(
                " (limit js.stack_size_bytes = {} bytes)",
                cfg.stack_size_bytes
            ),
            _ => String::new(),
        };
        let mut msg = format!("{}: {}{}", f.kind.code(), f.message, limit);
        if let Some(stack) = &f.stack {
            msg.push('\n');
            msg.push_str(stack);
        }
        // In --dev an invalid response is served best-effort: a warning.
        let level = if f.best_effort.is_some() {
            LogLevel::Warn
        } else {
            LogLevel::Error
        };
        self.setup
            .host
            .script_log(&entry.script.name, level, msg, Some(rid));
    }

    /// Finds or builds the context for this script version.
    fn context_for(&mut self, script: &Arc<LoadedScript>) -> Result<u64, ScriptFailure> {
        let per_request = self.setup.cfg.isolation == Isolation::Request;
        if !per_request {
            if let Some(&g) = self.current.get(&script.name) {
                if self
                    .entries
                    .get(&g)
                    .is_some_and(|e| e.script.version == script.version)
                {
                    return Ok(g);
                }
            }
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        let sink = TimerSink {
            handle: self.setup.handle.clone(),
            deliver: self.setup.deliver.clone(),
            generation,
        };
        let sc = ScriptContext::new(
            &self.setup.cfg,
            script.name.clone(),
            self.setup.host.clone(),
            Some(sink),
            false,
        )
        .and_then(|sc| sc.load(&script.source).map(|_| sc))
        .map_err(|e| ScriptFailure {
            kind: FailureKind::Unavailable,
            message: format!("script {} could not be loaded: {}", script.name, e.message),
            stack: None,
            line: e.line,
            column: e.column,
            best_effort: None,
        })?;
        let newest = self
            .current
            .get(&script.name)
            .and_then(|g| self.entries.get(g))
            .is_none_or(|e| e.script.version <= script.version);
        if !per_request && newest {
            if let Some(old) = self.current.insert(script.name.clone(), generation) {
                self.retire_if_idle(old);
            }
        }
        self.entries.insert(
            generation,
            Entry {
                sc,
                script: script.clone(),
                last_used: self.clock,
                pending: 0,
            },
        );
        self.evict();
        Ok(generation)
    }

    fn is_current(&self, generation: u64) -> bool {
        self.entries
            .get(&generation)
            .is_some_and(|e| self.current.get(&e.script.name) == Some(&generation))
    }

    fn retire_if_idle(&mut self, generation: u64) {
        if self
            .entries
            .get(&generation)
            .is_some_and(|e| e.pending == 0)
            && !self.is_current(generation)
        {
            self.entries.remove(&generation);
        }
    }

    /// Bounds warm contexts per worker, least recently used first.
    fn evict(&mut self) {
        let max = self.setup.cfg.max_contexts_per_worker.max(1);
        while self.entries.len() > max {
            let victim = self
                .entries
                .iter()
                .filter(|(_, e)| e.pending == 0)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(g, _)| *g);
            let Some(g) = victim else { break };
            self.entries.remove(&g);
            self.current.retain(|_, v| *v != g);
        }
    }

    fn fire_timer(&mut self, generation: u64, id: u64) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let started = std::time::Instant::now();
        entry.sc.enter();
        entry.sc.ctx.with(|ctx| {
            let r = internal(&ctx)
                .and_then(|i| i.get::<_, Function>("fire"))
                .and_then(|f| f.call::<_, ()>((id,)));
            if let Err(e) = r {
                let d = describe(&ctx, e, &entry.sc.shared);
                if d.kind == FailureKind::Runtime {
                    let msg = format!("uncaught error in a timer callback: {}", d.message);
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
        let limit = Duration::from_millis(self.setup.cfg.time_limit_ms);
        let dev = self.setup.cfg.dev;
        let mut settled = Vec::new();
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
                poll_parked(&entry.sc, self.parked[i].seq, dev)
            };
            match outcome {
                Some(o) => settled.push((self.parked.swap_remove(i), o)),
                None => i += 1,
            }
        }
        if let Some(e) = self.entries.get_mut(&generation) {
            e.pending -= settled.len().min(e.pending);
        }
        for (p, outcome) in settled {
            self.finish(generation, &p.request_id, p.reply, outcome);
        }
        let idle = self
            .entries
            .get(&generation)
            .is_some_and(|e| e.pending == 0);
        let per_request = self.setup.cfg.isolation == Isolation::Request;
        if broken || (idle && (per_request || !self.is_current(generation))) {
            self.entries.remove(&generation);
            self.current.retain(|_, v| *v != generation);
        }
    }

    /// Forgets parked requests whose client is gone (disconnect or 408).
    pub fn sweep(&mut self) {
        let mut touched = Vec::new();
        self.parked.retain(|p| {
            let keep = !p.reply.is_closed();
            if !keep {
                touched.push((p.generation, p.seq));
            }
            keep
        });
        for (g, seq) in touched {
            if let Some(e) = self.entries.get_mut(&g) {
                e.pending = e.pending.saturating_sub(1);
                let _ = e.sc.ctx.with(|ctx| {
                    internal(&ctx)?
                        .get::<_, Object>("pending")
                        .map(|m| m.remove(seq as f64))
                });
            }
            self.after_js(g, Duration::ZERO, None);
        }
    }
}

fn internal<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    ctx.globals().get("__aiwebengine")
}

fn time_failure(ms: u64) -> ScriptFailure {
    ScriptFailure {
        kind: FailureKind::Timeout,
        message: format!("script ran longer than {ms} ms of JavaScript time"),
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    }
}

fn limit_failure(entry: &Entry, cfg: &JsConfig) -> ScriptFailure {
    let kind = match entry.sc.shared.limit_hit.get() {
        _ if entry.sc.shared.interrupted.get() => FailureKind::Timeout,
        Some(kind) => kind,
        None => FailureKind::Timeout,
    };
    let message = match kind {
        FailureKind::Memory => format!(
            "script used more than {} bytes of memory",
            cfg.memory_limit_bytes
        ),
        FailureKind::Stack => format!(
            "script used more than {} bytes of stack",
            cfg.stack_size_bytes
        ),
        _ => return time_failure(cfg.time_limit_ms),
    };
    ScriptFailure {
        kind,
        message,
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    }
}

fn failure(d: Described) -> ScriptFailure {
    ScriptFailure {
        kind: d.kind,
        message: d.message,
        stack: d.stack,
        line: d.line,
        column: d.column,
        best_effort: None,
    }
}

fn call_handler(sc: &ScriptContext, inv: &Invocation, seq: u64, dev: bool) -> Step {
    sc.enter();
    *sc.shared.request_id.borrow_mut() = Some(inv.request.request_id.clone());
    let step = sc.ctx.with(|ctx| {
        let req = match build_request(&ctx, &inv.request) {
            Ok(r) => r,
            Err(e) => return Step::Done(Err(failure(describe(&ctx, e, &sc.shared)))),
        };
        let result =
            find_handler(&ctx, &inv.handler_key).and_then(|f| f.call::<_, Value>((req.clone(),)));
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                let d = describe(&ctx, e, &sc.shared);
                return Step::Done(on_error(&ctx, sc, d, &req, dev));
            }
        };
        let Some(promise) = value.as_promise().cloned() else {
            return Step::Done(respond(&ctx, sc, value, dev));
        };
        while ctx.execute_pending_job() {}
        match settle(&ctx, sc, &promise, &req, dev) {
            Some(o) => Step::Done(o),
            None => {
                let park = (|| {
                    let slot = Object::new(ctx.clone())?;
                    slot.set("promise", promise)?;
                    slot.set("req", req)?;
                    internal(&ctx)?
                        .get::<_, Object>("pending")?
                        .set(seq as f64, slot)
                })();
                match park {
                    Ok(()) => Step::Parked,
                    Err(e) => Step::Done(Err(failure(describe(&ctx, e, &sc.shared)))),
                }
            }
        }
    });
    *sc.shared.request_id.borrow_mut() = None;
    sc.leave();
    step
}

fn find_handler<'js>(ctx: &Ctx<'js>, key: &str) -> rquickjs::Result<Function<'js>> {
    let h: Value = internal(ctx)?.get::<_, Object>("handlers")?.get(key)?;
    if let Some(name) = h.as_string() {
        return ctx.globals().get(name.to_string()?.as_str());
    }
    h.get()
}

fn settle<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    p: &Promise<'js>,
    req: &Object<'js>,
    dev: bool,
) -> Option<Outcome> {
    match p.state() {
        PromiseState::Pending => None,
        PromiseState::Resolved => Some(match p.result::<Value>() {
            Some(Ok(v)) => respond(ctx, sc, v, dev),
            Some(Err(e)) => Err(failure(describe(ctx, e, &sc.shared))),
            None => return None,
        }),
        PromiseState::Rejected => {
            let _ = p.result::<Value>();
            let reason = ctx.catch();
            let d = describe_value(ctx, &reason, &sc.shared);
            Some(on_error(ctx, sc, d, req, dev))
        }
    }
}

fn poll_parked(sc: &ScriptContext, seq: u64, dev: bool) -> Option<Outcome> {
    sc.ctx.with(|ctx| {
        let pending: Object = internal(&ctx).ok()?.get("pending").ok()?;
        let slot: Object = pending.get(seq as f64).ok()?;
        let promise: Promise = slot.get("promise").ok()?;
        let req: Object = slot.get("req").ok()?;
        sc.enter();
        let out = settle(&ctx, sc, &promise, &req, dev);
        while ctx.execute_pending_job() {}
        sc.leave();
        if out.is_some() {
            let _ = pending.remove(seq as f64);
        }
        out
    })
}

fn respond<'js>(ctx: &Ctx<'js>, sc: &ScriptContext, v: Value<'js>, dev: bool) -> Outcome {
    match to_response(ctx, v, dev) {
        Ok(c) => {
            for w in c.warnings {
                let rid = sc.shared.request_id.borrow();
                sc.shared.host.script_log(
                    &sc.shared.script,
                    LogLevel::Warn,
                    format!("response warning: {w}"),
                    rid.as_deref(),
                );
            }
            Ok(c.response)
        }
        Err(f) => Err(f),
    }
}

/// Runtime errors go to the script's own error handler when it set one;
/// limit errors never do (the context is about to be discarded).
fn on_error<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    d: Described,
    req: &Object<'js>,
    dev: bool,
) -> Outcome {
    if d.kind != FailureKind::Runtime {
        return Err(failure(d));
    }
    let handler: Option<Function> = internal(ctx).ok().and_then(|i| i.get("onError").ok());
    let Some(handler) = handler else {
        return Err(failure(d));
    };
    let err = rquickjs::Exception::from_message(ctx.clone(), &d.message);
    let Ok(err) = err else { return Err(failure(d)) };
    if let Some(stack) = &d.stack {
        let _ = err.set("stack", stack.as_str());
    }
    match handler.call::<_, Value>((err, req.clone())) {
        Ok(v) if v.as_promise().is_none() => respond(ctx, sc, v, dev),
        Ok(_) => Err(ScriptFailure {
            message: format!(
                "{} (the error handler must return a response synchronously)",
                d.message
            ),
            ..failure(d)
        }),
        Err(e) => Err(failure(describe(ctx, e, &sc.shared))),
    }
}
