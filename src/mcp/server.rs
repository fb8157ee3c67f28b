//! The engine's [`ServerHandler`]: every list and call reads the registry's
//! current snapshot, so a script save is visible to the next request.
//! rmcp does the protocol (negotiation of 2025-06-18, 2025-11-25 and
//! 2026-07-28, sessions, `server/discover`, cancellation tokens); this
//! file maps its requests onto the scripts.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

#[allow(deprecated)] // SetLevelRequestParams: logging is current in the 2025 revisions
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ResourceUpdatedNotificationParam,
    ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams,
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
use super::sessions::SessionInfo;
use super::{prompts, resources, tools};
use crate::js::Invoker;
use crate::js::RESOURCE_UPDATED_TOPIC;

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
    /// Where `notifyMCPResourceUpdated(uri)` publishes.
    pub streams: Arc<crate::events::Streams>,
    /// The connected 2025 sessions, for the admin UI.
    pub live: Arc<super::sessions::Sessions>,
}

/// One session's handler (rmcp makes one per session, or per request when
/// stateless); cheap to clone.
#[derive(Clone)]
pub struct EngineMcp {
    core: Arc<McpCore>,
    fallback: McpCaller,
    /// This session's `resources/subscribe` URIs (2025 revisions).
    subscribed: Arc<Mutex<HashSet<String>>>,
    /// The least `ctx.log` level this session wants (`logging/setLevel`,
    /// 2025 revisions), as a rank in `LOG_LEVELS`.
    log_rank: Arc<Mutex<Option<usize>>>,
    /// This session's key in `core.live`, once initialized.
    live_key: Arc<std::sync::OnceLock<u64>>,
}

impl EngineMcp {
    /// `fallback` is the caller when the transport has no HTTP request
    /// (stdio).
    pub fn new(core: Arc<McpCore>, fallback: McpCaller) -> EngineMcp {
        EngineMcp {
            core,
            fallback,
            subscribed: Arc::default(),
            log_rank: Arc::default(),
            live_key: Arc::default(),
        }
    }

    pub(super) fn core(&self) -> &McpCore {
        &self.core
    }

    pub(super) fn fallback(&self) -> &McpCaller {
        &self.fallback
    }

    /// Where a handler's `ctx.log` goes: this request's `_meta` log level
    /// (2026-07-28), else the session's `logging/setLevel`, else `info`.
    #[allow(deprecated)]
    pub(super) fn log_sink(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Option<(Peer<RoleServer>, usize)> {
        let rank = context
            .meta
            .log_level()
            .map(|l| call::level_rank(&l))
            .or(*self.log_rank.lock().unwrap_or_else(|e| e.into_inner()))
            .unwrap_or(1);
        Some((context.peer.clone(), rank))
    }

    /// Counts a request of this session (if it is a listed one).
    pub(super) fn touch(&self) {
        if let Some(k) = self.live_key.get() {
            self.core.live.touch(*k);
        }
    }

    /// Lists this session once the client said `initialized`.
    fn go_live(&self, context: &NotificationContext<RoleServer>) {
        let info = context.peer.peer_info();
        let who = caller::of(&context.extensions, &self.fallback);
        let id = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.headers.get("mcp-session-id"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let record = SessionInfo {
            id,
            protocol_version: info
                .as_ref()
                .map(|i| i.protocol_version.to_string())
                .unwrap_or_default(),
            client_name: info
                .as_ref()
                .map(|i| i.client_info.name.clone())
                .unwrap_or_default(),
            client_version: info
                .as_ref()
                .map(|i| i.client_info.version.clone())
                .unwrap_or_default(),
            user: who.principal.as_ref().map(|p| p.email.clone()),
            started_at: 0,
            last_active_at: 0,
            requests: 0,
        };
        let key = self.core.live.add(record);
        if self.live_key.set(key).is_err() {
            self.core.live.remove(key);
        }
    }

    fn subscriptions(&self) -> MutexGuard<'_, HashSet<String>> {
        self.subscribed.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.touch();
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
            log: self.log_sink(&context),
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

/// Forwards list changes, and updates of the resources it subscribed to,
/// to a legacy session's client until it goes away.
async fn notify_changes(peer: Peer<RoleServer>, server: EngineMcp) {
    let mut changes = server.core.registry.changes();
    let mut updates = server.core.streams.subscribe_topic(RESOURCE_UPDATED_TOPIC);
    // A session that ends (DELETE, expiry, a closed stdio) is noticed here
    // even when nothing is announced.
    let mut alive = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        let sent = tokio::select! {
            _ = alive.tick() => {
                if peer.is_transport_closed() {
                    return;
                }
                continue;
            }
            c = changes.recv() => {
                let change = match c {
                    Ok(c) => c,
                    Err(RecvError::Lagged(_)) => Change::Tools,
                    Err(RecvError::Closed) => return,
                };
                match change {
                    Change::Tools => peer.notify_tool_list_changed().await,
                    Change::Resources => peer.notify_resource_list_changed().await,
                    Change::Prompts => peer.notify_prompt_list_changed().await,
                }
            }
            u = updates.recv() => {
                let uri = match u {
                    Ok(v) => v.as_str().unwrap_or_default().to_string(),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                };
                if !server.subscriptions().contains(&uri) {
                    continue;
                }
                peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri)).await
            }
        };
        if sent.is_err() || peer.is_transport_closed() {
            return;
        }
    }
}

