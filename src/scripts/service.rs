//! The script service: opening the catalog from storage, reads, and the
//! swap that publishes a new catalog. Changes live in `save.rs` and
//! `change.rs`; every change is one transaction on the [`ScriptRepo`]
//! port, and the in-memory catalog is swapped only after it commits.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{serving, Catalog, CatalogCell, CatalogEntry, SaveAuthors};
use super::repo::ScriptRepo;
use super::routes::LoadedScript;
use super::runtime::{CatalogHook, ScriptRuntime};
use super::{ScriptError, ScriptRecord, ScriptVersion};
use crate::domain::StorageError;
use crate::events::Streams;

/// Finds a stored asset whose public path (`/img/a.png`) a predicate
/// accepts; bound by the engine, so scripts know nothing else of assets.
pub type AssetProbe = Box<dyn Fn(&dyn Fn(&str) -> bool) -> Option<String> + Send + Sync>;

/// What the script service is built from; the composition root makes the
/// shared handles (`catalog`, `authors`) first and hands clones to the
/// services that read them.
pub struct ScriptDeps {
    pub repo: Arc<dyn ScriptRepo>,
    pub runtime: Arc<dyn ScriptRuntime>,
    pub streams: Arc<Streams>,
    pub hook: Arc<dyn CatalogHook>,
    /// Stored assets, for the route/asset conflict check.
    pub assets: AssetProbe,
    pub catalog: CatalogCell,
    pub authors: SaveAuthors,
    pub max_script_bytes: usize,
}

pub struct ScriptService {
    pub(super) repo: Arc<dyn ScriptRepo>,
    pub(super) runtime: Arc<dyn ScriptRuntime>,
    pub(super) catalog: CatalogCell,
    streams: Arc<Streams>,
    pub(super) hook: Arc<dyn CatalogHook>,
    pub(super) max_script_bytes: usize,
    /// Serializes changes so that conflict check, commit and swap are atomic.
    pub(super) write_lock: tokio::sync::Mutex<()>,
    pub(super) assets: AssetProbe,
    pub(super) authors: SaveAuthors,
}

/// Runs blocking storage (or runtime) work off the reactor.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ScriptError> + Send + 'static,
) -> Result<T, ScriptError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ScriptError::Task(e.to_string()))?
}

/// A catalog entry serving `rec` at its current version. A new
/// `LoadedScript` each time: JS workers never reuse a context built for
/// another version, or for another script that had this name.
pub(super) fn entry(rec: &ScriptRecord, source: Arc<str>) -> Arc<CatalogEntry> {
    let name: Arc<str> = rec.name.as_str().into();
    // A test script serves nothing, whatever an older version registered.
    let test = super::is_test_script(&rec.name);
    Arc::new(CatalogEntry {
        script: Arc::new(LoadedScript::new(name, rec.version, source)),
        routes: if test { Vec::new() } else { rec.routes.clone() },
        graphql: if test {
            Vec::new()
        } else {
            rec.graphql.clone()
        },
        mcp: if test {
            Default::default()
        } else {
            rec.mcp.clone()
        },
        enabled: rec.enabled,
    })
}

impl ScriptService {
    /// Loads every stored script's current version (no JS runs here).
    /// Blocks on storage: call it off the reactor.
    pub fn open(deps: ScriptDeps) -> Result<Self, StorageError> {
        let mut entries = BTreeMap::new();
        deps.repo.read(&mut |r| {
            entries.clear();
            for rec in r.records()? {
                let Some(ver) = r.version(&rec.name, rec.version)? else {
                    continue;
                };
                entries.insert(rec.name.as_str().into(), entry(&rec, ver.source.into()));
            }
            Ok(())
        })?;
        let catalog = Arc::new(Catalog::rebuilt(entries));
        deps.streams.sync(&catalog.stream_paths());
        deps.catalog.store(catalog.clone());
        deps.hook.published(&serving(&catalog.entries));
        Ok(ScriptService {
            repo: deps.repo,
            runtime: deps.runtime,
            catalog: deps.catalog,
            streams: deps.streams,
            hook: deps.hook,
            max_script_bytes: deps.max_script_bytes,
            write_lock: tokio::sync::Mutex::new(()),
            assets: deps.assets,
            authors: deps.authors,
        })
    }

    /// Publishes a new catalog; the streams follow it.
    pub(super) fn swap(&self, entries: BTreeMap<Arc<str>, Arc<CatalogEntry>>) {
        let catalog = Arc::new(Catalog::rebuilt(entries));
        self.streams.sync(&catalog.stream_paths());
        self.catalog.store(catalog.clone());
        self.hook.published(&serving(&catalog.entries));
    }

    /// Swaps in a catalog with this record's current version.
    pub(super) fn install(&self, rec: &ScriptRecord, source: Arc<str>) {
        let mut entries = self.catalog.load().entries.clone();
        entries.insert(rec.name.as_str().into(), entry(rec, source));
        self.swap(entries);
    }

    /// The current catalog; lock-free, for the request path.
    pub fn catalog(&self) -> arc_swap::Guard<Arc<Catalog>> {
        self.catalog.load()
    }

    pub fn count(&self) -> usize {
        self.catalog.load().entries.len()
    }

    pub async fn list(&self) -> Result<Vec<ScriptRecord>, ScriptError> {
        let repo = self.repo.clone();
        blocking(move || {
            let mut out = Vec::new();
            repo.read(&mut |r| {
                out = r.records()?;
                Ok(())
            })?;
            Ok(out)
        })
        .await
    }

    pub async fn get(&self, name: &str) -> Result<(ScriptRecord, ScriptVersion), ScriptError> {
        let repo = self.repo.clone();
        let name = name.to_string();
        blocking(move || {
            let mut found = None;
            repo.read(&mut |r| {
                found = match r.record(&name)? {
                    Some(rec) => r.version(&name, rec.version)?.map(|v| (rec, v)),
                    None => None,
                };
                Ok(())
            })?;
            found.ok_or(ScriptError::NotFound(name))
        })
        .await
    }

    pub async fn versions(&self, name: &str) -> Result<Vec<(u64, ScriptVersion)>, ScriptError> {
        let repo = self.repo.clone();
        let n = name.to_string();
        let list = blocking(move || {
            let mut out = Vec::new();
            repo.read(&mut |r| {
                out = r.versions(&n)?;
                Ok(())
            })?;
            Ok(out)
        })
        .await?;
        if list.is_empty() {
            return Err(ScriptError::NotFound(name.to_string()));
        }
        Ok(list)
    }

    pub async fn restore(
        &self,
        name: &str,
        version: u64,
        author: &str,
    ) -> Result<super::SaveOutcome, ScriptError> {
        let versions = self.versions(name).await?;
        let (_, v) = versions
            .into_iter()
            .find(|(n, _)| *n == version)
            .ok_or_else(|| ScriptError::VersionNotFound {
                name: name.to_string(),
                version,
            })?;
        self.save(name, v.source, author, false).await
    }
}
