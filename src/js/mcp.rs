//! The MCP host API (REQ-JSAPI-004): `registerMCPTool`,
//! `registerMCPResource`, `registerMCPPrompt` and
//! `notifyMCPResourceUpdated`, and what an MCP handler's `ctx` adds to a
//! GraphQL-style `ctx`: `progress(n, total, message)` and `signal`.
//!
//! Schemas are checked here, at save time, so that a bad one is reported
//! with the script's line and column.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rquickjs::{Ctx, Exception, Function, Object};
use serde_json::Value;

use super::context::Shared;
use super::worker::LocalMsg;
use crate::domain::{McpPromptSpec, McpResourceSpec, McpToolSpec};

const NAMES: &[&str] = &[
    "registerMCPTool",
    "registerMCPResource",
    "registerMCPPrompt",
    "notifyMCPResourceUpdated",
];

pub(crate) const PRELUDE: &str = include_str!("prelude/mcp.js");

/// The topic `notifyMCPResourceUpdated(uri)` publishes the URI on; not a
/// GraphQL name, so no subscription field can take it.
pub const RESOURCE_UPDATED_TOPIC: &str = "mcp:resources/updated";

/// One `ctx.progress(n, total, message)` call.
#[derive(Debug, Clone, PartialEq)]
pub struct McpProgress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// One `ctx.log(...)`: a level of RFC 5424 as MCP names them, the data as
/// JSON text, and an optional logger name.
#[derive(Debug, Clone, PartialEq)]
pub struct McpLog {
    pub level: String,
    pub data_json: String,
    pub logger: Option<String>,
}

/// The levels `ctx.log` accepts, lowest first.
pub const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// What an MCP call gives its handler beyond the arguments: where progress
/// goes, and the flag a cancellation sets (it also interrupts running JS).
#[derive(Clone)]
pub struct McpHooks {
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<McpProgress>>,
    /// Where `ctx.log(level, data, logger?)` goes (the transport decides
    /// by the client's level whether to send it).
    pub log: Option<tokio::sync::mpsc::UnboundedSender<McpLog>>,
    pub cancel: Arc<AtomicBool>,
    /// Set by the worker when the handler starts: fires `ctx.signal`'s
    /// abort event in the handler's context. The canceller takes and calls
    /// it after setting `cancel`.
    pub on_cancel: AbortHook,
}

impl std::fmt::Debug for McpHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHooks")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

/// A one-shot callback that reaches the handler's JS context from any thread.
pub type AbortHook = Arc<std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// Sets `cancel` and fires the abort event of the handler's `ctx.signal`
/// (if the handler has started).
pub fn cancel_call(hooks_cancel: &AtomicBool, on_cancel: &AbortHook) {
    hooks_cancel.store(true, Ordering::Relaxed);
    let hook = on_cancel.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(f) = hook {
        f();
    }
}

pub(crate) fn install(ctx: &Ctx<'_>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    super::lazy::install(ctx, NAMES, move |ctx: Ctx<'_>| {
        let setup: Function = shared.preludes.mcp.run(&ctx)?;
        let native = Object::new(ctx.clone())?;
        native.set("register", register_fn(&ctx, shared.clone())?)?;
        native.set("updated", updated_fn(&ctx, shared.clone())?)?;
        let internal: Object = ctx.globals().get("__aiwebengine")?;
        let handlers: Object = internal.get("handlers")?;
        setup.call::<_, ()>((native, handlers))
    })
}

