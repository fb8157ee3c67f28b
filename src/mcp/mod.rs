//! The MCP server (REQ-MCP-001..005): what scripts register with
//! `registerMCPTool` / `registerMCPResource` / `registerMCPPrompt`, served
//! to AI clients over Streamable HTTP at `/mcp` and over stdio.
//!
//! [`builtin`] is the seam for tools the engine itself offers (the opt-in
//! admin tools live in `mcp::admin` and implement it).

pub mod admin;
pub mod builtin;
