//! Running one MCP handler on the JS pool: the arguments as JSON, a `ctx`
//! with the caller, `progress` and `signal`; progress forwarded to the
//! client while it runs; a cancellation sets the flag that interrupts it.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[allow(deprecated)]
use rmcp::model::{
    LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken,
};
use rmcp::{Peer, RoleServer};
use serde_json::Value;

use crate::domain::RequestAuth;
use crate::js::{
    cancel_call, AbortHook, CallKind, Invocation, Invoker, McpHooks, McpLog, McpProgress,
    ScriptRequest, LOG_LEVELS,
};
use crate::scripts::routes::LoadedScript;

/// One handler call.
pub struct Call<'a> {
    pub script: &'a Arc<LoadedScript>,
    pub key: String,
    pub args: Value,
    /// Extra fields for `ctx` (e.g. `{tool: name}`).
    pub ctx: Value,
    pub auth: Option<Arc<RequestAuth>>,
    /// Where `ctx.progress` goes, when the client asked for progress.
    pub progress: Option<(Peer<RoleServer>, ProgressToken)>,
    /// Where `ctx.log` goes, and the least level the client wants
    /// (an index into [`LOG_LEVELS`]).
    pub log: Option<(Peer<RoleServer>, usize)>,
}

/// How a call ended, short of a value.
pub enum Ended {
    /// The handler threw, or hit a limit: the message says which.
    Failed(String),
    /// The client cancelled; nobody waits for an answer.
    Cancelled,
}

/// Runs `call` and returns its value (the JSON of what the handler
/// returned; `null` for undefined).
pub async fn run(
    runtime: &Arc<dyn Invoker>,
    call: Call<'_>,
    cancelled: impl std::future::Future<Output = ()>,
) -> Result<Value, Ended> {
    let cancel = Arc::new(AtomicBool::new(false));
    let on_cancel = AbortHook::default();
    let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel();
    let (ltx, mut lrx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let request = ScriptRequest {
        method: "POST".into(),
        path: "/mcp".into(),
        body: serde_json::to_vec(&call.args).unwrap_or_default().into(),
        request_id: uuid::Uuid::new_v4().to_string().into(),
        auth: call.auth,
        context: crate::js::CallContext::Members(call.ctx.to_string()),
        mcp: Some(McpHooks {
            progress: call.progress.is_some().then_some(ptx),
            log: call.log.is_some().then_some(ltx),
            cancel: cancel.clone(),
            on_cancel: on_cancel.clone(),
        }),
        ..Default::default()
    };
    runtime.invoke(Invocation {
        script: call.script.clone(),
        handler_key: call.key.into(),
        kind: CallKind::Mcp,
        request,
        reply: tx,
    });
    tokio::pin!(cancelled);
    let outcome = loop {
        tokio::select! {
            biased;
            Some(p) = prx.recv() => send_progress(&call.progress, p).await,
            Some(l) = lrx.recv() => send_log(&call.log, l).await,
            o = &mut rx => break o,
            () = &mut cancelled => {
                cancel_call(&cancel, &on_cancel);
                return Err(Ended::Cancelled);
            }
        }
    };
    // Progress sent before the value must reach the client first.
    while let Ok(p) = prx.try_recv() {
        send_progress(&call.progress, p).await;
    }
    while let Ok(l) = lrx.try_recv() {
        send_log(&call.log, l).await;
    }
    match outcome {
        Ok(Ok(r)) => Ok(
            serde_json::from_str(r.value_json.as_deref().unwrap_or("null")).unwrap_or(Value::Null),
        ),
        Ok(Err(f)) => Err(Ended::Failed(failure_text(&f))),
        Err(_) => Err(Ended::Failed(
            "the handler's JS worker went away; try again".into(),
        )),
    }
}

/// One `ctx.progress` as `notifications/progress` (dropped when the client
/// asked for none, or is gone).
async fn send_progress(to: &Option<(Peer<RoleServer>, ProgressToken)>, p: McpProgress) {
    let Some((peer, token)) = to else { return };
    let mut param = ProgressNotificationParam::new(token.clone(), p.progress);
    param.total = p.total;
    param.message = p.message;
    let _ = peer.notify_progress(param).await;
}

/// One `ctx.log` as `notifications/message`, when at or above the level
/// the client set (dropped otherwise, or when the client is gone).
#[allow(deprecated)] // logging is deprecated in 2026-07-28 (SEP-2577), current in 2025
async fn send_log(to: &Option<(Peer<RoleServer>, usize)>, l: McpLog) {
    let Some((peer, min)) = to else { return };
    let Some(rank) = LOG_LEVELS.iter().position(|x| *x == l.level) else {
        return;
    };
    if rank < *min {
        return;
    }
    let Ok(level) = serde_json::from_value::<LoggingLevel>(Value::String(l.level)) else {
        return;
    };
    let data = serde_json::from_str(&l.data_json).unwrap_or(Value::Null);
    let mut param = LoggingMessageNotificationParam::new(level, data);
    param.logger = l.logger;
    let _ = peer.notify_logging_message(param).await;
}

/// The rank in [`LOG_LEVELS`] of a level a client asked for.
#[allow(deprecated)]
pub fn level_rank(level: &LoggingLevel) -> usize {
    let name = serde_json::to_value(level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    LOG_LEVELS.iter().position(|x| *x == name).unwrap_or(1)
}

fn failure_text(f: &crate::js::ScriptFailure) -> String {
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{} (line {l}, column {c})", f.message),
        _ => f.message.clone(),
    }
}
