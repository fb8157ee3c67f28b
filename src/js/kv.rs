//! The `kv` natives: argument conversion (JS keys to [`crate::kv`] key
//! parts and back; values go through [`super::clone`]) and the start of
//! each async operation.
//!
//! Each operation returns at once; its result comes back to the owning
//! worker as a [`LocalMsg::Settle`], which resolves the JS promise by id.

use std::rc::Rc;
use std::sync::Arc;

use rquickjs::{Array, BigInt, Ctx, Exception, Function, Object, TypedArray, Value};

use super::clone::{bytes_of, from_value, to_value};
use super::context::{Shared, TimerSink};
use super::worker::{LocalMsg, Settlement};
use super::KvPort;
use crate::kv::{Atomic, Entry, KeyPart, KvError, KvValue, ListQuery, Mutation};

pub(crate) fn natives<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    let s = shared.clone();
    o.set(
        "open",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, name: String| {
            let kv = service(&ctx, &s)?;
            kv.namespace(&s.script, Some(&name))
                .map(|_| ())
                .map_err(|e| throw(&ctx, e))
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "get",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, shared_ns: String, keys: Array<'js>, one: bool| {
                let (kv, ns, sink) = start(&ctx, &s, &shared_ns)?;
                let mut keys = keys
                    .iter::<Value>()
                    .map(|k| to_key(&ctx, k?))
                    .collect::<rquickjs::Result<Vec<_>>>()?;
                if keys.len() > kv.max_atomic_keys() {
                    return Err(throw(
                        &ctx,
                        KvError::Limit(format!(
                            "kv.getMany: {} keys; the limit is {} (config [kv] max_atomic_keys)",
                            keys.len(),
                            kv.max_atomic_keys()
                        )),
                    ));
                }
                let encoded = keys
                    .iter()
                    .map(|k| kv.encode_key(k).map_err(|e| throw(&ctx, e)))
                    .collect::<rquickjs::Result<Vec<_>>>()?;
                // A cached read is answered now, on this thread, whichever
                // it is; otherwise later, with undefined returned now.
                if let Some(r) = kv.get_cached(&ns, &mut keys, &encoded) {
                    let entries = r.map_err(|e| throw(&ctx, e))?;
                    return read_js(entries, one)(&ctx);
                }
                let deliver = sink.clone();
                read(&sink, move || {
                    let r = kv.get_many(&ns, keys);
                    settle(&deliver, id, r.map(|entries| read_js(entries, one)));
                });
                Ok::<Value<'js>, rquickjs::Error>(Value::new_undefined(ctx.clone()))
            },
        )?,
    )?;
    let s = shared.clone();
    o.set(
        "list",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: f64,
                  shared_ns: String,
                  sel: Object<'js>,
                  opts: Object<'js>| {
                let (kv, ns, sink) = start(&ctx, &s, &shared_ns)?;
                let key_of = |name: &str| -> rquickjs::Result<Option<Vec<u8>>> {
                    let v: Value = sel.get(name)?;
                    if v.is_undefined() {
                        return Ok(None);
                    }
                    let k = to_key(&ctx, v)?;
                    kv.encode_key(&k).map(Some).map_err(|e| throw(&ctx, e))
                };
                let q = ListQuery {
                    prefix: key_of("prefix")?,
                    start: key_of("start")?,
                    end: key_of("end")?,
                    limit: opts.get::<_, f64>("limit")?.clamp(1.0, 1000.0) as usize,
                    reverse: opts.get::<_, bool>("reverse")?,
                    cursor: opts.get::<_, Option<String>>("cursor")?,
                };
                let deliver = sink.clone();
                read(&sink, move || {
                    let r = kv.list(&ns, q);
                    settle(
                        &deliver,
                        id,
                        r.map(|page| entries_js(page.entries, Some(page.cursors))),
                    );
                });
                Ok::<(), rquickjs::Error>(())
            },
        )?,
    )?;
    let s = shared;
    o.set(
        "commit",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: f64,
                  shared_ns: String,
                  checks: Array<'js>,
                  muts: Array<'js>| {
                let (kv, ns, sink) = start(&ctx, &s, &shared_ns)?;
                let op = atomic(&ctx, &*kv, checks, muts)?;
                kv.commit(
                    ns,
                    op,
                    Box::new(move |r| {
                        let r = r.map(|stamp| -> Settlement {
                            Box::new(move |ctx| {
                                let o = Object::new(ctx.clone())?;
                                o.set("ok", stamp.is_some())?;
                                o.set("versionstamp", stamp_js(ctx, stamp)?)?;
                                Ok(o.into_value())
                            })
                        });
                        settle_raw(&sink, id, r);
                    }),
                );
                Ok::<(), rquickjs::Error>(())
            },
        )?,
    )?;
    Ok(o)
}

