//! One script's QuickJS runtime and context, with its limits and host hooks.
//!
//! Each script gets its own `Runtime`, because QuickJS applies memory limits
//! and GC per runtime: that is what makes the limits per script.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::{Context, Ctx, Function, Object, Runtime};

use super::bytecode::Preludes;
use super::errors::{describe, Described};
use super::{Host, JsConfig, LoadError, LogLevel, StreamMessage, StreamOptions};
use crate::scripts::routes::{Pattern, RouteSpec, MAX_ROUTE_BODY_BYTES, METHODS};

/// Where timers deliver their expiry: a message back to the owning worker.
#[derive(Clone)]
pub(crate) struct TimerSink {
    pub handle: tokio::runtime::Handle,
    pub deliver: super::worker::Deliver,
    pub generation: u64,
}

/// Whose rights `scripts.*` uses for the JS running now.
#[derive(Clone, Debug, Default)]
pub(crate) enum Caller {
    /// Top-level code, timers with no request waiting: the script's owner.
    #[default]
    TopLevel,
    /// A handler (or the continuation of the only request awaiting in this
    /// context): that request's user id, None when nobody is logged in.
    Request(Option<String>),
    /// Continuations while several requests await: nobody can tell.
    Ambiguous,
}

/// State shared between the worker and the native functions of one context.
pub(crate) struct Shared {
    pub script: Arc<str>,
    pub host: Arc<dyn Host>,
    /// The compiled preludes, shared by every context of the pool.
    pub preludes: Arc<Preludes>,
    pub deadline: Cell<Option<Instant>>,
    pub interrupted: Cell<bool>,
    /// Set when QuickJS reported running out of memory or stack; the
    /// context is discarded, never reused after a half-done mutation.
    pub limit_hit: Cell<Option<super::FailureKind>>,
    pub request_id: RefCell<Option<Arc<str>>>,
    pub caller: RefCell<Caller>,
    pub registering: bool,
    /// True while a serving context runs the script's top-level code: its
    /// effects already happened once, in the registration pass.
    pub replaying: Cell<bool>,
    pub routes: RefCell<Vec<RouteSpec>>,
    pub graphql: RefCell<Vec<crate::domain::GqlSpec>>,
    pub mcp: RefCell<crate::domain::McpSpecs>,
    /// The cancellation flag of the MCP call running now: set, it
    /// interrupts the JS like the time limit does.
    pub cancel: RefCell<Option<Arc<std::sync::atomic::AtomicBool>>>,
    pub timers: Option<TimerSink>,
    /// When the request whose handler runs now reached the worker; `fetch`
    /// derives the request's deadline from it.
    pub request_started: Cell<Option<Instant>>,
    /// Streamed response bodies open in this context.
    pub streams: super::stream_body::Streams,
    /// Spooled uploads seen by this context's requests.
    pub uploads: super::upload::Uploads,
    /// The scripts this context imported, with the source it evaluated.
    pub imports: RefCell<Vec<(Arc<str>, Arc<str>)>>,
}

pub(crate) struct ScriptContext {
    /// First, so that it is dropped before the context and its runtime.
    pub names: super::names::Names,
    /// Also before the context: it holds references into the runtime.
    pub parked: super::parked::ParkedRequests,
    pub ctx: Context,
    pub shared: Rc<Shared>,
    time_limit: Duration,
}

impl ScriptContext {
    pub fn new(
        cfg: &JsConfig,
        script: Arc<str>,
        host: Arc<dyn Host>,
        timers: Option<TimerSink>,
        registering: bool,
        preludes: Arc<Preludes>,
    ) -> Result<ScriptContext, LoadError> {
        let fail = |e: rquickjs::Error| LoadError {
            message: format!("could not create a JavaScript context: {e}"),
            line: None,
            column: None,
        };
        let rt = Runtime::new().map_err(fail)?;
        rt.set_memory_limit(cfg.memory_limit_bytes);
        rt.set_max_stack_size(cfg.stack_size_bytes);
        let shared = Rc::new(Shared {
            script,
            host,
            preludes,
            deadline: Cell::new(None),
            interrupted: Cell::new(false),
            limit_hit: Cell::new(None),
            request_id: RefCell::new(None),
            caller: RefCell::new(Caller::TopLevel),
            registering,
            replaying: Cell::new(false),
            routes: RefCell::new(Vec::new()),
            graphql: RefCell::new(Vec::new()),
            mcp: RefCell::default(),
            cancel: RefCell::new(None),
            timers,
            request_started: Cell::new(None),
            streams: super::stream_body::Streams::new(Duration::from_millis(cfg.time_limit_ms)),
            uploads: super::upload::Uploads::new(cfg.memory_limit_bytes),
            imports: RefCell::new(Vec::new()),
        });
        let modules = super::modules::ScriptModules(shared.clone());
        let loader = super::modules::ScriptModules(shared.clone());
        rt.set_loader(modules, loader);
        let watch = shared.clone();
        rt.set_interrupt_handler(Some(Box::new(move || match watch.deadline.get() {
            Some(d) if Instant::now() >= d || super::mcp::cancelled(&watch) => {
                watch.interrupted.set(true);
                true
            }
            _ => false,
        })));
        let ctx = Context::full(&rt).map_err(fail)?;
        let (names, parked) = ctx
            .with(|ctx| {
                let names = super::names::Names::new(&ctx)?;
                Ok((names, super::parked::ParkedRequests::new(&ctx)))
            })
            .map_err(fail)?;
        // The context keeps its runtime alive; no separate handle is needed.
        let sc = ScriptContext {
            names,
            parked,
            ctx,
            shared,
            time_limit: Duration::from_millis(cfg.time_limit_ms),
        };
        sc.install(cfg)?;
        Ok(sc)
    }

