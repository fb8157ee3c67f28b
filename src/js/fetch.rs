//! The `fetch` natives: a fetch starts here (the rules are checked at once,
//! so a refusal is an immediate exception), runs as a task of the engine's
//! [`super::FetchPort`], and answers through a [`LocalMsg::Run`] that settles the JS
//! promise by id on the owning worker. The WHATWG classes around these
//! natives are in `prelude_fetch`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::context::{Shared, TimerSink};
use super::worker::LocalMsg;
use crate::fetch::{Event, FetchError, Head, OutRequest, Read, Redirect};

/// A fetch whose task may still be running.
struct Flight {
    abort: AbortHandle,
    reads: UnboundedSender<Read>,
    /// Why a read fails once the task has ended on its own (its deadline).
    expired: String,
}

/// This context's fetches. Dropped with the context: the tasks end too.
#[derive(Default)]
struct Flights(RefCell<HashMap<u64, Flight>>);

impl Drop for Flights {
    fn drop(&mut self) {
        for f in self.0.get_mut().values() {
            f.abort.abort();
        }
    }
}

/// Headers a script may not set: the client derives them from the URL and
/// the body, and a forged one could smuggle a second request.
const FORBIDDEN: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "proxy-connection",
];

pub(crate) fn natives<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    let flights = Rc::new(Flights::default());
    let (s, fl) = (shared, flights.clone());
    o.set(
        "start",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, spec: Object<'js>| start(&ctx, &s, &fl, id as u64, spec),
        )?,
    )?;
    let fl = flights.clone();
    o.set(
        "read",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, op: f64, id: f64, all: bool| {
                let map = fl.0.borrow();
                let Some(f) = map.get(&(id as u64)) else {
                    return Err(Exception::throw_type(
                        &ctx,
                        "fetch: this response body was already read or cancelled",
                    ));
                };
                let op = op as u64;
                let cmd = if all { Read::All(op) } else { Read::Chunk(op) };
                f.reads
                    .send(cmd)
                    .map_err(|_| Exception::throw_type(&ctx, &f.expired))
            },
        )?,
    )?;
    let fl = flights;
    o.set(
        "cancel",
        Function::new(ctx.clone(), move |id: f64| {
            if let Some(f) = fl.0.borrow_mut().remove(&(id as u64)) {
                f.abort.abort();
            }
        })?,
    )?;
    o.set(
        "href",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| {
            parse_url(&ctx, &s).map(|u| u.to_string())
        })?,
    )?;
    o.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| {
            TypedArray::<u8>::new(ctx, s.into_bytes())
        })?,
    )?;
    o.set(
        "utf8Decode",
        Function::new(ctx.clone(), |v: Value<'js>| {
            let b = super::clone::bytes_of(&v).unwrap_or_default();
            let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&b);
            String::from_utf8_lossy(b).into_owned()
        })?,
    )?;
    Ok(o)
}

fn parse_url(ctx: &Ctx<'_>, s: &str) -> rquickjs::Result<url::Url> {
    url::Url::parse(s).map_err(|e| {
        Exception::throw_type(
            ctx,
            &format!("fetch: {s:?} is not an absolute URL ({e}); fetch needs a full URL such as https://api.example.com/items"),
        )
    })
}

fn type_error(ctx: &Ctx<'_>, e: FetchError) -> rquickjs::Error {
    Exception::throw_type(ctx, &e.to_string())
}

/// Starts a fetch. Returns the request deadline its continuations inherit
/// (-1: none, at top level), or `undefined` in the registration pass, where
/// the promise never settles (like its timers, which never fire).
fn start<'js>(
    ctx: &Ctx<'js>,
    s: &Shared,
    flights: &Flights,
    id: u64,
    spec: Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Some(fetcher) = s.host.fetcher() else {
        return Err(Exception::throw_type(
            ctx,
            "fetch is not available in this engine",
        ));
    };
    let url = parse_url(ctx, &spec.get::<_, String>("url")?)?;
    let shown = url.to_string();
    if let Some(reason) = fetcher.refusal(&s.script, &url) {
        return Err(Exception::throw_type(
            ctx,
            &format!("fetch to {shown} refused: {reason}"),
        ));
    }
    let req = OutRequest {
        script: s.script.clone(),
        method: method(ctx, &spec.get::<_, String>("method")?)?,
        url,
        headers: headers(ctx, spec.get("headers")?)?,
        body: super::clone::bytes_of(&spec.get("body")?).map(Bytes::from),
        redirect: match spec.get::<_, String>("redirect")?.as_str() {
            "error" => Redirect::Error,
            "manual" => Redirect::Manual,
            _ => Redirect::Follow,
        },
    };
    let timeout: f64 = spec.get("timeout")?;
    let inherited: f64 = spec.get("inherited")?;
    let Some(sink) = s.timers.clone() else {
        return Ok(Value::new_undefined(ctx.clone()));
    };
    let request_deadline = if inherited >= 0.0 {
        Some(fetcher.instant(inherited))
    } else if let Some(t) = s.request_started.get() {
        Some(fetcher.request_deadline(t))
    } else if s.replaying.get() {
        None
    } else {
        // A continuation the engine cannot tie to its request (after a
        // timer or a kv call): no request lives longer than this.
        Some(fetcher.request_deadline(Instant::now()))
    };
    let budget = fetcher.budget(request_deadline, (timeout >= 0.0).then_some(timeout as u64));
    let expired = format!(
        "fetch to {shown}: the response body was not read within the fetch's time limit ({}, {} ms)",
        budget.limit, budget.ms
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let emit = Box::new(move |ev| deliver(&sink, id, ev));
    let abort = fetcher
        .start(req, budget, rx, emit)
        .map_err(|e| type_error(ctx, e))?;
    let mut map = flights.0.borrow_mut();
    // Bodies never read: their tasks ended at the deadline.
    map.retain(|_, f| !f.reads.is_closed());
    map.insert(
        id,
        Flight {
            abort,
            reads: tx,
            expired,
        },
    );
    let token = request_deadline.map_or(-1.0, |d| fetcher.token(d));
    Ok(Value::new_number(ctx.clone(), token))
}

