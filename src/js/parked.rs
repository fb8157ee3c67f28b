//! The requests parked on one context: each one's promise and `req`, held
//! from Rust.
//!
//! After every slice of JS the worker asks which parked requests may be
//! answered. Looking each one up in the context's `pending` map by name
//! cost about 1,000 instructions per parked request per slice, so with 64
//! handlers awaiting kv commits it was most of a `sum` request's CPU
//! (issue 14). Here each parked promise is a reference held from Rust, and
//! asking whether it settled is a read of its state; parking and answering
//! no longer build and read a slot object either.
//!
//! The references are the context's own: [`ParkedRequests`] is a field of
//! [`super::context::ScriptContext`] declared before the context, so it
//! releases them while the runtime is still alive, whatever becomes of the
//! requests (answered, their client gone, or the context discarded).

use std::cell::RefCell;
use std::collections::HashMap;

use rquickjs::{qjs, Ctx, Object, Promise, Value};

/// A parked request: its promise, its `req`, and whether it is a data call
/// (GraphQL, MCP) rather than an HTTP route.
struct Slot {
    promise: qjs::JSValue,
    req: qjs::JSValue,
    data: bool,
}

type Map = HashMap<u64, Slot, foldhash::fast::RandomState>;

pub(crate) struct ParkedRequests {
    rt: *mut qjs::JSRuntime,
    ctx: *mut qjs::JSContext,
    promises: RefCell<Map>,
}

impl ParkedRequests {
    pub fn new(ctx: &Ctx<'_>) -> ParkedRequests {
        let raw = ctx.as_raw().as_ptr();
        ParkedRequests {
            // SAFETY: `raw` is a live context.
            rt: unsafe { qjs::JS_GetRuntime(raw) },
            ctx: raw,
            promises: RefCell::new(Map::default()),
        }
    }

    /// Holds request `seq`'s promise and `req` until [`Self::remove`].
    pub fn insert(&self, seq: u64, promise: &Promise<'_>, req: &Object<'_>, data: bool) {
        // SAFETY: both values belong to this runtime; the new references
        // are released by `remove` or `drop`.
        let slot = unsafe {
            Slot {
                promise: qjs::JS_DupValueRT(self.rt, promise.as_raw()),
                req: qjs::JS_DupValueRT(self.rt, req.as_raw()),
                data,
            }
        };
        if let Some(old) = self.promises.borrow_mut().insert(seq, slot) {
            self.free(old);
        }
    }

    /// Request `seq`'s promise, `req` and data flag, still held here.
    pub fn get<'js>(&self, ctx: &Ctx<'js>, seq: u64) -> Option<(Promise<'js>, Object<'js>, bool)> {
        let map = self.promises.borrow();
        let slot = map.get(&seq)?;
        // SAFETY: held references of this runtime, each duplicated for the
        // value that takes it (and frees it on drop).
        let (promise, req) = unsafe {
            (
                Value::from_raw(ctx.clone(), qjs::JS_DupValueRT(self.rt, slot.promise)),
                Value::from_raw(ctx.clone(), qjs::JS_DupValueRT(self.rt, slot.req)),
            )
        };
        Some((promise.into_promise()?, req.into_object()?, slot.data))
    }

    /// Lets go of request `seq`.
    pub fn remove(&self, seq: u64) {
        let slot = self.promises.borrow_mut().remove(&seq);
        if let Some(slot) = slot {
            self.free(slot);
        }
    }

    fn free(&self, slot: Slot) {
        // SAFETY: references taken by `insert`, released once, while the
        // runtime is alive (see the module comment).
        unsafe {
            qjs::JS_FreeValueRT(self.rt, slot.promise);
            qjs::JS_FreeValueRT(self.rt, slot.req);
        }
    }

    /// Whether request `seq` may be answered: its promise is held and no
    /// longer pending. (Every parked request is inserted; one that were not
    /// could never be answered from here, and its time limit fails it.)
    pub fn ready(&self, seq: u64) -> bool {
        match self.promises.borrow().get(&seq) {
            // SAFETY: a held reference to a promise of this context; reading
            // its state runs no JS and allocates nothing.
            Some(slot) => unsafe {
                qjs::JS_PromiseState(self.ctx, slot.promise)
                    != qjs::JSPromiseStateEnum_JS_PROMISE_PENDING
            },
            None => false,
        }
    }
}

impl Drop for ParkedRequests {
    fn drop(&mut self) {
        // `ScriptContext` drops this before its context and runtime.
        let slots: Vec<Slot> = self.promises.get_mut().drain().map(|(_, s)| s).collect();
        for slot in slots {
            self.free(slot);
        }
    }
}
