//! The engine's [`ServerHandler`]: every list and call reads the registry's
//! current snapshot, so a script save is visible to the next request.
//! rmcp does the protocol (negotiation of 2025-06-18, 2025-11-25 and
//! 2026-07-28, sessions, `server/discover`, cancellation tokens); this
//! file maps its requests onto the scripts.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::builtin::BuiltinTools;
use super::call::{self, Call, Ended};
use super::caller::{self, McpCaller};
use super::registry::{Change, Registry};
use super::tools;
use crate::js::Invoker;

/// What every MCP session shares.
pub struct McpCore {
    pub registry: Arc<Registry>,
    pub runtime: Arc<dyn Invoker>,
    /// The engine's own tools (`mcp.admin_tools`); None when off.
    pub builtin: Option<Arc<dyn BuiltinTools>>,
    /// The legacy (2025) sessions, shared by every router the engine
    /// builds (one per I/O thread), so a session's requests may land on
    /// any of them.
    pub sessions: Arc<LocalSessionManager>,
}

/// One session's handler (rmcp makes one per session, or per request when
/// stateless); cheap to clone.
#[derive(Clone)]
pub struct EngineMcp {
    core: Arc<McpCore>,
    fallback: McpCaller,
}

impl EngineMcp {
    /// `fallback` is the caller when the transport has no HTTP request
    /// (stdio).
    pub fn new(core: Arc<McpCore>, fallback: McpCaller) -> EngineMcp {
        EngineMcp { core, fallback }
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let who = caller::of(&context.extensions, &self.fallback);
        let args = Value::Object(request.arguments.unwrap_or_default());
        let name = request.name.to_string();
        let snapshot = self.core.registry.snapshot();
        let Some(tool) = snapshot.tools.get(&name) else {
            return self.call_builtin(&who, &name, args).await;
        };
        if let Err(message) = tools::check_args(tool, &args) {
            return Ok(CallToolResponse::Complete(tools::error(message)));
        }
        let progress = context
            .meta
            .get_progress_token()
            .map(|t| (context.peer.clone(), t));
        let call = Call {
            script: &tool.script,
            key: tool.spec.handler_key(),
            args,
            ctx: json!({ "tool": name }),
            auth: who.auth.clone(),
            progress,
        };
        let result = match call::run(&self.core.runtime, call, context.ct.cancelled()).await {
            Ok(value) => tools::script_result(tool, value),
            Err(Ended::Failed(message)) => tools::error(message),
            Err(Ended::Cancelled) => tools::error("cancelled by the client"),
        };
        Ok(CallToolResponse::Complete(result))
    }

    async fn call_builtin(
        &self,
        who: &McpCaller,
        name: &str,
        args: Value,
    ) -> Result<CallToolResponse, ErrorData> {
        let unknown = || {
            ErrorData::invalid_params(
                format!("unknown tool {name:?}; tools/list shows the tools you may call"),
                None,
            )
        };
        let builtin = self.core.builtin.as_ref().ok_or_else(unknown)?;
        let future = builtin
            .call(who.principal.as_ref(), name, args)
            .ok_or_else(unknown)?;
        let result = match future.await {
            Ok(reply) => tools::builtin_result(reply),
            Err(failure) => tools::error(failure.0),
        };
        Ok(CallToolResponse::Complete(result))
    }
}

/// Forwards list changes to a legacy session's client until it goes away.
async fn notify_changes(peer: Peer<RoleServer>, registry: Arc<Registry>) {
    let mut changes = registry.changes();
    loop {
        let change = match changes.recv().await {
            Ok(c) => c,
            Err(RecvError::Lagged(_)) => Change::Tools,
            Err(RecvError::Closed) => return,
        };
        if peer.is_transport_closed() {
            return;
        }
        let sent = match change {
            Change::Tools => peer.notify_tool_list_changed().await,
            Change::Resources => peer.notify_resource_list_changed().await,
            Change::Prompts => peer.notify_prompt_list_changed().await,
        };
        if sent.is_err() {
            return;
        }
    }
}

impl ServerHandler for EngineMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new(
                "aiwebengine",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("Tools, resources and prompts registered by the engine's scripts.")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let who = caller::of(&context.extensions, &self.fallback);
        let snapshot = self.core.registry.snapshot();
        let mut list: Vec<_> = snapshot
            .tools
            .values()
            .map(|t| tools::script_tool(t))
            .collect();
        if let Some(b) = &self.core.builtin {
            list.extend(
                b.list(who.principal.as_ref())
                    .iter()
                    .filter(|t| !snapshot.tools.contains_key(&t.name))
                    .map(tools::builtin_tool),
            );
        }
        Ok(ListToolsResult::with_all_items(list))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.call(request, context).await
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        tokio::spawn(notify_changes(context.peer, self.core.registry.clone()));
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    /// `subscriptions/listen` (2026-07-28): list changes until cancelled.
    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.core.registry.changes();
        loop {
            let change = tokio::select! {
                () = context.cancelled() => return Ok(()),
                c = changes.recv() => match c {
                    Ok(c) => c,
                    Err(RecvError::Lagged(_)) => Change::Tools,
                    Err(RecvError::Closed) => return Ok(()),
                },
            };
            let sink = context.sink();
            // A category the client did not ask for is refused by the
            // sink; that is not an error for the subscription.
            let _ = match change {
                Change::Tools => sink.notify_tool_list_changed().await,
                Change::Resources => sink.notify_resource_list_changed().await,
                Change::Prompts => sink.notify_prompt_list_changed().await,
            };
        }
    }
}
