//! The engine's own MCP tools (`mcp.admin_tools = true`): an AI agent
//! develops on the engine through them. Editors and admins only; editors
//! see and change what they may manage, by the same ownership rules as the
//! management API; every call is audited (`mcp.TOOL`, target, result).
//!
//! - [`specs`]: the tools' names, descriptions, JSON Schemas, annotations;
//! - [`guard`]: who may do what, and the audit trail;
//! - [`scripts`], [`edit`]: script tools, the edit rules and drafts;
//! - [`routes`]: the route table and in-process calls ([`LocalRoutes`]);
//! - [`data`]: logs, assets, kv.

mod data;
mod edit;
mod guard;
mod routes;
mod scripts;
mod specs;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::builtin::{BuiltinTool, BuiltinTools, ToolFailure, ToolFuture, ToolReply};
use crate::assets::Assets;
use crate::auth::AuthService;
use crate::domain::Principal;
use crate::kv::Kv;
use crate::logs::LogService;
use crate::scripts::ScriptService;

use guard::Fail;

/// A request to one of the engine's own routes, made in-process (no
/// socket): it carries only the headers given here, so it is anonymous
/// unless they hold credentials.
#[derive(Debug, Clone)]
pub struct LocalRequest {
    pub method: String,
    /// Path and query, such as `/notes?id=1`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The response body is cut at this many bytes (`truncated` says so).
    pub max_response_bytes: usize,
    /// The whole exchange, body included; a stream is cut off at the end.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct LocalResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body went on past `max_response_bytes` or the timeout.
    pub truncated: bool,
}

pub type LocalFuture = Pin<Box<dyn Future<Output = Result<LocalResponse, String>> + Send>>;

/// The engine's router, reached in-process; implemented by `http` and
/// injected by the composition root (mcp never names the HTTP layer).
pub trait LocalRoutes: Send + Sync {
    fn send(&self, req: LocalRequest) -> LocalFuture;
}

/// What the admin tools work with.
pub struct AdminDeps {
    pub scripts: Arc<ScriptService>,
    pub auth: Arc<AuthService>,
    pub logs: Arc<LogService>,
    pub kv: Arc<Kv>,
    pub assets: Arc<Assets>,
    pub routes: Arc<dyn LocalRoutes>,
    /// Config `js.max_script_bytes`, for `put_script`'s schema and drafts.
    pub max_script_bytes: usize,
}

/// The admin tools; one value per engine.
pub struct AdminTools {
    deps: AdminDeps,
    drafts: edit::Drafts,
}

impl AdminTools {
    pub fn new(deps: AdminDeps) -> AdminTools {
        AdminTools {
            deps,
            drafts: edit::Drafts::default(),
        }
    }

    async fn run(&self, p: &Principal, name: &str, args: Value) -> Result<Value, Fail> {
        match name {
            "list_scripts" => self.list_scripts(p).await,
            "get_script" => self.get_script(p, args).await,
            "put_script" => self.put_script(p, args).await,
            "edit_script" => self.edit_script(p, args).await,
            "check_script" => self.check_script(p, args).await,
            "delete_script" => self.delete_script(p, args).await,
            "list_versions" => self.list_versions(p, args).await,
            "restore_version" => self.restore_version(p, args).await,
            "list_routes" => self.list_routes(p).await,
            "call_route" => self.call_route(p, args).await,
            "get_logs" => self.get_logs(p, args).await,
            "list_assets" => self.list_assets(p, args).await,
            "put_asset" => self.put_asset(p, args).await,
            "kv_get" => self.kv_get(p, args).await,
            "kv_list" => self.kv_list(p, args).await,
            other => Err(Fail::invalid(format!("unknown admin tool {other}"))),
        }
    }
}

impl BuiltinTools for AdminTools {
    fn list(&self, caller: Option<&Principal>) -> Vec<BuiltinTool> {
        match caller {
            Some(p) if guard::is_editor(p) => specs::all(self.deps.max_script_bytes),
            _ => Vec::new(),
        }
    }

    fn call<'a>(
        &'a self,
        caller: Option<&'a Principal>,
        name: &'a str,
        args: Value,
    ) -> Option<ToolFuture<'a>> {
        let p = caller.filter(|p| guard::is_editor(p))?;
        if !specs::NAMES.contains(&name) {
            return None;
        }
        Some(Box::pin(async move {
            let target = guard::target_of(&args);
            let r = self.run(p, name, args).await;
            let result = match &r {
                Ok(_) => "ok",
                Err(f) => f.kind.audit_result(),
            };
            let action = format!("mcp.{name}");
            self.audit(&p.email, &action, &target, result).await;
            r.map(ToolReply::Structured)
                .map_err(|f| ToolFailure(f.message))
        }))
    }
}