fn method(ctx: &Ctx<'_>, m: &str) -> rquickjs::Result<Method> {
    let upper = m.to_ascii_uppercase();
    if matches!(upper.as_str(), "CONNECT" | "TRACE" | "TRACK") {
        return Err(Exception::throw_type(
            ctx,
            &format!("fetch: the {upper} method is not allowed"),
        ));
    }
    Method::from_bytes(m.as_bytes()).map_err(|_| {
        Exception::throw_type(ctx, &format!("fetch: {m:?} is not a valid HTTP method"))
    })
}

fn headers<'js>(ctx: &Ctx<'js>, pairs: Array<'js>) -> rquickjs::Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for pair in pairs.iter::<Vec<String>>() {
        let pair = pair?;
        let [name, value] = pair.as_slice() else {
            continue;
        };
        if FORBIDDEN.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let bad = |what: &str| {
            Exception::throw_type(
                ctx,
                &format!("fetch: header {name:?} has an invalid {what}"),
            )
        };
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("name"))?;
        let v = HeaderValue::from_str(value).map_err(|_| bad("value"))?;
        map.append(n, v);
    }
    Ok(map)
}

/// What settles a JS operation, built in its context.
enum Payload {
    Head(Head),
    Bytes(Option<Bytes>),
}

/// Hands an exchange event back to the worker that owns the context.
fn deliver(sink: &TimerSink, fetch_id: u64, ev: Event) {
    let (op, result) = match ev {
        Event::Head(h) => (fetch_id, Ok(Payload::Head(h))),
        Event::Chunk(op, chunk) => (op, Ok(Payload::Bytes(chunk))),
        Event::All(op, all) => (op, Ok(Payload::Bytes(Some(all)))),
        Event::Failed(op, e) => (op.unwrap_or(fetch_id), Err(e)),
    };
    (sink.deliver)(LocalMsg::Run {
        generation: sink.generation,
        f: Box::new(move |ctx| settle_js(ctx, op, result)),
    });
}

/// Resolves or rejects operation `op`, then runs the continuations with
/// its request's deadline in scope (see `current` in the prelude).
fn settle_js<'js>(
    ctx: &Ctx<'js>,
    op: u64,
    result: Result<Payload, FetchError>,
) -> rquickjs::Result<()> {
    let internal = super::call::internal(ctx)?;
    let settle: Function = internal.get("fetchSettle")?;
    let (ok, value) = match result {
        Ok(Payload::Head(h)) => (true, head_js(ctx, h)?),
        Ok(Payload::Bytes(None)) => (true, Value::new_null(ctx.clone())),
        Ok(Payload::Bytes(Some(b))) => (
            true,
            TypedArray::<u8>::new_copy(ctx.clone(), &b[..])?.into_value(),
        ),
        Err(e) => {
            let arr = Array::new(ctx.clone())?;
            arr.set(0, e.kind())?;
            arr.set(1, e.to_string())?;
            (false, arr.into_value())
        }
    };
    settle.call::<_, ()>((op as f64, ok, value))?;
    while ctx.execute_pending_job() {}
    internal
        .get::<_, Function>("fetchSettled")?
        .call::<_, ()>(())
}

fn head_js<'js>(ctx: &Ctx<'js>, h: Head) -> rquickjs::Result<Value<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("status", h.status)?;
    o.set("statusText", h.status_text)?;
    o.set("url", h.url)?;
    o.set("redirected", h.redirected)?;
    let headers = Array::new(ctx.clone())?;
    for (i, (k, v)) in h.headers.into_iter().enumerate() {
        headers.set(i, vec![k, v])?;
    }
    o.set("headers", headers)?;
    Ok(o.into_value())
}