    /// Starts a slice of JS execution under the time limit.
    /// Whether this context must be dropped (it hit a limit).
    pub fn broken(&self) -> bool {
        self.shared.interrupted.get() || self.shared.limit_hit.get().is_some()
    }

    pub fn enter(&self) {
        self.shared.interrupted.set(false);
        self.shared
            .deadline
            .set(Some(Instant::now() + self.time_limit));
    }

    pub fn leave(&self) {
        self.shared.deadline.set(None);
    }

    fn install(&self, cfg: &JsConfig) -> Result<(), LoadError> {
        let shared = self.shared.clone();
        self.ctx.with(|ctx| {
            let r = (|| {
                let native = Object::new(ctx.clone())?;
                native.set("register", register_fn(&ctx, shared.clone())?)?;
                native.set("log", log_fn(&ctx, shared.clone())?)?;
                native.set("timer", timer_fn(&ctx, shared.clone())?)?;
                native.set("stream", stream_fn(&ctx, shared.clone())?)?;
                native.set("graphql", graphql_fn(&ctx, shared.clone())?)?;
                native.set("gqlPublish", gql_publish_fn(&ctx, shared.clone())?)?;
                native.set("eval", cfg.eval)?;
                native.set("console", cfg.console)?;
                ctx.globals().set("__aw_native", native)?;
                shared.preludes.main.run::<()>(&ctx)?;
                let internal: Object = ctx.globals().get("__aiwebengine")?;
                super::req_headers::install(&internal.get("reqProto")?)?;
                super::req_headers::install(&internal.get("callCtxProto")?)?;
                super::prelude_kv::install(&ctx, shared.clone())?;
                super::scripts_api::install(&ctx, shared.clone())?;
                super::prelude_assets::install(&ctx, shared.clone())?;
                super::mcp::install(&ctx, shared.clone())?;
                super::prelude_fetch::install(&ctx, shared.clone())
            })();
            r.map_err(|e| load_error(&ctx, e, &shared))
        })
    }

    /// Runs the script's top-level code (with the time limit).
    pub fn load(&self, source: &str) -> Result<(), LoadError> {
        let shared = self.shared.clone();
        self.enter();
        shared.replaying.set(!shared.registering);
        let result = self.ctx.with(|ctx| {
            let mut opts = rquickjs::context::EvalOptions::default();
            opts.global = true;
            opts.strict = false;
            opts.filename = Some(shared.script.to_string());
            let r = match super::modules::is_module(source) {
                true => super::modules::evaluate(&ctx, &shared.script, source),
                false => ctx.eval_with_options::<(), _>(source, opts),
            };
            let r = r.and_then(|_| check_handlers(&ctx));
            let r = r.map_err(|e| load_error(&ctx, e, &shared));
            while ctx.execute_pending_job() {}
            r
        });
        shared.replaying.set(false);
        self.leave();
        result
    }
}

fn load_error(ctx: &Ctx<'_>, e: rquickjs::Error, shared: &Shared) -> LoadError {
    let Described {
        kind,
        message,
        line,
        column,
        ..
    } = describe(ctx, e, shared);
    let message = match kind {
        super::FailureKind::Timeout => format!(
            "top-level code ran longer than the time limit; move long work into handlers ({message})"
        ),
        _ => message,
    };
    LoadError {
        message,
        line,
        column,
    }
}

