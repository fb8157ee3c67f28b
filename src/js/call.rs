//! One entry into a script's context for a request: build `req`, call the
//! handler, and turn its value, its Promise or what it threw into an
//! [`Outcome`]. Requests whose Promise is pending are parked in the
//! context's `pending` map and settled later by [`poll_parked`].

use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Function, Object, Promise, Value};

use rquickjs::object::Property;

use super::context::ScriptContext;
use super::convert::{build_request, to_response};
use super::errors::{describe, describe_value, Described};
use super::names::{Defined, Name, Names};
use super::{
    CallContext, CallKind, FailureKind, LogLevel, Outcome, ResponseBody, ScriptFailure,
    ScriptRequest, ScriptResponse,
};

/// How a call's value is read.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    pub dev: bool,
    /// The value is data (SSE metadata, a GraphQL result), not a response.
    pub data: bool,
}

/// What one entry into JS produced for a request.
pub(crate) enum Step {
    Done(Outcome),
    Parked,
}

pub(crate) fn internal<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    ctx.globals().get("__aiwebengine")
}

pub(crate) fn failure(d: Described) -> ScriptFailure {
    ScriptFailure {
        kind: d.kind,
        message: d.message,
        stack: d.stack,
        line: d.line,
        column: d.column,
        best_effort: None,
    }
}

/// Calls the handler of one invocation (its reply stays with the caller, so
/// that a panic in here can still be answered).
pub(crate) fn call_handler(
    sc: &ScriptContext,
    kind: CallKind,
    handler_key: &str,
    request: &ScriptRequest,
    seq: u64,
    dev: bool,
) -> Step {
    let mode = Mode {
        dev,
        data: kind != CallKind::Request,
    };
    sc.enter();
    *sc.shared.request_id.borrow_mut() = Some(request.request_id.clone());
    *sc.shared.caller.borrow_mut() =
        super::context::Caller::Request(request.auth.as_ref().map(|a| a.user_id.clone()));
    *sc.shared.cancel.borrow_mut() = request.mcp.as_ref().map(|h| h.cancel.clone());
    let step = sc.ctx.with(|ctx| {
        let built = match kind {
            CallKind::Request | CallKind::StreamConnect => {
                build_request(&ctx, request, &sc.shared.uploads, &sc.names)
                    .map(|r| (r.clone().into_value(), r))
            }
            _ => graphql_args(&ctx, request, &sc.names),
        };
        let built = match (built, &request.mcp) {
            (Ok((args, gctx)), Some(hooks)) => {
                super::mcp::install_call(&ctx, &gctx, hooks, &sc.shared, seq).map(|()| (args, gctx))
            }
            (other, _) => other,
        };
        let (first, req) = match built {
            Ok(r) => r,
            Err(e) => return Step::Done(Err(failure(describe(&ctx, e, &sc.shared)))),
        };
        match kind {
            CallKind::GqlFilter { sub } => return Step::Done(run_filter(&ctx, sub, first)),
            CallKind::GqlRelease { sub } => {
                let _ = subscribers(&ctx).and_then(|m| m.remove(sub as f64));
                return Step::Done(Ok(data_response("null".into())));
            }
            _ => {}
        }
        let handler = find_handler(&ctx, &sc.names, handler_key);
        let value = match handler {
            // A stream without onConnect accepts everyone, with no metadata.
            Ok(None) => Value::new_undefined(ctx.clone()),
            Ok(Some(f)) => match call_with(&f, kind, first, &req) {
                Ok(v) => v,
                Err(e) => return Step::Done(thrown(&ctx, sc, e, &req, mode)),
            },
            Err(e) => return Step::Done(thrown(&ctx, sc, e, &req, mode)),
        };
        // Before any queued job runs: another request's continuation must
        // not see this caller as the global `auth`.
        if request.auth.is_some() {
            super::auth::clear(&ctx);
        }
        if let (CallKind::GqlSubscribe { sub }, Some(filter)) = (kind, value.as_function()) {
            let kept = subscribers(&ctx).and_then(|m| m.set(sub as f64, filter.clone()));
            return Step::Done(match kept {
                Ok(()) => Ok(data_response(FILTER_MARKER.into())),
                Err(e) => Err(failure(describe(&ctx, e, &sc.shared))),
            });
        }
        let Some(promise) = value.as_promise().cloned() else {
            let out = respond(&ctx, sc, value, mode);
            // Jobs the handler queued (say it resolved a promise that parked
            // requests await) run in its slice, so that the worker sees
            // them settled when this slice ends.
            while ctx.execute_pending_job() {}
            return Step::Done(out);
        };
        while ctx.execute_pending_job() {}
        match settle(&ctx, sc, &promise, &req, mode) {
            Some(o) => Step::Done(o),
            None => {
                park(sc, seq, &promise, &req, mode);
                Step::Parked
            }
        }
    });
    if request.auth.is_some() {
        sc.ctx.with(|ctx| super::auth::clear(&ctx));
    }
    if request.mcp.is_some() && matches!(step, Step::Done(_)) {
        sc.ctx.with(|ctx| super::mcp::forget_call(&ctx, seq));
    }
    *sc.shared.request_id.borrow_mut() = None;
    *sc.shared.caller.borrow_mut() = super::context::Caller::TopLevel;
    *sc.shared.cancel.borrow_mut() = None;
    sc.leave();
    step
}

