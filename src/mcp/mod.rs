//! The MCP server (REQ-MCP-001..005): what scripts register with
//! `registerMCPTool` / `registerMCPResource` / `registerMCPPrompt`, served
//! to AI clients over Streamable HTTP at `/mcp` and over stdio.
//!
//! - [`registry`]: the scripts' MCP offer, derived from the catalog after
//!   each change (a `CatalogHook`), with list-change announcements;
//! - [`server`]: rmcp's `ServerHandler` over the registry;
//! - `call`, `tools`: running a handler on the JS pool and mapping its
//!   value to MCP content;
//! - `offer`, `resources`, `prompts`: resources, prompts, completions;
//! - [`caller`]: who is calling (resolved by the transport);
//! - [`builtin`]: the seam for tools the engine itself offers (the opt-in
//!   admin tools live in `mcp::admin` and implement it).

pub mod admin;
pub mod builtin;
mod call;
pub mod caller;
mod offer;
mod prompts;
pub mod registry;
mod resources;
pub mod server;
pub mod sessions;
mod template;
mod tools;

pub use caller::McpCaller;
pub use registry::Registry;
pub use server::{EngineMcp, McpCore};