fn throw(ctx: &Ctx<'_>, e: KvError) -> rquickjs::Error {
    match e {
        KvError::Invalid(m) => Exception::throw_type(ctx, &m),
        KvError::Limit(m) => Exception::throw_range(ctx, &m),
        other => Exception::throw_message(ctx, &other.to_string()),
    }
}

fn service(ctx: &Ctx<'_>, s: &Shared) -> rquickjs::Result<Arc<dyn KvPort>> {
    s.host.kv().ok_or_else(|| {
        Exception::throw_message(ctx, "kv is not available in this engine (no data file)")
    })
}

/// The service, namespace and delivery sink of an operation about to start.
fn start(
    ctx: &Ctx<'_>,
    s: &Shared,
    shared_ns: &str,
) -> rquickjs::Result<(Arc<dyn KvPort>, String, TimerSink)> {
    let kv = service(ctx, s)?;
    let sink = match &s.timers {
        Some(sink) if !s.replaying.get() => sink.clone(),
        _ => {
            return Err(Exception::throw_message(
                ctx,
                "kv is available inside handlers, not in a script's top-level code (which runs again on every worker)",
            ))
        }
    };
    let ns = kv
        .namespace(&s.script, (!shared_ns.is_empty()).then_some(shared_ns))
        .map_err(|e| throw(ctx, e))?;
    Ok((kv, ns, sink))
}

/// Runs a read that missed the cache on the blocking pool; the result
/// arrives as a message. Neither kind of worker reads itself: an inline
/// worker lives on an I/O thread, which must never block, and a JS pool
/// thread that waited on the disk would hold up every request queued
/// behind it, of every script on the pool (`tests/kv_slow_disk.rs`).
fn read(sink: &TimerSink, f: impl FnOnce() + Send + 'static) {
    sink.handle.spawn_blocking(f);
}

fn settle(sink: &TimerSink, id: f64, r: Result<Settlement, KvError>) {
    settle_raw(sink, id, r)
}

fn settle_raw(sink: &TimerSink, id: f64, r: Result<Settlement, KvError>) {
    (sink.deliver)(LocalMsg::Settle {
        generation: sink.generation,
        id: id as u64,
        result: r.map_err(|e| e.to_string()),
    });
}

fn atomic<'js>(
    ctx: &Ctx<'js>,
    kv: &dyn KvPort,
    checks: Array<'js>,
    muts: Array<'js>,
) -> rquickjs::Result<Atomic> {
    let mut op = Atomic::default();
    let err = |e| throw(ctx, e);
    for c in checks.iter::<Array>() {
        let c = c?;
        let key = kv.encode_key(&to_key(ctx, c.get(0)?)?).map_err(err)?;
        let vs: Option<String> = c.get(1)?;
        let vs = match vs {
            None => None,
            Some(text) => Some(crate::kv::value::parse_versionstamp(&text).ok_or_else(|| {
                Exception::throw_type(
                    ctx,
                    &format!("check({{key, versionstamp}}): {text:?} is not a versionstamp from kv.get; use null for \"must not exist\""),
                )
            })?),
        };
        op.checks.push((key, vs));
    }
    let now = crate::domain::now_millis();
    for m in muts.iter::<Array>() {
        let m = m?;
        let kind: String = m.get(0)?;
        let key = kv.encode_key(&to_key(ctx, m.get(1)?)?).map_err(err)?;
        let mutation = match kind.as_str() {
            "set" => {
                let value = to_value(ctx, m.get(2)?, 0)?;
                let expire_in: Option<f64> = m.get(3)?;
                Mutation::Set {
                    value: kv.encode_value(&value).map_err(err)?,
                    expires_at: expire_in.map(|ms| now + ms.max(0.0) as i64),
                }
            }
            "delete" => Mutation::Delete,
            _ => {
                let n = to_value(ctx, m.get(2)?, 0)?;
                if !matches!(n, KvValue::Number(_) | KvValue::BigInt(_)) {
                    return Err(Exception::throw_type(
                        ctx,
                        "sum(key, n): n must be a number or a bigint",
                    ));
                }
                Mutation::Sum(n)
            }
        };
        op.mutations.push((key, mutation));
    }
    kv.check_atomic(&op).map_err(err)?;
    Ok(op)
}