/// The value of a subscribe call that kept a filter function.
pub const FILTER_MARKER: &str = r#"{"__aiwebengine_filter":true}"#;

fn data_response(json: String) -> crate::js::ScriptResponse {
    crate::js::ScriptResponse {
        status: 200,
        headers: Vec::new(),
        body: Default::default(),
        value_json: Some(json),
    }
}

/// Subscribers' filter functions of this context, by subscriber id.
fn subscribers<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let internal = internal(ctx)?;
    if let Ok(m) = internal.get::<_, Object>("subscribers") {
        return Ok(m);
    }
    let m = Object::new(ctx.clone())?;
    internal.set("subscribers", m.clone())?;
    Ok(m)
}

/// `true`/`false` from the filter; `null` when this context no longer has
/// it (the script changed), which ends the subscription.
fn run_filter<'js>(ctx: &Ctx<'js>, sub: u64, data: Value<'js>) -> Outcome {
    let filter: Option<Function> = subscribers(ctx).ok().and_then(|m| m.get(sub as f64).ok());
    let verdict = match filter {
        None => "null",
        Some(f) => match f.call::<_, Value>((data,)) {
            Ok(v) if v.get::<rquickjs::Coerced<bool>>().is_ok_and(|b| b.0) => "true",
            Ok(_) => "false",
            Err(_) => {
                let _ = ctx.catch();
                "false"
            }
        },
    };
    Ok(data_response(verdict.into()))
}

/// GraphQL resolvers and MCP handlers get `(args, ctx)`; `ctx` stands in
/// for `req` in the parked slot and for the error handler. Built like `req`
/// (issue 14): interned names, kept shapes, and `headers` made on first
/// read from one packed string (the accessor on `callCtxProto`).
fn graphql_args<'js>(
    ctx: &Ctx<'js>,
    r: &crate::js::ScriptRequest,
    names: &Names,
) -> rquickjs::Result<(Value<'js>, Object<'js>)> {
    let args = if r.body.is_empty() {
        Object::new(ctx.clone())?.into_value()
    } else {
        ctx.json_parse(r.body.to_vec())?
    };
    let internal = names.internal(ctx)?;
    let proto = names.object(ctx, &internal, Name::CallCtxProto)?;
    let gctx = Object::new_proto(ctx.clone(), Some(&proto))?;
    let mut defined = Defined::new();
    defined.push(Name::RawHeaders);
    names.with_scratch(|text| {
        super::convert::packed_headers(r, text);
        names.define_str(ctx, &gctx, Name::RawHeaders, text)
    })?;
    match &r.context {
        CallContext::None => {}
        CallContext::Variables(json) => {
            let variables = match json {
                Some(json) => ctx.json_parse(json.as_bytes())?,
                None => Value::new_null(ctx.clone()),
            };
            defined.push(Name::Variables);
            names.define(ctx, &gctx, Name::Variables, variables)?;
        }
        CallContext::Members(json) => {
            if let Some(members) = ctx.json_parse(json.as_bytes())?.into_object() {
                for kv in members.props::<rquickjs::Atom, Value>() {
                    let (k, v) = kv?;
                    gctx.prop(k, Property::from(v).writable().enumerable().configurable())?;
                }
            }
            defined.other();
        }
    }
    defined.push(Name::RequestId);
    names.define_str(ctx, &gctx, Name::RequestId, &r.request_id)?;
    // `ctx.auth` (and the global `auth`) describe the caller.
    defined.push(Name::Auth);
    let auth = super::auth::install_with(ctx, names, &internal, r)?;
    names.define(ctx, &gctx, Name::Auth, auth)?;
    if defined.exact() {
        names.keep_shapes(ctx, &internal, &proto, &defined)?;
    }
    Ok((args, gctx))
}

fn call_with<'js>(
    f: &Function<'js>,
    kind: CallKind,
    first: Value<'js>,
    req: &Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    match kind {
        CallKind::GraphQl | CallKind::GqlSubscribe { .. } | CallKind::Mcp => {
            f.call((first, req.clone()))
        }
        _ => f.call((first,)),
    }
}

fn park<'js>(sc: &ScriptContext, seq: u64, promise: &Promise<'js>, req: &Object<'js>, mode: Mode) {
    sc.parked.insert(seq, promise, req, mode.data);
}

