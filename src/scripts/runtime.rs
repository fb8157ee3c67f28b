//! What scripts need from the world around them, as ports the outer layers
//! implement: a runtime that can run a script's top-level code
//! ([`ScriptRuntime`], implemented by `js`), and hooks that derive more
//! from the catalog ([`CatalogHook`], implemented by `graphql` and `mcp`).

use std::sync::Arc;

use super::catalog::CatalogEntry;
use super::routes::RouteSpec;
use crate::domain::{GqlSpec, McpSpecs};

/// What a script's top-level code registered.
#[derive(Debug, Default, Clone)]
pub struct Registration {
    pub routes: Vec<RouteSpec>,
    pub graphql: Vec<GqlSpec>,
    pub mcp: McpSpecs,
}

/// A script that could not be loaded, with where it went wrong.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// The seam for script languages (REQ-JS-008). QuickJS is the only
/// implementation.
pub trait ScriptRuntime: Send + Sync {
    /// Runs a script's top-level code once in a throwaway context and
    /// returns what it registered. Blocking; call it off the reactor.
    fn register(&self, name: &str, source: &str) -> Result<Registration, LoadError>;
}

/// A change the catalog's hooks refused, naming the script at fault.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub script: String,
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// Something derived from the enabled scripts (the GraphQL schema).
/// `check` sees the entries a change would serve, before it commits, and
/// may refuse it; `published` sees them once the new catalog is live.
pub trait CatalogHook: Send + Sync {
    fn check(&self, serving: &[Arc<CatalogEntry>]) -> Result<(), Refusal>;
    fn published(&self, serving: &[Arc<CatalogEntry>]);
    /// The script `from` is now `to`, its data moved with it; called after
    /// the rename is stored, before the new catalog is published.
    fn renamed(&self, _from: &str, _to: &str) {}
}

/// Several hooks (the GraphQL schema, the MCP registry): a change is
/// refused by the first that refuses it; all see what is published.
pub struct Hooks(pub Vec<Arc<dyn CatalogHook>>);

impl CatalogHook for Hooks {
    fn check(&self, serving: &[Arc<CatalogEntry>]) -> Result<(), Refusal> {
        self.0.iter().try_for_each(|h| h.check(serving))
    }
    fn published(&self, serving: &[Arc<CatalogEntry>]) {
        for h in &self.0 {
            h.published(serving);
        }
    }
    fn renamed(&self, from: &str, to: &str) {
        for h in &self.0 {
            h.renamed(from, to);
        }
    }
}

/// No hook: nothing is derived.
pub struct NoHook;

impl CatalogHook for NoHook {
    fn check(&self, _: &[Arc<CatalogEntry>]) -> Result<(), Refusal> {
        Ok(())
    }
    fn published(&self, _: &[Arc<CatalogEntry>]) {}
}