/// Handlers given by name must name a global function once the script has run.
fn check_handlers(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let internal: Object = ctx.globals().get("__aiwebengine")?;
    let handlers: Object = internal.get("handlers")?;
    for entry in handlers.props::<String, rquickjs::Value>() {
        let (key, value) = entry?;
        if let Some(name) = value.as_string() {
            let name = name.to_string()?;
            if ctx.globals().get::<_, Function>(name.as_str()).is_err() {
                return Err(rquickjs::Exception::throw_reference(
                    ctx,
                    &format!(
                        "register: handler '{name}' for {key} is not a global function; define `function {name}(req) {{ ... }}` or pass the function itself"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn register_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, path: String, method: String, max: f64, stream: bool| {
            let method = method.to_ascii_uppercase();
            if !METHODS.contains(&method.as_str()) {
                return Err(rquickjs::Exception::throw_type(
                    &ctx,
                    &format!(
                        "register('{path}', handler, '{method}'): method must be one of {}",
                        METHODS.join(", ")
                    ),
                ));
            }
            if let Err(msg) = Pattern::parse(&path) {
                return Err(rquickjs::Exception::throw_type(&ctx, &msg));
            }
            if max >= 0.0 && (max.fract() != 0.0 || max > MAX_ROUTE_BODY_BYTES as f64) {
                return Err(rquickjs::Exception::throw_range(
                    &ctx,
                    &format!(
                        "register('{path}', handler, '{method}', {{maxBodyBytes}}): maxBodyBytes must be a whole number of bytes up to {MAX_ROUTE_BODY_BYTES} (1 GiB), got {max}"
                    ),
                ));
            }
            let spec = RouteSpec {
                method,
                path,
                max_body_bytes: (max >= 0.0).then_some(max as u64),
                stream,
            };
            let key = spec.handler_key();
            if shared.registering {
                let mut routes = shared.routes.borrow_mut();
                let canon = Pattern::parse(&spec.path).map(|p| p.canonical()).ok();
                let dup = routes.iter().any(|r| {
                    r.method == spec.method
                        && Pattern::parse(&r.path).map(|p| p.canonical()).ok() == canon
                });
                if dup {
                    return Err(rquickjs::Exception::throw_type(
                        &ctx,
                        &format!("{key} is registered twice in this script"),
                    ));
                }
                routes.push(spec);
            }
            Ok(key)
        },
    )
}

fn log_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(ctx.clone(), move |level: String, message: String| {
        if shared.replaying.get() {
            return;
        }
        let rid = shared.request_id.borrow();
        shared.host.script_log(
            &shared.script,
            LogLevel::parse(&level),
            message,
            rid.as_deref(),
        );
    })
}

fn timer_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(ctx.clone(), move |id: f64, ms: f64| {
        // Top-level timers in the registration pass never fire: that pass
        // has no effects beyond registering.
        let Some(sink) = shared.timers.clone() else {
            return;
        };
        let delay = Duration::from_millis(ms.clamp(0.0, 2_147_483_647.0) as u64);
        sink.handle.spawn(async move {
            tokio::time::sleep(delay).await;
            (sink.deliver)(super::worker::LocalMsg::Timer {
                generation: sink.generation,
                id: id as u64,
            });
        });
    })
}

fn stream_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, path: String, data: String, options: String| {
            // Replayed top-level code already sent its messages once, at save.
            if shared.replaying.get() {
                return Ok(());
            }
            let options: StreamOptions = if options.is_empty() {
                StreamOptions::default()
            } else {
                serde_json::from_str(&options).map_err(|e| {
                    rquickjs::Exception::throw_type(
                        &ctx,
                        &format!(
                            "stream message options must be {{filter, event, id, retry}}: {e}"
                        ),
                    )
                })?
            };
            let field =
                |name: &str, v: Option<serde_json::Value>| -> rquickjs::Result<Option<String>> {
                    let text = match v {
                        None | Some(serde_json::Value::Null) => return Ok(None),
                        Some(serde_json::Value::String(s)) => s,
                        Some(other) => other.to_string(),
                    };
                    if text.contains(['\r', '\n']) {
                        return Err(rquickjs::Exception::throw_type(
                            &ctx,
                            &format!("stream message option {name} must not contain a line break"),
                        ));
                    }
                    Ok(Some(text))
                };
            let msg = StreamMessage {
                data,
                event: field("event", options.event)?,
                id: field("id", options.id)?,
                retry: options.retry,
                filter: options.filter,
            };
            shared
                .host
                .publish((!path.is_empty()).then_some(path.as_str()), msg);
            Ok::<(), rquickjs::Error>(())
        },
    )
}

fn graphql_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, kind: String, name: String, sdl: String| {
            let spec = crate::domain::GqlSpec {
                kind: kind
                    .parse()
                    .map_err(|e: String| rquickjs::Exception::throw_type(&ctx, &e))?,
                name,
                sdl,
            };
            let key = spec.handler_key();
            if shared.registering {
                let mut list = shared.graphql.borrow_mut();
                if list
                    .iter()
                    .any(|g| g.kind == spec.kind && g.name == spec.name)
                {
                    return Err(rquickjs::Exception::throw_type(
                        &ctx,
                        &format!(
                            "GraphQL {} field {} is registered twice in this script",
                            spec.kind, spec.name
                        ),
                    ));
                }
                list.push(spec);
            }
            Ok::<String, rquickjs::Error>(key)
        },
    )
}

fn gql_publish_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |name: String, text: String, is_string: bool| {
            if shared.replaying.get() {
                return;
            }
            let data = if is_string {
                serde_json::Value::String(text)
            } else {
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
            };
            shared.host.publish_subscription(&name, data);
        },
    )
}