/// What `kv.get` (`one`: the entry) or `kv.getMany` (the array) resolves to.
fn read_js(entries: Vec<Entry>, one: bool) -> Settlement {
    if !one {
        return entries_js(entries, None);
    }
    Box::new(move |ctx| match entries.into_iter().next() {
        Some(e) => entry_js(ctx, e).map(|o| o.into_value()),
        None => Ok(Value::new_undefined(ctx.clone())),
    })
}

fn entry_js<'js>(ctx: &Ctx<'js>, e: Entry) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("key", key_js(ctx, &e.key)?)?;
    match e.value {
        Some(v) => o.set("value", from_value(ctx, v)?)?,
        None => o.set("value", Value::new_null(ctx.clone()))?,
    }
    o.set("versionstamp", stamp_js(ctx, e.versionstamp)?)?;
    Ok(o)
}

fn entries_js(entries: Vec<Entry>, cursors: Option<Vec<String>>) -> Settlement {
    Box::new(move |ctx| {
        let arr = Array::new(ctx.clone())?;
        for (i, e) in entries.into_iter().enumerate() {
            arr.set(i, entry_js(ctx, e)?)?;
        }
        match cursors {
            None => Ok(arr.into_value()),
            Some(c) => {
                let page = Object::new(ctx.clone())?;
                page.set("entries", arr)?;
                page.set("cursors", c)?;
                Ok(page.into_value())
            }
        }
    })
}

/// A JS key (array of parts) as kv key parts.
fn to_key<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> rquickjs::Result<Vec<KeyPart>> {
    let Some(arr) = v.as_array() else {
        return Err(Exception::throw_type(
            ctx,
            "a kv key must be an array of parts, such as [\"users\", 42]",
        ));
    };
    let mut parts = Vec::with_capacity(arr.len());
    for (i, p) in arr.iter::<Value>().enumerate() {
        let p = p?;
        let part = if let Some(s) = p.as_string() {
            KeyPart::String(s.to_string()?)
        } else if let Some(n) = p.as_number() {
            KeyPart::Number(n)
        } else if let Some(b) = p.as_bool() {
            KeyPart::Bool(b)
        } else if let Some(b) = p.as_big_int() {
            KeyPart::BigInt(b.clone().to_i64()?)
        } else if let Some(bytes) = bytes_of(&p) {
            KeyPart::Bytes(bytes)
        } else {
            return Err(Exception::throw_type(
                ctx,
                &format!(
                    "kv key part {i} is a {}; key parts are strings, numbers, bigints, booleans or Uint8Arrays",
                    p.type_name()
                ),
            ));
        };
        parts.push(part);
    }
    Ok(parts)
}

fn key_js<'js>(ctx: &Ctx<'js>, key: &[KeyPart]) -> rquickjs::Result<Array<'js>> {
    let arr = Array::new(ctx.clone())?;
    for (i, p) in key.iter().enumerate() {
        let v = match p {
            KeyPart::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
            KeyPart::Number(n) => super::clone::number(ctx, *n),
            KeyPart::Bool(b) => Value::new_bool(ctx.clone(), *b),
            KeyPart::BigInt(b) => BigInt::from_i64(ctx.clone(), *b)?.into_value(),
            KeyPart::Bytes(b) => TypedArray::<u8>::new_copy(ctx.clone(), b)?.into_value(),
        };
        arr.set(i, v)?;
    }
    Ok(arr)
}

/// Resolves or rejects operation `id` through `__aiwebengine.settle`.
pub(crate) fn settle_js<'js>(
    ctx: &Ctx<'js>,
    id: u64,
    result: Result<Settlement, String>,
) -> rquickjs::Result<()> {
    let settle: Function = super::call::internal(ctx)?.get("settle")?;
    let (ok, value) = match result.map(|build| build(ctx)) {
        Ok(Ok(v)) => (true, v),
        Ok(Err(e)) => return Err(e),
        Err(msg) => (
            false,
            Exception::from_message(ctx.clone(), &msg)?.into_value(),
        ),
    };
    settle.call::<_, ()>((id as f64, ok, value))
}

/// A versionstamp, or null (not undefined) when there is none.
fn stamp_js<'js>(ctx: &Ctx<'js>, stamp: Option<u64>) -> rquickjs::Result<Value<'js>> {
    match stamp {
        Some(s) => Ok(rquickjs::String::from_str(
            ctx.clone(),
            &crate::kv::value::versionstamp_ascii(s),
        )?
        .into_value()),
        None => Ok(Value::new_null(ctx.clone())),
    }
}
