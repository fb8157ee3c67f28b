//! The scripts that serve, the route table derived from them, and the
//! shared handles the composition root gives to whoever reads them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

use super::routes::{LoadedScript, RouteSpec, RouteTable};
use crate::domain::{GqlSpec, McpSpecs};

pub struct CatalogEntry {
    pub script: Arc<LoadedScript>,
    pub routes: Vec<RouteSpec>,
    pub graphql: Vec<GqlSpec>,
    pub mcp: McpSpecs,
    pub enabled: bool,
}

/// The scripts that serve, and the route table derived from them.
#[derive(Default)]
pub struct Catalog {
    pub entries: BTreeMap<Arc<str>, Arc<CatalogEntry>>,
    pub table: RouteTable,
}

/// The enabled entries, in name order.
pub(super) fn serving(entries: &BTreeMap<Arc<str>, Arc<CatalogEntry>>) -> Vec<Arc<CatalogEntry>> {
    entries.values().filter(|e| e.enabled).cloned().collect()
}

impl Catalog {
    /// `(path, script)` of every stream of the enabled scripts.
    pub fn stream_paths(&self) -> Vec<(String, Arc<str>)> {
        self.entries
            .values()
            .filter(|e| e.enabled)
            .flat_map(|e| {
                e.routes
                    .iter()
                    .filter(|r| r.stream)
                    .map(|r| (r.path.clone(), e.script.name.clone()))
            })
            .collect()
    }

    pub(super) fn rebuilt(entries: BTreeMap<Arc<str>, Arc<CatalogEntry>>) -> Catalog {
        let serving: Vec<_> = entries
            .values()
            .filter(|e| e.enabled)
            .map(|e| (e.script.clone(), e.routes.clone()))
            .collect();
        Catalog {
            table: RouteTable::build(&serving),
            entries,
        }
    }
}

/// The catalog now serving, shared: [`super::ScriptService`] publishes into
/// it after each commit; readers (the request path, the asset service's
/// route check) load it lock-free.
#[derive(Clone, Default)]
pub struct CatalogCell(Arc<ArcSwap<Catalog>>);

impl CatalogCell {
    pub fn load(&self) -> arc_swap::Guard<Arc<Catalog>> {
        self.0.load()
    }

    pub(super) fn store(&self, catalog: Arc<Catalog>) {
        self.0.store(catalog)
    }

    /// `(route, script)` of the script route serving GET at `public`.
    pub fn get_route(&self, public: &str) -> Option<(String, String)> {
        match self.load().table.lookup("GET", public) {
            super::routes::Lookup::Found { route, .. } => Some((
                format!("{} {}", route.spec.method, route.spec.path),
                route.script.name.to_string(),
            )),
            _ => None,
        }
    }
}

/// Who is saving which script right now: a new script's top-level code
/// runs before it has an owner, and acts for its author meanwhile. Shared
/// by the script service (which records) and script management (which asks).
#[derive(Clone, Default)]
pub struct SaveAuthors(Arc<Mutex<HashMap<String, String>>>);

impl SaveAuthors {
    pub fn get(&self, name: &str) -> Option<String> {
        self.lock().get(name).cloned()
    }

    pub(super) fn insert(&self, name: &str, author: &str) {
        self.lock().insert(name.to_string(), author.to_string());
    }

    pub(super) fn remove(&self, name: &str) {
        self.lock().remove(name);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
