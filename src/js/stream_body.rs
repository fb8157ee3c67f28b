//! Streamed response bodies (REQ-HTTP-003, REQ-JSAPI-007): a handler's
//! async iterable is pulled one chunk at a time, as the client reads.
//!
//! The HTTP side holds a [`ChunkStream`]. Each time hyper wants more, it
//! asks the owning worker for one chunk (a `LocalMsg::Stream` pull); the
//! worker calls the iterator's `next()` in the script's context, and the
//! chunk comes back through a bounded channel when its promise settles,
//! whichever JS slice settles it. Only one pull is outstanding at a time,
//! so a slow client holds the generator at its `yield` (backpressure).
//!
//! Invariants: a stream's slot in [`Streams`] keeps its context alive (the
//! worker counts it as busy); the slot is removed when the body ends, fails
//! or is dropped, and dropping the `ChunkStream` (client gone) calls the
//! iterator's `return()`. The pulls of one stream share one budget of
//! `js.time_limit_ms` of JS time, separate from the handler's own.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rquickjs::{Ctx, Function, Object, Value};
use tokio::sync::mpsc;

use super::call::internal;
use super::chunk_stream::{Chunk, ChunkStream, StreamOp};
use super::context::{Caller, ScriptContext, Shared};
use super::errors::{describe, describe_value};
use super::LogLevel;

struct Slot {
    tx: mpsc::Sender<Chunk>,
    request_id: Option<Arc<str>>,
    user: Option<String>,
    js_used: Duration,
}

/// The open streams of one context.
pub(crate) struct Streams {
    next: Cell<u64>,
    slots: RefCell<HashMap<u64, Slot>>,
    time_limit: Duration,
    /// The `Response` class is loaded in this context, so a handler's
    /// value may be one (checked only then: it costs a lookup per call).
    responses: Cell<bool>,
}

impl Streams {
    pub fn new(time_limit: Duration) -> Streams {
        Streams {
            next: Cell::new(1),
            slots: RefCell::new(HashMap::new()),
            time_limit,
            responses: Cell::new(false),
        }
    }

    pub fn note_responses(&self) {
        self.responses.set(true);
    }

    pub fn responses_possible(&self) -> bool {
        self.responses.get()
    }

    /// Whether any stream still needs this context.
    pub fn is_empty(&self) -> bool {
        self.slots.borrow().is_empty()
    }

    fn send(&self, sid: u64, chunk: Chunk) {
        let mut slots = self.slots.borrow_mut();
        let terminal = !matches!(chunk, Chunk::Data(_));
        if let Some(slot) = slots.get(&sid) {
            // At most one chunk and one terminal message are ever in flight.
            let _ = slot.tx.try_send(chunk);
        }
        if terminal {
            slots.remove(&sid);
        }
    }

    /// JS time that cannot be attributed (a timer, a fetch event) is charged
    /// to every open stream of the context, as it is to parked requests.
    pub fn charge_all(&self, slice: Duration) {
        for slot in self.slots.borrow_mut().values_mut() {
            slot.js_used += slice;
        }
    }

    fn over_budget(&self) -> Vec<u64> {
        self.slots
            .borrow()
            .iter()
            .filter(|(_, s)| s.js_used > self.time_limit)
            .map(|(sid, _)| *sid)
            .collect()
    }
}

/// Whether `v` should be streamed: an async iterable that is not bytes.
pub(crate) fn is_async_iterable(v: &Value<'_>) -> bool {
    v.as_object().is_some_and(|o| {
        o.get::<_, Value>(rquickjs::atom::PredefinedAtom::SymbolAsyncIterator)
            .is_ok_and(|f| f.is_function())
    })
}

/// Starts streaming `iterable` for the request whose JS runs now.
pub(crate) fn open<'js>(
    ctx: &Ctx<'js>,
    shared: &Rc<Shared>,
    iterable: Value<'js>,
) -> Result<ChunkStream, super::ScriptFailure> {
    let fail = |message: String| super::ScriptFailure {
        kind: super::FailureKind::Runtime,
        message,
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    };
    let Some(sink) = shared.timers.clone() else {
        return Err(fail("a streamed body cannot be sent here".into()));
    };
    let streams = &shared.streams;
    let sid = streams.next.get();
    streams.next.set(sid + 1);
    let opened = driver(ctx, shared)
        .and_then(|d| d.get::<_, Function>("open"))
        .and_then(|f| f.call::<_, ()>((sid as f64, iterable)));
    if let Err(e) = opened {
        return Err(super::call::failure(describe(ctx, e, shared)));
    }
    let (tx, rx) = mpsc::channel(2);
    let user = match &*shared.caller.borrow() {
        Caller::Request(u) => u.clone(),
        _ => None,
    };
    streams.slots.borrow_mut().insert(
        sid,
        Slot {
            tx,
            request_id: shared.request_id.borrow().clone(),
            user,
            js_used: Duration::ZERO,
        },
    );
    Ok(ChunkStream::new(rx, sink.deliver, sink.generation, sid))
}