impl ServerHandler for EngineMcp {
    #[allow(deprecated)] // enable_logging: for the 2025 revisions' logging/setLevel
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_completions()
            .enable_logging()
            .enable_prompts()
            .enable_resources()
            .enable_tools()
            .enable_prompts_list_changed()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new(
                "aiwebengine",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("Tools, resources and prompts registered by the engine's scripts.")
    }

    #[allow(deprecated)] // logging/setLevel: deprecated in 2026-07-28, current in 2025
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.log_rank.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(call::level_rank(&request.level));
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.touch();
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
        self.go_live(&context);
        let server = self.clone();
        tokio::spawn(async move {
            let key = server.live_key.get().copied();
            notify_changes(context.peer, server.clone()).await;
            if let Some(k) = key {
                server.core.live.remove(k);
            }
        });
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    /// `subscriptions/listen` (2026-07-28): list changes and the
    /// subscribed resources' updates until cancelled.
    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.core.registry.changes();
        let mut updates = self.core.streams.subscribe_topic(RESOURCE_UPDATED_TOPIC);
        loop {
            let sink = context.sink();
            let change = tokio::select! {
                () = context.cancelled() => return Ok(()),
                u = updates.recv() => {
                    if let Ok(uri) = u {
                        // The sink drops URIs the client did not subscribe to.
                        let _ = sink.notify_resource_updated(uri.as_str().unwrap_or_default()).await;
                    }
                    continue;
                }
                c = changes.recv() => match c {
                    Ok(c) => c,
                    Err(RecvError::Lagged(_)) => Change::Tools,
                    Err(RecvError::Closed) => return Ok(()),
                },
            };
            // A category the client did not ask for is refused by the
            // sink; that is not an error for the subscription.
            let _ = match change {
                Change::Tools => sink.notify_tool_list_changed().await,
                Change::Resources => sink.notify_resource_list_changed().await,
                Change::Prompts => sink.notify_prompt_list_changed().await,
            };
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.touch();
        resources::list(&self.core.registry.snapshot())
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.touch();
        resources::templates(&self.core.registry.snapshot())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.read(request, &context)
            .await
            .map(ReadResourceResponse::Complete)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions().insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions().remove(&request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.touch();
        prompts::list(&self.core.registry.snapshot())
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        self.prompt(request, &context)
            .await
            .map(GetPromptResponse::Complete)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        self.complete_values(request, &context).await
    }
}
