//! Tools the engine offers itself, beside the ones scripts register.
//!
//! The MCP handler lists `BuiltinTools::list` after the scripts' tools and
//! routes a `tools/call` to `BuiltinTools::call` when the name is one of
//! them. Implementations decide who may see and use each tool (the caller
//! is the authenticated principal, or None when `mcp.auth = "optional"`
//! and nobody signed in).

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::domain::Principal;

/// One tool as `tools/list` shows it.
#[derive(Debug, Clone)]
pub struct BuiltinTool {
    pub name: String,
    pub title: String,
    pub description: String,
    /// A JSON Schema object for the arguments (`"type": "object"`).
    pub input_schema: Value,
    /// Optional JSON Schema for `structuredContent`.
    pub output_schema: Option<Value>,
    /// MCP tool annotations: `readOnlyHint`, `destructiveHint`, ...
    pub annotations: Option<Value>,
}

/// What a call returned: text, or structured JSON (sent as
/// `structuredContent` plus its JSON text).
#[derive(Debug, Clone)]
pub enum ToolReply {
    Text(String),
    Structured(Value),
}

/// A failed call: becomes `isError: true` with this message as text.
#[derive(Debug, Clone)]
pub struct ToolFailure(pub String);

pub type ToolFuture<'a> = Pin<Box<dyn Future<Output = Result<ToolReply, ToolFailure>> + Send + 'a>>;

pub trait BuiltinTools: Send + Sync {
    /// The tools this caller may see (empty when it may use none).
    fn list(&self, caller: Option<&Principal>) -> Vec<BuiltinTool>;

    /// Runs tool `name`; None when `name` is not one of these tools (or the
    /// caller may not see it), so the handler answers "unknown tool".
    fn call<'a>(
        &'a self,
        caller: Option<&'a Principal>,
        name: &'a str,
        args: Value,
    ) -> Option<ToolFuture<'a>>;
}