/// Runs one pull or cancel of stream `sid` as a JS slice of its own,
/// charged to that stream.
pub(crate) fn step(sc: &ScriptContext, sid: u64, op: StreamOp) {
    let shared = &sc.shared;
    let owner = shared
        .streams
        .slots
        .borrow()
        .get(&sid)
        .map(|s| (s.request_id.clone(), s.user.clone()));
    let Some((rid, user)) = owner else { return };
    let method = match op {
        StreamOp::Pull => "pull",
        StreamOp::Cancel(reason) => {
            if let Some(reason) = reason {
                log(shared, rid.as_deref(), LogLevel::Warn, reason);
            }
            shared.streams.slots.borrow_mut().remove(&sid);
            "cancel"
        }
    };
    *shared.request_id.borrow_mut() = rid;
    *shared.caller.borrow_mut() = Caller::Request(user);
    let started = Instant::now();
    sc.enter();
    sc.ctx.with(|ctx| {
        let r = driver(&ctx, shared)
            .and_then(|d| d.get::<_, Function>(method))
            .and_then(|f| f.call::<_, ()>((sid as f64,)));
        if let Err(e) = r {
            let d = describe(&ctx, e, shared);
            fail(shared, sid, d.message, d.stack);
        }
        while ctx.execute_pending_job() {}
    });
    sc.leave();
    *shared.request_id.borrow_mut() = None;
    *shared.caller.borrow_mut() = Caller::TopLevel;
    if let Some(slot) = shared.streams.slots.borrow_mut().get_mut(&sid) {
        slot.js_used += started.elapsed();
    }
    enforce(sc);
}

/// Ends the streams that used up their JS time.
pub(crate) fn enforce(sc: &ScriptContext) {
    let shared = &sc.shared;
    for sid in shared.streams.over_budget() {
        let limit = shared.streams.time_limit.as_millis();
        let msg = format!("script_timeout: the streamed body ran longer than {limit} ms of JavaScript time (limit js.time_limit_ms = {limit} ms); the response was cut off");
        fail(shared, sid, msg, None);
        sc.enter();
        sc.ctx.with(|ctx| {
            let r = driver(&ctx, shared)
                .and_then(|d| d.get::<_, Function>("cancel"))
                .and_then(|f| f.call::<_, ()>((sid as f64,)));
            if r.is_err() {
                let _ = ctx.catch();
            }
            while ctx.execute_pending_job() {}
        });
        sc.leave();
    }
}

/// Ends every open stream of a context that is being dropped.
pub(crate) fn fail_all(shared: &Shared, why: &str) {
    let sids: Vec<u64> = shared.streams.slots.borrow().keys().copied().collect();
    for sid in sids {
        fail(shared, sid, format!("the streamed body ended: {why}"), None);
    }
}

fn fail(shared: &Shared, sid: u64, message: String, stack: Option<String>) {
    let rid = shared
        .streams
        .slots
        .borrow()
        .get(&sid)
        .and_then(|s| s.request_id.clone());
    let mut text = message.clone();
    if let Some(stack) = stack {
        text.push('\n');
        text.push_str(&stack);
    }
    log(shared, rid.as_deref(), LogLevel::Error, text);
    shared.streams.send(sid, Chunk::Failed(message));
}

fn log(shared: &Shared, rid: Option<&str>, level: LogLevel, message: String) {
    shared.host.script_log(&shared.script, level, message, rid);
}

/// The JS side, built on first use in a context: iterators by stream id.
pub(crate) const DRIVER: &str = include_str!("prelude/stream.js");

fn driver<'js>(ctx: &Ctx<'js>, shared: &Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let internal = internal(ctx)?;
    if let Ok(d) = internal.get::<_, Object>("streamDriver") {
        return Ok(d);
    }
    let setup: Function = shared.preludes.stream.run(ctx)?;
    let d: Object = setup.call((natives(ctx, shared)?,))?;
    internal.set("streamDriver", d.clone())?;
    Ok(d)
}

fn natives<'js>(ctx: &Ctx<'js>, shared: &Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    let s = shared.clone();
    o.set(
        "chunk",
        Function::new(ctx.clone(), move |sid: f64, v: Value<'js>| {
            let bytes = match v.as_string() {
                Some(text) => Bytes::from(text.to_string().unwrap_or_default()),
                None => match super::clone::bytes_of(&v) {
                    Some(b) => Bytes::from(b),
                    None => return -1,
                },
            };
            if bytes.is_empty() {
                return 0;
            }
            s.streams.send(sid as u64, Chunk::Data(bytes));
            1
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "end",
        Function::new(ctx.clone(), move |sid: f64| {
            s.streams.send(sid as u64, Chunk::End)
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "fail",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, sid: f64, e: Value<'js>| {
                let d = describe_value(&ctx, &e, &s);
                let msg = format!("{}: the streamed body failed: {}", d.kind.code(), d.message);
                fail(&s, sid as u64, msg, d.stack);
            },
        )?,
    )?;
    Ok(o)
}