fn register_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, kind: String, json: String| -> rquickjs::Result<String> {
            let fail = |m: String| Exception::throw_type(&ctx, &m);
            let keys = match kind.as_str() {
                "tool" => {
                    let spec: McpToolSpec =
                        serde_json::from_str(&json).map_err(|e| fail(e.to_string()))?;
                    check_tool(&spec).map_err(fail)?;
                    let key = spec.handler_key();
                    record(&shared, |m| {
                        if m.tools.iter().any(|t| t.name == spec.name) {
                            return Err(format!(
                                "MCP tool {} is registered twice in this script",
                                spec.name
                            ));
                        }
                        m.tools.push(spec);
                        Ok(())
                    })
                    .map_err(fail)?;
                    key
                }
                "resource" => {
                    let spec: McpResourceSpec =
                        serde_json::from_str(&json).map_err(|e| fail(e.to_string()))?;
                    if spec.template {
                        check_template(&spec.uri).map_err(fail)?;
                    }
                    let keys = format!("{}\n{}", spec.handler_key(), spec.complete_key());
                    record(&shared, |m| {
                        if m.resources.iter().any(|r| r.uri == spec.uri) {
                            return Err(format!(
                                "MCP resource {} is registered twice in this script",
                                spec.uri
                            ));
                        }
                        m.resources.push(spec);
                        Ok(())
                    })
                    .map_err(fail)?;
                    keys
                }
                "prompt" => {
                    let spec: McpPromptSpec =
                        serde_json::from_str(&json).map_err(|e| fail(e.to_string()))?;
                    check_name("registerMCPPrompt", &spec.name).map_err(fail)?;
                    let keys = format!("{}\n{}", spec.handler_key(), spec.complete_key());
                    record(&shared, |m| {
                        if m.prompts.iter().any(|p| p.name == spec.name) {
                            return Err(format!(
                                "MCP prompt {} is registered twice in this script",
                                spec.name
                            ));
                        }
                        m.prompts.push(spec);
                        Ok(())
                    })
                    .map_err(fail)?;
                    keys
                }
                other => return Err(fail(format!("unknown MCP registration {other:?}"))),
            };
            Ok(keys)
        },
    )
}

/// Registrations are kept only in the registration pass; a serving
/// context replays the top-level code just to define the handlers.
fn record(
    shared: &Shared,
    add: impl FnOnce(&mut crate::domain::McpSpecs) -> Result<(), String>,
) -> Result<(), String> {
    if !shared.registering {
        return Ok(());
    }
    add(&mut shared.mcp.borrow_mut())
}

fn updated_fn<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(ctx.clone(), move |uri: String| {
        if shared.replaying.get() || shared.registering {
            return;
        }
        shared
            .host
            .publish_subscription(RESOURCE_UPDATED_TOPIC, Value::String(uri));
    })
}

/// MCP tool names: 1 to 128 of `A-Za-z0-9_-.` (the 2025-11-25 guidance).
fn check_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{what}: name {name:?} must be 1 to 128 letters, digits, '_', '-' or '.'"
        )),
    }
}

fn check_tool(spec: &McpToolSpec) -> Result<(), String> {
    check_name("registerMCPTool", &spec.name)?;
    let input = schema(&spec.name, "inputSchema", &spec.input_schema)?;
    if input.get("type") != Some(&Value::String("object".into())) {
        return Err(format!(
            "registerMCPTool({:?}): inputSchema must have \"type\": \"object\" (MCP tool arguments are an object)",
            spec.name
        ));
    }
    if let Some(out) = &spec.output_schema {
        schema(&spec.name, "options.outputSchema", out)?;
    }
    Ok(())
}

fn schema(tool: &str, which: &str, json: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    jsonschema::validator_for(&value).map_err(|e| {
        format!("registerMCPTool({tool:?}): {which} is not a valid JSON Schema: {e}")
    })?;
    Ok(value)
}

