//! Why a script change or lookup failed; `http::error` maps each variant
//! to a status, and the messages say what would fix it.

use super::runtime::{LoadError, Refusal};
use crate::domain::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("{0}")]
    InvalidName(String),
    #[error(
        "script is {size} bytes, over the limit of {limit} bytes (config js.max_script_bytes)"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("script failed to load: {}", .0.message)]
    Load(LoadError),
    #[error("{path} is reserved for the engine (/engine, /health, /metrics, /graphql, /mcp); choose another path")]
    Reserved { path: String },
    #[error("{method} {path} is already registered by script {owner}; change the path or disable {owner} first")]
    Conflict {
        method: String,
        path: String,
        owner: String,
    },
    #[error("MCP {kind} {name} is already registered by script {owner}; choose another name or disable {owner} first")]
    McpConflict {
        kind: &'static str,
        name: String,
        owner: String,
    },
    #[error("{method} {path} would hide the stored asset /{asset}; change the route or delete the asset first")]
    AssetConflict {
        method: String,
        path: String,
        asset: String,
    },
    #[error("{}", .0.message)]
    Schema(Refusal),
    #[error("no script named {0}")]
    NotFound(String),
    #[error(
        "script {0} was just created by someone else; load it and save again if you may change it"
    )]
    Exists(String),
    #[error(
        "a script named {0} already exists; choose another name, or delete or rename {0} first"
    )]
    NameTaken(String),
    #[error("script {name} has no version {version}")]
    VersionNotFound { name: String, version: u64 },
    #[error(transparent)]
    Store(#[from] StorageError),
    #[error("internal task failed: {0}")]
    Task(String),
}
