//! What the enabled scripts offer over MCP, derived from the catalog after
//! each change ([`CatalogHook`]) and swapped in whole, so a request reads
//! one consistent snapshot lock-free. A change to the tools, resources or
//! prompts is announced on [`Registry::changes`] for the connected
//! sessions' `list_changed` notifications.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde_json::Value;
use tokio::sync::broadcast;

use super::template::UriTemplate;
use crate::domain::{McpPromptSpec, McpResourceSpec, McpToolSpec};
use crate::scripts::routes::LoadedScript;
use crate::scripts::{CatalogEntry, CatalogHook, Refusal};

pub struct ToolEntry {
    pub script: Arc<LoadedScript>,
    pub spec: McpToolSpec,
    pub input_schema: Value,
    pub output_schema: Option<Value>,
    pub annotations: Option<Value>,
    pub input: jsonschema::Validator,
    pub output: Option<jsonschema::Validator>,
}

pub struct ResourceEntry {
    pub script: Arc<LoadedScript>,
    pub spec: McpResourceSpec,
    /// Set for templated URIs (`note://{id}`).
    pub template: Option<UriTemplate>,
}

pub struct PromptEntry {
    pub script: Arc<LoadedScript>,
    pub spec: McpPromptSpec,
}

/// One catalog's MCP offer.
#[derive(Default)]
pub struct Snapshot {
    pub tools: BTreeMap<String, Arc<ToolEntry>>,
    pub resources: Vec<Arc<ResourceEntry>>,
    pub prompts: BTreeMap<String, Arc<PromptEntry>>,
}

impl Snapshot {
    /// The resource serving `uri`: a fixed URI first, then the first
    /// template that matches, with its variables.
    pub fn resource(&self, uri: &str) -> Option<(Arc<ResourceEntry>, BTreeMap<String, String>)> {
        if let Some(r) = self
            .resources
            .iter()
            .find(|r| r.template.is_none() && r.spec.uri == uri)
        {
            return Some((r.clone(), BTreeMap::new()));
        }
        self.resources.iter().find_map(|r| {
            let vars = r.template.as_ref()?.matches(uri)?;
            Some((r.clone(), vars))
        })
    }
}

/// Which list changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Tools,
    Resources,
    Prompts,
}

pub struct Registry {
    current: ArcSwap<Snapshot>,
    changes: broadcast::Sender<Change>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            current: ArcSwap::from_pointee(Snapshot::default()),
            changes: broadcast::channel(64).0,
        }
    }
}

impl Registry {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Announcements of list changes, from now on.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}

fn build(serving: &[Arc<CatalogEntry>]) -> Snapshot {
    let mut snap = Snapshot::default();
    for e in serving.iter().filter(|e| e.enabled) {
        for spec in &e.mcp.tools {
            match tool_entry(&e.script, spec) {
                Ok(t) => {
                    snap.tools.entry(spec.name.clone()).or_insert(Arc::new(t));
                }
                Err(message) => {
                    tracing::error!(script = %e.script.name, tool = %spec.name, "MCP tool not served: {message}")
                }
            }
        }
        for spec in &e.mcp.resources {
            let template = match spec.template {
                true => match UriTemplate::parse(&spec.uri) {
                    Ok(t) => Some(t),
                    Err(message) => {
                        tracing::error!(script = %e.script.name, uri = %spec.uri, "MCP resource not served: {message}");
                        continue;
                    }
                },
                false => None,
            };
            snap.resources.push(Arc::new(ResourceEntry {
                script: e.script.clone(),
                spec: spec.clone(),
                template,
            }));
        }
        for spec in &e.mcp.prompts {
            snap.prompts
                .entry(spec.name.clone())
                .or_insert(Arc::new(PromptEntry {
                    script: e.script.clone(),
                    spec: spec.clone(),
                }));
        }
    }
    snap
}

fn tool_entry(script: &Arc<LoadedScript>, spec: &McpToolSpec) -> Result<ToolEntry, String> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).map_err(|e| e.to_string());
    let input_schema = parse(&spec.input_schema)?;
    let output_schema = spec.output_schema.as_deref().map(parse).transpose()?;
    let input = jsonschema::validator_for(&input_schema).map_err(|e| e.to_string())?;
    let output = match &output_schema {
        Some(s) => Some(jsonschema::validator_for(s).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(ToolEntry {
        script: script.clone(),
        spec: spec.clone(),
        input_schema,
        output_schema,
        annotations: spec.annotations.as_deref().map(parse).transpose()?,
        input,
        output,
    })
}

impl CatalogHook for Registry {
    /// Names are checked by the script service (409 on a clash) and
    /// schemas at registration, so nothing is left to refuse here.
    fn check(&self, _: &[Arc<CatalogEntry>]) -> Result<(), Refusal> {
        Ok(())
    }

    fn published(&self, serving: &[Arc<CatalogEntry>]) {
        let next = Arc::new(build(serving));
        let old = self.current.swap(next.clone());
        let specs = |s: &Snapshot| s.tools.values().map(|t| t.spec.clone()).collect::<Vec<_>>();
        if specs(&old) != specs(&next) {
            let _ = self.changes.send(Change::Tools);
        }
        let res = |s: &Snapshot| {
            s.resources
                .iter()
                .map(|r| r.spec.clone())
                .collect::<Vec<_>>()
        };
        if res(&old) != res(&next) {
            let _ = self.changes.send(Change::Resources);
        }
        let prompts = |s: &Snapshot| {
            s.prompts
                .values()
                .map(|p| p.spec.clone())
                .collect::<Vec<_>>()
        };
        if prompts(&old) != prompts(&next) {
            let _ = self.changes.send(Change::Prompts);
        }
    }
}