/// RFC 6570 level-1 templates: `{name}` expressions with simple names.
fn check_template(uri: &str) -> Result<(), String> {
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("registerMCPResource({uri:?}): '{{' without a matching '}}'"))?;
        let var =
            rest[open + 1..open + close].trim_start_matches(['+', '#', '/', '?', '&', '.', ';']);
        if var.is_empty()
            || !var
                .split(',')
                .all(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(format!(
                "registerMCPResource({uri:?}): template variable {{{var}}} must be letters, digits or '_'"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// Adds `progress` and `signal` to an MCP handler's `ctx`.
pub(crate) fn install_call<'js>(
    ctx: &Ctx<'js>,
    gctx: &Object<'js>,
    hooks: &McpHooks,
    shared: &Shared,
    seq: u64,
) -> rquickjs::Result<()> {
    let sink = hooks.progress.clone();
    let progress = Function::new(
        ctx.clone(),
        move |n: f64,
              total: rquickjs::function::Opt<f64>,
              message: rquickjs::function::Opt<String>| {
            if let Some(s) = &sink {
                let _ = s.send(McpProgress {
                    progress: n,
                    total: total.0,
                    message: message.0,
                });
            }
        },
    )?;
    gctx.set("progress", progress)?;
    let sink = hooks.log.clone();
    let log = Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>,
              level: String,
              data: rquickjs::Value<'js>,
              logger: rquickjs::function::Opt<String>| {
            if !LOG_LEVELS.contains(&level.as_str()) {
                return Err(Exception::throw_type(
                    &ctx,
                    &format!(
                        "ctx.log: unknown level {level:?}; use one of {}",
                        LOG_LEVELS.join(", ")
                    ),
                ));
            }
            let data_json = ctx
                .json_stringify(data)?
                .map(|s| s.to_string())
                .transpose()?
                .unwrap_or_else(|| "null".into());
            if let Some(s) = &sink {
                let _ = s.send(McpLog {
                    level,
                    data_json,
                    logger: logger.0,
                });
            }
            Ok(())
        },
    )?;
    gctx.set("log", log)?;
    let flag = hooks.cancel.clone();
    let aborted = Function::new(ctx.clone(), move || flag.load(Ordering::Relaxed))?;
    let make: Function = ctx.eval(SIGNAL)?;
    let made: Object = make.call((aborted,))?;
    gctx.set("signal", made.get::<_, rquickjs::Value>("signal")?)?;
    // Keep the abort function by call, for the hook (and drop it when the
    // call ends: `forget_call`).
    let aborts = abort_table(ctx)?;
    aborts.set(seq as f64, made.get::<_, Function>("abort")?)?;
    if let Some(sink) = &shared.timers {
        let deliver = sink.deliver.clone();
        let generation = sink.generation;
        let fire: Box<dyn FnOnce() + Send> = Box::new(move || {
            deliver(LocalMsg::Run {
                generation,
                f: Box::new(move |ctx| {
                    let aborts = abort_table(ctx)?;
                    if let Ok(f) = aborts.get::<_, Function>(seq as f64) {
                        let _ = aborts.remove(seq as f64);
                        f.call::<_, ()>(())?;
                    }
                    Ok(())
                }),
            })
        });
        *hooks.on_cancel.lock().unwrap_or_else(|e| e.into_inner()) = Some(fire);
    }
    // A cancel that came after SIGNAL read the flag but before the hook was
    // set found no hook to call: abort here (the signal is then aborted
    // before the handler runs, as for a call cancelled while queued).
    if hooks.cancel.load(Ordering::Relaxed) {
        let missed = hooks
            .on_cancel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if missed.is_some() || shared.timers.is_none() {
            if let Ok(f) = aborts.get::<_, Function>(seq as f64) {
                let _ = aborts.remove(seq as f64);
                f.call::<_, ()>(())?;
            }
        }
    }
    Ok(())
}

/// `internal.mcpAborts`: call sequence number → the abort of its signal.
fn abort_table<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let internal = super::call::internal(ctx)?;
    if let Ok(t) = internal.get::<_, Object>("mcpAborts") {
        return Ok(t);
    }
    let t = Object::new(ctx.clone())?;
    internal.set("mcpAborts", t.clone())?;
    Ok(t)
}

/// Drops the abort function of a call that ended.
pub(crate) fn forget_call(ctx: &Ctx<'_>, seq: u64) {
    if let Ok(internal) = super::call::internal(ctx) {
        if let Ok(t) = internal.get::<_, Object>("mcpAborts") {
            let _ = t.remove(seq as f64);
        }
    }
}

/// `ctx.signal`: a real `AbortSignal` (listeners, `onabort`, `reason`,
/// `throwIfAborted`). The worker fires it when the client cancels; a call
/// cancelled before its handler started gets it already aborted.
const SIGNAL: &str = r#"(function (aborted) {
  const c = new AbortController();
  const abort = () => c.abort(new Error('the MCP client cancelled this call'));
  if (aborted()) abort();
  return { signal: c.signal, abort };
})"#;

/// Whether the MCP call running in this context was cancelled (checked by
/// the interrupt handler beside the deadline).
pub(crate) fn cancelled(shared: &Shared) -> bool {
    shared
        .cancel
        .borrow()
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
}