/// `Ok(None)`: a stream registered without `onConnect`.
fn find_handler<'js>(
    ctx: &Ctx<'js>,
    names: &super::names::Names,
    key: &str,
) -> rquickjs::Result<Option<Function<'js>>> {
    let internal = names.internal(ctx)?;
    let h: Value = names
        .get(ctx, &internal, super::names::Name::Handlers)?
        .get::<Object>()?
        .get(key)?;
    if h.is_undefined() || h.is_null() {
        return Ok(None);
    }
    if let Some(name) = h.as_string() {
        return ctx.globals().get(name.to_string()?.as_str()).map(Some);
    }
    h.get().map(Some)
}

fn settle<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    p: &Promise<'js>,
    req: &Object<'js>,
    mode: Mode,
) -> Option<Outcome> {
    match p.state() {
        PromiseState::Pending => None,
        PromiseState::Resolved => Some(match p.result::<Value>() {
            Some(Ok(v)) => respond(ctx, sc, v, mode),
            Some(Err(e)) => Err(failure(describe(ctx, e, &sc.shared))),
            None => return None,
        }),
        PromiseState::Rejected => {
            let _ = p.result::<Value>();
            let reason = ctx.catch();
            Some(on_thrown_value(ctx, sc, reason, req, mode))
        }
    }
}

pub(crate) fn poll_parked(sc: &ScriptContext, seq: u64, dev: bool) -> Option<Outcome> {
    sc.ctx.with(|ctx| {
        let (promise, req, data) = sc.parked.get(&ctx, seq)?;
        sc.enter();
        let out = settle(&ctx, sc, &promise, &req, Mode { dev, data });
        while ctx.execute_pending_job() {}
        sc.leave();
        if out.is_some() {
            sc.parked.remove(seq);
            super::mcp::forget_call(&ctx, seq);
        }
        out
    })
}

fn respond<'js>(ctx: &Ctx<'js>, sc: &ScriptContext, v: Value<'js>, mode: Mode) -> Outcome {
    if mode.data {
        // Strings, integers and booleans (most resolvers' values) are
        // written here; JSON.stringify for the rest (issue 14).
        let meta = if v.is_undefined() || v.is_null() {
            "null".to_string()
        } else if let Some(s) = v.as_string() {
            match s.to_string() {
                Ok(s) => serde_json::to_string(&s).unwrap_or_else(|_| "null".into()),
                Err(_) => "null".into(),
            }
        } else if let Some(i) = v.as_int() {
            i.to_string()
        } else if let Some(b) = v.as_bool() {
            b.to_string()
        } else {
            ctx.json_stringify(v)
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| "null".into())
        };
        return Ok(ScriptResponse {
            status: 200,
            headers: Vec::new(),
            body: Default::default(),
            value_json: Some(meta),
        });
    }
    let mut c = to_response(ctx, v, mode.dev, sc.shared.streams.responses_possible())?;
    if let Some(iterable) = c.stream {
        let stream = super::stream_body::open(ctx, &sc.shared, iterable)?;
        c.response.body = ResponseBody::Stream(stream);
    }
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

fn thrown<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    e: rquickjs::Error,
    req: &Object<'js>,
    mode: Mode,
) -> Outcome {
    if let rquickjs::Error::Exception = e {
        let v = ctx.catch();
        return on_thrown_value(ctx, sc, v, req, mode);
    }
    on_error(ctx, sc, describe(ctx, e, &sc.shared), req, mode)
}

/// `throw {status: 403, body: "..."}` answers with that response (also from
/// an SSE `onConnect`, to refuse the connection); anything else is an error.
fn on_thrown_value<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    v: Value<'js>,
    req: &Object<'js>,
    mode: Mode,
) -> Outcome {
    let is_response = v.as_object().is_some_and(|o| {
        rquickjs::Exception::from_object(o.clone()).is_none()
            && o.get::<_, Value>("status").is_ok_and(|s| s.is_number())
    });
    if is_response && !sc.shared.interrupted.get() {
        return respond(
            ctx,
            sc,
            v,
            Mode {
                data: false,
                ..mode
            },
        );
    }
    let d = describe_value(ctx, &v, &sc.shared);
    on_error(ctx, sc, d, req, mode)
}

/// Runtime errors go to the script's own error handler when it set one;
/// limit errors never do (the context is about to be discarded).
fn on_error<'js>(
    ctx: &Ctx<'js>,
    sc: &ScriptContext,
    d: Described,
    req: &Object<'js>,
    mode: Mode,
) -> Outcome {
    if d.kind != FailureKind::Runtime || mode.data {
        return Err(failure(d));
    }
    let handler: Option<Function> = internal(ctx).ok().and_then(|i| i.get("onError").ok());
    let Some(handler) = handler else {
        return Err(failure(d));
    };
    let Ok(err) = rquickjs::Exception::from_message(ctx.clone(), &d.message) else {
        return Err(failure(d));
    };
    if let Some(stack) = &d.stack {
        let _ = err.set("stack", stack.as_str());
    }
    match handler.call::<_, Value>((err, req.clone())) {
        Ok(v) if v.as_promise().is_none() => respond(ctx, sc, v, mode),
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
